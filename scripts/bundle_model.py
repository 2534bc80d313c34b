"""Bundle a trained run as the package's model: ``.keras`` + two ``.tflite`` (+ optional ``.onnx``) + ``metadata.json``.

A digit or reading model (``python -m handdigits.train``), or the reader's pair model
(``python -m handdigits.train.pair_model``, bundled with ``--dest src/handdigits/weights/pairs``,
checked on touching pairs of MNIST test digits instead of single ones).

    python scripts/bundle_model.py RUN_DIR [--dest src/handdigits/weights] [--onnx] [--no-quantized] [--data-dir DIR]

``RUN_DIR`` is an output directory of ``python -m handdigits.train`` (a
``metadata.json`` naming the ``.keras`` file, whose SHA-256 it records).  The
script

1. checks the run's model file against its metadata and loads it (``safe_mode``);
2. converts it to TFLite (:func:`handdigits.runtime.convert_to_tflite`) and checks,
   with LiteRT, that the ``.tflite`` agrees with the Keras model to 1e-5 on up to
   1,000 MNIST test images (``--data-dir``, ``$HANDDIGITS_DATA`` or
   ``../shared/data``; seeded noise images when MNIST is absent) plus the bundled
   samples;
3. converts it again with dynamic-range quantization (int8 weights,
   ``tf.lite.Optimize.DEFAULT``; :func:`handdigits.runtime.convert_to_tflite`) into
   ``model-quantized.tflite`` and checks, with LiteRT, that its probabilities are
   within 0.05 of the Keras model's on the same images and, on MNIST, that its
   labels agree on at least 99.5 % of them (the bundled model: 0.010 and 100 %;
   a pair model: within 0.1, its 101 outputs share the probability more finely;
   the bundled one: 0.057 and 99.8 %, and it reads as many validation numbers
   exactly as its float twin, 1,326 of 1,500);
   unless ``--no-quantized``, which removes a stale ``model-quantized.tflite``;
4. with ``--onnx``, exports ONNX with ``model.export(format="onnx")`` and checks it
   the same way with onnxruntime;
5. writes the files into ``--dest`` (the model files first, ``metadata.json`` last,
   each by an atomic rename), recording ``{"file", "sha256"}`` of each format in
   ``metadata.json`` under ``"tflite"`` / ``"tflite_quantized"`` (with its
   ``"method"``) / ``"onnx"``, and removes a stale ``model.onnx`` when ONNX is not
   exported.

Nothing in ``--dest`` changes unless every step succeeds.  Both TFLite
conversions are deterministic (the same ``.keras`` gives the same bytes; checked
for the bundled model with TensorFlow 2.21), so bundling the bundled model again
(``RUN_DIR`` = ``--dest``) leaves ``model.keras`` and ``model.tflite`` as they are.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

REPO = Path(__file__).resolve().parents[1]
TOLERANCE = 1e-5
QUANTIZED_TOLERANCE = {"digits": 0.05, "pairs": 0.1}  # the quantized model's outputs: max |difference| to the Keras model's ...
QUANTIZED_AGREEMENT = 0.995  # ... and the share of its labels that must agree
QUANTIZED_FILE = "model-quantized.tflite"
N_CHECK = 1000


class Check(NamedTuple):
    """What the converted models are checked against: the images, the Keras model's outputs on them, whether
    those are probabilities (else logits) and whether the images are digits (else noise: labels not compared)."""

    images: np.ndarray
    reference: np.ndarray
    probabilities: bool
    digits: bool


def check_images(data_dir, kind: str = "digits") -> tuple[np.ndarray, str]:
    """float32 (N, 28, 28, 1) images for the agreement check, and what they are.

    For a pair model (``kind="pairs"``): (N, 28, 48, 1) touching pairs of MNIST test digits
    (:func:`handdigits.datasets.rendered.touching_pairs`, seed 0).
    """
    from handdigits.datasets import load_mnist
    from handdigits.datasets.rendered import touching_pairs
    from handdigits.preprocess import to_mnist
    from handdigits.runtime import check_kind
    from handdigits.samples import list_samples

    samples = np.stack([to_mnist(p) for p in list_samples()]).astype(np.float32)
    for d in (data_dir, os.environ.get("HANDDIGITS_DATA"), REPO.parent / "shared" / "data"):
        if d:
            try:
                x, y = load_mnist("test", data_dir=d, download=False)
            except (FileNotFoundError, OSError, ValueError):
                continue
            if kind == "pairs":
                px = touching_pairs(x, y, N_CHECK, seed=0)[0].astype(np.float32)
                return px[..., None], f"{N_CHECK} touching pairs of MNIST test digits"
            x = x[:N_CHECK]
            return np.concatenate([x.astype(np.float32), samples])[..., None], f"{len(x)} MNIST test images + samples"
    if kind == "pairs":
        noise = np.random.default_rng(0).random((256, *check_kind(kind)[0]), dtype=np.float32) * 255
        return noise[..., None], "256 noise images (MNIST not found)"
    noise = np.random.default_rng(0).random((256, 28, 28), dtype=np.float32) * 255
    return np.concatenate([noise, samples])[..., None], "256 noise images + samples (MNIST not found)"


def agreement(reference: np.ndarray, other: np.ndarray, what: str) -> float:
    diff = float(np.abs(reference - other).max())
    if other.shape != reference.shape or not diff <= TOLERANCE:
        raise SystemExit(f"error: {what} disagrees with the Keras model: max |difference| {diff:.3g} > {TOLERANCE}")
    return diff


def probabilities_of(out: np.ndarray, probabilities: bool) -> np.ndarray:
    """The model's outputs as probabilities (a softmax of logits)."""
    if probabilities:
        return out
    e = np.exp(out - out.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def quantized_agreement(check: Check, other: np.ndarray, kind: str = "digits") -> str:
    """How the quantized model's probabilities and (on digits) labels agree with the Keras model's; exits when
    they differ by more than ``QUANTIZED_TOLERANCE[kind]`` or its labels agree on less than ``QUANTIZED_AGREEMENT``."""
    tolerance = QUANTIZED_TOLERANCE[kind]
    if other.shape != check.reference.shape:
        raise SystemExit(f"error: {QUANTIZED_FILE} gives outputs of shape {other.shape}, not {check.reference.shape}")
    ref, got = probabilities_of(check.reference, check.probabilities), probabilities_of(other, check.probabilities)
    diff = float(np.abs(ref - got).max())
    agree = float((ref.argmax(1) == got.argmax(1)).mean()) if check.digits else 1.0  # noise has no right label
    if not (agree >= QUANTIZED_AGREEMENT and diff <= tolerance):
        raise SystemExit(f"error: {QUANTIZED_FILE} disagrees with the Keras model: labels agree on {agree:.2%} "
                         f"(need {QUANTIZED_AGREEMENT:.1%}), max |difference| {diff:.3g} (limit {tolerance})")
    labels = f"labels agree on {agree:.2%}" if check.digits else "labels not compared (noise images)"
    return f"{labels}, max |difference| of the probabilities {diff:.2g}"


def write_tflite(stage: Path, model, check: Check, quantized: bool, kind: str = "digits") -> dict:
    """Convert ``model`` into ``stage`` and check it with LiteRT; its ``metadata.json`` entry."""
    from handdigits.runtime import QUANTIZED_METHOD, convert_to_tflite, from_tflite

    path = stage / (QUANTIZED_FILE if quantized else "model.tflite")
    path.write_bytes(convert_to_tflite(model, quantized=quantized))
    out = from_tflite(path.read_bytes(), source=str(path), kind=kind)(check.images)
    size = f"{path.name}: {path.stat().st_size / 1e6:.1f} MB"
    if not quantized:
        print(f"{size}, max |difference| {agreement(check.reference, out, path.name):.2g}")
        return {"file": path.name, "sha256": sha256(path)}
    print(f"{size}, {quantized_agreement(check, out, kind)}")
    return {"file": path.name, "sha256": sha256(path), "method": QUANTIZED_METHOD}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path, help="a handdigits.train output directory (metadata.json + model)")
    parser.add_argument("--dest", type=Path, default=REPO / "src" / "handdigits" / "weights", help="package weights directory")
    parser.add_argument("--onnx", action="store_true", help="also export and bundle model.onnx (needs tf2onnx, onnxruntime)")
    parser.add_argument("--no-quantized", action="store_true", help=f"do not bundle {QUANTIZED_FILE}")
    parser.add_argument("--data-dir", default=None, help="directory holding mnist/ for the agreement check")
    args = parser.parse_args(argv)

    from handdigits.classifier import _load_keras
    from handdigits.runtime import KINDS, from_keras
    from handdigits.weights import METADATA, verified_model_file

    if not args.dest.is_dir():
        parser.error(f"--dest {str(args.dest)!r} is not a directory")
    model_file, metadata = verified_model_file(args.run_dir)  # checks the SHA-256 before loading
    model = _load_keras(model_file, repr(str(model_file)))
    kind = "pairs" if tuple(model.input_shape[1:3]) == KINDS["pairs"][0] else "digits"
    reference_rt = from_keras(model, source=str(model_file), kind=kind)
    images, what = check_images(args.data_dir, kind)
    reference = reference_rt(images)
    check = Check(images, reference, reference_rt.probabilities, digits="MNIST" in what)  # pairs of digits too
    print(f"model: {model_file} ({metadata.get('architecture', {}).get('name', model.name)}), {reference_rt.outputs} outputs")
    print(f"agreement check on {what}")

    metadata = {k: v for k, v in metadata.items() if k not in ("tflite", "tflite_quantized", "onnx")}
    with tempfile.TemporaryDirectory(dir=args.dest.parent, prefix=".bundle-") as tmp:
        stage = Path(tmp)
        shutil.copyfile(model_file, stage / metadata["file"])
        if sha256(stage / metadata["file"]) != metadata["sha256"].lower():
            raise SystemExit(f"error: {model_file} changed while it was copied")

        metadata["tflite"] = write_tflite(stage, model, check, quantized=False, kind=kind)
        if not args.no_quantized:
            metadata["tflite_quantized"] = write_tflite(stage, model, check, quantized=True, kind=kind)

        if args.onnx:
            import onnxruntime

            onnx = stage / "model.onnx"
            model.export(str(onnx), format="onnx", verbose=False)
            session = onnxruntime.InferenceSession(str(onnx), providers=["CPUExecutionProvider"])
            feed = images if len(model.input_shape) == 4 else images[..., 0]
            out = session.run(None, {session.get_inputs()[0].name: feed})[0]
            diff = agreement(reference, out, "model.onnx")
            metadata["onnx"] = {"file": onnx.name, "sha256": sha256(onnx)}
            print(f"model.onnx: {onnx.stat().st_size / 1e6:.1f} MB, max |difference| {diff:.2g}")

        (stage / METADATA).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
        names = [metadata["file"], "model.tflite", *([] if args.no_quantized else [QUANTIZED_FILE]),
                 *(["model.onnx"] if args.onnx else []), METADATA]
        for name in names:  # same file system: each rename is atomic; metadata.json goes last
            os.replace(stage / name, args.dest / name)
            os.chmod(args.dest / name, 0o644)
    for stale, dropped in (("model.onnx", not args.onnx), (QUANTIZED_FILE, args.no_quantized)):
        if dropped and (args.dest / stale).exists():
            (args.dest / stale).unlink()
            print(f"removed a stale {stale}")
    verified_model_file(args.dest)  # the bundled files check out
    print(f"bundled into {args.dest}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

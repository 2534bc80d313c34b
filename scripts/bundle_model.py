"""Bundle a trained run as the package's model: ``.keras`` + ``.tflite`` (+ optional ``.onnx``) + ``metadata.json``.

    python scripts/bundle_model.py RUN_DIR [--dest src/handdigits/weights] [--onnx] [--data-dir DIR]

``RUN_DIR`` is an output directory of ``python -m handdigits.train`` (a
``metadata.json`` naming the ``.keras`` file, whose SHA-256 it records).  The
script

1. checks the run's model file against its metadata and loads it (``safe_mode``);
2. converts it to TFLite (:func:`handdigits.runtime.convert_to_tflite`) and checks,
   with LiteRT, that the ``.tflite`` agrees with the Keras model to 1e-5 on up to
   1,000 MNIST test images (``--data-dir``, ``$HANDDIGITS_DATA`` or
   ``../shared/data``; seeded noise images when MNIST is absent) plus the bundled
   samples;
3. with ``--onnx``, exports ONNX with ``model.export(format="onnx")`` and checks it
   the same way with onnxruntime;
4. writes the files into ``--dest`` (the model files first, ``metadata.json`` last,
   each by an atomic rename), recording ``{"file", "sha256"}`` of each format in
   ``metadata.json`` under ``"tflite"`` / ``"onnx"``, and removes a stale
   ``model.onnx`` when ONNX is not exported.

Nothing in ``--dest`` changes unless every step succeeds.
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

import numpy as np

REPO = Path(__file__).resolve().parents[1]
TOLERANCE = 1e-5
N_CHECK = 1000


def check_images(data_dir) -> tuple[np.ndarray, str]:
    """float32 (N, 28, 28, 1) images for the agreement check, and what they are."""
    from handdigits.datasets import load_mnist
    from handdigits.preprocess import to_mnist
    from handdigits.samples import list_samples

    samples = np.stack([to_mnist(p) for p in list_samples()]).astype(np.float32)
    for d in (data_dir, os.environ.get("HANDDIGITS_DATA"), REPO.parent / "shared" / "data"):
        if d:
            try:
                x = load_mnist("test", data_dir=d, download=False)[0][:N_CHECK]
            except (FileNotFoundError, OSError, ValueError):
                continue
            return np.concatenate([x.astype(np.float32), samples])[..., None], f"{len(x)} MNIST test images + samples"
    noise = np.random.default_rng(0).random((256, 28, 28), dtype=np.float32) * 255
    return np.concatenate([noise, samples])[..., None], "256 noise images + samples (MNIST not found)"


def agreement(reference: np.ndarray, other: np.ndarray, what: str) -> float:
    diff = float(np.abs(reference - other).max())
    if other.shape != reference.shape or not diff <= TOLERANCE:
        raise SystemExit(f"error: {what} disagrees with the Keras model: max |difference| {diff:.3g} > {TOLERANCE}")
    return diff


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path, help="a handdigits.train output directory (metadata.json + model)")
    parser.add_argument("--dest", type=Path, default=REPO / "src" / "handdigits" / "weights", help="package weights directory")
    parser.add_argument("--onnx", action="store_true", help="also export and bundle model.onnx (needs tf2onnx, onnxruntime)")
    parser.add_argument("--data-dir", default=None, help="directory holding mnist/ for the agreement check")
    args = parser.parse_args(argv)

    from handdigits.classifier import _load_keras
    from handdigits.runtime import convert_to_tflite, from_keras, from_tflite
    from handdigits.weights import METADATA, verified_model_file

    if not args.dest.is_dir():
        parser.error(f"--dest {str(args.dest)!r} is not a directory")
    model_file, metadata = verified_model_file(args.run_dir)  # checks the SHA-256 before loading
    model = _load_keras(model_file, repr(str(model_file)))
    reference_rt = from_keras(model, source=str(model_file))
    images, what = check_images(args.data_dir)
    reference = reference_rt(images)
    print(f"model: {model_file} ({metadata.get('architecture', {}).get('name', model.name)}), {reference_rt.outputs} outputs")
    print(f"agreement check on {what}")

    metadata = {k: v for k, v in metadata.items() if k not in ("tflite", "onnx")}
    with tempfile.TemporaryDirectory(dir=args.dest.parent, prefix=".bundle-") as tmp:
        stage = Path(tmp)
        shutil.copyfile(model_file, stage / metadata["file"])
        if sha256(stage / metadata["file"]) != metadata["sha256"].lower():
            raise SystemExit(f"error: {model_file} changed while it was copied")

        tflite = stage / "model.tflite"
        tflite.write_bytes(convert_to_tflite(model))
        diff = agreement(reference, from_tflite(tflite.read_bytes(), source=str(tflite))(images), "model.tflite")
        metadata["tflite"] = {"file": tflite.name, "sha256": sha256(tflite)}
        print(f"model.tflite: {tflite.stat().st_size / 1e6:.1f} MB, max |difference| {diff:.2g}")

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
        names = [metadata["file"], "model.tflite", *(["model.onnx"] if args.onnx else []), METADATA]
        for name in names:  # same file system: each rename is atomic; metadata.json goes last
            os.replace(stage / name, args.dest / name)
            os.chmod(args.dest / name, 0o644)
    if not args.onnx and (args.dest / "model.onnx").exists():
        (args.dest / "model.onnx").unlink()
        print("removed a stale model.onnx")
    verified_model_file(args.dest)  # the bundled files check out
    print(f"bundled into {args.dest}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Model files: find, verify and load the files a :class:`handdigits.Classifier` runs.

- :func:`model_path`: a user's ``.keras`` path, checked, with its SHA-256 (the
  one recorded in a ``metadata.json`` beside it, after checking it, or the
  file's own);
- :func:`verified_tflite`: a ``.tflite`` a ``metadata.json`` records (the
  float32 one, or the quantized one), read and checked against its SHA-256;
- :func:`load_keras`: a ``.keras`` file loaded with ``safe_mode=True`` (never
  pickle), :func:`check_keras_model`: its input and output shapes;
- :func:`keras_bytes` / :func:`keras_from_bytes`: a live ``keras.Model`` as the
  bytes of a ``.keras`` file and back (how a pickled ``Classifier`` carries a
  model that exists only in memory).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from .runtime import check_kind, outputs_text


TFLITE_ENTRIES = {"tflite": "TFLite model", "tflite_quantized": "quantized TFLite model"}


def verified_tflite(directory, metadata, key: str = "tflite") -> bytes | None:
    """The ``.tflite`` recorded in ``metadata[key]`` (``{"file", "sha256", ...}``), checked; ``None`` if none.

    ``key`` is ``"tflite"`` (the float32 model) or ``"tflite_quantized"`` (its
    dynamic-range quantized twin, written by ``scripts/bundle_model.py``).
    """
    from .weights import read_verified, recorded_file

    what = TFLITE_ENTRIES[key]
    entry = (metadata or {}).get(key)
    if entry is None:
        return None
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("file", "sha256")):
        raise ValueError(f"metadata.json in {directory}: '{key}' must be an object with string 'file' and 'sha256'")
    return read_verified(recorded_file(directory, entry, key, what), entry["sha256"], what)


def load_keras(model_file, what: str):
    """Load a ``.keras`` file (Path or Traversable) with ``safe_mode=True``; ``ValueError`` when it cannot be."""
    import zipfile
    from importlib.resources import as_file

    import keras

    with as_file(model_file) as local:
        try:
            return keras.saving.load_model(local, compile=False, safe_mode=True)
        except (ValueError, TypeError, OSError, KeyError, zipfile.BadZipFile) as exc:
            raise ValueError(f"cannot load {what} ({local}): {type(exc).__name__}: {exc}") from exc


def model_path(path) -> tuple[Path, dict | None, str]:
    """``(model file, metadata or None, the file's SHA-256)`` for a ``.keras`` path, checked."""
    from .weights import METADATA, read_metadata, verified_model_file

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {str(path)!r}")
    if path.suffix != ".keras":
        raise ValueError(f"expected a Keras 3 model file ending in .keras, got {str(path)!r}")
    metadata = None
    if (path.parent / METADATA).is_file():
        try:
            names_this_file = read_metadata(path.parent).get("file") == path.name
        except ValueError as exc:
            raise ValueError(f"{path.parent / METADATA} is malformed, so {path.name} cannot be checked: {exc}") from exc
        if names_this_file:
            _, metadata = verified_model_file(path.parent)
    sha256 = metadata["sha256"].lower() if metadata else hashlib.sha256(path.read_bytes()).hexdigest()
    return path, metadata, sha256


def check_keras_model(model, kind: str = "digits"):
    """``model`` itself when it maps ``(N, 28, 28[, 1])`` images to ``(N, 10|11)`` scores, else ``ValueError``.

    ``kind="pairs"``: ``(N, 28, 48[, 1])`` crops to ``(N, 101)`` scores (:data:`handdigits.runtime.KINDS`).
    """
    shape, outputs = check_kind(kind)
    try:
        in_shape, out_shape = tuple(model.input_shape), tuple(model.output_shape)
    except (AttributeError, ValueError, TypeError) as exc:
        raise ValueError(f"model must be a built keras.Model with one input and one output ({exc})") from exc
    if in_shape[1:] not in ((*shape, 1), shape) or out_shape[1:] not in ((n,) for n in outputs):
        h, w = shape
        raise ValueError(
            f"model must map (N, {h}, {w}, 1) or (N, {h}, {w}) images to {outputs_text(outputs)} scores, "
            f"got input {in_shape} and output {out_shape}"
        )
    return model


def keras_bytes(model) -> bytes:
    """The bytes of ``model`` saved as a ``.keras`` file (architecture and current weights)."""
    with tempfile.TemporaryDirectory(prefix="handdigits-") as tmp:
        path = Path(tmp) / "model.keras"
        model.save(path)
        return path.read_bytes()


def keras_from_bytes(data: bytes, what: str, kind: str = "digits"):
    """The ``keras.Model`` in the bytes of a ``.keras`` file (loaded with ``safe_mode=True``), checked."""
    with tempfile.TemporaryDirectory(prefix="handdigits-") as tmp:
        path = Path(tmp) / "model.keras"
        path.write_bytes(data)
        return check_keras_model(load_keras(path, what), kind)

"""Writing a classifier's model to a file: ``.keras``, SavedModel, TFLite or ONNX (see :meth:`Classifier.export`).

The file is written beside its destination under a temporary name and moved
into place at the end, so a failed export leaves nothing behind and never a
half-written file at ``path``.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from .validation import check_bool, check_choice, describe

EXPORT_FORMATS = ("keras", "saved_model", "tflite", "onnx")


def _destination(path, format: str, overwrite: bool) -> Path:
    """``path`` as a ``Path`` after checking it can take an export of ``format``."""
    check_choice(format, "format", EXPORT_FORMATS)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {describe(path)}")
    check_bool(overwrite, "overwrite")
    path = Path(path)
    if format == "keras" and path.suffix != ".keras":
        raise ValueError(f"a Keras model file must end in .keras, got {str(path)!r}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot export to {str(path)!r}: directory {str(path.parent)!r} does not exist")
    if path.exists() or path.is_symlink():
        if not overwrite:
            raise FileExistsError(f"{str(path)!r} exists; pass overwrite=True to replace it")
        if path.is_dir() and not (format == "saved_model" and (path / "saved_model.pb").is_file()):
            raise FileExistsError(f"{str(path)!r} is a directory that is not a SavedModel; not replacing it")
    return path


def _write(adapter, tmp: Path, format: str) -> None:
    if format == "tflite":
        tmp.write_bytes(adapter.tflite_bytes())
    elif format == "keras":
        adapter.keras_model().save(tmp)
    else:
        kind = "tf_saved_model" if format == "saved_model" else format
        adapter.keras_model().export(str(tmp), format=kind, verbose=False)


def export_model(adapter, path, format: str = "keras", *, overwrite: bool = False) -> Path:
    """Write the model of ``adapter`` (a :class:`handdigits.adapter.ModelAdapter`) to ``path``; return it."""
    path = _destination(path, format, overwrite)
    suffix = ".keras" if format == "keras" else ""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp{suffix}")
    try:
        _write(adapter, tmp, format)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()
    return path

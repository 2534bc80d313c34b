"""The user's own labelled digits as training data: an image folder or a pair of IDX files.

:func:`load_labelled` is what ``handdigits train --extra-data DIR_OR_IDX_PAIR`` reads.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .checksums import sha256_arrays
from .folder import load_image_folder
from .idx import read_idx

#: failures kept in ``info["refused_examples"]``
MAX_EXAMPLES = 10


def parse_spec(spec) -> tuple[str, tuple[Path, ...]]:
    """``("folder", (dir,))`` or ``("idx", (images, labels))`` for a :func:`load_labelled` spec."""
    if isinstance(spec, (tuple, list)) and len(spec) == 2 and all(isinstance(s, (str, os.PathLike)) for s in spec):
        return "idx", (Path(spec[0]), Path(spec[1]))
    if not isinstance(spec, (str, os.PathLike)):
        raise TypeError(f"labelled data must be a folder, 'IMAGES,LABELS' (two IDX files) or a pair of paths, "
                        f"got {type(spec).__name__}")
    text = os.fspath(spec)
    if "," in text and not Path(text).exists():
        images, labels = (part.strip() for part in text.split(",", 1))
        if not images or not labels:
            raise ValueError(f"labelled data {text!r}: expected 'IMAGES,LABELS' (two IDX files), one side is empty")
        return "idx", (Path(images), Path(labels))
    path = Path(text)
    if path.is_file():
        raise ValueError(f"labelled data {text!r} is one file; give a folder with sub-folders 0-9, or "
                         "'IMAGES,LABELS' (an IDX images file and its IDX labels file)")
    return "folder", (path,)


def load_labelled(spec, *, progress: bool = False) -> tuple[np.ndarray, np.ndarray, dict]:
    """Labelled digits in MNIST format from a folder or an IDX pair: ``(images, labels, info)``.

    ``spec`` is a folder in the layout of :func:`load_image_folder` (sub-folders ``0``-``9``),
    a string ``"IMAGES,LABELS"`` naming an IDX images file and its IDX labels file (``.gz`` or
    not), or a pair of such paths.  Folder images are brought to MNIST format by
    :func:`handdigits.preprocess.to_mnist_batch` (as the classifier does before predicting);
    images it refuses (no ink found, ...) are left out and counted.  IDX images must already
    be MNIST format: uint8 ``(N, 28, 28)``, white ink on black.

    Returns ``images`` uint8 ``(N, 28, 28)``, ``labels`` int64 ``(N,)`` in 0-9 and ``info``, a
    JSON-compatible dict: ``name`` (the folder's or images file's name), ``kind`` (``"folder"`` or
    ``"idx"``), ``files`` (names, no directories), ``n``, ``counts`` (images per digit),
    ``refused`` (folder images left out) with up to ten ``refused_examples``, and ``sha256``
    of the returned images and labels.

    >>> x, y, info = load_labelled("my-digits")                    # doctest: +SKIP
    >>> x.shape, info["counts"], info["sha256"][:8]                 # doctest: +SKIP
    ((118, 28, 28), [12, 12, 11, ...], '3f1c...')
    """
    kind, paths = parse_spec(spec)
    info: dict = {"name": paths[0].name, "kind": kind, "files": [p.name for p in paths]}
    if kind == "folder":
        x, y = _from_folder(paths[0], info, progress)
    else:
        x, y = _from_idx(*paths)
    info.update(n=int(len(y)), counts=np.bincount(y, minlength=10).tolist(), sha256=sha256_arrays(x, y))
    return x, y, info


def _from_folder(path: Path, info: dict, progress: bool):
    from ..preprocess import to_mnist_batch

    from .folder import image_files

    images, labels = load_image_folder(path, progress=progress)
    prepared = to_mnist_batch(images, errors="mark")
    ok = np.asarray(prepared.ok, dtype=bool)
    if not ok.any():
        raise ValueError(f"image folder {str(path)!r}: no image could be brought to MNIST format "
                         f"(first: {prepared.reasons[0]})")
    files, _ = image_files(path)
    info["refused"] = int((~ok).sum())
    info["refused_examples"] = [
        {"file": str(files[i].relative_to(path)), "reason": prepared.reasons[i]}
        for i in np.flatnonzero(~ok)[:MAX_EXAMPLES]
    ]
    return np.ascontiguousarray(prepared.images[ok], dtype=np.uint8), labels[ok]


def _from_idx(images_path: Path, labels_path: Path):
    for p in (images_path, labels_path):
        if not p.is_file():
            raise FileNotFoundError(f"labelled data: IDX file {str(p)!r} does not exist")
    x = read_idx(images_path, ndim=3)
    y = read_idx(labels_path, ndim=1)
    if x.dtype != np.uint8 or x.shape[1:] != (28, 28):
        raise ValueError(f"{images_path}: expected MNIST-format images, uint8 (N, 28, 28), got {x.dtype} {x.shape}; "
                         "for other images use a folder (they are then preprocessed)")
    if len(x) != len(y):
        raise ValueError(f"{images_path} holds {len(x)} images but {labels_path} holds {len(y)} labels")
    if not np.issubdtype(y.dtype, np.integer) or len(y) and (y.min() < 0 or y.max() > 9):
        raise ValueError(f"{labels_path}: labels must be digits 0-9, got {y.dtype} values "
                         f"{y.min() if len(y) else '-'}..{y.max() if len(y) else '-'}")
    if not len(y):
        raise ValueError(f"{images_path}: holds no images")
    return x, y.astype(np.int64)


__all__ = ["load_labelled", "parse_spec"]

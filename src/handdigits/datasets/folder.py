"""Labelled images in a folder, one sub-folder per digit (the layout of torchvision's ``ImageFolder``).

::

    my-digits/
      0/  scan-001.png  scan-017.jpg ...
      1/  ...
      ...
      9/  ...

Sub-folders are named ``0`` to ``9`` after the digit their images show; not every digit needs a
sub-folder, but a sub-folder must hold at least one image.  Images may be of any size and kind
Pillow reads (photos, scans, MNIST-style crops), and may sit in nested folders below their digit.
Names starting with ``.`` are ignored, as are files directly in the top folder (a README, say).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

#: accepted sub-folder names, and the label each stands for (its index)
CLASSES = tuple(str(d) for d in range(10))


def image_files(path: str | os.PathLike) -> tuple[list[Path], np.ndarray]:
    """``(files, labels)`` of an image folder, in label then path order, without reading the images.

    Raises ``FileNotFoundError`` / ``NotADirectoryError`` for a missing path or a file, and
    ``ValueError`` naming the folder for a bad layout: sub-folders not named 0-9, no sub-folder
    at all, or an empty one.
    """
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"image folder {str(root)!r} does not exist")
    if not root.is_dir():
        raise NotADirectoryError(f"image folder {str(root)!r} is a file; expected a folder with sub-folders 0-9")
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    unknown = [p.name for p in subdirs if p.name not in CLASSES]
    if unknown:
        raise ValueError(
            f"image folder {str(root)!r}: sub-folders must be named after the digit their images show "
            f"(0 to 9); unexpected: {', '.join(repr(n) for n in unknown)}"
        )
    if not subdirs:
        raise ValueError(
            f"image folder {str(root)!r} has no sub-folders; expected one per digit, named 0 to 9 "
            f"(e.g. {str(root / '3' / 'scan-001.png')!r}), as for torchvision's ImageFolder"
        )
    files: list[Path] = []
    labels: list[int] = []
    for sub in subdirs:
        found = sorted(
            p for p in sub.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(sub).parts)
        )
        if not found:
            raise ValueError(f"image folder {str(root)!r}: sub-folder {sub.name!r} holds no files; "
                             "add images of that digit or remove it")
        files += found
        labels += [CLASSES.index(sub.name)] * len(found)
    return files, np.asarray(labels, dtype=np.int64)


def load_image_folder(path: str | os.PathLike, *, progress: bool = False) -> tuple[list[np.ndarray], np.ndarray]:
    """Read a folder of labelled images: ``(images, labels)``.

    ``images`` is a list of numpy arrays as decoded (``(H, W)`` greyscale, or ``(H, W, 4)`` when
    the file has transparency; EXIF orientation applied), not preprocessed: pass them to
    :meth:`handdigits.Classifier.predict` or :func:`handdigits.preprocess.to_mnist`.
    ``labels`` is int64 ``(N,)``, the digit of each image's sub-folder.  See the module
    docstring for the layout; ``progress`` shows a progress bar (tqdm) while decoding.

    Raises ``ValueError`` naming the file for an image that cannot be decoded, and the
    errors of :func:`image_files` for a bad layout.

    >>> images, labels = load_image_folder("my-digits")          # doctest: +SKIP
    >>> len(images), labels[:3]                                  # doctest: +SKIP
    (120, array([0, 0, 0]))
    """
    from tqdm.auto import tqdm

    from ..validation import check_images

    files, labels = image_files(path)
    images = []
    for file in tqdm(files, desc=f"reading {Path(path).name}", unit="img", disable=not progress, leave=False):
        decoded, _ = check_images(file, name="labelled image")
        images.append(decoded[0])
    return images, labels


__all__ = ["CLASSES", "image_files", "load_image_folder"]

"""Sample digit images shipped with the package (for demos, docs and tests).

Real handwritten digits from the MNIST *test* set (never used for training),
re-rendered by ``scripts/make_samples.py`` as photos, scans and screenshots:
dark ink on light paper and light on dark, paper texture, uneven lighting,
noise, off-centre placement, PNG and JPEG, sizes from 48 px to 400 px.  Each
file name starts with the true digit, e.g. ``7-paper-photo.jpg``.

MNIST (Y. LeCun, C. Cortes, C. J. C. Burges) is available under CC BY-SA 3.0.

>>> from handdigits.samples import list_samples, true_digit
>>> [true_digit(p) for p in list_samples()]
[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
"""

from __future__ import annotations

from importlib.resources import files

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def list_samples() -> list:
    """Paths of the bundled sample images, sorted by name.

    Each entry is an :mod:`importlib.resources` Traversable -- a
    ``pathlib.Path`` when the package is installed as files (the usual case).
    Every ``handdigits`` function that takes an image path accepts them.
    """
    return sorted(
        (p for p in files(__name__).iterdir() if p.is_file() and p.name.lower().endswith(IMAGE_SUFFIXES)),
        key=lambda p: p.name,
    )


def true_digit(path) -> int:
    """The digit a sample shows, read from its file name (``"7-paper-photo.jpg"`` -> 7)."""
    name = getattr(path, "name", None) or str(path).replace("\\", "/").rsplit("/", 1)[-1]
    if not name[:1].isdigit() or name[1:2] != "-":
        raise ValueError(f"not a sample name of the form '<digit>-<description>.<ext>': {name!r}")
    return int(name[0])

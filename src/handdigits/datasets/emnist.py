"""EMNIST (Cohen et al., 2017): NIST handwriting in MNIST format.  ``digits``: 240,000 train + 40,000 test."""

from __future__ import annotations

import os

import numpy as np

from .idx import read_idx
from .paths import data_home

SUBSETS = ("digits", "mnist")
SPLITS = ("train", "test")


def load_emnist(split: str = "train", subset: str = "digits", data_dir=None, download: bool = True):
    """Load an EMNIST subset as ``(images uint8 (N, 28, 28), labels uint8 (N,))`` in MNIST orientation."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {list(SPLITS)}")
    if subset not in SUBSETS:
        raise ValueError(f"unknown subset {subset!r}; expected one of {list(SUBSETS)}")
    directory = data_home(data_dir) / "emnist"
    found = []
    for kind in ("images-idx3", "labels-idx1"):
        name = f"emnist-{subset}-{split}-{kind}-ubyte"
        for candidate in (directory / f"{name}.gz", directory / name):
            if candidate.exists():
                found.append(candidate)
                break
        else:
            raise FileNotFoundError(f"EMNIST unavailable: {name}[.gz] not found in {directory}")
    images = read_idx(found[0], ndim=3)
    labels = read_idx(found[1], ndim=1)
    if len(images) != len(labels):
        raise ValueError(f"{directory}: {len(images)} images but {len(labels)} labels")
    # EMNIST stores images transposed relative to MNIST
    return np.ascontiguousarray(images.transpose(0, 2, 1)).astype(np.uint8), labels.astype(np.uint8)

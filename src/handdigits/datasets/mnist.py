"""The MNIST handwritten digits (LeCun, Cortes & Burges), 60,000 train + 10,000 test."""

from __future__ import annotations

import os

import numpy as np

from .idx import read_idx
from .paths import data_home

SPLITS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _check_split(split: str) -> tuple[str, str]:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {sorted(SPLITS)}")
    return SPLITS[split]


def load_mnist(split: str = "train", data_dir: str | os.PathLike | None = None, download: bool = True):
    """Load MNIST as ``(images, labels)``.

    Returns ``images`` uint8 ``(N, 28, 28)`` in [0, 255] (white ink on black) and
    ``labels`` uint8 ``(N,)`` in [0, 9]; N is 60,000 for ``"train"`` and 10,000
    for ``"test"``.
    """
    image_name, label_name = _check_split(split)
    directory = data_home(data_dir) / "mnist"
    paths = []
    for name in (image_name, label_name):
        for candidate in (directory / f"{name}.gz", directory / name):
            if candidate.exists():
                paths.append(candidate)
                break
        else:
            raise FileNotFoundError(f"{name}[.gz] not found in {directory}")
    images = read_idx(paths[0], ndim=3)
    labels = read_idx(paths[1], ndim=1)
    if len(images) != len(labels):
        raise ValueError(f"{directory}: {len(images)} images but {len(labels)} labels")
    return images.astype(np.uint8, copy=False), labels.astype(np.uint8, copy=False)

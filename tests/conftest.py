"""Shared fixtures.

Real MNIST files are looked up in ``$HANDDIGITS_DATA`` or ``../shared/data``
(relative to the repository root); tests that need them skip with a clear
reason when they are absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _real_data_dir() -> Path | None:
    for candidate in (os.environ.get("HANDDIGITS_DATA"), REPO.parent / "shared" / "data"):
        if not candidate:
            continue
        d = Path(candidate)
        if all((d / "mnist" / f"{name}.gz").exists() or (d / "mnist" / name).exists() for name in MNIST_FILES):
            return d
    return None


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Keep caches the library writes (e.g. converted TFLite models) out of the user's home."""
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """Directory holding the real MNIST files (``<dir>/mnist/*``); skips when absent."""
    d = _real_data_dir()
    if d is None:
        pytest.skip("real MNIST files not found: set HANDDIGITS_DATA or provide ../shared/data/mnist")
    return d


@pytest.fixture(scope="session")
def mnist_test(real_data_dir):
    """The real MNIST test set ``(images (10000, 28, 28) uint8, labels (10000,) uint8)``."""
    from handdigits.datasets import load_mnist

    return load_mnist("test", data_dir=real_data_dir, download=False)

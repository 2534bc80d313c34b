"""Shared fixtures.

Real MNIST files are looked up in ``$HANDDIGITS_DATA``, in ``../shared/data``
(relative to the repository root) and in the library's default data directory
(``~/.cache/handdigits``, where ``handdigits.datasets.load_mnist`` downloads
them); tests that need them skip with a reason that says how to get them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from handdigits.datasets.paths import cache_home

try:  # hypothesis is in the test extra; without it the property tests skip themselves
    from hypothesis import settings
except ImportError:  # pragma: no cover
    settings = None
else:
    # On CI (CI=true, 2 shared cores) a property test's examples can exceed hypothesis' 200 ms
    # per-example deadline for reasons unrelated to the code: no deadline there.  Tests that set
    # their own deadline keep it.
    settings.register_profile("ci", deadline=None)
    if os.environ.get("CI"):
        settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
# read now: the session fixture below points XDG_CACHE_HOME at a temporary directory
USER_DATA_DIR = cache_home()
MISSING_MNIST = (
    "real MNIST files not found in $HANDDIGITS_DATA, ../shared/data or {user}; get them (11 MB) with "
    "python -c \"import handdigits.datasets as d; d.load_mnist('train', download=True); "
    "d.load_mnist('test', download=True)\" or set HANDDIGITS_DATA to a directory holding mnist/"
)


def _data_dir_candidates() -> list[Path]:
    env = os.environ.get("HANDDIGITS_DATA")
    return [Path(p) for p in (env, REPO.parent / "shared" / "data", USER_DATA_DIR) if p]


def _real_data_dir() -> Path | None:
    for d in _data_dir_candidates():
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
def fresh_python():
    """``run(code, *args)``: run Python ``code`` in a fresh interpreter with ``sys.argv[1:] == args`` (the
    test fails on a non-zero exit) and return the JSON value printed on its last line (e.g. which heavy
    modules got imported)."""

    def run(code: str, *args: str):
        proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"subprocess failed ({proc.returncode}):\n{proc.stderr}"
        return json.loads(proc.stdout.strip().splitlines()[-1])

    return run


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """Directory holding the real MNIST files (``<dir>/mnist/*``); skips when absent."""
    d = _real_data_dir()
    if d is None:
        pytest.skip(MISSING_MNIST.format(user=USER_DATA_DIR))
    return d


@pytest.fixture(scope="session")
def mnist_test(real_data_dir):
    """The real MNIST test set ``(images (10000, 28, 28) uint8, labels (10000,) uint8)``."""
    from handdigits.datasets import load_mnist

    return load_mnist("test", data_dir=real_data_dir, download=False)

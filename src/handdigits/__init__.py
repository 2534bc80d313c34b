"""handdigits: handwritten digit recognition that works on real images.

The top-level package is deliberately light: ``import handdigits`` does not
import TensorFlow.  Heavy objects (``Classifier``, ``benchmark``) are loaded on
first access.
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0"

# public name -> "module:attribute" (resolved lazily, PEP 562)
_LAZY = {
    "Classifier": "handdigits.classifier:Classifier",
    "benchmark": "handdigits.benchmark:benchmark",
    "BenchmarkResult": "handdigits.benchmark:BenchmarkResult",
    "to_mnist": "handdigits.preprocess:to_mnist",
}
_SUBMODULES = {"datasets", "transforms", "models", "preprocess", "train", "cli"}

__all__ = sorted([*_LAZY, *_SUBMODULES, "__version__"])


def __getattr__(name: str):
    if name in _LAZY:
        module_name, attr = _LAZY[name].split(":")
        value = getattr(importlib.import_module(module_name), attr)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f"handdigits.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'handdigits' has no attribute {name!r}")


def __dir__():
    return __all__

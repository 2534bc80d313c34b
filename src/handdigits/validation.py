"""The one place where user inputs (arrays and parameters) are checked.

Every public function that accepts images or numeric parameters goes through
these helpers, so error messages are consistent: they say what was received
and what is accepted.
"""

from __future__ import annotations

import numbers

import numpy as np


def describe(x) -> str:
    """A short description of ``x`` for error messages."""
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__}"


def check_image_array(x, *, min_ndim: int = 2, max_ndim: int = 4, name: str = "image") -> np.ndarray:
    """Validate a numeric image array and return it as a numpy array.

    Accepts real integer, boolean or floating dtypes with ``min_ndim``..``max_ndim``
    dimensions, no zero-sized axis and only finite values.
    """
    if not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x)
        except Exception as exc:  # noqa: BLE001 - anything numpy refuses is a type error here
            raise TypeError(f"{name}: expected a numeric array, got {describe(x)}") from exc
    if x.dtype == bool:
        x = x.astype(np.uint8) * 255
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise TypeError(
            f"{name}: expected a real numeric array (uint8 or float), got {describe(x)}"
        )
    if not min_ndim <= x.ndim <= max_ndim:
        raise ValueError(
            f"{name}: expected {min_ndim} to {max_ndim} dimensions "
            f"((H, W), (H, W, C) or a batch (N, H, W[, C])), got {describe(x)}"
        )
    if x.size == 0:
        raise ValueError(f"{name}: got an empty {describe(x)}")
    if np.issubdtype(x.dtype, np.floating) and not np.isfinite(x).all():
        raise ValueError(f"{name}: contains NaN or infinite values ({describe(x)})")
    return x


def check_number(value, name: str, *, low=None, high=None, low_open: bool = False) -> float:
    """Validate a real scalar parameter in ``[low, high]`` (``(low, high]`` if ``low_open``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    value = float(value)
    if low is not None and (value < low or (low_open and value == low)):
        bound = f"> {low}" if low_open else f">= {low}"
        raise ValueError(f"{name} must be {bound}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_range(value, name: str, *, low=None, high=None) -> tuple[float, float]:
    """Validate a ``(min, max)`` pair of numbers with ``min <= max`` inside ``[low, high]``."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(f"{name} must be a (min, max) pair, got {value!r}")
    a = check_number(value[0], f"{name}[0]", low=low, high=high)
    b = check_number(value[1], f"{name}[1]", low=low, high=high)
    if a > b:
        raise ValueError(f"{name} must have min <= max, got {value!r}")
    return a, b


def check_probability(p, name: str = "p") -> float:
    return check_number(p, name, low=0.0, high=1.0)

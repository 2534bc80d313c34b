"""Error rates with confidence intervals (shared by training and the benchmark)."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .validation import check_number, describe


def _check_count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer count, got {value!r} ({describe(value)})")
    return int(value)


def wilson_interval(errors: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval for an error proportion ``errors / n``, as fractions in [0, 1].

    ``errors`` and ``n`` are integer counts with ``0 <= errors <= n`` and
    ``n > 0``; the default ``z`` (the 97.5 % standard normal quantile) gives a
    95 % interval.  Returns ``(lower, upper)`` with ``lower <= errors / n <= upper``.
    """
    n = _check_count(n, "n")
    errors = _check_count(errors, "errors")
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    if not 0 <= errors <= n:
        raise ValueError(f"errors must be in [0, n={n}], got {errors}")
    z = check_number(z, "z", low=0.0, low_open=True)
    p = errors / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # exact bounds at 0 and n errors (0 and 1 analytically; rounding could put them on the wrong side of p)
    lower = 0.0 if errors == 0 else min(p, max(0.0, centre - half))
    upper = 1.0 if errors == n else max(p, min(1.0, centre + half))
    return lower, upper


def error_summary(predicted, labels) -> dict:
    """``{"n", "errors", "error_pct", "ci95_pct"}`` for predicted vs true labels.

    ``predicted`` and ``labels`` are integer class labels with the same number
    of elements (any shape, flattened; e.g. ``(N,)``).  ``error_pct`` and the
    95 % Wilson interval ``ci95_pct = [lower, upper]`` are percentages.
    """
    predicted = np.asarray(predicted)
    labels = np.asarray(labels)
    if predicted.size != labels.size:
        raise ValueError(
            f"{predicted.size} predictions (shape {predicted.shape}) for {labels.size} labels (shape {labels.shape})"
        )
    if labels.size == 0:
        raise ValueError("error_summary: got no labels (empty arrays)")
    n = int(labels.size)
    errors = int(np.count_nonzero(predicted.reshape(-1) != labels.reshape(-1)))
    lo, hi = wilson_interval(errors, n)
    return {"n": n, "errors": errors, "error_pct": 100.0 * errors / n, "ci95_pct": [100.0 * lo, 100.0 * hi]}


def expected_calibration_error(proba, labels, bins: int = 15) -> float:
    """Expected calibration error, in percent (Guo et al., 2017; equal-width bins of confidence).

    ``proba`` is ``(N, C)`` class probabilities, ``labels`` ``(N,)`` true classes.
    The confidence of each answer is its top probability; the ECE is the
    mean over bins of ``|accuracy - mean confidence|`` weighted by the bin's
    share of the answers.  0 for a perfectly calibrated model.
    """
    proba = np.asarray(proba, dtype=np.float64)
    labels = np.asarray(labels).reshape(-1)
    if proba.ndim != 2 or proba.shape[0] != labels.size or labels.size == 0:
        raise ValueError(f"expected probabilities (N, C) and N labels, got shapes {proba.shape} and {labels.shape}")
    bins = _check_count(bins, "bins")
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == labels
    which = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)  # bin b holds (b/bins, (b+1)/bins]
    total = 0.0
    for b in range(bins):
        sel = which == b
        if sel.any():
            total += sel.sum() * abs(correct[sel].mean() - confidence[sel].mean())
    return 100.0 * total / labels.size

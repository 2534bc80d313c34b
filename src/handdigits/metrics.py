"""Error rates with confidence intervals (shared by training and the benchmark)."""

from __future__ import annotations

import math

import numpy as np


def wilson_interval(errors: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95 % Wilson score interval for an error proportion ``errors / n`` (as fractions)."""
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    if not 0 <= errors <= n:
        raise ValueError(f"errors must be in [0, n={n}], got {errors}")
    p = errors / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def error_summary(predicted, labels) -> dict:
    """``{"n", "errors", "error_pct", "ci95_pct"}`` for predicted vs true labels."""
    predicted = np.asarray(predicted).reshape(-1)
    labels = np.asarray(labels).reshape(-1)
    if predicted.shape != labels.shape:
        raise ValueError(f"{predicted.shape[0]} predictions for {labels.shape[0]} labels")
    n = int(labels.size)
    errors = int(np.count_nonzero(predicted != labels))
    lo, hi = wilson_interval(errors, n)
    return {"n": n, "errors": errors, "error_pct": 100.0 * errors / n, "ci95_pct": [100.0 * lo, 100.0 * hi]}

"""What the glyph templates share: the proportion sampler and closed loops."""

from __future__ import annotations

import numpy as np

from ..pen import arc

U = np.random.Generator


def _u(rng: U, a: float, b: float) -> float:
    """One proportion drawn uniformly from ``[a, b)``."""
    return float(rng.uniform(a, b))


def _loop(c, r, start, turn):
    """A closed loop: ``turn`` degrees (±360 plus some overlap) from ``start``."""
    return arc(c, r, start, start + turn)

"""Step 4 of reading: candidate cuts through components that may hold touching digits.

Cut columns are the minima of a component's column ink profile taken along
the writing's slant (:func:`_slant`); each cut then bends row by row to cross
as little ink as it can (a drop-fall style least-ink path, :func:`_split`).
"""

from __future__ import annotations

import numpy as np

_CUT_MARGIN = 0.1  # no cut closer than this many line heights to a group's ends
_CUT_SPACING = 0.15  # cuts at least this many line heights apart
_CUT_DENSITY = 0.2  # at most one cut per this many line heights of width


def _slant(mask: np.ndarray) -> float:
    """The shear (x per y, about the centre row) that makes the column profile of the ink sharpest."""
    ys, xs = np.nonzero(mask)
    if len(ys) < 20:
        return 0.0
    yc = ys.mean()
    best, best_s = 0.0, -1.0
    for s in np.linspace(-0.45, 0.45, 19):
        cols = np.rint(xs - s * (ys - yc)).astype(np.int64)
        prof = np.bincount(cols - cols.min(), minlength=1).astype(np.float64)
        score = float((prof**2).sum())
        if score > best_s * (1 + 1e-9):
            best, best_s = float(s), score
    return best


def _cuts(cols: np.ndarray, c0: float, width: float, H: float) -> list[float]:
    """Candidate cut columns (sheared coordinates) of a wide group: minima of its column ink profile."""
    b = np.floor(cols - c0).astype(np.int64)
    prof = np.bincount(b, minlength=int(width) + 1).astype(np.float64)
    k = max(1, int(round(0.04 * H)))
    sm = np.convolve(prof, np.ones(2 * k + 1) / (2 * k + 1), mode="same")
    margin = max(2, int(_CUT_MARGIN * H))
    cand = []
    for x in range(margin, len(sm) - margin):
        if sm[x] <= sm[x - 1] and sm[x] <= sm[x + 1]:
            cand.append((sm[x], x))
    cand.sort()
    chosen = []
    limit = max(1, int(width / (_CUT_DENSITY * H)))
    for val, x in cand:
        if all(abs(x - y) >= _CUT_SPACING * H for y in chosen):
            chosen.append(x)
        if len(chosen) >= limit:
            break
    return sorted(c0 + x + 0.5 for x in chosen)


def _split(ys: np.ndarray, xs: np.ndarray, cuts: list[float], slant: float, yc: float, H: float) -> np.ndarray:
    """Which piece (0 .. len(cuts)) each pixel of a group falls in, cut along least-ink paths.

    Each cut starts as the line of the writing's slant through its column; a
    dynamic programme over the rows then lets it bend (one pixel per row, at
    most ``0.25 H`` from that line) to cross as little ink as it can, like a
    drop-fall cut: touching digits are separated at their junction, and a
    digit nested under its neighbour's overhang is not sliced.
    """
    y0, x0 = ys.min(), xs.min() - 1
    gh, gw = ys.max() - y0 + 1, xs.max() - x0 + 2
    m = np.zeros((gh, gw + 1))
    m[ys - y0, xs - x0] = 1.0
    r = max(2.0, 0.25 * H)
    rows = np.arange(gh)[:, None] + y0
    grid = np.arange(gw + 1)[None, :] + x0
    side = np.zeros(len(ys), np.int64)
    prev = None
    for c in cuts:
        centre = np.clip(c + slant * (rows - yc), x0, x0 + gw)
        off = np.abs(grid - centre)
        path = _least_ink_path(np.where(off <= r, m + 0.1 * off / r, np.inf)) + x0
        if prev is not None:
            path = np.maximum(path, prev)  # cuts never cross
        side += xs > path[ys - y0]
        prev = path
    return side


def _least_ink_path(cost: np.ndarray) -> np.ndarray:
    """The column per row of the cheapest top-to-bottom path through ``cost`` (moving at most 1 column a row).

    A step sideways costs 0.02 more; ties go to the left, then straight down.
    """
    gh, gw = cost.shape
    d = cost[0].copy()
    choice = np.empty((gh, gw), np.int8)
    side = np.empty(gw)
    for y in range(1, gh):
        k = choice[y]
        best = np.empty(gw)
        best[0] = np.inf
        np.add(d[:-1], 0.02, out=best[1:])  # from the left
        k[:] = 0
        better = d < best
        best[better] = d[better]
        k[better] = 1
        side[-1] = np.inf
        np.add(d[1:], 0.02, out=side[:-1])  # from the right
        better = side < best
        best[better] = side[better]
        k[better] = 2
        d = best + cost[y]
    x = int(np.argmin(d))
    path = np.empty(gh, np.int64)
    for y in range(gh - 1, -1, -1):
        path[y] = x
        x = min(max(x + int(choice[y, x]) - 1, 0), gw - 1)
    return path

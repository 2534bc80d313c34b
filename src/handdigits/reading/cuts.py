"""Step 4 of reading: candidate cuts through components that may hold touching digits.

A cut is a path from the top of a component to its bottom (one column per
row, moving at most one column a row) that crosses as little ink as it can.
For every column of the component's middle row, the least ink crossed by such
a path through it comes from one dynamic-programming pass down and one up
(:func:`_sweep`); the cuts are the local minima of that cost, cheapest first
(:func:`_path_cuts`), so two digits are cut where they meet, wherever that is
(a 5's top bar on a 7's, a 3's bulge inside a 0); a path pays a little for
each sideways step, so it bends through a gap between strokes rather than
cross one.  :func:`_slant` finds the writing's slant, along which candidates
are ordered and measured.
"""

from __future__ import annotations

import numpy as np

_CUT_MARGIN = 0.1  # no cut closer than this many line heights to a group's ends
_CUT_SPACING = 0.15  # cuts at least this many line heights apart
_CUT_DENSITY = 0.3  # at most one cut per this many line heights of width
_SIDE = 0.2  # cost of a cut's sideways step (each pixel of ink it crosses costs 1)


def _slant(mask: np.ndarray) -> float:
    """The shear (x per y, about the centre row) that makes the column profile of the ink sharpest."""
    return _slant_of(*np.nonzero(mask))


def _slant_of(ys: np.ndarray, xs: np.ndarray) -> float:
    """:func:`_slant` of the ink pixels ``(ys, xs)``."""
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


def _sweep(cost: np.ndarray) -> np.ndarray:
    """``d[..., y, x]``: the least cost of a path from the top row to ``(y, x)``, one column a row at most.

    The path pays ``cost`` of every pixel it enters and :data:`_SIDE` for each
    sideways step.  ``cost`` is ``(gh, gw)`` or a stack ``(k, gh, gw)`` swept
    together (one loop over the rows for all of :func:`_path_cuts`).
    """
    gh, gw = cost.shape[-2:]
    d = np.empty(cost.shape)
    d[..., 0, :] = cost[..., 0, :]
    for y in range(1, gh):
        prev = d[..., y - 1, :]
        best = prev.copy()
        np.minimum(best[..., 1:], prev[..., :-1] + _SIDE, out=best[..., 1:])
        np.minimum(best[..., :-1], prev[..., 1:] + _SIDE, out=best[..., :-1])
        d[..., y, :] = best + cost[..., y, :]
    return d


def _step(d: np.ndarray, x: int) -> int:
    """The column among ``x - 1, x, x + 1`` with the least ``d`` (a sideways step costs :data:`_SIDE` more)."""
    best, best_x = d[x], x
    for nx in (x - 1, x + 1):
        if 0 <= nx < len(d) and d[nx] + _SIDE < best:
            best, best_x = d[nx] + _SIDE, nx
    return best_x


def _path_cuts(groups: list[tuple[np.ndarray, np.ndarray]], H: float) -> list[list[np.ndarray]]:
    """Cut paths of component groups, each given by its ink pixels ``(ys, xs)``: per group, left to right.

    Each path gives the cut's column (in pixels) for every row from
    ``ys.min()`` to ``ys.max()``; a pixel right of it is right of the cut.
    All groups are swept in one pass (:func:`_sweep` of a stack, each group's
    ink padded with impassable cells): a photo's few wide groups cost one
    loop over the rows, not one each.
    """
    if not groups:
        return []
    grids = []
    for ys, xs in groups:
        y0, x0 = ys.min(), xs.min() - 1
        m = np.zeros((ys.max() - y0 + 1, xs.max() - x0 + 2))
        m[ys - y0, xs - x0] = 1.0
        grids.append((m, x0))
    stack = np.full((2 * len(grids), max(m.shape[0] for m, _ in grids), max(m.shape[1] for m, _ in grids)), np.inf)
    for k, (m, _) in enumerate(grids):
        stack[2 * k, : m.shape[0], : m.shape[1]] = m  # sweeping down ...
        stack[2 * k + 1, : m.shape[0], : m.shape[1]] = m[::-1]  # ... and up
    swept = _sweep(stack)
    out = []
    for k, (m, x0) in enumerate(grids):
        down, up = swept[2 * k : 2 * k + 2, : m.shape[0], : m.shape[1]]
        out.append(_cuts_of(m, x0, down, up[::-1], H))
    return out


def _cuts_of(m: np.ndarray, x0: int, down: np.ndarray, up: np.ndarray, H: float) -> list[np.ndarray]:
    """:func:`_path_cuts` of one group: its ink grid ``m`` (column 0 at ``x0``) and its two sweeps."""
    gh, gw = m.shape
    ym = gh // 2
    k = max(1, int(round(0.04 * H)))
    through = down[ym] + up[ym] - m[ym]  # least ink crossed by a path through (ym, x)
    sm = np.convolve(through, np.ones(2 * k + 1) / (2 * k + 1), mode="same")
    margin = max(2, int(_CUT_MARGIN * H))
    cand = sorted((sm[x], x) for x in range(margin, gw - margin - 1) if sm[x] <= sm[x - 1] and sm[x] <= sm[x + 1])
    chosen: list[int] = []
    for _, x in cand:
        if all(abs(x - c) >= _CUT_SPACING * H for c in chosen):
            chosen.append(x)
        if len(chosen) >= max(1, int(gw / (_CUT_DENSITY * H))):
            break
    paths = []
    for x in sorted(chosen):
        path = np.empty(gh, np.int64)
        path[ym] = x
        for y in range(ym - 1, -1, -1):  # up from the middle row, along the cheapest way down ...
            path[y] = _step(down[y], path[y + 1])
        for y in range(ym + 1, gh):  # ... and down, along the cheapest way up
            path[y] = _step(up[y], path[y - 1])
        paths.append(path + x0)
    return paths


def _split(ys: np.ndarray, xs: np.ndarray, paths: list[np.ndarray]) -> np.ndarray:
    """Which piece (0 .. len(paths)) each pixel falls in: how many cut paths lie left of it in its row.

    ``paths`` (from :func:`_path_cuts`) run left to right; where two of them
    cross, the later one is pushed right of the earlier, so pieces stay in
    order within every row.
    """
    y0 = ys.min()
    side = np.zeros(len(ys), np.int64)
    prev = None
    for path in paths:
        if prev is not None:
            path = np.maximum(path, prev)  # cuts never cross
        side += xs > path[ys - y0]
        prev = path
    return side

"""Ruled and squared paper: long thin straight printed lines, found and erased without the digit's strokes."""

from __future__ import annotations

import numpy as np

from .components import _main_blob

RULING_MIN_SIDE = 64  # ruled or squared paper is looked for only in images at least this large
_LONE_SPAN = 0.75  # a line off the period must run across this fraction of the image (a "1" is shorter)
_ON_PERIOD = 0.15  # a line lies on the period when within this fraction of the spacing of it
_LINE_CORE = 0.9  # a line's strength is this quantile of its pixels' (its core, not its faint edges)
_NEAR_SPAN = 0.25  # a line's own strength near a pixel: over stretches this fraction of the image long ...
_NEAR_FACTOR = 1.4  # ... and a stroke lying along it is kept when this much stronger than that
_HIDDEN_RIDGE = 0.3  # a line hidden in a shadow stands this fraction of the lines' core strength above its sides


def find_rulings(mask: np.ndarray, *, min_cover: float = 0.35) -> np.ndarray:
    """The pixels of ``mask`` on ruling or grid lines (bool, same shape).

    A line is a band of at most ``max(4, 6 %)`` rows (after undoing a tilt of up
    to ±2.5°, searched in 0.25° steps) where the mask covers at least
    ``min_cover`` of the image width (above the profile's local level); the same
    for columns.  A band counts as a printed line when it lies on the common
    period of three or more parallel bands (ruled paper is regular), or when it
    runs across 75 % of the image and past the digit (the main blob of the
    remaining ink) on both sides, or on one side with a parallel partner: the
    bar of a 7 or the stem of a 1 ends where the digit ends, a printed line does
    not.  (Without the 75 %, a tall "1" on ruled paper, where the digit left after
    erasing every candidate is a scrap of a ruling line, was erased as a line.)  The pixels returned exclude
    strokes that cross a line or lie on it with a heavier pen (see
    ``_line_pixels``).

    >>> import numpy as np
    >>> m = np.zeros((60, 80), bool); m[::12, :] = True; m[10:50, 40] = True   # a "1" on ruled paper
    >>> lines = find_rulings(m)
    >>> int(lines.sum()), int(lines[10:50, 40].sum())   # 5 lines of 80 px, less the 4 crossings
    (396, 0)
    """
    strength = mask.astype(np.float32)
    lines = _rulings(mask, min_cover, strength)
    return _line_pixels(mask, lines, strength) if lines else np.zeros_like(mask)


def _rulings(mask: np.ndarray, min_cover: float, strength: np.ndarray) -> list[dict]:
    """Accepted line bands: dicts with ``axis``, ``tilt``, ``offset`` and ``bins`` (lo, hi) of :func:`best_tilt`'s
    binning, ``area`` (bool mask)."""
    bands = {axis: _line_bands(mask if axis == 0 else mask.T, min_cover) for axis in (0, 1)}
    if not bands[0] and not bands[1]:
        return []
    for axis in (0, 1):
        for band in bands[axis]:
            band["axis"] = axis
            if axis == 1:
                band["area"] = band["area"].T
    digit = _main_blob(mask & ~_line_pixels(mask, bands[0] + bands[1], strength))
    accepted = []
    for axis in (0, 1):
        r = digit if axis == 0 else digit.T
        cols = np.nonzero(r)[1]
        lo, hi = (np.quantile(cols, (0.01, 0.99)) if cols.size else (np.inf, -np.inf))
        margin = 0.04 * r.shape[1]
        on_period = _on_period([0.5 * (b["bins"][0] + b["bins"][1]) for b in bands[axis]])
        if not cols.size and not on_period.any():
            continue  # the candidate lines are all the ink there is: they are the digit
        if on_period.any():
            accepted += _hidden_lines(mask, strength, [b for b, p in zip(bands[axis], on_period) if p], axis,
                                      min_cover)
        for band, periodic in zip(bands[axis], on_period):
            left = band["x0"] < lo - margin
            right = band["x1"] > hi + margin
            across = band["x1"] - band["x0"] >= _LONE_SPAN * r.shape[1]  # a digit's stroke is shorter
            if periodic or across and ((left and right) or (len(bands[axis]) == 2 and (left or right))):
                accepted.append(band)
    return accepted


def _on_period(centres: list) -> np.ndarray:
    """Which of >= 3 parallel line positions fall on their common period (ruled paper's regular spacing)."""
    period = _period(centres)
    out = _near_period(centres, *period) if period is not None else None
    return out if out is not None and out.sum() >= 3 else np.zeros(len(centres), bool)


def _period(centres) -> tuple[float, float] | None:
    """The spacing ``d`` of >= 3 parallel line positions (median gap) and their phase (radians), or None."""
    c = np.sort(np.asarray(centres, np.float64))
    if c.size < 3:
        return None
    d = float(np.median(np.diff(c)))
    if d <= 0:
        return None
    return d, float(np.angle(np.exp(2j * np.pi * c / d).sum()))  # circular mean of the positions modulo d


def _hidden_lines(mask: np.ndarray, strength: np.ndarray, periodic: list[dict], axis: int,
                  min_cover: float) -> list[dict]:
    """Lines of the period that the mask does not show: printed lines inside a shadow, found by their ridge.

    Where a shadow darkens the page, the loose mask covers the shadow whole
    and the lines in it do not stand out of the mask's profile.  In the
    strength they still do: each is brighter than the strength
    ``_across_gap`` pixels away on both sides (:func:`_ridge`), which are in
    the mask.  Every position of the periodic lines' spacing that holds no
    band is searched: a bin pair of the lines' tilt whose ridge pixels (over
    ``_HIDDEN_RIDGE`` of the lines' core strength, both sides in the mask)
    cover ``min_cover`` of the image becomes a line, its area those ridge
    pixels.  (Without the mask on both sides, the faint lines of a page that
    the mask shows in pieces were found too, and erasing them lowered the
    noise estimate: remnants of other lines joined the digit.)
    """
    centres = np.array([0.5 * (b["bins"][0] + b["bins"][1]) for b in periodic])
    period = _period(centres)
    if period is None:
        return []
    d, phase = period
    height, _, walled = _across(strength, mask, _across_gap(periodic), axis)
    ridge = (height > _HIDDEN_RIDGE * _core_level(strength, periodic)) & walled
    ys, xs = np.nonzero(ridge if axis == 0 else ridge.T)  # rows run along the lines
    h, w = ridge.shape if axis == 0 else ridge.shape[::-1]
    half = 0.5 * float(np.median([b["bins"][1] - b["bins"][0] for b in periodic]))
    t, off = periodic[0]["tilt"], periodic[0]["offset"]  # the periodic lines' binning (best_tilt's)
    bins = np.rint(ys - t * xs).astype(np.int64) + off
    counts = np.bincount(bins, minlength=h + 2 * off)
    pair = counts + np.concatenate([counts[1:], [0]])
    first = phase / (2 * np.pi) * d
    out = []
    for c in np.arange(first - np.ceil(first / d) * d, counts.size, d):
        if np.any(np.abs(centres - c) < _ON_PERIOD * d):
            continue  # a line the mask shows
        lo, hi = max(int(np.floor(c - half)), 0), min(int(np.ceil(c + half)), counts.size - 1)
        if lo >= hi or pair[lo:hi].max() < min_cover * w:
            continue
        sel = (bins >= lo) & (bins <= hi)
        area = np.zeros((h, w), bool)
        area[ys[sel], xs[sel]] = True
        x0, x1 = _longest_run(xs[sel], w, gap=max(2, int(0.03 * w)))
        out.append({"tilt": t, "offset": off, "bins": (lo, hi + 1), "area": area if axis == 0 else area.T,
                    "x0": x0, "x1": x1, "axis": axis})
    return out


def _across_gap(lines: list[dict]) -> int:
    """How far across parallel lines :func:`_ridge` looks: just past the median band's half width."""
    return int(np.median([ln["bins"][1] - ln["bins"][0] for ln in lines])) // 2 + 1


def _core_level(strength: np.ndarray, lines: list[dict]) -> float:
    """The lines' core strength: each line's ``_LINE_CORE`` quantile over its area, the median over the lines."""
    return float(np.median([np.quantile(strength[ln["area"]], _LINE_CORE) for ln in lines if ln["area"].any()]))


def _across(strength: np.ndarray, mask: np.ndarray, k: int, axis: int) -> tuple[np.ndarray, ...]:
    """Across lines along ``axis`` (rows for 0, columns for 1): :func:`_ridge`'s height and side of
    ``strength``, and whether both pixels ``k`` away are in ``mask``; in the input's orientation."""
    o = (lambda a: a) if axis == 0 else np.transpose
    height, side = (o(a) for a in _ridge(o(strength), k))
    return height, side, o(_ridge(o(mask).astype(np.int8), k)[1]) > 0


def _ridge(s: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """How far each pixel stands above both pixels ``k`` rows away, and the lower of those two (its surroundings)."""
    padded = np.pad(s, ((k, k), (0, 0)), mode="edge")
    above, below = padded[: -2 * k], padded[2 * k :]
    return s - np.maximum(above, below), np.minimum(above, below)


def _near_period(centres, d: float, phase: float) -> np.ndarray:
    """Which positions lie within ``_ON_PERIOD`` of the spacing ``d`` of a line of the period (bool array)."""
    off = ((np.asarray(centres, np.float64) / d - phase / (2 * np.pi)) + 0.5) % 1.0 - 0.5
    return np.abs(off) < _ON_PERIOD


def best_tilt(ys: np.ndarray, xs: np.ndarray, h: int, w: int):
    """The tilt (of up to ±2.5°) along which the ink pixels ``(ys, xs)`` of an ``h × w`` mask pile up most.

    Each pixel goes to the bin ``round(y - tilt * x) + offset``; the tilt whose
    bin counts have the largest sum of squares (the most concentrated
    profile) wins.  Returns ``(tilt, offset, bins, counts)``: ``tilt`` as a
    slope, the bin of every pixel and the count of every bin.  Shared by the
    ruling-line search here and the line search of :mod:`handdigits.reading`.
    """
    best = None
    yf, xf = ys.astype(np.float64), xs.astype(np.float64)
    shifted = np.empty(len(ys))  # y - tilt * x, in one buffer (fewer temporaries: speed)
    for t in np.tan(np.radians(np.arange(-2.5, 2.51, 0.25))):
        off = int(np.ceil(abs(t) * w)) + 1
        np.multiply(xf, -t, out=shifted)
        shifted += yf
        bins = np.rint(shifted, out=shifted).astype(np.int64)
        bins += off
        counts = np.bincount(bins, minlength=h + 2 * off)
        score = int(np.dot(counts, counts))
        if best is None or score > best[0]:
            best = (score, t, off, bins, counts)
    return best[1:]


def _line_bands(m: np.ndarray, min_cover: float) -> list[dict]:
    """Horizontal line bands of a mask: dicts with ``tilt``, ``offset``, ``bins``, ``area``, ``x0``, ``x1``."""
    h, w = m.shape
    ys, xs = np.nonzero(m)
    if ys.size < min_cover * w:
        return []
    t, off, bins, counts = best_tilt(ys, xs, h, w)
    # a line is a peak of the profile above its local level (a digit the line crosses raises the level)
    padded = np.pad(counts, 7, mode="edge")
    base = np.median(np.lib.stride_tricks.sliding_window_view(padded, 15), axis=-1)
    counts = np.maximum(counts - base, 0)
    pair = counts + np.concatenate([counts[1:], [0]])  # a line's pixels may fall into two neighbouring bins
    cand = np.flatnonzero(np.maximum(counts, pair) / w >= min_cover)
    if cand.size == 0:
        return []
    lines = np.zeros(counts.size, bool)
    lines[cand] = True
    lines[np.clip(cand + 1, 0, counts.size - 1)] = True  # the pair's second bin
    edges = np.diff(np.concatenate([[0], lines.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    bands = []
    for s0, e0 in zip(starts, ends):
        peak = counts[s0:e0].max()
        if s0 > 0 and counts[s0 - 1] > 0.3 * peak:
            s0 -= 1
        if e0 < counts.size and counts[e0] > 0.3 * peak:
            e0 += 1
        if e0 - s0 > max(4, 0.06 * h):
            continue  # a wide bar (a filled region), not a printed line
        sel = (bins >= s0) & (bins < e0)
        area = np.zeros_like(m)
        area[ys[sel], xs[sel]] = True
        x0, x1 = _longest_run(xs[sel], w, gap=max(2, int(0.03 * w)))
        bands.append({"tilt": float(t), "offset": int(off), "bins": (int(s0), int(e0)), "area": area,
                      "x0": x0, "x1": x1})
    return bands


def _longest_run(xs: np.ndarray, w: int, gap: int) -> tuple[float, float]:
    """First and last position of the longest stretch of ``xs`` (positions in 0..w-1) with gaps <= ``gap``."""
    u = np.unique(xs)
    breaks = np.flatnonzero(np.diff(u) > gap)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [u.size - 1]])
    i = int(np.argmax(u[ends] - u[starts]))
    return float(u[starts[i]]), float(u[ends[i]])


def _run_lengths(mask: np.ndarray) -> np.ndarray:
    """For each True pixel, the length of the vertical run of True pixels it belongs to (0 elsewhere)."""
    h, w = mask.shape
    col = np.concatenate([np.zeros((1, w), bool), mask, np.zeros((1, w), bool)]).T.ravel()
    d = np.diff(col.astype(np.int8))
    starts, ends = np.flatnonzero(d == 1) + 1, np.flatnonzero(d == -1) + 1  # [start, end) in ``col``
    lengths = ends - starts
    out = np.zeros(col.size, np.int32)
    if lengths.size:
        pos = np.repeat(starts - np.cumsum(np.concatenate([[0], lengths[:-1]])), lengths) + np.arange(lengths.sum())
        out[pos] = np.repeat(lengths, lengths)
    return out.reshape(w, h + 2)[:, 1:-1].T


def _line_pixels(mask: np.ndarray, lines: list[dict], strength: np.ndarray) -> np.ndarray:
    """The pixels of accepted lines to erase, but for lines' pixels inside a shadow (see :func:`_erased`)."""
    return _erased(mask, lines, strength, shaded=False)[0]


def _erased(mask: np.ndarray, lines: list[dict], strength: np.ndarray,
            shaded: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The pixels of accepted lines to erase, and what strength each takes (NaN: the paper's).

    A pixel of a line's band is erased when its run across the line is no
    longer than twice the lines' typical run (+1 px) and it is not much darker than
    the line (< 1.8 × the strength of the lines' core: each line's 90th
    percentile, the median over the lines -- the median of the pixels, pulled
    down by the lines' faint edges, left the cores of crisp lines standing on
    faint pages, and one quantile over all of them was raised to the pen's
    strength by a stroke lying along one line, the base of an "L"-shaped 2,
    which was then erased), nor darker than the line itself near it
    (< ``_NEAR_FACTOR`` × :func:`_near_core`: under uneven light one line is
    fainter on one side of the page than the lines' common level, and a
    pencil's stroke lying along it there, the top of a 9's loop, was erased):
    a stroke of the digit crossing the line, or lying along it with a heavier
    pen, is kept.  Grid crossings (in a band of each orientation) are erased.
    These take the paper's strength.

    A line through a shadow runs inside the mask, so its runs are long.  Its
    pixels off the crossing lines whose both sides (``_across_gap`` px away)
    are in the mask are erased when they stand above both sides by over
    ``_HIDDEN_RIDGE`` and under 1.8 × the lines' core strength
    (:func:`_ridge`; a stroke crossing the line is as strong beside the line
    as on it), and they take the lower side's strength: the shadow goes on,
    without the line.  Only with ``shaded``; :func:`_line_pixels` leaves them
    out: :func:`find_rulings` works on a mask, where no shadow shows, and
    :func:`_rulings` only needs the digit's blob.
    """
    out = np.zeros_like(mask)
    fill = np.full(mask.shape, np.nan, np.float32)
    areas = {0: np.zeros_like(mask), 1: np.zeros_like(mask)}
    for ln in lines:
        areas[ln["axis"]] |= ln["area"]
    runs = {0: _run_lengths(mask), 1: _run_lengths(mask.T).T}
    faint = np.ones_like(mask)
    for axis in (0, 1):
        area = areas[axis]
        if not area.any():
            continue
        run = runs[axis]
        typical = float(np.median(run[area]))  # the printed lines' thickness and strength, over all of them
        own = [ln for ln in lines if ln["axis"] == axis]
        level = _core_level(strength, own)
        weak = (strength < 1.8 * level) & (strength < _NEAR_FACTOR * _near_core(strength, lines, axis))
        short = run <= 2 * typical + 1
        out |= area & short & weak
        faint &= weak
        if not shaded:
            continue
        height, side, walled = _across(strength, mask, _across_gap(own), axis)
        inside = area & ~areas[1 - axis] & ~short & walled & (height > _HIDDEN_RIDGE * level) & (height < 1.8 * level)
        out |= inside
        fill[inside] = side[inside]
    return out | (areas[0] & areas[1] & faint), fill


def _near_core(strength: np.ndarray, lines: list[dict], axis: int) -> np.ndarray:
    """For each pixel of an ``axis`` line's band, that line's strength near it (``inf`` elsewhere).

    Along the line, each column's strongest band pixel is its core there; the
    line is cut into stretches ``_NEAR_SPAN`` of the image long, and the
    median core of each stretch, interpolated between the stretches' centres,
    is the line's strength near a pixel.  A stroke lying along the line over
    less than half a stretch does not raise it.
    """
    out = np.full(strength.shape, np.inf, np.float32)
    o, s = (out, strength) if axis == 0 else (out.T, strength.T)  # views: rows run along the lines
    w = s.shape[1]
    span = max(4, int(_NEAR_SPAN * w))
    for ln in lines:
        if ln["axis"] != axis:
            continue
        area = ln["area"] if axis == 0 else ln["area"].T
        rows = np.flatnonzero(area.any(axis=1))
        if rows.size == 0:
            continue
        a, v = area[rows[0] : rows[-1] + 1], s[rows[0] : rows[-1] + 1]  # the band's rows (a tilted line spans a few)
        core = np.where(a, v, 0.0).max(axis=0)
        cols = np.flatnonzero(a.any(axis=0))
        stretches = np.split(cols, np.flatnonzero(np.diff(cols // span)) + 1)
        near = np.interp(np.arange(w), [float(c.mean()) for c in stretches],
                         [_median(core[c]) for c in stretches]).astype(np.float32)
        band = o[rows[0] : rows[-1] + 1]
        band[a] = np.broadcast_to(near, a.shape)[a]
    return out


def _median(v: np.ndarray) -> float:
    """``np.median`` of a 1-D array, faster for the short arrays of :func:`_near_core`."""
    n = v.size
    return float(np.partition(v, [(n - 1) // 2, n // 2])[[(n - 1) // 2, n // 2]].mean())

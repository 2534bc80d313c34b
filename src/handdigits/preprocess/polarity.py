"""Paper level and polarity: which side of the paper the ink lies on, read from the image border."""

from __future__ import annotations

import numpy as np

from .filters import _rank, _resize, _spread

_SURE = 0.5  # the border's polarity is trusted when one side's extreme is this much farther (relative)
_FAINT_STROKE = 0.03  # the full-resolution top-hat needs strokes this strong (the thumbnail's: 0.05)
_FLAT = 1e-3  # extremes closer than this to each other: the image is flat but for its sparsest pixels


def _border_values(g: np.ndarray) -> np.ndarray:
    """Pixels of the image border (a ring ~3 % wide) with the four corner patches counted twice."""
    h, w = g.shape[:2]
    b = max(1, round(0.03 * min(h, w)))
    c = max(1, round(0.1 * min(h, w)))
    parts = [g[:b].reshape(-1, *g.shape[2:]), g[-b:].reshape(-1, *g.shape[2:]),
             g[b:-b, :b].reshape(-1, *g.shape[2:]), g[b:-b, -b:].reshape(-1, *g.shape[2:])]
    for ys in (slice(0, c), slice(h - c, h)):
        for xs in (slice(0, c), slice(w - c, w)):
            parts.append(g[ys, xs].reshape(-1, *g.shape[2:]))
    return np.concatenate(parts)


def paper_polarity(lum: np.ndarray) -> tuple[float, bool]:
    """The paper's grey level and whether the ink is darker than the paper.

    The paper is what the image *border* shows: its median (corners counted
    twice) -- paper in notebook photos, on canvases where the ink is sparse,
    and in tight crops where the ink covers more than half the pixels but
    rarely the corners.  Uneven light and shadows, as a plane
    fitted robustly to the border, are taken out; the ink then lies on the side
    where the image's extremes (0.2nd / 99.8th percentiles, so even a thin
    pen's sparse ink counts; the minimum and maximum when those two are equal:
    a 1-px "1" on an 800×600 canvas is 0.1 % of the pixels, and a tie made it
    light ink, refused as blank) are farther from the paper.  When that is a close
    call both after and before the plane is taken out (a soft shadow over part
    of the border, with room for ink on both sides of the paper), thin
    structures decide (:func:`_stroke_polarity`).

    >>> import numpy as np
    >>> page = np.ones((100, 100), np.float32); page[30:70, 48:51] = 0.1   # a thin dark "1"
    >>> paper_polarity(page)
    (1.0, True)
    """
    paper = float(np.median(_border_values(lum)))
    flat = lum - _border_surface(lum) + paper  # uneven light and shadows, as seen on the border, removed
    lo, hi = np.quantile(flat, (0.002, 0.998))
    if hi - lo < _FLAT:  # under 0.2 % of the pixels are ink (a thin "1" on a big canvas): the extremes decide
        lo, hi = flat.min(), flat.max()
    dark, light = paper - float(lo), float(hi) - paper
    if _close(dark, light) and _close(*_room(lum, paper)):  # a close call (a shadow across the border): ask the strokes
        strokes = _stroke_polarity(lum)
        if strokes is not None:
            return paper, strokes
    return paper, bool(dark > light)


def _close(dark: float, light: float) -> bool:
    return abs(dark - light) < _SURE * max(dark, light)


def _room(lum: np.ndarray, paper: float) -> tuple[float, float]:
    """How far the raw grey levels reach below and above the paper (white paper leaves no room for lighter ink)."""
    lo, hi = np.quantile(lum, (0.002, 0.998))
    return paper - float(lo), float(hi) - paper


def _stroke_polarity(lum: np.ndarray) -> bool | None:
    """Whether thin structures are dark (True) or light (False) on their surroundings, or None when unclear.

    Morphological top-hats (closing minus image for dark strokes, image minus
    opening for light ones, 5 px on a <= 128-px thumbnail) respond to pen
    strokes and not to the soft edges of shadows or uneven light.  A faint
    thin-pen digit (a pencil "1" in low light: 0.1 % of the pixels) fades in the
    thumbnail; when that is unclear, the full image's top 0.1 % decides.
    """
    from PIL import Image

    h, w = lum.shape
    f = max(1.0, max(h, w) / 128)
    t = lum if f == 1.0 else _resize(lum, (max(1, round(w / f)), max(1, round(h / f))), Image.Resampling.BOX)
    answer = _tophat_polarity(t, 0.995, 0.05)
    if answer is None and f > 1.0:
        answer = _tophat_polarity(lum, 0.999, _FAINT_STROKE)
    return answer


def _tophat_polarity(t: np.ndarray, q: float, least: float) -> bool | None:
    """Dark (True) or light (False) strokes by the ``q`` quantiles of 5-px top-hats; None below ``least`` or within 2x."""
    dark = float(np.quantile(_rank(_rank(t, 5, np.max), 5, np.min) - t, q))
    light = float(np.quantile(t - _rank(_rank(t, 5, np.min), 5, np.max), q))
    if max(dark, light) < least or max(dark, light) < 2.0 * min(dark, light):
        return None
    return dark > light


def _border_surface(lum: np.ndarray) -> np.ndarray:
    """A plane fitted (robustly: ink touching the border is left out) to the border's grey levels."""
    h, w = lum.shape
    ys = np.arange(h, dtype=np.float32)[:, None] / max(h - 1, 1) - 0.5
    xs = np.arange(w, dtype=np.float32)[None, :] / max(w - 1, 1) - 0.5
    terms = [np.float32(1.0), ys, xs]  # the plane's terms, broadcast (full-size planes only on the border)
    a = np.stack([_border_values(np.broadcast_to(t, (h, w))) for t in terms], axis=1).astype(np.float64)
    b = _border_values(lum).astype(np.float64)
    keep = np.ones(b.size, bool)
    for _ in range(3):
        coef = _least_squares(np.compress(keep, a, axis=0), b[keep])  # compress: 4x faster than a[keep]
        r = b - a @ coef
        mad = _spread(r[keep], 0.0) + 1e-3
        keep = np.abs(r) < 2.5 * mad
    if keep.mean() < 0.85:  # much of the border is not smooth paper (ink touching it): no surface
        return np.full(lum.shape, float(np.median(b)), np.float32)
    surface = np.float32(coef[0]) + np.float32(coef[1]) * ys + np.float32(coef[2]) * xs
    return np.clip(surface, float(b[keep].min()), float(b[keep].max())).astype(np.float32)


def _least_squares(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``x`` minimising ``|a x - b|``: the normal equations of a few columns (3x faster than ``lstsq`` on a
    border's 12,000 rows), ``lstsq`` where they are singular (an image one pixel high)."""
    try:
        return np.linalg.solve(a.T @ a, a.T @ b)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(a, b, rcond=None)[0]


def _brighter_ink(channel: np.ndarray) -> bool:
    """Whether the extremes of ``channel`` lie above its border's level rather than below."""
    paper = float(np.median(_border_values(channel)))
    lo, hi = np.quantile(channel, (0.002, 0.998))
    return float(hi) - paper >= paper - float(lo)

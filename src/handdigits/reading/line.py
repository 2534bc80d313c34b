"""Step 2 of reading: connected components of the ink, and which of them make the line of digits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import preprocess as _pre

_SPECK = 0.2  # components shorter than this share of the line height (and small) are noise
_SOFT_EDGE = 0.22  # a blob at the frame whose edge rises under this share of its level per px is a shadow


def components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected component labels of a boolean mask, from its runs: ``(labels, count)``.

    ``labels`` is int32 with -1 for background and 0..count-1 for the components,
    numbered in order of their first pixel (row-major).  The runs of each row
    are linked to the runs of the row above that they touch (8-connected:
    overlapping or diagonal), and each run takes the least run number of its
    connected set (minimum propagation with pointer jumping), all in numpy.
    """
    h, w = mask.shape
    m = np.zeros((h, w + 2), np.int8)
    m[:, 1:-1] = mask
    dm = np.diff(m, axis=1)
    rs, cs = np.nonzero(dm == 1)
    _, ce = np.nonzero(dm == -1)  # same row order, one end per start; the run covers columns [cs, ce)
    n = len(rs)
    labels = np.full((h, w), -1, np.int32)
    if n == 0:
        return labels, 0
    stride = w + 2
    # runs of the row above touching run j: those ending at or after cs[j] and starting at or before ce[j]
    above = (rs - 1) * stride
    lo = np.searchsorted(rs * stride + ce, above + cs, "left")
    hi = np.searchsorted(rs * stride + cs, above + ce, "right")
    count = np.where(rs > 0, np.maximum(hi - lo, 0), 0)
    a = np.repeat(np.arange(n), count)
    b = np.repeat(lo, count) + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    root = np.arange(n)
    while True:
        least = np.minimum(root[a], root[b])
        new = root.copy()
        np.minimum.at(new, a, least)
        np.minimum.at(new, b, least)
        new = new[new]
        while True:  # pointer jumping: every run points at its set's current least member
            nxt = new[new]
            if np.array_equal(nxt, new):
                break
            new = nxt
        if np.array_equal(new, root):
            break
        root = new
    _, ids = np.unique(root, return_inverse=True)
    lengths = ce - cs
    starts = rs * w + cs
    pos = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(lengths.sum())
    labels.ravel()[pos] = np.repeat(ids.astype(np.int32), lengths)
    return labels, int(ids.max()) + 1


@dataclass
class _Components:
    """Boxes and areas of labelled components, and every ink pixel ``(yy, xx)`` with its label ``lab``."""

    labels: np.ndarray
    n: int
    yy: np.ndarray
    xx: np.ndarray
    lab: np.ndarray
    area: np.ndarray
    y0: np.ndarray
    y1: np.ndarray
    x0: np.ndarray
    x1: np.ndarray

    @property
    def hts(self) -> np.ndarray:
        return self.y1 - self.y0

    @property
    def wds(self) -> np.ndarray:
        return self.x1 - self.x0


def _boxes(labels: np.ndarray, n: int) -> _Components:
    """:class:`_Components` of ``labels`` (from :func:`components`)."""
    h, w = labels.shape
    idx = labels.ravel()
    on = idx >= 0
    yy, xx = np.divmod(np.flatnonzero(on), w)
    lab = idx[on]
    area = np.bincount(lab, minlength=n)
    y0, x0 = np.full(n, h), np.full(n, w)
    y1, x1 = np.zeros(n, np.int64), np.zeros(n, np.int64)
    np.minimum.at(y0, lab, yy)
    np.maximum.at(y1, lab, yy + 1)
    np.minimum.at(x0, lab, xx)
    np.maximum.at(x1, lab, xx + 1)
    return _Components(labels, n, yy, xx, lab, area, y0, y1, x0, x1)


def _not_writing(c: _Components, h: int, w: int, v: np.ndarray | None = None) -> np.ndarray:
    """Components that are no writing: blobs over most of the image (a shadow's edge, a table edge), line ends.

    With the ink strength ``v``, also blobs at the frame with soft edges (:func:`_soft_edged`).
    """
    fill = c.area / np.maximum(c.wds * c.hts, 1)
    touches = (c.x0 == 0) | (c.y0 == 0) | (c.x1 == w) | (c.y1 == h)
    blob = (c.wds * c.hts > 0.5 * h * w) & (fill > 0.1) | touches & (fill > 0.45) & (c.area > 0.002 * h * w)
    blob |= ((c.x0 == 0) | (c.x1 == w)) & (c.wds <= 3) | ((c.y0 == 0) | (c.y1 == h)) & (c.hts <= 3)
    if v is not None:
        blob |= _soft_edged(c, v, touches & (c.area > 0.002 * h * w) & ~blob)
    return blob


def _soft_edged(c: _Components, v: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Which ``candidates`` have soft edges: a shadow's wedge at the frame, not a stroke.

    A pen's stroke rises from the paper to its level within a pixel or two;
    a shadow's edge rises slowly.  A component is soft when the median
    gradient of ``v`` over its edge pixels is under ``_SOFT_EDGE`` of its
    median level.  The grid erased inside a shadow leaves its wedge, filled
    under the 45 % that marks a border blob, as ink at the frame's corner: "7632"
    was read "763217".
    """
    out = np.zeros(c.n, bool)
    ids = np.flatnonzero(candidates)
    if ids.size == 0:
        return out
    ink = c.labels >= 0
    inner = ink.copy()
    inner[1:] &= ink[:-1]
    inner[:-1] &= ink[1:]
    inner[:, 1:] &= ink[:, :-1]
    inner[:, :-1] &= ink[:, 1:]
    gy, gx = np.gradient(v)
    slope = np.hypot(gx, gy)
    for i in ids:
        m = c.labels == i
        edge = m & ~inner
        if edge.any():
            out[i] = float(np.median(slope[edge])) < _SOFT_EDGE * max(float(np.median(v[m])), 1e-6)
    return out


def _line(c: _Components, f: int, input_shape, v: np.ndarray | None = None) -> tuple[np.ndarray, float, float]:
    """The components of the line of digits: ``(ids, H, yc)``.

    ``H`` is the line height (median height of the components at least half as
    tall as the tallest sizeable one), ``yc`` the line's centre row.  Raises
    :class:`handdigits.preprocess.BlankImageError` when nothing digit-sized is left.
    ``v``: the ink strength, so that soft-edged blobs at the frame are left out (:func:`_not_writing`).
    """
    h, w = c.labels.shape
    area = np.where(_not_writing(c, h, w, v), 0, c.area)
    if not area.any():
        raise _blank("only shadows and edges")
    hts, wds = c.hts, c.wds
    big = area >= 0.15 * area.max()
    tall = hts[big].max()
    main = big & (hts >= 0.5 * tall)
    H = float(np.median(hts[main]))
    if H < max(4.0, _pre._MIN_EXTENT * max(h, w)):
        raise _blank(f"largest ink blob is only {int(H * f)} px tall in a {input_shape[0]}x{input_shape[1]} image")
    yc = float(np.median((c.y0[main] + c.y1[main]) / 2))
    keep = (hts >= _SPECK * H) | (area >= 0.05 * np.median(area[main]))
    keep &= ~((hts < 0.25 * H) & (wds > 1.5 * H))  # long thin marks: ruling, underlines
    keep &= (c.y1 > yc - 1.2 * H) & (c.y0 < yc + 1.2 * H)
    keep &= (area >= 3) & (area > 0)
    ids = np.flatnonzero(keep)
    if len(ids) == 0:
        raise _blank("no ink component of digit size")
    return ids, H, yc


def _blank(reason: str) -> ValueError:
    return _pre.BlankImageError(f"no ink found in image (blank or near-blank: {reason})")

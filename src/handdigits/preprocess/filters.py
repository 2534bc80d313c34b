"""Small array helpers shared by the preprocessing steps: rank and box filters, resizing, boxes."""

from __future__ import annotations

import numpy as np


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _grow(mask: np.ndarray) -> np.ndarray:
    """Dilate a bool mask by one pixel (3×3), separably: along the columns, then along the rows."""
    tall = mask.copy()
    tall[1:] |= mask[:-1]
    tall[:-1] |= mask[1:]
    out = tall.copy()
    out[:, 1:] |= tall[:, :-1]
    out[:, :-1] |= tall[:, 1:]
    return out


def _shrink(mask: np.ndarray) -> np.ndarray:
    """Erode a bool mask by one pixel (3×3; outside the mask counts as background), separably."""
    tall = mask.copy()
    tall[1:] &= mask[:-1]
    tall[:-1] &= mask[1:]
    tall[[0, -1]] = False
    out = tall.copy()
    out[:, 1:] &= tall[:, :-1]
    out[:, :-1] &= tall[:, 1:]
    out[:, [0, -1]] = False
    return out


def _centre_of_mass(g: np.ndarray) -> tuple[float, float]:
    """(row, column) of a 2-D array's centre of mass (its values as masses; any numeric dtype)."""
    rows, cols = g.sum(1, dtype=np.float64), g.sum(0, dtype=np.float64)
    total = rows.sum()
    return float(rows @ np.arange(rows.size) / total), float(cols @ np.arange(cols.size) / total)


def _resize(g: np.ndarray, size: tuple[int, int], resample) -> np.ndarray:
    """Resize a float (H, W) array to (width, height) ``size`` with Pillow."""
    from PIL import Image

    return np.asarray(Image.fromarray(np.asarray(g, np.float32), mode="F").resize(size, resample), dtype=np.float32)


_SHIFTS_MAX = 21  # windows up to this wide: shifted extremes (fewer, cheaper numpy calls than Van Herk's blocks)


def _rank(x: np.ndarray, k: int, op) -> np.ndarray:
    """Separable k×k minimum or maximum filter (``op`` = np.min / np.max) over the last two axes, edges
    replicated (a stack of images: channels first, so the inner loops run along rows).

    Windows up to ``_SHIFTS_MAX`` wide: :func:`_rank_shifts`; wider, Van Herk /
    Gil-Werman: running extremes within blocks of ``k`` from both ends, so the
    cost does not grow with ``k``.
    """
    ufunc = np.minimum if op is np.min else np.maximum
    r = k // 2
    if k <= _SHIFTS_MAX:
        return _rank_shifts(x, r, ufunc)
    for axis in (-2, -1):
        v = np.moveaxis(x, axis, -1)
        n = v.shape[-1]
        m = -(-(n + 2 * r) // k) * k
        p = np.pad(v, [(0, 0)] * (v.ndim - 1) + [(r, m - n - r)], mode="edge")
        blocks = p.reshape(*p.shape[:-1], m // k, k)
        ahead = ufunc.accumulate(blocks, axis=-1).reshape(p.shape)  # block start .. here
        behind = ufunc.accumulate(blocks[..., ::-1], axis=-1)[..., ::-1].reshape(p.shape)  # here .. block end
        x = np.moveaxis(ufunc(behind[..., :n], ahead[..., k - 1 : k - 1 + n]), -1, axis)
    return x


def _rank_shifts(x: np.ndarray, r: int, ufunc) -> np.ndarray:
    """:func:`_rank` for a small window: ``2 r`` shifted minima/maxima per axis.

    The window is clipped at the edges, which gives the same result as
    replicating the edge values (they lie in the clipped window).
    """
    for axis in (-2, -1):
        v = np.moveaxis(x, axis, 0)
        out = v.copy()
        for d in range(1, r + 1):
            ufunc(out[d:], v[:-d], out=out[d:])
            ufunc(out[:-d], v[d:], out=out[:-d])
        x = np.moveaxis(out, 0, axis)
    return x


def _box_blur(x: np.ndarray, r: int) -> np.ndarray:
    """Separable (2r+1)-box mean over the last two axes with edge padding (Pillow's blurs don't take float images)."""
    for axis in (x.ndim - 2, x.ndim - 1):
        p = np.pad(x, [(r + 1, r) if a == axis else (0, 0) for a in range(x.ndim)], mode="edge")
        c = np.cumsum(p, axis=axis)
        n = x.shape[axis]
        x = (np.take(c, np.arange(2 * r + 1, 2 * r + 1 + n), axis) - np.take(c, np.arange(n), axis)) / (2 * r + 1)
    return x

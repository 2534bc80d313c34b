"""Small array helpers shared by the preprocessing steps: rank and box filters, resizing, boxes."""

from __future__ import annotations

import functools

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


_MATRIX_MAX = 128  # arrays with no side longer than this (in or out) are resized by weight matrices


def _resize(g: np.ndarray, size: tuple[int, int], resample) -> np.ndarray:
    """Resize a float (H, W) array to (width, height) ``size`` as Pillow does (float32 out).

    Small arrays (every side at most :data:`_MATRIX_MAX`: the reader's
    candidate digits, dozens per number) are multiplied by Pillow's
    resampling weights (:func:`_resample_weights`), a pass along the rows and
    one along the columns as Pillow makes them; the results equal Pillow's to
    float32 rounding, at a quarter of its per-call cost.  Larger ones, and
    the filters without a kernel here (nearest, Hamming), go through Pillow,
    whose sparse passes are faster on large arrays.
    """
    g = np.asarray(g, np.float32)
    (h, w), (nw, nh) = g.shape, size
    if max(h, w, nh, nw) > _MATRIX_MAX or int(resample) not in _KERNELS:
        from PIL import Image

        return np.asarray(Image.fromarray(g, mode="F").resize(size, resample), dtype=np.float32)
    if nw != w:
        g = (g.astype(np.float64) @ _resample_weights(w, nw, int(resample)).T).astype(np.float32)
    if nh != h:
        g = (_resample_weights(h, nh, int(resample)) @ g.astype(np.float64)).astype(np.float32)
    return g


def _lanczos(x: np.ndarray) -> np.ndarray:
    """Lanczos-3 window: ``sinc(x) sinc(x / 3)`` on [-3, 3)."""
    return np.where((x >= -3.0) & (x < 3.0), np.sinc(x) * np.sinc(x / 3.0), 0.0)


def _bicubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution with a = -0.5 (Pillow's bicubic)."""
    a, x = -0.5, np.abs(x)
    return np.where(x < 1.0, ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0,
                    np.where(x < 2.0, (((x - 5.0) * x + 8.0) * x - 4.0) * a, 0.0))


# Pillow's filters (PIL.Image.Resampling values) done by weight matrices: the kernel and its support
_KERNELS = {
    1: (_lanczos, 3.0),
    2: (lambda x: np.maximum(1.0 - np.abs(x), 0.0), 1.0),  # BILINEAR
    3: (_bicubic, 2.0),
    4: (lambda x: ((x > -0.5) & (x <= 0.5)).astype(np.float64), 0.5),  # BOX
}


@functools.lru_cache(maxsize=1024)
def _resample_weights(n_in: int, n_out: int, resample: int) -> np.ndarray:
    """``(n_out, n_in)`` weights of Pillow's resampling of one axis (its ``precompute_coeffs``).

    Output pixel ``i`` is centred at ``(i + 0.5) n_in / n_out`` input pixels;
    when shrinking, the kernel is stretched by the scale; the weights of each
    output pixel are normalised to sum to 1.  Read-only: cached per size.
    """
    fn, support = _KERNELS[resample]
    scale = n_in / n_out
    stretch = max(scale, 1.0)
    support *= stretch
    out = np.zeros((n_out, n_in))
    for i in range(n_out):
        centre = (i + 0.5) * scale
        lo, hi = max(int(centre - support + 0.5), 0), min(int(centre + support + 0.5), n_in)
        w = fn((np.arange(lo, hi) - centre + 0.5) / stretch)
        total = w.sum()
        out[i, lo:hi] = w / total if total != 0.0 else w
    out.flags.writeable = False
    return out


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


def _spread(values: np.ndarray, centre: float | None = None) -> float:
    """The median absolute deviation of ``values`` from ``centre`` (default: their median), as a standard
    deviation: the noise of a border, of a page, of residuals."""
    if centre is None:
        centre = np.median(values)
    return 1.4826 * float(np.median(np.abs(values - centre)))

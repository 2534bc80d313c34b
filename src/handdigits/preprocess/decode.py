"""Decoding any checked array into the working image: float32 [0, 1], longer side <= ``WORK_MAX``.

Large images are reduced by an integer box filter in their own dtype (Pillow
``reduce`` for uint8) before any float copy; a varying alpha channel is
composited over the paper colour; a grey picture stored as RGB becomes grey.
"""

from __future__ import annotations

import numpy as np

WORK_MAX = 384  # images are reduced (integer box filter) until their longer side is at most this
_DRAFT_FROM = 6  # images needing a reduction this large are read at every other pixel first (4x less to read)
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def _scale_of(a: np.ndarray) -> tuple[float, float]:
    """(offset, scale) mapping ``a``'s values to [0, 1]: uint8 / 255, uint16 / 65535, floats in [0, 1] as they are."""
    if a.dtype == np.uint8:
        return 0.0, 255.0
    lo, hi = float(a.min()), float(a.max())
    if lo < 0:  # negative values: stretch the range
        return lo, (hi - lo) if hi > lo else 1.0
    if np.issubdtype(a.dtype, np.floating) and hi <= 1.0:
        return 0.0, 1.0
    if hi <= 255.0:
        return 0.0, 255.0
    if hi <= 65535.0:
        return 0.0, 65535.0
    return 0.0, hi


def _to_unit(a: np.ndarray) -> np.ndarray:
    """An array scaled to float32 [0, 1] (same shape)."""
    off, scale = _scale_of(a)
    return np.clip((a.astype(np.float32) - off) / scale, 0.0, 1.0)


def _reduce(a: np.ndarray, f: int) -> np.ndarray:
    """Integer box reduction by ``f`` of an (H, W, C) array, as float32 in the input's units.

    uint8 images go through Pillow's ``reduce`` (C code, no float copy) one
    channel at a time (a grey image shares the array's memory; a multi-channel
    one would be unpacked into Pillow's 4-byte pixels first, twice the time);
    other dtypes are averaged ``f`` rows at a time so no full-size float array is made.
    """
    from PIL import Image

    h, w, c = a.shape
    if a.dtype == np.uint8:
        planes = [np.asarray(Image.fromarray(np.ascontiguousarray(a[..., i])).reduce(f), np.float32) for i in range(c)]
        return np.stack(planes, axis=-1)
    nh, nw = -(-h // f), -(-w // f)
    out = np.empty((nh, nw, c), np.float32)
    for i in range(nh):
        rows = a[i * f : (i + 1) * f].astype(np.float32)
        pad = nw * f - w
        if pad:
            rows = np.concatenate([rows, np.repeat(rows[:, -1:], pad, axis=1)], axis=1)
        out[i] = rows.reshape(rows.shape[0], nw, f, c).mean(axis=(0, 2))
    return out


def _working_image(a: np.ndarray) -> tuple[np.ndarray, int]:
    """(H, W[, C]) any dtype -> (h, w, 1 or 3) float32 in [0, 1] with longer side <= WORK_MAX, and the factor."""
    if a.ndim == 2:
        a = a[..., None]
    f = int(np.ceil(max(a.shape[:2]) / WORK_MAX))
    off, scale = _scale_of(a[..., :3] if a.shape[-1] == 4 else a)
    step = 1
    if f >= _DRAFT_FROM:  # a draft read, as Pillow's JPEG ``draft``: every other pixel, then the box filter
        a, step = a[::2, ::2], 2
        f = int(np.ceil(max(a.shape[:2]) / WORK_MAX))
    x = _reduce(a, f) if f > 1 else a.astype(np.float32)
    return _finish(x, a.dtype, off, scale), step * f


def _finish(x: np.ndarray, dtype, off: float, scale: float) -> np.ndarray:
    """A reduced float image -> [0, 1], grey when its channels agree, a varying alpha composited over the paper."""
    alpha = None
    if x.shape[-1] == 4:
        ascale = 255.0 if dtype == np.uint8 else max(1.0, float(x[..., 3].max()))
        alpha = np.clip(x[..., 3] / ascale, 0.0, 1.0)
        x = x[..., :3]
    elif x.shape[-1] == 2:  # grey + alpha arrays are not produced by check_images; keep grey
        x = x[..., :1]
    x = np.clip((x - off) / scale, 0.0, 1.0)
    if x.shape[-1] == 3 and _is_grey(x):
        x = x[..., :1]  # a grey picture stored as RGB
    if alpha is not None and float(alpha.max() - alpha.min()) > 1e-3:
        opaque = alpha > 0.5
        lum = x @ _LUMA[: x.shape[-1]] if x.shape[-1] == 3 else x[..., 0]
        ink_is_dark = float(lum[opaque].mean()) < 0.5 if opaque.any() else True
        paper = 1.0 if ink_is_dark else 0.0
        x = alpha[..., None] * x + (1.0 - alpha[..., None]) * paper
    return x


def _is_grey(x: np.ndarray) -> bool:
    """Whether an (h, w, 3) [0, 1] image has equal channels (within 1.5 / 255): a grey picture stored as RGB."""
    tol = 1.5 / 255
    return bool(np.abs(x[..., 0] - x[..., 1]).max() < tol and np.abs(x[..., 0] - x[..., 2]).max() < tol
                and np.abs(x[..., 1] - x[..., 2]).max() < tol)


def _luminance(x: np.ndarray) -> np.ndarray:
    return x[..., 0] if x.shape[-1] == 1 else x @ _LUMA

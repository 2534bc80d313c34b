"""NumPy twins of :mod:`handdigits.transforms.functional` (no TensorFlow).

Same signatures and the same results (to float32 rounding) as the TensorFlow
functions: float32 batches ``(N, H, W, 1)`` in ``[0, 1]`` plus per-image
parameters of shape ``(N,)``.  The transforms use them for numpy input of one
image, where a TensorFlow call would cost far more than the work itself (the
per-sample ``Dataset.__getitem__`` of PyTorch, a Keras ``PyDataset``, a plain
loop).  ``tests/test_transforms_numpy.py`` checks each one against its
TensorFlow twin on random parameters.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ._affine import inverse_affine


def _per_image(value, n: int) -> np.ndarray:
    value = np.asarray(value, np.float32)
    return value if value.shape == (n,) else np.broadcast_to(value, (n,))


@functools.lru_cache(maxsize=16)
def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates ``(ys, xs)``, float32 ``(H, W)`` each (read-only, cached)."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    ys.flags.writeable = xs.flags.writeable = False
    return ys, xs


def affine_matrices(height, width, angle=0.0, translate=(0.0, 0.0), scale=1.0, shear=0.0) -> np.ndarray:
    """Inverse-mapping matrices ``(N, 8)``, as :func:`handdigits.transforms.functional.affine_matrices`."""
    n = max(np.size(v) for v in (angle, scale, shear, translate[0], translate[1]))
    angle, shear, s, tx, ty = (_per_image(v, n) for v in (angle, shear, scale, *translate))
    if n == 1:  # numpy float32 scalars: the same float32 operations at a fraction of the overhead
        angle, shear, s, tx, ty = angle[0], shear[0], s[0], tx[0], ty[0]
    theta = angle * np.float32(math.pi / 180.0)
    phi = shear * np.float32(math.pi / 180.0)
    cx, cy = np.float32((width - 1) / 2.0), np.float32((height - 1) / 2.0)
    parts = inverse_affine(np.cos(theta), np.sin(theta), np.tan(phi), s, tx, ty, cx, cy)
    if n == 1:
        return np.array([[*parts, 0.0, 0.0]], np.float32)
    zeros = np.zeros_like(parts[0])
    return np.stack([*parts, zeros, zeros], axis=1).astype(np.float32)


def _bilinear(images: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sample ``images`` (N, H, W) at float coordinates ``x``, ``y`` (N, H, W); zero outside."""
    n, h, w = images.shape
    padded = np.zeros((n, h + 2, w + 2), np.float32)  # a border of zeros: what lies outside
    padded[:, 1:-1, 1:-1] = images
    flat = padded.reshape(-1)
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    gx, gy = 1 - fx, 1 - fy
    left, right = _padded_index(x0, 1.0, w + 1), _padded_index(x0, 2.0, w + 1)
    top, bottom = _padded_index(y0, 1.0, h + 1), _padded_index(y0, 2.0, h + 1)
    top *= w + 2
    bottom *= w + 2
    if n > 1:
        base = (np.arange(n) * (h + 2) * (w + 2)).reshape(-1, 1, 1)
        top += base
        bottom += base
    return (
        flat[top + left] * gx * gy
        + flat[top + right] * fx * gy
        + flat[bottom + left] * gx * fy
        + flat[bottom + right] * fx * fy
    ).astype(np.float32, copy=False)


def _padded_index(floor: np.ndarray, offset: float, last: int) -> np.ndarray:
    """``floor + offset`` as an index into a padded axis, clipped onto its zero border ``[0, last]``."""
    index = floor + offset
    np.maximum(index, 0.0, out=index)
    np.minimum(index, last, out=index)
    return index.astype(np.intp)


def affine(images, angle=0.0, translate=(0.0, 0.0), scale=1.0, shear=0.0) -> np.ndarray:
    """Rotate, translate, scale and shear a batch in one bilinear resampling step (zero fill)."""
    images = np.asarray(images, np.float32)
    n, h, w = images.shape[:3]
    m = np.broadcast_to(affine_matrices(h, w, angle, translate, scale, shear), (n, 8))
    ys, xs = _grid(h, w)
    # affine_matrices has no projective part (m[:, 6:] == 0), so the divisor of the general
    # 8-parameter map, m6 * x + m7 * y + 1, is exactly 1 and is left out
    x = m[:, 0, None, None] * xs + m[:, 1, None, None] * ys + m[:, 2, None, None]
    y = m[:, 3, None, None] * xs + m[:, 4, None, None] * ys + m[:, 5, None, None]
    return _bilinear(images[..., 0], x, y)[..., None]


@functools.lru_cache(maxsize=16)
def _blur_matrix(size: int, sigma: float) -> np.ndarray:
    """``(size, size)`` matrix of a 'SAME' zero-padded convolution with the Gaussian kernel of ``sigma``."""
    radius = max(1, int(math.ceil(3.0 * sigma)))
    t = np.arange(-radius, radius + 1, dtype=np.float32)
    k = np.exp(-0.5 * np.square(t / np.float32(sigma)))
    k /= k.sum()
    offset = np.arange(size)[None, :] - np.arange(size)[:, None]  # j - i
    matrix = np.where(np.abs(offset) <= radius, k[np.clip(offset + radius, 0, 2 * radius)], 0.0).astype(np.float32)
    matrix.flags.writeable = False
    return matrix


def gaussian_blur(images, sigma: float) -> np.ndarray:
    """Separable Gaussian blur with a fixed ``sigma`` (pixels); zero padding; any number of channels."""
    images = np.asarray(images, np.float32)
    if sigma <= 0:
        return images
    rows = _blur_matrix(images.shape[1], float(sigma))
    cols = _blur_matrix(images.shape[2], float(sigma))
    x = np.matmul(rows, np.moveaxis(images, 3, 1))  # (N, C, H, W): blur along H
    return np.moveaxis(np.matmul(x, cols.T), 1, 3).astype(np.float32, copy=False)  # along W


def displace(images, dx, dy) -> np.ndarray:
    """Resample ``images`` at ``(x + dx, y + dy)`` (bilinear, zero outside); fields ``(N, H, W)`` in pixels."""
    images = np.asarray(images, np.float32)
    h, w = images.shape[1:3]
    ys, xs = _grid(h, w)
    return _bilinear(images[..., 0], xs[None] + dx, ys[None] + dy)[..., None]


def elastic(images, dx_noise, dy_noise, alpha, sigma: float) -> np.ndarray:
    """Elastic distortion, as :func:`handdigits.transforms.functional.elastic`."""
    images = np.asarray(images, np.float32)
    alpha = _per_image(alpha, len(images)).reshape(-1, 1, 1)
    fields = gaussian_blur(np.stack([dx_noise, dy_noise], axis=-1).astype(np.float32), sigma)
    norm = np.sqrt(np.mean(np.square(fields), axis=(1, 2, 3), keepdims=True)) + np.float32(1e-8)
    fields = fields / norm
    return displace(images, alpha * fields[..., 0] / 3.0, alpha * fields[..., 1] / 3.0)


def dilate(images) -> np.ndarray:
    """Grey-level dilation with a 3×3 square (thicker strokes); borders see only the image."""
    images = np.asarray(images, np.float32)
    rows = images.copy()  # separable: max over 3 columns, then over 3 rows
    np.maximum(rows[:, :, 1:], images[:, :, :-1], out=rows[:, :, 1:])
    np.maximum(rows[:, :, :-1], images[:, :, 1:], out=rows[:, :, :-1])
    out = rows.copy()
    np.maximum(out[:, 1:], rows[:, :-1], out=out[:, 1:])
    np.maximum(out[:, :-1], rows[:, 1:], out=out[:, :-1])
    return out


def erode(images) -> np.ndarray:
    """Grey-level erosion with a 3×3 square (thinner strokes)."""
    return -dilate(-np.asarray(images, np.float32))


def stroke(images, amount) -> np.ndarray:
    """Change stroke thickness: ``amount`` in [-1, 1] per image; > 0 thickens, < 0 thins, 0 is identity."""
    images = np.asarray(images, np.float32)
    amount = _per_image(amount, len(images)).reshape(-1, 1, 1, 1)
    # a zero weight adds exactly +0.0 (the differences are >= 0), so a side no image needs is
    # left out: the same values, at half the cost for one image
    thick = images + (np.maximum(amount, 0.0) * (dilate(images) - images) if (amount > 0).any() else 0.0)
    thin = np.minimum(amount, 0.0) * (images - erode(images)) if (amount < 0).any() else 0.0
    return (thick + thin).astype(np.float32)


def gaussian_noise(images, noise, sigma) -> np.ndarray:
    """Add ``sigma * noise`` (``noise`` standard normal, same shape as ``images``)."""
    sigma = _per_image(sigma, len(images)).reshape(-1, 1, 1, 1)
    return (images + sigma * noise).astype(np.float32)


def salt_and_pepper(images, uniform, amount) -> np.ndarray:
    """Set a fraction ``amount`` of pixels to 0 or 1 (half each), chosen where ``uniform < amount``."""
    amount = _per_image(amount, len(images)).reshape(-1, 1, 1, 1)
    out = np.where(uniform < amount / 2.0, 0.0, images)
    return np.where((uniform >= amount / 2.0) & (uniform < amount), 1.0, out).astype(np.float32)

"""Deterministic corruptions of MNIST-format images (a robustness set in the spirit of MNIST-C).

MNIST-C (Mu & Gilmer, 2019) measures how a digit classifier copes with
corruptions it was not tuned on.  This module defines nine of them, each at one
fixed, fairly strong severity, so the ``"robustness/<name>"`` datasets of
:func:`handdigits.benchmark` are the same on every run:

============  ==============================================================
name          what each image gets (sign / direction drawn per image)
============  ==============================================================
noise         additive Gaussian noise, sigma = 0.3 of the full range
blur          Gaussian blur, sigma = 1.2 px
rotation      rotation by ±(20–35)°
shear         horizontal shear by ±(20–35)°
scale         zoom out ×(0.55–0.7) or zoom in ×(1.25–1.4), half each
translation   shift by 4–6 px in a random direction
stroke        strokes thickened (full 3×3 dilation) or thinned (60 % erosion), half each
contrast      contrast cut to 15–30 % around the image mean (ImageNet-C style)
jpeg          JPEG round trip (Pillow) at quality 5–10
============  ==============================================================

The per-image parameters (and the noise) come from
``numpy.random.default_rng([seed, k])`` where ``k`` is the corruption's index
in :data:`CORRUPTIONS`, so a corruption's output depends only on the images,
its name and ``seed``.  The pixel work reuses
:mod:`handdigits.transforms.functional` (TensorFlow) and Pillow (JPEG).
"""

from __future__ import annotations

import io

import numpy as np

from .validation import check_image_array, check_int

#: corruption name -> one-line description (order defines the seed index)
CORRUPTIONS = {
    "noise": "additive Gaussian noise, sigma 0.3 of full range",
    "blur": "Gaussian blur, sigma 1.2 px",
    "rotation": "rotation by ±(20-35)°",
    "shear": "shear by ±(20-35)°",
    "scale": "zoom out ×(0.55-0.7) or in ×(1.25-1.4)",
    "translation": "shift by 4-6 px in a random direction",
    "stroke": "strokes dilated (×1) or eroded (×0.6)",
    "contrast": "contrast cut to 15-30 % around the image mean",
    "jpeg": "JPEG round trip at quality 5-10",
}


def _signs(rng, n):
    return np.where(rng.random(n) < 0.5, -1.0, 1.0).astype(np.float32)


def _noise(x, rng):
    from .transforms import functional as F

    return F.gaussian_noise(x, rng.standard_normal(x.shape).astype(np.float32), 0.3)


def _blur(x, rng):
    from .transforms import functional as F

    return F.gaussian_blur(x, 1.2)


def _rotation(x, rng):
    from .transforms import functional as F

    n = len(x)
    return F.affine(x, angle=_signs(rng, n) * rng.uniform(20, 35, n).astype(np.float32))


def _shear(x, rng):
    from .transforms import functional as F

    n = len(x)
    return F.affine(x, shear=_signs(rng, n) * rng.uniform(20, 35, n).astype(np.float32))


def _scale(x, rng):
    from .transforms import functional as F

    n = len(x)
    zoom_in = rng.random(n) < 0.5
    s = np.where(zoom_in, rng.uniform(1.25, 1.4, n), rng.uniform(0.55, 0.7, n)).astype(np.float32)
    return F.affine(x, scale=s)


def _translation(x, rng):
    from .transforms import functional as F

    n = len(x)
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = rng.uniform(4, 6, n)
    dx = (radius * np.cos(angle)).astype(np.float32)
    dy = (radius * np.sin(angle)).astype(np.float32)
    return F.affine(x, translate=(dx, dy))


def _stroke(x, rng):
    from .transforms import functional as F

    n = len(x)
    amount = np.where(rng.random(n) < 0.5, 1.0, -0.6).astype(np.float32)
    return F.stroke(x, amount)


def _contrast(x, rng):
    c = rng.uniform(0.15, 0.3, len(x)).astype(np.float32)[:, None, None, None]
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    return mean + c * (x - mean)


def _jpeg(x, rng):
    from PIL import Image

    quality = rng.integers(5, 11, len(x))
    out = np.empty(x.shape, np.float32)
    u8 = np.round(np.clip(x[..., 0], 0, 1) * 255).astype(np.uint8)
    for i, (img, q) in enumerate(zip(u8, quality)):
        buf = io.BytesIO()
        Image.fromarray(img, mode="L").save(buf, format="JPEG", quality=int(q))
        buf.seek(0)
        out[i, ..., 0] = np.asarray(Image.open(buf).convert("L"), np.float32) / 255.0
    return out


_FUNCS = {
    "noise": _noise,
    "blur": _blur,
    "rotation": _rotation,
    "shear": _shear,
    "scale": _scale,
    "translation": _translation,
    "stroke": _stroke,
    "contrast": _contrast,
    "jpeg": _jpeg,
}


def corrupt(images, name: str, seed: int = 0) -> np.ndarray:
    """Apply the corruption ``name`` (a key of :data:`CORRUPTIONS`) to a batch.

    Args:
        images: ``(N, H, W)`` or ``(N, H, W, 1)`` array with values in
            ``[0, 255]`` (uint8 or float; MNIST polarity, white ink on black).
        name: one of :data:`CORRUPTIONS`.
        seed: int; the same images, name and seed always give the same output.

    Returns:
        uint8 array of the same shape as ``images``, values in ``[0, 255]``.

    Example::

        >>> x = np.zeros((2, 28, 28), np.uint8); x[:, 10:18, 12:16] = 255
        >>> corrupt(x, "blur").shape
        (2, 28, 28)
    """
    if not isinstance(name, str) or name not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {name!r}; choose from {', '.join(CORRUPTIONS)}")
    seed = check_int(seed, "seed", low=0)
    x = check_image_array(images, min_ndim=3, max_ndim=4, name="corrupt")
    if x.ndim == 4 and x.shape[-1] != 1:
        raise ValueError(f"corrupt: expected (N, H, W) or (N, H, W, 1) grayscale images, got shape {x.shape}")
    if x.min() < 0 or x.max() > 255:
        raise ValueError(f"corrupt: values must be in [0, 255], got [{x.min()}, {x.max()}]")
    shape = x.shape
    batch = (x.reshape(shape[0], shape[1], shape[2], 1).astype(np.float32)) / 255.0
    rng = np.random.default_rng([int(seed), list(CORRUPTIONS).index(name)])
    out = np.asarray(_FUNCS[name](batch, rng), dtype=np.float32)
    return np.round(np.clip(out, 0.0, 1.0) * 255.0).astype(np.uint8).reshape(shape)

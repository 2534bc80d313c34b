"""Geometric transforms: shift, rotation, scale, shear (one affine warp) and elastic distortion."""

from __future__ import annotations

import numpy as np

from ..validation import check_number, check_range
from . import numpy_functional as NF
from .base import Transform, register

MAX_DEGREES = 90.0  # bound so that e.g. a 6 can never be turned into a 9


@register
class RandomAffine(Transform):
    """Random rotation, shift, scale and shear, resampled once (bilinear).

    Args:
        degrees: rotation drawn from ``[-degrees, degrees]`` (at most 90).
        translate: maximum shift as a fraction of the width / height,
            ``dx ~ U(-translate*W, translate*W)`` (same for ``dy``).
        scale: ``(min, max)`` zoom factor range; 1 keeps the size.
        shear: shear angle drawn from ``[-shear, shear]`` degrees (at most 45).
        seed: int, numpy ``Generator`` or ``keras.random.SeedGenerator``.
    """

    def __init__(self, degrees=0.0, translate=0.0, scale=(1.0, 1.0), shear=0.0, seed=None):
        super().__init__(seed)
        self.degrees = check_number(degrees, "degrees", low=0.0, high=MAX_DEGREES)
        self.translate = check_number(translate, "translate", low=0.0, high=1.0)
        self.scale = check_range(scale, "scale", low=0.0)
        if self.scale[0] <= 0:
            raise ValueError(f"scale must be > 0, got {scale!r}")
        self.shear = check_number(shear, "shear", low=0.0, high=45.0)

    def apply_batch(self, images):
        import tensorflow as tf

        from . import functional as F

        shape = tf.shape(images)
        n = shape[0]
        h = tf.cast(shape[1], tf.float32)
        w = tf.cast(shape[2], tf.float32)
        angle = self._uniform([n], -self.degrees, self.degrees)
        dx = self._uniform([n], -self.translate, self.translate) * w
        dy = self._uniform([n], -self.translate, self.translate) * h
        scale = self._uniform([n], self.scale[0], self.scale[1])
        shear = self._uniform([n], -self.shear, self.shear)
        return F.affine(images, angle=angle, translate=(dx, dy), scale=scale, shear=shear)

    def apply_numpy(self, images):
        n, h, w = images.shape[:3]
        angle = self._np_uniform(n, -self.degrees, self.degrees)
        dx = self._np_uniform(n, -self.translate, self.translate) * np.float32(w)
        dy = self._np_uniform(n, -self.translate, self.translate) * np.float32(h)
        scale = self._np_uniform(n, self.scale[0], self.scale[1])
        shear = self._np_uniform(n, -self.shear, self.shear)
        return NF.affine(images, angle=angle, translate=(dx, dy), scale=scale, shear=shear)

    def get_config(self):
        return {
            "degrees": self.degrees,
            "translate": self.translate,
            "scale": list(self.scale),
            "shear": self.shear,
            **super().get_config(),
        }


@register
class RandomShift(RandomAffine):
    """Random translation by up to ``factor`` of the width / height (Keras ``RandomTranslation`` convention)."""

    def __init__(self, factor=0.1, seed=None):
        super().__init__(translate=check_number(factor, "factor", low=0.0, high=1.0), seed=seed)

    def get_config(self):
        return {"factor": self.translate, "seed": super().get_config()["seed"]}


@register
class RandomRotation(RandomAffine):
    """Random rotation in ``[-degrees, degrees]`` (at most 90 so digits keep their label)."""

    def __init__(self, degrees=10.0, seed=None):
        super().__init__(degrees=degrees, seed=seed)

    def get_config(self):
        return {"degrees": self.degrees, "seed": super().get_config()["seed"]}


@register
class RandomScale(RandomAffine):
    """Random zoom by a factor drawn from ``scale=(min, max)``, keeping the image size."""

    def __init__(self, scale=(0.9, 1.1), seed=None):
        super().__init__(scale=scale, seed=seed)

    def get_config(self):
        return {"scale": list(self.scale), "seed": super().get_config()["seed"]}


@register
class RandomShear(RandomAffine):
    """Random horizontal shear in ``[-degrees, degrees]`` (at most 45)."""

    def __init__(self, degrees=10.0, seed=None):
        super().__init__(shear=check_number(degrees, "degrees", low=0.0, high=45.0), seed=seed)

    def get_config(self):
        return {"degrees": self.shear, "seed": super().get_config()["seed"]}


@register
class RandomElastic(Transform):
    """Elastic distortion (Simard, Steinkraus & Platt, 2003).

    Args:
        alpha: largest typical displacement in pixels; each image draws its
            own strength ``a ~ U(0, alpha)`` and its field is scaled to an RMS
            displacement of ``a / 3`` pixels per axis (see
            :func:`handdigits.transforms.functional.elastic`).
        sigma: smoothness of the displacement field (Gaussian sigma, pixels).
    """

    def __init__(self, alpha=2.0, sigma=4.0, seed=None):
        super().__init__(seed)
        self.alpha = check_number(alpha, "alpha", low=0.0, high=28.0)
        self.sigma = check_number(sigma, "sigma", low=0.0, low_open=True, high=28.0)

    def apply_batch(self, images):
        import tensorflow as tf

        from . import functional as F

        if self.alpha == 0:
            return images
        shape = tf.shape(images)
        field = [shape[0], shape[1], shape[2]]
        dx = self._uniform(field, -1.0, 1.0)
        dy = self._uniform(field, -1.0, 1.0)
        alpha = self._uniform([shape[0]], 0.0, self.alpha)
        return F.elastic(images, dx, dy, alpha, self.sigma)

    def apply_numpy(self, images):
        if self.alpha == 0:
            return images
        field = images.shape[:3]
        dx = self._np_uniform(field, -1.0, 1.0)
        dy = self._np_uniform(field, -1.0, 1.0)
        alpha = self._np_uniform(field[0], 0.0, self.alpha)
        return NF.elastic(images, dx, dy, alpha, self.sigma)

    def get_config(self):
        return {"alpha": self.alpha, "sigma": self.sigma, **super().get_config()}

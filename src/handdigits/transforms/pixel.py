"""Pixel-level transforms: stroke thickness and noise."""

from __future__ import annotations

import numpy as np

from ..validation import check_number
from . import numpy_functional as NF
from .base import Transform, register


@register
class RandomStroke(Transform):
    """Thinner or thicker ink: each image draws ``amount ~ U(-factor, factor)``.

    ``amount > 0`` blends towards a 3×3 dilation (thicker), ``< 0`` towards an
    erosion (thinner).  ``factor`` is at most 1.
    """

    def __init__(self, factor=0.5, seed=None):
        super().__init__(seed)
        self.factor = check_number(factor, "factor", low=0.0, high=1.0)

    def apply_batch(self, images):
        import tensorflow as tf

        from . import functional as F

        if self.factor == 0:
            return images
        amount = self._uniform([tf.shape(images)[0]], -self.factor, self.factor)
        return F.stroke(images, amount)

    def apply_numpy(self, images):
        if self.factor == 0:
            return images
        return NF.stroke(images, self._np_uniform(len(images), -self.factor, self.factor))

    def get_config(self):
        return {"factor": self.factor, **super().get_config()}


@register
class GaussianNoise(Transform):
    """Additive Gaussian noise; each image draws ``sigma ~ U(0, max_sigma)`` (fraction of full range)."""

    def __init__(self, max_sigma=0.1, seed=None):
        super().__init__(seed)
        self.max_sigma = check_number(max_sigma, "max_sigma", low=0.0, high=1.0)

    def apply_batch(self, images):
        import tensorflow as tf

        from . import functional as F

        if self.max_sigma == 0:
            return images
        sigma = self._uniform([tf.shape(images)[0]], 0.0, self.max_sigma)
        return F.gaussian_noise(images, self._normal(tf.shape(images)), sigma)

    def apply_numpy(self, images):
        if self.max_sigma == 0:
            return images
        sigma = self._np_uniform(len(images), 0.0, self.max_sigma)
        return NF.gaussian_noise(images, self.numpy_rng.standard_normal(images.shape, dtype=np.float32), sigma)

    def get_config(self):
        return {"max_sigma": self.max_sigma, **super().get_config()}


@register
class SaltAndPepper(Transform):
    """Set a random fraction ``U(0, max_amount)`` of each image's pixels to black or white."""

    def __init__(self, max_amount=0.05, seed=None):
        super().__init__(seed)
        self.max_amount = check_number(max_amount, "max_amount", low=0.0, high=1.0)

    def apply_batch(self, images):
        import tensorflow as tf

        from . import functional as F

        if self.max_amount == 0:
            return images
        amount = self._uniform([tf.shape(images)[0]], 0.0, self.max_amount)
        return F.salt_and_pepper(images, self._uniform(tf.shape(images)), amount)

    def apply_numpy(self, images):
        if self.max_amount == 0:
            return images
        amount = self._np_uniform(len(images), 0.0, self.max_amount)
        return NF.salt_and_pepper(images, self._np_uniform(images.shape), amount)

    def get_config(self):
        return {"max_amount": self.max_amount, **super().get_config()}

"""Transforms made of transforms: ``Compose``, ``RandomApply`` and ``OneOf``."""

from __future__ import annotations

import numpy as np

from ..validation import check_probability
from .base import Transform, deserialize, register, serialize


def _transform_list(transforms, owner: str) -> list:
    """``transforms`` as a list, checking every item is a :class:`Transform`."""
    if isinstance(transforms, Transform) or not hasattr(transforms, "__iter__"):
        raise TypeError(f"{owner} expects a list of handdigits transforms, got {transforms!r}")
    transforms = list(transforms)
    for t in transforms:
        if not isinstance(t, Transform):
            raise TypeError(f"{owner} expects handdigits transforms, got {t!r}")
    return transforms


@register
class Compose(Transform):
    """Apply transforms in sequence (like ``torchvision.transforms.Compose``)."""

    def __init__(self, transforms):
        super().__init__(None)
        transforms = _transform_list(transforms, "Compose")
        self.transforms = transforms

    def apply_batch(self, images):
        for t in self.transforms:
            images = t.apply_batch(images)
        return images

    def apply_numpy(self, images):
        for t in self.transforms:
            images = t.apply_numpy(images)
        return images

    def get_config(self):
        return {"transforms": [serialize(t) for t in self.transforms]}

    @classmethod
    def from_config(cls, config):
        return cls([deserialize(s) for s in config["transforms"]])

    def __repr__(self):
        inner = ",\n    ".join(repr(t) for t in self.transforms)
        return f"Compose([\n    {inner}\n])"


@register
class RandomApply(Transform):
    """Apply ``transform`` to each image independently with probability ``p``."""

    def __init__(self, transform, p: float = 0.5, seed=None):
        super().__init__(seed)
        if not isinstance(transform, Transform):
            raise TypeError(f"RandomApply expects a handdigits transform, got {transform!r}")
        self.transform = transform
        self.p = check_probability(p, "p")

    def apply_batch(self, images):
        import tensorflow as tf

        n = tf.shape(images)[0]
        mask = self._uniform([n]) < self.p
        return tf.where(mask[:, None, None, None], self.transform.apply_batch(images), images)

    def apply_numpy(self, images):
        mask = self._np_uniform(len(images)) < self.p
        if not mask.any():
            return images
        if mask.all():  # (one image, applied) no copies; the same values as below
            return self.transform.apply_numpy(images).astype(images.dtype, copy=False)
        out = images.copy()
        out[mask] = self.transform.apply_numpy(images[mask])
        return out

    def get_config(self):
        return {"transform": serialize(self.transform), "p": self.p, **super().get_config()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(deserialize(config.pop("transform")), **config)


@register
class OneOf(Transform):
    """Apply one of ``transforms`` to each image, chosen with probabilities ``p`` (uniform by default)."""

    def __init__(self, transforms, p=None, seed=None):
        super().__init__(seed)
        transforms = _transform_list(transforms, "OneOf")
        if not transforms:
            raise ValueError("OneOf needs at least one transform")
        if p is None:
            p = [1.0 / len(transforms)] * len(transforms)
        if isinstance(p, (str, bytes)) or not hasattr(p, "__len__"):
            raise ValueError(f"p must be a sequence of one probability per transform, got {p!r}")
        p = [check_probability(v, f"p[{i}]") for i, v in enumerate(p)]
        if len(p) != len(transforms) or not np.isclose(sum(p), 1.0):
            raise ValueError(f"p must have one probability per transform summing to 1, got {p}")
        self.transforms = transforms
        self.p = p

    def apply_batch(self, images):
        import tensorflow as tf

        n = tf.shape(images)[0]
        u = self._uniform([n])
        edges = np.cumsum(self.p)[:-1].astype(np.float32)
        choice = tf.reduce_sum(tf.cast(u[:, None] >= edges[None, :], tf.int32), axis=1)
        out = images
        for i, t in enumerate(self.transforms):
            out = tf.where((choice == i)[:, None, None, None], t.apply_batch(images), out)
        return out

    def apply_numpy(self, images):
        u = self._np_uniform(len(images))
        choice = (u[:, None] >= np.cumsum(self.p)[:-1].astype(np.float32)[None, :]).sum(axis=1)
        out = images.copy()
        for i, t in enumerate(self.transforms):
            chosen = choice == i
            if chosen.any():
                out[chosen] = t.apply_numpy(images[chosen])
        return out

    def get_config(self):
        return {"transforms": [serialize(t) for t in self.transforms], "p": self.p, **super().get_config()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls([deserialize(s) for s in config.pop("transforms")], **config)

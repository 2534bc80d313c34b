"""Composable, seeded, batch-vectorised augmentation for digit images.

Each transform validates its parameters at construction, draws per-image
random parameters from its own seeded generator, and applies a pure function
from :mod:`handdigits.transforms.functional`.  Inputs may be a single image
``(H, W)`` / ``(H, W, 1)`` or a batch ``(N, H, W)`` / ``(N, H, W, 1)``, uint8
or float, as numpy arrays or TensorFlow tensors (so ``ds.map(t)`` works in
``tf.data``); the output has the input's shape and dtype.

Importing this module is cheap; TensorFlow is imported on first use.
"""

from .base import Transform, deserialize, serialize
from .combinators import Compose, OneOf, RandomApply
from .geometric import RandomAffine, RandomElastic, RandomRotation, RandomScale, RandomShear, RandomShift
from .pipeline import augment_fixed, default_augmentation
from .pixel import GaussianNoise, RandomStroke, SaltAndPepper

__all__ = [
    "Compose",
    "GaussianNoise",
    "OneOf",
    "RandomAffine",
    "RandomApply",
    "RandomElastic",
    "RandomRotation",
    "RandomScale",
    "RandomShear",
    "RandomShift",
    "RandomStroke",
    "SaltAndPepper",
    "Transform",
    "augment_fixed",
    "default_augmentation",
    "deserialize",
    "serialize",
]

"""The standard augmentation pipeline used for training and the "augmented" evaluation set."""

from __future__ import annotations

from ..validation import check_number
from .base import _seed_value
from .combinators import Compose, RandomApply
from .geometric import RandomAffine, RandomElastic
from .pixel import GaussianNoise, RandomStroke, SaltAndPepper


def default_augmentation(strength: float = 1.0, seed=None) -> Compose:
    """The handdigits augmentation pipeline.

    At ``strength=1``: rotation ±12°, shift ±10 %, scale 0.85–1.15, shear ±10°
    (one warp), elastic distortion on half the images, stroke thickness ±60 %,
    Gaussian noise (σ ≤ 0.08) on 30 % and salt-and-pepper (≤ 2 %) on 10 % of
    images.  Magnitudes scale linearly with ``strength`` (0 is the identity;
    at most 2).  With an int ``seed`` each stage gets its own derived seed, so
    the whole pipeline is reproducible.  A numpy ``Generator`` seed is turned
    into such an int (drawn from it); a ``keras.random.SeedGenerator`` is
    shared by all stages (reproducible too, but not recorded by ``get_config``).
    """
    s = check_number(strength, "strength", low=0.0, high=2.0)
    seed = _base_seed(seed)

    def sub(i):
        if seed is None or not isinstance(seed, int):
            return seed  # None, or one keras SeedGenerator shared by every stage
        return seed * 16 + i

    return Compose(
        [
            RandomAffine(
                degrees=12.0 * s,
                translate=0.1 * s,
                scale=(1.0 - 0.15 * s, 1.0 + 0.15 * s),
                shear=10.0 * s,
                seed=sub(0),
            ),
            RandomApply(RandomElastic(alpha=1.5 * s, sigma=3.0, seed=sub(1)), p=0.5, seed=sub(2)),
            RandomStroke(factor=min(1.0, 0.6 * s), seed=sub(3)),
            RandomApply(GaussianNoise(max_sigma=min(1.0, 0.08 * s), seed=sub(4)), p=0.3, seed=sub(5)),
            RandomApply(SaltAndPepper(max_amount=min(1.0, 0.02 * s), seed=sub(6)), p=0.1, seed=sub(7)),
        ]
    )


def augment_fixed(images, seed: int = 0, strength: float = 1.0, batch_size: int = 1000):
    """Apply :func:`default_augmentation` with a fixed ``seed`` to a whole array.

    Deterministic: the same images, seed and batch size give the same output on
    every run.  This defines the "augmented" evaluation sets.
    """
    import numpy as np

    aug = default_augmentation(strength=strength, seed=seed)
    images = np.asarray(images)
    if len(images) == 0:
        raise ValueError("augment_fixed: got an empty array")
    return np.concatenate([aug(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])


def _base_seed(seed):
    """``seed`` as accepted by :func:`default_augmentation`: None, an int or a SeedGenerator."""
    import numpy as np

    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**27))  # so that seed * 16 + i stays a 32-bit int
    return _seed_value(seed)

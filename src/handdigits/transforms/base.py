"""The transform base class, its seeds and (de)serialisation.

How a call runs on each kind of input is in :mod:`handdigits.transforms.inputs`;
the combinators (``Compose``, ``RandomApply``, ``OneOf``) in
:mod:`handdigits.transforms.combinators`.
"""

from __future__ import annotations

import numpy as np

from .inputs import run

_REGISTRY: dict[str, type] = {}


def register(cls):
    """Class decorator: make a transform rebuildable by :func:`from_config`."""
    _REGISTRY[cls.__name__] = cls
    return cls


def serialize(transform) -> dict:
    """``{"class_name": ..., "config": ...}``: JSON-able; :func:`deserialize` rebuilds it."""
    return {"class_name": type(transform).__name__, "config": transform.get_config()}


def deserialize(spec: dict):
    """Rebuild a transform from ``{"class_name": ..., "config": ...}``."""
    if not isinstance(spec, dict) or not isinstance(spec.get("config"), dict):
        raise TypeError(f'expected {{"class_name": str, "config": dict}} (from serialize), got {spec!r}')
    try:
        cls = _REGISTRY[spec["class_name"]]
    except KeyError:
        raise ValueError(f"unknown transform {spec.get('class_name')!r}; known: {sorted(_REGISTRY)}") from None
    return cls.from_config(spec["config"])


def _seed_value(seed):
    """Normalise ``seed`` to an int or None (a numpy Generator is drawn from)."""
    if seed is None:
        return None
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**31 - 1))
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return int(seed)
    if type(seed).__name__ == "SeedGenerator":
        return seed
    raise TypeError(f"seed must be an int, None, a numpy Generator or a keras SeedGenerator, got {seed!r}")


class Transform:
    """Base class: a random transform on one image or a batch.

    Subclasses implement :meth:`apply_batch`, which receives a float32
    TensorFlow batch ``(N, H, W, 1)`` in ``[0, 1]`` and returns one of the same
    shape; randomness comes from :meth:`_uniform` / :meth:`_normal`, which draw
    from this transform's own seeded generator.  ``__call__`` handles every
    accepted input layout and dtype and restores it on the way out.
    """

    def __init__(self, seed=None):
        self.seed = _seed_value(seed)
        self._generator = None
        self._rng = None

    # -- randomness -------------------------------------------------------
    @property
    def seed_generator(self):
        import keras

        if self._generator is None:
            if type(self.seed).__name__ == "SeedGenerator":
                self._generator = self.seed
            else:
                self._generator = keras.random.SeedGenerator(self.seed)
        return self._generator

    def _uniform(self, shape, low=0.0, high=1.0):
        import keras

        return keras.random.uniform(shape, minval=low, maxval=high, seed=self.seed_generator)

    def _normal(self, shape):
        import keras

        return keras.random.normal(shape, seed=self.seed_generator)

    @property
    def numpy_rng(self) -> np.random.Generator:
        """The numpy generator of the numpy path (seeded with :attr:`seed`; its own stream)."""
        if self._rng is None:
            self._rng = np.random.default_rng(self.seed)
        return self._rng

    def _np_uniform(self, size, low=0.0, high=1.0) -> np.ndarray:
        return self.numpy_rng.uniform(low, high, size).astype(np.float32)

    # -- the work ---------------------------------------------------------
    def apply_batch(self, images):  # pragma: no cover - abstract
        raise NotImplementedError

    def apply_numpy(self, images):
        """The numpy twin of :meth:`apply_batch` on a float32 ``(N, H, W, 1)`` array in ``[0, 1]``.

        Used for numpy input of one image (no TensorFlow call).  Same
        distribution as :meth:`apply_batch`, drawn from :attr:`numpy_rng`.
        Subclasses that define :meth:`apply_batch` without this method run on
        TensorFlow for every input.
        """
        raise NotImplementedError

    def __call__(self, images, *passthrough):
        """Transform ``images`` (numpy array or TensorFlow tensor; any accepted layout).

        Returns the same shape and dtype (a numpy array for numpy input, a
        tensor for tensor input).  Extra positional arguments (e.g. labels in
        ``ds.map(t)`` over ``(image, label)`` elements) are returned unchanged:
        ``t(x, y) -> (t(x), y)``.
        """
        out = run(self, images)
        return (out, *passthrough) if passthrough else out

    # -- configuration ----------------------------------------------------
    def get_config(self) -> dict:
        seed = self.seed if isinstance(self.seed, int) else None
        return {"seed": seed}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def __getattr__(name: str):
    """``Compose``, ``RandomApply`` and ``OneOf`` lived here; they are in :mod:`.combinators` now."""
    if name in ("Compose", "RandomApply", "OneOf"):
        from . import combinators

        return getattr(combinators, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

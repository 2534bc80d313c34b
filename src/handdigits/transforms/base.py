"""Transform base class, input/output conversion and the combinators."""

from __future__ import annotations

import sys

import numpy as np

from ..validation import check_image_array, check_image_shape, check_image_tensor, check_probability

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
        out = _run(self, images)
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


def _is_tensor(x) -> bool:
    """True for TensorFlow tensors (eager or symbolic).

    If TensorFlow has not been imported yet, ``x`` cannot be a tensor, so this
    never imports it.
    """
    tf = sys.modules.get("tensorflow")
    return tf is not None and hasattr(tf, "is_tensor") and bool(tf.is_tensor(x))


def _numpy_ready(transform: Transform) -> bool:
    """Whether ``transform`` and everything inside it have a numpy path (and no keras SeedGenerator seed)."""
    owner = next(c for c in type(transform).__mro__ if "apply_batch" in c.__dict__)
    if "apply_numpy" not in owner.__dict__ or type(transform.seed).__name__ == "SeedGenerator":
        return False
    inner = getattr(transform, "transforms", None) or (
        [transform.transform] if isinstance(getattr(transform, "transform", None), Transform) else []
    )
    return all(_numpy_ready(t) for t in inner)


def _run_numpy(transform: Transform, x: np.ndarray) -> np.ndarray:
    """One numpy image ``(H, W)`` or ``(H, W, 1)`` through :meth:`Transform.apply_numpy` (as :func:`_run_tensor`)."""
    dtype = x.dtype
    img = x.reshape(1, x.shape[0], x.shape[1], 1).astype(np.float32)
    if dtype == np.bool_:
        peak = np.float32(1.0)  # False/True -> 0/1, thresholded at 0.5 on the way out
    elif np.issubdtype(dtype, np.integer):
        peak = np.float32(255.0)
    else:
        peak = np.float32(255.0 if img.max() > 1.0 else 1.0)
    y = np.clip(transform.apply_numpy(img / peak), 0.0, 1.0) * peak
    if dtype == np.bool_ or np.issubdtype(dtype, np.integer):
        y = np.round(y)
    return y.astype(dtype).reshape(x.shape)


def _run(transform: Transform, images):
    """Apply ``transform`` to numpy or TensorFlow input of any accepted layout.

    One numpy image runs on numpy (:meth:`Transform.apply_numpy`) when every
    transform in ``transform`` has a numpy path; everything else on TensorFlow.
    """
    name = type(transform).__name__
    if _is_tensor(images):
        import tensorflow as tf

        if not isinstance(images, tf.Tensor):  # variables, ragged or sparse tensors
            if isinstance(images, tf.Variable):
                images = tf.convert_to_tensor(images)
            else:
                raise TypeError(f"{name}: expected a dense tensor, got {type(images).__name__}")
        return _run_tensor(transform, check_image_tensor(images, name=name))
    x = check_image_array(images, min_ndim=2, max_ndim=4, name=name)
    check_image_shape(x.shape, name=name)
    if x.dtype == np.uint8 and np.asarray(images).dtype == np.bool_:
        x = x > 0  # check_image_array turned it into uint8 0/255; keep the caller's dtype
    if (x.ndim == 2 or (x.ndim == 3 and x.shape[-1] == 1)) and _numpy_ready(transform):
        return _run_numpy(transform, x)
    return _compiled(transform, x.dtype, x.shape[1:])(x).numpy()


def _children(transform: Transform) -> list:
    inner = getattr(transform, "transforms", None)
    if inner is None and isinstance(getattr(transform, "transform", None), Transform):
        inner = [transform.transform]
    return list(inner or [])


def _compiled(transform: Transform, dtype, tail: tuple):
    """``transform`` on numpy batches ``(N, *tail)`` as a ``tf.function`` with a fixed signature.

    Traced once per dtype and image shape and kept on the transform, so
    repeated calls do not retrace.  Random draws are the same as eager calls
    (Keras' stateless ops seeded by the transform's ``SeedGenerator``).
    """
    cache = transform.__dict__.setdefault("_compiled_fns", {})
    key = (np.dtype(dtype).str, tuple(tail))
    fn = cache.get(key)
    if fn is None:
        import tensorflow as tf

        stack = [transform]
        while stack:  # create every SeedGenerator (a variable) before tracing
            t = stack.pop()
            t.seed_generator  # noqa: B018
            stack.extend(_children(t))
        ndim = len(tail) + 1
        spec = tf.TensorSpec([None, *tail], tf.as_dtype(np.dtype(dtype)))
        fn = tf.function(
            lambda images: _run_tensor(transform, images, ndim_hint=ndim), input_signature=[spec], autograph=False
        )
        cache[key] = fn
    return fn


def _layout(shape, ndim_hint=None):
    """Return the layout of a shape: 'hw', 'hw1', 'nhw' or 'nhw1'.

    A 3-D shape is ambiguous: it is read as one ``(H, W, 1)`` image when its
    last size is 1 and as an ``(N, H, W)`` batch otherwise (also when the last
    size is unknown, as in a traced ``tf.data`` function).  So a batch of
    images one pixel wide cannot be passed as ``(N, H, 1)``; use ``(N, H, 1, 1)``.
    """
    ndim = len(shape) if ndim_hint is None else ndim_hint
    if ndim == 2:
        return "hw"
    if ndim == 3:
        # (H, W, 1) is a single image; (N, H, W) is a batch.
        return "hw1" if shape[-1] == 1 else "nhw"
    if ndim == 4:
        return "nhw1"
    raise ValueError(f"expected 2 to 4 dimensions, got shape {tuple(shape)}")


def _run_tensor(transform: Transform, images, ndim_hint=None):
    import tensorflow as tf

    dtype = images.dtype
    layout = _layout(images.shape, ndim_hint)
    x = tf.cast(images, tf.float32)
    if layout == "hw":
        x = x[None, :, :, None]
    elif layout == "hw1":
        x = x[None]
    elif layout == "nhw":
        x = x[..., None]
    if dtype.is_bool:
        peak = tf.constant(1.0)  # False/True -> 0/1, thresholded at 0.5 on the way out
    elif dtype.is_integer:
        peak = tf.constant(255.0)
    else:
        peak = tf.where(tf.reduce_max(x) > 1.0, 255.0, 1.0)
    y = transform.apply_batch(x / peak)
    y = tf.clip_by_value(y, 0.0, 1.0) * peak
    if dtype.is_integer or dtype.is_bool:
        y = tf.round(y)
    y = tf.cast(y, dtype)
    if layout == "hw":
        y = y[0, :, :, 0]
    elif layout == "hw1":
        y = y[0]
    elif layout == "nhw":
        y = y[..., 0]
    return y


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

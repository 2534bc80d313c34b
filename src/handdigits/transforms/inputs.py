"""How a transform runs on what users give it: numpy arrays or tensors, any layout and dtype.

Accepted: one image ``(H, W)`` / ``(H, W, 1)`` or a batch ``(N, H, W)`` /
``(N, H, W, 1)``; ``uint8``, ``bool``, other integer dtypes holding values in
``0..255``, or floats in ``[0, 1]`` or ``[0, 255]``.  Every transform works on
float32 ``[0, 1]``; the input's range is restored on the way out, in its dtype.

Integer dtypes other than ``uint8`` (``uint16``, ``int64``, ...) are read like
``uint8``, as ``0..255``, and a value outside ``0..255`` is an error
(:class:`ValueError`; in a traced ``tf.data`` graph an ``InvalidArgumentError``
when the data flows).  They are not scaled by the dtype's maximum: torchvision
and Keras never rescale implicitly either (torchvision asks for
``ToDtype(..., scale=True)``), and ``np.array`` of Python ints is ``int64``,
whose maximum (2**63 - 1) would silently turn such a digit black.  Convert a
16-bit image yourself, e.g. ``(x / 65535).astype("float32")``.
"""

from __future__ import annotations

import functools
import sys

import numpy as np

from ..validation import check_image_array, check_image_shape, check_image_tensor

#: the value range of integer images (as uint8)
INTEGER_RANGE = (0, 255)


def _integer_range_error(name: str, dtype, low, high) -> ValueError:
    return ValueError(
        f"{name}: {np.dtype(dtype).name} image with values {low}..{high}; integer images must hold 0..255 "
        f"(like uint8; they are not scaled by the dtype's maximum). Convert first, e.g. "
        f"(x / {np.iinfo(dtype).max}).astype('float32') for floats in [0, 1], or clip to 0..255"
    )


def check_integer_range(x: np.ndarray, name: str) -> None:
    """Raise :class:`ValueError` when an integer array other than uint8 holds values outside ``0..255``."""
    if x.dtype == np.uint8 or not np.issubdtype(x.dtype, np.integer):
        return
    low, high = x.min(), x.max()
    if low < INTEGER_RANGE[0] or high > INTEGER_RANGE[1]:
        raise _integer_range_error(name, x.dtype, low, high)


def is_tensor(x) -> bool:
    """True for TensorFlow tensors (eager or symbolic).

    If TensorFlow has not been imported yet, ``x`` cannot be a tensor, so this
    never imports it.
    """
    tf = sys.modules.get("tensorflow")
    return tf is not None and hasattr(tf, "is_tensor") and bool(tf.is_tensor(x))


def children(transform) -> list:
    """The transforms inside ``transform`` (``.transforms`` of Compose/OneOf, ``.transform`` of RandomApply)."""
    inner = getattr(transform, "transforms", None)
    if inner is None and hasattr(getattr(transform, "transform", None), "apply_batch"):
        inner = [transform.transform]
    return list(inner or [])


@functools.lru_cache(maxsize=None)
def _class_has_numpy_path(cls) -> bool:
    """Whether the class that defines ``cls.apply_batch`` also defines ``apply_numpy``."""
    owner = next(c for c in cls.__mro__ if "apply_batch" in c.__dict__)
    return "apply_numpy" in owner.__dict__


def numpy_ready(transform) -> bool:
    """Whether ``transform`` and everything inside it have a numpy path (and no keras SeedGenerator seed)."""
    if not _class_has_numpy_path(type(transform)) or type(transform.seed).__name__ == "SeedGenerator":
        return False
    return all(numpy_ready(t) for t in children(transform))


def run_numpy(transform, x: np.ndarray) -> np.ndarray:
    """One numpy image ``(H, W)`` or ``(H, W, 1)`` through ``transform.apply_numpy`` (as :func:`run_tensor`)."""
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


def run(transform, images):
    """Apply ``transform`` to numpy or TensorFlow input of any accepted layout.

    One numpy image runs on numpy (``transform.apply_numpy``) when every
    transform in ``transform`` has a numpy path; everything else on TensorFlow.
    """
    name = type(transform).__name__
    if is_tensor(images):
        import tensorflow as tf

        if not isinstance(images, tf.Tensor):  # variables, ragged or sparse tensors
            if isinstance(images, tf.Variable):
                images = tf.convert_to_tensor(images)
            else:
                raise TypeError(f"{name}: expected a dense tensor, got {type(images).__name__}")
        images = check_image_tensor(images, name=name)
        if tf.executing_eagerly() and hasattr(images, "numpy"):  # the values are known now
            check_integer_range(images.numpy(), name)
        return run_tensor(transform, images)
    x = check_image_array(images, min_ndim=2, max_ndim=4, name=name)
    check_image_shape(x.shape, name=name)
    check_integer_range(x, name)
    if x.dtype == np.uint8 and np.asarray(images).dtype == np.bool_:
        x = x > 0  # check_image_array turned it into uint8 0/255; keep the caller's dtype
    if (x.ndim == 2 or (x.ndim == 3 and x.shape[-1] == 1)) and numpy_ready(transform):
        return run_numpy(transform, x)
    return compiled(transform, x.dtype, x.shape[1:])(x).numpy()


def compiled(transform, dtype, tail: tuple):
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
            stack.extend(children(t))
        ndim = len(tail) + 1
        spec = tf.TensorSpec([None, *tail], tf.as_dtype(np.dtype(dtype)))
        fn = tf.function(
            lambda images: run_tensor(transform, images, ndim_hint=ndim), input_signature=[spec], autograph=False
        )
        cache[key] = fn
    return fn


def layout(shape, ndim_hint=None):
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


def _assert_integer_range(images, name: str):
    """``images`` behind a graph assertion that an integer tensor (not uint8) holds only 0..255."""
    import tensorflow as tf

    message = (f"{name}: {images.dtype.name} image with values outside 0..255; integer images must hold 0..255 "
               "(like uint8; they are not scaled by the dtype's maximum)")
    checks = [
        tf.debugging.assert_greater_equal(tf.reduce_min(images), tf.cast(INTEGER_RANGE[0], images.dtype), message),
        tf.debugging.assert_less_equal(tf.reduce_max(images), tf.cast(INTEGER_RANGE[1], images.dtype), message),
    ]
    with tf.control_dependencies(checks):
        return tf.identity(images)


def run_tensor(transform, images, ndim_hint=None):
    import tensorflow as tf

    dtype = images.dtype
    shape = layout(images.shape, ndim_hint)
    if dtype.is_integer and dtype != tf.uint8 and not tf.executing_eagerly():
        images = _assert_integer_range(images, type(transform).__name__)
    x = tf.cast(images, tf.float32)
    if shape == "hw":
        x = x[None, :, :, None]
    elif shape == "hw1":
        x = x[None]
    elif shape == "nhw":
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
    if shape == "hw":
        y = y[0, :, :, 0]
    elif shape == "hw1":
        y = y[0]
    elif shape == "nhw":
        y = y[..., 0]
    return y

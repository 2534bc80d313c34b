"""The one place where user inputs (arrays and parameters) are checked.

Every public function that accepts images or numeric parameters goes through
these helpers, so error messages are consistent: they say what was received
and what is accepted.
"""

from __future__ import annotations

import numbers

import numpy as np

from .images import decode as decode_image
from .images import is_image_source as _is_image_source


def describe(x) -> str:
    """A short description of ``x`` for error messages."""
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__}"


def check_image_array(x, *, min_ndim: int = 2, max_ndim: int = 4, name: str = "image") -> np.ndarray:
    """Validate a numeric image array and return it as a numpy array.

    Accepts real integer, boolean or floating dtypes with ``min_ndim``..``max_ndim``
    dimensions, no zero-sized axis and only finite values.
    """
    if not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x)
        except Exception as exc:  # noqa: BLE001 - anything numpy refuses is a type error here
            raise TypeError(f"{name}: expected a numeric array, got {describe(x)}") from exc
    if x.dtype == bool:
        x = x.astype(np.uint8) * 255
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise TypeError(
            f"{name}: expected a real numeric array (uint8 or float), got {describe(x)}"
        )
    if not min_ndim <= x.ndim <= max_ndim:
        raise ValueError(
            f"{name}: expected {min_ndim} to {max_ndim} dimensions "
            f"((H, W), (H, W, C) or a batch (N, H, W[, C])), got {describe(x)}"
        )
    if x.size == 0:
        raise ValueError(f"{name}: got an empty {describe(x)}")
    if np.issubdtype(x.dtype, np.floating) and not np.isfinite(x).all():
        raise ValueError(f"{name}: contains NaN or infinite values ({describe(x)})")
    return x


def image_count(images) -> str:
    """How many images a caller passed, for messages: ``"3"`` for a list, else a description of the value."""
    return str(len(images)) if isinstance(images, list) else describe(images)


def check_number(value, name: str, *, low=None, high=None, low_open: bool = False) -> float:
    """Validate a real scalar parameter in ``[low, high]`` (``(low, high]`` if ``low_open``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    value = float(value)
    if low is not None and (value < low or (low_open and value == low)):
        bound = f"> {low}" if low_open else f">= {low}"
        raise ValueError(f"{name} must be {bound}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_range(value, name: str, *, low=None, high=None) -> tuple[float, float]:
    """Validate a ``(min, max)`` pair of numbers with ``min <= max`` inside ``[low, high]``."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(f"{name} must be a (min, max) pair, got {value!r}")
    a = check_number(value[0], f"{name}[0]", low=low, high=high)
    b = check_number(value[1], f"{name}[1]", low=low, high=high)
    if a > b:
        raise ValueError(f"{name} must have min <= max, got {value!r}")
    return a, b


def check_probability(p, name: str = "p") -> float:
    return check_number(p, name, low=0.0, high=1.0)


def check_int(value, name: str, *, low=None, high=None) -> int:
    """Validate an integer parameter (Python or numpy int, not bool) in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f">= {low}" if high is None else (f"<= {high}" if low is None else f"in [{low}, {high}]")
        raise ValueError(f"{name} must be {bounds}, got {value}")
    return value


def check_bool(value, name: str, *, allow_none: bool = False) -> bool | None:
    """Validate a ``True``/``False`` parameter (``None`` too with ``allow_none``); 0, 1 and strings are refused."""
    if value is None and allow_none:
        return None
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be {'True, False or None' if allow_none else 'True or False'}, got {value!r}")
    return value


def check_choice(value, name: str, choices) -> str:
    """Validate that ``value`` is one of ``choices`` (compared with ``==``)."""
    if value not in tuple(choices):
        raise ValueError(f"{name} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}")
    return value


def check_mnist_batch(batch: np.ndarray, *, stacklevel: int = 4) -> np.ndarray:
    """Check an ``(N, 28, 28, 1)`` batch given with ``preprocess=False``; return it as float32.

    MNIST format is white ink on black with values in [0, 255].

    Raises:
        ValueError: a value outside [0, 255] (such as 1e300, or a negative one).

    Warns (``UserWarning``) when the batch looks like another format: every value
    in [0, 1] (images scaled to [0, 1]: multiply by 255), or most images with a
    light border (dark ink on a light background: invert them with ``255 - x``).
    Both cases give near-chance answers; ``preprocess=True`` handles them.

    >>> import numpy as np
    >>> check_mnist_batch(np.full((1, 28, 28, 1), 300, np.float32))
    Traceback (most recent call last):
    ...
    ValueError: preprocess=False needs MNIST-format values in [0, 255], got values from 300 to 300; use preprocess=True for other images
    """
    import warnings

    low, high = float(batch.min()), float(batch.max())
    if not (low >= 0.0 and high <= 255.0):  # also catches NaN
        raise ValueError(
            f"preprocess=False needs MNIST-format values in [0, 255], got values from {low:.3g} to {high:.3g}; "
            "use preprocess=True for other images"
        )
    batch = batch.astype(np.float32, copy=False)
    if 0.0 < high <= 1.0:
        warnings.warn(
            "preprocess=False: every value is in [0, 1], but MNIST format is [0, 255] (multiply by 255, "
            "or use preprocess=True); predictions will be near chance",
            UserWarning,
            stacklevel=stacklevel,
        )
        return batch
    frame = np.ones(batch.shape[1:3], bool)
    frame[2:-2, 2:-2] = False  # the two outer rows and columns: background in MNIST format
    light = batch[..., 0][:, frame].mean(axis=1) > 127.5
    if light.mean() > 0.5:
        warnings.warn(
            f"preprocess=False: {int(light.sum())} of {len(batch)} image(s) have a light border, but MNIST format "
            "is white ink on black (invert them with 255 - x, or use preprocess=True); predictions will be near chance",
            UserWarning,
            stacklevel=stacklevel,
        )
    return batch


def check_image_shape(shape, *, name: str = "image") -> tuple:
    """Validate the shape of a grayscale image or batch and return it as a tuple.

    Accepted: ``(H, W)``, ``(H, W, 1)``, ``(N, H, W)`` and ``(N, H, W, 1)``;
    unknown sizes (``None``, as in ``tf.data`` batches) are allowed except for
    the rank.  A 3-D shape ending in 3 or 4 is refused as a colour image
    (``(N, H, W)`` batches of images only 3 or 4 pixels wide are not digits).
    """
    shape = tuple(None if d is None else int(d) for d in shape)
    if not 2 <= len(shape) <= 4:
        raise ValueError(
            f"{name}: expected (H, W), (H, W, 1), (N, H, W) or (N, H, W, 1), got shape {shape}"
        )
    if len(shape) == 4 and shape[-1] not in (1, None):
        raise ValueError(f"{name}: batches must be (N, H, W) or (N, H, W, 1) (one channel), got shape {shape}")
    if len(shape) == 3 and shape[-1] in (3, 4):
        raise ValueError(
            f"{name}: shape {shape} looks like a colour image (H, W, {shape[-1]}); "
            "convert it to one grayscale channel first (e.g. handdigits.to_mnist)"
        )
    if any(d == 0 for d in shape):
        raise ValueError(f"{name}: got an empty array of shape {shape}")
    return shape


def check_image_tensor(x, *, name: str = "image"):
    """Validate a TensorFlow image tensor (eager or symbolic) and return it.

    Checks what is known when a ``tf.data`` function is traced: a real integer,
    boolean or floating dtype and an accepted shape (:func:`check_image_shape`;
    the rank must be known).  Eager tensors are also checked for NaN/inf and
    emptiness right away (:class:`ValueError`); in a traced graph a float tensor
    gets a ``tf.debugging.assert_all_finite`` that fails when the data flows.
    """
    import tensorflow as tf

    dtype = x.dtype
    if not (dtype.is_integer or dtype.is_floating or dtype.is_bool) or dtype.is_complex:
        raise TypeError(f"{name}: expected a real numeric tensor (uint8 or float), got dtype {dtype.name}")
    if x.shape.rank is None:
        raise ValueError(f"{name}: the tensor's rank must be known (2 to 4 dimensions), got an unknown shape")
    check_image_shape(x.shape.as_list(), name=name)
    if tf.executing_eagerly() and hasattr(x, "numpy"):
        check_image_array(x.numpy(), name=name)
    elif dtype.is_floating:
        x = tf.debugging.assert_all_finite(x, f"{name}: contains NaN or infinite values")
    return x


# ---------------------------------------------------------------------------
# Images given to the classifier and to ``preprocess.to_mnist``
# ---------------------------------------------------------------------------

ACCEPTED_IMAGES = (
    "a path (str or os.PathLike) or the bytes of an encoded image file (PNG, JPEG, ... anything Pillow "
    "reads), a PIL image, or a real numeric array (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); "
    "for several images: an array (N, H, W) or (N, H, W, 1|3|4), or a list of single images"
)
_CHANNELS = (1, 3, 4)


def _decode(x, name: str) -> np.ndarray:
    """Decode one path / bytes / PIL image / Traversable (:func:`handdigits.images.decode`) and check it."""
    return check_image_array(decode_image(x, name), max_ndim=3, name=name)


def check_images(x, *, name: str = "image") -> tuple[np.ndarray | list[np.ndarray], bool]:
    """Check any image input accepted by the classifier; the single place that does so.

    Returns ``(images, single)``.  ``images`` is either a numpy batch
    ``(N, H, W)`` / ``(N, H, W, C)`` or a list of single-image arrays ``(H, W)`` /
    ``(H, W, C)`` (``C`` in 1, 3, 4); values are the caller's, unscaled.
    ``single`` is True when ``x`` was one image (the result then holds one image).

    Array shapes are read as follows: 2-D is one grayscale image; 3-D is one
    image with channels when the last axis is 1, 3 or 4, otherwise a batch of
    grayscale images; 4-D is a batch (N, H, W, C).  List elements are single
    images each.

    Raises:
        FileNotFoundError: a path that does not exist.
        ValueError: undecodable bytes/files, empty/zero-size inputs, wrong
            number of dimensions or channels, NaN or infinite values.
        TypeError: anything else (complex, object, strings inside arrays, ...).
    """
    if _is_image_source(x):
        return [_decode(x, name)], True
    if isinstance(x, np.matrix):  # a 2-D ndarray subclass whose rows stay 2-D: read it as a plain array
        x = np.asarray(x)
    if isinstance(x, (list, tuple)):
        if len(x) == 0:
            raise ValueError(f"{name}: got an empty {type(x).__name__}; expected {ACCEPTED_IMAGES}")
        images = []
        for i, item in enumerate(x):
            item_name = f"{name}[{i}]"
            if _is_image_source(item):
                images.append(_decode(item, item_name))
                continue
            if isinstance(item, (list, tuple)) and any(_is_image_source(v) for v in item):
                raise TypeError(f"{item_name}: nested lists of images are not accepted; expected {ACCEPTED_IMAGES}")
            a = _check_array(item, item_name, max_ndim=3)
            if a.ndim == 3 and a.shape[-1] not in _CHANNELS:
                raise ValueError(
                    f"{item_name}: list elements must be single images (H, W) or (H, W, 1|3|4), "
                    f"got {describe(a)}; pass a batch as one array instead"
                )
            images.append(a)
        return images, False
    if isinstance(x, (dict, set)) or x is None or isinstance(x, (int, float, complex)):
        raise TypeError(f"{name}: got {describe(x)}; expected {ACCEPTED_IMAGES}")
    a = _check_array(x, name, max_ndim=4)
    if a.ndim == 2:
        return a[None], True
    if a.ndim == 3:
        return (a[None], True) if a.shape[-1] in _CHANNELS else (a, False)
    if a.shape[-1] not in _CHANNELS:
        raise ValueError(f"{name}: a 4-D batch must be (N, H, W, C) with C in 1, 3, 4, got {describe(a)}")
    return a, False


def check_images_marked(x, *, name: str = "image") -> tuple[list, list]:
    """:func:`check_images` for several images, going on past the items of a list that cannot be read.

    Returns ``(images, reasons)``: one array per image, or ``None`` where
    ``reasons`` holds why it was refused (undecodable file, bad shape...) and
    ``None`` elsewhere.  Only a list's or tuple's items are checked one by one;
    any other input (one array, a batch) is checked at once and raises as
    :func:`check_images` does, as does an empty list.
    """
    if not isinstance(x, (list, tuple)):
        images, _ = check_images(x, name=name)
        return list(images), [None] * len(images)
    if len(x) == 0:
        check_images(x, name=name)  # the usual "empty list" error
    images, reasons = [], []
    for i, item in enumerate(x):
        try:
            images.append(check_images(item, name=f"{name}[{i}]")[0][0])
            reasons.append(None)
        except (ValueError, TypeError, FileNotFoundError) as exc:
            images.append(None)
            reasons.append(str(exc))
    return images, reasons


def _check_array(x, name: str, *, max_ndim: int) -> np.ndarray:
    try:
        return check_image_array(x, min_ndim=2, max_ndim=max_ndim, name=name)
    except ValueError as exc:
        if "dimensions" in str(exc):
            raise ValueError(f"{exc}; accepted: {ACCEPTED_IMAGES}") from None
        raise

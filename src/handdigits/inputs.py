"""Classifier inputs: any accepted image input as float32 MNIST batches, in bounded chunks.

:func:`chunks` cuts the input of a :class:`handdigits.Classifier` call into
parts of at most :data:`CHUNK` images: a large array or list by slicing, an
iterable (a generator, an iterator, ``map``, a dataset object) by reading
:data:`CHUNK` images at a time, so memory stays bounded by the chunk whatever
the number of images.  :func:`prepare` turns one part into the model's input;
:func:`progress_bar` counts the images done and :func:`located` names the
chunk an error happened in.

>>> from handdigits.inputs import chunks, prepare
>>> parts, total = chunks(image_generator())                     # doctest: +SKIP
>>> batch, single, reasons = prepare(next(parts), True, "raise")  # doctest: +SKIP
>>> batch.shape, batch.dtype                                      # doctest: +SKIP
((1024, 28, 28, 1), dtype('float32'))
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable

import numpy as np

from .images import is_image_source
from .validation import ACCEPTED_IMAGES, check_bool, check_images, check_mnist_batch, describe

MNIST_SIZE = 28
CHUNK = 1024  # images prepared and run at a time (about 3 MB of float32 input)
_NOT_STREAMS = (list, tuple, np.ndarray, dict, set, frozenset, str, bytes, bytearray, memoryview)


def is_stream(x) -> bool:
    """True for an iterable of images that is not an array, a list/tuple or one image (a generator, iterator, ...)."""
    if isinstance(x, _NOT_STREAMS) or is_image_source(x) or hasattr(x, "__array__"):
        return False
    return isinstance(x, Iterable)


def _is_batch_array(x) -> bool:
    return isinstance(x, np.ndarray) and (x.ndim == 4 or (x.ndim == 3 and x.shape[-1] not in (1, 3, 4)))


def chunks(x, size: int = CHUNK):
    """``(parts, total)``: ``x`` cut into parts of at most ``size`` images, and the number of images if known
    (``None`` for one image and for streams without ``len``).

    One image, and batches of at most ``size`` images, are one part (``x`` itself).
    A stream's parts are lists; an empty stream raises ``ValueError``.
    """
    if is_stream(x):
        total = len(x) if hasattr(x, "__len__") else None
        return _stream(iter(x), size), total
    if not (isinstance(x, (list, tuple)) or _is_batch_array(x)):
        return iter([x]), None
    if len(x) > size:
        return (x[i : i + size] for i in range(0, len(x), size)), len(x)
    return iter([x]), len(x)


def _stream(it, size: int):
    first = list(itertools.islice(it, size))
    if not first:
        raise ValueError(f"image: got an empty iterable; expected {ACCEPTED_IMAGES}")
    part = first
    while part:
        yield part
        part = list(itertools.islice(it, size))


def check_preprocess(preprocess, default: bool) -> bool:
    """A method's ``preprocess`` argument: ``None`` gives the instance ``default``."""
    preprocess = check_bool(preprocess, "preprocess", allow_none=True)
    return default if preprocess is None else preprocess


def prepare(x, preprocess: bool, errors: str) -> tuple[np.ndarray, bool, list | None]:
    """Any accepted input -> float32 (N, 28, 28, 1) in [0, 255], whether it was one image, and the
    reasons images failed (``errors="mark"``; ``None`` when none was marked)."""
    if preprocess and errors == "mark":
        return _prepare_marked(x)
    images, single = check_images(x)
    if preprocess:
        return _preprocessed(images, single), single, None
    if isinstance(images, list):
        images = [_mnist_shaped(a, i, single) for i, a in enumerate(images)]
        return check_mnist_batch(np.stack(images), stacklevel=5), single, None
    if images.ndim == 3:
        images = images[..., None]
    if images.shape[1:] != (MNIST_SIZE, MNIST_SIZE, 1):
        raise ValueError(
            f"preprocess=False needs MNIST-format images (28, 28) or (28, 28, 1), got {describe(images)}; "
            "use preprocess=True for other images"
        )
    return check_mnist_batch(images, stacklevel=5), single, None


def _prepare_marked(x):
    from .preprocess import to_mnist_batch

    if isinstance(x, (list, tuple)):
        prepared, single = to_mnist_batch(x, errors="mark"), False
    else:
        images, single = check_images(x)
        prepared = to_mnist_batch(images if isinstance(images, list) else list(images), errors="mark")
    return prepared.images[..., None].astype(np.float32), single, prepared.reasons


def _preprocessed(images, single: bool) -> np.ndarray:
    """Checked images -> float32 (N, 28, 28, 1) through :func:`handdigits.preprocess.mnist_from_array`."""
    from .preprocess import mnist_from_array

    out = np.empty((len(images), MNIST_SIZE, MNIST_SIZE, 1), np.float32)
    for i, image in enumerate(images):
        try:
            out[i, :, :, 0] = mnist_from_array(image)
        except ValueError as exc:
            raise type(exc)(exc.args[0] if single else f"image {i} of {len(images)}: {exc}") from None
    return out


def _mnist_shaped(a: np.ndarray, i: int, single: bool) -> np.ndarray:
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.shape != (MNIST_SIZE, MNIST_SIZE):
        where = "" if single else f"image {i}: "
        raise ValueError(
            f"{where}preprocess=False needs MNIST-format images (28, 28) or (28, 28, 1), got {describe(a)}; "
            "use preprocess=True for other images"
        )
    return a[..., None]


def located(exc: Exception, where: str) -> Exception:
    """``exc`` again, its message prefixed with ``where`` (the chunk of a stream it happened in)."""
    try:
        return type(exc)(f"{where}: {exc}")
    except TypeError:  # an exception class that takes other arguments
        return ValueError(f"{where}: {type(exc).__name__}: {exc}")


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n: int) -> None:
        pass


def progress_bar(total, enabled: bool):
    """A tqdm progress bar on stderr counting the images of the chunks (a no-op object when not ``enabled``)."""
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="handdigits", unit="img", file=sys.stderr)

"""Decoding one encoded image (a path, bytes, a PIL image or a package resource) into a numpy array.

The single place where image files are opened.  :func:`handdigits.validation.check_images`
calls :func:`decode` for every input that names or holds an encoded image.

- Only regular files are opened: a FIFO, socket, device or directory given as a
  path is refused at once with a ``ValueError`` (reading a FIFO would block for
  ever).  The file is opened without blocking and checked on the open
  descriptor, so it cannot be swapped for a FIFO between the check and the read.
- Large images are reduced before any array is made: JPEGs are decoded at a
  reduced scale (``draft``), others shrunk by an integer box filter in 8 bits
  (``reduce``) until their longer side is about :data:`DECODE_MAX`.
- EXIF orientation is applied; alpha is kept only when the image has it.

>>> from handdigits.images import decode
>>> decode(open("digit.png", "rb").read(), "image").shape   # doctest: +SKIP
(120, 90)
"""

from __future__ import annotations

import io
import os
import stat

import numpy as np

DECODE_MAX = 2048  # decoded images are reduced (integer factor) until their longer side is at most about this


def is_image_source(x) -> bool:
    """True for inputs that name or hold ONE encoded image (path, bytes, PIL image, Traversable)."""
    if isinstance(x, (str, bytes, bytearray, memoryview)) or hasattr(x, "__fspath__"):
        return True
    if hasattr(x, "read_bytes") and hasattr(x, "is_file"):  # importlib.resources Traversable
        return True
    return is_pil_image(x)


def is_pil_image(x) -> bool:
    """True for a ``PIL.Image.Image`` (checked without importing Pillow)."""
    return type(x).__module__.startswith("PIL.") and hasattr(x, "getbands")


def pil_to_array(img) -> np.ndarray:
    """A PIL image as an (H, W) or (H, W, 4) array (alpha kept only when present)."""
    mode = img.mode
    if mode in ("L", "I", "F") or mode.startswith("I;16"):
        return np.asarray(img)
    if mode == "La":  # premultiplied alpha: Pillow converts it to "LA" only
        img = img.convert("LA")
    if "A" in mode or "a" in mode or "transparency" in img.info:
        return np.asarray(img.convert("RGBA"))
    return np.asarray(img.convert("L"))


def _draft(img) -> None:
    """Very large JPEGs are decoded at a reduced scale (DCT scaling: fast, little memory)."""
    if img.format == "JPEG" and max(img.size) > 2 * DECODE_MAX:
        f = max(img.size) // DECODE_MAX
        img.draft(img.mode, (img.width // f, img.height // f))


def _shrink(img):
    """A decoded image reduced by an integer box filter when it is much larger than ``DECODE_MAX``.

    Preprocessing works on at most a few hundred pixels, so a 36- or 144-megapixel
    file is shrunk here, once, in 8-bit, before any array or float copy is made.
    """
    f = max(img.size) // DECODE_MAX
    if f < 2:
        return img
    try:
        return img.reduce(f)
    except ValueError:  # a mode Pillow cannot reduce (e.g. palette): convert first
        return img.convert("RGBA" if "transparency" in img.info else "RGB").reduce(f)


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def _kind(mode: int) -> str:
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def _check_regular(mode: int, path: str, name: str) -> None:
    if stat.S_ISDIR(mode):
        raise ValueError(f"{name}: {path!r} is a directory; expected an image file")
    if not stat.S_ISREG(mode):
        raise ValueError(f"{name}: {path!r} is {_kind(mode)}, not a regular file; expected an image file")


def open_regular_file(path: str, name: str = "image"):
    """Open ``path`` for reading as a binary file object, refusing anything but a regular file.

    The file is opened with ``O_NONBLOCK`` (opening a FIFO never waits for a
    writer) and checked with ``fstat`` on the open descriptor.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: ``path`` is a directory, FIFO, socket or device.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"{name}: image file not found: {path!r}") from None
    _check_regular(mode, path, name)  # sockets and directories cannot even be opened like files
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        _check_regular(os.fstat(fd).st_mode, path, name)  # the file opened, not one swapped in since
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _source(x, name: str):
    """``(file object or BytesIO, label for messages)`` for bytes, a path or a Traversable."""
    if isinstance(x, (bytes, bytearray, memoryview)):
        if len(x) == 0:
            raise ValueError(f"{name}: got empty bytes; expected the bytes of an encoded image file")
        return io.BytesIO(bytes(x)), f"{len(x)} bytes"
    if isinstance(x, str) or hasattr(x, "__fspath__"):
        path = os.fspath(x)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        return open_regular_file(path, name), repr(path)
    if not x.is_file():  # Traversable (e.g. a bundled sample inside a zip)
        raise FileNotFoundError(f"{name}: image file not found: {x!r}")
    return io.BytesIO(x.read_bytes()), _resource_label(x)


def _resource_label(x) -> str:
    """How messages name a Traversable: its path, or its name where it has none (an in-memory zip)."""
    try:
        return repr(str(x))
    except TypeError:  # zipfile.Path over an in-memory archive: no file name to join
        return repr(getattr(x, "name", type(x).__name__))


def decode(x, name: str = "image") -> np.ndarray:
    """Decode one path / bytes / PIL image / Traversable into a numpy array (not yet checked).

    Returns ``(H, W)`` for grey images, ``(H, W, 4)`` for images with alpha.

    Raises:
        FileNotFoundError: a path that does not exist.
        ValueError: a non-regular file, empty bytes, or data Pillow cannot decode.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if is_pil_image(x):
        return pil_to_array(x)
    source, label = _source(x, name)
    try:
        with source, Image.open(source) as img:
            _draft(img)
            img.load()
            return pil_to_array(ImageOps.exif_transpose(_shrink(img)))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValueError(
            f"{name}: cannot decode {label} as an image ({type(exc).__name__}: {exc}); "
            "expected a PNG, JPEG or other image file Pillow can read"
        ) from exc

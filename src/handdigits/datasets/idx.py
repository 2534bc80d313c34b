"""Strict reader and writer for the IDX format used by MNIST and EMNIST.

IDX layout: two zero bytes, a type code, the number of dimensions ``d``, then
``d`` big-endian uint32 sizes, then the payload in C order.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

# IDX type code -> numpy dtype (big-endian as stored)
_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("=") if dt.byteorder == ">" else dt: code for code, dt in _TYPES.items()}


def parse_idx(data: bytes, *, name: str = "<bytes>", ndim: int | None = None) -> np.ndarray:
    """Parse IDX bytes into a numpy array, checking every header field.

    Raises ``ValueError`` naming ``name`` and what is wrong: bad magic, an
    unexpected number of dimensions, or a payload that is truncated or longer
    than the header says.
    """
    if len(data) < 4:
        raise ValueError(f"{name}: not an IDX file ({len(data)} bytes, header needs at least 4)")
    if data[0] != 0 or data[1] != 0 or data[2] not in _TYPES:
        raise ValueError(
            f"{name}: bad IDX magic number {data[:4].hex()} "
            f"(expected 0000 followed by a type code in {sorted(hex(c) for c in _TYPES)})"
        )
    dtype = _TYPES[data[2]]
    dims = data[3]
    if ndim is not None and dims != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, the header says {dims}")
    header = 4 + 4 * dims
    if len(data) < header:
        raise ValueError(f"{name}: truncated header ({len(data)} bytes, expected {header})")
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=dims, offset=4))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    payload = len(data) - header
    if payload < expected:
        raise ValueError(f"{name}: truncated payload ({payload} bytes, shape {shape} needs {expected})")
    if payload > expected:
        raise ValueError(f"{name}: oversized payload ({payload} bytes, shape {shape} needs {expected})")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)


def gunzip(data: bytes, *, name: str = "<bytes>") -> bytes:
    """Decompress gzip ``data``; a truncated or corrupt stream raises ``ValueError`` naming ``name``."""
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise ValueError(f"{name}: not a valid gzip file, truncated or corrupt ({exc})") from exc


def read_file(path: str | os.PathLike) -> tuple[bytes, bytes]:
    """Return ``(file_bytes, content)``: the bytes on disk and, for ``.gz``, their decompression.

    For an uncompressed file both are the same object.  Errors name the file.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc})") from exc
    return raw, (gunzip(raw, name=str(path)) if path.suffix == ".gz" else raw)


def read_bytes(path: str | os.PathLike) -> bytes:
    """Read a file, transparently decompressing ``.gz``; errors name the file."""
    return read_file(path)[1]


def read_idx(path: str | os.PathLike, *, ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (plain or ``.gz``) into a numpy array (strict: see :func:`parse_idx`)."""
    return parse_idx(read_bytes(path), name=str(path), ndim=ndim)


def to_idx_bytes(array: np.ndarray) -> bytes:
    """Encode a numpy array as IDX bytes (inverse of :func:`parse_idx`)."""
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=") if array.dtype.byteorder == ">" else array.dtype
    if native not in _CODES:
        raise TypeError(f"dtype {array.dtype} cannot be stored in IDX (supported: {sorted(map(str, _CODES))})")
    if array.ndim > 255:
        raise ValueError("IDX supports at most 255 dimensions")
    code = _CODES[native]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=_TYPES[code]).tobytes()


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file (gzip-compressed when ``path`` ends with ``.gz``)."""
    path = Path(path)
    data = to_idx_bytes(array)
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as fh:
            fh.write(data)
    else:
        path.write_bytes(data)
    return path

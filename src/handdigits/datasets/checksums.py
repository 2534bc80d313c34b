"""Hash checks for dataset files (local copies and downloads)."""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
from collections.abc import Collection

import numpy as np

from .errors import ChecksumError


def hexdigest(data: bytes, algorithm: str = "sha256") -> str:
    """Hex digest of ``data`` with ``algorithm`` (any name :func:`hashlib.new` accepts)."""
    return hashlib.new(algorithm, data).hexdigest()


def file_digest(path, algorithm: str = "sha256") -> str:
    """Hex digest of the file at ``path``, read in 1 MB pieces (the one file hash of the package)."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_arrays(*arrays) -> str:
    """SHA-256 of the bytes of ``arrays`` (C order, in turn): the provenance hash of loaded data."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _mismatch(name: str, file_hash: str, content_hash: str | None, accepted: set[str]) -> ChecksumError:
    return ChecksumError(
        f"{name}: sha256 mismatch (file {file_hash}"
        + (f", decompressed content {content_hash}" if content_hash is not None else "")
        + f"; expected one of {sorted(accepted)}). The file is corrupt or not the expected one: "
        "delete it to download it again, or pass verify=False to skip the check."
    )


def check_content(name: str, file_bytes: bytes, content: bytes, accepted: Collection[str]) -> None:
    """Accept a file whose sha256 **or** whose decompressed content's sha256 is in ``accepted``.

    ``file_bytes`` are the bytes on disk, ``content`` the decompressed bytes (the same
    object for an uncompressed file, hashed once).  A recompressed ``.gz`` with the
    original content therefore passes.  Raises :class:`ChecksumError` naming the file.
    """
    accepted = {h.lower() for h in accepted}
    file_hash = hexdigest(file_bytes)
    if file_hash in accepted:
        return
    content_hash = None
    if content is not file_bytes:
        content_hash = hexdigest(content)
        if content_hash in accepted:
            return
    raise _mismatch(name, file_hash, content_hash, accepted)


def gunzip_digest(data: bytes, *, name: str = "<bytes>") -> str:
    """sha256 of the decompressed gzip ``data``, streamed in 1 MB pieces.

    Nothing is kept, so a small file that expands to gigabytes (a gzip bomb) costs
    decompression time but no memory.  A truncated or corrupt stream raises ``ValueError``.
    """
    h = hashlib.sha256()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise ValueError(f"{name}: not a valid gzip file, truncated or corrupt ({exc})") from exc
    return h.hexdigest()


def parse_checked(name: str, file_bytes: bytes, *, gz: bool, accepted: Collection[str] | None, ndim: int):
    """Verify against ``accepted`` (skipped when ``None``), decompress (if ``gz``) and parse IDX.

    The hashes are checked before anything is decompressed into memory: first the
    file's own, then (for a recompressed ``.gz``) the content's, streamed
    (:func:`gunzip_digest`).  Returns the numpy array; every failure is a
    ``ValueError`` naming ``name``.
    """
    from .idx import gunzip, parse_idx

    if accepted is not None:
        accepted = {h.lower() for h in accepted}
        file_hash = hexdigest(file_bytes)
        if file_hash not in accepted:
            content_hash = gunzip_digest(file_bytes, name=name) if gz else None
            if content_hash not in accepted:
                raise _mismatch(name, file_hash, content_hash, accepted)
    content = gunzip(file_bytes, name=name) if gz else file_bytes
    return parse_idx(content, name=name, ndim=ndim)


def read_checked(path, *, accepted: Collection[str] | None, ndim: int):
    """Read the IDX file ``path`` (``.gz`` or not), verify it (see :func:`parse_checked`) and parse it."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc})") from exc
    return parse_checked(str(path), raw, gz=path.suffix == ".gz", accepted=accepted, ndim=ndim)


def check_pair(images, labels, directory, what: str) -> None:
    """Images and labels must be uint8 and equally many; ``what`` names the split in the message."""
    if len(images) != len(labels):
        raise ValueError(f"{directory}: {len(images)} images but {len(labels)} labels for {what}")
    if images.dtype != "uint8" or labels.dtype != "uint8":
        raise ValueError(f"{directory}: expected uint8 IDX files, got {images.dtype} images and {labels.dtype} labels")

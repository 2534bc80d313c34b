"""Hash checks for dataset files (local copies and downloads)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from .errors import ChecksumError


def hexdigest(data: bytes, algorithm: str = "sha256") -> str:
    """Hex digest of ``data`` with ``algorithm`` (any name :func:`hashlib.new` accepts)."""
    return hashlib.new(algorithm, data).hexdigest()


def check_content(name: str, file_bytes: bytes, content: bytes, accepted: Collection[str]) -> None:
    """Accept a file whose sha256 **or** whose decompressed content's sha256 is in ``accepted``.

    ``file_bytes`` are the bytes on disk, ``content`` the decompressed bytes (the same
    object for an uncompressed file, hashed once).  A recompressed ``.gz`` with the
    original content therefore passes.  Raises :class:`ChecksumError` naming the file.
    """
    accepted = {h.lower() for h in accepted}
    got = [hexdigest(file_bytes)]
    if got[0] in accepted:
        return
    if content is not file_bytes:
        got.append(hexdigest(content))
        if got[1] in accepted:
            return
    raise ChecksumError(
        f"{name}: sha256 mismatch (file {got[0]}"
        + (f", decompressed content {got[1]}" if len(got) > 1 else "")
        + f"; expected one of {sorted(accepted)}). The file is corrupt or not the expected one: "
        "delete it to download it again, or pass verify=False to skip the check."
    )


def parse_checked(name: str, file_bytes: bytes, *, gz: bool, accepted: Collection[str] | None, ndim: int):
    """Decompress (if ``gz``), verify against ``accepted`` (skipped when ``None``) and parse IDX.

    Returns the numpy array; every failure is a ``ValueError`` naming ``name``.
    """
    from .idx import gunzip, parse_idx

    content = gunzip(file_bytes, name=name) if gz else file_bytes
    if accepted is not None:
        check_content(name, file_bytes, content, accepted)
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

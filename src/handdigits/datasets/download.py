"""The one download helper every loader calls: mirrors, hash check, atomic write, progress.

Standard library only (``urllib``): pooch would do hashing and caching, but not
"try these mirrors in order for one file" with a hash check per mirror, and it is
not a dependency.  A file is streamed into a temporary file next to its target,
hashed on the way, and moved into place with :func:`os.replace` only when the
hash matches, so a failed, interrupted or corrupt download leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import IO

from .errors import DatasetUnavailable

CHUNK = 1 << 16
USER_AGENT = "handdigits (https://pypi.org/project/handdigits)"


class TextProgress:
    """A one-line text progress bar written to ``stream`` (redrawn at most every 0.2 s)."""

    def __init__(self, label: str, total: int | None, stream: IO[str]):
        self.label, self.total, self.stream = label, total, stream
        self.done = 0
        self._last = 0.0

    def update(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._last >= 0.2:
            self._last = now
            self._draw()

    def _draw(self, end: str = "") -> None:
        mb = self.done / 1e6
        if self.total:
            frac = min(self.done / self.total, 1.0)
            bar = "#" * int(frac * 30)
            line = f"\r{self.label} [{bar:<30}] {frac:4.0%} {mb:.1f}/{self.total / 1e6:.1f} MB"
        else:
            line = f"\r{self.label} {mb:.1f} MB"
        self.stream.write(line + end)
        self.stream.flush()

    def close(self) -> None:
        self._draw(end="\n")


def _progress_stream(progress) -> IO[str] | None:
    if progress is None:
        return sys.stderr if sys.stderr is not None and sys.stderr.isatty() else None
    if progress is True:
        return sys.stderr
    if progress is False:
        return None
    return progress  # a text stream


def _file_digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fetch_one(url: str, directory: Path, filename: str, algorithm: str, accepted: set[str],
               timeout: float, stream: IO[str] | None) -> Path:
    """Download ``url`` into ``directory/filename`` or raise; never leaves a temporary file."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{filename}.", suffix=".part")
    try:
        h = hashlib.new(algorithm)
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            bar = TextProgress(filename, int(length) if length else None, stream) if stream else None
            while chunk := response.read(CHUNK):
                out.write(chunk)
                h.update(chunk)
                if bar:
                    bar.update(len(chunk))
            if bar:
                bar.close()
        digest = h.hexdigest()
        if digest not in accepted:
            raise ValueError(f"{algorithm} mismatch: got {digest}, expected one of {sorted(accepted)}")
        os.replace(tmp, directory / filename)
        return directory / filename
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def download_file(
    filename: str,
    directory: str | os.PathLike,
    mirrors: Sequence[str],
    checksums: str | Collection[str],
    *,
    algorithm: str = "sha256",
    timeout: float = 30.0,
    progress=None,
) -> Path:
    """Return ``directory/filename``, downloading it from the first mirror that serves it intact.

    Parameters
    ----------
    filename:
        Name of the file on the mirrors and on disk (e.g. ``"t10k-labels-idx1-ubyte.gz"``).
    directory:
        Target directory, created if needed.
    mirrors:
        Base URLs tried in order; the URL is ``mirror.rstrip("/") + "/" + filename``.
    checksums:
        Accepted hex digest(s) of the file.  A download whose digest differs is discarded
        and the next mirror is tried.
    algorithm:
        Hash algorithm for ``checksums`` (``"sha256"``; ``"md5"`` where only that is published).
    progress:
        ``None``: a text bar on stderr when it is a terminal; ``True``/``False``: always/never;
        or a text stream to draw on.

    An existing file whose digest is accepted is returned without network access (cache).
    Raises :class:`DatasetUnavailable` listing every mirror and why it failed.
    """
    directory = Path(directory)
    accepted = {checksums.lower()} if isinstance(checksums, str) else {c.lower() for c in checksums}
    if not accepted:
        raise ValueError(f"{filename}: no checksum given; downloads are always verified")
    if not mirrors:
        raise ValueError(f"{filename}: no mirrors given")
    target = directory / filename
    if target.is_file() and _file_digest(target, algorithm) in accepted:
        return target
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetUnavailable(f"cannot create the data directory {directory}: {exc}") from exc
    stream = _progress_stream(progress)
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + filename
        try:
            return _fetch_one(url, directory, filename, algorithm, accepted, timeout, stream)
        except (urllib.error.URLError, OSError, ValueError) as exc:  # HTTPError is a URLError
            failures.append(f"  {url}: {exc}")
    raise DatasetUnavailable(
        f"could not download {filename} into {directory}; mirrors tried in order:\n" + "\n".join(failures)
    )

"""The one download helper every loader calls: mirrors, hash check, atomic write, progress.

Every mirror is tried in order until one serves the file intact.  Whatever goes wrong
with one mirror -- refused or reset connection, a timeout, an answer that is not HTTP,
an HTTP error, a chunked or ``Content-Length`` body cut short, more bytes than the
known size, a download slower than its ``deadline``, or a wrong hash -- is recorded as
that mirror's reason and the next mirror is tried; when all fail, one
:class:`~handdigits.datasets.DatasetUnavailable` lists every mirror with its reason.

A file is streamed into a temporary ``.<name>.<random>.part`` file next to its target,
hashed on the way, made readable (mode 0644) and moved into place with
:func:`os.replace` only when the hash matches, so a failed or corrupt download leaves
nothing behind; ``.part`` files left by a killed process (SIGKILL, power loss) are
removed by the next call once they are an hour old (a live download writes to its
``.part`` at least every ``timeout`` seconds).

Why not pooch (STYLE.md prefers a kept library)?  ``pooch.retrieve`` downloads one
URL against one known hash; it has no ordered mirror list with a hash check per
mirror, no set of accepted hashes (old and recompressed releases), no total deadline
and no size cap, and it would add ``requests`` to the dependencies.  Looping over
mirrors around it would keep most of this module and lose the reasons.  The standard
library (``urllib``) does the HTTP here.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .errors import DatasetUnavailable
from .checksums import file_digest

CHUNK = 1 << 16
USER_AGENT = "handdigits (https://pypi.org/project/handdigits)"
STALE_PART_SECONDS = 3600  # a .part file untouched this long belongs to no live download
DEFAULT_DEADLINE = 3600.0  # seconds for one file from one mirror


def _progress_bar(filename: str, total: int | None, stream: IO[str]):
    """A tqdm byte counter for one download on ``stream`` (redrawn at most every 0.2 s)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=filename, unit="B", unit_scale=True, file=stream, mininterval=0.2,
                dynamic_ncols=False, leave=True)


def _progress_stream(progress) -> IO[str] | None:
    if progress is None:
        return sys.stderr if sys.stderr is not None and sys.stderr.isatty() else None
    if progress is True:
        return sys.stderr
    if progress is False:
        return None
    return progress  # a text stream


class MirrorFailed(Exception):
    """One mirror did not deliver the file; the message is the reason shown to the user."""


def _reason(exc: BaseException, timeout: float) -> str:
    """A short, clear reason for a failed mirror (the exception's type kept for searching)."""
    if isinstance(exc, MirrorFailed):
        return str(exc)
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP error {exc.code} ({exc.reason})"
    if isinstance(exc, urllib.error.URLError):
        inner = exc.reason
        if isinstance(inner, BaseException):
            return _reason(inner, timeout)
        return f"cannot connect ({inner})"
    if isinstance(exc, http.client.RemoteDisconnected):
        return f"closed the connection without an HTTP response (RemoteDisconnected: {exc})"
    if isinstance(exc, http.client.HTTPException):  # BadStatusLine, LineTooLong, UnknownProtocol, ...
        return f"did not answer in HTTP ({type(exc).__name__}: {str(exc).strip()[:80]!r})"
    if isinstance(exc, TimeoutError):  # socket.timeout is TimeoutError
        return f"timed out: no data for {timeout:g} s (TimeoutError: {exc})"
    if isinstance(exc, ConnectionResetError):
        return f"connection reset by the server (ConnectionResetError: {exc})"
    return f"{type(exc).__name__}: {exc}"


def _remove_stale_parts(directory: Path, filename: str) -> None:
    """Remove ``.filename.*.part`` files nobody has written to for :data:`STALE_PART_SECONDS`."""
    now = time.time()
    for part in directory.glob(f".{filename}.*.part"):
        try:
            if now - part.stat().st_mtime > STALE_PART_SECONDS:
                part.unlink()
        except OSError:  # already gone (another process cleaned it) or not ours to remove
            pass


@dataclass(frozen=True)
class _Job:
    """One file to fetch: where it goes, what it must be and how long a mirror may take."""

    filename: str
    directory: Path
    algorithm: str
    accepted: frozenset[str]
    timeout: float
    deadline: float | None
    size: int | None
    stream: IO[str] | None


def _fetch_one(url: str, job: _Job) -> Path:
    """Download ``url`` into ``job.directory / job.filename`` or raise; never leaves a temporary file."""
    filename, directory, size, deadline = job.filename, job.directory, job.size, job.deadline
    start = time.monotonic()
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{filename}.", suffix=".part")
    try:
        h = hashlib.new(job.algorithm)
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=job.timeout) as response:
            length = response.headers.get("Content-Length")
            announced = int(length) if length and length.strip().isdigit() else None
            if size is not None and announced is not None and announced != size:
                raise MirrorFailed(f"announces {announced} bytes, but {filename} has {size} bytes")
            bar = _progress_bar(filename, announced, job.stream) if job.stream else None
            read = getattr(response, "read1", response.read)  # read1: returns what has arrived
            done = 0
            try:
                while chunk := read(CHUNK):
                    done += len(chunk)
                    if size is not None and done > size:
                        raise MirrorFailed(f"sent more than the {size} bytes of {filename}")
                    out.write(chunk)
                    out.flush()  # keeps the .part's mtime fresh (see _remove_stale_parts)
                    h.update(chunk)
                    if bar:
                        bar.update(len(chunk))
                    if deadline is not None and time.monotonic() - start > deadline:
                        raise MirrorFailed(
                            f"too slow: {done} bytes in {deadline:g} s (the deadline for one file; "
                            "pass a larger deadline= for a slow connection)"
                        )
            except http.client.IncompleteRead as exc:  # a chunked body cut short
                raise MirrorFailed(
                    f"connection closed in the middle of the response after {done + len(exc.partial)} bytes "
                    f"(IncompleteRead: {exc})"
                ) from exc
            finally:
                if bar:
                    bar.close()
            if announced is not None and done < announced:
                raise MirrorFailed(f"response cut short: {done} of the {announced} bytes announced")
        digest = h.hexdigest()
        if digest not in job.accepted:
            raise MirrorFailed(f"{job.algorithm} mismatch: got {digest}, expected one of {sorted(job.accepted)}")
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; data files are for every user
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
    deadline: float | None = DEFAULT_DEADLINE,
    size: int | None = None,
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
    timeout:
        Seconds to wait for the connection and for each piece of data.
    deadline:
        Seconds one mirror may take for the whole file (``None``: no limit); a mirror that
        trickles data more slowly fails and the next one is tried.
    size:
        The file's size in bytes when known: a mirror announcing another size, or sending
        more, fails at once (an endless response cannot fill the disk).
    progress:
        ``None``: a tqdm bar on stderr when it is a terminal; ``True``/``False``: always/never;
        or a text stream to draw on.

    An existing file whose digest is accepted is returned without network access (cache).
    Raises :class:`DatasetUnavailable` listing every mirror and why it failed.

    Example
    -------
    >>> download_file("t10k-labels-idx1-ubyte.gz", "data/mnist",
    ...               ["https://ossci-datasets.s3.amazonaws.com/mnist/"],
    ...               "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ...               size=4542)  # doctest: +SKIP
    PosixPath('data/mnist/t10k-labels-idx1-ubyte.gz')
    """
    directory = Path(directory)
    accepted = frozenset([checksums.lower()] if isinstance(checksums, str) else [c.lower() for c in checksums])
    if not accepted:
        raise ValueError(f"{filename}: no checksum given; downloads are always verified")
    if not mirrors:
        raise ValueError(f"{filename}: no mirrors given")
    if (directory / filename).is_file() and file_digest(directory / filename, algorithm) in accepted:
        return directory / filename  # cached
    job = _Job(filename, directory, algorithm, accepted, timeout, deadline, size, _progress_stream(progress))
    return _from_mirrors(job, mirrors)


def _from_mirrors(job: _Job, mirrors: Sequence[str]) -> Path:
    """Try each mirror in order; :class:`DatasetUnavailable` with every mirror's reason when all fail."""
    try:
        job.directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetUnavailable(f"cannot create the data directory {job.directory}: {exc}") from exc
    _remove_stale_parts(job.directory, job.filename)
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + job.filename
        try:
            return _fetch_one(url, job)
        except (MirrorFailed, OSError, http.client.HTTPException, ValueError) as exc:
            # OSError covers URLError/HTTPError, timeouts, resets and local disk errors;
            # HTTPException covers IncompleteRead and BadStatusLine (not OSErrors)
            reason = _reason(exc, job.timeout).replace("\r", "\\r").replace("\n", "\\n")  # one line each
            failures.append(f"  {url}: {reason}")
    raise DatasetUnavailable(
        f"could not download {job.filename} into {job.directory}; mirrors tried in order:\n" + "\n".join(failures)
    )

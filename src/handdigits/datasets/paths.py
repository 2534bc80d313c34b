"""Where datasets live: argument > ``HANDDIGITS_DATA`` > user cache."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import DatasetUnavailable

ENV_VAR = "HANDDIGITS_DATA"


def cache_home() -> Path:
    """The user's cache directory for handdigits: ``$XDG_CACHE_HOME/handdigits`` (default ``~/.cache/handdigits``)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "handdigits"


def data_home(data_dir: str | os.PathLike | None = None) -> Path:
    """Return the data directory.

    Resolution order: the ``data_dir`` argument, then the ``HANDDIGITS_DATA``
    environment variable, then ``$XDG_CACHE_HOME/handdigits`` (default
    ``~/.cache/handdigits``).  Each dataset lives in a sub-directory
    (``mnist/``, ``emnist/``).
    """
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return cache_home()


def list_dir(directory: Path, dataset: str) -> set[str]:
    """Names in ``directory`` (empty when it does not exist).

    A directory that exists but cannot be listed raises :class:`DatasetUnavailable`
    naming it, rather than passing for "files absent" and triggering a download.
    """
    try:
        return set(os.listdir(directory))
    except FileNotFoundError:
        return set()
    except OSError as exc:
        raise DatasetUnavailable(f"{dataset} unavailable: the data directory {directory} cannot be read ({exc})") from exc


def find_file(directory: Path, names: set[str], base: str) -> Path | None:
    """``directory/base.gz`` or ``directory/base`` (in that order) if listed in ``names``."""
    for candidate in (f"{base}.gz", base):
        if candidate in names:
            return directory / candidate
    return None

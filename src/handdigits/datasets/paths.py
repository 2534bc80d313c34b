"""Where datasets live: argument > ``HANDDIGITS_DATA`` > user cache."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "HANDDIGITS_DATA"


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
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "handdigits"

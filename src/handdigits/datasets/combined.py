"""MNIST and EMNIST digits together, with the source of every image recorded."""

from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np

from .emnist import load_emnist
from .errors import DatasetUnavailable
from .mnist import load_mnist

#: ``Combined.source`` codes: ``SOURCES[source[i]]`` names the dataset of image ``i``.
SOURCES = ("mnist", "emnist")


class Combined(NamedTuple):
    """``images`` uint8 (N, 28, 28), ``labels`` uint8 (N,), ``source`` uint8 (N,) (index into
    :data:`SOURCES`), whether EMNIST is included, why not (``None`` when it is), and EMNIST's
    ``info`` from :func:`load_emnist` (``None`` when not included; ``emnist_info["partial"]`` is
    true when only parts of the EMNIST split were available)."""

    images: np.ndarray
    labels: np.ndarray
    source: np.ndarray
    emnist_available: bool
    emnist_reason: str | None
    emnist_info: dict | None = None


def load_combined(
    split: str = "train",
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    require_emnist: bool = True,
    *,
    verify: bool = True,
) -> Combined:
    """MNIST ``split`` followed by EMNIST-digits ``split`` (MNIST first, order kept).

    When EMNIST cannot be loaded, ``require_emnist=True`` raises
    :class:`DatasetUnavailable` (message starting ``"EMNIST unavailable:"``);
    ``require_emnist=False`` returns MNIST alone with ``emnist_available=False`` and
    the reason in ``emnist_reason`` -- never silently.  MNIST itself is always required.
    Where only parts of the EMNIST split exist (``emnist-partial/``), those are used and
    ``emnist_info`` says so.  Duplicates across the two are kept; see :func:`find_duplicates`.
    """
    mx, my = load_mnist(split, data_dir=data_dir, download=download, verify=verify)
    try:
        ex, ey, info = load_emnist(split, "digits", data_dir=data_dir, download=download, verify=verify,
                                   with_info=True)
    except (DatasetUnavailable, ValueError, OSError) as exc:
        reason = str(exc) if isinstance(exc, DatasetUnavailable) else f"EMNIST unavailable: {type(exc).__name__}: {exc}"
        if require_emnist:
            if isinstance(exc, DatasetUnavailable):
                raise
            raise DatasetUnavailable(reason) from exc
        return Combined(mx, my, np.zeros(len(mx), np.uint8), False, reason)
    source = np.concatenate([np.zeros(len(mx), np.uint8), np.ones(len(ex), np.uint8)])
    return Combined(np.concatenate([mx, ex]), np.concatenate([my, ey]), source, True, None, info)

"""The MNIST handwritten digits (LeCun, Cortes & Burges), 60,000 train + 10,000 test.

Licence: MNIST is made available by Yann LeCun and Corinna Cortes under the terms of
the Creative Commons Attribution-Share Alike 3.0 license.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence

from .checksums import check_pair, read_checked
from .download import download_file
from .errors import DatasetUnavailable
from .paths import ENV_VAR, data_home, find_file, list_dir

SPLITS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

#: Tried in order: torchvision's S3 copy, TFDS's Google Cloud copy, the original site.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

#: Accepted sha256 per file: the original ``.gz`` (as published by TFDS) and the
#: decompressed IDX content (so recompressed or uncompressed copies verify too).
CHECKSUMS: dict[str, tuple[str, ...]] = {
    "train-images-idx3-ubyte": (
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    "train-labels-idx1-ubyte": (
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    "t10k-images-idx3-ubyte": (
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    "t10k-labels-idx1-ubyte": (
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
}

#: Size in bytes of each published ``.gz``: a mirror announcing another size, or
#: sending more, is abandoned at once (used with the default :data:`CHECKSUMS`).
SIZES: dict[str, int] = {
    "train-images-idx3-ubyte": 9912422,
    "train-labels-idx1-ubyte": 28881,
    "t10k-images-idx3-ubyte": 1648877,
    "t10k-labels-idx1-ubyte": 4542,
}


def _check_split(split: str) -> tuple[str, str]:
    if not isinstance(split, str) or split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {sorted(SPLITS)}")
    return SPLITS[split]


def _how_to_supply(directory, names) -> str:
    files = ", ".join(f"{n}.gz" for n in names)
    return (
        f"Files expected in {directory}: {files} (gzip-compressed or not). To use MNIST offline, "
        f"copy them there, or set {ENV_VAR} (or data_dir=) to a directory that contains mnist/."
    )


def load_mnist(
    split: str = "train",
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    *,
    mirrors: Sequence[str] = MIRRORS,
    checksums: Mapping[str, Collection[str]] | None = None,
    verify: bool = True,
    progress=None,
):
    """Load MNIST as ``(images, labels)``.

    Returns ``images`` uint8 ``(N, 28, 28)`` in [0, 255] (white ink on black) and
    ``labels`` uint8 ``(N,)`` in [0, 9]; N is 60,000 for ``"train"`` and 10,000
    for ``"test"``.

    Files are read from ``<data_dir>/mnist/`` (see :func:`data_home`) under their
    canonical names, ``.gz`` or uncompressed.  Missing files are downloaded when
    ``download`` is true (``mirrors`` tried in order, sha256-checked, cached).
    Every file is verified against ``checksums`` (default :data:`CHECKSUMS`;
    maps a canonical name without ``.gz`` to accepted sha256 digests of the file
    or of its decompressed content) unless ``verify=False``.

    Raises :class:`DatasetUnavailable` when files are missing and cannot be
    downloaded, ``ValueError`` for an unknown split or a corrupt file.

    >>> images, labels = load_mnist("test")          # doctest: +SKIP
    >>> images.shape, images.dtype, labels[:3]       # doctest: +SKIP
    ((10000, 28, 28), dtype('uint8'), array([7, 2, 1], dtype=uint8))
    """
    names = _check_split(split)
    checksums = CHECKSUMS if checksums is None else checksums
    directory = data_home(data_dir) / "mnist"
    listed = list_dir(directory, "MNIST")
    paths = {name: find_file(directory, listed, name) for name in names}
    missing = [name for name, path in paths.items() if path is None]
    if missing and not download:
        raise DatasetUnavailable(
            f"MNIST unavailable: {', '.join(missing)}[.gz] not found and download=False. "
            + _how_to_supply(directory, names)
        )
    for name in missing:
        try:
            size = SIZES.get(name) if checksums is CHECKSUMS else None
            paths[name] = download_file(f"{name}.gz", directory, mirrors, checksums.get(name, ()), size=size,
                                        progress=progress)
        except DatasetUnavailable as exc:
            raise DatasetUnavailable(f"MNIST unavailable: {exc}\n" + _how_to_supply(directory, names)) from exc

    images, labels = (
        read_checked(paths[name], accepted=checksums.get(name) if verify else None, ndim=ndim)
        for name, ndim in zip(names, (3, 1))
    )
    check_pair(images, labels, directory, f"split {split!r}")
    return images, labels

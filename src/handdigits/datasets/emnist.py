"""EMNIST (Cohen, Afshar, Tapson & van Schaik, 2017): NIST handwriting in MNIST format.

``digits``: 240,000 train + 40,000 test (24,000 / 4,000 per digit); ``mnist``: 60,000 + 10,000.
The data are distributed by NIST as one archive, ``gzip.zip`` (about 562 MB), holding
``gzip/emnist-<subset>-<split>-{images-idx3,labels-idx1}-ubyte.gz``.  EMNIST is derived
from NIST Special Database 19 (public domain, U.S. Government work).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Collection, Mapping, Sequence

import numpy as np

from .checksums import check_pair, parse_checked, read_checked
from .download import download_file
from .emnist_partial import DIRECTORY as PARTIAL_DIRECTORY
from .emnist_partial import TOTALS, describe_parts, part_files, read_partial
from .errors import DatasetUnavailable
from .paths import ENV_VAR, data_home, find_file, list_dir

SUBSETS = ("digits", "mnist")
SPLITS = ("train", "test")

ARCHIVE = "gzip.zip"
MIRRORS = ("https://biometrics.nist.gov/cs_links/EMNIST/",)
#: Only an md5 is published for gzip.zip (torchvision's); the members are checked by sha256.
ARCHIVE_MD5 = "58c8d27c78d21e728a6bc7b3cc06412e"
#: Size in bytes of NIST's gzip.zip: a mirror announcing another size, or sending more, is
#: abandoned at once (used with the default :data:`ARCHIVE_MD5`).
ARCHIVE_SIZE = 561_753_746

#: Accepted sha256 per member (name without ``.gz``): of the ``.gz`` and, where known, of the
#: decompressed content.  Members not listed (the ``mnist`` subset) are not verified.
CHECKSUMS: dict[str, tuple[str, ...]] = {
    "emnist-digits-train-images-idx3-ubyte": ("f7c95004d14d81af89522e67d8f0c781dfb3bd544181c81bfe1eb6b41c35b726",),
    "emnist-digits-test-images-idx3-ubyte": ("20ebe43509264f7639d37c835a3f0b009e90b29e00a099a03101abe1644a3f63",),
    "emnist-digits-train-labels-idx1-ubyte": (
        "6638a6ff5fe2eefd9cca2471995b46c82986b8e4b2a70d2f5ce8e05d7edb319e",
        "86013a4b932e35477a90ecff239cf492643795cf3c68dd6b7fae3264fb24316b",
    ),
    "emnist-digits-test-labels-idx1-ubyte": (
        "bad1834c45d5988e270b99d43b13edc3fd898f658ffbc2caf2846ef27f7b05b0",
        "a456cc5cfc928851403b513f94937b9d7570f424ea6d56dce3b28f6c0723608a",
    ),
}


def member_names(split: str, subset: str) -> tuple[str, str]:
    """Canonical ``(images, labels)`` file names (without ``.gz``) of one EMNIST split."""
    if not isinstance(split, str) or split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {list(SPLITS)}")
    if not isinstance(subset, str) or subset not in SUBSETS:
        raise ValueError(f"unknown subset {subset!r}; expected one of {list(SUBSETS)}")
    return tuple(f"emnist-{subset}-{split}-{kind}-ubyte" for kind in ("images-idx3", "labels-idx1"))


def _read_from_zip(archive, names):
    """``{name: .gz bytes}`` for the needed members only; errors name the archive."""
    out = {}
    try:
        with zipfile.ZipFile(archive) as zf:
            for name in names:
                out[name] = zf.read(f"gzip/{name}.gz")
    except KeyError as exc:
        raise ValueError(f"{archive}: no member gzip/{name}.gz (is this NIST's EMNIST gzip.zip?)") from exc
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{archive}: cannot be read as a zip archive ({exc})") from exc
    return out


def load_emnist(  # long: the public docstring documents the file layout, partial files and info
    split: str = "train",
    subset: str = "digits",
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    *,
    mirrors: Sequence[str] = MIRRORS,
    checksums: Mapping[str, Collection[str]] | None = None,
    archive_md5: str = ARCHIVE_MD5,
    verify: bool = True,
    progress=None,
    allow_partial: bool = True,
    with_info: bool = False,
):
    """Load an EMNIST subset as ``(images uint8 (N, 28, 28), labels uint8 (N,))`` in MNIST orientation.

    Images are white ink on black in [0, 255]; labels are in [0, 9] for both subsets.
    EMNIST stores each image transposed; it is transposed back here, so an EMNIST
    image displays like an MNIST one.

    Looks in ``<data_dir>/emnist/`` (see :func:`data_home`) for each file
    ``emnist-<subset>-<split>-{images-idx3,labels-idx1}-ubyte[.gz]``; a file not found
    loose is read from NIST's ``gzip.zip`` in the same directory (only the needed
    members).  Without either, ``gzip.zip`` is downloaded when ``download`` is true
    (md5-checked: ``archive_md5``; about 562 MB).  Files are verified against
    ``checksums`` (default :data:`CHECKSUMS`: name without ``.gz`` -> accepted sha256
    of the file or its content) where a hash is known, unless ``verify=False``.

    When the full files are absent (neither loose nor in ``gzip.zip``) but parts of the split
    are in ``<data_dir>/emnist-partial/`` (see :mod:`handdigits.datasets.emnist_partial`), those
    are returned instead, without downloading, unless ``allow_partial=False``.  Their labels must
    equal the full label file's at the same indices when that file is in ``emnist/`` (a
    ``ValueError`` otherwise); images come ordered by their index in the full split.

    ``with_info=True`` returns ``(images, labels, info)``; ``info`` is a JSON-compatible dict:
    ``name`` (``"emnist"`` or ``"emnist-partial"``), ``partial``, ``split``, ``subset``, ``n``,
    ``of`` (images in the full split) and, for partial data, ``indices`` (the index ranges, in
    words), ``parts`` (per-file counts and names), ``overlap`` (images found in two parts, kept
    once), ``labels_checked`` and ``labels_check`` (what the labels were compared with).

    Raises :class:`DatasetUnavailable` (message starting ``"EMNIST unavailable:"``)
    when the files cannot be had, ``ValueError`` for bad arguments or corrupt files.

    >>> x, y, info = load_emnist("test", with_info=True)         # doctest: +SKIP
    >>> info["name"], info["n"], info["of"]                       # doctest: +SKIP
    ('emnist-partial', 833, 40000)
    """
    names = member_names(split, subset)
    checksums = CHECKSUMS if checksums is None else checksums
    directory = data_home(data_dir) / "emnist"
    listed = list_dir(directory, "EMNIST")
    loose = {name: find_file(directory, listed, name) for name in names}
    need = [name for name, path in loose.items() if path is None]
    archive = directory / ARCHIVE if ARCHIVE in listed else None
    if need and archive is None and allow_partial:
        partial = _load_partial(directory, listed, names[1], split, subset, verify)
        if partial is not None:
            return partial if with_info else partial[:2]
    if need and archive is None:
        archive = _download_archive(directory, need, download, mirrors, archive_md5, progress)
    from_zip = _read_from_zip(archive, need) if need else {}
    arrays = []
    for name, ndim in zip(names, (3, 1)):
        accepted = checksums.get(name) if verify else None
        if name in from_zip:
            label = f"{archive}:gzip/{name}.gz"
            arrays.append(parse_checked(label, from_zip[name], gz=True, accepted=accepted, ndim=ndim))
        else:
            arrays.append(read_checked(loose[name], accepted=accepted, ndim=ndim))
    images, labels = arrays
    check_pair(images, labels, directory, f"EMNIST {subset} {split}")
    # EMNIST stores images transposed relative to MNIST
    images = np.ascontiguousarray(images.transpose(0, 2, 1))
    if not with_info:
        return images, labels
    n = int(len(labels))
    return images, labels, {"name": "emnist", "partial": False, "split": split, "subset": subset, "n": n, "of": n}


def _download_archive(directory, need, download: bool, mirrors, archive_md5: str, progress):
    """NIST's ``gzip.zip``, downloaded into ``directory`` (size-capped when ``archive_md5`` is the default).

    Raises :class:`DatasetUnavailable` saying which files (``need``) are missing and how to supply them.
    """
    why = (
        f"{', '.join(n + '[.gz]' for n in need)} not found in {directory}, nor {ARCHIVE} "
        f"(NIST's archive, read in place)"
    )
    supply = (
        f"Put the files or {ARCHIVE} from {MIRRORS[0]} in {directory}, "
        f"or set {ENV_VAR} (or data_dir=) to a directory that contains emnist/ "
        f"(parts of a split may go in {directory.parent / PARTIAL_DIRECTORY}, see handdigits.datasets.emnist_partial)."
    )
    if not download:
        raise DatasetUnavailable(f"EMNIST unavailable: {why}; download=False. {supply}")
    try:
        size = ARCHIVE_SIZE if archive_md5 == ARCHIVE_MD5 else None
        return download_file(ARCHIVE, directory, mirrors, archive_md5, algorithm="md5", size=size,
                             progress=progress)
    except DatasetUnavailable as exc:
        raise DatasetUnavailable(f"EMNIST unavailable: {why}; download failed: {exc}\n{supply}") from exc


def _load_partial(directory, listed, labels_name: str, split: str, subset: str, verify: bool):
    """``(images, labels, info)`` from ``<data home>/emnist-partial/``, or ``None`` when it has no part of the split.

    The labels are checked against the full label file ``labels_name`` in ``directory`` when it is there.
    """
    partial_dir = directory.parent / PARTIAL_DIRECTORY
    partial_listed = list_dir(partial_dir, "EMNIST")
    if not part_files(partial_dir, partial_listed, split, subset):
        return None
    part = read_partial(partial_dir, partial_listed, split, subset, verify=verify)
    check = _check_partial_labels(part, directory, listed, labels_name, verify)
    total = TOTALS.get((subset, split))
    info = {
        "name": "emnist-partial",
        "partial": True,
        "split": split,
        "subset": subset,
        "n": int(len(part.labels)),
        "of": total,
        "indices": describe_parts(part.parts),
        "parts": part.parts,
        "overlap": int(sum(p["n"] for p in part.parts) - len(part.labels)),
        "labels_checked": check is not None,
        "labels_check": check or f"not checked: {labels_name}[.gz] is not in {directory}",
    }
    return part.images, part.labels, info


def _check_partial_labels(part, directory, listed, labels_name: str, verify: bool) -> str | None:
    """Compare ``part.labels`` with the full label file at ``part.indices``; ``None`` when that file is absent."""
    path = find_file(directory, listed, labels_name)
    if path is None:
        return None
    full = read_checked(path, accepted=CHECKSUMS.get(labels_name) if verify else None, ndim=1)
    if len(part.indices) and part.indices.max() >= len(full):
        raise ValueError(f"{path}: holds {len(full)} labels, but the partial files have images up to index "
                         f"{part.indices.max()}")
    differ = np.flatnonzero(full[part.indices] != part.labels)
    if len(differ):
        i = differ[0]
        raise ValueError(
            f"the partial EMNIST labels differ from {path} at {len(differ)} of {len(part.labels)} indices "
            f"(first: index {part.indices[i]}, partial {part.labels[i]}, full {full[part.indices[i]]}); "
            f"the files in {directory.parent / PARTIAL_DIRECTORY} are not the EMNIST images they claim to be"
        )
    return f"equal to {path.name} at all {len(part.labels)} indices"

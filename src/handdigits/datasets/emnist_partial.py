"""Parts of the EMNIST splits: real images for known index ranges of the original files.

When only some of EMNIST's images can be had, they live in ``<data home>/emnist-partial/``
under the canonical names with the part of the split between the split and the kind::

    emnist-digits-train-228096-239999-images-idx3-ubyte.gz    indices 228,096 to 239,999 (inclusive)
    emnist-digits-train-228096-239999-labels-idx1-ubyte.gz
    emnist-digits-test-scattered600-images-idx3-ubyte.gz      the indices listed, one per line, in
    emnist-digits-test-scattered600-labels-idx1-ubyte.gz      emnist-digits-test-scattered600-indices.txt
    emnist-digits-test-scattered600-indices.txt

A part is either ``<first>-<last>`` (a contiguous range) or a name (lower-case letters and digits)
with an ``-indices.txt`` file.  Images are stored transposed, like the full files.  Parts of one
split are joined and ordered by their index in the original split; an index present in two parts
must hold the same image and label in both.  :func:`handdigits.datasets.load_emnist` reads the
full files when they are there and falls back to these, checking the labels against the full
label files (which are small and verified by their published hashes).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .checksums import check_content, check_pair, read_checked
from .errors import DatasetUnavailable

DIRECTORY = "emnist-partial"

#: Number of images in each full split: ``(subset, split) -> N``.
TOTALS = {
    ("digits", "train"): 240_000, ("digits", "test"): 40_000, ("mnist", "train"): 60_000, ("mnist", "test"): 10_000,
}

#: Accepted sha256 (of the ``.gz`` and of its content) of the partial files known to be real EMNIST
#: (see the data README: recovered from public sources and checked against the real label files).
#: Files not listed are read unverified, and their labels are still checked against the full label file.
CHECKSUMS: dict[str, tuple[str, ...]] = {
    "emnist-digits-train-228096-239999-images-idx3-ubyte": (
        "17d5c4e78e0862cb1267fdbe876fd84e37d3b398153521b3ae719f9245509ddb",
        "2d1cb7dd0eb085050b65cb09799f7728aae1bb1177e9756fdb4cd221b2416b6f",
    ),
    "emnist-digits-train-228096-239999-labels-idx1-ubyte": (
        "39d141b43b4079caabee5b1796870ebd101a05c9b55192486523b0e271fdbb64",
        "d330612e9532408f2501b89bf42c4cb48ddc3c89a9be1db03347e4d2893ea482",
    ),
    "emnist-digits-test-39762-39999-images-idx3-ubyte": (
        "6e2fac63557e2a60c9920b78fea6c1070458f13af737c81e3ae1d8798733aa25",
        "ab22b8734fc67a74f86e5cca07958299a68c932591775fbaa438cbcd20d015fc",
    ),
    "emnist-digits-test-39762-39999-labels-idx1-ubyte": (
        "fcab187fa56295f72a3727e476745b5e4342417933ebfb31a0b57df51a7bcee5",
        "8962d6fb6760fe6559f2173bb2eb001d55465cd350f70fa2e63246e1881cf2ff",
    ),
    "emnist-digits-test-scattered600-images-idx3-ubyte": (
        "ae3548577278710e117b4429ba28bbafe0c77a3a2ca3cf7a3f81e760843646e9",
        "cf71af3f5438b2eaa5d5500452a39b21564dcd86acaaa6c2ecb38a4b45d84948",
    ),
    "emnist-digits-test-scattered600-labels-idx1-ubyte": (
        "ebe93f4134907a5bdf0128d0a2d5ac155fa206228b351d64ac31cc23f5444eea",
        "d99f3763bf74d3c30af0209fa984e70b0a5a38e8e1603ed00aaa1be358cb95b4",
    ),
    "emnist-digits-test-scattered600-indices.txt": (
        "c4238e55005ba8f53cc4b306d76687890cc936bc85bb6f5cb3a3d81988ff3ed1",
    ),
}

_NAME = re.compile(
    r"^emnist-(?P<subset>[a-z]+)-(?P<split>[a-z]+)-(?P<part>[0-9]+-[0-9]+|[a-z][a-z0-9]*)"
    r"-(?P<kind>images-idx3|labels-idx1)-ubyte(?:\.gz)?$"
)


class Partial(NamedTuple):
    """Part of an EMNIST split: ``images`` uint8 (N, 28, 28) in MNIST orientation, ``labels`` uint8 (N,),
    ``indices`` int64 (N,) (each image's index in the full split, ascending) and ``parts``
    (``{"part", "n", "images", "labels", "indices"}`` per part file, in file-name order)."""

    images: np.ndarray
    labels: np.ndarray
    indices: np.ndarray
    parts: list


def part_files(directory: Path, listed: Collection[str], split: str, subset: str) -> dict[str, dict[str, Path]]:
    """``{part: {"images": path, "labels": path}}`` for the partial files of one split in ``directory``.

    Raises ``ValueError`` when a part has images without labels or the other way round.
    """
    found: dict[str, dict[str, Path]] = {}
    for name in sorted(listed):
        m = _NAME.match(name)
        if m and m["subset"] == subset and m["split"] == split:
            kind = "images" if m["kind"] == "images-idx3" else "labels"
            if kind in found.setdefault(m["part"], {}):
                raise ValueError(f"{directory}: two {kind} files for part {m['part']!r} of EMNIST {subset} {split} "
                                 f"({found[m['part']][kind].name} and {name}); keep one")
            found[m["part"]][kind] = directory / name
    for part, files in found.items():
        if len(files) != 2:
            (have,) = files.values()
            raise ValueError(f"{have}: no matching {'labels' if 'images' in files else 'images'} file for part "
                             f"{part!r} (expected emnist-{subset}-{split}-{part}-"
                             f"{'labels-idx1' if 'images' in files else 'images-idx3'}-ubyte[.gz] beside it)")
    return found


def _part_indices(part: str, files: dict, n: int, total: int | None, verify: bool, checksums) -> np.ndarray:
    """The original-split index of each of the ``n`` images of ``part`` (range in the name or indices file)."""
    images = files["images"]
    if re.fullmatch(r"[0-9]+-[0-9]+", part):
        first, last = (int(v) for v in part.split("-"))
        if last < first or last - first + 1 != n:
            raise ValueError(f"{images}: the name says indices {first}-{last} ({last - first + 1} images) "
                             f"but the file holds {n}")
        indices = np.arange(first, last + 1, dtype=np.int64)
    else:
        path = images.with_name(re.sub(r"-images-idx3-ubyte(\.gz)?$", "-indices.txt", images.name))
        files["indices"] = path
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ValueError(f"{images}: part {part!r} needs its index list {path.name} beside it ({exc})") from exc
        accepted = checksums.get(path.name) if verify else None
        if accepted is not None:
            check_content(str(path), raw, raw, accepted)
        try:
            indices = np.array([int(v) for v in raw.decode("ascii").split()], dtype=np.int64)
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"{path}: expected one integer index per line ({exc})") from exc
        if len(indices) != n:
            raise ValueError(f"{path}: lists {len(indices)} indices for {n} images in {images.name}")
        if len(np.unique(indices)) != n:
            raise ValueError(f"{path}: lists some indices more than once")
    if n and (indices.min() < 0 or (total is not None and indices.max() >= total)):
        raise ValueError(f"{images}: indices outside the split's range [0, {total}) "
                         f"(found {indices.min()}..{indices.max()})")
    return indices


def read_partial(
    directory: Path,
    listed: Collection[str],
    split: str,
    subset: str,
    *,
    verify: bool = True,
    checksums: Mapping[str, Collection[str]] | None = None,
) -> Partial:
    """Read and join the partial files of one split in ``directory`` (see the module docstring).

    ``listed`` are the names in ``directory``.  Files are verified against ``checksums``
    (default :data:`CHECKSUMS`) where a hash is known, unless ``verify=False``.  Raises
    :class:`DatasetUnavailable` when there are none, ``ValueError`` for inconsistent files.
    """
    checksums = CHECKSUMS if checksums is None else checksums
    found = part_files(directory, listed, split, subset)
    if not found:
        raise DatasetUnavailable(
            f"EMNIST unavailable: no partial files emnist-{subset}-{split}-<first>-<last>-images-idx3-ubyte[.gz] "
            f"(or -<name>- with -indices.txt) in {directory}"
        )
    total = TOTALS.get((subset, split))
    xs, ys, idx, parts = [], [], [], []
    for part, files in found.items():
        x, y = (
            read_checked(files[kind], accepted=checksums.get(_stem(files[kind])) if verify else None, ndim=ndim)
            for kind, ndim in (("images", 3), ("labels", 1))
        )
        check_pair(x, y, directory, f"EMNIST {subset} {split} part {part}")
        indices = _part_indices(part, files, len(x), total, verify, checksums)
        xs.append(x.transpose(0, 2, 1))  # stored transposed, like the full files
        ys.append(y)
        idx.append(indices)
        parts.append({"part": part, "n": int(len(x)), **{k: p.name for k, p in files.items()}})
    x, y, indices = np.concatenate(xs), np.concatenate(ys), np.concatenate(idx)
    unique, first = np.unique(indices, return_index=True)
    if len(unique) < len(indices):  # an index in two parts must hold the same image and label
        order = np.argsort(indices, kind="stable")
        same = indices[order][1:] == indices[order][:-1]
        a, b = order[:-1][same], order[1:][same]
        bad = np.flatnonzero((x[a] != x[b]).any(axis=(1, 2)) | (y[a] != y[b]))
        if len(bad):
            raise ValueError(f"{directory}: index {indices[a[bad[0]]]} of EMNIST {subset} {split} appears in two "
                             f"parts with different {'images' if (x[a[bad[0]]] != x[b[bad[0]]]).any() else 'labels'}")
    return Partial(np.ascontiguousarray(x[first]), y[first], unique.astype(np.int64), parts)


def describe_parts(parts: list) -> str:
    """Human-readable index ranges of :attr:`Partial.parts`, e.g. ``"39,762-39,999 + 600 listed in <file>"``."""
    out = []
    for p in parts:
        if "indices" in p:
            out.append(f"{p['n']} listed in {p['indices']}")
        else:
            first, last = (int(v) for v in p["part"].split("-"))
            out.append(f"{first:,}-{last:,}")
    return " + ".join(out)


def _stem(path: Path) -> str:
    return path.name[:-3] if path.name.endswith(".gz") else path.name


__all__ = ["CHECKSUMS", "DIRECTORY", "Partial", "TOTALS", "describe_parts", "part_files", "read_partial"]

"""Exact and near duplicates between two image sets, found by hashing (no pairwise distances)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation import check_image_array, check_number


@dataclass(frozen=True)
class Duplicates:
    """Pairs ``(a_index[k], b_index[k])`` of duplicate images, ``kind[k]`` ``"exact"`` or ``"near"``.

    Indexable like a dict: ``dup["a_index"]``.  Sorted by ``(a_index, b_index)``;
    a pair that is exact is not repeated as near.
    """

    a_index: np.ndarray
    b_index: np.ndarray
    kind: np.ndarray

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in ("a_index", "b_index", "kind"):
            raise KeyError(f"{key!r}; expected 'a_index', 'b_index' or 'kind'")
        return getattr(self, key)

    def keys(self):
        return ("a_index", "b_index", "kind")

    def __len__(self) -> int:
        return len(self.a_index)


def _rows(x: np.ndarray) -> np.ndarray:
    """One opaque ``np.void`` value per image, comparable and sortable as bytes."""
    flat = np.ascontiguousarray(x.reshape(len(x), -1))
    return flat.view(np.dtype((np.void, flat.shape[1] * flat.dtype.itemsize))).ravel()


def _normalise(images: np.ndarray) -> np.ndarray:
    """Contrast-stretch each image to [0, 1] (float32)."""
    x = images.astype(np.float32)
    lo = x.min(axis=(1, 2), keepdims=True)
    span = np.maximum(x.max(axis=(1, 2), keepdims=True) - lo, 1e-6)
    return (x - lo) / span


def near_key(images: np.ndarray, grid: int = 7, levels: int = 8, offset: float = 0.0) -> np.ndarray:
    """Coarse signature of each image: contrast-stretched to [0, 1], ``grid x grid`` block means,
    quantised to ``levels`` values (bin edges shifted by ``offset`` of a level).  ``images``
    (N, H, W) with H, W divisible by ``grid``; returns uint8 (N, grid*grid)."""
    n, h, w = images.shape
    if h % grid or w % grid:
        raise ValueError(f"grid={grid} must divide the image size, got images of {h}x{w}")
    means = _normalise(images).reshape(n, grid, h // grid, grid, w // grid).mean(axis=(2, 4))
    return np.minimum(np.floor(means * levels + offset), levels).astype(np.uint8).reshape(n, grid * grid)


def _correlation(a: np.ndarray, b: np.ndarray, ia: np.ndarray, ib: np.ndarray, chunk: int = 16384) -> np.ndarray:
    """Pearson correlation of the pixels of each pair ``(a[ia[k]], b[ib[k]])`` (chunked)."""
    out = np.empty(len(ia), np.float32)
    for start in range(0, len(ia), chunk):
        x = _normalise(a[ia[start : start + chunk]]).reshape(-1, a[0].size)
        y = _normalise(b[ib[start : start + chunk]]).reshape(-1, b[0].size)
        x -= x.mean(axis=1, keepdims=True)
        y -= y.mean(axis=1, keepdims=True)
        denom = np.sqrt((x * x).sum(axis=1) * (y * y).sum(axis=1))
        out[start : start + chunk] = (x * y).sum(axis=1) / np.maximum(denom, 1e-12)
    return out


def _matching_pairs(ka: np.ndarray, kb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All ``(i, j)`` with ``ka[i] == kb[j]`` (vectorised: group ids + cartesian products)."""
    _, inv = np.unique(np.concatenate([ka, kb]), return_inverse=True)
    inv = inv.ravel()
    ga, gb = inv[: len(ka)], inv[len(ka):]
    ngroups = int(inv.max()) + 1 if len(inv) else 0
    ca, cb = np.bincount(ga, minlength=ngroups), np.bincount(gb, minlength=ngroups)
    common = np.nonzero((ca > 0) & (cb > 0))[0]
    order_a, order_b = np.argsort(ga, kind="stable"), np.argsort(gb, kind="stable")
    start_a, start_b = np.cumsum(ca) - ca, np.cumsum(cb) - cb
    counts = ca[common] * cb[common]
    group = np.repeat(common, counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    ia, ib = offset // cb[group], offset % cb[group]
    return order_a[start_a[group] + ia], order_b[start_b[group] + ib]


def find_duplicates(
    a, b, near: bool = True, *, min_correlation: float = 0.99, grid: int = 7, levels: int = 8
) -> Duplicates:
    """Find images of ``a`` that duplicate images of ``b``.

    ``a`` and ``b``: image stacks (N, H, W) of the same H, W (e.g. uint8 (N, 28, 28)).
    Exact: identical pixel values.  Near (when ``near``): the Pearson
    correlation of the two images' pixels is at least ``min_correlation``
    (a re-scan, re-compression or mild noise keeps it above 0.999; two
    different writers' upright "1"s can reach 0.98, hence the 0.99 default).
    Candidates come from hashing a coarse signature (:func:`near_key`, with
    three bin offsets so values near a bin edge are not missed) and are then
    verified pixel by pixel: no all-pairs comparison.

    Returns :class:`Duplicates` with int64 ``a_index``, ``b_index`` and str ``kind``.
    """
    a = check_image_array(a, min_ndim=3, max_ndim=3, name="a")
    b = check_image_array(b, min_ndim=3, max_ndim=3, name="b")
    if a.shape[1:] != b.shape[1:]:
        raise ValueError(f"a and b must hold images of one size, got {a.shape[1:]} and {b.shape[1:]}")
    check_number(min_correlation, "min_correlation", low=-1.0, high=1.0)
    check_number(grid, "grid", low=1)
    check_number(levels, "levels", low=2, high=255)
    dtype = np.result_type(a, b)
    ea, eb = _matching_pairs(_rows(a.astype(dtype, copy=False)), _rows(b.astype(dtype, copy=False)))
    ia, ib, kinds = [ea], [eb], [np.full(len(ea), "exact")]
    if near:
        pairs = []
        for offset in (0.0, 1 / 3, 2 / 3):
            ka = near_key(a, int(grid), int(levels), offset)
            kb = near_key(b, int(grid), int(levels), offset)
            na, nb = _matching_pairs(_rows(ka), _rows(kb))
            pairs.append(na * len(b) + nb)
        code = np.setdiff1d(np.unique(np.concatenate(pairs)), ea * len(b) + eb)
        na, nb = code // len(b), code % len(b)
        close = _correlation(a, b, na, nb) >= min_correlation
        ia.append(na[close])
        ib.append(nb[close])
        kinds.append(np.full(int(close.sum()), "near"))
    ia, ib, kinds = np.concatenate(ia).astype(np.int64), np.concatenate(ib).astype(np.int64), np.concatenate(kinds)
    order = np.lexsort((ib, ia))
    return Duplicates(ia[order], ib[order], kinds[order].astype("<U5"))

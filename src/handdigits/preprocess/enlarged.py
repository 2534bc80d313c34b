"""Images enlarged by repeating pixels (nearest-neighbour upscaling), read at their own resolution.

An 8×8 scan shown at 64×64 or an MNIST digit saved at 280×280 is made of
blocks of equal pixels.  Read as a photo, the blocks' steps become staircase
strokes and a tiny scan misses the grey-level path of small inputs
(:func:`~.photo._grey_path`): scikit-learn's 8×8 digits enlarged to 64×64 were
misread 4.3 % of the time against 1.3 % at 8×8.  :func:`_unenlarged` finds the
image such an input was enlarged from, exactly, so it is read as if it had
been given: nothing is lost, nothing is guessed.
"""

from __future__ import annotations

import numpy as np

from .framing import MNIST_SIZE

MIN_FACTOR = 2  # only enlargements with blocks at least this many pixels a side are undone
MAX_SIDE = 1024  # images larger than this are photos and drawings, not enlarged scans (and are not searched)
MAX_SOURCE = 64  # ... and the image undone is at most this large a side (8×8 to 64×64 scans, 28×28 arrays)
_CHUNK = 16  # rows compared at a time: a photo differs in consecutive rows at once, and the search stops


def _unenlarged(a: np.ndarray) -> tuple[np.ndarray, float] | None:
    """``(image, factor)``: the smaller image ``a`` is an exact enlargement of by repeating pixels (each pixel
    an ``f``-by-``f`` block, ``f`` at least :data:`MIN_FACTOR`, whole or not, along both axes), and ``a``'s
    pixels per pixel of it along its longer side; None when ``a`` is not one.

    Only images larger than 28 px and at most :data:`MAX_SIDE` px a side are
    searched (the 28×28 fast path stays as fast), for a smaller image of at
    most :data:`MAX_SOURCE` px a side (a drawing of axis-parallel bars is an
    enlargement of a few pixels too; it is left as it is).  Both common index maps of a
    nearest-neighbour resize are tried: Pillow's (output pixel ``i`` takes
    source pixel ``floor((i + 0.5) n / N)``) and the plain one (``floor(i n /
    N)``, NumPy's ``repeat`` and OpenCV's), each with the fewest source pixels
    whose block edges hold every change between neighbouring rows (columns);
    the smaller image is kept only if enlarging it back gives ``a`` exactly.

    >>> small = np.arange(64, dtype=np.uint8).reshape(8, 8)
    >>> big = np.repeat(np.repeat(small, 5, axis=0), 5, axis=1)
    >>> found, factor = _unenlarged(big)
    >>> bool(np.array_equal(found, small)), factor
    (True, 5.0)
    >>> _unenlarged(np.random.default_rng(0).integers(0, 256, (40, 40), dtype=np.uint8)) is None
    True
    """
    h, w = a.shape[:2]
    if max(h, w) <= MNIST_SIZE or max(h, w) > MAX_SIDE or min(h, w) < 2 * MIN_FACTOR:
        return None
    rows = _source_index(a, 0)
    if rows is None:
        return None
    cols = _source_index(a, 1)
    if cols is None:
        return None
    small = a[_firsts(rows)][:, _firsts(cols)]
    if not np.array_equal(small[rows][:, cols], a):
        return None
    return small, max(h, w) / max(small.shape[:2])


def _source_index(a: np.ndarray, axis: int) -> np.ndarray | None:
    """For each row (``axis=0``) or column of ``a``, the index of the source row it repeats, or None.

    None when some row differs from both its neighbours (no block of at least
    :data:`MIN_FACTOR`) or no source size and index map put block edges at
    every change.
    """
    changes = _changes(a, axis)
    if changes is None:
        return None
    n = changes.size
    edges = np.flatnonzero(changes)
    if edges.size == 0:
        return None  # one flat colour: nothing to undo (and no digit)
    gap = int(np.diff(np.concatenate([[0], edges, [n]])).min())
    if gap < MIN_FACTOR:
        return None
    i = np.arange(n)
    for m in range(max(1, -(-n // (gap + 1))), min(n // MIN_FACTOR, MAX_SOURCE) + 1):  # fewest source rows first
        for index in ((2 * i + 1) * m // (2 * n), i * m // n):  # Pillow's map; NumPy's and OpenCV's
            found = _fitted(index, edges)
            if found is not None:
                return found
        if m * gap > 2 * n:
            break  # blocks this small cannot be as long as the shortest run
    return None


def _changes(a: np.ndarray, axis: int) -> np.ndarray | None:
    """``changes[i]``: row (``axis=0``) or column ``i`` of ``a`` differs from the one before; None when two
    neighbouring ones both change (a block of one pixel: no enlargement)."""
    n = a.shape[axis]
    changes = np.zeros(n, bool)
    if axis == 0:  # a chunk at a time: a photo has two changes in a row at once
        for s in range(1, n, _CHUNK):
            e = min(n, s + _CHUNK)
            changes[s:e] = (a[s:e] != a[s - 1 : e - 1]).reshape(e - s, -1).any(axis=1)
            if (changes[max(s - 1, 1) : e - 1] & changes[max(s, 2) : e]).any():
                return None
        return changes
    flat = a.reshape(a.shape[0], -1)  # columns: at once, on the rows' bytes (a strided search is slow)
    c = flat.shape[1] // n
    changes[1:] = (flat[:, c:] != flat[:, :-c]).any(axis=0).reshape(n - 1, c).any(axis=1)
    return None if (changes[1:] & changes[:-1]).any() else changes


def _fitted(index: np.ndarray, edges: np.ndarray) -> np.ndarray | None:
    """``index`` with its block edges moved onto the observed ``edges``, or None when some observed edge is
    more than one pixel from every block edge.

    A resize computes each pixel's source in floating point (Pillow in fixed
    point for some sizes), so where a block edge falls exactly between two
    pixels it may land one pixel either way of the exact map's.  An edge with
    no observed change (two equal source rows) stays where the map puts it.
    """
    model = np.flatnonzero(index[1:] != index[:-1]) + 1
    if model.size == 0:
        return None
    right = np.minimum(np.searchsorted(model, edges), model.size - 1)
    left = np.maximum(right - 1, 0)
    near = np.where(np.abs(model[left] - edges) <= np.abs(model[right] - edges), left, right)
    if (np.abs(model[near] - edges) > 1).any() or np.unique(near).size < near.size:
        return None
    actual = model.copy()
    actual[near] = edges
    if (np.diff(actual) <= 0).any():
        return None
    out = np.zeros(index.size, np.intp)
    out[actual] = 1
    return np.cumsum(out)


def _firsts(index: np.ndarray) -> np.ndarray:
    """The first position of each source index (``index`` is sorted and covers ``0 .. index[-1]``)."""
    return np.searchsorted(index, np.arange(index[-1] + 1))

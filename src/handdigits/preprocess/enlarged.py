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
SAME_FACTOR = 1.05  # the two axes' enlargements agree within this ratio (and a pixel of rounding)
MIN_EDGES = 0.6  # between its first and last change, over this share of the block edges show a change ...
MIN_CHANGES = 4  # ... and at least this many rows (columns) differ from the one before
_CHUNK = 16  # rows compared at a time: a photo differs in consecutive rows at once, and the search stops


def _unenlarged(a: np.ndarray) -> tuple[np.ndarray, float] | None:
    """``(image, factor)``: the smaller image ``a`` is an exact enlargement of by repeating pixels (each pixel
    an ``f``-by-``f`` block, ``f`` at least :data:`MIN_FACTOR`, whole or not, along both axes), and ``a``'s
    pixels per pixel of it along its longer side; None when ``a`` is not one.

    Only images larger than 28 px and at most :data:`MAX_SIDE` px a side are
    searched (the 28×28 fast path stays as fast), for a smaller image of at
    most :data:`MAX_SOURCE` px a side, enlarged by the same factor along both
    axes (within :data:`SAME_FACTOR` and a pixel of rounding), whose
    neighbouring rows (columns) differ at :data:`MIN_CHANGES` places or more
    and at over :data:`MIN_EDGES` of the block edges between the first and the
    last that do.  A scan's grey levels differ from row to row; a drawing
    of a few axis-parallel bars on plain paper, or a lone square blob, is
    exactly an enlargement of a few pixels too, but its rows change at few
    places, and it is left as it is.  Both common index maps of a
    nearest-neighbour resize are tried: Pillow's (output pixel ``i`` takes
    source pixel ``floor((i + 0.5) n / N)``) and the plain one (``floor(i n /
    N)``, NumPy's ``repeat`` and OpenCV's), for every source size ``n`` up to
    :data:`MAX_SOURCE` (:func:`_source_indexes`); of the pairs of row and
    column sizes that fit, the one with the fewest changes a row off the maps,
    then the closest factors, then the smallest image is taken, and only if
    enlarging it back gives ``a`` exactly.

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
    rows = _source_indexes(a, 0)
    cols = _source_indexes(a, 1) if rows else []
    fits = []
    for k, (moved_rows, r) in enumerate(rows):
        for j, (moved_cols, c) in enumerate(cols):
            my, mx = r[-1] + 1, c[-1] + 1  # the smaller image's size
            if max((h - 1) / my, (w - 1) / mx) <= SAME_FACTOR * min((h + 1) / my, (w + 1) / mx):
                fits.append((moved_rows + moved_cols, abs(np.log(h * mx / (w * my))), my + mx, k, j))
    if not fits:
        return None
    *_, k, j = min(fits)  # the fewest changes a pixel off the maps, the closest factors, the smallest image
    rows, cols = rows[k][1], cols[j][1]
    small = a[_firsts(rows)][:, _firsts(cols)]
    if not np.array_equal(small[rows][:, cols], a):
        return None
    return small, max(h, w) / max(small.shape[:2])


def _source_indexes(a: np.ndarray, axis: int) -> list:
    """Every source size the rows (``axis=0``) or columns of ``a`` fit: ``(moved, index)``, the index of the
    source row each row repeats and how many changes lie a pixel off the size's map.

    No size fits when some row differs from both its neighbours (no block of
    at least :data:`MIN_FACTOR`) or fewer than :data:`MIN_CHANGES` rows differ
    from the one before.  A size fits when one of the index maps puts a block
    edge at every change, or the change one row after a tied edge
    (:func:`_fitted`), and the rows change at over :data:`MIN_EDGES` of the
    block edges between the first change and the last (so a grid twice as
    fine, where every other edge shows a change, does not fit).
    """
    changes = _changes(a, axis)
    if changes is None:
        return []
    n = changes.size
    edges = np.flatnonzero(changes)
    if edges.size < MIN_CHANGES:
        return []  # flat, or a few bars or blobs
    gap = int(np.diff(np.concatenate([[0], edges, [n]])).min())
    if gap < MIN_FACTOR:
        return []
    i = np.arange(n)
    out = []
    for m in range(max(1, -(-n // (gap + 1))), min(n // MIN_FACTOR, MAX_SOURCE) + 1):
        pillow, plain = (2 * i + 1) * m, i * m  # Pillow's map; NumPy's and OpenCV's: source = value // scale
        for value, scale in ((pillow, 2 * n), (plain, n)):
            found = _fitted(value, scale, edges)
            if found is not None:
                moved, found = found
                blocks = np.count_nonzero(found[edges[0] : edges[-1] + 1] != found[edges[0] - 1 : edges[-1]])
                if edges.size > MIN_EDGES * blocks:
                    out.append((moved, found))
                break
    return out


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


def _fitted(value: np.ndarray, scale: int, edges: np.ndarray) -> tuple[int, np.ndarray] | None:
    """``(moved, index)``: the source index ``value // scale`` of each row, its block edges moved onto the
    observed ``edges``, and how many were moved; None when the edges do not fit.

    A resize computes each row's source in floating point, so at an edge where
    ``value / scale`` is exactly a whole number (a tie) it may come out just
    under it and the block edge one row later (Pillow: 24 rows to 182, row 136).
    An observed edge must be a block edge, or one row after a tied one; a block
    edge with no observed change (two equal source rows) stays where it is.
    """
    index = value // scale
    model = np.flatnonzero(index[1:] != index[:-1]) + 1
    tied = model[value[model] % scale == 0]
    on = np.isin(edges, model)
    late = ~on & np.isin(edges - 1, tied)
    if not (on | late).all():
        return None
    step = np.zeros(index.size + 1, np.intp)
    step[model] = 1
    step[edges[late] - 1] = 0  # the tied edges seen a row late move there
    step[edges[late]] = 1
    out = np.cumsum(step[:-1])
    if out[-1] != index[-1]:
        return None  # a moved edge ran into the next one
    return int(late.sum()), out


def _firsts(index: np.ndarray) -> np.ndarray:
    """The first position of each source index (``index`` is sorted and covers ``0 .. index[-1]``)."""
    return np.searchsorted(index, np.arange(index[-1] + 1))

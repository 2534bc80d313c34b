"""MNIST's framing: arrays already in MNIST form (kept as they are), stroke width, and the 20-px box centred by mass."""

from __future__ import annotations

import numpy as np

from .decode import _to_unit
from .filters import _bbox, _centre_of_mass, _rank, _resize, _shrink

MNIST_SIZE = 28
BOX = 20  # MNIST digits are size-normalised into a 20×20 box ...
CENTRE = 14.0  # ... and centred so their centre of mass is at pixel index 14 (measured on MNIST test)
FRAMED_MAX = 26  # a 28×28 digit this large that leaves a 1-px rim empty is already framed
STROKE_RANGE = (1.3, 3.4)  # stroke widths (output px) left as they are; MNIST: 1.3-3.0 (5-95 %)
STROKE_TARGET = 1.9  # thin strokes are thickened to about MNIST's median width
STROKE_TARGET_THICK = 2.8  # very thick strokes are thinned to about this


def _as_mnist(a: np.ndarray) -> np.ndarray | None:
    """The image itself (as a new uint8 array, white ink on black) when it is a 28×28 grey image already in
    MNIST form, else None."""
    u = _grey8(a)
    if u is None:
        return None
    u = 255 - u if _light_background(u) else u.copy()
    return u if _looks_like_mnist(u) else None


def _grey8(a: np.ndarray) -> np.ndarray | None:
    """A 28×28 grey image as (28, 28) uint8 levels (a view of a uint8 input), else None.

    Grey stored as RGB (or opaque RGBA) gives its first channel.  Other dtypes
    are scaled as :func:`~handdigits.preprocess.decode._to_unit` scales them and
    rounded to 8 bits, the precision of the 28×28 that comes out.  The fast
    path's tests run on these levels: a uint8 array, the common case, is never
    copied to float.
    """
    if a.shape[:2] != (MNIST_SIZE, MNIST_SIZE):
        return None
    if a.ndim == 3 and a.shape[2] != 1:
        if a.shape[2] == 4 and a[..., 3].min() != a[..., 3].max():
            return None
        if not (np.array_equal(a[..., 0], a[..., 1]) and np.array_equal(a[..., 0], a[..., 2])):
            return None
    a = a[..., 0] if a.ndim == 3 else a
    if a.dtype == np.uint8:
        return a
    return np.rint(_to_unit(a) * 255.0).astype(np.uint8)


def _fast_inverted(a: np.ndarray) -> bool:
    """Whether :func:`_as_mnist` inverts ``a`` (a 28×28 grey image)."""
    return _light_background(_grey8(a))


def _light_background(g: np.ndarray) -> bool:
    """Whether a 28×28 image (uint8 levels or [0, 1]) is dark ink on light paper: its median lies above
    the mid-point of its 1st and 99th percentiles.

    The percentiles (numpy's default, linear between order statistics) and the
    median need six order statistics, which one ``np.partition`` finds:
    ``np.percentile`` and ``np.median`` cost ten times more here, and this test
    runs on every MNIST-format input.
    """
    v = g.ravel()
    n = v.size
    low, high = 0.01 * (n - 1), 0.99 * (n - 1)
    kth = {(n - 1) // 2, n // 2}
    for position in (low, high):
        i = min(int(position), n - 2)
        kth.update((i, i + 1))
    s = np.partition(v, sorted(kth))
    median = 0.5 * (float(s[(n - 1) // 2]) + float(s[n // 2]))
    return bool(median > 0.5 * (_order_statistic(s, low) + _order_statistic(s, high)))


def _order_statistic(s: np.ndarray, position: float) -> float:
    """Values ``s``, in order at least at ``int(position)`` and the index after it, interpolated linearly
    at fractional ``position`` (the last value for a position at the end)."""
    i = min(int(position), s.size - 2)
    lo, hi = float(s[i]), float(s[i + 1])
    return lo + (hi - lo) * (position - i)


DARK_BELOW = 13  # uint8 levels under 0.05 × 255 count as background ...
INK_ABOVE = 25  # ... and levels over 0.1 × 255 as ink, in the framing test below


def _looks_like_mnist(u: np.ndarray) -> bool:
    """A 28×28 uint8 white-on-black image already framed: returned as it is.

    Two framings count: MNIST's own (longer side 18-21 px, centre of mass within
    0.75 px of (14, 14)), and a digit that fills the frame by a similar recipe
    without touching its edge (longer side up to ``FRAMED_MAX`` px, an empty
    1-px rim), as EMNIST's are (centred by their box, 2-px margin).  Reframing
    those into MNIST's 20-px box only blurs them: on the partial EMNIST test set
    the bundled model made 2 errors after it, 1 on the images as they are.
    """
    if np.count_nonzero(u < DARK_BELOW) * 2 < u.size:  # under half the pixels dark
        return False
    rows, cols = np.flatnonzero(u.max(1) > INK_ABOVE), np.flatnonzero(u.max(0) > INK_ABOVE)  # rows, columns with ink
    if rows.size == 0:
        return False
    extent = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    if not 18 <= extent <= FRAMED_MAX:
        return False
    if extent > 21 or not _mnist_centred(u):
        last = MNIST_SIZE - 1
        return rows[0] > 0 and cols[0] > 0 and rows[-1] < last and cols[-1] < last  # the 1-px rim empty
    return True


def _mnist_centred(g: np.ndarray) -> bool:
    cy, cx = _centre_of_mass(g)
    return abs(cy - CENTRE) <= 0.75 and abs(cx - CENTRE) <= 0.75


def _to_box(v: np.ndarray, *, stroke: bool, frame: tuple[int, int] = (MNIST_SIZE, MNIST_SIZE),
            box: tuple[int, int] = (BOX, BOX)) -> np.ndarray | None:
    """A cropped white-on-black [0, 1] digit -> (28, 28) uint8: longer side 20 px, centre of mass at (14, 14).

    ``frame`` and ``box`` give another output size and the box the ink is fitted
    into (the reader's pairs of touching digits: a 20×40 box in a 28×48 frame);
    the centre of mass goes to the frame's centre.
    """
    from PIL import Image

    if stroke:
        v = _normalise_stroke(v, box)
    ch, cw = v.shape
    s = min(box[0] / ch, box[1] / cw)
    nh, nw = max(1, round(ch * s)), max(1, round(cw * s))
    if (nh, nw) != (ch, cw):
        method = Image.Resampling.LANCZOS if s < 1 or stroke else Image.Resampling.BICUBIC
        v = np.clip(_resize(v, (nw, nh), method), 0.0, 1.0)
    if v.sum() <= 0:
        return None
    cy, cx = _centre_of_mass(v)
    top = int(np.clip(np.floor(frame[0] / 2 - cy + 0.5), 0, frame[0] - nh))
    left = int(np.clip(np.floor(frame[1] / 2 - cx + 0.5), 0, frame[1] - nw))
    out = np.zeros(frame)
    out[top : top + nh, left : left + nw] = v
    return np.rint(out * 255.0).astype(np.uint8)


def _framed_ink(v: np.ndarray, frame: tuple[int, int] = (MNIST_SIZE, MNIST_SIZE),
                box: tuple[int, int] = (BOX, BOX)) -> np.ndarray:
    """White-on-black ink ``v`` in [0, 1] (a crop of any size) -> a ``frame`` uint8 image.

    The box of the ink (``v > 0.05``) is fitted into ``box`` with strokes
    normalised and centred by mass (:func:`_to_box`); no ink gives zeros.  The
    reader's candidate digits (28×28) and touching pairs (28×48) are made so.
    """
    ink = _bbox(v > 0.05)
    out = None
    if ink is not None:
        x0, y0, x1, y1 = ink
        out = _to_box(v[y0:y1, x0:x1], stroke=True, frame=frame, box=box)
    return np.zeros(frame, np.uint8) if out is None else out


def reframe(images) -> np.ndarray:
    """``(N, 28, 28)`` uint8 white-on-black digits redrawn in MNIST's frame (longer side of the ink 20 px,
    centre of mass at the centre), whatever frame they came in.

    For comparing sets framed differently: EMNIST's digits fill more of the
    box than MNIST's, so a pixel-level duplicate search misses re-framed
    copies (see :mod:`handdigits.assembly`).  Unlike :func:`to_mnist`, which
    keeps an image already in MNIST form as it is, every image is redrawn; one
    without ink stays as it is.
    """
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (MNIST_SIZE, MNIST_SIZE) or images.dtype != np.uint8:
        raise ValueError(f"reframe expects (N, 28, 28) uint8 images, got {images.shape} {images.dtype}")
    out = images.copy()
    for i, image in enumerate(images):
        rows, cols = np.nonzero(image > 12)  # ink: above 5 % of full scale
        if rows.size:
            crop = image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1] / 255.0
            boxed = _to_box(crop, stroke=False)
            out[i] = out[i] if boxed is None else boxed
    return out


def stroke_width(v: np.ndarray) -> float:
    """Mean stroke width of the ink (``v > 0.5``) in pixels: ``2 * area / boundary length``.

    For a stroke of width ``w`` and length ``L`` the area is ``w L`` and the
    boundary (pixels of the ink that touch the background) about ``2 L``.
    Strokes one pixel wide read as 2 (every pixel is boundary).
    """
    mask = v > 0.5
    area = int(mask.sum())
    if area == 0:
        return 0.0
    inner = _shrink(mask)
    return 2.0 * area / max(int((mask & ~inner).sum()), 1)


def _normalise_stroke(v: np.ndarray, box: tuple[int, int] = (BOX, BOX)) -> np.ndarray:
    """Thicken thin pen strokes (thin very thick marker ones) towards MNIST's stroke width.

    ``v``: the cropped digit, white ink on black in [0, 1].  Once size-normalised
    into the 20-px box, MNIST strokes are 1.3 to 3.0 px wide (5th to 95th
    percentile, median 1.9, by :func:`stroke_width` on MNIST test).  Ink that
    would come out thinner than ``STROKE_RANGE[0]`` is dilated towards the
    median, thicker than ``STROKE_RANGE[1]`` eroded towards ``STROKE_TARGET_THICK``.
    ``box``: the box the ink will be fitted into (see :func:`_to_box`).
    """
    scale = min(box[0] / v.shape[0], box[1] / v.shape[1])
    width = stroke_width(v) * scale  # in output (28-px image) pixels
    if width <= 0 or STROKE_RANGE[0] <= width <= STROKE_RANGE[1]:
        return v
    target = STROKE_TARGET if width < STROKE_RANGE[0] else STROKE_TARGET_THICK
    r = int(round(abs(target - width) / scale / 2.0))  # a (2r+1) filter changes the width by 2r
    if r < 1:
        return v
    if width < STROKE_RANGE[0]:
        padded = np.zeros((v.shape[0] + 2 * r, v.shape[1] + 2 * r), v.dtype)  # room to grow (np.pad: slower)
        padded[r:-r, r:-r] = v
        return _rank(padded, 2 * r + 1, np.max)
    thinner = _rank(v, 2 * r + 1, np.min)
    return thinner if (thinner > 0.5).any() else v

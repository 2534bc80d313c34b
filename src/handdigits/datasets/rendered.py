"""Training digits photographed: MNIST *train* digits rendered as users photograph and scan them.

Three generated sources for :mod:`handdigits.assembly` (``--photos N``, ``--pairs N`` and
``--numbers N`` in ``python -m handdigits.train``), all made from digits the caller gives
(the MNIST train split for training, the MNIST validation hold-out for validation), never
from test digits:

- :func:`render_photos`: each digit drawn in one of the real-world conditions of
  :mod:`handdigits.realworld` (notebook paper, canvas, small and faint, coloured ink, tight
  crop, shadow, 16×16 and 8×8 grey scans, plain-paper photo), then brought back to MNIST
  format by :func:`handdigits.preprocess.to_mnist`, so the model learns what preprocessing
  leaves of a photo (remains of ruled lines, thick strokes, faint ink).  Renders that
  preprocessing refuses (no ink found) are dropped, as a user's photo would be refused.
- :func:`merged_pairs`: two digits touching or overlapping side by side, in MNIST format,
  labelled :data:`NOT_A_DIGIT`: what :meth:`Classifier.read` sees when it has not cut a
  number where it should, and must score low.
- :func:`number_candidates`: what :meth:`Classifier.read` itself cuts from generated numbers
  of the digits (with touching neighbours), labelled with the digit a candidate matches or
  :data:`NOT_A_DIGIT` when it merges two.

The real-world *suite* renders MNIST *test* digits and scikit-learn's digits with other
seeds; the two share the renderer, so its figures for a model trained with ``photos``
measure the renderer's conditions, not new ones (see the model card).

>>> import numpy as np
>>> digits = np.zeros((2, 28, 28), np.uint8); digits[:, 6:22, 12:16] = 255
>>> x, y = merged_pairs(digits, np.array([1, 7]), 3, seed=0)
>>> x.shape, y.tolist()
((3, 28, 28), [10, 10, 10])
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .synthetic import NOT_A_DIGIT, _Progress, write_npz

#: the real-world conditions :func:`render_photos` cycles through (item i gets KINDS[i % 9])
KINDS = ("notebook", "canvas", "small-faint", "colour", "tight-crop", "shadow", "grey16", "grey8", "plain-photo")
VERSION = "3"  # bumped whenever a given seed's output changes (2: colour distance in the ink strength only where
# needed; 3: lines hidden in a shadow erased, parts of a digit drawn apart kept, the sparsest strokes' polarity:
# render_photos; shadow wedges at the frame dropped by the reader: number_candidates)
_CHUNK = 64  # renders converted together (a 12 MP canvas is 36 MB as RGB)


def render_photos(digits, labels, n: int, *, seed: int, progress=None) -> tuple[np.ndarray, np.ndarray]:
    """``n`` renders of ``digits`` (MNIST format) in real-world conditions, back in MNIST format.

    Item ``i`` renders digit ``order[i % len(digits)]`` (a seeded permutation) in condition
    ``KINDS[i % len(KINDS)]`` with a generator seeded by ``(seed, i)``.  Returns
    ``(x, y)``: uint8 ``(m, 28, 28)`` and int64 labels, ``m <= n`` (refused renders dropped).
    """
    from ..preprocess import to_mnist_batch

    digits, labels, n, seed = _checked(digits, labels, n, seed)
    order = np.random.default_rng([seed, 0]).permutation(len(digits))
    picked = order[np.arange(n) % len(order)]  # the digit of item i
    x, y = [], []
    bar = _Progress("photos", n, progress)
    for start in range(0, n, _CHUNK):
        items = range(start, min(n, start + _CHUNK))
        images = [_render(KINDS[i % len(KINDS)], digits[picked[i]], np.random.default_rng([seed, 1, i])) for i in items]
        prepared = to_mnist_batch(images, errors="mark")
        x.append(prepared.images[prepared.ok])
        y.append(labels[picked[items.start : items.stop]].astype(np.int64)[prepared.ok])
        bar.update(items.stop)
    bar.update(n, final=True)
    return np.concatenate(x), np.concatenate(y)


def merged_pairs(digits, labels, n: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images of two of ``digits`` side by side, touching or overlapping, labelled "not a digit".

    The second digit's ink starts between 5 px inside and 1 px beyond the first's right
    edge (at MNIST scale; a 1 only touches, between 1 px inside and 1 px beyond, since a 1 drawn
    over another digit still reads as that digit), shifted up or down by up to 2 px; the pair
    is then framed like MNIST (longer side 20 px).  Pairs of two 1s are skipped.
    """
    from ..preprocess import mnist_from_array

    digits, labels, n, seed = _checked(digits, labels, n, seed)
    if (labels == 1).all():
        raise ValueError("merged_pairs needs at least one digit other than 1 (pairs of two 1s are skipped)")
    rng = np.random.default_rng([seed, 2])
    out = np.empty((n, 28, 28), np.uint8)
    for i in range(n):
        a, b = rng.integers(len(digits), size=2)
        while labels[a] == 1 and labels[b] == 1:
            b = rng.integers(len(digits))
        gap = int(rng.integers(-1, 2)) if 1 in (labels[a], labels[b]) else int(rng.integers(-5, 2))
        out[i] = mnist_from_array(_side_by_side(digits[a], digits[b], gap, int(rng.integers(-2, 3))))
    return out, np.full(n, NOT_A_DIGIT, np.int64)


def number_candidates(digits, labels, n: int, *, seed: int, progress=None) -> tuple[np.ndarray, np.ndarray]:
    """``n`` candidate digits that :meth:`Classifier.read` cuts from numbers of ``digits``, labelled.

    Numbers of 2-6 of ``digits`` are laid out and photographed like ``realworld/numbers``
    (:func:`handdigits.realworld.numbers.random_number`; half of them with touching neighbours)
    and split into candidates by the reader's own segmentation, so the crops are exactly what
    the reader classifies.  A candidate whose box matches one digit's box (IoU at least
    :data:`_MATCH`), holds nearly all of it (:data:`_HOLD`: a 4 that lost its left arm to a
    cut is a fair "1", and must not teach the model that such 1s are 4s) and no large part of
    another (:data:`_COVER`) is labelled with that digit (often a digit cut from its
    neighbour, with the cut's traces); one that matches no digit that well but holds at
    least :data:`_COVER` of two digits' boxes or more is labelled :data:`NOT_A_DIGIT` (two
    digits merged, a digit with a large part of its neighbour), what the decoder must score
    low.  Pieces of one digit are left out: half a 4 is a fair "1", the bottom of an 8 a
    fair "0", and a model taught otherwise would doubt real ones.  Of each number at most
    :data:`_PER_NUMBER` ``(digits, non-digits)`` candidates are kept, digit candidates cut
    through ink first.  Number ``i`` uses a generator seeded by ``(seed, 3, i)``; numbers are
    made until ``n`` candidates are kept.  Returns uint8 ``(n, 28, 28)`` and int64 labels.
    """
    from ..reading.segment import _segment
    from ..realworld.numbers import LENGTHS, random_number

    digits, labels, n, seed = _checked(digits, labels, n, seed)
    x, y = [], []
    bar = _Progress("number candidates", n, progress)
    i = 0
    while len(y) < n:
        rng = np.random.default_rng([seed, 3, i])
        i += 1
        sample = random_number(digits, labels, int(rng.integers(LENGTHS[0], LENGTHS[1] + 1)), rng, touching=0.5)
        try:
            plan = _segment(np.asarray(sample.image), with_pairs=False)
        except ValueError:  # nothing found: no candidates
            continue
        for r in _labelled_runs(plan.runs, sample.boxes, sample.text, rng):
            x.append(plan.crops[r[0]])
            y.append(r[1])
        bar.update(min(len(y), n))
    bar.update(n, final=True)
    return np.stack(x[:n]), np.array(y[:n], np.int64)


_PAIR_KINDS = (0.75, 0.85, 0.93)  # touching_pairs: pairs below the first; one digit, three, a digit and a half above


def touching_pairs(digits, labels, n: int, *, seed: int, progress=None) -> tuple[np.ndarray, np.ndarray]:
    """``n`` training crops for the reader's pair model (:mod:`handdigits.reading.pairs`), labelled.

    Digits are drawn (pen or brush, 28-70 px tall, heights within ±12 %) and laid
    out side by side like ``realworld/numbers`` (:func:`handdigits.realworld.numbers.lay_out`),
    half of them slanted; each crop is made by :func:`handdigits.reading.pairs.pair_image`.

    - 75 %: two digits, touching or overlapping (85 %) or just apart, labelled
      ``10 a + b``;
    - the rest, labelled ``NOT_A_PAIR`` (100): one digit (half of them stretched
      1.1-1.8× wide), three touching digits, or two with a third to two thirds
      of one cut away (a cut in the wrong place).

    Item ``i`` uses a generator seeded by ``(seed, 5, i)``.  Returns uint8
    ``(n, 28, 48)`` and int64 labels.
    """
    from ..reading.pairs import NOT_A_PAIR, PAIR_SHAPE, pair_image

    digits, labels, n, seed = _checked(digits, labels, n, seed)
    x, y = np.zeros((n, *PAIR_SHAPE), np.uint8), np.zeros(n, np.int64)
    bar = _Progress("touching pairs", n, progress)
    for i in range(n):
        rng = np.random.default_rng([seed, 5, i])
        line, y[i] = _pair_line(digits, labels, rng, NOT_A_PAIR)
        x[i] = pair_image(line)
        bar.update(i + 1)
    bar.update(n, final=True)
    return x, y


def _pair_line(digits, labels, rng: np.random.Generator, not_a_pair: int) -> tuple[np.ndarray, int]:
    """One :func:`touching_pairs` item before cropping: the ink (white on black, [0, 1]) and its label."""
    from PIL import Image

    from ..realworld.numbers import lay_out, shear_line

    kind = rng.random()
    count = 1 if _PAIR_KINDS[0] <= kind < _PAIR_KINDS[1] else 3 if _PAIR_KINDS[1] <= kind < _PAIR_KINDS[2] else 2
    idx = rng.integers(len(labels), size=count)
    inks, height = _pen_inks([digits[j] for j in idx], rng)
    label = 10 * int(labels[idx[0]]) + int(labels[idx[1]]) if kind < _PAIR_KINDS[0] else not_a_pair
    if count == 1:
        line = inks[0]
        if rng.random() < 0.5:  # a wide single digit
            wide = (int(line.shape[1] * rng.uniform(1.1, 1.8)), line.shape[0])
            line = np.asarray(Image.fromarray(line.astype(np.float32), mode="F").resize(wide), np.float64)
    else:
        touch = np.array([rng.random() < 0.85] if count == 2 else [True, rng.random() < 0.7])
        line, boxes = lay_out(inks, touch, height, rng.uniform(-0.06, 0.06), rng)
        if kind >= _PAIR_KINDS[2]:  # cut a third to two thirds off one of the two
            x0, _, x1, _ = boxes[1] if rng.random() < 0.5 else boxes[0]
            c = int(x0 + rng.uniform(0.3, 0.7) * (x1 - x0))
            line = line.copy()
            if (x0, x1) == (boxes[1][0], boxes[1][2]):
                line[:, c:] = 0
            else:
                line[:, :c] = 0
    if rng.random() < 0.5:
        line, _ = shear_line(line, [], rng.uniform(-0.2, 0.2))
    return line, label


def _pen_inks(digits, rng: np.random.Generator) -> tuple[list, float]:
    """The digits drawn as :func:`handdigits.realworld.numbers.make_number` draws a number's, 28-70 px tall."""
    from ..realworld.numbers import draw_inks, pick_pen

    height = float(rng.uniform(28, 70))
    return draw_inks(digits, height, *pick_pen(height, rng), rng), height


_MATCH = 0.8  # a candidate box with at least this IoU with a digit's box ...
_HOLD = 0.95  # ... holding this share of that box is that digit
_COVER = 0.3  # a candidate holding this share of two digits' boxes or more is not a digit (nor a match)
_PER_NUMBER = (3, 2)  # candidates kept per number: digits, non-digits


def _labelled_runs(runs, boxes, text: str, rng: np.random.Generator) -> list:
    """``(run index, label)`` of the candidates :func:`number_candidates` keeps from one number."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    found = np.array([r.box for r in runs], np.float64).reshape(-1, 4)
    lo, hi = np.maximum(found[:, None, :2], boxes[None, :, :2]), np.minimum(found[:, None, 2:], boxes[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=2)
    found_area, area = np.prod(found[:, 2:] - found[:, :2], axis=1), np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    iou = inter / (found_area[:, None] + area[None, :] - inter)
    best = iou.argmax(axis=1)
    best_iou = iou.max(axis=1)
    held = inter / area[None, :]
    covers = (held >= _COVER).sum(axis=1)
    holds = held[np.arange(len(runs)), best] >= _HOLD
    positive = [r for r in range(len(runs)) if best_iou[r] >= _MATCH and holds[r] and covers[r] == 1]
    negative = [r for r in range(len(runs)) if best_iou[r] < _MATCH and covers[r] >= 2]
    rng.shuffle(positive)
    positive.sort(key=lambda r: -runs[r].cuts)  # stable: shuffled within equal cut counts
    rng.shuffle(negative)
    return ([(r, int(text[best[r]])) for r in positive[: _PER_NUMBER[0]]]
            + [(r, NOT_A_DIGIT) for r in negative[: _PER_NUMBER[1]]])


def as_grey8(digit: np.ndarray) -> np.ndarray:
    """An MNIST digit as scikit-learn's ``load_digits`` stores its scans, scaled to 0..255.

    Like the NIST preprocessing behind ``load_digits``: the digit's box fitted into a
    32×32 bitmap (ink above half intensity), then the ink pixels counted in 4×4 blocks (0..16).
    """
    from PIL import Image

    rows, cols = np.nonzero(digit > 127)
    if not len(rows):
        return np.zeros((8, 8), np.uint8)
    box = digit[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    h, w = box.shape
    s = 32 / max(h, w)
    small = np.asarray(Image.fromarray(box).resize((max(1, round(w * s)), max(1, round(h * s))), Image.Resampling.BILINEAR))
    bitmap = np.zeros((32, 32), bool)
    top, left = (32 - small.shape[0]) // 2, (32 - small.shape[1]) // 2
    bitmap[top : top + small.shape[0], left : left + small.shape[1]] = small > 127
    counts = bitmap.reshape(8, 4, 8, 4).sum(axis=(1, 3))
    return (counts * 16).clip(0, 255).astype(np.uint8)


def cached(make, digits, labels, n: int, *, seed: int, directory=None) -> tuple[np.ndarray, np.ndarray]:
    """``make(digits, labels, n, seed=seed)`` (:func:`render_photos` or :func:`merged_pairs`),
    read from or written to an ``.npz`` cache keyed by the function, :data:`VERSION`, ``n``,
    ``seed`` and the SHA-256 of ``digits`` and ``labels`` (default directory:
    ``<user cache>/rendered/``).  An unreadable cache is regenerated; an unwritable one only costs time.
    """
    from .checksums import sha256_arrays
    from .paths import cache_home

    directory = Path(directory) if directory is not None else cache_home() / "rendered"
    key = sha256_arrays(np.asarray(digits), np.asarray(labels))[:16]
    path = directory / f"{make.__name__}-{key}-seed{seed}-n{n}-v{VERSION}.npz"
    try:
        with np.load(path) as f:
            x, y = f["x"], f["y"]
        if x.ndim == 3 and x.shape[1:] == (28, 28) and len(x) == len(y) <= n:
            return x, y
    except (OSError, ValueError, KeyError):
        pass  # absent, unreadable or partial: generate
    x, y = make(digits, labels, n, seed=seed)
    write_npz(path, x, y)
    return x, y


def _render(kind: str, digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """:func:`handdigits.realworld.render_digit` of an MNIST digit (as an 8×8 scan for ``"grey8"``)."""
    from ..realworld import render_digit

    return render_digit(kind, as_grey8(digit) if kind == "grey8" else digit, rng)


def _side_by_side(a: np.ndarray, b: np.ndarray, gap: int, shift: int) -> np.ndarray:
    """``b`` to the right of ``a``: its ink starts ``gap`` px after ``a``'s ink ends (negative: overlap)."""
    a_cols, b_cols = np.nonzero(a.any(axis=0))[0], np.nonzero(b.any(axis=0))[0]
    a, b = a[:, a_cols[0] : a_cols[-1] + 1], b[:, b_cols[0] : b_cols[-1] + 1]
    left = max(0, a.shape[1] + gap)
    canvas = np.zeros((28 + 4, max(a.shape[1], left + b.shape[1])), np.uint8)
    canvas[2 : 30, : a.shape[1]] = a
    window = canvas[2 + shift : 30 + shift, left : left + b.shape[1]]
    np.maximum(window, b, out=window)
    return canvas


def _checked(digits, labels, n, seed):
    from ..validation import check_int

    digits, labels = np.asarray(digits), np.asarray(labels)
    if digits.ndim != 3 or digits.shape[1:] != (28, 28) or digits.dtype != np.uint8:
        raise ValueError(f"digits must be uint8 (N, 28, 28) in MNIST format, got {digits.dtype} {digits.shape}")
    if len(digits) == 0 or len(labels) != len(digits):
        raise ValueError(f"need at least one digit and one label per digit, got {len(digits)} digits, {len(labels)} labels")
    return digits, labels, check_int(n, "n", low=1), check_int(seed, "seed", low=0)

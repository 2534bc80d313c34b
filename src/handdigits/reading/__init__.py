"""Read whole numbers: one line of handwritten digits -> ``"2024"``.

:meth:`handdigits.Classifier.read` calls :func:`read`.  The steps:

1. **Ink** (:mod:`~handdigits.reading.ink`): the first steps of the
   single-digit preprocessing (:mod:`handdigits.preprocess`: polarity from the
   paper, local paper colour removed, ink strength with colour, the same
   blank-image tests) at a working resolution of at most :data:`WORK_MAX`
   pixels on the longer side; hysteresis keeps the faint parts of strokes
   connected to clear ink; printed ruling and grid lines are removed where no
   stroke crosses them.
2. **Components** (:mod:`~handdigits.reading.line`): 8-connected components of
   the ink (:func:`components`, a run-length labelling); shadows and page edges
   (filled blobs at the border) and specks are dropped.  The line height ``H``
   is the median height of the tall components.
3. **Fragments** (:mod:`~handdigits.reading.segment`): small components (a 5's
   detached top, the bar of a 7) are attached to the component they overlap
   most horizontally.
4. **Over-segmentation** (:mod:`~handdigits.reading.cuts`): components wider
   than ``0.6 H`` may hold touching digits.  A cut is a top-to-bottom path
   that crosses as little ink as it can (one column a row at most, a small
   cost per sideways step); for every column of the component's middle row
   one pass of dynamic programming down and one up give the least ink such a
   path through it crosses, and the cuts are the local minima of that cost,
   so touching digits are cut where they meet, wherever that is.  This gives
   a left-to-right sequence of *atoms* (ordered along the writing's slant,
   the shear in ``[-0.45, 0.45]`` that makes the column profile sharpest).
5. **Candidates** (:mod:`~handdigits.reading.segment`): every run of
   consecutive atoms that is at most :data:`MAX_WIDTH` line heights wide is a
   candidate digit.  Each is cropped from the ink and converted to MNIST
   format like a single digit (stroke width normalised, size-normalised into
   20×20, centred by centre of mass); all candidates of an image (of all
   images, for :func:`read_batch`) are classified in **one batched call**.
6. **Decoding** (:mod:`~handdigits.reading.decode`): dynamic programming over
   the atom boundaries picks the split into digits with the highest total
   log-confidence (the classifier's top digit output, which includes its "not
   a digit" share: a merged pair or half a digit that the model calls no digit
   scores low), with costs for joining separate components (small when they
   overlap horizontally, large across a gap), for candidates much narrower
   than a digit that are not read as 1, and for candidates shorter than about
   half the line (:func:`~handdigits.reading.decode._run_cost`).  With
   ``expected_length`` the DP keeps only splits into exactly that many digits;
   with ``max_digits`` at most that many.
7. **Pairs** (:mod:`~handdigits.reading.pairs`): where a cut cannot part two
   touching digits (a 7's stem over a 6's loop), the run holding both is also
   cropped into a wider 28×48 frame and read whole by the bundled *pair model*
   (the pairs 00-99 and "not a pair"); the DP weighs "these are the two digits
   ab" (``-log`` the pair's probability) against every split into single
   digits.  Only runs about as wide as two touching digits of the line, with
   no gap inside, are tried, all in one more batched call.

*Why candidate cuts + DP rather than a sliding window*: the cuts follow the
ink (touching digits meet at thin junctions, which a least-ink path finds),
so a handful of candidates per touching group is enough and the
exact DP over them is cheap (atoms × candidates per atom × digits); a sliding
window needs many more classifier calls at every scale and still has to decide
where digits end.

Boxes are reported in input pixels ``(x0, y0, x1, y1)`` (``x1``, ``y1``
exclusive).  An image with no ink raises
:class:`handdigits.preprocess.BlankImageError` (a ``ValueError``, "no ink
found ...") like :meth:`~handdigits.Classifier.predict`.

>>> from handdigits import Classifier
>>> reading = Classifier().read("meter.jpg")        # doctest: +SKIP
>>> reading.text, reading.confidence                # doctest: +SKIP
('2024', 0.991)
>>> reading.digits[0].box                           # doctest: +SKIP
(112, 40, 171, 131)
"""

from __future__ import annotations

import numpy as np

from ..validation import check_choice, check_images, check_images_marked, check_int
from . import pairs
from .decode import _decode
from .ink import WORK_MAX
from .line import components
from .result import DigitReading, Reading
from .segment import MAX_RUN, MAX_WIDTH, _segment

__all__ = ["MAX_RUN", "MAX_WIDTH", "WORK_MAX", "DigitReading", "Reading", "components", "read", "read_batch"]


def read(classifier, image, *, max_digits: int | None = None, expected_length: int | None = None,
         pair_model=None) -> Reading:
    """Read the number in one image with ``classifier`` (see :meth:`handdigits.Classifier.read`)."""
    images, single = check_images(image)
    if not single:
        raise ValueError(f"read takes one image, got {len(images)} images; use read_batch for several")
    return read_batch(classifier, images, max_digits=max_digits, expected_length=expected_length,
                      pair_model=pair_model, _single=True)[0]


def read_batch(classifier, images, *, max_digits: int | None = None, expected_length: int | None = None,
               errors: str = "raise", pair_model=None, _single: bool = False) -> list[Reading]:
    """Read one number per image; all candidates of all images are classified in one batched call.

    ``pair_model``: what reads the runs that may be two touching digits, all
    of them in one more batched call: a :class:`~handdigits.adapter.ModelAdapter`
    of kind ``"pairs"`` (anything whose ``forward(batch)`` maps ``(N, 28, 48, 1)``
    crops to ``(N, 101)`` probabilities), or ``None`` to read single digits only
    (no pair candidates are then cropped).

    With ``errors="raise"`` the first image that cannot be read raises, naming
    it (``image 3 of 10: no ink found ...``); with ``errors="mark"`` it gets a
    :class:`Reading` whose ``error`` says why (``text`` ``""``, no digits,
    confidence NaN) and the others are read.
    """
    check_choice(errors, "errors", ("raise", "mark"))
    max_digits, expected_length = _check_lengths(max_digits, expected_length)
    if _single:
        reasons = [None]
    elif errors == "mark":
        images, reasons = check_images_marked(images)
    else:
        images, _ = check_images(images)
        reasons = [None] * len(images)
    n = len(images)
    plans = []
    for i, a in enumerate(images):
        plan = None
        if reasons[i] is None:
            plan, reasons[i] = _attempt(lambda: _segment(np.asarray(a), with_pairs=pair_model is not None), i, n,
                                        _single, errors)
        plans.append(plan)
    scored = classify(classifier, plans, pair_model)
    out = []
    for i, (plan, (proba, conf, pair_proba)) in enumerate(zip(plans, scored)):
        reading = None
        if plan is not None:
            reading, reasons[i] = _attempt(
                lambda: _decode(plan, proba, conf, max_digits, expected_length, pair_proba),
                i, n, _single, errors)
        out.append(reading if reading is not None else Reading.failed(reasons[i]))
    return out


def classify(classifier, plans: list, pair_model=None) -> list[tuple]:
    """``(proba, conf, pair_proba)`` per plan (``None`` plans get empty arrays): every candidate digit of every
    plan classified by ``classifier`` in one batched call, every pair candidate by ``pair_model`` in another
    (``pair_proba`` is ``None`` without a pair model)."""
    crops = [c for plan in plans if plan is not None for c in plan.crops]
    pair_crops = [c for plan in plans if plan is not None for c in plan.pair_crops]
    if crops:
        answers = classifier.answer(np.stack(crops), preprocess=False)
        proba, conf = answers.proba, answers.confidence
    else:
        proba, conf = np.zeros((0, 10), np.float32), np.zeros(0)
    pair_proba = None
    if pair_model is not None:
        pair_proba = np.zeros((0, pairs.NOT_A_PAIR + 1), np.float32)
        if pair_crops:
            pair_proba = pair_model.forward(np.stack(pair_crops)[..., None].astype(np.float32))
    out, start, pstart = [], 0, 0
    for plan in plans:
        n, m = (len(plan.crops), len(plan.pair_crops)) if plan is not None else (0, 0)
        out.append((proba[start : start + n], conf[start : start + n],
                    None if pair_proba is None else pair_proba[pstart : pstart + m]))
        start, pstart = start + n, pstart + m
    return out


def _attempt(step, i: int, n: int, single: bool, errors: str) -> tuple:
    """``(step(), None)``, or with ``errors="mark"`` ``(None, why)`` when it raises a ``ValueError``;
    with ``errors="raise"`` the error is re-raised (same type, e.g. ``BlankImageError``) naming image ``i``
    of a batch."""
    try:
        return step(), None
    except ValueError as exc:
        if errors == "mark":
            return None, str(exc)
        if single:
            raise
        raise type(exc)(f"image {i} of {n}: {exc}") from None


def _check_lengths(max_digits, expected_length):
    if max_digits is not None:
        max_digits = check_int(max_digits, "max_digits", low=1)
    if expected_length is not None:
        expected_length = check_int(expected_length, "expected_length", low=1)
        if max_digits is not None and expected_length > max_digits:
            raise ValueError(f"expected_length ({expected_length}) must be <= max_digits ({max_digits})")
    return max_digits, expected_length



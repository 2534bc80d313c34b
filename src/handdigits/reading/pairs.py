"""Two touching digits read as one: the pair candidates of a line and what the pair model says of them.

Cuts cannot part every pair of touching digits: where a 7's stem runs over
a 6's loop, or an 8 is written over a 1, no top-to-bottom path leaves each
digit whole on its side.  Such a pair is read *holistically* instead: the
candidate run that holds both (a component no cut parted well, or atoms that
overlap) is cropped like a digit but into a wider frame (:data:`PAIR_SHAPE`,
the ink fitted into a :data:`PAIR_BOX` box, strokes normalised as for one
digit) and classified by the bundled pair model
(:func:`handdigits.models.build_pair_model`): 101 outputs, ``10 a + b`` for
the pair "ab" and :data:`NOT_A_PAIR` for anything else (one digit, three,
half of one).  The decoder (:mod:`~handdigits.reading.decode`) then weighs
"this run is the two digits ab" against every split into single digits.

Only runs that may be two touching digits are tried (:func:`is_candidate`):
wide enough for two digits of the line, tall enough, and with no gap inside
(their parts are cut from one component or overlap).  Apart digits never
are, so a number without touching digits costs no pair-model call.

The model is trained on pairs of MNIST *train* digits laid out touching the
way ``realworld/numbers`` lays them out
(:func:`handdigits.datasets.rendered.touching_pairs`), cropped by
:func:`pair_image`.
"""

from __future__ import annotations

import numpy as np

from .. import preprocess as _pre
from ..runtime import PAIR_OUTPUTS, PAIR_SHAPE  # the pair model's input (rows, columns) and outputs

PAIR_BOX = (20, 40)  # the ink is fitted into this box of PAIR_SHAPE, centre of mass at the centre
NOT_A_PAIR = PAIR_OUTPUTS - 1  # the pair model's last output (100)
_MIN_WIDTH = 0.8  # a pair candidate is at least this many typical digit widths wide ...
_MIN_HEIGHT = 0.6  # ... and this many line heights tall
_OVERLAP = -0.3  # joined components must overlap horizontally by this share (the gap code of segment._separators)


def pair_image(v: np.ndarray) -> np.ndarray:
    """White-on-black ink ``v`` in [0, 1] (a pair's crop, any size) -> the pair model's (28, 48) uint8 input.

    The ink's box (``v > 0.05``) is fitted into :data:`PAIR_BOX` and centred by
    mass in :data:`PAIR_SHAPE`, strokes normalised as a single digit's
    (:func:`handdigits.preprocess.to_mnist`); no ink gives zeros.
    """
    return _pre._framed_ink(v, PAIR_SHAPE, PAIR_BOX)


def is_candidate(run, ref_width: float) -> bool:
    """Whether a candidate run (:class:`~handdigits.reading.segment._Run`) may be two touching digits."""
    return (run.width >= _MIN_WIDTH * ref_width and run.height >= _MIN_HEIGHT
            and all(g <= _OVERLAP for g, _ in run.joins))


def split(p: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """The pair model's 101 probabilities -> ``(best pair 10 a + b, P(first digit), P(second digit))``.

    Each digit's probabilities are the pair probabilities summed over the
    other digit, divided by their total (the share that is a pair at all).
    """
    p = np.asarray(p, np.float64)
    grid = p[:NOT_A_PAIR].reshape(10, 10)
    total = max(float(grid.sum()), 1e-12)
    return int(np.argmax(p[:NOT_A_PAIR])), grid.sum(axis=1) / total, grid.sum(axis=0) / total

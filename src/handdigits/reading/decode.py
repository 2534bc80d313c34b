"""Step 6 of reading: the best split of the atoms into digits, by dynamic programming.

Every candidate run of atoms costs ``-log confidence`` (the classifier's
probability that it is a digit *and* that its top digit is right, so a run the
11-class model calls "not a digit" — a merged pair, half a digit — costs a lot)
plus penalties for joining separate components and for odd shapes
(:func:`_run_cost`).  The DP over atom boundaries and digit counts picks the
cheapest split; ``expected_length`` and ``max_digits`` restrict the count.
A run that may be two touching digits (:mod:`~handdigits.reading.pairs`) may
also be read as the pair model's best pair, for ``-log`` its probability plus
:data:`_PAIR_COST`: one step of the DP that adds two digits.
"""

from __future__ import annotations

import numpy as np

from . import pairs
from .line import _blank
from .result import DigitReading, Reading
from .segment import _FRAGMENT, _Plan, _Run

_JOIN_COST = 0.3  # cost of reading two overlapping components as one digit
_GAP_COST = 10.0  # ... plus this per line height of gap between them (plus 2)
_NARROW = 0.5  # candidates narrower than this many typical digit widths, not read as 1, pay _NARROW_PENALTY
_NARROW_PENALTY = 3.0
_SMALL_PENALTY = 4.0  # cost of a candidate shorter than _FRAGMENT line heights
_SHORT, _SHORT_PENALTY = 0.9, 2.0  # a candidate shorter than _SHORT line heights pays up to _SHORT_PENALTY
_SKIP_COST = 1.5  # cost of dropping a fragment as noise (per fragment-height share)
_PAIR_COST = 0.0  # added to -log P(pair) for reading a run as two touching digits


def _decode(plan: _Plan, proba: np.ndarray, conf: np.ndarray, max_digits, expected_length,
            pair_proba: np.ndarray | None = None) -> Reading:
    """The :class:`Reading` of the best split; ``proba`` ``(R, 10)`` and ``conf`` ``(R,)`` per candidate run,
    ``pair_proba`` ``(len(plan.pair_runs), 101)`` the pair model's outputs (``None``: no pair readings)."""
    A = plan.n_atoms
    most = A if pair_proba is None or not len(plan.pair_runs) else A + len(plan.pair_runs)  # a pair adds a digit
    K = most if max_digits is None else min(most, max_digits)
    if expected_length is not None:
        if expected_length > most:
            raise ValueError(
                f"cannot read {expected_length} digits: the ink splits into at most {most} parts; "
                "check expected_length or the image"
            )
        K = expected_length
    costs = [_run_cost(run, p, c, plan.ref_width) for run, p, c in zip(plan.runs, proba, conf)]
    pair_costs = {}
    if pair_proba is not None:
        for r, p in zip(plan.pair_runs, pair_proba):
            ab = int(np.argmax(p[: pairs.NOT_A_PAIR]))
            pair_costs[r] = (-float(np.log(max(float(p[ab]), 1e-6))) + _PAIR_COST, p)
    cost, back = _best_splits(plan, costs, K, pair_costs)
    if expected_length is not None:
        k = expected_length
        if not np.isfinite(cost[A, k]):
            raise ValueError(f"cannot read {expected_length} digits in this image; check expected_length")
    else:
        k = int(np.argmin(cost[A, 1:])) + 1
        if not np.isfinite(cost[A, k]):
            raise _blank("no digit-sized ink")
    digits = []
    for r, pair in _backtrack(back, A, k):
        if pair:
            digits.extend(_pair_digits(plan.runs[r].box, pair_costs[r][1]))
            continue
        p = proba[r].astype(np.float64)
        d = int(np.argmax(p))
        digits.append(DigitReading(d, plan.runs[r].box, proba[r].copy(), float(conf[r])))
    total = float(np.prod([dg.confidence for dg in digits])) if digits else 0.0
    return Reading("".join(str(dg.digit) for dg in digits), tuple(digits), total)


def _pair_digits(box: tuple, p: np.ndarray) -> list:
    """The two :class:`DigitReading` of a run read as a pair: its box halved, each digit's probabilities summed
    over the other's, confidence the pair's probability of that digit (its share of all 101 outputs)."""
    ab, first, second = pairs.split(p)
    share = float(np.sum(p[: pairs.NOT_A_PAIR]))
    x0, y0, x1, y1 = box
    mid = (x0 + x1) // 2
    out = []
    for d, q, b in ((ab // 10, first, (x0, y0, mid, y1)), (ab % 10, second, (mid, y0, x1, y1))):
        out.append(DigitReading(d, b, q.astype(np.float32), float(q[d] * share)))
    return out


def _best_splits(plan: _Plan, costs: list, K: int, pair_costs: dict | None = None) -> tuple[np.ndarray, dict]:
    """``cost[j, k]``: cheapest reading of atoms ``0..j-1`` as ``k`` digits; ``back`` its last step.

    ``pair_costs``: run index -> (cost of reading it as two digits, pair probabilities).
    """
    pair_costs = pair_costs or {}
    A = plan.n_atoms
    cost = np.full((A + 1, K + 1), np.inf)
    cost[0, 0] = 0.0
    back = {}
    by_end = {}
    for r, run in enumerate(plan.runs):
        by_end.setdefault(run.j, []).append((run.i, r))
    for j in range(1, A + 1):
        if plan.fragment[j - 1] > 0:  # drop atom j-1 as noise (only fragments)
            c = _SKIP_COST * plan.fragment[j - 1] / _FRAGMENT
            for k in range(K + 1):
                if cost[j - 1, k] + c < cost[j, k]:
                    cost[j, k] = cost[j - 1, k] + c
                    back[(j, k)] = (j - 1, k, None)
        for i, r in by_end.get(j, ()):
            for k in range(1, K + 1):
                if cost[i, k - 1] + costs[r] < cost[j, k]:
                    cost[j, k] = cost[i, k - 1] + costs[r]
                    back[(j, k)] = (i, k - 1, (r, False))
            if r in pair_costs:
                c = pair_costs[r][0]
                for k in range(2, K + 1):
                    if cost[i, k - 2] + c < cost[j, k]:
                        cost[j, k] = cost[i, k - 2] + c
                        back[(j, k)] = (i, k - 2, (r, True))
    return cost, back


def _backtrack(back: dict, j: int, k: int) -> list:
    """The candidate runs ``(run, read as a pair)`` of the best split ending at atom ``j`` with ``k`` digits,
    in reading order."""
    chosen = []
    while j > 0:
        i, k_prev, r = back[(j, k)]
        if r is not None:
            chosen.append(r)
        j, k = i, k_prev
    return chosen[::-1]


def _run_cost(run: _Run, p: np.ndarray, conf: float, ref_width: float) -> float:
    """Cost of reading ``run`` as one digit: ``-log conf``, plus penalties for joining components and odd shapes.

    ``conf`` is the classifier's confidence (its top digit output, which
    includes the "not a digit" share).  The weights were chosen on generated
    numbers (``realworld/numbers``, seeds 11 and 12): a cost per digit, a cost
    per cut through ink, and priors on a digit's width or aspect ratio did not
    improve the exact-read rate (checked again on seed 0 with the "not a digit"
    scoring: halving or doubling each penalty moves it by at most 0.8 points),
    so the classifier decides between splits, except for the penalties below.
    The graded cost of short candidates (``_SHORT``) was chosen on numbers laid
    out from MNIST's validation hold-out (``scripts/reading_eval.py
    --validation``, seeds 100 and 101): 1,248 → 1,259 of 1,500 read exactly,
    on a plateau (1,254-1,260 for ``_SHORT`` 0.85-1.0 and ``_SHORT_PENALTY`` 1.5-3);
    digits split into two confident pieces (a 6 into its stem and loop,
    "10") were the commonest wrong choice of the decoder.
    """
    c = -float(np.log(max(float(conf), 1e-6)))
    for g, fragment in run.joins:
        if g <= -0.3:  # strokes overlapping horizontally (a 4 or a 7 in two strokes)
            c += _JOIN_COST
        elif fragment:
            c += _JOIN_COST + _GAP_COST * max(g, 0.0)
        else:
            c += _JOIN_COST + 2.0 + _GAP_COST * max(g, 0.0)
    narrow = _NARROW * ref_width
    if run.width < narrow and int(np.argmax(p)) != 1:  # a piece of a digit (only a 1 is that narrow)
        c += _NARROW_PENALTY * (1.0 - run.width / narrow)
    if run.height < _FRAGMENT:
        c += _SMALL_PENALTY
    if run.height < _SHORT:  # part of a digit (the loop of a 6 read as 0 beside its stem read as 1)
        c += _SHORT_PENALTY * (1.0 - run.height / _SHORT)
    return c

"""Tests of the reading pieces that need no model: decoding, least-ink cuts, splitting, module sizes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handdigits.preprocess import BlankImageError
from handdigits.reading import cuts, decode, segment


def _run(i, j, width=0.6, joins=(), cuts_=0):
    return segment._Run(i, j, width, 1.0, (10 * i, 0, 10 * j, 10), list(joins), cuts_)


def _plan(runs, n_atoms):
    return segment._Plan(n_atoms, runs, [None] * len(runs), np.zeros(n_atoms), 0.6)


def _onehot(d, p=0.98):
    out = np.full(10, (1 - p) / 9)
    out[d] = p
    return out


def test_decode_uses_the_not_a_digit_confidence():
    """Two atoms cut from one blob: the merged candidate reads as a confident "8" among the digits, but the
    model says it is no digit (confidence 0.02); the two halves read 0.9 each.  The split must win.  A decoder
    scoring the renormalised digit probabilities (0.98 for the merged "8") would read "8"."""
    runs = [_run(0, 1, cuts_=1), _run(1, 2, cuts_=1), _run(0, 2, width=1.2)]
    proba = np.stack([_onehot(3), _onehot(5), _onehot(8)])
    conf = np.array([0.9, 0.9, 0.02])
    r = decode._decode(_plan(runs, 2), proba, conf, None, None)
    assert r.text == "35"
    assert [d.box for d in r.digits] == [(0, 0, 10, 10), (10, 0, 20, 10)]
    assert r.confidence == pytest.approx(0.81)
    # the same outputs with a confident merged candidate: one digit
    assert decode._decode(_plan(runs, 2), proba, np.array([0.9, 0.9, 0.97]), None, None).text == "8"


def test_decode_lengths():
    runs = [_run(0, 1, cuts_=1), _run(1, 2, cuts_=1), _run(0, 2, width=1.2)]
    proba = np.stack([_onehot(3), _onehot(5), _onehot(8)])
    conf = np.array([0.9, 0.9, 0.02])
    assert decode._decode(_plan(runs, 2), proba, conf, 1, None).text == "8"  # max_digits
    assert decode._decode(_plan(runs, 2), proba, conf, None, 1).text == "8"  # expected_length
    with pytest.raises(ValueError, match="cannot read 3 digits: the ink splits into at most 2 parts"):
        decode._decode(_plan(runs, 2), proba, conf, None, 3)


def test_decode_gap_costs_keep_separate_digits_apart():
    """Two digits a whole line height apart are never joined, even when their union reads confidently."""
    runs = [_run(0, 1), _run(1, 2), _run(0, 2, width=1.2, joins=[(1.0, False)])]
    proba = np.stack([_onehot(1), _onehot(7), _onehot(4)])
    r = decode._decode(_plan(runs, 2), proba, np.array([0.5, 0.5, 0.99]), None, None)
    assert r.text == "17"


def test_decode_drops_a_small_fragment_only_as_noise():
    """A speck (fragment atom) between two digits is dropped at a small cost rather than read as a digit."""
    plan = _plan([_run(0, 1), segment._Run(1, 2, 0.1, 0.2, (10, 0, 20, 2), [], 0), _run(2, 3)], 3)
    plan.fragment[1] = 0.2
    proba = np.stack([_onehot(2), _onehot(1), _onehot(9)])
    assert decode._decode(plan, proba, np.array([0.95, 0.95, 0.95]), None, None).text == "29"


def test_decode_with_no_candidate_is_blank():
    plan = segment._Plan(1, [], [], np.array([0.3]), 0.6)
    with pytest.raises(BlankImageError, match="no digit-sized ink"):
        decode._decode(plan, np.zeros((0, 10)), np.zeros(0), None, None)


def test_sweep_and_step_follow_the_cheap_column():
    """Known answer: a zero-cost column that steps right by one at row 3 is followed exactly, for one
    sideways step's cost."""
    cost = np.ones((6, 7))
    for y in range(6):
        cost[y, 2 if y < 3 else 3] = 0.0
    d = cuts._sweep(cost)
    assert int(np.argmin(d[5])) == 3 and d[5].min() == pytest.approx(cuts._SIDE)
    path = [3]
    for y in range(4, -1, -1):
        path.append(cuts._step(d[y], path[-1]))
    assert path[::-1] == [2, 2, 2, 3, 3, 3]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_split_assigns_every_pixel_to_an_ordered_piece(seed):
    """Pieces are numbered left to right along each row: no piece goes back leftwards, even where paths cross."""
    rng = np.random.default_rng(seed)
    h, w = 30, 90
    ys, xs = np.nonzero(rng.random((h, w)) < 0.3)
    paths = cuts._path_cuts([(ys, xs)], 20.0)[0]
    assert paths and all(p.shape == (ys.max() - ys.min() + 1,) for p in paths)
    mids = [int(p[len(p) // 2]) for p in paths]
    assert mids == sorted(mids)
    crossing = paths + [np.full_like(paths[0], xs.min())]  # a last path left of all: pushed right of the others
    for ps in (paths, crossing):
        side = cuts._split(ys, xs, ps)
        assert side.min() >= 0 and side.max() <= len(ps)
        for y in np.unique(ys):  # within a row, pieces never go back leftwards
            row = side[ys == y][np.argsort(xs[ys == y])]
            assert (np.diff(row) >= 0).all()
    assert (cuts._split(ys, xs, [np.full(h, 44)])[xs <= 44] == 0).all()


def test_cuts_at_the_junction_of_two_blobs():
    """Known answer: two 20-px blocks joined by a one-pixel bridge at columns 20-23 are cut at the bridge."""
    m = np.zeros((20, 44), bool)
    m[:, :20] = m[:, 24:] = True
    m[10, 20:24] = True
    ys, xs = np.nonzero(m)
    paths = cuts._path_cuts([(ys, xs)], 20.0)[0]
    bridge = [p for p in paths if ((p >= 20) & (p <= 23)).all()]
    assert len(bridge) >= 1
    side = cuts._split(ys, xs, bridge[:1])
    assert (side[xs < 20] == 0).all() and (side[xs >= 24] == 1).all()


def test_modules_are_small():
    """Issue 16: no reading module over 400 lines."""
    import inspect
    import os
    from pathlib import Path

    import handdigits.reading as reading

    if "mutants" in Path(reading.__file__).parts or "MUTANT_UNDER_TEST" in os.environ:
        pytest.skip("under mutmut: its trampolines hold every mutant of a module")

    for mod in (reading, cuts, decode, segment):
        assert len(inspect.getsource(mod).splitlines()) <= 400, mod.__name__


def test_path_cuts_of_groups_swept_together_match_each_alone():
    """Groups of different sizes swept in one stack (padded with impassable cells) get exactly the cuts each
    gets alone: the padding never lets a path step outside its own group."""
    rng = np.random.default_rng(5)
    groups = []
    for h, w in ((30, 90), (18, 40), (44, 70)):
        ys, xs = np.nonzero(rng.random((h, w)) < 0.35)
        groups.append((ys + int(rng.integers(0, 50)), xs + int(rng.integers(0, 200))))
    together = cuts._path_cuts(groups, 20.0)
    assert len(together) == 3 and all(together)
    for group, paths in zip(groups, together):
        alone = cuts._path_cuts([group], 20.0)[0]
        assert len(alone) == len(paths) and all(np.array_equal(a, b) for a, b in zip(alone, paths))
    assert cuts._path_cuts([], 20.0) == []

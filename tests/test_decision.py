"""Tests for handdigits.decision: raw model outputs -> digit probabilities, "not a digit", rejection."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from handdigits import decision


def _softmax_rows(n_classes):
    return arrays(np.float64, st.tuples(st.integers(1, 8), st.just(n_classes)), elements=st.floats(0.0, 1.0)).filter(
        lambda a: (a.sum(axis=1) > 1e-3).all()
    ).map(lambda a: a / a.sum(axis=1, keepdims=True))


@settings(max_examples=60, deadline=None)
@given(_softmax_rows(11))
def test_eleven_class_outputs_split_into_digits_and_none(raw):
    p = decision.digit_proba(raw)
    none = decision.not_digit_proba(raw)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(none, raw[:, 10])
    np.testing.assert_array_equal(p.argmax(axis=1), raw[:, :10].argmax(axis=1))  # renormalising keeps the order
    # confidence = P(digit) * P(top digit | digit)
    np.testing.assert_allclose(decision.confidence(raw), (1 - none) * p.max(axis=1), atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(_softmax_rows(10), st.floats(0.0, 1.0))
def test_ten_class_outputs_and_thresholds(raw, t):
    np.testing.assert_allclose(decision.digit_proba(raw), raw)
    assert (decision.not_digit_proba(raw) == 0).all()
    labels = decision.decide(raw, min_confidence=t)
    keep = raw.max(axis=1) >= t
    np.testing.assert_array_equal(labels[keep], raw[keep].argmax(axis=1))
    assert (labels[~keep] == decision.REJECTED).all()


def test_known_answers():
    raw = np.zeros((3, 11))
    raw[0, 3] = 0.7
    raw[0, 10] = 0.3  # a 3 at 0.7
    raw[1, 10] = 1.0  # surely not a digit: uniform digit probabilities
    raw[2] = np.nan  # unreadable
    # without a threshold every readable image gets a digit (the first of ten ties for row 1)
    np.testing.assert_array_equal(decision.decide(raw), [3, 0, -1])
    np.testing.assert_array_equal(decision.decide(raw, 0.8), [-1, -1, -1])
    np.testing.assert_array_equal(decision.decide(raw, 0.69), [3, -1, -1])
    np.testing.assert_allclose(decision.digit_proba(raw)[1], 0.1)
    assert np.isnan(decision.digit_proba(raw)[2]).all() and np.isnan(decision.confidence(raw)[2])
    np.testing.assert_allclose(decision.not_digit_proba(raw)[:2], [0.3, 1.0])


def test_shape_errors():
    with pytest.raises(ValueError, match=r"\(N, 10\) or \(N, 11\)"):
        decision.digit_proba(np.ones((2, 9)))
    with pytest.raises(ValueError, match="coverage"):
        decision.threshold_for_coverage([0.5], 0.0)


def test_threshold_for_coverage_and_curve():
    conf = np.array([0.99, 0.95, 0.9, 0.6, 0.3])
    assert decision.threshold_for_coverage(conf, 0.6) == 0.9  # answers 3 of 5
    assert decision.threshold_for_coverage(conf, 0.61) == 0.6  # 4 of 5 needed
    assert decision.threshold_for_coverage(conf, 1.0) == 0.3
    rows = decision.coverage_curve(conf, [True, True, False, True, False], thresholds=(0.0, 0.9, 0.96))
    assert [r["coverage_pct"] for r in rows] == [100.0, 60.0, 20.0]
    assert rows[0]["error_pct"] == pytest.approx(40.0) and rows[1]["error_pct"] == pytest.approx(100 / 3)
    assert rows[2]["error_pct"] == 0.0


def test_max_not_digit_rejects_exactly_above_the_limit():
    raw = np.zeros((4, 11))
    raw[:, 3] = [0.9, 0.7, 0.5, 0.2]
    raw[:, 10] = [0.1, 0.3, 0.5, 0.8]
    assert decision.decide(raw, max_not_digit=0.3).tolist() == [3, 3, -1, -1]
    assert decision.decide(raw, max_not_digit=0.5).tolist() == [3, 3, 3, -1]  # the limit itself is answered
    assert decision.decide(raw, min_confidence=0.8, max_not_digit=0.5).tolist() == [3, -1, -1, -1]
    assert decision.decide(raw[:, :10], max_not_digit=0.0).tolist() == [3, 3, 3, 3]  # 10 classes: never "none"
    assert decision.answers(raw, max_not_digit=0.3).labels.tolist() == [3, 3, -1, -1]


def test_reject_rule_known_answer():
    raw = np.zeros((10, 11))
    raw[:, 0] = np.linspace(0.95, 0.5, 10)  # confidences, falling
    raw[:, 10] = [0.0, 0.3, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08]
    rule = decision.reject_rule(raw, coverage=0.8, confidence_coverage=0.9)
    assert rule["min_confidence"] == pytest.approx(raw[8, 0])  # answers 9 of 10 on its own
    # of the 9 kept, the 8 with the least "none" stay: the limit is the 8th smallest, 0.07 (row 1's 0.3 is out)
    assert rule["max_not_digit"] == pytest.approx(0.07)
    labels = decision.decide(raw, **rule)
    assert (labels >= 0).sum() == 8 and labels[1] == -1 and labels[9] == -1
    ten = decision.reject_rule(raw[:, :10], coverage=0.8)
    assert ten == {"min_confidence": pytest.approx(raw[7, 0]), "max_not_digit": None}
    with pytest.raises(ValueError, match="coverage"):
        decision.reject_rule(raw, coverage=0.99, confidence_coverage=0.9)


@given(st.integers(1, 60), st.floats(0.5, 1.0), st.floats(0.0, 1.0), st.integers(0, 10_000))
def test_reject_rule_answers_at_least_the_coverage(n, coverage, extra, seed):
    raw = np.random.default_rng(seed).dirichlet(np.ones(11), size=n)
    confidence_coverage = coverage + (1 - coverage) * extra
    rule = decision.reject_rule(raw, coverage=coverage, confidence_coverage=confidence_coverage)
    answered = decision.decide(raw, **rule) >= 0
    assert answered.sum() >= np.ceil(coverage * n - 1e-9)
    assert (decision.decide(raw, min_confidence=rule["min_confidence"]) >= 0).sum() >= np.ceil(confidence_coverage * n - 1e-9)


def test_top_k_orders_by_probability_ties_to_the_smaller_digit_and_skips_nan_rows():
    proba = np.array([
        [0.1, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.3, 0.0, 0.1],
        [0.2, 0.0, 0.0, 0.2, 0.0, 0.0, 0.6, 0.0, 0.0, 0.0],
        [np.nan] * 10,
    ])
    assert decision.top_k(proba, 3) == [[(2, 0.5), (7, 0.3), (0, 0.1)], [(6, 0.6), (0, 0.2), (3, 0.2)], []]
    assert decision.top_k(proba, 1) == [[(2, 0.5)], [(6, 0.6)], []]
    out = decision.top_k(proba.astype(np.float32), 10)
    assert [d for d, _ in out[0]] == [2, 7, 0, 9, 1, 3, 4, 5, 6, 8]
    assert all(type(d) is int and type(p) is float for d, p in out[0])  # JSON-ready

"""Tests for handdigits.metrics: Wilson intervals and error summaries."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from handdigits.metrics import error_summary, expected_calibration_error, wilson_interval

Z95 = NormalDist().inv_cdf(0.975)


def wilson_by_inversion(errors: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Independent reference: the Wilson interval is the set of p with
    (p_hat - p)^2 <= z^2 p (1 - p) / n, i.e. between the roots of a quadratic in p."""
    p_hat = errors / n
    k = z * z / n
    # (1 + k) p^2 - (2 p_hat + k) p + p_hat^2 = 0
    roots = np.sort(np.roots([1 + k, -(2 * p_hat + k), p_hat * p_hat]).real)
    return float(roots[0]), float(roots[1])


@pytest.mark.parametrize(
    "errors, n, expected",
    [
        # textbook values (e.g. Newcombe 1998, Table I; Brown, Cai & DasGupta 2001)
        (0, 10, (0.0, 0.2775)),
        (5, 10, (0.2366, 0.7634)),
        (10, 10, (0.7225, 1.0)),
        (1, 29, (0.0061, 0.1718)),
        (81, 263, (0.2553, 0.3662)),
    ],
)
def test_wilson_known_values(errors, n, expected):
    lo, hi = wilson_interval(errors, n)
    assert lo == pytest.approx(expected[0], abs=1e-4)
    assert hi == pytest.approx(expected[1], abs=1e-4)


def test_default_z_is_the_95_percent_normal_quantile():
    assert wilson_interval(3, 40) == pytest.approx(wilson_interval(3, 40, z=Z95), abs=1e-12)
    # a larger z gives a wider interval containing the 95 % one
    lo95, hi95 = wilson_interval(3, 40)
    lo99, hi99 = wilson_interval(3, 40, z=NormalDist().inv_cdf(0.995))
    assert lo99 < lo95 and hi99 > hi95


@given(n=st.integers(1, 10**7), frac=st.floats(0, 1), z=st.floats(0.1, 4))
def test_wilson_matches_independent_formula(n, frac, z):
    errors = round(frac * n)
    lo, hi = wilson_interval(errors, n, z=z)
    ref_lo, ref_hi = wilson_by_inversion(errors, n, z)
    assert lo == pytest.approx(max(ref_lo, 0.0), abs=1e-7)
    assert hi == pytest.approx(min(ref_hi, 1.0), abs=1e-7)


@given(n=st.integers(1, 10**6), frac=st.floats(0, 1))
def test_wilson_properties(n, frac):
    errors = round(frac * n)
    lo, hi = wilson_interval(errors, n)
    assert 0.0 <= lo <= errors / n <= hi <= 1.0
    assert lo < hi
    # symmetry: the interval for successes mirrors the interval for errors
    mlo, mhi = wilson_interval(n - errors, n)
    assert mlo == pytest.approx(1 - hi, abs=1e-12)
    assert mhi == pytest.approx(1 - lo, abs=1e-12)
    # the same proportion from 4x the data gives a narrower interval
    lo4, hi4 = wilson_interval(4 * errors, 4 * n)
    assert hi4 - lo4 < hi - lo


def test_wilson_accepts_numpy_integers():
    assert wilson_interval(np.int64(5), np.uint32(10)) == pytest.approx(wilson_interval(5, 10))


@pytest.mark.parametrize(
    "errors, n, exc, match",
    [
        (0, 0, ValueError, "n must be positive, got 0"),
        (1, -5, ValueError, "n must be positive, got -5"),
        (-1, 10, ValueError, r"errors must be in \[0, n=10\], got -1"),
        (11, 10, ValueError, r"errors must be in \[0, n=10\], got 11"),
        (2.5, 10, TypeError, "errors must be an integer count, got 2.5"),
        (2, 10.0, TypeError, "n must be an integer count, got 10.0"),
        (True, 10, TypeError, "errors must be an integer count, got True"),
        ("3", 10, TypeError, "errors must be an integer count, got '3'"),
    ],
)
def test_wilson_bad_inputs(errors, n, exc, match):
    with pytest.raises(exc, match=match):
        wilson_interval(errors, n)


@pytest.mark.parametrize("z", [0, -1.96, float("nan"), float("inf")])
def test_wilson_bad_z(z):
    with pytest.raises(ValueError, match="z must be"):
        wilson_interval(1, 10, z=z)


def test_error_summary_counts_and_interval():
    labels = np.arange(200) % 10
    predicted = labels.copy()
    predicted[[3, 50, 51, 199]] = (predicted[[3, 50, 51, 199]] + 1) % 10
    summary = error_summary(predicted, labels)
    assert set(summary) == {"n", "errors", "error_pct", "ci95_pct"}
    assert summary["n"] == 200
    assert summary["errors"] == 4
    assert summary["error_pct"] == pytest.approx(2.0)
    ref = wilson_by_inversion(4, 200)
    assert summary["ci95_pct"] == pytest.approx([100 * ref[0], 100 * ref[1]], abs=1e-6)
    assert summary["ci95_pct"][0] < summary["error_pct"] < summary["ci95_pct"][1]


def test_error_summary_accepts_lists_and_column_vectors():
    assert error_summary([1, 2, 3], [1, 2, 4])["errors"] == 1
    assert error_summary(np.array([[1], [2], [3]]), np.array([1, 2, 3]))["errors"] == 0


def test_error_summary_perfect_and_all_wrong():
    y = np.array([0, 1, 2, 3])
    perfect = error_summary(y, y)
    assert perfect["errors"] == 0 and perfect["error_pct"] == 0.0 and perfect["ci95_pct"][0] == 0.0
    wrong = error_summary(y + 1, y)
    assert wrong["errors"] == 4 and wrong["error_pct"] == 100.0 and wrong["ci95_pct"][1] == 100.0


def test_error_summary_is_json_serialisable():
    import json

    summary = error_summary(np.array([1, 2], np.uint8), np.array([1, 3], np.uint8))
    assert json.loads(json.dumps(summary)) == summary


def test_error_summary_length_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"10 predictions \(shape \(10,\)\) for 5 labels \(shape \(5,\)\)"):
        error_summary(np.zeros(10), np.zeros(5))


def test_error_summary_rejects_probabilities_passed_as_labels():
    # (n, 10) probabilities instead of (n,) labels: 10x too many "predictions"
    with pytest.raises(ValueError, match=r"shape \(3, 10\)"):
        error_summary(np.full((3, 10), 0.1), np.zeros(3))


def test_error_summary_empty():
    with pytest.raises(ValueError, match="no labels"):
        error_summary([], [])


def test_reference_formula_sanity():
    # guard the reference itself: 5/10 by inversion equals the published (0.2366, 0.7634)
    lo, hi = wilson_by_inversion(5, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.2366, 0.7634)
    assert math.isclose(Z95, 1.959963984540054, rel_tol=1e-12)


# --- expected calibration error: known answers that pick out the binning ---------------------

PROBA = [[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.3, 0.7]]
LABELS = [0, 1, 0, 1]  # answers 0, 0, 0, 1: right, wrong, right, right


def test_ece_known_answers():
    # 2 bins: all four in the upper bin: |3/4 - 0.775| = 2.5 %
    assert expected_calibration_error(PROBA, LABELS, bins=2) == pytest.approx(2.5)
    # 10 bins: {0.9, 0.9} half right, {0.6} right, {0.7} right: (2*0.4 + 0.4 + 0.3) / 4
    assert expected_calibration_error(PROBA, LABELS, bins=10) == pytest.approx(37.5)
    assert expected_calibration_error(PROBA, LABELS) == pytest.approx(37.5)  # default 15 bins
    assert expected_calibration_error(np.array(PROBA), np.array(LABELS).reshape(4, 1), bins=1) == pytest.approx(2.5)


def test_ece_confidence_one_goes_in_the_top_bin():
    assert expected_calibration_error([[1.0, 0.0]], [1], bins=5) == pytest.approx(100.0)
    assert expected_calibration_error([[0.0, 1.0], [1.0, 0.0]], [1, 0], bins=3) == pytest.approx(0.0)


def test_ece_bad_inputs():
    with pytest.raises(ValueError, match=r"^expected probabilities \(N, C\) and N labels, got shapes \(2,\) and \(2,\)$"):
        expected_calibration_error([0.5, 0.5], [0, 1])
    with pytest.raises(ValueError, match=r"^expected probabilities \(N, C\) and N labels, got shapes \(2, 2\) and \(3,\)$"):
        expected_calibration_error([[0.5, 0.5]] * 2, [0, 1, 1])
    with pytest.raises(ValueError, match=r"^expected probabilities \(N, C\) and N labels, got shapes \(0, 2\) and \(0,\)$"):
        expected_calibration_error(np.zeros((0, 2)), [])
    with pytest.raises(ValueError, match=r"^bins must be >= 1, got 0$"):
        expected_calibration_error(PROBA, LABELS, bins=0)
    with pytest.raises(TypeError, match=r"^bins must be an integer count, got 2\.0 \(float\)$"):
        expected_calibration_error(PROBA, LABELS, bins=2.0)


def test_ece_bin_edges_are_upper_inclusive():
    # bins=2: 0.5 is in (0, 0.5], 0.9 in (0.5, 1]: |1 - 0.5| and |0 - 0.9| -> 70 %;
    # a binning shifted by one puts both in one bin (|1/2 - 0.7| -> 20 %)
    proba, labels = [[0.5, 0.5], [0.9, 0.1]], [0, 1]
    assert expected_calibration_error(proba, labels, bins=2) == pytest.approx(70.0)
    # bins=10: 0.85 (right) and 0.95 (wrong) in two bins: (0.15 + 0.95) / 2
    assert expected_calibration_error([[0.85, 0.15], [0.95, 0.05]], [0, 1], bins=10) == pytest.approx(55.0)


def test_ece_rounding_above_one_and_zero_rows_stay_in_the_end_bins():
    # float softmax can exceed 1 by an ulp; it still counts, in the top bin
    assert expected_calibration_error([[1.0 + 1e-7, 0.0]], [1], bins=5) == pytest.approx(100.0, rel=1e-5)
    # an all-zero row (confidence 0) counts in the lowest bin: answered 0, right, confidence 0
    assert expected_calibration_error([[0.0, 0.0]], [0], bins=4) == pytest.approx(100.0)


def test_ece_computes_in_float64():
    rng = np.random.default_rng(0)
    p32 = rng.dirichlet(np.ones(10), size=2000).astype(np.float32)
    y = rng.integers(0, 10, 2000)
    assert expected_calibration_error(p32, y) == expected_calibration_error(p32.astype(np.float64), y)


def test_error_summary_exact_empty_message():
    with pytest.raises(ValueError, match=r"^error_summary: got no labels \(empty arrays\)$"):
        error_summary(np.zeros((0,)), np.zeros((0, 1)))


def test_error_summary_column_labels_against_flat_predictions():
    # (N, 1) labels against (N,) predictions must be compared element-wise, not broadcast to (N, N)
    s = error_summary(np.array([1, 2, 3, 4]), np.array([[1], [2], [0], [4]]))
    assert s["n"] == 4 and s["errors"] == 1 and s["error_pct"] == 25.0
    s = error_summary(np.array([[1], [2], [0], [4]]), np.array([1, 2, 3, 4]))
    assert s["errors"] == 1


def test_ece_default_is_15_bins():
    # 0.87 and 0.88 share a bin of 15 ((13/15, 14/15]) but not of 16: one right, one wrong
    proba, labels = [[0.87, 0.13], [0.88, 0.12]], [0, 1]
    assert expected_calibration_error(proba, labels) == pytest.approx(37.5)
    assert expected_calibration_error(proba, labels, bins=16) == pytest.approx(50.5)

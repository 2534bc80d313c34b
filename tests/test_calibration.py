"""Tests for handdigits.calibration (temperature scaling baked into the weights) and the ECE metric."""

from __future__ import annotations

import numpy as np
import pytest

from handdigits import calibration
from handdigits.metrics import expected_calibration_error


def _sampled(n: int, temperature: float, seed: int = 0):
    """Logits whose labels are drawn from softmax(logits / temperature): calibrated at that temperature."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 3, size=(n, 4))
    p = calibration.softmax(logits, temperature)
    labels = (p.cumsum(1) > rng.uniform(size=(n, 1))).argmax(1)
    return logits, labels


@pytest.mark.parametrize("true_t", [0.7, 1.0, 2.0])
def test_fit_temperature_recovers_the_generating_temperature(true_t):
    logits, labels = _sampled(20_000, true_t)
    assert calibration.fit_temperature(logits, labels) == pytest.approx(true_t, rel=0.08)


def test_fit_temperature_of_an_ensemble_uses_the_average():
    # two identical members == one member; a member and its negation average to uniform-ish scores
    logits, labels = _sampled(5000, 1.5, seed=1)
    one = calibration.fit_temperature(logits, labels)
    assert calibration.fit_temperature(np.stack([logits, logits]), labels) == pytest.approx(one)


def test_fit_temperature_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="members, N, C"):
        calibration.fit_temperature(np.zeros((2, 5, 3)), np.zeros(4, int))


def test_softmax_known_answer():
    p = calibration.softmax(np.array([[0.0, np.log(3.0)]]))
    np.testing.assert_allclose(p, [[0.25, 0.75]])
    np.testing.assert_allclose(calibration.softmax(np.array([[0.0, np.log(3.0)]]), 2.0), [[1 / (1 + 3**0.5), 3**0.5 / (1 + 3**0.5)]])


def test_ece_known_answers():
    # all answers at confidence 0.8, 80 % right: perfectly calibrated
    proba = np.tile([[0.8, 0.2]], (10, 1))
    labels = np.array([0] * 8 + [1] * 2)
    assert expected_calibration_error(proba, labels) == pytest.approx(0.0)
    # all at 0.9 but only half right: |0.5 - 0.9| = 40 %
    proba = np.tile([[0.9, 0.1]], (10, 1))
    assert expected_calibration_error(proba, np.array([0, 1] * 5)) == pytest.approx(40.0)
    # two bins weighted by their share: 6 answers at 0.95 all right (gap 5), 4 at 0.55 all right (gap 45)
    proba = np.array([[0.95, 0.05]] * 6 + [[0.55, 0.45]] * 4)
    assert expected_calibration_error(proba, np.zeros(10, int)) == pytest.approx(100 * (0.6 * 0.05 + 0.4 * 0.45))


def test_ece_rejects_bad_input():
    with pytest.raises(ValueError, match="N labels"):
        expected_calibration_error(np.ones((3, 2)) / 2, np.zeros(2, int))
    with pytest.raises(ValueError, match="bins"):
        expected_calibration_error(np.ones((3, 2)) / 2, np.zeros(3, int), bins=0)


def test_temperature_is_baked_into_a_keras_model():
    from handdigits import models

    net = models.ensemble([models.build("seed", seed=s) for s in (0, 1)])
    x = np.random.default_rng(0).uniform(0, 255, (6, 28, 28)).astype(np.float32)
    logits = calibration.member_logits(net, x)
    assert logits.shape == (2, 6, 10)
    np.testing.assert_allclose(calibration.ensemble_proba(logits), net.predict(x[..., None], verbose=0), atol=1e-5)
    calibration.apply_temperature(net, 2.0)
    np.testing.assert_allclose(calibration.ensemble_proba(logits, 2.0), net.predict(x[..., None], verbose=0), atol=1e-5)
    with pytest.raises(ValueError, match="temperature"):
        calibration.apply_temperature(net, 0.0)

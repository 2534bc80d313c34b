"""The reject option and the "not a digit" output of Classifier (11-class models)."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from handdigits import Classifier, models


@pytest.fixture(scope="module")
def eleven():
    net = models.build("seed", seed=3, classes=11)
    # make "not a digit" likely for bright images: a large weight on... simply use the random net
    return net


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).integers(0, 256, (12, 28, 28), dtype=np.uint8)


def test_digit_probabilities_stay_ten_and_the_none_score_is_separate(eleven, images):
    clf = Classifier(eleven, preprocess=False)
    raw = np.asarray(eleven.predict(images[..., None].astype(np.float32), verbose=0))
    proba = clf.predict_proba(images)
    assert proba.shape == (12, 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(proba, raw[:, :10] / raw[:, :10].sum(1, keepdims=True), atol=1e-5)
    np.testing.assert_allclose(clf.not_digit_proba(images), raw[:, 10], atol=1e-5)
    np.testing.assert_allclose(clf.confidence(images), raw[:, :10].max(axis=1), atol=1e-5)
    assert isinstance(clf.not_digit_proba(images[0]), float)
    assert clf.top_k(images[0], k=10)[0][0] == int(raw[0, :10].argmax())


def test_min_confidence_rejects_exactly_below_the_threshold(eleven, images):
    conf = Classifier(eleven, preprocess=False).confidence(images)
    t = float(np.median(conf))
    labels = Classifier(eleven, preprocess=False, min_confidence=t).predict(images)
    assert ((labels == -1) == (conf < t)).all()
    assert (Classifier(eleven, preprocess=False, min_confidence=0.0).predict(images) >= 0).all()
    assert (Classifier(eleven, preprocess=False, min_confidence=1.0).predict(images) == -1).all()


@pytest.mark.parametrize("bad", [-0.1, 1.5, "sometimes", float("nan")])
def test_bad_thresholds_are_rejected(eleven, bad):
    with pytest.raises((ValueError, TypeError), match="min_confidence"):
        Classifier(eleven, min_confidence=bad)


def test_auto_threshold_comes_from_the_metadata(eleven, images, tmp_path):
    path = tmp_path / "model.keras"
    eleven.save(path)
    meta = {"format": "handdigits-model/1", "file": "model.keras", "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "architecture": {"name": "seed", "classes": 11}}
    (tmp_path / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="none: pass a number"):
        Classifier.load(path, min_confidence="auto")
    meta["reject"] = {"min_confidence": 0.42}
    (tmp_path / "metadata.json").write_text(json.dumps(meta))
    clf = Classifier(path, preprocess=False, min_confidence="auto")
    assert clf.min_confidence == 0.42 and clf.max_not_digit is None
    nd = Classifier(path, preprocess=False).not_digit_proba(images)
    limit = float(np.median(nd))
    meta["reject"] = {"min_confidence": 0.0, "max_not_digit": limit}
    (tmp_path / "metadata.json").write_text(json.dumps(meta))
    clf = Classifier(path, preprocess=False, min_confidence="auto")
    assert clf.max_not_digit == limit
    np.testing.assert_array_equal(clf.predict(images) == -1, nd > limit)
    assert Classifier(path, preprocess=False, min_confidence=0.0).max_not_digit is None  # a number sets no "none" limit


def test_answer_gives_everything_from_one_forward_pass(eleven, images, monkeypatch):
    clf = Classifier(eleven, preprocess=False, min_confidence=0.3)
    calls = []
    forward = clf._forward
    monkeypatch.setattr(clf, "_forward", lambda batch: calls.append(len(batch)) or forward(batch))
    a = clf.answer(images)
    assert calls == [len(images)]
    np.testing.assert_array_equal(a.labels, clf.predict(images))
    np.testing.assert_allclose(a.proba, clf.predict_proba(images), atol=1e-6)
    np.testing.assert_allclose(a.confidence, clf.confidence(images))
    np.testing.assert_allclose(a.not_digit, clf.not_digit_proba(images))
    one = clf.answer(images[0])
    assert one.labels.shape == (1,) and one.proba.shape == (1, 10)


def test_reject_record_is_the_decision_rule_on_mnist_validation_digits():
    from handdigits import decision
    from handdigits.train import REJECT_COVERAGE, reject_record

    rng = np.random.default_rng(0)
    n = 1000
    proba = rng.dirichlet(np.ones(11) * 0.3, size=n)
    yv = rng.integers(0, 11, n)
    source = np.array(["mnist"] * 600 + ["synthetic"] * 300 + ["nondigits"] * 100)
    yv[900:] = 10
    record = reject_record(proba, yv, source)
    pool = (source == "mnist") & (yv != 10)
    rule = decision.reject_rule(proba[pool], coverage=REJECT_COVERAGE)
    assert record["min_confidence"] == pytest.approx(rule["min_confidence"], abs=1e-6)
    assert record["max_not_digit"] == pytest.approx(rule["max_not_digit"], abs=1e-6)
    answered = decision.decide(proba, record["min_confidence"], record["max_not_digit"]) >= 0
    assert record["answered_pct_by_source"]["mnist"] == pytest.approx(100 * answered[pool].mean(), abs=1e-3)
    assert record["answered_pct_by_source"]["mnist"] >= 99.5 - 1e-6
    assert record["nondigits_rejected_pct"] == pytest.approx(100 * (~answered[yv == 10]).mean(), abs=1e-3)
    assert "nondigits" not in record["answered_pct_by_source"]

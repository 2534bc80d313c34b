"""handdigits.evaluation: the one evaluator (refusals, 11-class models, ECE) and the ECE metric."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handdigits.evaluation import REFUSED, as_classifier, evaluate, predict
from handdigits.metrics import expected_calibration_error


class FakeClassifier:
    """Answers the value of pixel (0, 0) mod ``classes`` with probability ``confidence``; with
    preprocessing, an all-zero image is refused (row of NaN), as Classifier(errors="mark") does."""

    def __init__(self, classes=10, confidence=0.9):
        self.classes, self.confidence, self.calls = classes, confidence, []

    def predict_proba(self, x, *, preprocess=True, errors="raise"):
        self.calls.append((len(x), preprocess, errors))
        out = np.full((len(x), self.classes), (1 - self.confidence) / (self.classes - 1), np.float32)
        for i, image in enumerate(x):
            image = np.asarray(image)
            if preprocess and not image.any():
                assert errors == "mark"
                out[i] = np.nan
            else:
                out[i, int(image.flat[0]) % self.classes] = self.confidence
        return out


def images_answering(answers, blank=()):
    x = np.zeros((len(answers), 28, 28), np.uint8)
    x[:, 0, 0] = answers
    x[:, 5, 5] = 255
    x[list(blank)] = 0
    return x


def test_counts_errors_and_batches():
    fake = FakeClassifier()
    answers = np.array([1, 2, 3, 4, 5, 6, 7])
    labels = np.array([1, 2, 3, 4, 5, 6, 0])
    row = evaluate(fake, images_answering(answers), labels, batch_size=3)
    assert (row["n"], row["errors"], row["refused"]) == (7, 1, 0)
    assert math.isclose(row["error_pct"], 100 / 7)
    assert [c[0] for c in fake.calls] == [3, 3, 1] and all(c[1:] == (False, "raise") or c[1] is False for c in fake.calls)
    # confidence 0.9 everywhere, 6 of 7 right: ECE = |6/7 - 0.9|
    assert row["ece_pct"] == pytest.approx(100 * abs(6 / 7 - 0.9))


def test_refusals_are_errors_on_digits_and_right_on_no_digit():
    fake = FakeClassifier()
    x = images_answering([3, 3, 3, 3], blank=(1, 3))
    labels = np.array([3, 3, -1, -1])  # image 2 shows a digit where none should be: an error
    pred, proba = predict(fake, x, preprocess=True)
    assert pred.tolist() == [3, REFUSED, 3, REFUSED] and np.isnan(proba[[1, 3]]).all()
    row = evaluate(fake, x, labels, preprocess=True)
    assert (row["errors"], row["refused"], row["refused_pct"]) == (2, 2, 50.0)
    assert all(c[1:] == (True, "mark") for c in fake.calls)
    # ECE over the answered digit images only (image 0): confidence 0.9, right
    assert row["ece_pct"] == pytest.approx(10.0)


def test_eleventh_class_is_a_refusal():
    fake = FakeClassifier(classes=11)
    pred, _ = predict(fake, images_answering([10, 4]))
    assert pred.tolist() == [REFUSED, 4]


def test_only_refusal_sets_have_no_ece():
    fake = FakeClassifier()
    row = evaluate(fake, images_answering([0, 0], blank=(0, 1)), [-1, -1], preprocess=True)
    assert row["errors"] == 0 and row["ece_pct"] is None and row["refused"] == 2


def test_as_classifier_rejects_other_objects():
    with pytest.raises(TypeError, match="model 'm': expected a handdigits Classifier"):
        as_classifier(42, "m")
    with pytest.raises(FileNotFoundError, match="no such file"):
        as_classifier("missing/model.keras", "m")


def test_list_of_raw_images_is_chunked():
    fake = FakeClassifier()
    images = [np.full((h, h), 7, np.uint8) for h in (30, 40, 50, 60, 70)]
    pred, _ = predict(fake, images, preprocess=True, batch_size=2)
    assert pred.tolist() == [7] * 5 and [c[0] for c in fake.calls] == [2, 2, 1]


# ----------------------------------------------------------------- ECE


def ece_reference(proba, labels, bins=15):
    """Guo et al. (2017), written out: bins (m-1)/M < conf <= m/M."""
    conf, pred = proba.max(1), proba.argmax(1)
    total = 0.0
    for m in range(1, bins + 1):
        sel = (conf > (m - 1) / bins) & (conf <= m / bins)
        if sel.any():
            total += sel.sum() / len(labels) * abs((pred[sel] == labels[sel]).mean() - conf[sel].mean())
    return 100 * total


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 60), st.integers(2, 11), st.integers(1, 20), st.integers(0, 2**32 - 1))
def test_ece_matches_reference(n, classes, bins, seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, classes)) * rng.uniform(0.1, 5)
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = rng.integers(0, classes, n)
    got = expected_calibration_error(proba, labels, bins=bins)
    assert got == pytest.approx(ece_reference(proba, labels, bins), abs=1e-9)
    assert 0.0 <= got <= 100.0


def test_ece_confidence_on_a_bin_edge_goes_to_the_lower_bin():
    # 0.6 lies on the edge of bins 8 and 9 (of 15): (0.5333, 0.6] holds it
    proba = np.array([[0.6, 0.4], [0.62, 0.38]])
    labels = np.array([0, 1])
    # separate bins: |1 - 0.6| / 2 + |0 - 0.62| / 2
    assert expected_calibration_error(proba, labels, bins=15) == pytest.approx(100 * (0.4 / 2 + 0.62 / 2))


# ----------------------------------------------------------------- one evaluator for train and benchmark


def test_training_and_benchmark_report_the_same_numbers(tmp_path):
    """train.evaluate_model's mnist_test / mnist_test_augmented / emnist_test are the benchmark's
    mnist / augmented (MNIST part) / emnist rows: same images, same evaluator."""
    import keras

    from handdigits.benchmark import benchmark
    from handdigits.datasets import write_idx
    from handdigits.train import evaluate_model

    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, (40, 28, 28)).astype(np.uint8)
    y = rng.integers(0, 10, 40).astype(np.uint8)
    (tmp_path / "mnist").mkdir()
    (tmp_path / "emnist-partial").mkdir()
    write_idx(tmp_path / "mnist" / "t10k-images-idx3-ubyte", x[:30])
    write_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte", y[:30])
    write_idx(tmp_path / "emnist-partial" / "emnist-digits-test-0-9-images-idx3-ubyte", x[30:].transpose(0, 2, 1))
    write_idx(tmp_path / "emnist-partial" / "emnist-digits-test-0-9-labels-idx1-ubyte", y[30:])
    inputs = keras.Input((28, 28, 1))
    out = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(inputs / 255.0))
    net = keras.Model(inputs, out)
    tests = evaluate_model(net, tmp_path, False, seed=4, verify=False)
    r = benchmark({"net": net}, datasets=("mnist", "emnist", "augmented"), data_dir=tmp_path, seed=4,
                  download=False, verify=False)
    rows = r.results["net"]
    assert {**tests["mnist_test"], "status": "ok", "note": None} == rows["mnist"]
    assert tests["mnist_test_augmented"] == rows["augmented"]["by_source"]["mnist"]
    assert tests["emnist_test"] == {"dataset": "emnist-partial", "of": 40_000, **{k: v for k, v in rows["emnist"].items()
                                                                                 if k not in ("status", "note")}}
    assert tests["mnist_test"]["n"] == 30 and tests["emnist_test"]["n"] == 10


class Rejecting(FakeClassifier):
    """Like FakeClassifier, with a reject threshold: predict() says -1 for pixel values >= 5."""

    min_confidence = 0.5

    def predict(self, x, *, preprocess=True, errors="raise"):
        return np.array([REFUSED if np.asarray(img).flat[0] >= 5 else int(np.asarray(img).flat[0]) for img in x])


def test_a_reject_threshold_is_the_classifiers_decision():
    pred, proba = predict(Rejecting(), images_answering([1, 7, 3]))
    assert pred.tolist() == [1, REFUSED, 3] and not np.isnan(proba).any()
    row = evaluate(Rejecting(), images_answering([1, 7, 3]), [1, 7, 3])
    assert (row["errors"], row["refused"]) == (1, 1)


class Answering(Rejecting):
    """Like Rejecting, with Classifier.answer: labels and probabilities from one pass (counted)."""

    def __init__(self):
        super().__init__()
        self.passes = 0

    def answer(self, x, *, preprocess=True, errors="raise"):
        from handdigits.decision import Answers

        self.passes += 1
        proba = FakeClassifier.predict_proba(self, x, preprocess=preprocess, errors=errors)
        n = len(proba)
        return Answers(Rejecting.predict(self, x), proba, np.ones(n), np.zeros(n))

    def predict_proba(self, x, **kwargs):
        raise AssertionError("a classifier with answer() is asked once, through answer()")

    predict = predict_proba


def test_a_classifier_with_answer_is_asked_once_per_chunk():
    clf = Answering()
    pred, proba = predict(clf, images_answering([1, 7, 3, 2, 9]), batch_size=2)
    assert pred.tolist() == [1, REFUSED, 3, 2, REFUSED] and proba.shape == (5, 10) and clf.passes == 3
    row = evaluate(Answering(), images_answering([1, 7, 3]), [1, 7, 3])
    assert (row["errors"], row["refused"]) == (1, 1)

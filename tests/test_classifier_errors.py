"""Classifier.predict / predict_proba / top_k with errors="mark": batches keep going past unreadable images."""

from __future__ import annotations

import numpy as np
import pytest

from handdigits import Classifier
from handdigits.preprocess import BlankImageError
from handdigits.samples import list_samples, true_digit


@pytest.fixture(scope="module")
def clf():
    from handdigits import Classifier

    return Classifier()


@pytest.fixture(scope="module")
def mixed():
    samples = list_samples()[:3]
    blank = np.full((60, 80), 240, np.uint8)
    return [samples[0], blank, b"not an image", samples[1], samples[2]], [true_digit(p) for p in samples]


def test_predict_marks_failures_and_answers_the_rest(clf, mixed):
    images, truth = mixed
    pred = clf.predict(images, errors="mark")
    assert pred.dtype == np.int64 and pred.tolist() == [truth[0], -1, -1, truth[1], truth[2]]


def test_predict_proba_gives_nan_rows_for_failures(clf, mixed):
    images, truth = mixed
    proba = clf.predict_proba(images, errors="mark")
    assert proba.shape == (5, 10)
    assert np.isnan(proba[[1, 2]]).all()
    ok = proba[[0, 3, 4]]
    assert np.allclose(ok.sum(axis=1), 1, atol=1e-5) and ok.argmax(axis=1).tolist() == truth
    # the answered rows equal those of a strict call on the good images alone
    strict = clf.predict_proba([images[0], images[3], images[4]])
    assert np.allclose(ok, strict, atol=1e-6)


def test_top_k_gives_empty_lists_for_failures(clf, mixed):
    images, truth = mixed
    top = clf.top_k(images, k=2, errors="mark")
    assert top[1] == [] and top[2] == []
    assert [t[0][0] for t in (top[0], top[3], top[4])] == truth and all(len(t) == 2 for t in (top[0], top[3]))


def test_single_image_mark_and_strict(clf):
    blank = np.zeros((40, 40), np.uint8)
    assert clf.predict(blank, errors="mark") == -1
    assert np.isnan(clf.predict_proba(blank, errors="mark")).all()
    assert clf.top_k(blank, errors="mark") == []
    with pytest.raises(BlankImageError, match="^no ink found"):
        clf.predict(blank)


def test_strict_batch_names_the_failing_image(clf, mixed):
    images, _ = mixed
    with pytest.raises(ValueError, match=r"image\[2\]: cannot decode"):
        clf.predict(images)
    with pytest.raises(BlankImageError, match="image 1 of 2"):
        clf.predict([images[0], images[1]])


def test_errors_option_is_checked(clf):
    with pytest.raises(ValueError, match="errors must be one of 'raise', 'mark'"):
        clf.predict(list_samples()[0], errors="skip")


def test_all_failed_batch(clf):
    pred = clf.predict(np.zeros((3, 30, 30), np.uint8), errors="mark")
    assert pred.tolist() == [-1, -1, -1]


def test_numpy_matrix_and_list_splits_get_clear_answers(tmp_path):
    from handdigits.datasets import load_emnist, load_mnist

    image = np.zeros((28, 28), np.uint8)
    image[6:22, 13:15] = 255
    clf = Classifier()
    assert clf.predict(np.matrix(image)) == clf.predict(image)  # read as the plain array it holds
    for load in (load_mnist, load_emnist):
        with pytest.raises(ValueError, match=r"unknown split \['train'\]; expected one of"):
            load(["train"], data_dir=tmp_path)

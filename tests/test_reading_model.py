"""Which model ``Classifier.read`` classifies candidate digits with: ``reading_model`` and ``Classifier.reader``."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from handdigits import Classifier
from handdigits.reading import read as read_with
from handdigits.weights import BUNDLES, bundled, verified_model_file

from test_reading import _compose  # tests/ is on sys.path (pytest rootdir-less "prepend" import mode)


@pytest.fixture(scope="module")
def clf():
    return Classifier()


@pytest.fixture(scope="module")
def number():
    """"3807" written with the bundled sample photos' digits (no dataset needed)."""
    from handdigits.preprocess import to_mnist
    from handdigits.samples import list_samples, true_digit

    glyphs = {true_digit(p): to_mnist(p) for p in list_samples()}
    return _compose(glyphs, "3807")[0]


def test_the_bundled_reading_model_is_its_own_verified_bundle(clf):
    _, meta = verified_model_file(bundled("reading"))  # its SHA-256 checks out
    assert clf._reader is None  # not loaded until the first read
    reader = clf.reader
    assert reader.metadata["sha256"] == meta["sha256"] != clf.metadata["sha256"]
    assert reader.reader is reader and clf.reader is reader  # loaded once
    assert reader.backend == clf.backend and reader.quantized == clf.quantized


def test_read_uses_the_reader_and_its_answers_differ_from_the_digit_model(clf, number):
    reading = clf.read(number)
    same = read_with(clf.reader, number)
    assert reading.text == same.text == "3807"
    np.testing.assert_array_equal([d.probabilities for d in reading.digits], [d.probabilities for d in same.digits])
    digit_model = read_with(Classifier(reading_model="same"), number)
    assert not np.allclose([d.probabilities for d in reading.digits], [d.probabilities for d in digit_model.digits])


def test_other_models_read_with_themselves_unless_told(tmp_path):
    path = bundled() / "model.keras"
    own = Classifier(path)
    assert own.reader is own
    assert Classifier(reading_model="same").reader.metadata["sha256"] == own.metadata["sha256"]
    other = Classifier(path, reading_model=bundled("reading") / "model.keras", threads=1)
    assert other.reader is not other and other.reader.threads == 1
    assert other.reader.metadata["sha256"] == Classifier().reader.metadata["sha256"]


def test_pickling_keeps_the_reading_model(clf):
    clf.reader  # noqa: B018  (loaded before pickling)
    back = pickle.loads(pickle.dumps(clf))
    assert back.reader is not back
    assert back.reader.metadata["sha256"] == clf.reader.metadata["sha256"] != back.metadata["sha256"]
    fresh = pickle.loads(pickle.dumps(Classifier()))
    assert fresh._reader is None and fresh.reader.metadata["sha256"] == clf.reader.metadata["sha256"]


@pytest.mark.parametrize("bad", [3, "", object()])
def test_bad_reading_model(bad):
    error = FileNotFoundError if bad == "" else TypeError
    with pytest.raises((error, ValueError), match="reading_model|not found|model file|.keras"):
        Classifier(reading_model=bad)


def test_unknown_bundle_is_refused():
    assert set(BUNDLES) == {"digits", "reading"}
    with pytest.raises(ValueError, match="one of"):
        bundled("letters")

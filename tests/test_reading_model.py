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
def glyphs():
    """One MNIST-format digit per class, from the bundled sample photos (no dataset needed)."""
    from handdigits.preprocess import to_mnist
    from handdigits.samples import list_samples, true_digit

    return {true_digit(p): to_mnist(p) for p in list_samples()}


@pytest.fixture(scope="module")
def number(glyphs):
    """"3807" written with the bundled sample photos' digits."""
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
    assert set(BUNDLES) == {"digits", "reading", "pairs"}
    with pytest.raises(ValueError, match="one of"):
        bundled("letters")


def test_the_bundled_pair_model_is_its_own_verified_bundle():
    from handdigits.weights import verified_model_file

    clf = Classifier()
    pairs = clf.pair_reader
    _, meta = verified_model_file(bundled("pairs"))
    assert pairs.kind == "pairs" and pairs.metadata["sha256"] == meta["sha256"]
    assert meta["architecture"]["classes"] == 101 and meta["data"]["generator"].endswith("touching_pairs")
    assert clf.pair_reader is pairs  # opened once
    out = pairs.forward(np.zeros((2, 28, 48, 1), np.float32))
    assert out.shape == (2, 101) and np.allclose(out.sum(1), 1.0, atol=1e-4)


@pytest.mark.parametrize("offset", [-20, -28])
def test_overlapping_digits_are_read_as_pairs(glyphs, offset):
    """Digits drawn 20-28 px into their 80-px neighbour: cuts leave strokes on the wrong side; pairs read them."""
    texts = ("67", "40", "25", "93", "58", "04", "36")
    with_pairs, single = Classifier(), Classifier(pair_model=False)
    images = [_compose(glyphs, t, offsets=[offset])[0] for t in texts]
    read = [r.text for r in with_pairs.read_batch(images)]
    alone = [r.text for r in single.read_batch(images)]
    right = sum(r == t for r, t in zip(read, texts))
    assert right >= len(texts) - 1, list(zip(texts, read))
    assert right > sum(r == t for r, t in zip(alone, texts))
    reading = with_pairs.read(images[4])  # "58": single digits read it wrong at both offsets
    assert reading.text == "58"
    (x0, _, x1, _), (y0, _, y1, _) = (d.box for d in reading.digits)
    assert x0 < x1 == y0 < y1  # the pair's box halved, left to right


def test_pair_candidates_are_cropped_only_for_a_pair_model(glyphs):
    from handdigits.reading import _segment

    image = _compose(glyphs, "58", offsets=[-20])[0]
    with_pairs, without = _segment(image), _segment(image, with_pairs=False)
    assert with_pairs.pair_runs and len(with_pairs.pair_crops) == len(with_pairs.pair_runs)
    assert without.pair_runs == [] and without.pair_crops == []
    assert [r.box for r in without.runs] == [r.box for r in with_pairs.runs]  # the same digit candidates

"""Scale-out inference: a pickled Classifier in worker processes, streamed inputs in bounded memory."""

from __future__ import annotations

import multiprocessing
import pickle
import tracemalloc
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from handdigits import Classifier
from handdigits.inputs import CHUNK, chunks, is_stream
from handdigits.samples import list_samples


@pytest.fixture(scope="module")
def clf():
    return Classifier()


@pytest.fixture(scope="module")
def digits():
    from handdigits.preprocess import to_mnist

    return np.stack([to_mnist(p) for p in list_samples()[:8]])


def tiny_model(seed: int = 0):
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Flatten()(keras.layers.Rescaling(1 / 255)(inputs))
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))


# ----------------------------------------------------------------------------- pickling


def test_bundled_classifier_pickles_by_reference_and_answers_the_same(clf, digits):
    data = pickle.dumps(clf)
    assert len(data) < 5_000  # the path and SHA-256, not the 4 MB model
    copy = pickle.loads(data)
    assert copy.backend == clf.backend == "litert"
    np.testing.assert_allclose(copy.predict_proba(digits, preprocess=False), clf.predict_proba(digits, preprocess=False),
                               atol=1e-6)
    assert copy.metadata == clf.metadata


def test_a_process_pool_of_two_workers_matches_the_parent(clf, digits):
    parts = [digits[:4], digits[4:]]
    expected = [clf.predict_proba(p, preprocess=False) for p in parts]
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        got = list(pool.map(_proba_and_pid, [clf, clf], parts))
    for (proba, _), want in zip(got, expected):
        np.testing.assert_allclose(proba, want, atol=1e-6)
    assert all(pid != multiprocessing.current_process().pid for _, pid in got)


def _proba_and_pid(classifier, images):
    import os

    return classifier.predict_proba(images, preprocess=False), os.getpid()


def test_a_model_file_pickles_by_path_and_refuses_a_changed_file(tmp_path, digits):
    path = tmp_path / "m.keras"
    tiny_model(0).save(path)
    clf = Classifier.load(path, fast_path=False, preprocess=False)
    data = pickle.dumps(clf)
    assert len(data) < 5_000 and str(path).encode() in data
    np.testing.assert_allclose(pickle.loads(data).predict_proba(digits), clf.predict_proba(digits), atol=1e-6)
    tiny_model(1).save(path)  # another model at the same path
    with pytest.raises(ValueError, match=r"has SHA-256 [0-9a-f]{64}, not [0-9a-f]{64} as when the classifier was pickled"):
        pickle.loads(data)


def test_a_live_keras_model_pickles_by_bytes_with_its_current_weights(digits):
    net = tiny_model(0)
    clf = Classifier(net, preprocess=False)
    before = clf.predict_proba(digits)
    net.set_weights([w * 0.5 for w in net.get_weights()])  # changed after the classifier was built
    after = clf.predict_proba(digits)
    assert not np.allclose(before, after, atol=1e-3)
    data = pickle.dumps(clf)
    assert len(data) > 30_000  # the .keras file's bytes (7,850 float32 weights)
    copy = pickle.loads(data)
    np.testing.assert_allclose(copy.predict_proba(digits), after, atol=1e-6)
    assert copy.backend == "tensorflow" and copy.min_confidence is None


def test_min_confidence_and_preprocess_travel_with_the_pickle(clf):
    strict = pickle.loads(pickle.dumps(Classifier(preprocess=False, min_confidence=0.9)))
    assert strict.min_confidence == 0.9 and strict._preprocess is False


# ----------------------------------------------------------------------------- streaming


def test_streams_are_told_apart_from_images_and_batches(digits):
    assert is_stream(iter([digits[0]])) and is_stream(d for d in digits) and is_stream(map(np.asarray, digits))
    for not_a_stream in (digits, list(digits), tuple(digits), digits[0], "a.png", b"..", {1: 2}, {1}, 3):
        assert not is_stream(not_a_stream)


def test_large_inputs_are_cut_into_chunks_of_at_most_chunk_images():
    x = np.zeros((2 * CHUNK + 5, 28, 28), np.uint8)
    parts, total = chunks(x)
    assert total == len(x) and [len(p) for p in parts] == [CHUNK, CHUNK, 5]
    parts, total = chunks(list(x[: CHUNK + 1]))
    assert total == CHUNK + 1 and [len(p) for p in parts] == [CHUNK, 1]
    parts, total = chunks(iter(x[:10]), size=4)
    assert total is None and [len(p) for p in parts] == [4, 4, 2]
    batch = x[:CHUNK]
    parts, total = chunks(batch)
    assert total == CHUNK and [p is batch for p in parts] == [True]  # one part: the batch itself
    one = x[0]
    parts, total = chunks(one)
    assert total is None and [p is one for p in parts] == [True]


def test_a_generator_gives_the_answers_of_the_same_images_as_one_array(clf, digits):
    x = np.concatenate([digits] * 3)  # 24 images
    expected = clf.predict(x, preprocess=False)
    assert (clf.predict((d for d in x), preprocess=False) == expected).all()
    np.testing.assert_allclose(clf.predict_proba(iter(list(x)), preprocess=False),
                               clf.predict_proba(x, preprocess=False), atol=1e-6)
    assert clf.predict(d for d in digits[:1]).shape == (1,)  # a stream is never "one image"


def test_a_generator_of_20000_images_runs_in_bounded_memory(digits, monkeypatch):
    clf = Classifier(tiny_model(0), preprocess=False)
    sizes = []
    forward = clf._forward
    monkeypatch.setattr(clf, "_forward", lambda batch: sizes.append(len(batch)) or forward(batch))
    n = 20_000
    full_float_copy = n * 28 * 28 * 4  # 62.7 MB
    expected = np.resize(clf.predict(digits), n)  # also warms up (tracing)
    sizes.clear()
    tracemalloc.start()
    try:
        labels = clf.predict(digits[i % len(digits)] for i in range(n))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert labels.shape == (n,) and (labels == expected).all()
    assert sum(sizes) == n and max(sizes) == CHUNK and len(sizes) == -(-n // CHUNK)
    # one chunk's float copy is 3.2 MB; stacking every image would take 15.7 MB (uint8) + 62.7 MB (float32)
    assert peak < full_float_copy / 4, f"peak {peak / 1e6:.1f} MB"


def test_errors_in_later_chunks_name_where_they_are(clf, digits, monkeypatch):
    import handdigits.inputs

    monkeypatch.setattr(handdigits.inputs, "CHUNK", 4)
    monkeypatch.setattr(handdigits.inputs.chunks, "__defaults__", (4,))
    images = [*digits[:6], np.zeros((28, 28), np.uint8), digits[0]]  # image 6 is blank
    with pytest.raises(ValueError, match=r"^in images 4\.\.7: image 2 of 4: no ink found"):
        clf.predict(iter(images))
    marked = clf.predict(iter(images), errors="mark")
    assert marked.tolist()[6] == -1 and (marked[[0, 1, 2, 3, 4, 5, 7]] >= 0).all()


def test_an_empty_stream_is_an_error(clf):
    with pytest.raises(ValueError, match="got an empty iterable"):
        clf.predict(iter([]))


def test_progress_bar_counts_every_image(clf, digits, capsys):
    clf.predict((d for d in np.concatenate([digits] * 2)), preprocess=False, progress=True)
    assert "handdigits: 16img [" in capsys.readouterr().err  # a generator: count only
    clf.predict_proba(list(digits[:5]), preprocess=False, progress=True)
    assert "| 5/5 [" in capsys.readouterr().err  # known length: a bar
    clf.predict(digits, preprocess=False)
    assert capsys.readouterr().err == ""  # off by default
    with pytest.raises(TypeError, match="progress must be True or False"):
        clf.predict(digits, progress="yes")


def test_input_warnings_point_at_the_callers_line(clf, digits):
    import inspect

    inverted = 255 - digits[:4]
    with pytest.warns(UserWarning, match="light border") as record:
        here = inspect.currentframe().f_lineno + 1
        clf.predict(inverted, preprocess=False)
    assert record[0].filename == __file__ and record[0].lineno == here

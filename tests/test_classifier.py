"""handdigits.Classifier: loading (bundled, verified), predict/predict_proba/top_k on every input kind,
thread safety, accuracy of the bundled model, and export.

Tests marked "needs the real bundled model" assume the trained model (MNIST error <= 0.5 %)
is in src/handdigits/weights/; a quick development model fails them.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.extra import numpy as hnp
from PIL import Image

from handdigits import Classifier
from handdigits.samples import list_samples, true_digit
from handdigits.weights import bundled, verified_model_file

ACCEPTED_ERRORS = (ValueError, TypeError, FileNotFoundError)


@pytest.fixture(scope="module")
def clf():
    """The float32 model: the Keras model's exact answers (the quantized default: test_quantized.py)."""
    return Classifier(quantized=False)


@pytest.fixture(scope="module")
def digits(clf):
    """Eight MNIST-format digits made from the bundled samples (uint8 (8, 28, 28))."""
    from handdigits.preprocess import to_mnist

    return np.stack([to_mnist(p) for p in list_samples()[:8]])


def tiny_model(input_shape=(28, 28, 1), activation="softmax"):
    import keras

    inputs = keras.Input(input_shape)
    x = keras.layers.Flatten()(inputs)
    outputs = keras.layers.Dense(10, activation=activation)(keras.layers.Rescaling(1 / 255)(x))
    return keras.Model(inputs, outputs)


# ----------------------------------------------------------------------------- loading


def test_bundled_model_is_verified_and_has_metadata(clf):
    meta = clf.metadata
    assert isinstance(meta, dict)
    model_bytes = (bundled() / meta["file"]).read_bytes()
    assert hashlib.sha256(model_bytes).hexdigest() == meta["sha256"]
    # ten digits and "not a digit"; the metadata says so and records the reject threshold
    assert clf.model.input_shape == (None, 28, 28, 1) and clf.model.output_shape == (None, 11)
    assert meta["architecture"]["classes"] == 11 and 0 < meta["reject"]["min_confidence"] < 1


def copy_weights(tmp_path):
    d = tmp_path / "weights"
    d.mkdir()
    for name in ("model.keras", "metadata.json"):
        shutil.copyfile(bundled() / name, d / name)
    return d


def test_corrupt_or_replaced_model_file_fails_the_sha256_check(tmp_path):
    d = copy_weights(tmp_path)
    data = bytearray((d / "model.keras").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (d / "model.keras").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="SHA-256"):
        verified_model_file(d)
    with pytest.raises(ValueError, match="SHA-256"):
        Classifier.load(d / "model.keras")  # metadata.json next to it names it: checked too


def test_missing_model_file_or_metadata(tmp_path):
    d = copy_weights(tmp_path)
    (d / "model.keras").unlink()
    with pytest.raises(FileNotFoundError, match="model file not found"):
        verified_model_file(d)
    (d / "metadata.json").unlink()
    with pytest.raises(FileNotFoundError, match="metadata"):
        verified_model_file(d)
    with pytest.raises(FileNotFoundError, match="not found"):
        Classifier.load(d / "model.keras")


def test_load_rejects_non_keras_and_garbage_files(tmp_path):
    h5 = tmp_path / "model.h5"
    h5.write_bytes(b"x")
    with pytest.raises(ValueError, match=r"\.keras"):
        Classifier.load(h5)
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="cannot load"):
        Classifier.load(junk)
    with pytest.raises(TypeError, match="path"):
        Classifier.load(42)
    with pytest.raises(TypeError, match="keras.Model"):
        Classifier(42)


def test_model_with_wrong_shapes_is_rejected():
    with pytest.raises(ValueError, match=r"\(N, 28, 28, 1\)"):
        Classifier(tiny_model((32, 32, 1)))


def test_keras_instance_and_exported_file_give_the_same_probabilities(clf, digits, tmp_path):
    ref = clf.predict_proba(digits, preprocess=False)
    path = clf.export(tmp_path / "copy.keras")
    assert path.exists()
    for other in (Classifier(clf.model), Classifier.load(path), Classifier.load(str(path))):
        np.testing.assert_allclose(other.predict_proba(digits, preprocess=False), ref, atol=1e-6)
    assert Classifier.load(path).metadata is None  # no metadata.json next to it


# ----------------------------------------------------------------------------- outputs


def test_output_types_and_shapes(clf, digits):
    one = clf.predict(digits[0], preprocess=False)
    assert type(one) is int and 0 <= one <= 9
    many = clf.predict(digits, preprocess=False)
    assert isinstance(many, np.ndarray) and many.shape == (8,) and np.issubdtype(many.dtype, np.integer)
    proba = clf.predict_proba(digits, preprocess=False)
    assert proba.dtype == np.float32 and proba.shape == (8, 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert (proba >= 0).all()
    assert np.array_equal(proba.argmax(axis=1), many)
    assert clf.predict_proba(digits[0], preprocess=False).shape == (10,)


def test_probabilities_match_plain_keras(clf, digits):
    raw = clf.model.predict(digits[..., None].astype(np.float32), verbose=0)
    # the digits' share of the 11 outputs, renormalised; "not a digit" apart
    np.testing.assert_allclose(clf.predict_proba(digits, preprocess=False), raw[:, :10] / raw[:, :10].sum(1, keepdims=True), atol=1e-5)
    np.testing.assert_allclose(clf.not_digit_proba(digits, preprocess=False), raw[:, 10], atol=1e-5)


def test_top_k_is_sorted_and_consistent_with_predict_proba(clf, digits):
    proba = clf.predict_proba(digits[0], preprocess=False)
    top = clf.top_k(digits[0], k=4, preprocess=False)
    assert len(top) == 4
    assert [d for d, _ in top] == list(np.argsort(-proba, kind="stable")[:4])
    assert all(isinstance(d, int) and isinstance(p, float) for d, p in top)
    assert [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    np.testing.assert_allclose([p for _, p in top], proba[[d for d, _ in top]], rtol=1e-6)
    batch = clf.top_k(digits[:3], k=2, preprocess=False)
    assert len(batch) == 3 and all(len(row) == 2 for row in batch)
    assert len(clf.top_k(digits[0], k=10, preprocess=False)) == 10
    for bad in (0, 11, 2.5, True, "3"):
        with pytest.raises((TypeError, ValueError), match="k must be"):
            clf.top_k(digits[0], k=bad)


def test_logit_models_are_softmaxed():
    c = Classifier(tiny_model(activation=None))
    x = np.random.default_rng(0).integers(0, 256, size=(4, 28, 28)).astype(np.uint8)
    logits = c.model.predict(x[..., None].astype(np.float32), verbose=0)
    expected = np.exp(logits - logits.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(c.predict_proba(x, preprocess=False), expected, atol=1e-5)


# ----------------------------------------------------------------------------- inputs


def test_every_input_kind_gives_the_same_answer(clf, tmp_path):
    sample = list_samples()[5]
    data = sample.read_bytes()
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        pil = img.copy()
    array = np.asarray(pil)
    path = tmp_path / sample.name
    path.write_bytes(data)
    ref = clf.predict_proba(sample)
    for variant in (str(path), path, data, pil, array, array.astype(np.float32) / 255.0):
        np.testing.assert_allclose(clf.predict_proba(variant), ref, atol=1e-4)
    mixed = clf.predict_proba([str(path), data, pil, array])
    assert mixed.shape == (4, 10)
    np.testing.assert_allclose(mixed, np.tile(ref, (4, 1)), atol=1e-4)


def test_batch_array_forms(clf, digits):
    ref = clf.predict(digits, preprocess=False)
    assert np.array_equal(clf.predict(digits[..., None], preprocess=False), ref)
    assert np.array_equal(clf.predict(list(digits), preprocess=False), ref)
    assert np.array_equal(clf.predict(digits), ref)  # MNIST-format images pass preprocessing unchanged
    rgb = np.repeat(digits[..., None], 3, axis=3)
    assert np.array_equal(clf.predict(rgb), ref)


def test_instance_default_and_per_call_preprocess(digits):
    raw = Classifier(preprocess=False)
    big = np.kron(digits[0], np.ones((3, 3), np.uint8))  # 84x84: needs preprocessing
    with pytest.raises(ValueError, match="preprocess=False needs MNIST-format"):
        raw.predict(big)
    assert raw.predict(big, preprocess=True) == Classifier().predict(big)
    with pytest.raises(TypeError, match="preprocess"):
        raw.predict(big, preprocess="yes")
    with pytest.raises(TypeError, match="preprocess"):
        Classifier(preprocess=1)


def test_blank_images_raise_and_name_their_index(clf, digits):
    with pytest.raises(ValueError, match="no ink found"):
        clf.predict(np.full((60, 60), 255, np.uint8))
    with pytest.raises(ValueError, match="image 1 of 2: no ink found"):
        clf.predict([digits[0], np.zeros((28, 28), np.uint8)])


@pytest.mark.parametrize(
    "bad, error",
    [
        ("/nonexistent.png", FileNotFoundError),
        (b"GIF89a-not-really", ValueError),
        (np.zeros((0, 28, 28)), ValueError),
        (np.zeros((1, 1, 28, 28, 1)), ValueError),
        (np.full((28, 28), np.nan), ValueError),
        (np.zeros((28, 28), np.complex64), TypeError),
        ([np.zeros((28, 28)), object()], TypeError),
        ([np.zeros((28, 28)), "/nonexistent.png"], FileNotFoundError),
        (np.zeros((2, 28, 28, 2)), ValueError),
    ],
)
def test_bad_inputs(clf, bad, error):
    for method in (clf.predict, clf.predict_proba, clf.top_k):
        with pytest.raises(error):
            method(bad)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    hnp.arrays(
        dtype=hnp.scalar_dtypes(),
        shape=hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=30),
    )
)
def test_arbitrary_arrays_predict_or_fail_clearly(clf, a):
    try:
        out = clf.predict(a)
    except ACCEPTED_ERRORS as exc:
        assert str(exc)
        return
    labels = np.atleast_1d(out)
    assert ((labels >= 0) & (labels <= 9)).all()


# ----------------------------------------------------------------------------- threads


def test_eight_threads_agree_with_one(clf):
    rng = np.random.default_rng(0)
    inputs = [
        np.clip(rng.normal(0, 40, (28, 28)) + 200 * (rng.random((28, 28)) > 0.8), 0, 255).astype(np.uint8)
        for _ in range(16)
    ] + [p for p in list_samples()]
    expected = [clf.predict_proba(x) for x in inputs]
    results = [None] * 8
    barrier = threading.Barrier(8)

    def worker(t):
        barrier.wait()
        results[t] = [clf.predict_proba(x) for x in inputs[t:] + inputs[:t]]

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for t, got in enumerate(results):
        assert got is not None
        for g, e in zip(got, expected[t:] + expected[:t]):
            np.testing.assert_allclose(g, e, atol=1e-6)


# ----------------------------------------------------------------------------- accuracy (real bundled model)


@pytest.mark.data
def test_bundled_model_mnist_error_at_most_half_a_percent(clf, mnist_test):
    """needs the real bundled model"""
    images, labels = mnist_test
    error = (clf.predict(images, preprocess=False) != labels).mean() * 100
    assert error <= 0.5


@pytest.mark.data
def test_preprocessing_costs_at_most_005_points_on_mnist(clf, mnist_test):
    """needs the real bundled model"""
    images, labels = mnist_test
    raw = (clf.predict(images, preprocess=False) != labels).mean() * 100
    pre = (clf.predict(images) != labels).mean() * 100
    assert pre - raw <= 0.05


def test_bundled_model_reads_every_sample(clf):
    """needs the real bundled model"""
    samples = list_samples()
    assert list(clf.predict(samples)) == [true_digit(p) for p in samples]


# ----------------------------------------------------------------------------- export


def test_export_rejects_unknown_format_and_bad_keras_name(clf, tmp_path):
    with pytest.raises(ValueError, match="format must be one of"):
        clf.export(tmp_path / "m.pdf", format="pdf")
    with pytest.raises(ValueError, match=r"\.keras"):
        clf.export(tmp_path / "m.bin")


def test_saved_model_export_serves_the_same_probabilities(clf, digits, tmp_path):
    import tensorflow as tf

    path = clf.export(tmp_path / "sm", format="saved_model")
    loaded = tf.saved_model.load(str(path))  # keep a reference: it owns the variables
    served = loaded.serve(tf.constant(digits[..., None].astype(np.float32))).numpy()
    assert served.shape == (len(digits), 11)  # the model's raw outputs
    np.testing.assert_allclose(served[:, :10] / served[:, :10].sum(1, keepdims=True),
                               clf.predict_proba(digits, preprocess=False), atol=1e-5)


@pytest.mark.data
def test_tflite_export_agrees_with_keras_on_1000_mnist_images(clf, mnist_test, tmp_path):
    import tensorflow as tf

    images, _ = mnist_test
    x = images[:1000, :, :, None].astype(np.float32)
    path = clf.export(tmp_path / "model.tflite", format="tflite")
    interpreter = tf.lite.Interpreter(model_path=str(path))
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.resize_tensor_input(inp["index"], x.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], x)
    interpreter.invoke()
    lite = interpreter.get_tensor(out["index"])
    keras_proba = clf.model.predict(x, verbose=0)
    agreement = (lite.argmax(1) == keras_proba.argmax(1)).mean()
    assert agreement >= 0.999
    np.testing.assert_allclose(lite, keras_proba, atol=1e-4)


# ----------------------------------------------------------------------------- fast path


def test_fast_path_and_batch_path_give_the_same_probabilities(clf, digits):
    """Single images / small batches (TFLite) agree with large batches (tf.function) and fast_path=False."""
    from handdigits.classifier import SMALL_BATCH

    big = np.concatenate([digits] * (SMALL_BATCH // len(digits) + 2))  # > SMALL_BATCH images: batch path
    assert len(big) > SMALL_BATCH
    batch_path = clf.predict_proba(big, preprocess=False)[: len(digits)]
    one_by_one = np.stack([clf.predict_proba(d, preprocess=False) for d in digits])
    small_batch = clf.predict_proba(digits, preprocess=False)
    slow = Classifier(fast_path=False).predict_proba(digits, preprocess=False)
    np.testing.assert_allclose(one_by_one, batch_path, atol=1e-5)
    np.testing.assert_allclose(small_batch, batch_path, atol=1e-5)
    np.testing.assert_allclose(slow, batch_path, atol=1e-5)


def test_bundled_model_needs_no_conversion(tmp_path, monkeypatch, digits):
    """The bundled model ships its .tflite: nothing is converted or cached at first use.

    The cache of conversions for other models is tested in test_runtime.py.
    """
    import tensorflow as tf

    def no_conversion(*args, **kwargs):
        raise AssertionError("the bundled model should not be converted")

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(tf.lite.TFLiteConverter, "from_keras_model", no_conversion)
    clf = Classifier()
    assert clf.predict(digits[0], preprocess=False) == clf.predict(digits, preprocess=False)[0]
    assert list(tmp_path.iterdir()) == []


def test_fast_path_must_be_a_bool():
    with pytest.raises(TypeError, match="fast_path"):
        Classifier(fast_path="yes")


def test_auto_reject_reads_both_recorded_limits(clf, digits):
    from handdigits.classifier import _reject_limits

    recorded = {"reject": {"min_confidence": 0.5, "max_not_digit": 0.25}}
    assert _reject_limits("auto", recorded) == (0.5, 0.25)
    assert _reject_limits("auto", {"reject": {"min_confidence": 0.5}}) == (0.5, None)
    assert _reject_limits(0.3, recorded) == (0.3, None)  # a number: no "not a digit" limit
    strict = Classifier(preprocess=False)
    strict._max_not_digit = 0.0  # as "auto" sets it from metadata: any "not a digit" probability rejects
    expected = np.where(clf.not_digit_proba(digits, preprocess=False) > 0, -1, clf.predict(digits, preprocess=False))
    assert (expected == -1).any()
    assert strict.predict(digits).tolist() == expected.tolist() == strict.answer(digits).labels.tolist()

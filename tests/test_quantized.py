"""The bundled model's dynamic-range quantized ``.tflite``: recorded and verified like the float32 one,
run by default (``quantized=True``) where LiteRT is installed, close to the float32 model and never it,
``quantized=False`` for the exact answers, the flag through pickling, the CLI and models without the file.

Measured on the bundled model (MNIST test set, LiteRT 2.21, one thread): the quantized model's labels
agree with the float32 model's on all of the first 1,000 images (9,999 of 10,000), its probabilities
differ by at most 0.0103 there (0.0156 over 10,000; mean 4e-5); test error 0.33 % (float32: 0.34 %).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil

import numpy as np
import pytest

from handdigits import Classifier, cli
from handdigits.runtime import QUANTIZED_METHOD, litert_available
from handdigits.samples import list_samples
from handdigits.weights import bundled

needs_litert = pytest.mark.skipif(not litert_available(), reason="LiteRT (pip install ai-edge-litert) is not installed")
QUANTIZED_TOLERANCE = 0.03  # |quantized - float32| probabilities; measured at most 0.0103 on 1,000 MNIST test images
AGREEMENT = 0.995  # the share of labels that must agree; measured 100 % on 1,000 MNIST test images
BUNDLE = ("model.keras", "metadata.json", "model.tflite", "model-quantized.tflite")


@pytest.fixture(scope="module")
def quantized():
    return Classifier(preprocess=False)


@pytest.fixture(scope="module")
def exact():
    return Classifier(preprocess=False, quantized=False)


@pytest.fixture(scope="module")
def digits():
    """The bundled samples in MNIST format, uint8 (N, 28, 28)."""
    from handdigits.preprocess import to_mnist

    return np.stack([to_mnist(p) for p in list_samples()])


def copy_bundle(tmp_path, names=BUNDLE):
    d = tmp_path / "weights"
    d.mkdir()
    for name in names:
        shutil.copyfile(bundled() / name, d / name)
    return d


# ----------------------------------------------------------------------------- the file


def test_the_quantized_tflite_is_recorded_with_its_sha256_and_method():
    meta = json.loads((bundled() / "metadata.json").read_text())
    entry = meta["tflite_quantized"]
    assert entry["file"] == "model-quantized.tflite" and entry["method"] == QUANTIZED_METHOD
    data = (bundled() / entry["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert data[4:8] == b"TFL3"  # the flat buffer's file identifier
    assert len(data) < (bundled() / meta["tflite"]["file"]).stat().st_size / 3  # int8 weights: a quarter of float32


@needs_litert
@pytest.mark.parametrize("damage", ["flip", "truncate", "empty"])
def test_a_damaged_quantized_tflite_is_refused_and_quantized_false_does_not_read_it(tmp_path, damage):
    d = copy_bundle(tmp_path)
    path = d / "model-quantized.tflite"
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data[: len(data) // 3]) if damage == "truncate" else b"" if damage == "empty" else bytes(data))
    with pytest.raises(ValueError, match="quantized TFLite model .* SHA-256"):
        Classifier.load(d / "model.keras")
    exact = Classifier.load(d / "model.keras", quantized=False)
    assert exact.backend == "litert" and exact.quantized is False


@needs_litert
def test_a_recorded_quantized_file_that_is_missing_is_an_error(tmp_path):
    d = copy_bundle(tmp_path, BUNDLE[:3])
    with pytest.raises(FileNotFoundError, match="quantized TFLite model not found"):
        Classifier.load(d / "model.keras")


# ----------------------------------------------------------------------------- its answers


@needs_litert
def test_the_default_runs_the_quantized_model_close_to_float32_but_not_it(quantized, exact, digits):
    assert (quantized.quantized, exact.quantized) == (True, False)
    assert quantized._model.runs_quantized and not exact._model.runs_quantized
    q, f = quantized.predict_proba(digits), exact.predict_proba(digits)
    assert np.abs(q - f).max() > 1e-6  # the float32 file would give these to ~1e-7
    np.testing.assert_allclose(q, f, atol=QUANTIZED_TOLERANCE)
    assert (quantized.predict(digits) == exact.predict(digits)).all()
    one_by_one = np.stack([quantized.predict_proba(a) for a in digits])
    np.testing.assert_allclose(one_by_one, q, atol=1e-6)  # single images and batches: the same quantized answers


@pytest.mark.data
@needs_litert
def test_quantized_and_float32_agree_on_1000_mnist_test_images(quantized, exact, mnist_test):
    x = mnist_test[0][:1000]
    q, f = quantized.predict_proba(x), exact.predict_proba(x)
    diff = np.abs(q - f)
    assert (q.argmax(1) == f.argmax(1)).mean() >= AGREEMENT
    assert diff.max() <= QUANTIZED_TOLERANCE and diff.max() > 1e-6
    np.testing.assert_allclose(quantized.not_digit_proba(x), exact.not_digit_proba(x), atol=QUANTIZED_TOLERANCE)


@pytest.mark.data
@needs_litert
def test_quantized_model_mnist_error_at_most_half_a_percent(quantized, mnist_test):
    """needs the real bundled model (measured: 0.33 %)"""
    images, labels = mnist_test
    assert (quantized.predict(images) != labels).mean() * 100 <= 0.5


@pytest.mark.data
def test_quantized_false_agrees_with_keras_to_1e5_on_1000_mnist_test_images(exact, mnist_test):
    from handdigits.model_files import load_keras

    x = mnist_test[0][:1000]
    raw = np.asarray(load_keras(bundled() / "model.keras", "the bundled model")(x[..., None].astype(np.float32), training=False))
    np.testing.assert_allclose(exact.predict_proba(x), raw[:, :10] / raw[:, :10].sum(1, keepdims=True), atol=1e-5)


@needs_litert
def test_the_keras_model_of_a_quantized_classifier_is_checked_against_float32(digits):
    clf = Classifier(preprocess=False)
    before = clf.predict_proba(digits)
    model = clf.model  # loads the Keras model, checks it agrees with the float32 .tflite, and goes live
    raw = np.asarray(model(digits[..., None].astype(np.float32), training=False))
    np.testing.assert_allclose(clf.predict_proba(digits), raw[:, :10] / raw[:, :10].sum(1, keepdims=True), atol=1e-5)
    np.testing.assert_allclose(before, clf.predict_proba(digits), atol=QUANTIZED_TOLERANCE)


@needs_litert
def test_export_tflite_of_a_quantized_classifier_is_the_float32_file(quantized, tmp_path):
    path = quantized.export(tmp_path / "m.tflite", format="tflite")
    assert path.read_bytes() == (bundled() / "model.tflite").read_bytes()


# ----------------------------------------------------------------------------- the flag


@pytest.mark.parametrize("bad", ["yes", 1, 0, None, np.bool_(True)])
def test_quantized_must_be_a_bool(bad):
    with pytest.raises(TypeError, match="quantized must be True or False"):
        Classifier(quantized=bad)


@needs_litert
def test_the_flag_survives_pickling(quantized, exact, digits):
    for clf in (quantized, exact):
        copy = pickle.loads(pickle.dumps(clf))
        assert copy.quantized is clf.quantized and copy._model.runs_quantized is clf._model.runs_quantized
        np.testing.assert_array_equal(copy.predict_proba(digits), clf.predict_proba(digits))


@needs_litert
def test_models_without_a_quantized_file_ignore_the_flag(tmp_path, exact, digits):
    d = copy_bundle(tmp_path, BUNDLE[:3])
    meta = json.loads((d / "metadata.json").read_text())
    del meta["tflite_quantized"]
    (d / "metadata.json").write_text(json.dumps(meta))
    for flag in (True, False):
        clf = Classifier.load(d / "model.keras", preprocess=False, quantized=flag)
        assert clf.quantized is flag and not clf._model.runs_quantized
        np.testing.assert_allclose(clf.predict_proba(digits), exact.predict_proba(digits), atol=1e-6)


@needs_litert
def test_neither_flavour_imports_tensorflow_to_predict(fresh_python):
    code = (
        "import json, sys\n"
        "import numpy as np\n"
        "from handdigits import Classifier\n"
        "from handdigits.samples import list_samples\n"
        "q, f = Classifier(), Classifier(quantized=False)\n"
        "x = list_samples()[1]\n"
        "diff = float(abs(q.predict_proba(x) - f.predict_proba(x)).max())\n"
        "answers = [q.predict(x), f.predict(x), q.predict(list_samples()[7])]\n"
        "heavy = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)\n"
        "print(json.dumps({'answers': answers, 'heavy': heavy, 'diff': diff}))\n"
    )
    result = fresh_python(code)
    assert result["heavy"] == [], f"predicting imported {result['heavy']}"
    assert result["answers"] == [1, 1, 7] and 1e-6 < result["diff"] <= QUANTIZED_TOLERANCE


@needs_litert
@pytest.mark.parametrize("command", ["predict", "read"])
def test_the_no_quantized_option_reaches_the_classifier(capsys, monkeypatch, command):
    from handdigits.cli import _common

    seen = []
    real = _common.load_classifier
    monkeypatch.setattr(_common, "load_classifier",
                        lambda path, threads=None, quantized=True, **more: seen.append(quantized)
                        or real(path, threads, quantized, **more))
    sample = str(list_samples()[1])
    answers = {}
    for name, flags in (("quantized", []), ("float32", ["--no-quantized"])):
        assert cli.main([command, sample, "--json", *flags]) == 0
        answers[name] = json.loads(capsys.readouterr().out)[0]
    assert seen == [True, False]
    if command == "predict":  # the probabilities printed are the quantized and the float32 model's
        p = {name: record["top_k"][0]["probability"] for name, record in answers.items()}
        assert answers["quantized"]["digit"] == answers["float32"]["digit"] == 1 and p["quantized"] != p["float32"]
        assert p["float32"] == pytest.approx(float(Classifier(quantized=False).predict_proba(sample)[1]), abs=1e-6)

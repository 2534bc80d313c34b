"""handdigits.runtime and the Classifier's inference paths: LiteRT without TensorFlow, the shipped
``.tflite`` (float32; its quantized twin: test_quantized.py), the TFLite cache that cannot be poisoned, live Keras models, NaN weights, 11-output
models, ``preprocess=False`` range checks, export (ONNX included) and scripts/bundle_model.py.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from handdigits import Classifier
from handdigits.runtime import from_keras, from_tflite, litert_available, probe_images
from handdigits.weights import bundled

REPO = Path(__file__).resolve().parents[1]
needs_litert = pytest.mark.skipif(not litert_available(), reason="LiteRT (pip install ai-edge-litert) is not installed")


def strokes(n: int, seed: int = 0) -> np.ndarray:
    """``n`` MNIST-format uint8 images (28, 28): random bright bars on black."""
    rng = np.random.default_rng(seed)
    out = np.zeros((n, 28, 28), np.uint8)
    for img in out:
        y, x = rng.integers(4, 14, size=2)
        img[y : y + rng.integers(6, 14), x : x + rng.integers(2, 10)] = 255
    return out


def tiny_model(outputs: int = 10, activation: str | None = "softmax", seed: int = 0):
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Flatten()(keras.layers.Rescaling(1 / 255)(inputs))
    return keras.Model(inputs, keras.layers.Dense(outputs, activation=activation)(x))


def saved(model, path: Path) -> Path:
    model.save(path)
    return path


# ----------------------------------------------------------------------------- the shipped .tflite


def test_bundled_tflite_is_recorded_with_its_sha256():
    meta = json.loads((bundled() / "metadata.json").read_text())
    entry = meta["tflite"]
    data = (bundled() / entry["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert data[4:8] == b"TFL3"  # the flat buffer's file identifier


@needs_litert
def test_bundled_model_predicts_without_importing_tensorflow(fresh_python):
    code = (
        "import json, sys\n"
        "import numpy as np\n"
        "from handdigits import Classifier\n"
        "from handdigits.samples import list_samples\n"
        "clf = Classifier()\n"
        "x = np.zeros((28, 28), np.uint8); x[5:23, 12:16] = 255\n"
        "one, many = clf.predict_proba(x, preprocess=False), clf.predict_proba(np.stack([x] * 40), preprocess=False)\n"
        "answers = [bool(np.allclose(one, many[0], atol=1e-6)), bool(np.allclose(many, many[0], atol=1e-6)),\n"
        "           clf.predict(list_samples()[1]), clf.predict(list_samples()[7])]\n"
        "heavy = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)\n"
        "print(json.dumps({'answers': answers, 'heavy': heavy, 'backend': clf.backend}))\n"
    )
    result = fresh_python(code)
    assert result["heavy"] == [], f"predicting imported {result['heavy']}"
    assert result["backend"] == "litert"
    assert result["answers"] == [True, True, 1, 7]


@pytest.mark.data
@needs_litert
def test_shipped_tflite_agrees_with_the_keras_model_on_1000_mnist_images(mnist_test):
    from handdigits.classifier import _load_keras

    x = mnist_test[0][:1000, :, :, None].astype(np.float32)
    lite = from_tflite((bundled() / "model.tflite").read_bytes())
    keras_model = from_keras(_load_keras(bundled() / "model.keras", "the bundled model"))
    np.testing.assert_allclose(lite(x), keras_model(x), atol=1e-5, rtol=0)
    assert (lite(x).argmax(1) == keras_model(x).argmax(1)).all()


@needs_litert
def test_single_images_small_and_large_batches_agree():
    clf = Classifier()
    x = strokes(40)
    batch = clf.predict_proba(x, preprocess=False)
    small = clf.predict_proba(x[:5], preprocess=False)
    one_by_one = np.stack([clf.predict_proba(a, preprocess=False) for a in x[:5]])
    np.testing.assert_allclose(small, batch[:5], atol=1e-6)
    np.testing.assert_allclose(one_by_one, batch[:5], atol=1e-6)
    slow, exact = Classifier(fast_path=False), Classifier(quantized=False)
    assert (slow.backend, exact.backend) == ("tensorflow", "litert")
    np.testing.assert_allclose(slow.predict_proba(x, preprocess=False), exact.predict_proba(x, preprocess=False), atol=1e-5)
    np.testing.assert_allclose(exact.predict_proba(x, preprocess=False), batch, atol=0.03)  # the default is quantized


@needs_litert
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_thread_counts_give_the_default_answers_for_single_images_and_batches(threads):
    default, other = Classifier(), Classifier(threads=threads)
    x = strokes(70, seed=threads)
    assert (default.threads, other.threads) == (None, threads)
    np.testing.assert_allclose(other.predict_proba(x, preprocess=False), default.predict_proba(x, preprocess=False), atol=1e-6)
    for image in x[:3]:
        np.testing.assert_allclose(other.predict_proba(image, preprocess=False),
                                   default.predict_proba(image, preprocess=False), atol=1e-6)
    np.testing.assert_array_equal(other.predict(x, preprocess=False), default.predict(x, preprocess=False))


@needs_litert
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads through Linux's /proc")
def test_the_thread_count_reaches_litert(fresh_python):
    code = (
        "import json, os, sys\n"
        "import numpy as np\n"
        "from handdigits import Classifier\n"
        "if sys.argv[1:] == ['one']: os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:1])\n"
        "count = lambda: len(os.listdir('/proc/self/task'))\n"
        "x = np.zeros((28, 28), np.uint8); x[5:23, 12:16] = 255\n"
        "start = count(); clf = Classifier(); clf.predict(x); default = count()\n"
        "keep = Classifier(threads=3); keep.predict(x)\n"
        "print(json.dumps({'default': default - start, 'three': count() - default, 'cpus': len(os.sched_getaffinity(0))}))\n"
    )
    seen = fresh_python(code)  # the calling thread and 1 (2 where two CPUs are usable, else 1) / 2 workers
    assert seen == {"default": 1 if seen["cpus"] >= 2 else 0, "three": 2, "cpus": seen["cpus"]}
    assert fresh_python(code, "one") == {"default": 0, "three": 2, "cpus": 1}  # one usable CPU: one thread


@pytest.mark.parametrize("threads, error", [(0, ValueError), (-2, ValueError), (10**6, ValueError),
                                            (1.5, TypeError), (True, TypeError), ("2", TypeError)])
def test_bad_thread_counts_are_refused_with_a_clear_error(threads, error):
    with pytest.raises(error, match="threads must be"):
        Classifier(threads=threads)
    with pytest.raises(error, match="threads must be"):
        from_tflite((bundled() / "model.tflite").read_bytes(), threads=threads)


@needs_litert
def test_each_litert_call_returns_its_own_array():
    lite = from_tflite((bundled() / "model.tflite").read_bytes())
    x = strokes(2, seed=5)[:, :, :, None].astype(np.float32)
    first = lite(x[:1])
    kept = first.copy()
    second = lite(x[1:])
    assert not np.shares_memory(first, second)
    np.testing.assert_array_equal(first, kept)  # the second call did not overwrite the first answer
    assert np.abs(first - second).max() > 1e-3


def test_the_thread_count_travels_with_the_pickle():
    import pickle

    clf = pickle.loads(pickle.dumps(Classifier(threads=2)))
    assert clf.threads == 2 and pickle.loads(pickle.dumps(Classifier())).threads is None


def copy_bundle(tmp_path: Path, names=("model.keras", "metadata.json", "model.tflite", "model-quantized.tflite")) -> Path:
    d = tmp_path / "weights"
    d.mkdir()
    for name in names:
        shutil.copyfile(bundled() / name, d / name)
    return d


@needs_litert
def test_a_model_with_a_recorded_tflite_beside_it_runs_on_litert(tmp_path):
    d = copy_bundle(tmp_path)
    clf = Classifier.load(d / "model.keras")
    assert clf.backend == "litert"
    x = strokes(3)
    np.testing.assert_allclose(clf.predict_proba(x, preprocess=False), Classifier().predict_proba(x, preprocess=False), atol=1e-6)


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty"])
def test_a_damaged_shipped_tflite_fails_its_sha256_check(tmp_path, damage):
    d = copy_bundle(tmp_path)
    data = bytearray((d / "model.tflite").read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
    elif damage == "truncate":
        data = data[: len(data) // 3]
    else:
        data = b""
    (d / "model.tflite").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="SHA-256"):
        Classifier.load(d / "model.keras", quantized=False)  # the default runs (and checks) the quantized file


def test_malformed_metadata_beside_a_model_is_an_error(tmp_path):
    d = copy_bundle(tmp_path, names=("model.keras",))
    (d / "metadata.json").write_text('{"file": "model.keras"')  # truncated JSON
    with pytest.raises(ValueError, match="malformed"):
        Classifier.load(d / "model.keras")
    meta = json.loads((bundled() / "metadata.json").read_text())
    for key in ("tflite", "tflite_quantized") if litert_available() else ("tflite",):  # LiteRT reads the quantized one
        (d / "metadata.json").write_text(json.dumps({**meta, key: "model.tflite"}))  # not an object
        with pytest.raises(ValueError, match=f"'{key}' must be an object"):
            Classifier.load(d / "model.keras", quantized=key == "tflite_quantized")


# ----------------------------------------------------------------------------- the TFLite cache


@pytest.fixture
def user_model(tmp_path):
    """A path-loaded Keras model without a .tflite (its conversion is cached) and its own answers."""
    model = tiny_model(seed=1)
    path = saved(model, tmp_path / "user.keras")
    x = strokes(6, seed=2)
    expected = np.asarray(model(x[..., None].astype(np.float32)))
    return path, x, expected


def cache_entry(tmp_path: Path, path: Path) -> Path:
    return tmp_path / "cache" / "handdigits" / "tflite" / f"{hashlib.sha256(path.read_bytes()).hexdigest()}.tflite"


def test_conversion_is_cached_with_its_hash_and_reused(tmp_path, monkeypatch, user_model):
    import tensorflow as tf

    path, x, expected = user_model
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first = Classifier.load(path)
    np.testing.assert_allclose(first.predict_proba(x[0], preprocess=False), expected[0], atol=1e-6)
    cached = cache_entry(tmp_path, path)
    record = json.loads(cached.with_suffix(".json").read_text())
    assert record["sha256"] == hashlib.sha256(cached.read_bytes()).hexdigest()
    assert sorted(p.name for p in cached.parent.iterdir()) == sorted([cached.name, cached.with_suffix(".json").name])

    def no_conversion(*args, **kwargs):
        raise AssertionError("the cached TFLite model should have been used")

    monkeypatch.setattr(tf.lite.TFLiteConverter, "from_keras_model", no_conversion)
    second = Classifier.load(path)
    np.testing.assert_allclose(second.predict_proba(x[:4], preprocess=False), expected[:4], atol=1e-6)


@pytest.mark.parametrize("poison", ["truncated", "empty", "random", "foreign", "foreign-with-record"])
def test_a_poisoned_cache_entry_is_rebuilt_not_used(tmp_path, monkeypatch, user_model, poison):
    path, x, expected = user_model
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    Classifier.load(path).predict(x[0], preprocess=False)  # fills the cache
    cached = cache_entry(tmp_path, path)
    good = cached.read_bytes()
    if poison == "truncated":
        cached.write_bytes(good[: len(good) // 2])
    elif poison == "empty":
        cached.write_bytes(b"")
    elif poison == "random":
        cached.write_bytes(np.random.default_rng(0).bytes(len(good)))
    else:  # another model's conversion; with its hash record rewritten to match, too
        from handdigits.runtime import convert_to_tflite

        foreign = convert_to_tflite(tiny_model(seed=7))
        cached.write_bytes(foreign)
        if poison == "foreign-with-record":
            record = {"model_sha256": cached.stem, "sha256": hashlib.sha256(foreign).hexdigest()}
            cached.with_suffix(".json").write_text(json.dumps(record))
    clf = Classifier.load(path)
    np.testing.assert_allclose(np.stack([clf.predict_proba(a, preprocess=False) for a in x]), expected, atol=1e-6)
    np.testing.assert_allclose(clf.predict_proba(x[:3], preprocess=False), expected[:3], atol=1e-6)
    assert cached.read_bytes() == good  # rebuilt
    exported = clf.export(tmp_path / "out.tflite", format="tflite")
    np.testing.assert_allclose(from_tflite(exported.read_bytes())(x[..., None].astype(np.float32)), expected, atol=1e-6)


def test_an_unwritable_cache_is_reported_by_a_warning_and_still_answers(tmp_path, monkeypatch, user_model):
    path, x, expected = user_model
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # mkdir fails even for root
    clf = Classifier.load(path)
    with pytest.warns(RuntimeWarning, match="cannot write the TFLite cache"):
        got = clf.predict_proba(x[0], preprocess=False)
    np.testing.assert_allclose(got, expected[0], atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the conversion is kept: no second attempt, no second warning
        np.testing.assert_allclose(clf.predict_proba(x[1], preprocess=False), expected[1], atol=1e-6)


# ----------------------------------------------------------------------------- live models, weights, outputs


def test_set_weights_after_construction_changes_single_and_batch_answers():
    net = tiny_model(seed=3)
    clf = Classifier(net)
    x = strokes(20, seed=4)
    before = clf.predict_proba(x, preprocess=False)
    net.set_weights([w * -2.0 for w in net.get_weights()])
    after = np.asarray(net(x[..., None].astype(np.float32)))
    assert not np.allclose(before, after, atol=1e-3)
    np.testing.assert_allclose(clf.predict_proba(x[0], preprocess=False), after[0], atol=1e-6)
    np.testing.assert_allclose(clf.predict_proba(x[:3], preprocess=False), after[:3], atol=1e-6)
    np.testing.assert_allclose(clf.predict_proba(x, preprocess=False), after, atol=1e-6)


def test_changing_the_handed_out_model_of_a_loaded_classifier_is_seen(tmp_path, monkeypatch, user_model):
    path, x, expected = user_model
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    clf = Classifier.load(path)
    np.testing.assert_allclose(clf.predict_proba(x[0], preprocess=False), expected[0], atol=1e-6)  # TFLite
    model = clf.model
    model.set_weights([w * 3.0 for w in model.get_weights()])
    after = np.asarray(model(x[..., None].astype(np.float32)))
    np.testing.assert_allclose(clf.predict_proba(x[0], preprocess=False), after[0], atol=1e-6)
    np.testing.assert_allclose(clf.predict_proba(x, preprocess=False), after, atol=1e-6)
    assert clf.backend == "tensorflow"


def test_nan_weights_are_refused_at_load_and_at_predict_time(tmp_path):
    net = tiny_model(seed=5)
    weights = net.get_weights()
    weights[0] = weights[0].copy()
    weights[0][0, 0] = np.nan
    bad = tiny_model(seed=5)
    bad.set_weights(weights)
    with pytest.raises(ValueError, match="NaN or inf"):
        Classifier(bad)
    with pytest.raises(ValueError, match="NaN or inf"):
        Classifier.load(saved(bad, tmp_path / "bad.keras"))
    clf = Classifier(net)
    net.set_weights(weights)  # poisoned after construction
    with pytest.raises(ValueError, match="non-finite scores"):
        clf.predict(strokes(1)[0], preprocess=False)


def test_a_tflite_with_nan_outputs_is_refused():
    from handdigits.runtime import convert_to_tflite

    net = tiny_model(seed=6)
    net.set_weights([np.full_like(w, np.nan) for w in net.get_weights()])
    with pytest.raises(ValueError, match="non-finite outputs"):
        from_tflite(convert_to_tflite(net), source="nan.tflite")


@pytest.mark.parametrize("activation", ["softmax", None])
@pytest.mark.parametrize("outputs", [10, 11])
def test_outputs_and_probabilities_are_decided_at_load(activation, outputs):
    net = tiny_model(outputs=outputs, activation=activation, seed=8)
    runtime = from_keras(net)
    assert runtime.outputs == outputs
    assert runtime.probabilities is (activation == "softmax")
    clf = Classifier(net)
    proba = clf._forward(strokes(4)[..., None].astype(np.float32))
    assert proba.shape == (4, outputs)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    raw = np.asarray(net(strokes(4)[..., None].astype(np.float32)))
    reference = raw if activation else np.exp(raw) / np.exp(raw).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(proba, reference, atol=1e-5)


def test_runtimes_refuse_other_shapes_and_dtypes():
    runtime = from_keras(tiny_model())
    for bad in (np.zeros((2, 28, 28), np.float32), np.zeros((2, 28, 28, 1), np.float64), np.zeros((2, 32, 32, 1), np.float32)):
        with pytest.raises(ValueError, match=r"float32 \(N, 28, 28, 1\)"):
            runtime(bad)
    assert runtime(np.zeros((0, 28, 28, 1), np.float32)).shape == (0, 10)
    with pytest.raises(ValueError, match="not a TFLite model"):
        from_tflite(b"")
    with pytest.raises(ValueError, match="cannot load the TFLite model"):
        from_tflite(b"\0" * 64 + np.random.default_rng(0).bytes(1000))
    assert probe_images().shape == (3, 28, 28, 1)


# ----------------------------------------------------------------------------- preprocess=False inputs


def test_preprocess_false_refuses_values_outside_0_255():
    clf = Classifier(tiny_model())
    for bad in (np.full((28, 28), 1e300), np.full((28, 28), -1.0), np.full((2, 28, 28), 256.0)):
        with pytest.raises(ValueError, match=r"values in \[0, 255\].*preprocess=True"):
            clf.predict(bad, preprocess=False)


def test_preprocess_false_warns_about_0_1_floats_and_inverted_images():
    clf = Classifier(tiny_model())
    x = strokes(4)
    with pytest.warns(UserWarning, match=r"every value is in \[0, 1\].*preprocess=True"):
        clf.predict(x / 255.0, preprocess=False)
    with pytest.warns(UserWarning, match="4 of 4 image.*light border.*255 - x"):
        clf.predict(255 - x, preprocess=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.predict(x, preprocess=False)  # MNIST format: no warning
        clf.predict(np.zeros((28, 28)), preprocess=False)  # blank: no warning either


# ----------------------------------------------------------------------------- export


def test_export_refuses_existing_paths_and_missing_directories(tmp_path):
    clf = Classifier(tiny_model())
    target = tmp_path / "m.keras"
    target.write_bytes(b"keep me")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        clf.export(target)
    assert target.read_bytes() == b"keep me"
    assert clf.export(target, overwrite=True) == target and target.stat().st_size > 1000
    with pytest.raises(FileNotFoundError, match="does not exist"):
        clf.export(tmp_path / "missing" / "m.keras")
    (tmp_path / "folder").mkdir()
    with pytest.raises(FileExistsError, match="not a SavedModel"):
        clf.export(tmp_path / "folder", format="saved_model", overwrite=True)
    with pytest.raises(ValueError, match="format must be one of"):
        clf.export(tmp_path / "m.pdf", format="pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "m.keras"]  # no temporary files left


@needs_litert
def test_export_tflite_of_the_bundled_model_is_the_shipped_file(tmp_path):
    path = Classifier().export(tmp_path / "m.tflite", format="tflite")
    assert path.read_bytes() == (bundled() / "model.tflite").read_bytes()


@pytest.mark.data
@pytest.mark.slow
def test_onnx_export_agrees_with_keras_on_1000_mnist_images(tmp_path, mnist_test):
    pytest.importorskip("tf2onnx", reason="ONNX export needs tf2onnx (pip install handdigits[onnx])")
    onnxruntime = pytest.importorskip("onnxruntime", reason="pip install onnxruntime")
    clf = Classifier(fast_path=False)
    path = clf.export(tmp_path / "model.onnx", format="onnx")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = mnist_test[0][:1000, :, :, None].astype(np.float32)
    out = session.run(None, {session.get_inputs()[0].name: x})[0]
    np.testing.assert_allclose(out, np.asarray(clf.model(x, training=False)), atol=1e-5)  # raw (N, C) outputs


# ----------------------------------------------------------------------------- scripts/bundle_model.py


def test_bundle_script_writes_verified_files(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    saved(tiny_model(seed=9), run / "model.keras")
    meta = {"format": "handdigits-model/1", "file": "model.keras"}
    meta["sha256"] = hashlib.sha256((run / "model.keras").read_bytes()).hexdigest()
    (run / "metadata.json").write_text(json.dumps(meta))
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "model.onnx").write_bytes(b"stale")
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "bundle_model.py"), str(run), "--dest", str(dest)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    written = json.loads((dest / "metadata.json").read_text())
    assert written["sha256"] == meta["sha256"]
    assert written["tflite"]["sha256"] == hashlib.sha256((dest / "model.tflite").read_bytes()).hexdigest()
    assert not (dest / "model.onnx").exists()  # stale file removed
    quantized = written["tflite_quantized"]
    assert quantized["sha256"] == hashlib.sha256((dest / "model-quantized.tflite").read_bytes()).hexdigest()
    assert quantized["method"] == "dynamic-range int8 weights (TFLite Optimize.DEFAULT)"
    assert sorted(p.name for p in dest.iterdir()) == ["metadata.json", "model-quantized.tflite", "model.keras", "model.tflite"]
    x = strokes(5)
    expected = np.asarray(tiny_model(seed=9)(x[..., None].astype(np.float32)))
    exact = Classifier.load(dest / "model.keras", quantized=False)
    assert exact.backend == ("litert" if litert_available() else "tensorflow")
    np.testing.assert_allclose(exact.predict_proba(x, preprocess=False), expected, atol=1e-5)
    got = Classifier.load(dest / "model.keras").predict_proba(x, preprocess=False)  # quantized where LiteRT runs
    np.testing.assert_allclose(got, expected, atol=0.01)
    assert np.abs(got - expected).max() > 1e-6 or not litert_available()


@pytest.mark.slow
def test_bundle_script_without_quantized_removes_a_stale_quantized_file(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    saved(tiny_model(seed=9), run / "model.keras")
    meta = {"file": "model.keras", "sha256": hashlib.sha256((run / "model.keras").read_bytes()).hexdigest()}
    (run / "metadata.json").write_text(json.dumps(meta))
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "model-quantized.tflite").write_bytes(b"stale")
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "bundle_model.py"), str(run), "--dest", str(dest), "--no-quantized"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "tflite_quantized" not in json.loads((dest / "metadata.json").read_text())
    assert sorted(p.name for p in dest.iterdir()) == ["metadata.json", "model.keras", "model.tflite"]


def test_bundle_script_refuses_a_run_whose_model_fails_its_hash(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    saved(tiny_model(), run / "model.keras")
    (run / "metadata.json").write_text(json.dumps({"file": "model.keras", "sha256": "0" * 64}))
    dest = tmp_path / "dest"
    dest.mkdir()
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "bundle_model.py"), str(run), "--dest", str(dest)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode != 0 and "SHA-256" in proc.stderr
    assert list(dest.iterdir()) == []

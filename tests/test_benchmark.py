"""Tests for handdigits.benchmark, on tiny Keras models and small IDX fixture datasets."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handdigits.benchmark import DATASETS, ROBUSTNESS, BenchmarkResult, benchmark, pick_best
from handdigits.datasets import write_idx

N_MNIST, N_EMNIST = 60, 45


def code_images(codes, seed):
    """Images whose pixel (0, code) is the only bright pixel of row 0, plus random 'ink' below."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (len(codes), 28, 28)).astype(np.uint8)
    x[:, 0, :] = 0
    x[np.arange(len(codes)), 0, codes] = 255
    return x


def make_data(tmp_path, emnist=True):
    """A data dir with small MNIST (and EMNIST) test files; returns (dir, truth dict)."""
    rng = np.random.default_rng(0)
    truth = {}
    for name, n in (("mnist", N_MNIST), ("emnist", N_EMNIST)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        codes = rng.integers(0, 10, n)  # what the "code" model will answer
        truth[name] = (code_images(codes, seed=n), labels, codes)
    (tmp_path / "mnist").mkdir()
    write_idx(tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz", truth["mnist"][0])
    write_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz", truth["mnist"][1])
    if emnist:
        (tmp_path / "emnist").mkdir()
        # EMNIST files store images transposed; the loader transposes them back
        write_idx(tmp_path / "emnist" / "emnist-digits-test-images-idx3-ubyte", truth["emnist"][0].transpose(0, 2, 1))
        write_idx(tmp_path / "emnist" / "emnist-digits-test-labels-idx1-ubyte", truth["emnist"][1])
    return tmp_path, truth


@pytest.fixture
def data(tmp_path):
    return make_data(tmp_path)


@pytest.fixture
def data_no_emnist(tmp_path):
    return make_data(tmp_path, emnist=False)


def constant_model(digit, outputs=10):
    """Always predicts ``digit``."""
    import keras

    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Flatten()(inputs)
    dense = keras.layers.Dense(outputs, activation="softmax", kernel_initializer="zeros")
    out = dense(x)
    bias = np.zeros(outputs, np.float32)
    bias[digit % outputs] = 5.0
    dense.bias.assign(bias)
    return keras.Model(inputs, out, name=f"const{digit}")


def code_model():
    """Predicts the column of the bright pixel in row 0 (one-hot of a known function of the image)."""
    import keras

    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Flatten()(inputs)
    dense = keras.layers.Dense(10, activation="softmax", use_bias=False)
    out = dense(x)
    kernel = np.zeros((784, 10), np.float32)
    kernel[np.arange(10), np.arange(10)] = 1.0  # pixel (0, k) -> class k
    dense.kernel.assign(kernel)
    return keras.Model(inputs, out, name="code")


def wilson_by_roots(errors, n, z=1.959963984540054):
    """Wilson bounds as the roots of (p_hat - p)^2 = z^2 p (1 - p) / n (independent of metrics.py)."""
    p_hat = errors / n
    a = 1 + z * z / n
    b = -(2 * p_hat + z * z / n)
    c = p_hat * p_hat
    roots = np.sort(np.roots([a, b, c]).real)
    return 100 * max(roots[0], 0.0), 100 * min(roots[1], 1.0)


# ----------------------------------------------------------------- numbers


def test_constant_model_errors_and_wilson(data):
    d, truth = data
    r = benchmark({"c3": constant_model(3)}, datasets=("mnist", "emnist", "combined"), data_dir=d, download=False, verify=False)
    ym, ye = truth["mnist"][1], truth["emnist"][1]
    expected = {"mnist": (ym != 3).sum(), "emnist": (ye != 3).sum(), "combined": (ym != 3).sum() + (ye != 3).sum()}
    for dataset, errors in expected.items():
        row = r.results["c3"][dataset]
        n = {"mnist": N_MNIST, "emnist": N_EMNIST, "combined": N_MNIST + N_EMNIST}[dataset]
        assert row["status"] == "ok" and row["n"] == n and row["errors"] == errors
        assert math.isclose(row["error_pct"], 100 * errors / n)
        np.testing.assert_allclose(row["ci95_pct"], wilson_by_roots(errors, n), atol=1e-9)


def test_code_model_and_by_source(data):
    d, truth = data
    r = benchmark(code_model(), datasets=("mnist", "emnist", "combined"), data_dir=d, batch_size=7, download=False, verify=False)
    (name,) = r.models
    errs = {k: int((truth[k][2] != truth[k][1]).sum()) for k in ("mnist", "emnist")}
    assert r.results[name]["mnist"]["errors"] == errs["mnist"]
    assert r.results[name]["emnist"]["errors"] == errs["emnist"]
    combined = r.results[name]["combined"]
    assert combined["errors"] == errs["mnist"] + errs["emnist"]
    for source in ("mnist", "emnist"):
        assert combined["by_source"][source] == {k: r.results[name][source][k] for k in
                                                 ("n", "errors", "error_pct", "ci95_pct", "ece_pct", "refused", "refused_pct")}


def test_summary_range_and_best(data):
    d, truth = data
    models = {"c1": constant_model(1), "code": code_model()}
    r = benchmark(models, datasets=("mnist", "emnist"), data_dir=d, download=False, verify=False)
    for m in models:
        errs = [r.results[m][k]["error_pct"] for k in ("mnist", "emnist")]
        s = r.summary[m]
        assert s["max"] == max(errs) and s["min"] == min(errs)
        assert math.isclose(s["range"], max(errs) - min(errs)) and math.isclose(s["mean"], sum(errs) / 2)
    expected_best = min(models, key=lambda m: (r.summary[m]["max"], r.summary[m]["mean"], m))
    assert r.best == expected_best
    assert "**(best)**" in r.to_markdown()


def test_pick_best_ties():
    s = lambda mx, mean: {"max": mx, "mean": mean}  # noqa: E731
    assert pick_best({"a": s(2.0, 1.5), "b": s(1.0, 1.0)}) == "b"  # lower max wins
    assert pick_best({"a": s(2.0, 1.5), "b": s(2.0, 1.2)}) == "b"  # tie on max: lower mean
    assert pick_best({"z": s(2.0, 1.2), "b": s(2.0, 1.2)}) == "b"  # full tie: name
    assert pick_best({"a": {"max": None, "mean": None}, "b": s(9.0, 9.0)}) == "b"
    assert pick_best({"a": {"max": None, "mean": None}}) is None


def test_identical_models_tie_on_name(data):
    d, _ = data
    r = benchmark({"zeta": constant_model(4), "alpha": constant_model(4)}, datasets=("mnist",), data_dir=d,
                  download=False, verify=False)
    assert r.summary["zeta"] == r.summary["alpha"] and r.best == "alpha"


def test_augmented_matches_independent_computation(data):
    from handdigits.transforms import augment_fixed

    d, truth = data
    model = constant_model(0)
    r1 = benchmark({"m": model}, datasets=("augmented",), data_dir=d, seed=5, download=False, verify=False)
    r2 = benchmark({"m": model}, datasets=("augmented",), data_dir=d, seed=5, download=False, verify=False)
    assert r1.results == r2.results
    # the code model's answers depend on the (augmented) pixels: compare to augmenting by hand
    x = np.concatenate([truth["mnist"][0], truth["emnist"][0]])
    y = np.concatenate([truth["mnist"][1], truth["emnist"][1]])
    xa = augment_fixed(x, seed=5)
    cm = code_model()
    pred = cm.predict(xa[..., None].astype(np.float32), verbose=0).argmax(1)
    r = benchmark({"code": cm}, datasets=("augmented",), data_dir=d, seed=5, download=False, verify=False)
    assert r.results["code"]["augmented"]["errors"] == int((pred != y).sum())
    assert r.results["code"]["augmented"]["by_source"]["emnist"]["errors"] == int((pred[N_MNIST:] != y[N_MNIST:]).sum())


def test_robustness_sets(data):
    from handdigits.corruptions import corrupt

    d, truth = data
    cm = code_model()
    r = benchmark({"code": cm}, datasets=("mnist", "robustness"), data_dir=d, download=False, verify=False)
    assert r.datasets == ["mnist", *ROBUSTNESS] and len(ROBUSTNESS) == 9
    x, y, _ = truth["mnist"]
    pred = cm.predict(corrupt(x, "shear", seed=0)[..., None].astype(np.float32), verbose=0).argmax(1)
    assert r.results["code"]["robustness/shear"]["errors"] == int((pred != y).sum())
    s = r.summary["code"]
    # robustness sets are summarised apart from the primary datasets
    assert s["datasets"] == ["mnist"]
    rob = [r.results["code"][k]["error_pct"] for k in ROBUSTNESS]
    assert math.isclose(s["robustness_mean"], float(np.mean(rob))) and s["robustness_max"] == max(rob)


# ----------------------------------------------------------------- unavailable / strict


def test_unavailable_emnist(data_no_emnist):
    d, truth = data_no_emnist
    r = benchmark({"c": constant_model(2)}, data_dir=d, download=False, verify=False)
    assert r.datasets == ["mnist", "emnist", "combined", "augmented"]
    row = r.results["c"]["emnist"]
    assert row["status"] == "unavailable" and row["errors"] is None and "emnist" in row["note"].lower()
    for name in ("combined", "augmented"):
        row = r.results["c"][name]
        assert row["status"] == "partial" and row["n"] == N_MNIST
        assert row["note"].startswith("MNIST part only: EMNIST unavailable")
        assert r.datasets_info[name]["status"] == "partial"
    assert r.results["c"]["combined"]["errors"] == int((truth["mnist"][1] != 2).sum())
    s = r.summary["c"]
    assert "emnist" not in s["datasets"] and s["partial"] == ["combined", "augmented"]
    md = r.to_markdown()
    assert "unavailable" in md and "MNIST part only" in md and "partial" in md


def test_everything_unavailable_is_an_error_not_an_empty_report(tmp_path):
    from handdigits.datasets import DatasetUnavailable

    with pytest.raises(DatasetUnavailable, match="nothing to evaluate: none of mnist, combined could be loaded"):
        benchmark({"c": constant_model(2)}, datasets=("mnist", "combined"), data_dir=tmp_path, download=False, verify=False)


def test_strict_raises(data_no_emnist):
    d, _ = data_no_emnist
    with pytest.raises(FileNotFoundError, match="EMNIST"):
        benchmark({"c": constant_model(2)}, datasets=("mnist", "combined"), data_dir=d, strict=True, download=False, verify=False)
    # strict is fine when everything requested is there
    r = benchmark({"c": constant_model(2)}, datasets=("mnist",), data_dir=d, strict=True, download=False, verify=False)
    assert r.results["c"]["mnist"]["status"] == "ok"


# ----------------------------------------------------------------- outputs


def test_json_round_trip(data_no_emnist):
    d, _ = data_no_emnist
    r = benchmark({"c": constant_model(2), "code": code_model()}, datasets=("mnist", "emnist", "combined"),
                  data_dir=d, download=False, verify=False)
    text = r.to_json()
    back = BenchmarkResult.from_json(text)
    assert back == r and back.to_json() == text
    assert json.loads(text)["best"] == r.best
    with pytest.raises(ValueError):
        BenchmarkResult.from_dict({"format": "something else"})


def test_plot_writes_png(data_no_emnist, tmp_path):
    pytest.importorskip("matplotlib")
    d, _ = data_no_emnist
    r = benchmark({"c": constant_model(2), "code": code_model()}, datasets=("mnist", "emnist", "augmented"),
                  data_dir=d, download=False, verify=False)
    out = r.plot(tmp_path / "b.png")
    data = (tmp_path / "b.png").read_bytes()
    assert out == tmp_path / "b.png" and data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_plot_without_matplotlib(monkeypatch, data_no_emnist, tmp_path):
    import sys

    d, _ = data_no_emnist
    r = benchmark({"c": constant_model(2)}, datasets=("mnist",), data_dir=d, download=False, verify=False)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "handdigits\[plot\]"'):
        r.plot(tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_progress_to_stderr(data, capsys):
    d, _ = data
    benchmark({"c": constant_model(2)}, datasets=("mnist",), data_dir=d, progress=True, download=False, verify=False)
    captured = capsys.readouterr()
    assert "c · mnist" in captured.err and f"{N_MNIST}/{N_MNIST}" in captured.err and captured.out == ""
    assert "loading MNIST test" in captured.err
    benchmark({"c": constant_model(2)}, datasets=("mnist",), data_dir=d, progress=False, download=False, verify=False)
    assert capsys.readouterr().err == ""


def test_predictions_match_keras_predict():
    from handdigits.evaluation import as_classifier, predict

    m = code_model()
    x = np.random.default_rng(1).integers(0, 256, (37, 28, 28)).astype(np.uint8)
    expected = m.predict(x[..., None].astype(np.float32), verbose=0)
    labels, proba = predict(as_classifier(m), x, batch_size=8)
    np.testing.assert_array_equal(labels, expected.argmax(1))
    np.testing.assert_allclose(proba, expected, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------- model inputs


def test_model_as_path_and_cli(data, tmp_path):
    from handdigits.cli import main

    d, truth = data
    path = tmp_path / "const7.keras"
    constant_model(7).save(path)
    r = benchmark({str(path): str(path)}, datasets=("mnist",), data_dir=d, download=False, verify=False)
    assert r.results[str(path)]["mnist"]["errors"] == int((truth["mnist"][1] != 7).sum())
    out = tmp_path / "r.json"
    rc = main(["benchmark", "--model", str(path), "--datasets", "mnist", "--data-dir", str(d), "--json", str(out),
               "--no-download", "--no-verify"])
    assert rc == 0
    assert json.loads(out.read_text())["results"][str(path)]["mnist"]["errors"] == int((truth["mnist"][1] != 7).sum())


def test_classifier_accepted(data):
    classifier = pytest.importorskip("handdigits.classifier")
    d, truth = data
    clf = classifier.Classifier(constant_model(5))
    r = benchmark({"clf": clf}, datasets=("mnist",), data_dir=d, download=False, verify=False)
    assert r.results["clf"]["mnist"]["errors"] == int((truth["mnist"][1] != 5).sum())


@pytest.mark.parametrize(
    "models, datasets, exc, match",
    [
        ({}, ("mnist",), ValueError, "empty"),
        (42, ("mnist",), TypeError, "expected a handdigits Classifier"),
        ([None], ("mnist",), TypeError, "dict"),
        ({1: None}, ("mnist",), TypeError, "names"),
        ("nope/missing.keras", ("mnist",), FileNotFoundError, "no such file"),
        ("WRONG_OUT", ("mnist",), ValueError, r"\(N, 10\).* scores, got .* output \(None, 5\)"),
        ("WRONG_IN", ("mnist",), ValueError, "28, 28"),
        ("OK", ("cifar",), ValueError, "unknown dataset 'cifar'"),
        ("OK", (), ValueError, "no datasets"),
        ("OK", (3,), TypeError, "strings"),
        ("OK", {"mnist": 1}, TypeError, "sequence"),
    ],
)
def test_bad_inputs(models, datasets, exc, match, tmp_path):
    import keras

    if models == "WRONG_OUT":
        models = constant_model(1, outputs=5)
    elif models == "WRONG_IN":
        inputs = keras.Input((32, 32, 1))
        models = keras.Model(inputs, keras.layers.Dense(10)(keras.layers.Flatten()(inputs)))
    elif models == "OK":
        models = constant_model(1)
    with pytest.raises(exc, match=match):
        benchmark(models, datasets=datasets, data_dir=tmp_path, download=False, verify=False)


@pytest.mark.parametrize("kwargs", [{"seed": -1}, {"seed": 1.5}, {"seed": True}, {"batch_size": 0}, {"batch_size": "8"}])
def test_bad_numbers(kwargs, tmp_path):
    with pytest.raises((TypeError, ValueError), match="seed|batch_size"):
        benchmark(constant_model(1), datasets=("mnist",), data_dir=tmp_path, download=False, verify=False, **kwargs)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(max_size=15), min_size=1, max_size=3).filter(lambda xs: any(x not in DATASETS for x in xs)))
def test_property_unknown_dataset_names(names):
    with pytest.raises(ValueError, match="unknown dataset"):
        benchmark(None, datasets=names)  # names are checked before anything is loaded


# ----------------------------------------------------------------- real data


@pytest.mark.data
def test_real_mnist_constant_model(mnist_test, real_data_dir):
    _, labels = mnist_test
    r = benchmark({"c": constant_model(1)}, datasets=("mnist",), data_dir=real_data_dir, download=False)
    row = r.results["c"]["mnist"]
    assert row["n"] == 10000 and row["errors"] == int((labels != 1).sum())
    np.testing.assert_allclose(row["ci95_pct"], wilson_by_roots(row["errors"], 10000), atol=1e-9)

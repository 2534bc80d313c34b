"""benchmark(data=...): the user's arrays and folders, real-world suites, partial EMNIST, --data on the CLI.

The models here are fakes with ``predict_proba`` (the estimator interface the evaluator uses), so
no TensorFlow is needed; test_benchmark.py covers real Keras models.
"""

from __future__ import annotations

import importlib
import json

import numpy as np
import pytest
from PIL import Image

from handdigits.benchmark import benchmark
from handdigits.datasets import write_idx


bm = importlib.import_module("handdigits.benchmark")  # the module (handdigits.benchmark is the function)


class Brightness:
    """Answers (max pixel // 25) % 10 with probability 0.8; refuses all-equal images when preprocessing."""

    def __init__(self):
        self.preprocess_flags = []

    def predict_proba(self, x, *, preprocess=True, errors="raise"):
        self.preprocess_flags.append(preprocess)
        out = np.full((len(x), 10), 0.2 / 9, np.float32)
        for i, image in enumerate(x):
            image = np.asarray(image)
            if preprocess and image.min() == image.max():
                assert errors == "mark"
                out[i] = np.nan
            else:
                out[i, int(image.max()) // 25 % 10] = 0.8
        return out


def image_of(digit, size=30):
    a = np.zeros((size, size), np.uint8)
    a[5:-5, 10:14] = 25 * digit + 5
    return a


def write_folder(root, digits_and_answers):
    for i, (label, answer) in enumerate(digits_and_answers):
        (root / str(label)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image_of(answer, size=30 + i)).save(root / str(label) / f"{i}.png")
    return root


def test_arrays_and_folder_next_to_each_other(tmp_path):
    folder = write_folder(tmp_path / "forms", [(1, 1), (1, 1), (2, 2), (3, 5)])  # one wrong
    x = np.stack([image_of(d) for d in (4, 4, 6)])
    fake = Brightness()
    r = benchmark({"fake": fake}, datasets=(), data={"mine": (x, [4, 7, 6]), "forms": str(folder)})
    assert r.datasets == ["mine", "forms"]
    mine, forms = r.results["fake"]["mine"], r.results["fake"]["forms"]
    assert (mine["n"], mine["errors"], forms["n"], forms["errors"]) == (3, 1, 4, 1)
    assert set(fake.preprocess_flags) == {True}  # the user's data is always preprocessed
    assert r.datasets_info["forms"]["preprocess"] and r.datasets_info["forms"]["info"]["folder"] == "forms"
    assert mine["ece_pct"] == pytest.approx(100 * abs(2 / 3 - 0.8))
    lo, hi = forms["ci95_pct"]
    assert lo < 25.0 < hi
    md = r.to_markdown()
    assert "| fake | forms | preprocessed | 4 | 1 | 25.00 |" in md and "ECE %" in md
    json.loads(r.to_json())


def test_named_sets_and_data_together_with_preprocess_option(tmp_path):
    (tmp_path / "mnist").mkdir()
    x = np.stack([image_of(d, 28) for d in (1, 2, 3)])
    write_idx(tmp_path / "mnist" / "t10k-images-idx3-ubyte", x)
    write_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte", np.array([1, 2, 0], np.uint8))
    for preprocess in (False, True):
        fake = Brightness()
        r = benchmark({"f": fake}, datasets=("mnist",), data={"mine": (x, [1, 1, 3])}, data_dir=tmp_path,
                      download=False, verify=False, preprocess=preprocess)
        assert fake.preprocess_flags == [preprocess, True]
        assert r.datasets_info["mnist"]["preprocess"] is preprocess and r.results["f"]["mnist"]["errors"] == 1
        assert r.meta["preprocess_named_sets"] is preprocess


@pytest.mark.parametrize("data, exc, match", [
    ({"mnist": (np.zeros((1, 28, 28)), [1])}, ValueError, "already a dataset name"),
    ({"m": (np.zeros((2, 28, 28)), [1])}, ValueError, "2 images but 1 labels"),
    ({"m": (np.zeros((1, 28, 28)), [12])}, ValueError, "labels must be digits 0-9"),
    ({"m": (np.zeros((1, 28, 28)), np.array([[1]]))}, ValueError, "1-D integer array"),
    ({"m": 5}, TypeError, "expected \\(images, labels\\) or a folder path"),
    ({"m": "no/such/folder"}, FileNotFoundError, "does not exist"),
    ([("m", "x")], TypeError, "data must be a dict"),
])
def test_bad_data(data, exc, match):
    with pytest.raises(exc, match=match):
        benchmark({"f": Brightness()}, datasets=(), data=data)


def test_bad_folder_layout_is_reported(tmp_path):
    (tmp_path / "seven").mkdir()
    with pytest.raises(ValueError, match="unexpected: 'seven'"):
        benchmark({"f": Brightness()}, datasets=(), data={"mine": tmp_path})


def test_realworld_suites_through_preprocessing(monkeypatch):
    import handdigits.realworld as realworld

    names = ("realworld/fake", "realworld/empty")

    def load(name, *, n=None, seed=0, data_dir=None):
        if name == "realworld/empty":
            return [np.full((20, 20), 9, np.uint8)] * 3 + [image_of(2)], np.full(4, -1)  # 1 of 4 not refused
        return [image_of(3), image_of(4), image_of(5, 40)], np.array([3, 4, 6])

    monkeypatch.setattr(realworld, "NAMES", names, raising=False)
    monkeypatch.setattr(realworld, "load", load, raising=False)
    monkeypatch.setattr(bm, "REALWORLD", names)
    monkeypatch.setattr(bm, "DATASETS", (*bm.DATASETS, "realworld", *names))
    fake = Brightness()
    r = benchmark({"f": fake}, datasets=("realworld",))
    assert r.datasets == list(names) and set(fake.preprocess_flags) == {True}
    empty = r.results["f"]["realworld/empty"]
    assert (empty["errors"], empty["refused"], empty["refused_pct"]) == (1, 3, 75.0) and empty["ece_pct"] is None
    assert r.results["f"]["realworld/fake"]["errors"] == 1
    assert "realworld/empty" in r.to_markdown() and "3 (75.0 %)" in r.to_markdown()


def test_partial_emnist_is_named_emnist_partial(tmp_path):
    (tmp_path / "mnist").mkdir()
    (tmp_path / "emnist-partial").mkdir()
    x = np.stack([image_of(d, 28) for d in (1, 2, 3, 4)])
    write_idx(tmp_path / "mnist" / "t10k-images-idx3-ubyte", x)
    write_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte", np.array([1, 2, 3, 4], np.uint8))
    write_idx(tmp_path / "emnist-partial" / "emnist-digits-test-100-102-images-idx3-ubyte", x[:3].transpose(0, 2, 1))
    write_idx(tmp_path / "emnist-partial" / "emnist-digits-test-100-102-labels-idx1-ubyte", np.array([1, 2, 0], np.uint8))
    r = benchmark({"f": Brightness()}, data_dir=tmp_path, download=False, verify=False)
    info = r.datasets_info
    assert info["emnist"]["label"] == "emnist-partial" and info["emnist"]["status"] == "partial"
    assert info["emnist"]["note"].startswith("emnist-partial: 3 of 40,000 EMNIST digits test images (indices 100-102)")
    assert info["combined"]["label"] == "combined (mnist + emnist-partial)" and info["combined"]["n"] == 7
    assert r.results["f"]["combined"]["by_source"]["emnist"]["errors"] == 1
    md = r.to_markdown()
    assert "| f | emnist-partial (partial) [1] | raw | 3 | 1 |" in md and "3 of 40,000" in md
    with pytest.raises(FileNotFoundError, match="emnist-partial"):
        benchmark({"f": Brightness()}, datasets=("emnist",), data_dir=tmp_path, download=False, verify=False,
                  strict=True)


def test_cli_data_option(tmp_path, monkeypatch, capsys):
    from handdigits import cli

    folder = write_folder(tmp_path / "forms", [(1, 1), (2, 3)])
    seen = {}

    def fake_benchmark(**kwargs):
        seen.update(kwargs)
        return benchmark({"f": Brightness()}, datasets=kwargs["datasets"], data=kwargs["data"])

    monkeypatch.setattr(bm, "benchmark", fake_benchmark)
    out = tmp_path / "r.json"
    assert cli.main(["benchmark", "--data", f"forms={folder}", "--json", str(out)]) == 0
    assert seen["data"] == {"forms": str(folder)} and seen["datasets"] == ()
    assert json.loads(out.read_text())["results"]["f"]["forms"]["errors"] == 1
    for bad, match in (("forms", "NAME=DIR"), (f"x={tmp_path / 'none'}", "not a directory")):
        with pytest.raises(SystemExit):
            cli.main(["benchmark", "--data", bad])
        assert match in capsys.readouterr().err


class Reader(Brightness):
    """A fake classifier that reads the number whose id is in pixel (0, 0); ``None`` raises like a blank image."""

    def __init__(self, answers):
        super().__init__()
        self.answers = answers

    def read(self, image):
        from types import SimpleNamespace

        from handdigits.preprocess import BlankImageError

        text = self.answers[int(np.asarray(image)[0, 0])]
        if text is None:
            raise BlankImageError("no ink found")
        return SimpleNamespace(text=text)


def test_realworld_numbers_are_read_and_count_only_when_exact(monkeypatch):
    import handdigits.realworld as realworld

    def load(name, *, n=None, seed=0, data_dir=None):
        assert name == "realworld/numbers"
        return [np.full((8, 8), k, np.uint8) for k in range(5)], np.array(["12", "345", "7", "88", "2024"])

    monkeypatch.setattr(realworld, "load", load)
    assert "realworld/numbers" in bm.DATASETS and "realworld/numbers" not in bm.REALWORLD
    r = benchmark({"f": Reader(["12", "354", None, "88", "202"])}, datasets=("realworld/numbers",))
    row = r.results["f"]["realworld/numbers"]
    assert (row["n"], row["errors"], row["refused"], row["ece_pct"]) == (5, 3, 1, None)
    assert row["error_pct"] == pytest.approx(60.0) and row["refused_pct"] == pytest.approx(20.0)
    assert r.summary["f"]["max"] == pytest.approx(60.0) and r.summary["f"]["realworld_mean"] is None
    assert "read exactly" in r.to_markdown()
    with pytest.raises(TypeError, match="cannot read whole numbers"):
        benchmark({"b": Brightness()}, datasets=("realworld/numbers",))

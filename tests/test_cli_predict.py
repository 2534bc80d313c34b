"""`handdigits predict` (cli._run_predict) on the bundled samples."""

from __future__ import annotations

import json

import numpy as np
import pytest

from handdigits import cli
from handdigits.samples import list_samples, true_digit


def run(capsys, *argv):
    status = cli.main(["predict", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_json_output_lists_top_k_for_each_image(capsys):
    samples = [str(p) for p in list_samples()[:3]]
    status, out, _ = run(capsys, *samples, "--top-k", "3", "--json")
    assert status == 0
    results = json.loads(out)
    assert [r["image"] for r in results] == samples
    for r in results:
        probs = [t["probability"] for t in r["top_k"]]
        assert len(r["top_k"]) == 3 and probs == sorted(probs, reverse=True)
        assert r["digit"] == r["top_k"][0]["digit"]
        assert len({t["digit"] for t in r["top_k"]}) == 3
        assert 0 < sum(probs) <= 1 + 1e-6


def test_text_output_and_a_missing_file_sets_status_1(capsys, tmp_path):
    sample = str(list_samples()[0])
    missing = str(tmp_path / "missing.png")
    status, out, err = run(capsys, sample, missing, "--top-k", "2")
    assert status == 1
    assert missing in err and "not found" in err
    (line,) = out.strip().splitlines()
    assert line.startswith(f"{sample}: ") and "next: " in line and "%" in line


def test_blank_image_is_reported_not_crashed(capsys, tmp_path):
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((40, 40), 255, np.uint8)).save(blank)
    status, out, err = run(capsys, str(blank))
    assert status == 1 and "no ink found" in err and out.strip() in ("", "[]")


def test_top_k_bounds_are_checked(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["predict", str(list_samples()[0]), "--top-k", "11"])
    assert exc.value.code == 2
    assert "--top-k" in capsys.readouterr().err


def test_model_option_uses_that_model(capsys, tmp_path):
    import keras

    inputs = keras.Input((28, 28, 1))
    outputs = keras.layers.Dense(10, activation="softmax", kernel_initializer="zeros", bias_initializer="zeros")(
        keras.layers.Flatten()(inputs)
    )
    path = tmp_path / "uniform.keras"
    keras.Model(inputs, outputs).save(path)
    status, out, _ = run(capsys, str(list_samples()[1]), "--model", str(path), "--json")
    assert status == 0
    (result,) = json.loads(out)
    assert result["top_k"][0]["probability"] == pytest.approx(0.1, abs=1e-6)  # a uniform model, not the bundled one


def test_bundled_model_names_each_sample_correctly(capsys):
    """needs the real bundled model"""
    samples = list_samples()
    status, out, _ = run(capsys, *map(str, samples), "--json")
    assert status == 0
    assert [r["digit"] for r in json.loads(out)] == [true_digit(p) for p in samples]

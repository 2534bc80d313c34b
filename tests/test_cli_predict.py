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
    assert err == f"handdigits predict: error: {missing}: file not found\n"
    (line,) = out.strip().splitlines()
    assert line.startswith(f"{sample}: 0 (") and "next: " in line and "%" in line


def _blank(tmp_path):
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((40, 40), 255, np.uint8)).save(blank)
    return str(blank)


def test_blank_image_is_reported_not_crashed(capsys, tmp_path):
    blank = _blank(tmp_path)
    status, out, err = run(capsys, blank)
    assert (status, out) == (1, "")
    assert err.startswith(f"handdigits predict: error: {blank}: no ink found") and err.count("\n") == 1


def test_many_files_one_record_each_failures_included(capsys, tmp_path):
    """Issue 10: a bad file among many is reported in its place; the others are still classified."""
    samples = [str(p) for p in list_samples()]
    undecodable = tmp_path / "notes.png"
    undecodable.write_text("not an image")
    missing, blank = str(tmp_path / "missing.png"), _blank(tmp_path)
    argv = [samples[3], blank, samples[5], missing, str(undecodable), samples[7]]
    status, out, err = run(capsys, *argv, "--json")
    assert status == 1
    records = json.loads(out)
    assert [r["image"] for r in records] == argv
    assert [r["digit"] for r in records] == [3, None, 5, None, None, 7]
    assert [r["error"] is None for r in records] == [True, False, True, False, False, True]
    assert records[1]["error"].startswith("no ink found") and records[1]["top_k"] == []
    assert records[3]["error"] == "file not found"
    assert records[4]["error"].startswith("cannot decode the file as an image (UnidentifiedImageError)")
    assert str(undecodable) not in records[4]["error"]  # named once, by the record
    # the same failures, one line each, on stderr; each file named once
    assert err.splitlines() == [f"handdigits predict: error: {r['image']}: {r['error']}" for r in records if r["error"]]


def test_many_files_text_output_one_line_per_classified_file(capsys, tmp_path):
    samples = [str(p) for p in list_samples()]
    status, out, err = run(capsys, samples[1], _blank(tmp_path), samples[2])
    assert status == 1
    lines = out.splitlines()
    assert [line.split(": ")[0] for line in lines] == [samples[1], samples[2]]
    assert [int(line.split(": ")[1].split(" ")[0]) for line in lines] == [1, 2]
    assert len(err.splitlines()) == 1 and "blank.png: no ink found" in err


def test_stdin_dash(capsys, monkeypatch):
    import io

    sample = list_samples()[4]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(sample.read_bytes())))
    status, out, err = run(capsys, "-", "--top-k", "2")
    assert (status, err) == (0, "")
    assert out.startswith("<stdin>: 4 (") and "next: " in out


def test_undecodable_stdin(capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"hello")))
    status, out, err = run(capsys, "-")
    assert (status, out) == (1, "")
    assert err == ("handdigits predict: error: <stdin>: cannot decode 5 bytes as an image (UnidentifiedImageError); "
                   "expected a PNG, JPEG or other image file Pillow can read\n")


def test_show_saves_the_side_by_side_picture(capsys, tmp_path):
    from PIL import Image

    from handdigits.preprocess import to_mnist, trace

    sample = list_samples()[5]
    picture = tmp_path / "seen.png"
    status, out, _ = run(capsys, str(sample), "--show", str(picture))
    assert status == 0 and out.startswith(f"{sample}: 5 (")
    with Image.open(picture) as img:
        shown = np.asarray(img.convert("RGB"))
    expected = np.asarray(trace(sample).figure())
    assert shown.shape == expected.shape and np.array_equal(shown, expected)
    # the right-hand panel is the 28x28 image the model saw, magnified
    h = shown.shape[0]
    seen = shown[:, -h:, 0][h // 56 :: h // 28, h // 56 :: h // 28]
    assert np.array_equal(seen, to_mnist(sample))


def test_show_with_several_images_writes_one_picture_each_into_a_directory(capsys, tmp_path):
    samples = [str(p) for p in list_samples()[:2]]
    blank = _blank(tmp_path)
    out_dir = tmp_path / "seen"
    out_dir.mkdir()
    status, out, _ = run(capsys, *samples, blank, "--show", str(out_dir), "--json")
    assert status == 1
    records = json.loads(out)
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == sorted(["0-screen-white-on-black.show.png", "1-paper-photo.show.png", "blank.show.png"])
    assert [r["show"] for r in records] == [str(out_dir / n) for n in
                                            ("0-screen-white-on-black.show.png", "1-paper-photo.show.png",
                                             "blank.show.png")]


@pytest.mark.parametrize("case", ["several-images-file", "overwrite-input", "missing-directory"])
def test_show_usage_errors(capsys, tmp_path, case):
    samples = [str(p) for p in list_samples()[:2]]
    blank = _blank(tmp_path)
    argv, message = {
        "several-images-file": ([*samples, "--show", str(tmp_path / "x.png")],
                                f"--show: with several images, give an existing directory for the pictures, "
                                f"got '{tmp_path / 'x.png'}'"),
        "overwrite-input": ([blank, "--show", blank], f"--show would overwrite the input image '{blank}'"),
        "missing-directory": ([samples[0], "--show", str(tmp_path / "no" / "x.png")],
                              f"--show: the directory of '{tmp_path / 'no' / 'x.png'}' does not exist"),
    }[case]
    with pytest.raises(SystemExit) as exc:
        cli.main(["predict", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: handdigits predict")
    assert err.splitlines()[-1] == f"handdigits predict: error: {message}"


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
    records = json.loads(out)
    assert [r["digit"] for r in records] == [true_digit(p) for p in samples]
    assert [r["error"] for r in records] == [None] * len(samples)


def test_threads_option_reaches_the_classifier_and_bad_counts_are_usage_errors(capsys, monkeypatch):
    from handdigits.cli import _common

    seen = []
    real = _common.load_classifier
    monkeypatch.setattr(_common, "load_classifier", lambda path, threads=None, **options: seen.append(threads) or real(path, threads, **options))
    samples = [str(p) for p in list_samples()[:2]]
    status, out, _ = run(capsys, *samples, "--json", "--threads", "2")
    assert status == 0 and seen == [2]
    assert [r["digit"] for r in json.loads(out)] == [true_digit(p) for p in list_samples()[:2]]
    for bad in ("0", "two", "257"):
        with pytest.raises(SystemExit) as info:
            run(capsys, samples[0], "--threads", bad)
        assert info.value.code == 2
        assert f"argument --threads: expected a whole number from 1 to 256, got '{bad}'" in capsys.readouterr().err


def _hash_sign(tmp_path):
    """A "#" drawn with a pen: ink the preprocessing keeps, and a shape the bundled model doubts is a digit."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (120, 120), 255)
    draw = ImageDraw.Draw(img)
    for at in (45, 75):
        draw.line([(at, 15), (at, 105)], fill=0, width=5)
        draw.line([(15, at), (105, at)], fill=0, width=5)
    path = tmp_path / "hash.png"
    img.save(path)
    return str(path)


def test_min_confidence_auto_answers_not_sure_for_a_non_digit(capsys, tmp_path):
    samples = [str(p) for p in list_samples()[:3]]
    sign = _hash_sign(tmp_path)
    status, out, err = run(capsys, sign, *samples, "--min-confidence", "auto", "--json")
    assert (status, err) == (0, "")  # a doubt is an answer, not a failure
    doubted, *digits = json.loads(out)
    assert (doubted["digit"], doubted["sure"], doubted["error"]) == (None, False, None)
    assert len(doubted["top_k"]) == 1  # the probabilities are still given
    assert [(r["digit"], r["sure"]) for r in digits] == [(true_digit(p), True) for p in samples]
    # without the option the same image gets its most likely digit
    status, out, _ = run(capsys, sign, "--json")
    (plain,) = json.loads(out)
    assert plain["sure"] is True and plain["digit"] == plain["top_k"][0]["digit"] == doubted["top_k"][0]["digit"]
    status, out, _ = run(capsys, sign, "--min-confidence", "auto", "--top-k", "2")
    assert status == 0 and out.startswith(f"{sign}: not sure, most likely {plain['digit']} (") and "next: " in out


def test_min_confidence_number_is_the_least_confidence_answered(capsys, tmp_path):
    from handdigits import Classifier

    sign = _hash_sign(tmp_path)
    confidence = Classifier().confidence(sign)
    assert 1e-6 < confidence < 0.5  # the model finds it no digit: P(digit) x P(top digit | digit) is small
    for limit, sure in ((confidence / 2, True), (2 * confidence, False)):
        status, out, _ = run(capsys, sign, "--min-confidence", f"{limit:.9f}", "--json")
        (record,) = json.loads(out)
        assert (status, record["sure"], record["digit"] is None) == (0, sure, not sure)

"""Tests of the reader's pair candidates (handdigits.reading.pairs), their decoding, data and model plumbing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handdigits.reading import decode, pairs
from handdigits.reading.segment import _Plan, _Run


# ---------------------------------------------------------------------- crops


def test_pair_image_fits_a_wide_blob_into_the_wide_box():
    v = np.zeros((60, 200))
    v[10:50, 20:180] = 1.0  # 40 x 160: twice as wide as the box's 1:2, so the width decides
    out = pairs.pair_image(v)
    assert out.shape == pairs.PAIR_SHAPE and out.dtype == np.uint8
    cols = np.flatnonzero((out > 127).any(0))
    rows = np.flatnonzero((out > 127).any(1))
    assert cols[-1] - cols[0] + 1 == pairs.PAIR_BOX[1]  # 40 columns
    assert 9 <= rows[-1] - rows[0] + 1 <= 11  # 40/160 of 40 = 10 rows
    ys, xs = np.nonzero(out)
    w = out[ys, xs].astype(float)
    assert abs(np.average(ys, weights=w) - 14) <= 1 and abs(np.average(xs, weights=w) - 24) <= 1


def test_pair_image_of_a_tall_blob_is_20_rows_high():
    v = np.zeros((100, 100))
    v[10:90, 45:55] = 1.0  # a tall bar: the box's height decides
    out = pairs.pair_image(v)
    rows = np.flatnonzero((out > 127).any(1))
    assert rows[-1] - rows[0] + 1 == pairs.PAIR_BOX[0]


def test_pair_image_without_ink_is_zeros():
    assert not pairs.pair_image(np.zeros((30, 40))).any()
    assert not pairs.pair_image(np.full((30, 40), 0.04)).any()  # under the ink level


@settings(max_examples=30, deadline=None)
@given(h=st.integers(3, 80), w=st.integers(3, 160), seed=st.integers(0, 2**16))
def test_pair_image_always_gives_the_model_input(h, w, seed):
    v = np.random.default_rng(seed).random((h, w))
    out = pairs.pair_image(v)
    assert out.shape == (28, 48) and out.dtype == np.uint8 and out.any()


# ---------------------------------------------------------------------- candidates


def _run(width=1.0, height=1.0, joins=(), i=0, j=1, box=(0, 0, 100, 50)):
    return _Run(i, j, width, height, box, list(joins), 0)


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        (_run(width=0.9), True),  # a merged blob: one atom, no join
        (_run(width=0.9, joins=[(-0.5, False)]), True),  # two components overlapping
        (_run(width=0.9, joins=[(0.1, False)]), False),  # two components with a gap: apart digits
        (_run(width=0.9, joins=[(-0.2, False)]), False),  # barely overlapping: apart as well
        (_run(width=0.7), False),  # one digit's width
        (_run(width=0.9, height=0.5), False),  # too low for digits of the line
    ],
)
def test_is_candidate(run, expected):
    assert pairs.is_candidate(run, ref_width=1.0) is expected


def test_split_sums_over_the_other_digit():
    p = np.zeros(101)
    p[37], p[39], p[100] = 0.3, 0.2, 0.5
    ab, first, second = pairs.split(p)
    assert ab == 37
    assert first[3] == pytest.approx(1.0) and first.sum() == pytest.approx(1.0)
    assert second[7] == pytest.approx(0.6) and second[9] == pytest.approx(0.4)


# ---------------------------------------------------------------------- decoding


def _one_blob_plan():
    """A plan of one atom (a blob no cut parted) that is also a pair candidate."""
    run = _run(width=1.1, box=(10, 5, 90, 55))
    return _Plan(1, [run], [np.zeros((28, 28), np.uint8)], np.zeros(1), 0.55, [0], [np.zeros((28, 48), np.uint8)])


def _digit(d, conf):
    p = np.full(10, (1 - conf) / 9, np.float32)
    p[d] = conf
    return p


def test_decoder_reads_a_confident_pair_as_two_digits():
    plan = _one_blob_plan()
    pp = np.zeros((1, 101), np.float32)
    pp[0, 67], pp[0, 61], pp[0, 100] = 0.8, 0.1, 0.1
    reading = decode._decode(plan, _digit(8, 0.3)[None], np.array([0.3]), None, None, pp)
    assert reading.text == "67"
    first, second = reading.digits
    assert first.box == (10, 5, 50, 55) and second.box == (50, 5, 90, 55)  # the run's box halved
    assert first.confidence == pytest.approx(0.9) and second.confidence == pytest.approx(0.8)
    assert reading.confidence == pytest.approx(0.72)


def test_decoder_keeps_the_single_digit_when_it_is_likelier_or_pairs_are_off():
    plan = _one_blob_plan()
    pp = np.zeros((1, 101), np.float32)
    pp[0, 67], pp[0, 100] = 0.2, 0.8  # mostly "not a pair"
    assert decode._decode(plan, _digit(8, 0.9)[None], np.array([0.9]), None, None, pp).text == "8"
    pp[0, 67], pp[0, 100] = 0.95, 0.05
    assert decode._decode(plan, _digit(8, 0.9)[None], np.array([0.9]), None, None, None).text == "8"


def test_expected_length_may_come_from_a_pair():
    plan = _one_blob_plan()
    pp = np.zeros((1, 101), np.float32)
    pp[0, 20], pp[0, 100] = 0.01, 0.99
    assert decode._decode(plan, _digit(8, 0.9)[None], np.array([0.9]), None, 2, pp).text == "20"
    with pytest.raises(ValueError, match="at most 1 parts"):
        decode._decode(plan, _digit(8, 0.9)[None], np.array([0.9]), None, 2, None)
    assert decode._decode(plan, _digit(8, 0.9)[None], np.array([0.9]), 1, None, pp).text == "8"  # max_digits


def test_pair_cost_shifts_the_choice():
    plan = _one_blob_plan()
    pp = np.zeros((1, 101), np.float32)
    pp[0, 67], pp[0, 100] = 0.5, 0.5  # -log 0.5 = 0.69 against a single digit at -log 0.45 = 0.80
    single = (_digit(8, 0.45)[None], np.array([0.45]))
    assert decode._decode(plan, *single, None, None, pp).text == "67"
    old = decode._PAIR_COST
    try:
        decode._PAIR_COST = 0.2
        assert decode._decode(plan, *single, None, None, pp).text == "8"
    finally:
        decode._PAIR_COST = old


# ---------------------------------------------------------------------- training data


def _bars():
    digits = np.zeros((4, 28, 28), np.uint8)
    digits[:, 4:24, 12:16] = 255  # a "1"-like bar
    digits[2:, 4:8, 6:22] = 255  # with a top bar: a "7"-like one
    return digits, np.array([1, 1, 7, 7])


def test_touching_pairs_are_labelled_with_their_digits_and_reproducible():
    from handdigits.datasets.rendered import touching_pairs

    digits, labels = _bars()
    x, y = touching_pairs(digits, labels, 80, seed=3)
    assert x.shape == (80, 28, 48) and x.dtype == np.uint8 and y.dtype == np.int64
    assert set(y.tolist()) <= {11, 17, 71, 77, pairs.NOT_A_PAIR}
    assert 0.1 <= np.mean(y == pairs.NOT_A_PAIR) <= 0.45  # a quarter on average
    assert x.reshape(80, -1).any(1).all()
    x2, y2 = touching_pairs(digits, labels, 80, seed=3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    x3, _ = touching_pairs(digits, labels, 80, seed=4)
    assert not np.array_equal(x, x3)


def test_a_pair_crop_is_wider_than_a_single_digit_crop():
    from handdigits.datasets.rendered import touching_pairs

    digits, labels = _bars()
    x, y = touching_pairs(digits[2:], labels[2:], 120, seed=0)  # 7s: 16 px wide, 20 tall
    width = [np.ptp(np.flatnonzero(im.any(0))) + 1 for im in x]
    pair = y != pairs.NOT_A_PAIR
    assert np.median(np.array(width)[pair]) > 25  # two digits side by side fill most of the 40-px box


# ---------------------------------------------------------------------- model plumbing


def test_pair_model_shapes_and_feature_transfer():
    from handdigits import models

    net = models.build_pair_model(seed=0)
    assert net.input_shape == (None, 28, 48, 1) and net.output_shape == (None, models.PAIR_CLASSES)
    digit = models.build("bn_cnn", seed=1)
    head = net.layers[-1].get_weights()[0].copy()
    copied = models.transfer_features(digit, net)
    assert copied == len([layer for layer in net.layers if layer.weights]) - 1
    first = next(layer for layer in net.layers if layer.weights)
    np.testing.assert_array_equal(first.get_weights()[0], next(layer for layer in digit.layers if layer.weights).get_weights()[0])
    np.testing.assert_array_equal(net.layers[-1].get_weights()[0], head)  # the head is left as built


def test_runtimes_check_the_model_kind():
    from handdigits import models
    from handdigits.model_files import check_keras_model
    from handdigits.runtime import from_keras

    net = models.build_pair_model(seed=0)
    rt = from_keras(net, kind="pairs")
    assert rt.outputs == 101 and rt.image_shape == (28, 48)
    out = rt(np.zeros((2, 28, 48, 1), np.float32))
    assert out.shape == (2, 101)
    with pytest.raises(ValueError, match=r"\(N, 28, 48, 1\)"):
        rt(np.zeros((2, 28, 28, 1), np.float32))
    with pytest.raises(ValueError, match=r"\(N, 28, 28, 1\).*\(N, 10\) or \(N, 11\)"):
        check_keras_model(net)  # a pair model is no digit model
    with pytest.raises(ValueError, match=r"\(N, 101\)"):
        check_keras_model(models.build("bn_cnn"), "pairs")
    with pytest.raises(ValueError, match="model kind"):
        from_keras(net, kind="triples")


def test_pair_model_false_reads_single_digits_only():
    from handdigits import Classifier

    assert Classifier(pair_model=False).pair_reader is None
    with pytest.raises(TypeError, match="pair_model"):
        Classifier(pair_model=3)


@pytest.mark.slow
def test_train_pair_model_writes_a_loadable_run_and_resumes(real_data_dir, tmp_path, capsys):
    from handdigits.adapter import ModelAdapter
    from handdigits.train.pair_model import main

    out = tmp_path / "run"
    args = ["--data-dir", str(real_data_dir), "--no-download", "--output", str(out), "--pairs", "64",
            "--validation-pairs", "32", "--limit", "300", "--verbose", "0"]
    assert main([*args, "--epochs", "1"]) == 0
    assert (out / "backup" / "epoch-1.keras").is_file()
    assert main([*args, "--epochs", "2"]) == 0  # goes on from epoch 1
    assert "resuming after epoch 1" in capsys.readouterr().out
    import json

    meta = json.loads((out / "metadata.json").read_text())
    assert meta["architecture"]["classes"] == 101 and meta["recipe"]["epochs"] == 2
    assert meta["data"]["pairs"] == 64 and meta["validation"]["n"] == 32
    assert meta["command"].startswith("python -m handdigits.train.pair_model --data-dir")
    adapter = ModelAdapter(out / "model.keras", kind="pairs", fast_path=False)  # its sha256 checked
    assert adapter.forward(np.zeros((3, 28, 48, 1), np.float32)).shape == (3, 101)
    with pytest.raises(ValueError, match=r"\(N, 28, 28, 1\)"):
        ModelAdapter(out / "model.keras")  # not a digit model


def test_pair_model_may_be_a_keras_model_and_survives_pickling():
    import pickle

    from handdigits import Classifier, models

    net = models.build_pair_model(seed=0)
    clf = Classifier(pair_model=net)
    assert clf.pair_reader.kind == "pairs" and clf.pair_reader.live
    again = pickle.loads(pickle.dumps(clf))
    x = np.random.default_rng(0).random((2, 28, 48, 1)).astype(np.float32) * 255
    np.testing.assert_allclose(again.pair_reader.forward(x), clf.pair_reader.forward(x), atol=1e-5)
    with pytest.raises(ValueError, match=r"\(N, 101\)"):
        Classifier(pair_model=models.build("bn_cnn"))  # a digit model is no pair model

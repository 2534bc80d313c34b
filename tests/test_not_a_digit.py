"""The "not a digit" output refitted alone (handdigits.train.not_a_digit): digit answers must not move."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from handdigits.train import fit_column, refit_not_a_digit
from handdigits.train.not_a_digit import refit_run


def _loss(f, offset, t, w, b):
    z = f @ w + b + offset
    return float((np.logaddexp(0.0, z) - t * z).mean())


def test_fit_column_reaches_the_regularised_optimum():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(400, 3))
    offset = rng.normal(size=400)
    t = (f @ np.array([2.0, -1.0, 0.0]) + 0.5 + rng.normal(scale=0.5, size=400) > 0).astype(float)
    w0, b0, l2 = np.zeros(3), 0.0, 1e-3
    w, b, rec = fit_column(f, offset, t, w0, b0, l2=l2)
    # at the optimum the gradient of loss + l2/2 |v - v0|^2 vanishes
    p = 1.0 / (1.0 + np.exp(-(f @ w + b + offset)))
    grad = np.concatenate([f.T @ (p - t) / len(t) + l2 * (w - w0), [(p - t).mean() + l2 * (b - b0)]])
    assert np.abs(grad).max() < 1e-5
    assert w[0] > 1.0 and w[1] < -0.5 and abs(w[2]) < 0.3  # the signs of the rule the labels follow
    assert rec["loss_after"] < rec["loss_before"] == pytest.approx(_loss(f, offset, t, w0, b0), abs=1e-6)
    # a strong pull keeps the column where it started
    w_held, b_held, _ = fit_column(f, offset, t, np.ones(3), 0.2, l2=1e3)
    np.testing.assert_allclose(w_held, np.ones(3), atol=2e-3)
    assert b_held == pytest.approx(0.2, abs=2e-3)
    with pytest.raises(ValueError, match="l2"):
        fit_column(f, offset, t, w0, b0, l2=-1.0)


def test_fit_column_weights_count_like_repeated_examples():
    rng = np.random.default_rng(3)
    f, offset = rng.normal(size=(50, 2)), rng.normal(size=50)
    t = (rng.random(50) < 0.4).astype(float)
    weights = np.ones(50)
    weights[:5] = 3.0
    w, b, _ = fit_column(f, offset, t, np.zeros(2), 0.0, weights=weights)
    rep = np.r_[np.arange(50), np.repeat(np.arange(5), 2)]  # the first five three times
    w_rep, b_rep, _ = fit_column(f[rep], offset[rep], t[rep], np.zeros(2), 0.0)
    np.testing.assert_allclose(w, w_rep, atol=1e-6)
    assert b == pytest.approx(b_rep, abs=1e-6)
    w_eq, _, _ = fit_column(f, offset, t, np.zeros(2), 0.0)
    assert np.abs(w - w_eq).max() > 1e-3  # the weights did change the fit


def _tiny_model(outputs: int, seed: int = 0):
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Rescaling(1 / 255),  # moderate logits: no probability underflows in float32
        keras.layers.Flatten(),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(outputs, activation="softmax", name="probabilities"),
    ])


def test_refit_moves_only_the_not_a_digit_output():
    from handdigits.decision import digit_proba, not_digit_proba

    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, size=(300, 28, 28)).astype(np.uint8)
    y = rng.integers(0, 10, size=300)
    x[:100] = 0  # the "non-digits": blank, which the features tell apart
    y[:100] = 10
    net = _tiny_model(11)
    xin = x.astype(np.float32)[..., None]
    before = net.predict(xin, verbose=0)
    kernel_before = net.get_layer("probabilities").get_weights()[0].copy()
    records = refit_not_a_digit(net, x, y, l2=1e-4)
    after = net.predict(xin, verbose=0)
    assert len(records) == 1 and records[0]["loss_after"] < records[0]["loss_before"]
    np.testing.assert_allclose(digit_proba(after), digit_proba(before), atol=1e-5)  # every digit answer kept
    kernel_after = net.get_layer("probabilities").get_weights()[0]
    np.testing.assert_array_equal(kernel_after[:, :10], kernel_before[:, :10])
    assert not np.array_equal(kernel_after[:, 10], kernel_before[:, 10])
    nd = not_digit_proba(after)
    assert nd[:100].mean() > 0.8 and nd[:100].mean() > 2 * nd[100:].mean()  # learnt which are not digits
    assert nd[:100].mean() > not_digit_proba(before)[:100].mean()
    with pytest.raises(ValueError, match="no 'not a digit' output"):
        refit_not_a_digit(_tiny_model(10), x, y)


def test_refit_run_needs_the_models_metadata_and_records_the_refit(tmp_path, monkeypatch):
    from handdigits.assembly import DataSpec
    from handdigits.train import not_a_digit

    net = _tiny_model(11)
    init = tmp_path / "init" / "model.keras"
    init.parent.mkdir()
    net.save(init)
    data = DataSpec("mnist", data_dir=tmp_path, download=False)
    with pytest.raises(FileNotFoundError, match="no metadata.json"):
        refit_run(init, data, output=tmp_path / "out", evaluate=False)
    (init.parent / "metadata.json").write_text(json.dumps(
        {"format": "handdigits-model/1", "architecture": {"name": "tiny", "classes": 11},
         "recipe": {"epochs": 1}, "calibration": {"temperature": 1.5, "applied": True}, "wall_seconds": 10.0}))
    rng = np.random.default_rng(2)
    xt = rng.integers(0, 256, size=(60, 28, 28)).astype(np.uint8)
    yt = np.arange(60) % 11
    validation = (xt[:30], yt[:30], np.array(["mnist"] * 30))
    monkeypatch.setattr(DataSpec, "load", lambda self, log=print: ((xt, yt), validation, {"used": ["mnist"]}))
    meta = refit_run(init, data, output=tmp_path / "out", evaluate=False, command="cmd")
    written = json.loads((tmp_path / "out" / "metadata.json").read_text())
    assert written["sha256"] == meta["sha256"] and (tmp_path / "out" / "model.keras").is_file()
    refit = written["recipe"]["refit_not_a_digit"]
    assert refit["init_from"]["file"] == "model.keras" and refit["command"] == "cmd" and len(refit["members"]) == 1
    assert written["recipe"]["epochs"] == 1 and written["calibration"]["temperature"] == 1.5
    assert written["architecture"]["name"] == "tiny" and written["wall_seconds"] >= 10.0
    assert "reject" in written and "validation" in written
    with pytest.raises(FileExistsError):
        refit_run(init, data, output=tmp_path / "out", evaluate=False)
    assert not_a_digit.L2 > 0


def test_refit_flag_needs_init_from_with_metadata_and_output(capsys, tmp_path):
    from handdigits.train.cli import build_parser, run_from_args

    parser = build_parser()
    with pytest.raises(SystemExit):
        run_from_args(parser.parse_args(["--refit-not-a-digit", "--output", "x"]), parser)
    assert "--refit-not-a-digit needs --init-from" in capsys.readouterr().err
    model = tmp_path / "model.keras"
    model.write_bytes(b"not checked before the metadata")
    with pytest.raises(SystemExit):
        run_from_args(parser.parse_args(["--refit-not-a-digit", "--init-from", str(model), "--output", "x"]), parser)
    assert "has no metadata.json beside it" in capsys.readouterr().err


def test_refit_flag_passes_the_data_options_to_refit_run(tmp_path, monkeypatch):
    from handdigits.train import not_a_digit
    from handdigits.train.cli import build_parser, command_line, run_from_args

    model = tmp_path / "model.keras"
    model.write_bytes(b"")
    (tmp_path / "metadata.json").write_text("{}")
    seen = {}
    monkeypatch.setattr(not_a_digit, "refit_run", lambda init, data, **kw: seen.update(init=init, data=data, **kw))
    parser = build_parser()
    args = parser.parse_args(["--refit-not-a-digit", "--init-from", str(model), "--output", str(tmp_path / "out"),
                              "--numbers", "7", "--nondigits", "3", "--datasets", "mnist", "--no-eval"])
    assert run_from_args(args, parser) == 0
    assert seen["init"] == str(model) and seen["output"] == str(tmp_path / "out")
    assert (seen["data"].numbers, seen["data"].nondigits, seen["data"].datasets) == (7, 3, "mnist")
    assert seen["evaluate"] is False and seen["overwrite"] is False
    assert seen["command"] == command_line(sys.argv)  # the command as typed is recorded

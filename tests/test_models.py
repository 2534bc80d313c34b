"""Tests for handdigits.models: the named architectures."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from handdigits import models

NAMES = ("baseline", "bn_cnn", "resnet_small")
MAX_SAVED_BYTES = 5 * 1024 * 1024


@pytest.fixture(scope="module", params=NAMES)
def built(request):
    return request.param, models.build(request.param, seed=1)


def test_available_lists_the_three_architectures():
    assert models.available() == sorted(NAMES)


def test_import_does_not_load_tensorflow():
    code = "import sys, handdigits.models, handdigits.train; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_shapes_and_softmax(built):
    name, net = built
    assert tuple(net.input_shape) == (None, 28, 28, 1)
    assert tuple(net.output_shape) == (None, 10)
    x = np.random.default_rng(0).uniform(0, 255, size=(5, 28, 28, 1)).astype(np.float32)
    probs = np.asarray(net(x, training=False))
    assert probs.shape == (5, 10)
    assert (probs >= 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_inputs_are_rescaled_internally(built):
    # a [0, 255] image and the same image in [0, 1] must not give the same output:
    # the model expects [0, 255] and divides by 255 itself
    name, net = built
    x = np.random.default_rng(1).uniform(0, 255, size=(2, 28, 28, 1)).astype(np.float32)
    rescale = next(layer for layer in net.layers if type(layer).__name__ == "Rescaling")
    assert rescale.scale == pytest.approx(1 / 255)
    inner = np.asarray(rescale(x))
    np.testing.assert_allclose(inner, x / 255.0, rtol=1e-6)


def test_small_when_saved_and_reloads(built, tmp_path):
    import keras

    name, net = built
    assert 10_000 < net.count_params() < MAX_SAVED_BYTES // 4
    path = tmp_path / f"{name}.keras"
    net.save(path)
    assert path.stat().st_size < MAX_SAVED_BYTES
    again = keras.models.load_model(path)
    x = np.random.default_rng(2).uniform(0, 255, size=(3, 28, 28, 1)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(again(x)), np.asarray(net(x)), atol=1e-6)


def _weights(net):
    return [w.numpy() for w in net.weights]


@pytest.mark.parametrize("name", NAMES)
def test_seed_gives_identical_initial_weights(name):
    a = _weights(models.build(name, seed=7))
    b = _weights(models.build(name, seed=7))
    c = _weights(models.build(name, seed=8))
    assert len(a) == len(b) == len(c) > 0
    for wa, wb in zip(a, b):
        np.testing.assert_array_equal(wa, wb)
    # a different seed changes at least the (randomly initialised) kernels
    assert any(not np.array_equal(wa, wc) for wa, wc in zip(a, c))


def test_models_have_distinct_names_and_descriptions():
    built_names = {models.build(n).name for n in NAMES}
    assert built_names == set(NAMES)
    descriptions = {models.describe(n) for n in NAMES}
    assert len(descriptions) == len(NAMES) and all(descriptions)


@pytest.mark.parametrize("bad", ["nope", "BN_CNN", "", None, 3])
@pytest.mark.parametrize("func", [models.build, models.describe, models.recipe_defaults])
def test_unknown_name_lists_available(func, bad):
    with pytest.raises(ValueError) as info:
        func(bad)
    message = str(info.value)
    assert repr(bad) in message
    for name in NAMES:
        assert name in message


def test_parameter_counts_match_descriptions():
    import re

    for name in NAMES:
        m = re.search(r"~(\d+)k parameters", models.describe(name))
        if m:
            assert models.build(name).count_params() == pytest.approx(int(m.group(1)) * 1000, rel=0.05)


def test_recipe_defaults_are_positive_and_a_copy():
    for name in NAMES:
        d = models.recipe_defaults(name)
        assert d["epochs"] > 0 and d["batch_size"] > 0
        d["epochs"] = -1
        assert models.recipe_defaults(name)["epochs"] > 0


def test_eleven_classes_and_bad_class_counts():
    net = models.build("seed", seed=0, classes=11)
    assert tuple(net.output_shape) == (None, 11)
    with pytest.raises(ValueError, match="classes must be one of"):
        models.build("seed", classes=12)


def test_transfer_weights_grows_the_head_and_keeps_the_digits():
    small = models.build("seed", seed=0)
    big = models.build("seed", seed=5, classes=11)
    assert models.transfer_weights(small, big) == sum(1 for layer in big.layers if layer.weights)
    x = np.random.default_rng(2).uniform(0, 255, (4, 28, 28, 1)).astype(np.float32)
    p10, p11 = np.asarray(small(x)), np.asarray(big(x))
    # the new class starts at logit 0: the digits keep their ratios
    np.testing.assert_allclose(p11[:, :10] / p11[:, :10].sum(1, keepdims=True), p10, rtol=1e-4)
    kernel, bias = big.get_layer("probabilities").get_weights()
    assert not kernel[:, 10].any() and bias[10] == 0
    with pytest.raises(ValueError, match="cannot initialise"):
        models.transfer_weights(models.build("bn_cnn", seed=0), big)


def test_members_of_an_ensemble_in_order():
    nets = [models.build("seed", seed=s) for s in (0, 1, 2)]
    ens = models.ensemble(nets)
    found = models.members_of(ens)
    assert [m.name for m in found] == ["member_0", "member_1", "member_2"]
    np.testing.assert_allclose(found[2].get_weights()[0], nets[2].get_weights()[0])
    assert models.members_of(nets[0]) == [nets[0]]
    with pytest.raises(ValueError, match="one output shape"):
        models.ensemble([nets[0], models.build("seed", classes=11)])


def test_interpolate_weights_mixes_shared_classes_and_keeps_new_ones():
    init = models.build("seed", seed=0)
    tuned = models.build("seed", seed=1, classes=11)
    before = [w.copy() for w in tuned.get_weights()]
    models.interpolate_weights(init, tuned, 0.25)
    after, base = tuned.get_weights(), init.get_weights()
    np.testing.assert_allclose(after[0], 0.75 * base[0] + 0.25 * before[0], rtol=1e-6)
    np.testing.assert_allclose(after[-2][:, :10], 0.75 * base[-2] + 0.25 * before[-2][:, :10], rtol=1e-6)
    np.testing.assert_array_equal(after[-2][:, 10], before[-2][:, 10])  # "not a digit" keeps its fine-tuned weights
    np.testing.assert_array_equal(after[-1][10], before[-1][10])
    models.interpolate_weights(init, tuned, 1.0)
    np.testing.assert_allclose(tuned.get_weights()[0], after[0])  # alpha=1: unchanged
    with pytest.raises(ValueError, match="alpha"):
        models.interpolate_weights(init, tuned, 1.5)


def test_old_architecture_name_is_an_alias_of_baseline():
    assert "baseline" in models.available() and "seed" not in models.available()
    assert models.canonical_name("seed") == models.canonical_name("baseline") == "baseline"
    assert models.describe("seed") == models.describe("baseline")
    assert models.recipe_defaults("seed") == models.recipe_defaults("baseline")
    old, new = models.build("seed", seed=0), models.build("baseline", seed=0)
    assert new.name == "baseline" and old.count_params() == new.count_params()
    for a, b in zip(old.get_weights(), new.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="unknown model 'seeds'"):
        models.canonical_name("seeds")

"""Tests for handdigits.corruptions (the robustness set)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from handdigits.corruptions import CORRUPTIONS, corrupt

RANDOM = [c for c in CORRUPTIONS if c != "blur"]  # blur has no random parameter


def digits(n=6, seed=1):
    """Synthetic digit-like images: a bright bar plus a random stroke near the centre."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 28, 28), np.uint8)
    for i in range(n):
        r, c = rng.integers(9, 14, 2)
        x[i, r : r + 10, c : c + 3] = 255
        x[i, r, c : c + 7] = 200
    return x


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_shape_dtype_and_change(name):
    x = digits()
    out = corrupt(x, name, seed=0)
    assert out.shape == x.shape and out.dtype == np.uint8
    assert not np.array_equal(out, x), f"{name} left the images unchanged"
    out4 = corrupt(x[..., None], name, seed=0)
    assert out4.shape == (6, 28, 28, 1)
    np.testing.assert_array_equal(out4[..., 0], out)


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_deterministic(name):
    x = digits()
    np.testing.assert_array_equal(corrupt(x, name, seed=3), corrupt(x.copy(), name, seed=3))


@pytest.mark.parametrize("name", RANDOM)
def test_seed_matters(name):
    x = digits(n=16)
    assert not np.array_equal(corrupt(x, name, seed=0), corrupt(x, name, seed=1))


def test_semantics():
    x = digits(n=20)
    xf = x.astype(float)
    # contrast: pixel spread shrinks to 15-30 % around the mean
    c = corrupt(x, "contrast").astype(float)
    ratio = c.std(axis=(1, 2)) / xf.std(axis=(1, 2))
    assert np.all((ratio > 0.13) & (ratio < 0.32))
    # blur: peak drops, total ink roughly kept (digit is away from the border)
    b = corrupt(x, "blur").astype(float)
    assert np.all(b.max(axis=(1, 2)) < 255)
    np.testing.assert_allclose(b.sum(axis=(1, 2)), xf.sum(axis=(1, 2)), rtol=0.03)
    # translation: ink centre moves by 4-6 px
    def centre(a):
        ys, xs = np.mgrid[:28, :28]
        m = a.sum(axis=(1, 2))
        return np.stack([(a * ys).sum(axis=(1, 2)) / m, (a * xs).sum(axis=(1, 2)) / m], 1)

    shift = np.linalg.norm(centre(corrupt(x, "translation").astype(float)) - centre(xf), axis=1)
    assert np.all((shift > 3.0) & (shift < 7.0)), shift
    # stroke: ink increases for thickened images and decreases for thinned ones; both happen
    s = corrupt(x, "stroke").astype(float).sum(axis=(1, 2))
    assert np.any(s > xf.sum(axis=(1, 2))) and np.any(s < xf.sum(axis=(1, 2)))
    # noise: background pixels are no longer all zero
    assert (corrupt(x, "noise")[:, :3, :3] > 0).mean() > 0.2


@settings(max_examples=15, deadline=None)
@given(
    x=hnp.arrays(np.uint8, st.tuples(st.integers(1, 3), st.integers(8, 28), st.integers(8, 28))),
    name=st.sampled_from(list(CORRUPTIONS)),
    seed=st.integers(0, 2**31 - 1),
)
def test_property_any_uint8_batch(x, name, seed):
    out = corrupt(x, name, seed=seed)
    assert out.shape == x.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out, corrupt(x, name, seed=seed))


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=0, max_size=12).filter(lambda s: s not in CORRUPTIONS))
def test_property_unknown_name(name):
    with pytest.raises(ValueError, match="unknown corruption"):
        corrupt(digits(1), name)


@pytest.mark.parametrize(
    "images, kwargs, exc",
    [
        (np.zeros((2, 28, 28, 3), np.uint8), {}, ValueError),  # colour
        (np.full((1, 28, 28), 300.0), {}, ValueError),  # out of range
        (np.full((1, 28, 28), -1.0), {}, ValueError),
        (np.zeros((28, 28), np.uint8), {}, ValueError),  # not a batch
        (np.array([["a"]]), {}, TypeError),
        (np.zeros((1, 28, 28), np.uint8), {"seed": -1}, ValueError),
        (np.zeros((1, 28, 28), np.uint8), {"seed": 1.5}, TypeError),  # not an integer
    ],
)
def test_bad_inputs(images, kwargs, exc):
    with pytest.raises(exc):
        corrupt(images, "jpeg", **kwargs)


def test_float_input_accepted():
    x = digits()
    np.testing.assert_array_equal(corrupt(x.astype(np.float32), "rotation"), corrupt(x, "rotation"))

"""handdigits.realworld: the generated real-world suite and its rendering primitives."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from handdigits.datasets import DatasetUnavailable
from handdigits.realworld import EMPTY, NAMES, load, render


def test_render_on_paper_puts_ink_on_lines_and_paper():
    ink = np.zeros((120, 160))
    ink[30:90, 78:84] = 1.0
    rng = np.random.default_rng(0)
    page = render.render_on_paper(ink, rng, paper="ruled", ink_rgb=(0.1, 0.1, 0.5), paper_rgb=(0.9, 0.9, 0.8),
                                  light=0.0, noise=0.0, ruling_options={"spacing": 20.0, "thickness": 2.0, "tilt": 0.0})
    assert page.shape == (120, 160, 3) and page.dtype == np.uint8
    assert np.allclose(page[60, 80], [26, 26, 128], atol=2)  # ink colour
    rows = page[:, 10].astype(int).sum(axis=1)
    paper_rows = rows > 0.97 * rows.max()
    assert 0.7 < paper_rows.mean() < 0.95  # horizontal lines every 20 px on paper
    with pytest.raises(ValueError, match="paper must be one of"):
        render.render_on_paper(ink, rng, paper="dotted")


def test_ruling_squared_has_both_directions():
    grid = render.ruling((100, 100), np.random.default_rng(1), paper="squared", spacing=10.0, thickness=1.5, tilt=0.0)
    assert (grid.max(axis=1) > 0.5).all() and (grid.max(axis=0) > 0.5).all()
    assert 0.1 < (grid > 0.5).mean() < 0.4


def test_pen_ink_draws_thin_centre_lines():
    digit = np.zeros((28, 28), np.uint8)
    digit[4:24, 11:17] = 255  # a thick "1"
    ink = render.pen_ink(digit, 200, 3)
    cols = np.flatnonzero((ink > 0.5).any(axis=0))
    assert ink.shape[0] >= 200 and cols[-1] - cols[0] + 1 <= 8  # a 6-px-wide bar became a 3-px pen line


def test_skeleton_of_a_bar_is_one_pixel_wide():
    bar = np.zeros((20, 40), bool)
    bar[8:13, 5:35] = True
    sk = render.skeleton(bar)
    assert sk.sum(axis=0)[8:32].max() == 1 and sk[:, 10].any()


def test_a_digit_larger_than_the_frame_is_shrunk_not_cut():
    """A 100x50 digit in a 60x200 frame comes out whole at 60 % (60x30), not cut to 60x50."""
    from handdigits.realworld import _on_frame

    ink = np.zeros((100, 50))
    ink[:, 0] = ink[:, -1] = ink[0] = ink[-1] = 1.0  # a box: its edges show where it was cut
    out = _on_frame(ink, (60, 200), np.random.default_rng(0))
    rows, cols = np.flatnonzero(out.max(1) > 0.1), np.flatnonzero(out.max(0) > 0.1)
    assert (rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) == (60, 30)
    small = np.ones((20, 10))
    placed = _on_frame(small, (60, 200), np.random.default_rng(0))
    assert placed.sum() == small.sum()  # ink that fits is placed as it is


def test_unknown_name_and_bad_arguments():
    with pytest.raises(ValueError, match="unknown real-world dataset"):
        load("realworld/nope")
    with pytest.raises(ValueError, match=r"n must be >= 1, got 0"):
        load("realworld/empty", n=0)
    with pytest.raises(ValueError, match="seed must be"):
        load("realworld/empty", n=1, seed=-1)


def test_empty_pages_are_labelled_minus_one_and_deterministic():
    a, ya = load("realworld/empty", n=4, seed=3)
    b, yb = load("realworld/empty", n=2, seed=3)
    assert (ya == EMPTY).all() and ya.dtype == np.int64
    assert all(np.array_equal(x, y) for x, y in zip(a[:2], b))  # item i depends only on (name, seed, i)
    c, _ = load("realworld/empty", n=2, seed=4)
    assert not np.array_equal(a[0], c[0]) or not np.array_equal(a[1], c[1])


@pytest.mark.data
@pytest.mark.parametrize("name", [n for n in NAMES if n not in ("realworld/empty", "realworld/grey8")])
def test_mnist_based_datasets_hold_raw_test_digits(name, real_data_dir):
    images, labels = load(name, n=6, data_dir=real_data_dir)
    again, labels2 = load(name, n=6, data_dir=real_data_dir)
    assert np.array_equal(labels, labels2) and all(np.array_equal(x, y) for x, y in zip(images, again))
    assert labels.dtype == np.int64 and ((0 <= labels) & (labels <= 9)).all()
    for img in images:
        assert img.dtype == np.uint8 and img.ndim in (2, 3)
        assert img.shape[:2] != (28, 28) or name == "realworld/grey16"  # raw, not MNIST format


def test_grey8_needs_scikit_learn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(DatasetUnavailable, match="scikit-learn"):
        load("realworld/grey8", n=2)


def test_grey8_uses_sklearn_digits():
    pytest.importorskip("sklearn", reason="scikit-learn not installed: pip install 'handdigits[realworld]'")
    images, labels = load("realworld/grey8", n=30)
    assert set(labels.tolist()) <= set(range(10)) and len(set(labels.tolist())) >= 5
    sizes = {img.shape for img in images}
    assert (8, 8) in sizes and len(sizes) >= 2  # raw 8x8 and upscaled by others


@pytest.mark.slow
@pytest.mark.data
def test_bundled_model_reads_the_suite(real_data_dir):
    """The bundled model through to_mnist: most digits right, every empty page refused."""
    from handdigits import Classifier

    clf = Classifier()
    for name in NAMES:
        if name == "realworld/grey8":
            pytest.importorskip("sklearn")
        images, labels = load(name, n=40, data_dir=real_data_dir)
        pred = clf.predict(images, errors="mark")
        if name == "realworld/empty":
            # known gap: about 70 % are refused now (shadowed, textured pages slip through); the goal is 100 %
            assert (pred == -1).mean() >= 0.6, name
        else:
            assert (pred == labels).mean() >= 0.85, name


def test_shrink_averages_the_pixels_each_output_pixel_covers():
    from handdigits.realworld import render

    ink = np.zeros((4, 6))
    ink[:2, :2] = 1.0  # one full 2x2 block
    ink[2:, 4] = 1.0  # half of another
    out = render.shrink(ink, 0.5)
    assert out.shape == (2, 3) and out.dtype == np.float64
    np.testing.assert_allclose(out, [[1.0, 0.0, 0.0], [0.0, 0.0, 0.5]], atol=1e-6)
    assert render.shrink(ink, 0.01).shape == (1, 1)  # never below one pixel

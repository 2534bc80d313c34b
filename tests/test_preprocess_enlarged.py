"""Images enlarged by repeating pixels are read at their own resolution (preprocess.enlarged)."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from handdigits.preprocess import to_mnist, trace
from handdigits.preprocess.enlarged import MAX_SIDE, _unenlarged
from test_preprocess_known_answers import seven


def _nearest(small: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Pillow's nearest-neighbour resize to ``size`` (w, h), channels kept."""
    if small.ndim == 2:
        return np.asarray(Image.fromarray(small).resize(size, Image.Resampling.NEAREST))
    return np.stack([np.asarray(Image.fromarray(small[..., c]).resize(size, Image.Resampling.NEAREST))
                     for c in range(small.shape[2])], axis=-1)


def _distinct_neighbours(a: np.ndarray) -> bool:
    flat = a.reshape(a.shape[0], a.shape[1], -1)
    rows = (flat[1:] != flat[:-1]).any(axis=(1, 2)).all()
    cols = (flat[:, 1:] != flat[:, :-1]).any(axis=(0, 2)).all()
    return bool(rows and cols)


def _distinct(a: np.ndarray) -> np.ndarray:
    """``a`` with its first column and row set so that every row differs from the next, every column too."""
    a = a.copy()
    channels = (1,) * (a.ndim - 2)
    a[:, 0] = np.arange(a.shape[0]).reshape(-1, *channels)
    a[0, :] = (np.arange(a.shape[1]) + 1).reshape(-1, *channels)
    assert _distinct_neighbours(a)
    return a


small_images = hnp.arrays(  # enlarged at least twice, more than 28 px: searched
    np.uint8,
    st.tuples(st.integers(15, 30), st.integers(5, 30)).flatmap(
        lambda hw: st.sampled_from([hw, hw[::-1], (*hw, 3)])),
).map(_distinct)


@settings(max_examples=80, deadline=None)
@given(small_images, st.integers(2, 9))
def test_whole_factor_enlargements_give_back_the_image(small, f):
    big = np.repeat(np.repeat(small, f, axis=0), f, axis=1)
    found, factor = _unenlarged(big)
    assert np.array_equal(found, small)
    assert factor == max(big.shape[:2]) / max(small.shape[:2])


@settings(max_examples=80, deadline=None)
@given(small_images, st.floats(2.0, 9.0))
def test_pillow_nearest_enlargements_by_any_factor_give_back_the_image(small, f):
    h, w = small.shape[:2]
    big = _nearest(small, (int(np.ceil(w * f)), int(np.ceil(h * f))))  # at least 2 px per source pixel
    found, _ = _unenlarged(big)
    assert np.array_equal(found, small)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.uint8, st.tuples(st.integers(29, 80), st.integers(8, 80))))
def test_images_that_are_no_enlargement_are_left_alone(a):
    assert _unenlarged(_distinct(a)) is None


def test_enlargements_under_two_pixels_a_block_are_left_alone():
    small = np.random.default_rng(0).integers(0, 256, (24, 24), dtype=np.uint8)
    assert _distinct_neighbours(small)
    assert _unenlarged(_nearest(small, (40, 40))) is None  # blocks of 1 or 2 px


def test_sizes_outside_the_searched_range_are_left_alone():
    small = np.random.default_rng(1).integers(0, 256, (8, 8), dtype=np.uint8)
    assert _unenlarged(np.repeat(np.repeat(small, 3, 0), 3, 1)) is None  # 24 px: not larger than 28
    big = np.repeat(np.repeat(small, 129, 0), 129, 1)  # 1,032 px
    assert max(big.shape) > MAX_SIDE and _unenlarged(big) is None


def test_a_drawing_with_smooth_edges_is_no_enlargement():
    assert _unenlarged(seven(200)) is None


def test_a_drawing_of_bars_and_a_stretched_image_are_left_alone():
    bars = np.zeros((60, 60, 3), np.uint8)  # a red bar on green paper: an enlargement of 6 x 12 pixels too
    bars[..., 1] = 200
    bars[10:50, 28:33] = (255, 0, 0)
    assert _unenlarged(bars) is None  # its rows change at 2 of the 5 block edges between the first and last
    small = _distinct(np.random.default_rng(2).integers(0, 256, (16, 16), dtype=np.uint8))
    assert _unenlarged(np.repeat(np.repeat(small, 4, axis=0), 4, axis=1)) is not None
    assert _unenlarged(np.repeat(np.repeat(small, 4, axis=0), 3, axis=1)) is None  # 4 x 3: not the same factor


def test_an_enlarged_mnist_digit_passes_through_unchanged(mnist_like_digit):
    big = np.repeat(np.repeat(mnist_like_digit, 10, axis=0), 10, axis=1)
    assert np.array_equal(to_mnist(big), to_mnist(mnist_like_digit))
    assert np.array_equal(to_mnist(255 - big), to_mnist(mnist_like_digit))


def test_an_enlarged_eight_by_eight_scan_is_read_as_the_scan():
    rng = np.random.default_rng(3)
    scan = np.zeros((8, 8), np.uint8)
    scan[1:7, 3:5] = rng.integers(150, 256, (6, 2))  # a grey "1"
    scan[2, 2] = 90
    expected = to_mnist(scan)
    for size in ((64, 64), (60, 60), (200, 200)):
        assert np.array_equal(to_mnist(_nearest(scan, size)), expected), size
    t = trace(_nearest(scan, (64, 64)))
    assert t.path == "grey" and t.scale == 8.0 and t.original.shape == (8, 8)
    assert np.array_equal(t.output, expected)


@pytest.fixture
def mnist_like_digit() -> np.ndarray:
    """A 28×28 white-on-black digit framed as MNIST frames them (the fast path keeps it as it is)."""
    from handdigits.samples import list_samples
    from handdigits.validation import check_images

    a = check_images(list_samples()[0])[0][0]
    out = to_mnist(a)
    assert np.array_equal(to_mnist(out), out)  # already in MNIST form
    return out


def test_real_eight_by_eight_scans_enlarged_are_read_as_the_scans():
    """scikit-learn's scans (real handwriting) at 64×64 and 60×60: undone, and converted exactly as at 8×8."""
    datasets = pytest.importorskip("sklearn.datasets")
    scans = (datasets.load_digits().images[:100] * 16).clip(0, 255).astype(np.uint8)
    for size in (64, 60):
        undone = 0
        for scan in scans:
            big = _nearest(scan, (size, size))
            found = _unenlarged(big)
            if found is not None:
                assert np.array_equal(found[0], scan)
                undone += 1
            assert np.array_equal(to_mnist(big), to_mnist(scan)) or found is None
        assert undone >= 99, (size, undone)

"""Training digits rendered as photos, and touching pairs (handdigits.datasets.rendered)."""

from __future__ import annotations

import numpy as np
import pytest

from handdigits.datasets import rendered
from handdigits.datasets.synthetic import NOT_A_DIGIT


def bars(n: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-format digits: a vertical bar (a "1") and a box outline (a "0") taking turns."""
    x = np.zeros((n, 28, 28), np.uint8)
    for i in range(n):
        if i % 2:
            x[i, 4:24, 8:20] = 255
            x[i, 7:21, 11:17] = 0
        else:
            x[i, 4:24, 12:16] = 255
    return x, np.array([1 if i % 2 == 0 else 0 for i in range(n)])


def test_as_grey8_counts_ink_in_4x4_blocks_like_load_digits():
    full = np.full((28, 28), 255, np.uint8)
    assert (rendered.as_grey8(full) == 255).all()  # 16 of 16 pixels inked, x16, clipped
    half = np.zeros((28, 28), np.uint8)
    half[4:24, 4:24] = 255
    half[4:24, 14:24] = 0  # the box is 20 tall, 10 wide: fitted into 32x32 it is 32x16, centred
    g = rendered.as_grey8(half)
    assert g.shape == (8, 8) and g.dtype == np.uint8
    assert (g[:, :2] == 0).all() and (g[:, 6:] == 0).all() and (g[:, 2:6] == 255).all()
    assert (rendered.as_grey8(np.zeros((28, 28), np.uint8)) == 0).all()


def test_side_by_side_places_the_second_digit_after_the_first_gap_or_overlap():
    a = np.zeros((28, 28), np.uint8)
    a[5:20, 10:14] = 200
    b = np.zeros((28, 28), np.uint8)
    b[5:20, 3:9] = 100
    apart = rendered._side_by_side(a, b, 3, 0)
    cols = np.nonzero(apart.any(axis=0))[0]
    assert apart.shape == (32, 4 + 3 + 6) and cols.tolist() == [0, 1, 2, 3, 7, 8, 9, 10, 11, 12]
    over = rendered._side_by_side(a, b, -2, 1)
    assert over.shape == (32, 2 + 6) and over[8, 2] == 200  # overlap: the brighter ink wins
    # the first digit sits on rows 7-21 (2 px of padding), the second one row lower: 8-22
    assert over[21, 1] == 200 and over[22, 1] == 0 and over[7, 4] == 0 and over[8, 4] == 100 and over[22, 4] == 100


def test_merged_pairs_are_not_a_digit_deterministic_and_mnist_framed():
    x, y = bars()
    a, ya = rendered.merged_pairs(x, y, 12, seed=3)
    b, _ = rendered.merged_pairs(x, y, 12, seed=3)
    c, _ = rendered.merged_pairs(x, y, 12, seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.shape == (12, 28, 28) and a.dtype == np.uint8 and (ya == NOT_A_DIGIT).all()
    for img in a:  # framed like MNIST (longer side about 20 px), and wider than either digit framed alone
        cols = np.nonzero(img.max(axis=0) > 60)[0]
        rows = np.nonzero(img.max(axis=1) > 60)[0]
        h, w = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
        assert 17 <= max(h, w) <= 22 and w >= 12
    with pytest.raises(ValueError, match="other than 1"):
        rendered.merged_pairs(x[:1], np.array([1]), 2, seed=0)


def test_render_photos_keeps_labels_and_is_deterministic(mnist_test):
    x, y = mnist_test[0][:30], mnist_test[1][:30]
    a, ya = rendered.render_photos(x, y, 18, seed=5)
    b, yb = rendered.render_photos(x, y, 18, seed=5)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    assert 15 <= len(a) <= 18 and a.shape[1:] == (28, 28) and a.dtype == np.uint8
    assert set(ya.tolist()) <= set(y.tolist())
    # each kept render is back in MNIST's format: white ink on black, a centred digit
    assert (a[:, 0, :] < 40).all() and (a.reshape(len(a), -1).max(axis=1) > 200).all()


def test_render_photos_item_i_uses_kind_i_mod_9(monkeypatch):
    seen = []

    def fake(kind, digit, rng):
        seen.append((kind, digit.shape))
        img = np.zeros((40, 40), np.uint8)
        img[10:30, 18:22] = 255
        return img

    monkeypatch.setattr("handdigits.realworld.render_digit", fake)
    x, y = bars(4)
    out, labels = rendered.render_photos(x, y, 10, seed=0)
    assert [k for k, _ in seen] == [rendered.KINDS[i % 9] for i in range(10)]
    assert [s for k, s in seen if k == "grey8"] == [(8, 8)] and all(s == (28, 28) for k, s in seen if k != "grey8")
    assert len(out) == 10 and set(labels.tolist()) <= {0, 1}


@pytest.mark.parametrize(("digits", "labels", "message"), [
    (np.zeros((2, 28, 28), np.float32), [0, 1], "uint8"),
    (np.zeros((2, 16, 16), np.uint8), [0, 1], r"\(N, 28, 28\)"),
    (np.zeros((2, 28, 28), np.uint8), [0], "one label per digit"),
    (np.zeros((0, 28, 28), np.uint8), [], "at least one digit"),
])
def test_bad_digits_are_refused(digits, labels, message):
    with pytest.raises(ValueError, match=message):
        rendered.merged_pairs(digits, np.asarray(labels), 2, seed=0)


def test_cache_is_read_back_and_keyed_by_the_digits(tmp_path):
    calls = []

    def make(digits, labels, n, *, seed):
        calls.append((len(digits), n, seed))
        return np.full((n, 28, 28), len(calls), np.uint8), np.zeros(n, np.int64)

    make.__name__ = "fake"
    x, y = bars()
    first = rendered.cached(make, x, y, 3, seed=1, directory=tmp_path)
    again = rendered.cached(make, x, y, 3, seed=1, directory=tmp_path)
    assert calls == [(6, 3, 1)] and (again[0] == 1).all()
    np.testing.assert_array_equal(first[0], again[0])
    other = rendered.cached(make, x[:4], y[:4], 3, seed=1, directory=tmp_path)
    assert len(calls) == 2 and (other[0] == 2).all()
    (next(tmp_path.glob("fake-*-n3-*.npz"))).write_bytes(b"broken")  # an unreadable file is regenerated
    rendered.cached(make, x, y, 3, seed=1, directory=tmp_path)
    assert len(calls) == 3

"""Training digits rendered as photos, touching pairs and number candidates (handdigits.datasets.rendered)."""

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
    (path,) = tmp_path.glob("fake-*-seed1-n3-v*.npz")  # the only file yet: the cache of (x, y)
    again = rendered.cached(make, x, y, 3, seed=1, directory=tmp_path)
    assert calls == [(6, 3, 1)] and (again[0] == 1).all()
    np.testing.assert_array_equal(first[0], again[0])
    other = rendered.cached(make, x[:4], y[:4], 3, seed=1, directory=tmp_path)
    assert len(calls) == 2 and (other[0] == 2).all()
    path.write_bytes(b"broken")  # an unreadable file is regenerated (not the other digits' file: the order
    # of a directory's listing is the file system's)
    rendered.cached(make, x, y, 3, seed=1, directory=tmp_path)
    assert len(calls) == 3


class _Run:
    def __init__(self, box, width=0.7, cuts=0):
        self.box, self.width, self.cuts = box, width, cuts


def test_labelled_runs_match_digits_and_call_merged_ones_not_a_digit(monkeypatch):
    boxes = [(0, 0, 10, 20), (10, 0, 20, 20), (30, 0, 40, 20)]  # "4", "7", "2"
    runs = [
        _Run((0, 0, 10, 20)),  # 0: the 4 exactly
        _Run((0, 1, 10, 20)),  # 1: the 4 (IoU 0.95)
        _Run((0, 0, 20, 20)),  # 2: 4 and 7 merged
        _Run((0, 0, 5, 20)),  # 3: half the 4: left out
        _Run((10, 0, 20, 20), cuts=1),  # 4: the 7, cut from the 4
        _Run((5, 0, 20, 20)),  # 5: the 7 with half the 4 (IoU 0.67): not a digit
        _Run((0, 0, 40, 20)),  # 6: all three
        _Run((12, 0, 34, 20)),  # 7: most of the 7 and 0.4 of the 2: not a digit
        _Run((0, 0, 13, 20)),  # 8: the 4 and 0.3 of the 7 (IoU 0.77 with the 4): not a digit
        _Run((1, 0, 10, 20)),  # 9: the 4 without its left edge (IoU 0.9, holds 0.9): neither
    ]
    out = rendered._labelled_runs(runs, boxes, "472", np.random.default_rng(0))
    pos = {r: label for r, label in out if label != NOT_A_DIGIT}
    neg = {r for r, label in out if label == NOT_A_DIGIT}
    assert 4 in pos and pos[4] == 7  # cut from ink: kept first
    assert len(pos) == 3 == rendered._PER_NUMBER[0] and set(pos) == {0, 1, 4} and all(pos[r] == 4 for r in pos if r != 4)
    assert len(neg) == rendered._PER_NUMBER[1] and neg <= {2, 5, 6, 7, 8}  # 2 of the 5 kept
    assert all(r not in (3, 9) for r, _ in out)
    monkeypatch.setattr(rendered, "_PER_NUMBER", (9, 9))  # keep every labelled candidate
    everything = dict(rendered._labelled_runs(runs, boxes, "472", np.random.default_rng(0)))
    assert everything == {0: 4, 1: 4, 4: 7, 2: NOT_A_DIGIT, 5: NOT_A_DIGIT, 6: NOT_A_DIGIT, 7: NOT_A_DIGIT,
                          8: NOT_A_DIGIT}


def test_number_candidates_are_the_readers_crops_labelled_and_deterministic(mnist_test):
    from handdigits.reading.segment import _segment
    from handdigits.realworld.numbers import make_number

    x, y = mnist_test[0][:200], mnist_test[1][:200]
    a, ya = rendered.number_candidates(x, y, 40, seed=2, progress=False)
    b, yb = rendered.number_candidates(x, y, 40, seed=2, progress=False)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    assert a.shape == (40, 28, 28) and a.dtype == np.uint8 and ya.dtype == np.int64
    assert (ya == NOT_A_DIGIT).any() and (ya < 10).any()
    # the first kept crops are candidates of number 0, exactly as the reader cut them
    rng = np.random.default_rng([2, 3, 0])
    idx = rng.integers(len(x), size=int(rng.integers(2, 7)))
    text = "".join(str(int(y[j])) for j in idx)
    sample = make_number([x[j] for j in idx], text, rng, touching=rng.random() < 0.5)
    plan = _segment(np.asarray(sample.image))
    first = rendered._labelled_runs(plan.runs, sample.boxes, text, rng)
    assert len(first) >= 1
    for k, (r, label) in enumerate(first):
        np.testing.assert_array_equal(a[k], plan.crops[r])
        assert ya[k] == label and (label == NOT_A_DIGIT or str(label) in text)

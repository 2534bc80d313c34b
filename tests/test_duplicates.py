"""find_duplicates: planted exact and near duplicates are found; a brute-force check agrees."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handdigits.datasets import find_duplicates


def brute_force_exact(a, b):
    by_bytes = {}
    for j, img in enumerate(b):
        by_bytes.setdefault(img.tobytes(), []).append(j)
    return sorted((i, j) for i, img in enumerate(a) for j in by_bytes.get(img.tobytes(), []))


def blobs(n, seed):
    """Distinct smooth 'digits': a random rectangle of ink per image (coarse structure differs)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 28, 28), np.uint8)
    for k in range(n):
        r, c = rng.integers(0, 20, 2)
        h, w = rng.integers(4, 8, 2)
        x[k, r:r + h, c:c + w] = 255
    return x


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_a=st.integers(1, 30), n_b=st.integers(1, 30))
def test_exact_pairs_agree_with_brute_force(seed, n_a, n_b):
    rng = np.random.default_rng(seed)
    pool = rng.integers(0, 3, (6, 28, 28), dtype=np.uint8)  # few distinct images -> many repeats
    a = pool[rng.integers(0, 6, n_a)]
    b = pool[rng.integers(0, 6, n_b)]
    dup = find_duplicates(a, b, near=False)
    assert sorted(zip(dup["a_index"].tolist(), dup["b_index"].tolist())) == brute_force_exact(a, b)
    assert set(dup["kind"].tolist()) <= {"exact"}


def test_planted_near_duplicates():
    a = blobs(40, seed=1)
    b = blobs(40, seed=2)
    b[5] = a[7]                                                    # exact
    b[9] = (a[3] * 0.9).astype(np.uint8)                           # dimmer copy
    b[11] = a[12]
    b[11, 0, 0], b[11, 1, 1] = 90, 30                              # faint specks in one 4x4 block (sum 120/16 < 1/8 of 255)
    dup = find_duplicates(a, b)
    pairs = {(int(i), int(j)): str(k) for i, j, k in zip(dup["a_index"], dup["b_index"], dup["kind"])}
    assert pairs[(7, 5)] == "exact"
    assert pairs[(3, 9)] == "near" and pairs[(12, 11)] == "near"
    exact_only = find_duplicates(a, b, near=False)
    assert list(zip(exact_only.a_index.tolist(), exact_only.b_index.tolist())) == [(7, 5)]
    assert len(dup) == len(dup.a_index) == len(dup.kind)


def _pearson(x, y):
    return np.corrcoef(x.astype(float).ravel(), y.astype(float).ravel())[0, 1]


def test_near_pairs_really_are_close():
    a = blobs(200, seed=3)
    rng = np.random.default_rng(4)
    noisy = np.clip(a.astype(int) + rng.integers(-4, 5, a.shape), 0, 255).astype(np.uint8)
    shifted = np.roll(a, 3, axis=2)  # a 3-pixel shift is a different image, not a near copy
    b = np.concatenate([noisy, shifted])
    dup = find_duplicates(a, b)
    found = {(int(i), int(j)) for i, j in zip(dup.a_index, dup.b_index)}
    # each noisy copy is found (recall), and no pair is reported below the threshold (precision)
    assert sum((i, i) in found for i in range(200)) >= 195
    for i, j, k in zip(dup.a_index, dup.b_index, dup.kind):
        assert (k == "exact") == np.array_equal(a[i], b[j])
        assert _pearson(a[i], b[j]) >= 0.99 - 1e-6
    stricter = find_duplicates(a, b, min_correlation=1.0)
    assert len(stricter) < len(dup)


def test_bad_inputs():
    with pytest.raises(ValueError, match="one size"):
        find_duplicates(np.zeros((2, 28, 28)), np.zeros((2, 14, 14)))
    with pytest.raises(ValueError, match="dimensions"):
        find_duplicates(np.zeros((28, 28)), np.zeros((2, 28, 28)))
    with pytest.raises(ValueError, match="grid=5 must divide"):
        find_duplicates(np.zeros((2, 28, 28)), np.zeros((2, 28, 28)), grid=5)
    with pytest.raises(KeyError, match="a_index"):
        find_duplicates(np.zeros((2, 28, 28)), np.zeros((2, 28, 28)))["index"]


@pytest.mark.data
def test_real_mnist_train_vs_test(real_data_dir, mnist_test):
    from handdigits.datasets import load_mnist

    train, train_labels = load_mnist("train", data_dir=real_data_dir, download=False)
    test, test_labels = mnist_test
    dup = find_duplicates(train, test)
    exact = dup.kind == "exact"
    # exact pairs equal an independent byte-level comparison
    assert sorted(zip(dup.a_index[exact].tolist(), dup.b_index[exact].tolist())) == brute_force_exact(train, test)
    # every near pair is verified independently (correlation >= 0.99) and is the same digit
    for i, j in zip(dup.a_index[~exact], dup.b_index[~exact]):
        assert _pearson(train[i], test[j]) >= 0.99 - 1e-6
        assert train_labels[i] == test_labels[j]
    # a re-encoded (noisy) copy of test images planted in train is found
    rng = np.random.default_rng(0)
    copies = np.clip(test[:500].astype(int) + rng.integers(-3, 4, (500, 28, 28)), 0, 255).astype(np.uint8)
    planted = find_duplicates(np.concatenate([train[:5000], copies]), test)
    hits = {(int(i) - 5000, int(j)) for i, j in zip(planted.a_index, planted.b_index) if i >= 5000}
    assert sum((k, k) in hits for k in range(500)) >= 490

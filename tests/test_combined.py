"""load_combined: MNIST + EMNIST with sources, and an explicit report when EMNIST is missing."""

from __future__ import annotations

import numpy as np
import pytest

from handdigits.datasets import SOURCES, DatasetUnavailable, load_combined, write_idx


def write_both(root, n_mnist=5, n_emnist=3, emnist=True):
    rng = np.random.default_rng(0)
    mx = rng.integers(0, 256, (n_mnist, 28, 28), dtype=np.uint8)
    my = rng.integers(0, 10, n_mnist, dtype=np.uint8)
    ex = rng.integers(0, 256, (n_emnist, 28, 28), dtype=np.uint8)
    ey = rng.integers(0, 10, n_emnist, dtype=np.uint8)
    (root / "mnist").mkdir()
    write_idx(root / "mnist" / "t10k-images-idx3-ubyte.gz", mx)
    write_idx(root / "mnist" / "t10k-labels-idx1-ubyte.gz", my)
    (root / "emnist").mkdir()
    if emnist:
        write_idx(root / "emnist" / "emnist-digits-test-images-idx3-ubyte.gz", ex.transpose(0, 2, 1))
    write_idx(root / "emnist" / "emnist-digits-test-labels-idx1-ubyte.gz", ey)
    return mx, my, ex, ey


def test_both_sources(tmp_path):
    mx, my, ex, ey = write_both(tmp_path)
    c = load_combined("test", data_dir=tmp_path, download=False, verify=False)
    assert c.emnist_available and c.emnist_reason is None
    np.testing.assert_array_equal(c.images, np.concatenate([mx, ex]))
    np.testing.assert_array_equal(c.labels, np.concatenate([my, ey]))
    assert c.source.dtype == np.uint8 and c.source.tolist() == [0] * 5 + [1] * 3
    assert [SOURCES[s] for s in c.source[[0, -1]]] == ["mnist", "emnist"]
    images, labels, source, available, reason, info = c  # a plain NamedTuple
    assert images is c.images
    assert info["partial"] is False and info["n"] == 3


def test_missing_emnist_raises_when_required(tmp_path):
    write_both(tmp_path, emnist=False)
    with pytest.raises(DatasetUnavailable, match="^EMNIST unavailable:.*emnist-digits-test-images"):
        load_combined("test", data_dir=tmp_path, download=False, verify=False)


def test_missing_emnist_reported_when_optional(tmp_path):
    mx, my, _, _ = write_both(tmp_path, emnist=False)
    c = load_combined("test", data_dir=tmp_path, download=False, require_emnist=False, verify=False)
    assert c.emnist_available is False
    assert c.emnist_reason.startswith("EMNIST unavailable:") and "emnist-digits-test-images" in c.emnist_reason
    np.testing.assert_array_equal(c.images, mx)
    assert (c.source == 0).all() and len(c.source) == len(mx)


def test_corrupt_emnist_is_unavailable_not_silent(tmp_path):
    write_both(tmp_path)
    (tmp_path / "emnist" / "emnist-digits-test-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b truncated")
    c = load_combined("test", data_dir=tmp_path, download=False, require_emnist=False, verify=False)
    assert not c.emnist_available and "ValueError" in c.emnist_reason and "gzip" in c.emnist_reason
    with pytest.raises(DatasetUnavailable, match="^EMNIST unavailable: ValueError"):
        load_combined("test", data_dir=tmp_path, download=False, verify=False)


def test_missing_mnist_is_an_error_even_when_emnist_is_optional(tmp_path):
    with pytest.raises(DatasetUnavailable, match="^MNIST unavailable"):
        load_combined("test", data_dir=tmp_path, download=False, require_emnist=False)


def test_partial_emnist_is_used_and_reported(tmp_path):
    mx, my, ex, ey = write_both(tmp_path, emnist=False)
    (tmp_path / "emnist-partial").mkdir()
    write_idx(tmp_path / "emnist-partial" / "emnist-digits-test-1-2-images-idx3-ubyte.gz", ex[1:].transpose(0, 2, 1))
    write_idx(tmp_path / "emnist-partial" / "emnist-digits-test-1-2-labels-idx1-ubyte.gz", ey[1:])
    c = load_combined("test", data_dir=tmp_path, download=False, verify=False)
    np.testing.assert_array_equal(c.images, np.concatenate([mx, ex[1:]]))
    assert c.emnist_available and c.emnist_info["partial"] is True
    assert (c.emnist_info["n"], c.emnist_info["of"], c.emnist_info["labels_checked"]) == (2, 40_000, True)

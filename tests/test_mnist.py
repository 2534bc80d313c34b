"""load_mnist on files written by the tests (bad inputs included) and on the real MNIST files."""

from __future__ import annotations

import gzip
import hashlib
import os

import numpy as np
import pytest

from handdigits.datasets import ChecksumError, DatasetUnavailable, load_mnist, write_idx
from handdigits.datasets.idx import to_idx_bytes


def write_split(root, split="test", n=6, labels_n=None, gz=True, seed=0):
    prefix = {"train": "train", "test": "t10k"}[split]
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n if labels_n is None else labels_n, dtype=np.uint8)
    d = root / "mnist"
    d.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if gz else ""
    write_idx(d / f"{prefix}-images-idx3-ubyte{ext}", images)
    write_idx(d / f"{prefix}-labels-idx1-ubyte{ext}", labels)
    return images, labels


@pytest.mark.parametrize("gz", [True, False])
def test_loads_fixture_files(tmp_path, gz):
    images, labels = write_split(tmp_path, "train", gz=gz)
    x, y = load_mnist("train", data_dir=tmp_path, download=False, verify=False)
    assert x.dtype == np.uint8 and y.dtype == np.uint8 and x.shape == (6, 28, 28)
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)


def test_data_dir_from_environment(tmp_path, monkeypatch):
    images, _ = write_split(tmp_path)
    monkeypatch.setenv("HANDDIGITS_DATA", str(tmp_path))
    x, _ = load_mnist("test", download=False, verify=False)
    np.testing.assert_array_equal(x, images)


def test_known_checksums_are_checked_by_default(tmp_path):
    write_split(tmp_path)  # random content: matches none of the real MNIST hashes
    with pytest.raises(ChecksumError, match="sha256 mismatch") as info:
        load_mnist("test", data_dir=tmp_path, download=False)
    assert "t10k-images-idx3-ubyte.gz" in str(info.value) and "verify=False" in str(info.value)


def test_injected_checksums_file_or_content(tmp_path):
    images, labels = write_split(tmp_path)
    d = tmp_path / "mnist"
    sums = {
        # the .gz bytes for images, the decompressed content for labels: both are accepted
        "t10k-images-idx3-ubyte": [hashlib.sha256((d / "t10k-images-idx3-ubyte.gz").read_bytes()).hexdigest()],
        "t10k-labels-idx1-ubyte": [hashlib.sha256(to_idx_bytes(labels)).hexdigest()],
    }
    x, y = load_mnist("test", data_dir=tmp_path, download=False, checksums=sums)
    np.testing.assert_array_equal(x, images)
    sums["t10k-labels-idx1-ubyte"] = ["0" * 64]
    with pytest.raises(ChecksumError, match="t10k-labels"):
        load_mnist("test", data_dir=tmp_path, download=False, checksums=sums)


def test_mismatched_counts(tmp_path):
    write_split(tmp_path, n=6, labels_n=5)
    with pytest.raises(ValueError, match="6 images but 5 labels"):
        load_mnist("test", data_dir=tmp_path, download=False, verify=False)


def test_truncated_gz_names_the_file(tmp_path):
    write_split(tmp_path)
    path = tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz"):
        load_mnist("test", data_dir=tmp_path, download=False, verify=False)


def test_wrong_magic(tmp_path):
    write_split(tmp_path)
    path = tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(gzip.decompress(path.read_bytes()))
    data[0] = 1
    path.write_bytes(gzip.compress(bytes(data)))
    with pytest.raises(ValueError, match="magic"):
        load_mnist("test", data_dir=tmp_path, download=False, verify=False)


def test_images_file_with_label_shape(tmp_path):
    write_split(tmp_path)
    write_idx(tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz", np.zeros(6, np.uint8))
    with pytest.raises(ValueError, match="expected 3 dimensions"):
        load_mnist("test", data_dir=tmp_path, download=False, verify=False)


def test_unknown_split(tmp_path):
    with pytest.raises(ValueError, match=r"unknown split 'validation'.*\['test', 'train'\]"):
        load_mnist("validation", data_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_unreadable_directory(tmp_path):
    # works as root too: a file where the directory should be cannot be listed
    (tmp_path / "mnist").write_text("not a directory")
    with pytest.raises(DatasetUnavailable, match="cannot be read"):
        load_mnist("test", data_dir=tmp_path, download=True, mirrors=["http://127.0.0.1:9/"])


def test_chmod_000_directory(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod 000 does not block reading")
    write_split(tmp_path)
    (tmp_path / "mnist").chmod(0)
    try:
        with pytest.raises(DatasetUnavailable, match="cannot be read"):
            load_mnist("test", data_dir=tmp_path, download=True, mirrors=["http://127.0.0.1:9/"])
    finally:
        (tmp_path / "mnist").chmod(0o700)


# Per-digit counts from the MNIST literature (LeCun et al.; e.g. the class table in many
# MNIST descriptions): train 60,000, test 10,000.
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.mark.data
def test_real_train_split(real_data_dir):
    x, y = load_mnist("train", data_dir=real_data_dir, download=False)  # verify=True: known hashes
    assert x.shape == (60000, 28, 28) and x.dtype == np.uint8
    assert np.bincount(y, minlength=10).tolist() == TRAIN_COUNTS


@pytest.mark.data
def test_real_test_split(mnist_test):
    x, y = mnist_test
    assert x.shape == (10000, 28, 28) and x.dtype == np.uint8
    assert np.bincount(y, minlength=10).tolist() == TEST_COUNTS
    assert 0 < x.mean() < 255 and x.max() == 255  # white digits on black, full range

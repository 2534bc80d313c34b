"""load_emnist on fixtures written in EMNIST's layout (loose files and NIST's gzip.zip)."""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile

import numpy as np
import pytest

from handdigits.datasets import ChecksumError, DatasetUnavailable, load_emnist, read_idx, write_idx
from handdigits.datasets.checksums import check_content
from handdigits.datasets.emnist import CHECKSUMS
from handdigits.datasets.idx import to_idx_bytes


def asymmetric_images(n=4):
    """Images (MNIST orientation) that differ from their transpose: an 'L' plus a per-image mark."""
    x = np.zeros((n, 28, 28), np.uint8)
    x[:, 4:24, 6] = 255      # vertical stroke on the left
    x[:, 23, 6:20] = 200     # horizontal foot at the bottom
    x[np.arange(n), 2, np.arange(n)] = 17  # top-row marker per image
    return x


def emnist_layout(images):
    return images.transpose(0, 2, 1)  # how EMNIST stores an image


def write_loose(root, split="train", subset="digits", images=None, labels=None):
    images = asymmetric_images() if images is None else images
    labels = np.arange(len(images), dtype=np.uint8) % 10 if labels is None else labels
    d = root / "emnist"
    d.mkdir(parents=True, exist_ok=True)
    write_idx(d / f"emnist-{subset}-{split}-images-idx3-ubyte.gz", emnist_layout(images))
    write_idx(d / f"emnist-{subset}-{split}-labels-idx1-ubyte", labels)
    return images, labels


@pytest.mark.parametrize("subset", ["digits", "mnist"])
def test_loose_files_come_back_in_mnist_orientation(tmp_path, subset):
    images, labels = write_loose(tmp_path, subset=subset)
    assert not np.array_equal(images, emnist_layout(images))  # the fixture is really asymmetric
    x, y = load_emnist("train", subset, data_dir=tmp_path, download=False, verify=False)
    assert x.dtype == np.uint8 and x.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    assert x[0, 23, 15] == 200 and x[0, 15, 23] == 0  # the foot is at the bottom, not on the right


def test_reads_only_the_needed_members_of_gzip_zip(tmp_path):
    images = asymmetric_images(3)
    labels = np.array([3, 1, 4], np.uint8)
    d = tmp_path / "emnist"
    d.mkdir()
    with zipfile.ZipFile(d / "gzip.zip", "w") as zf:
        zf.writestr("gzip/emnist-digits-test-images-idx3-ubyte.gz", gzip.compress(to_idx_bytes(emnist_layout(images))))
        zf.writestr("gzip/emnist-digits-test-labels-idx1-ubyte.gz", gzip.compress(to_idx_bytes(labels)))
        zf.writestr("gzip/emnist-digits-train-images-idx3-ubyte.gz", b"corrupt, never read for the test split")
        zf.writestr("gzip/emnist-digits-train-labels-idx1-ubyte.gz", gzip.compress(to_idx_bytes(labels)))
    x, y = load_emnist("test", data_dir=tmp_path, download=False, verify=False)
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    with pytest.raises(ValueError, match=r"gzip\.zip:gzip/emnist-digits-train-images-idx3-ubyte\.gz"):
        load_emnist("train", data_dir=tmp_path, download=False, verify=False)


def test_zip_without_the_member(tmp_path):
    d = tmp_path / "emnist"
    d.mkdir()
    with zipfile.ZipFile(d / "gzip.zip", "w") as zf:
        zf.writestr("readme.txt", "nothing here")
    with pytest.raises(ValueError, match="no member gzip/emnist-digits-test"):
        load_emnist("test", data_dir=tmp_path, download=False)


def test_not_a_zip(tmp_path):
    d = tmp_path / "emnist"
    d.mkdir()
    (d / "gzip.zip").write_bytes(b"PK but not really")
    with pytest.raises(ValueError, match="cannot be read as a zip"):
        load_emnist("test", data_dir=tmp_path, download=False)


def test_known_hashes_are_checked(tmp_path):
    write_loose(tmp_path)
    with pytest.raises(ChecksumError, match="emnist-digits-train-images"):
        load_emnist("train", data_dir=tmp_path, download=False)  # fixture != real EMNIST


def test_injected_hashes(tmp_path):
    images, labels = write_loose(tmp_path)
    d = tmp_path / "emnist"
    sums = {
        "emnist-digits-train-images-idx3-ubyte": [hashlib.sha256((d / "emnist-digits-train-images-idx3-ubyte.gz").read_bytes()).hexdigest()],
        "emnist-digits-train-labels-idx1-ubyte": [hashlib.sha256(to_idx_bytes(labels)).hexdigest()],
    }
    x, _ = load_emnist("train", data_dir=tmp_path, download=False, checksums=sums)
    np.testing.assert_array_equal(x, images)
    sums["emnist-digits-train-images-idx3-ubyte"] = ["f" * 64]
    with pytest.raises(ChecksumError):
        load_emnist("train", data_dir=tmp_path, download=False, checksums=sums)


def test_missing_images_reason(tmp_path):
    write_loose(tmp_path)
    (tmp_path / "emnist" / "emnist-digits-train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DatasetUnavailable) as info:
        load_emnist("train", data_dir=tmp_path, download=False, verify=False)
    message = str(info.value)
    assert message.startswith("EMNIST unavailable:")
    assert "emnist-digits-train-images-idx3-ubyte" in message and "download=False" in message
    assert "gzip.zip" in message and str(tmp_path / "emnist") in message


def test_mismatched_counts(tmp_path):
    write_loose(tmp_path, labels=np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match="4 images but 3 labels"):
        load_emnist("train", data_dir=tmp_path, download=False, verify=False)


@pytest.mark.parametrize("kwargs, message", [({"split": "val"}, "unknown split"), ({"subset": "letters"}, "unknown subset")])
def test_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_emnist(**kwargs, data_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.data
@pytest.mark.parametrize("split, per_digit", [("train", 24000), ("test", 4000)])
def test_real_label_files_match_published_hashes(real_data_dir, split, per_digit):
    path = real_data_dir / "emnist" / f"emnist-digits-{split}-labels-idx1-ubyte.gz"
    if not path.exists():
        pytest.skip(f"{path} absent")
    raw = path.read_bytes()
    published = {"train": "6638a6ff5fe2eefd9cca2471995b46c82986b8e4b2a70d2f5ce8e05d7edb319e",
                 "test": "bad1834c45d5988e270b99d43b13edc3fd898f658ffbc2caf2846ef27f7b05b0"}[split]
    assert hashlib.sha256(raw).hexdigest() == published
    check_content(str(path), raw, gzip.decompress(raw), CHECKSUMS[f"emnist-digits-{split}-labels-idx1-ubyte"])
    labels = read_idx(path, ndim=1)
    assert np.bincount(labels, minlength=10).tolist() == [per_digit] * 10


@pytest.mark.data
def test_real_directory_without_images_is_reported(real_data_dir):
    if (real_data_dir / "emnist" / "emnist-digits-test-images-idx3-ubyte.gz").exists():
        pytest.skip("EMNIST images present here")
    with pytest.raises(DatasetUnavailable, match="^EMNIST unavailable:.*emnist-digits-test-images"):
        load_emnist("test", data_dir=real_data_dir, download=False, allow_partial=False)

"""Partial EMNIST splits (emnist-partial/): index ranges, label checks against the full label files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from handdigits.datasets import DatasetUnavailable, load_emnist, write_idx
from handdigits.datasets.emnist_partial import TOTALS


def images_for(indices):
    """Distinct, asymmetric images (MNIST orientation) that encode their index."""
    indices = np.asarray(indices)
    x = np.zeros((len(indices), 28, 28), np.uint8)
    x[:, 4:24, 6] = 255  # vertical stroke on the left: differs from its transpose
    x[:, 0, 0] = indices % 251
    x[:, 0, 1] = indices // 251 % 251
    x[:, 0, 2] = indices // (251 * 251)
    return x


def full_labels(split="test"):
    return (np.arange(TOTALS[("digits", split)]) * 7 % 10).astype(np.uint8)


def write_part(root, part, indices, split="test", labels=None, index_file=True):
    d = root / "emnist-partial"
    d.mkdir(parents=True, exist_ok=True)
    base = f"emnist-digits-{split}-{part}"
    labels = full_labels(split)[np.asarray(indices) % len(full_labels(split))] if labels is None else labels
    write_idx(d / f"{base}-images-idx3-ubyte.gz", images_for(indices).transpose(0, 2, 1))
    write_idx(d / f"{base}-labels-idx1-ubyte.gz", labels)
    if index_file and not part[0].isdigit():
        (d / f"{base}-indices.txt").write_text("".join(f"{i}\n" for i in indices))
    return d


def write_full_labels(root, split="test"):
    (root / "emnist").mkdir(parents=True, exist_ok=True)
    write_idx(root / "emnist" / f"emnist-digits-{split}-labels-idx1-ubyte.gz", full_labels(split))


def load(root, split="test", **kwargs):
    return load_emnist(split, data_dir=root, download=False, verify=False, with_info=True, **kwargs)


def test_range_and_list_joined_by_index_with_overlap_kept_once(tmp_path):
    write_full_labels(tmp_path)
    write_part(tmp_path, "39990-39999", np.arange(39990, 40000))
    listed = [39995, 12, 7, 39999, 500]  # two of them also in the range
    write_part(tmp_path, "scattered5", listed)
    x, y, info = load(tmp_path)
    expected = np.array(sorted(set(range(39990, 40000)) | set(listed)))
    np.testing.assert_array_equal(x, images_for(expected))  # transposed back, ordered by index
    np.testing.assert_array_equal(y, full_labels()[expected])
    assert info["partial"] is True and info["name"] == "emnist-partial"
    assert (info["n"], info["of"], info["overlap"]) == (13, 40_000, 2)
    assert info["indices"] == "39,990-39,999 + 5 listed in emnist-digits-test-scattered5-indices.txt"
    assert info["labels_checked"] is True and "emnist-digits-test-labels-idx1-ubyte.gz" in info["labels_check"]
    json.dumps(info)  # goes into metadata and reports as is


def test_plain_call_returns_two_arrays(tmp_path):
    write_part(tmp_path, "0-3", np.arange(4), split="train")
    x, y = load_emnist("train", data_dir=tmp_path, download=False, verify=False)
    assert x.shape == (4, 28, 28) and y.tolist() == full_labels("train")[:4].tolist()


def test_labels_must_equal_the_full_label_file(tmp_path):
    write_full_labels(tmp_path)
    labels = full_labels()[100:110].copy()
    labels[3] = (labels[3] + 1) % 10
    write_part(tmp_path, "100-109", np.arange(100, 110), labels=labels)
    with pytest.raises(ValueError, match=r"differ from .*emnist-digits-test-labels.* at 1 of 10 indices \(first: index 103"):
        load(tmp_path)


def test_without_full_labels_the_check_is_reported_as_not_done(tmp_path):
    write_part(tmp_path, "100-109", np.arange(100, 110))
    _, _, info = load(tmp_path)
    assert info["labels_checked"] is False and info["labels_check"].startswith("not checked")


def test_full_files_take_precedence(tmp_path):
    write_part(tmp_path, "0-3", np.arange(4))
    full = images_for(np.arange(5) + 1000)
    write_full_labels(tmp_path)
    write_idx(tmp_path / "emnist" / "emnist-digits-test-images-idx3-ubyte.gz", np.zeros((40_000, 28, 28), np.uint8))
    x, _, info = load(tmp_path)
    assert info == {"name": "emnist", "partial": False, "split": "test", "subset": "digits", "n": 40_000, "of": 40_000}
    assert len(x) == 40_000 and not np.array_equal(x[:5], full)


def test_allow_partial_false_reports_unavailable(tmp_path):
    write_part(tmp_path, "0-3", np.arange(4))
    with pytest.raises(DatasetUnavailable, match="^EMNIST unavailable:.*emnist-digits-test-images"):
        load(tmp_path, allow_partial=False)


@pytest.mark.parametrize("part, indices, message", [
    ("10-19", np.arange(10, 15), r"the name says indices 10-19 \(10 images\) but the file holds 5"),
    ("39998-40001", np.arange(39998, 40002), r"indices outside the split's range \[0, 40000\)"),
])
def test_range_must_match_the_file(tmp_path, part, indices, message):
    write_part(tmp_path, part, indices)
    with pytest.raises(ValueError, match=message):
        load(tmp_path)


def test_list_part_needs_its_index_file(tmp_path):
    write_part(tmp_path, "picked", [5, 9], index_file=False)
    with pytest.raises(ValueError, match="needs its index list emnist-digits-test-picked-indices.txt"):
        load(tmp_path)


def test_index_file_count_must_match(tmp_path):
    d = write_part(tmp_path, "picked", [5, 9])
    (d / "emnist-digits-test-picked-indices.txt").write_text("5\n9\n11\n")
    with pytest.raises(ValueError, match="lists 3 indices for 2 images"):
        load(tmp_path)


def test_images_without_labels(tmp_path):
    d = write_part(tmp_path, "0-3", np.arange(4))
    (d / "emnist-digits-test-0-3-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(ValueError, match="no matching labels file for part '0-3'"):
        load(tmp_path)


def test_overlap_must_agree(tmp_path):
    write_part(tmp_path, "0-3", np.arange(4))
    d = write_part(tmp_path, "extra", [2])
    write_idx(d / "emnist-digits-test-extra-images-idx3-ubyte.gz", images_for([77]).transpose(0, 2, 1))
    with pytest.raises(ValueError, match="index 2 of EMNIST digits test appears in two parts with different images"):
        load(tmp_path)


def test_known_partial_hashes_are_checked(tmp_path):
    # a file under a known name but with other content fails verification
    write_part(tmp_path, "39762-39999", np.arange(39762, 40000))
    with pytest.raises(ValueError, match="sha256 mismatch"):
        load_emnist("test", data_dir=tmp_path, download=False)


@pytest.mark.data
@pytest.mark.parametrize("split, n, of", [("train", 11_904, 240_000), ("test", 833, 40_000)])
def test_real_partial_files(real_data_dir, split, n, of):
    if not (real_data_dir / "emnist-partial").is_dir():
        pytest.skip(f"{real_data_dir / 'emnist-partial'} absent (real partial EMNIST images)")
    x, y, info = load_emnist(split, data_dir=real_data_dir, download=False, with_info=True)
    assert x.shape == (n, 28, 28) and (info["n"], info["of"], info["partial"]) == (n, of, True)
    assert info["labels_checked"] is True
    assert abs(x.mean() / 255 - 0.1737) < 0.002  # EMNIST digits' published normalisation
    assert np.bincount(y, minlength=10).min() > n // 20
    # MNIST orientation: the strokes of a 1 are (near) vertical, so columns vary more than rows
    ones = x[y == 1].astype(float).mean(axis=0)
    assert ones.sum(axis=0).std() > ones.sum(axis=1).std()

"""load_image_folder / load_labelled: the user's labelled images (ImageFolder layout, IDX pairs)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from handdigits.datasets import load_image_folder, load_labelled, write_idx
from handdigits.datasets.labelled import parse_spec


def digit_image(digit: int, size=(40, 56)) -> np.ndarray:
    """A dark stroke on light paper, its width set by the digit (so each file is distinct)."""
    a = np.full(size[::-1], 235, np.uint8)
    a[10:-10, 15 : 19 + digit] = 20
    return a


def make_folder(root, per_class=(2, 1, 0, 0, 0, 0, 0, 0, 0, 3), fmt="png"):
    for digit, count in enumerate(per_class):
        if count:
            (root / str(digit)).mkdir(parents=True)
        for i in range(count):
            Image.fromarray(digit_image(digit)).save(root / str(digit) / f"img{i}.{fmt}")
    return root


def test_layout_order_and_labels(tmp_path):
    root = make_folder(tmp_path / "mine")
    (root / "README.txt").write_text("files at the top are ignored")
    (root / ".cache").mkdir()
    (root / "9" / ".DS_Store").write_bytes(b"hidden files are ignored")
    (root / "9" / "more").mkdir()
    Image.fromarray(digit_image(9)).save(root / "9" / "more" / "deep.jpg")
    images, labels = load_image_folder(root)
    assert labels.dtype == np.int64 and labels.tolist() == [0, 0, 1, 9, 9, 9, 9]
    assert all(img.dtype == np.uint8 and img.shape == (56, 40) for img in images)
    np.testing.assert_array_equal(images[2], digit_image(1))  # PNG is lossless: pixels come back as written


def test_rgb_and_alpha_images(tmp_path):
    (tmp_path / "4").mkdir()
    Image.fromarray(np.stack([digit_image(4)] * 3, -1)).save(tmp_path / "4" / "rgb.png")
    Image.fromarray(np.dstack([digit_image(4)] * 3 + [np.full((56, 40), 255, np.uint8)])).save(tmp_path / "4" / "a.png")
    images, labels = load_image_folder(tmp_path)
    assert labels.tolist() == [4, 4]
    assert {img.shape for img in images} == {(56, 40), (56, 40, 4)}


@pytest.mark.parametrize("setup, exc, match", [
    (lambda r: (r / "3").mkdir() or (r / "three").mkdir(), ValueError, r"unexpected: 'three'"),
    (lambda r: (r / "10").mkdir(), ValueError, r"named after the digit.*'10'"),
    (lambda r: (r / "notes.txt").write_text("x"), ValueError, "has no sub-folders; expected one per digit"),
    (lambda r: (r / "5").mkdir(), ValueError, "sub-folder '5' holds no files"),
])
def test_bad_layouts(tmp_path, setup, exc, match):
    setup(tmp_path)
    with pytest.raises(exc, match=match):
        load_image_folder(tmp_path)


def test_missing_and_file_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_image_folder(tmp_path / "nope")
    (tmp_path / "f.png").write_bytes(b"x")
    with pytest.raises(NotADirectoryError, match="is a file"):
        load_image_folder(tmp_path / "f.png")


def test_undecodable_file_is_named(tmp_path):
    make_folder(tmp_path)
    (tmp_path / "1" / "broken.png").write_bytes(b"\x89PNG but not really")
    with pytest.raises(ValueError, match=r"cannot decode .*1/broken\.png"):
        load_image_folder(tmp_path)


# ----------------------------------------------------------------- load_labelled


def test_labelled_folder_is_preprocessed_to_mnist_format(tmp_path):
    from handdigits.preprocess import to_mnist

    root = make_folder(tmp_path / "forms")
    blank = np.full((56, 40), 235, np.uint8)
    Image.fromarray(blank).save(root / "0" / "empty.png")  # no ink: refused and left out
    x, y, info = load_labelled(root)
    assert x.dtype == np.uint8 and x.shape == (6, 28, 28) and y.tolist() == [0, 0, 1, 9, 9, 9]
    np.testing.assert_array_equal(x[2], to_mnist(digit_image(1)))
    assert info["kind"] == "folder" and info["name"] == "forms" and info["n"] == 6
    assert info["counts"] == [2, 1, 0, 0, 0, 0, 0, 0, 0, 3]
    assert info["refused"] == 1 and info["refused_examples"][0]["file"] == "0/empty.png"
    assert info["sha256"] == hashlib.sha256(x.tobytes() + y.tobytes()).hexdigest()
    assert str(tmp_path) not in repr(info)  # no machine paths in metadata


def test_labelled_idx_pair_string_and_tuple(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    y = np.array([1, 2, 3, 4, 9], np.uint8)
    write_idx(tmp_path / "imgs-idx3-ubyte.gz", x)
    write_idx(tmp_path / "labels-idx1-ubyte", y)
    spec = f"{tmp_path / 'imgs-idx3-ubyte.gz'},{tmp_path / 'labels-idx1-ubyte'}"
    for s in (spec, (tmp_path / "imgs-idx3-ubyte.gz", tmp_path / "labels-idx1-ubyte")):
        gx, gy, info = load_labelled(s)
        np.testing.assert_array_equal(gx, x)
        assert gy.dtype == np.int64 and gy.tolist() == y.tolist()
        assert info["kind"] == "idx" and info["files"] == ["imgs-idx3-ubyte.gz", "labels-idx1-ubyte"]
        assert info["counts"][9] == 1 and info["sha256"] == hashlib.sha256(x.tobytes() + gy.tobytes()).hexdigest()


@pytest.mark.parametrize("x, y, match", [
    (np.zeros((3, 32, 32), np.uint8), np.zeros(3, np.uint8), r"MNIST-format images, uint8 \(N, 28, 28\)"),
    (np.zeros((3, 28, 28), np.uint8), np.zeros(2, np.uint8), "holds 3 images but"),
    (np.zeros((3, 28, 28), np.uint8), np.array([1, 2, 10], np.uint8), "labels must be digits 0-9"),
])
def test_labelled_idx_errors(tmp_path, x, y, match):
    write_idx(tmp_path / "x", x)
    write_idx(tmp_path / "y", y)
    with pytest.raises(ValueError, match=match):
        load_labelled(f"{tmp_path / 'x'},{tmp_path / 'y'}")


def test_parse_spec(tmp_path):
    assert parse_spec(tmp_path)[0] == "folder"
    assert parse_spec("a.idx, b.idx") == ("idx", (parse_spec("a.idx,b")[1][0], parse_spec("x,b.idx")[1][1]))
    (tmp_path / "one.idx").write_bytes(b"")
    with pytest.raises(ValueError, match="is one file"):
        parse_spec(tmp_path / "one.idx")
    with pytest.raises(ValueError, match="one side is empty"):
        parse_spec("a.idx,")
    with pytest.raises(TypeError, match="labelled data must be"):
        parse_spec(3)

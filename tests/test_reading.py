"""Tests of handdigits.reading (Classifier.read): segmentation, decoding, boxes, errors, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from handdigits import reading
from handdigits.preprocess import BlankImageError
from handdigits.realworld import render


@pytest.fixture(scope="module")
def clf():
    from handdigits import Classifier

    return Classifier()


@pytest.fixture(scope="module")
def glyphs():
    """One MNIST-format image per digit, from the bundled sample photos (no dataset needed)."""
    from handdigits.preprocess import to_mnist
    from handdigits.samples import list_samples, true_digit

    return {true_digit(p): to_mnist(p) for p in list_samples()}


def _page(ink: np.ndarray) -> np.ndarray:
    """Dark ink on white paper, uint8 RGB."""
    g = np.clip(np.rint(250 - ink * 230), 0, 255).astype(np.uint8)
    return np.dstack([g] * 3)


def _compose(glyphs, text, *, height=80, gap=0.35, size=None, offsets=None):
    """A number on white paper with known digit boxes (x0, y0, x1, y1), digits ``gap`` heights apart.

    ``offsets`` (pixels, one per digit after the first) overrides the gap: a negative
    offset makes the digit overlap the previous one's box by that much.
    """
    inks = [render.digit_ink(glyphs[int(c)], height) for c in text]
    width = sum(i.shape[1] for i in inks) + int(height * (gap + 1) * len(inks)) + 2 * height
    canvas = np.zeros((height * 3, width))
    boxes, x = [], height
    for k, ink in enumerate(inks):
        if k:
            x += int(gap * height) if offsets is None else offsets[k - 1]
        top = height + (k % 2) * height // 10  # a little baseline drift
        h, w = ink.shape
        canvas[top : top + h, x : x + w] = np.maximum(canvas[top : top + h, x : x + w], ink)
        ys, xs = np.nonzero(ink > 0.25)
        boxes.append((x + xs.min(), top + ys.min(), x + xs.max() + 1, top + ys.max() + 1))
        x += w
    canvas = canvas[:, : x + height]
    image = _page(canvas)
    if size is not None:  # enlarge: boxes scale with the picture
        from PIL import Image

        f = size / image.shape[1]
        image = np.asarray(Image.fromarray(image).resize((size, round(image.shape[0] * f)), Image.Resampling.BICUBIC))
        boxes = [tuple(v * f for v in b) for b in boxes]
    return image, boxes


def _iou(a, b) -> float:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize("text", ["2024", "31", "975", "68"])
def test_separate_digits(clf, glyphs, text):
    image, _ = _compose(glyphs, text)
    r = clf.read(image)
    assert r.text == text
    assert len(r) == len(text) and [d.digit for d in r.digits] == [int(c) for c in text]
    assert 0.0 < r.confidence <= 1.0
    assert r.confidence == pytest.approx(np.prod([d.confidence for d in r.digits]))


def test_boxes_in_input_pixels(clf, glyphs):
    """Known answer: a large picture (reduced internally) still gets boxes in its own pixels."""
    image, truth = _compose(glyphs, "4051", size=2000)
    assert image.shape[1] == 2000 and image.shape[1] > reading.WORK_MAX
    r = clf.read(image)
    assert r.text == "4051"
    for digit, box in zip(r.digits, truth):
        assert _iou(digit.box, box) > 0.75, (digit.box, box)
        x0, y0, x1, y1 = digit.box
        assert 0 <= x0 < x1 <= image.shape[1] and 0 <= y0 < y1 <= image.shape[0]
    xs = [d.box[0] for d in r.digits]
    assert xs == sorted(xs)  # reading order


def test_two_stroke_digits(clf):
    """A 4 and a 7 each drawn in two separate strokes, and a 5 with a detached top, read as three digits."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (420, 200), 255)
    d = ImageDraw.Draw(img)
    w = 9
    d.line([(70, 40), (40, 115), (82, 115)], fill=10, width=w)  # 4: the open angle ...
    d.line([(95, 55), (95, 165)], fill=10, width=w)  # ... and the stem, apart from it
    d.line([(160, 45), (235, 45)], fill=10, width=w)  # 7: the bar ...
    d.line([(225, 58), (185, 165)], fill=10, width=w)  # ... and the stroke down, apart from it
    d.line([(290, 42), (350, 42)], fill=10, width=w)  # 5: the detached top ...
    d.line([(290, 56), (285, 100)], fill=10, width=w)
    d.arc([(270, 88), (355, 168)], start=-150, end=140, fill=10, width=w)
    image = np.asarray(img)
    labels, n = reading.components(image < 128)
    assert n >= 6  # the strokes really are apart
    r = clf.read(image)
    assert r.text == "475"


def _touching(glyphs, text):
    """``text`` (two digits) drawn so that the inks just touch: one connected blob."""
    for overlap in range(0, 40):
        image, boxes = _compose(glyphs, text, offsets=[-overlap])
        if reading.components(image[..., 0] < 128)[1] == 1:
            return image, boxes
    raise AssertionError("the digits never touch")


def test_touching_pair(clf, glyphs):
    """Two digits whose inks touch (one connected blob) are cut apart."""
    image, _ = _touching(glyphs, "03")
    r = clf.read(image)
    assert r.text == "03"
    assert r.digits[0].box[2] <= r.digits[1].box[2]


def test_expected_and_max_digits(clf, glyphs):
    image, _ = _touching(glyphs, "03")
    assert clf.read(image, expected_length=2).text == "03"
    assert len(clf.read(image, expected_length=1).text) == 1
    assert len(clf.read(image, max_digits=1).text) == 1
    with pytest.raises(ValueError, match="cannot read 40 digits"):
        clf.read(image, expected_length=40)


def test_read_batch_matches_read(clf, glyphs):
    images = [_compose(glyphs, t)[0] for t in ("12", "907")]
    batch = clf.read_batch(images)
    assert [b.text for b in batch] == [clf.read(i).text for i in images] == ["12", "907"]


def test_to_dict_is_json(clf, glyphs):
    image, _ = _compose(glyphs, "58")
    r = clf.read(image)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["text"] == "58" == str(r)
    assert [x["digit"] for x in d["digits"]] == [5, 8]
    assert all(len(x["box"]) == 4 and len(x["probabilities"]) == 10 for x in d["digits"])
    assert sum(d["digits"][0]["probabilities"]) == pytest.approx(1.0, abs=1e-4)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("blank", [np.full((120, 300), 255, np.uint8), np.zeros((80, 80, 3), np.uint8)])
def test_empty_image_raises_like_predict(clf, blank):
    with pytest.raises(BlankImageError, match="^no ink found"):
        clf.read(blank)
    with pytest.raises(ValueError, match="image 1 of 2: no ink found"):
        clf.read_batch([_page(np.pad(np.ones((40, 6)), 40)), blank])


def test_read_batch_marks_a_blank_page_and_reads_the_rest(clf, glyphs):
    image, _ = _compose(glyphs, "58")
    blank = np.full((120, 300), 255, np.uint8)
    out = clf.read_batch([image, blank, image], errors="mark")
    assert [r.text for r in out] == ["58", "", "58"]
    assert out[1].error.startswith("no ink found") and out[0].error is None
    assert out[0].confidence == pytest.approx(clf.read(image).confidence)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"max_digits": 0}, ValueError, "max_digits must be >= 1"),
        ({"expected_length": "3"}, TypeError, "expected_length must be an integer"),
        ({"expected_length": 4, "max_digits": 2}, ValueError, "must be <= max_digits"),
    ],
)
def test_bad_parameters(clf, kwargs, error, match):
    with pytest.raises(error, match=match):
        clf.read(np.zeros((50, 50), np.uint8), **kwargs)


def test_bad_inputs_same_errors_as_predict(clf, tmp_path):
    with pytest.raises(FileNotFoundError, match="image file not found"):
        clf.read(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="read takes one image"):
        clf.read(np.zeros((3, 40, 40), np.uint8))
    with pytest.raises(TypeError):
        clf.read({"not": "an image"})


# --------------------------------------------------------------------------- pieces


@settings(max_examples=60, deadline=None)
@given(arrays(bool, st.tuples(st.integers(1, 14), st.integers(1, 14))))
def test_components_match_flood_fill(mask):
    labels, n = reading.components(mask)
    assert ((labels >= 0) == mask).all()
    assert n == len(np.unique(labels[labels >= 0]))
    # every pair of 8-neighbouring ink pixels shares a label; labels never exceed the flood-fill count
    h, w = mask.shape
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        for y in range(h - dy):
            for x in range(max(0, -dx), min(w, w - dx)):
                if mask[y, x] and mask[y + dy, x + dx]:
                    assert labels[y, x] == labels[y + dy, x + dx]
    assert n == _flood_fill_count(mask)


def _flood_fill_count(mask) -> int:
    seen = np.zeros_like(mask)
    count = 0
    for y, x in zip(*np.nonzero(mask)):
        if seen[y, x]:
            continue
        count += 1
        stack = [(y, x)]
        seen[y, x] = True
        while stack:
            cy, cx = stack.pop()
            for ny in range(cy - 1, cy + 2):
                for nx in range(cx - 1, cx + 2):
                    if 0 <= ny < mask.shape[0] and 0 <= nx < mask.shape[1] and mask[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        stack.append((ny, nx))
    return count


def test_ruling_lines_are_removed_but_not_strokes():
    m = np.zeros((120, 300), bool)
    m[30, :] = m[60, :] = m[90, :] = True  # ruled paper
    m[20:100, 150:153] = True  # the stem of a 1 crossing the lines
    across, down = reading.ink._lines_by_axis(m)
    lines = across | down
    assert lines[30, :140].all() and lines[90, 160:].all()
    assert not lines[20:100, 150:153].any()


# --------------------------------------------------------------------------- generator


def test_numbers_generator(real_data_dir):
    from handdigits.realworld import load
    from handdigits.realworld.numbers import generate

    a = generate(6, seed=3, data_dir=real_data_dir, touching=0.5)
    b = generate(6, seed=3, data_dir=real_data_dir, touching=0.5)
    assert [s.text for s in a] == [s.text for s in b]
    assert all(np.array_equal(x.image, y.image) for x, y in zip(a, b))
    for s in a:
        assert 2 <= len(s.text) <= 6 and s.text.isdigit() and len(s.boxes) == len(s.text)
        h, w = s.image.shape[:2]
        assert all(0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h for x0, y0, x1, y1 in s.boxes)
    assert any(s.touching for s in a)
    images, labels = load("realworld/numbers", n=2, seed=3, data_dir=real_data_dir)
    assert labels.tolist() == [s.text for s in a[:2]]


def test_numbers_from_given_digits(glyphs):
    """``digits=``: numbers drawn only from the given images (a validation hold-out), as deterministic."""
    from handdigits.realworld.numbers import generate

    few = (np.stack([glyphs[3], glyphs[8]]), np.array([3, 8]))
    a = generate(5, seed=2, digits=few)
    assert [s.text for s in a] == [s.text for s in generate(5, seed=2, digits=few)]
    assert all(set(s.text) <= {"3", "8"} and 2 <= len(s.text) <= 6 for s in a)
    assert all(np.array_equal(x.image, y.image) for x, y in zip(a, generate(5, seed=2, digits=few)))
    with pytest.raises(ValueError, match="digits must be"):
        generate(2, digits=(glyphs[3], np.array([3])))


# --------------------------------------------------------------------------- CLI


def test_cli_read_json(glyphs, tmp_path, capsys):
    from PIL import Image

    from handdigits.cli import main

    path = tmp_path / "number.png"
    Image.fromarray(_compose(glyphs, "307")[0]).save(path)
    assert main(["read", str(path), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records[0]["image"] == str(path) and records[0]["text"] == "307" and records[0]["error"] is None
    assert [d["digit"] for d in records[0]["digits"]] == [3, 0, 7]

    assert main(["read", str(path), str(tmp_path / "missing.png")]) == 1
    out, err = capsys.readouterr()
    assert out.strip() == f"{path}: 307 ({records[0]['confidence']:.1%})"
    assert "handdigits read: error:" in err and "missing.png: file not found" in err

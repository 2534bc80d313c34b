"""Known answers for handdigits.preprocess, one per step, through the public API only.

Each input is chosen so that a plausible mistake in one step (a colour image read as its
red channel, a shrink that changes the aspect ratio, a blank test with ``and`` for ``or``,
negative values clipped instead of rescaled, ...) gives a visibly different answer.
``make mutation`` measures how many such mistakes these tests and tests/test_preprocess.py
notice.  Only public names are used, so the tests hold however the package is split.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image, ImageDraw

from handdigits.preprocess import (
    BlankImageError,
    best_tilt,
    find_rulings,
    paper_polarity,
    stroke_width,
    to_mnist,
    to_mnist_batch,
    trace,
)


def seven(size: int = 100, paper: int = 0, ink: int = 255) -> np.ndarray:
    """A '7' drawn with Pillow (independent of the code under test), uint8 (size, size)."""
    img = Image.new("L", (size, size), paper)
    d = ImageDraw.Draw(img)
    s = size / 100
    d.line([(20 * s, 15 * s), (80 * s, 15 * s)], fill=ink, width=int(12 * s))
    d.line([(80 * s, 15 * s), (40 * s, 90 * s)], fill=ink, width=int(12 * s))
    return np.asarray(img)


def ink_box(out: np.ndarray, level: int = 25) -> tuple[int, int]:
    """(height, width) of the bounding box of pixels above ``level`` in a 28x28 output."""
    ink = out > level
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


# ----------------------------------------------------------------------------- colour: luminance


def test_tiny_rgb_uses_luminance_weights():
    """Red (luma 0.299) and green (0.587) bars: the red one comes out about half as bright."""
    a = np.zeros((16, 16, 3), np.uint8)
    a[2:14, 4:6, 0] = 255  # pure red bar on the left
    a[2:14, 10:12, 1] = 255  # pure green bar on the right
    t = trace(a)
    assert (t.path, t.error, t.inverted) == ("grey", None, False)
    cols = t.output.max(axis=0).astype(float)
    red, green = cols[:14].max(), cols[14:].max()
    assert green == 255
    assert 0.45 < red / green < 0.6  # 0.299 / 0.587 = 0.51; red channel only: green would vanish


def test_polarity_of_colour_paper_follows_luminance():
    """Red ink (luma 0.30) on green paper (0.46): dark ink, though its red channel is the brighter."""
    b = np.zeros((60, 60, 3), np.uint8)
    b[..., 1] = 200
    b[10:50, 28:33] = (255, 0, 0)
    t = trace(b)
    assert t.error is None and t.path == "photo"
    assert t.inverted is True  # a mean of the channels (0.26 vs 0.33) or the red channel says light ink
    assert t.original.shape == (60, 60, 3)  # colour kept in the trace
    assert t.box is not None and 26 <= t.box[0] <= 28 and 33 <= t.box[2] <= 35


def test_grey_stored_as_rgb_gives_the_grey_answer():
    g = seven()
    assert np.array_equal(to_mnist(np.repeat(g[..., None], 3, axis=2)), to_mnist(g))


# ----------------------------------------------------------------------------- value ranges


@pytest.mark.parametrize(
    "convert",
    [
        pytest.param(lambda u: u.astype(np.float32) / 127.5 - 1.0, id="float in [-1, 1]"),
        pytest.param(lambda u: u.astype(np.float64) - 255.0, id="float in [-255, 0]"),
        pytest.param(lambda u: u / 255.0, id="float in [0, 1]"),
        pytest.param(lambda u: u.astype(np.float64), id="float in [0, 255]"),
        pytest.param(lambda u: u.astype(np.uint16) * 257, id="uint16"),
        pytest.param(lambda u: u.astype(np.float64) * 1000.0, id="float up to 255000"),
        pytest.param(lambda u: u.astype(np.int32) * 100, id="int32 up to 25500"),
    ],
)
def test_every_value_range_gives_the_uint8_answer(convert):
    u = seven()
    assert np.array_equal(to_mnist(convert(u)), to_mnist(u))


def test_negative_values_are_stretched_not_clipped():
    """-1 paper, -0.5 ink: clipping at 0 would leave nothing; stretching makes the ink full white."""
    u = seven()
    a = np.where(u > 127, -0.5, -1.0)
    t = trace(a)
    assert t.error is None
    assert np.array_equal(t.original, np.where(u > 127, 255, 0).astype(np.uint8))


def test_constant_negative_image_is_blank():
    with pytest.raises(BlankImageError, match="^no ink found"):
        to_mnist(np.full((40, 40), -3.0))


# ----------------------------------------------------------------------------- shrinking large images


def test_shrinking_keeps_the_aspect_ratio():
    """An 800x400 frame 400x200 px: reduced by 3 on both axes, it comes out 20 wide and 10 tall."""
    im = Image.new("L", (800, 400), 0)
    ImageDraw.Draw(im).rectangle([200, 100, 599, 299], outline=255, width=20)
    t = trace(np.asarray(im))
    assert t.error is None
    assert (t.scale, t.original.shape) == (3, (134, 267))
    assert t.box == (66, 33, 200, 100)
    h, w = ink_box(t.output)
    assert w == 20 and 9 <= h <= 11


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_shrinking_pads_the_last_column_with_itself(dtype):
    """401 columns reduced by 2: the last block is the last column twice, not the column and zeros."""
    top = {np.uint8: 255, np.uint16: 65535, np.float32: 1.0}[dtype]
    a = np.zeros((10, 401), dtype)
    a[:, -1] = top
    t = trace(a)
    assert (t.scale, t.original.shape) == (2, (5, 201))
    assert t.original[:, -1].tolist() == [255] * 5
    assert t.original[:, :-1].max() == 0


@pytest.mark.parametrize("stripes", ["columns", "rows"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_shrinking_averages_whole_blocks(stripes, dtype):
    """Alternate black and white lines: each 2x2 block averages to mid grey (128) in either direction."""
    top = np.iinfo(dtype).max
    a = np.zeros((400, 400), dtype)
    if stripes == "columns":
        a[:, 1::2] = top
    else:
        a[1::2, :] = top
    t = trace(a)
    assert t.original.shape == (200, 200)
    assert np.unique(t.original).tolist() == [128]


def test_image_of_exactly_work_max_is_not_reduced():
    a = np.zeros((384, 200), np.uint8)
    a[100:300, 90:110] = 255
    t = trace(a)
    assert (t.scale, t.original.shape) == (1, (384, 200))


# ----------------------------------------------------------------------------- blank tests, one condition at a time


def test_photo_contrast_below_minimum_is_blank_even_without_noise():
    """Ink 5/255 above noiseless paper: far above the noise, but under the 0.03 contrast floor."""
    with pytest.raises(BlankImageError) as err:
        to_mnist(seven(100, 128, 133))
    assert str(err.value) == ("no ink found in image (blank or near-blank: ink contrast 0.020 "
                              "(need >= 0.03 and >= 4 x noise 0.004))")
    assert to_mnist(seven(100, 128, 140)).max() == 255  # 12/255 is enough


def test_grey_path_blank_conditions_one_at_a_time():
    faint = np.zeros((16, 16))
    faint[4:12, 7:9] = 0.078
    t = trace(faint)
    assert t.error == "no ink found in image (blank or near-blank: ink contrast 0.078 in a 16x16 image)"
    assert t.output.max() == 0 and t.box is None and t.path == "grey"
    faint[4:12, 7:9] = 0.12
    assert trace(faint).error is None

    speck = np.zeros((16, 16))
    speck[8, 8] = 1.0  # full contrast, but a single pixel
    assert trace(speck).error == "no ink found in image (blank or near-blank: ink contrast 1.000 in a 16x16 image)"
    speck[8, 9] = 1.0
    assert trace(speck).error is None

    rng = np.random.default_rng(0)
    noisy = rng.uniform(0, 0.5, (16, 16))
    noisy[3:13, 7:9] = 0.6  # high contrast, but not 4 noise deviations above the paper
    assert re.fullmatch(r"no ink found in image \(blank or near-blank: ink contrast 0\.3\d\d in a 16x16 image\)",
                        trace(noisy).error)
    calmer = np.random.default_rng(0).uniform(0, 0.3, (16, 16))
    calmer[3:13, 7:9] = 0.6
    assert trace(calmer).error is None


def test_flat_horizontal_stroke_is_refused():
    a = np.zeros((60, 60), np.uint8)
    a[30:33, 10:50] = 255
    with pytest.raises(BlankImageError, match=r"flat horizontal stroke \(40x3 px\)"):
        to_mnist(a)


def test_tiny_blob_in_a_large_image_is_refused():
    a = np.zeros((200, 200), np.uint8)
    a[100:103, 100:103] = 255
    with pytest.raises(BlankImageError, match=r"largest ink blob is only \d px in a 200x200 image"):
        to_mnist(a)


# ----------------------------------------------------------------------------- fast path and framing


def test_mnist_digit_passes_through_unchanged():
    out = to_mnist(seven())
    assert np.array_equal(to_mnist(out), out)
    t = trace(out)
    assert (t.path, t.inverted, t.error) == ("fast", False, None)
    assert np.array_equal(t.output, out)


def test_inverted_mnist_digit_is_inverted_back():
    out = to_mnist(seven())
    t = trace(255 - out)
    assert (t.path, t.inverted) == ("fast", True)
    assert np.array_equal(t.output, out)


def test_output_box_and_centre_of_mass():
    out = to_mnist(seven(100, 255, 0)).astype(np.float64)
    h, w = ink_box(out, 0)
    assert max(h, w) == 20
    rows, cols = np.arange(28), np.arange(28)
    cy = (out.sum(1) * rows).sum() / out.sum()
    cx = (out.sum(0) * cols).sum() / out.sum()
    assert abs(cy - 14) < 0.6 and abs(cx - 14) < 0.6


def test_dark_and_light_ink_give_the_same_digit():
    assert np.abs(to_mnist(seven(100, 255, 0)).astype(int) - to_mnist(seven(100, 0, 255))).max() <= 2


# ----------------------------------------------------------------------------- batch


def test_batch_marks_failures_and_keeps_the_rest():
    good, blank = seven(), np.zeros((40, 40), np.uint8)
    r = to_mnist_batch([good, blank, good], errors="mark")
    assert r.ok.tolist() == [True, False, True] and len(r) == 3
    assert r.reasons[0] is None and r.reasons[1].startswith("no ink found")
    assert np.array_equal(r.images[0], to_mnist(good)) and r.images[1].max() == 0
    with pytest.raises(BlankImageError, match=r"^image 1 of 3: no ink found"):
        to_mnist_batch([good, blank, good])
    with pytest.raises(ValueError, match="errors"):
        to_mnist_batch([good], errors="ignore")


# ----------------------------------------------------------------------------- paper, tilt, rulings, strokes


def test_paper_polarity_known_answers():
    page = np.ones((100, 100), np.float32)
    page[30:70, 48:51] = 0.1  # a thin dark "1" on white
    assert paper_polarity(page) == (1.0, True)
    assert paper_polarity(1.0 - page) == (0.0, False)
    ramp = np.tile(np.linspace(0.4, 0.9, 100, dtype=np.float32), (100, 1))  # light falling off to the left
    ramp[30:70, 48:51] -= 0.3  # dark ink a little darker than the darkest paper
    paper, dark = paper_polarity(ramp)
    assert dark is True and paper == pytest.approx(0.65, abs=0.01)


def test_best_tilt_finds_the_slope_of_a_line():
    w, h = 200, 60
    xs = np.arange(w)
    slope = np.tan(np.radians(1.0))
    tilt, offset, bins, counts = best_tilt(np.rint(20 + slope * xs).astype(int), xs, h, w)
    assert tilt == pytest.approx(slope)
    assert offset == int(np.ceil(slope * w)) + 1 == 5
    assert counts.size == h + 2 * offset and counts.max() == w and bins.shape == (w,)
    tilt, offset, _, counts = best_tilt(np.full(w, 20), xs, h, w)
    assert (tilt, offset, counts.max(), counts.size) == (0.0, 1, w, h + 2)


def test_find_rulings_erases_ruled_lines_but_not_the_digit():
    m = np.zeros((60, 80), bool)
    m[::12, :] = True
    m[10:50, 40] = True  # a "1" on ruled paper
    lines = find_rulings(m)
    assert int(lines.sum()) == 396 and int(lines[10:50, 40].sum()) == 0
    assert np.array_equal(find_rulings(m.T), lines.T)  # vertical lines the same way


def test_find_rulings_keeps_a_bar_that_ends_with_the_digit():
    m = np.zeros((60, 80), bool)
    m[20, 10:70] = True  # the bar of a "T" ...
    m[20:50, 40] = True  # ... and its stem: one line, ending where the digit does
    assert not find_rulings(m).any()
    assert not find_rulings(m, min_cover=0.9).any()
    assert not find_rulings(np.zeros((60, 80), bool)).any()


def test_stroke_width_known_answers():
    bar = np.zeros((10, 30), np.float32)
    bar[3:6, 5:25] = 1.0  # 3 x 20: area 60, boundary 60 - 18 interior = 42
    assert stroke_width(bar) == pytest.approx(2 * 60 / 42)
    line = np.zeros((10, 30), np.float32)
    line[4, 5:25] = 1.0
    assert stroke_width(line) == 2.0
    assert stroke_width(np.zeros((5, 5), np.float32)) == 0.0


# ----------------------------------------------------------------------------- found by mutation testing


def test_batch_messages_name_the_input_and_the_failing_image():
    with pytest.raises(ValueError, match=r"^to_mnist converts one image, got array of shape \(3, 28, 28\)"):
        to_mnist(np.zeros((3, 28, 28)))
    with pytest.raises(BlankImageError, match=r"^image 1 of 2: no ink found"):
        to_mnist_batch([seven(), np.zeros((40, 40), np.uint8)])


def test_components_joined_through_a_chain_of_neighbours():
    """A bar (largest), a small block 10 px to its right, a second bar 10 px beyond the block:
    the second bar is near the digit only once the block has joined it, so it needs another pass."""
    a = np.zeros((200, 200), np.uint8)
    a[70:130, 60:70] = 255  # largest: 60 px tall
    a[95:105, 80:90] = 255  # small, 10 px from the bar
    a[80:120, 100:110] = 255  # 30 px from the bar, 10 px from the block
    t = trace(a)
    assert t.error is None and t.box == (60, 70, 110, 130)


def test_uint8_shrinking_rounds_like_pillow():
    """0/1 stripes reduced by 2 average to 0.5, which Pillow's reduce rounds up to 1 (numpy's rint: 0)."""
    a = np.zeros((400, 400), np.uint8)
    a[:, 1::2] = 1
    assert np.unique(trace(a).original).tolist() == [1]
    rgb = np.zeros((400, 400, 3), np.uint8)
    rgb[:, 1::2, 0] = 1
    rgb[..., 1] = 7
    original = trace(rgb).original
    assert original.shape == (200, 200, 3) and np.unique(original[..., 0]).tolist() == [1]


def test_mnist_stored_as_rgb_and_wide_digits_take_the_fast_path():
    out = to_mnist(seven())
    assert trace(np.repeat(out[..., None], 3, axis=2)).path == "fast"
    im = Image.new("L", (800, 400), 0)
    ImageDraw.Draw(im).rectangle([200, 100, 599, 299], outline=255, width=20)
    wide = to_mnist(np.asarray(im))  # 20 wide, 10 tall: still MNIST format
    assert trace(wide).path == "fast"


def test_thin_pen_strokes_are_thickened_to_mnist_width():
    img = Image.new("L", (200, 200), 255)
    d = ImageDraw.Draw(img)
    d.line([(40, 30), (160, 30)], fill=0, width=1)
    d.line([(160, 30), (80, 180)], fill=0, width=1)
    assert 1.7 <= stroke_width(to_mnist(np.asarray(img)) / 255.0) <= 2.6  # MNIST's median: 1.9


def test_colour_ink_differing_from_the_paper_only_in_lightness():
    """(100, 50, 0) ink on (200, 150, 100) paper: no colour difference, a luminance step only."""
    p = np.zeros((100, 100, 3), np.uint8)
    p[:] = (200, 150, 100)
    p[seven() > 127] = (100, 50, 0)
    t = trace(p)
    assert t.error is None and t.inverted is True and t.original.shape == (100, 100, 3)
    assert t.box == (20, 10, 86, 93)


def test_ruled_lines_are_erased_before_the_digit_is_framed():
    page = np.full((200, 200), 255, np.uint8)
    page[5::20, :] = 150  # grey ruling every 20 px
    ink = seven(200) > 127
    page[ink] = 0
    t = trace(page)
    assert t.error is None and t.rulings.sum() > 1500
    plain = to_mnist(np.where(ink, 0, 255).astype(np.uint8))
    assert np.abs(t.output.astype(int) - plain).max() <= 8


def test_trace_fields_on_success_and_failure():
    ok = trace(seven())
    assert (ok.path, ok.original.dtype, ok.ink.shape) == ("photo", np.uint8, (100, 100))
    assert ok.ink.sum() > 1000 and not ok.rulings.any()
    refused = trace(seven(100, 128, 133))  # found, then refused for its contrast
    assert refused.error.startswith("no ink found") and refused.ink.sum() > 1000
    assert refused.output.dtype == np.uint8 and not refused.output.any()
    grey_rgb = trace(np.repeat(seven(60)[..., None], 3, axis=2))
    assert grey_rgb.original.shape == (60, 60) and grey_rgb.original.dtype == np.uint8


def test_float_rgba_with_alpha_in_0_255_and_colour_in_0_1():
    """White strokes (colour 1.0) drawn on a transparent canvas, alpha in [0, 255]: the colour's
    range is read from the colour channels alone, so the strokes stay white (on black paper)."""
    rgba = np.ones((100, 100, 4))
    rgba[..., 3] = seven().astype(np.float64)
    assert np.abs(to_mnist(rgba).astype(int) - to_mnist(seven())).max() <= 1


def test_trace_figure_layout():
    t = trace(seven())
    fig = t.figure(scale=2)
    assert fig.size == (3 * 56 + 2 * 2, 56) and fig.mode == "RGB"
    f = 56 / 100
    x0, y0 = t.box[:2]
    assert fig.getpixel((round(x0 * f), round(y0 * f))) == (230, 30, 30)  # the kept box, in red
    right = np.asarray(fig.crop((2 * 56 + 4, 0, 3 * 56 + 4, 56)))[..., 0]
    assert np.array_equal(right, np.asarray(Image.fromarray(t.output).resize((56, 56), Image.Resampling.NEAREST)))
    with pytest.raises(ValueError, match="scale"):
        t.figure(scale=65)


def test_trace_original_on_the_fast_and_grey_paths():
    out = to_mnist(seven())
    fast = trace(out)
    assert fast.original.dtype == np.uint8 and np.array_equal(fast.original, out)
    assert fast.ink.shape == fast.rulings.shape == (28, 28) and fast.ink.sum() > 20 and not fast.rulings.any()
    tiny = np.zeros((16, 16), np.uint8)
    tiny[3:13, 7:9] = 200
    grey = trace(tiny)
    assert grey.path == "grey" and grey.original.dtype == np.uint8
    assert np.array_equal(grey.original, tiny) and grey.ink.sum() == 20


def test_black_28x28_is_blank_not_mnist():
    with pytest.raises(BlankImageError, match="^no ink found"):
        to_mnist(np.zeros((28, 28), np.uint8))


def test_rgba_strokes_on_a_transparent_canvas_keep_their_polarity():
    strokes = seven()
    white = np.ones((100, 100, 4))
    white[..., 3] = strokes.astype(np.float64)  # white strokes, alpha in [0, 255]: composited on black
    t = trace(white)
    assert t.error is None and t.inverted is False and t.original[0, 0] == 0
    red = np.zeros((100, 100, 4), np.uint8)
    red[..., 0] = 255
    red[..., 3] = strokes  # red strokes (luma 0.3: dark ink): composited on white paper
    t = trace(red)
    assert t.error is None and t.inverted is True and t.original[0, 0].tolist() == [255, 255, 255]
    faint = np.zeros((100, 100, 4), np.uint8)
    faint[..., 3] = strokes // 3  # black strokes, never more than a third opaque: still dark ink
    t = trace(faint)
    assert t.inverted is True and t.original[0, 0] == 255


def test_refused_traces_keep_the_ink_they_found():
    flat = np.zeros((60, 60), np.uint8)
    flat[30:33, 10:50] = 255
    t = trace(flat)
    assert "flat horizontal stroke" in t.error and t.ink.sum() >= 120 and t.box is None


def test_trace_figure_box_ends_at_the_digit():
    t = trace(seven())
    fig = t.figure(scale=2)
    f = 56 / 100
    x0, _, x1, y1 = t.box
    below = fig.getpixel((round((x0 + x1) / 2 * f), int(y1 * f) + 1))
    assert below != (230, 30, 30)

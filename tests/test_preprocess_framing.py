"""28×28 inputs that are already framed keep their framing (issue 18: EMNIST through ``to_mnist``).

EMNIST frames its digits differently from MNIST (the digit's box centred in the
28×28 field, 2-px margin, up to 24-26 px tall).  Re-cropping such a digit into
MNIST's 20-px box only resamples it (the bundled model made 2 errors on the
partial EMNIST test set after it, 1 on the images as they are), so a 28×28
white-on-black digit that fills the frame without touching its edge is returned
as it is.  The digits here are drawn with Pillow, independently of the code
under test; the known mistake (re-cropping) changes their pixels.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image, ImageDraw, ImageFilter

from handdigits.preprocess import to_mnist, trace


def emnist_like(kind: str, height: int, pen: int = 3) -> np.ndarray:
    """A digit drawn ``height`` px tall, its box centred in a 28×28 field, blurred like EMNIST's (uint8)."""
    s = 8
    img = Image.new("L", (28 * s, 28 * s), 0)
    d = ImageDraw.Draw(img)
    top, bottom = (28 - height) / 2 * s, (28 + height) / 2 * s
    width = 0.6 * height * s
    left, right = 14 * s - width / 2, 14 * s + width / 2
    if kind == "0":
        d.ellipse((left, top, right, bottom), outline=255, width=pen * s)
    else:  # a "7"
        d.line([(left, top + pen * s / 2), (right, top + pen * s / 2), (left + 0.3 * width, bottom)], fill=255,
               width=pen * s, joint="curve")
    small = img.resize((28, 28), Image.Resampling.BOX).filter(ImageFilter.GaussianBlur(0.6))
    return np.asarray(small)


@pytest.mark.parametrize("kind, height", [("0", 24), ("7", 24), ("0", 22), ("7", 22)])
def test_framed_28x28_digit_keeps_its_framing(kind, height):
    img = emnist_like(kind, height)
    ink = img > 25
    assert not (ink[0].any() or ink[-1].any() or ink[:, 0].any() or ink[:, -1].any())
    assert np.ptp(np.flatnonzero(ink.any(1))) + 1 > 21  # larger than MNIST's 20-px box
    np.testing.assert_array_equal(to_mnist(img), img)
    np.testing.assert_array_equal(to_mnist(255 - img), img)  # dark on light: only inverted
    assert trace(img).path == "fast"


def test_small_or_edge_touching_28x28_digit_is_still_reframed():
    small = np.zeros((28, 28), np.uint8)
    small[2:14, 3:15] = emnist_like("0", 24)[2:26:2, 2:26:2]  # 12 px tall, off-centre
    out = to_mnist(small)
    rows = np.flatnonzero((out > 25).any(1))
    assert np.ptp(rows) + 1 >= 18 and trace(small).path == "photo"
    cut = np.roll(emnist_like("7", 24), 3, axis=0)  # touches the bottom edge: not framed
    assert trace(cut).path != "fast"


def test_reframe_brings_an_emnist_like_framing_back_to_mnists():
    from PIL import Image, ImageDraw, ImageFilter

    from handdigits.preprocess import reframe

    im = Image.new("L", (28, 28))
    ImageDraw.Draw(im).line([(9, 4), (19, 4), (13, 23)], fill=255, width=3)
    digit = np.asarray(im.filter(ImageFilter.GaussianBlur(0.8)))  # a "7"
    ys, xs = np.nonzero(digit > 12)
    crop = Image.fromarray(digit[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])
    w = round(crop.width * 26 / crop.height)
    filled = np.zeros((28, 28), np.uint8)  # the same digit filling the box, as EMNIST frames it
    filled[1:27, (28 - w) // 2 : (28 - w) // 2 + w] = np.asarray(crop.resize((w, 26), Image.Resampling.BICUBIC))
    a, b = reframe(np.stack([digit, filled]))
    corr = lambda u, v: np.corrcoef(u.ravel().astype(float), v.ravel().astype(float))[0, 1]  # noqa: E731
    assert corr(digit, filled) < 0.95 and corr(a, b) > 0.99  # a copy again once both share MNIST's frame
    ys, xs = np.nonzero(a > 12)
    assert max(ys.max() - ys.min(), xs.max() - xs.min()) + 1 in (20, 21)  # longer side MNIST's 20 px
    assert abs(np.average(np.arange(28), weights=a.sum(axis=1)) - 14) < 1  # centre of mass in the middle
    assert np.array_equal(reframe(np.zeros((1, 28, 28), np.uint8)), np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"reframe expects \(N, 28, 28\) uint8"):
        reframe(np.zeros((28, 28), np.uint8))


# ----------------------------------------------------------------------------- polarity of 28×28 inputs

@settings(max_examples=200, deadline=None)
@given(arrays(np.float32, (28, 28), elements=st.floats(0, 1, width=32)))
def test_light_background_is_numpys_median_against_its_percentiles(g):
    """The one-sort polarity test answers as ``np.median(g) > mean of np.percentile(g, [1, 99])``."""
    from handdigits.preprocess.framing import _light_background

    low, high = np.percentile(g, [1, 99])
    expected = bool(np.median(g) > 0.5 * (low + high))
    if abs(float(np.median(g)) - 0.5 * float(low + high)) > 1e-6:  # away from float rounding at equality
        assert _light_background(g) is expected


def test_light_background_known_answers():
    from handdigits.preprocess.framing import _light_background, _order_statistic

    s = np.arange(10, dtype=np.float64)
    assert _order_statistic(s, 2.25) == pytest.approx(2.25)
    assert _order_statistic(s, 9.0) == pytest.approx(9.0)  # the last value, no index past the end
    paper = np.full((28, 28), 0.9, np.float32)
    paper[10:18, 12:15] = 0.1  # dark ink on light paper
    assert _light_background(paper)
    assert not _light_background(1.0 - paper)
    # 9 light pixels of 784 (1.1 %): above the 99th percentile's position they pull it up a little,
    # not past the median, which stays dark
    mostly_dark = np.zeros((28, 28), np.float32)
    mostly_dark.flat[:9] = 1.0
    assert not _light_background(mostly_dark)
    # the median is the mean of the two middle values (784 is even): 392 light, 392 dark -> 0.5, not above
    half = np.zeros((28, 28), np.float32)
    half.flat[:392] = 1.0
    assert not _light_background(half)
    half.flat[392] = 1.0
    assert _light_background(half)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["0", "7"]), st.integers(18, 24), st.booleans())
def test_uint8_and_float_copies_of_a_28x28_image_take_the_same_path(seed, kind, height, dark_on_light):
    """The fast path tests 8-bit levels: a uint8 image and its float32 copy in [0, 1] give the same answer
    (the uint8 one is never converted to float), including the noise-speckled ones it refuses."""
    img = emnist_like(kind, height)
    rng = np.random.default_rng(seed)
    speckled = np.clip(img.astype(int) + rng.integers(0, 40, img.shape) * (rng.random(img.shape) < 0.3), 0, 255)
    for u in (img, speckled.astype(np.uint8)):
        u = 255 - u if dark_on_light else u
        a, b = trace(u), trace(u.astype(np.float32) / 255.0)
        assert a.path == b.path and a.inverted == b.inverted
        np.testing.assert_array_equal(a.output, b.output)


def test_fast_path_levels_for_background_and_ink():
    """Background is below 13 of 255 (0.05) and ink above 25 (0.1): a digit on a background of 12 stays
    as it is, on 13 it is not in MNIST form (reframed), and a 25-level halo is not counted as ink."""
    img = emnist_like("0", 20)
    on12 = np.maximum(img, 12)
    np.testing.assert_array_equal(to_mnist(on12), on12)
    assert trace(np.maximum(img, 13)).path != "fast"
    halo = img.copy()
    halo[1, :] = 25  # the rim: not ink at 25, so the digit still leaves its 1-px rim empty
    halo[:, 26] = 25
    assert trace(halo).path == "fast"
    halo[1, 14] = 26
    halo[0, 14] = 26  # ink on the edge: not framed
    assert trace(halo).path != "fast"

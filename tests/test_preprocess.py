"""handdigits.preprocess.to_mnist, the input checks it shares with Classifier, and the bundled samples."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from handdigits.preprocess import to_mnist
from handdigits.samples import list_samples, true_digit

ACCEPTED_ERRORS = (ValueError, TypeError, FileNotFoundError)


# ----------------------------------------------------------------------------- helpers


def synthetic_digit(size: int = 28) -> np.ndarray:
    """A hand-made '7'-like glyph, white on black, uint8 (size, size); independent of the code under test."""
    img = Image.new("L", (100, 100), 0)
    from PIL import ImageDraw

    d = ImageDraw.Draw(img)
    d.line([(20, 15), (80, 15)], fill=255, width=12)
    d.line([(80, 15), (40, 90)], fill=255, width=12)
    return np.asarray(img.resize((size, size), Image.Resampling.LANCZOS))


def extent_and_com(m: np.ndarray) -> tuple[int, float, float]:
    """Longer side of the >25 ink bounding box and the centre of mass (row, col) of a 28x28 image."""
    ink = m > 25
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    extent = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    w = m.astype(np.float64)
    idx = np.arange(28)
    return int(extent), float((w.sum(1) * idx).sum() / w.sum()), float((w.sum(0) * idx).sum() / w.sum())


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel().astype(float), b.ravel().astype(float))[0, 1])


def embed(digit: np.ndarray, canvas: tuple[int, int], top: int, left: int, scale: int) -> np.ndarray:
    """Upscale a 28x28 uint8 digit by ``scale`` and put it into a black canvas (float [0, 1])."""
    big = np.asarray(Image.fromarray(digit).resize((28 * scale, 28 * scale), Image.Resampling.BICUBIC)) / 255.0
    out = np.zeros(canvas)
    out[top : top + 28 * scale, left : left + 28 * scale] = big
    return out


# ----------------------------------------------------------------------------- MNIST fidelity


@pytest.mark.data
def test_mnist_test_images_pass_through_unchanged(mnist_test):
    images, _ = mnist_test
    out = np.stack([to_mnist(x) for x in images])
    assert out.dtype == np.uint8 and out.shape == images.shape
    assert np.array_equal(out, images)


@pytest.mark.data
def test_mnist_digits_recovered_from_large_offcentre_inverted_canvas(mnist_test):
    images, _ = mnist_test
    correlations = []
    for i in range(0, 1000, 50):
        x = images[i]
        page = 1.0 - embed(x, (200, 260), top=20 + i % 60, left=140 - i % 90, scale=4)  # dark ink on white
        out = to_mnist((page * 255).astype(np.uint8))
        extent, cy, cx = extent_and_com(out)
        assert 19 <= extent <= 21
        assert abs(cy - 14) <= 0.6 and abs(cx - 14) <= 0.6
        correlations.append(correlation(out, x))
    # thin strokes come back a little bolder (the page's strokes are stretched to full intensity)
    assert min(correlations) > 0.6
    assert np.median(correlations) > 0.9


# ----------------------------------------------------------------------------- invariances


def test_polarity_scale_dtype_and_channels_do_not_matter():
    x = synthetic_digit(28)
    ref = to_mnist(x)
    variants = {
        "inverted": 255 - x,
        "float01": x / 255.0,
        "float255": x.astype(np.float32),
        "uint16": x.astype(np.uint16) * 257,
        "bool-ish int64": x.astype(np.int64),
        "rgb": np.repeat(x[..., None], 3, axis=2),
        "gray1": x[..., None],
        "rgba-opaque": np.dstack([x, x, x, np.full_like(x, 255)]),
    }
    for name, v in variants.items():
        out = to_mnist(v)
        assert out.shape == (28, 28) and out.dtype == np.uint8, name
        assert np.abs(out.astype(int) - ref).max() <= 2, name


def test_path_bytes_and_pil_inputs_equal_array_input(tmp_path):
    x = 255 - synthetic_digit(80)
    ref = to_mnist(x)
    path = tmp_path / "d.png"
    Image.fromarray(x).save(path)
    assert np.array_equal(to_mnist(path), ref)
    assert np.array_equal(to_mnist(str(path)), ref)
    assert np.array_equal(to_mnist(path.read_bytes()), ref)
    assert np.array_equal(to_mnist(Image.fromarray(x)), ref)


def test_transparent_png_with_dark_ink_is_read_from_alpha():
    ink = synthetic_digit(64)
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[..., 3] = ink  # black ink, transparency elsewhere
    buf = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buf, format="PNG")
    assert correlation(to_mnist(buf.getvalue()), to_mnist(ink)) > 0.98


def test_uneven_lighting_noise_and_specks_are_removed():
    rng = np.random.default_rng(0)
    # the reference is framed like MNIST (a bare 28x28 digit that fills the frame keeps its own framing)
    clean = to_mnist(np.pad(synthetic_digit(28), 6))
    digit = embed(synthetic_digit(28), (240, 320), top=60, left=40, scale=5)
    yy, xx = np.mgrid[0:240, 0:320]
    lighting = 0.45 + 0.5 * xx / 320 + 0.1 * yy / 240  # strong gradient: dark left, bright right
    page = lighting * (1 - 0.8 * digit) + 0.03 * rng.normal(size=digit.shape)
    page[200:204, 280:284] = 0.1  # a dark speck far from the digit
    page[10:13, 300:303] = 0.1
    out = to_mnist(np.clip(page * 255, 0, 255).astype(np.uint8))
    assert correlation(out, clean) > 0.9
    extent, cy, cx = extent_and_com(out)
    assert 19 <= extent <= 21 and abs(cy - 14) <= 0.6 and abs(cx - 14) <= 0.6


def test_small_digit_is_scaled_up_and_centred():
    canvas = np.zeros((100, 100), np.uint8)
    canvas[5:15, 80:90] = synthetic_digit(10)
    extent, cy, cx = extent_and_com(to_mnist(canvas))
    assert 18 <= extent <= 21  # upscaled 2x: soft edges
    assert abs(cy - 14) <= 0.6 and abs(cx - 14) <= 0.6


def test_aspect_ratio_is_kept():
    canvas = np.zeros((120, 120), np.uint8)
    canvas[10:110, 55:65] = 255  # a "1": 100 tall, 10 wide
    out = to_mnist(canvas)
    ink = out > 25
    height = np.flatnonzero(ink.any(1))
    width = np.flatnonzero(ink.any(0))
    assert height[-1] - height[0] + 1 == 20
    assert 2 <= width[-1] - width[0] + 1 <= 4


# ----------------------------------------------------------------------------- blank images


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((28, 28), np.uint8),
        np.full((50, 40), 255, np.uint8),
        np.full((64, 64, 3), 0.5),
        np.clip(0.5 + 0.05 * np.random.default_rng(1).normal(size=(120, 160)), 0, 1),
        (200 + np.random.default_rng(2).integers(0, 6, size=(80, 80))).astype(np.uint8),
        np.pad(np.full((1, 1), 255, np.uint8), ((100, 100), (100, 100))),  # one hot pixel in 201x201
    ],
    ids=["black", "white", "grey-rgb", "gaussian-noise", "faint-noise", "single-pixel"],
)
def test_blank_images_raise_no_ink(image):
    with pytest.raises(ValueError, match="no ink found"):
        to_mnist(image)


# ----------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    "bad, error, pattern",
    [
        ("/nonexistent/digit.png", FileNotFoundError, "not found"),
        (b"this is not an image", ValueError, "cannot decode"),
        (b"", ValueError, "empty bytes"),
        (np.zeros((0, 5)), ValueError, "empty"),
        (np.zeros((2, 2, 2, 2, 2)), ValueError, "dimensions"),
        (np.zeros(28), ValueError, "dimensions"),
        (np.array([[np.nan, 1.0], [2.0, 3.0]]), ValueError, "NaN"),
        (np.array([[np.inf, 1.0], [2.0, 3.0]]), ValueError, "NaN or infinite"),
        (np.zeros((28, 28), complex), TypeError, "complex"),
        (np.zeros((28, 28), object), TypeError, "object"),
        (None, TypeError, "NoneType"),
        ({"a": 1}, TypeError, "dict"),
        ([], ValueError, "empty list"),
        (np.zeros((3, 28, 28), np.uint8), ValueError, "one image"),
    ],
)
def test_bad_inputs_say_what_was_received(bad, error, pattern):
    with pytest.raises(error, match=pattern):
        to_mnist(bad)


def test_directory_and_corrupt_file_are_value_errors(tmp_path):
    with pytest.raises(ValueError, match="directory"):
        to_mnist(tmp_path)
    broken = tmp_path / "broken.png"
    buf = io.BytesIO()
    Image.fromarray(synthetic_digit()).save(buf, format="PNG")
    broken.write_bytes(buf.getvalue()[:60])
    with pytest.raises(ValueError, match="cannot decode"):
        to_mnist(broken)


def test_zero_size_pil_image_is_rejected():
    with pytest.raises(ValueError, match="empty"):
        to_mnist(Image.new("L", (0, 0)))


_dtypes = st.one_of(
    hnp.integer_dtypes(endianness="="),
    hnp.unsigned_integer_dtypes(endianness="="),
    hnp.floating_dtypes(endianness="="),
    hnp.complex_number_dtypes(endianness="="),
    st.just(np.dtype(bool)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hnp.arrays(dtype=_dtypes, shape=hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=40)))
def test_arbitrary_arrays_give_mnist_image_or_a_clear_error(a):
    try:
        out = to_mnist(a)
    except ACCEPTED_ERRORS as exc:
        assert str(exc)  # a message, not a bare exception
        return
    assert out.shape == (28, 28) and out.dtype == np.uint8
    assert out.max() > 0  # a successful conversion found ink


# ----------------------------------------------------------------------------- bundled samples


def test_samples_are_small_varied_and_named_by_digit():
    samples = list_samples()
    assert 8 <= len(samples) <= 12
    assert [p.name for p in samples] == sorted(p.name for p in samples)
    assert sum(len(p.read_bytes()) for p in samples) < 300 * 1024
    assert {true_digit(p) for p in samples} == set(range(10))
    suffixes = {p.name.rsplit(".", 1)[-1] for p in samples}
    assert {"png", "jpg"} <= suffixes
    sizes = set()
    dark_on_light = 0
    for p in samples:
        with Image.open(io.BytesIO(p.read_bytes())) as img:
            sizes.add(img.size)
            gray = np.asarray(img.convert("L"))
        dark_on_light += np.median(gray) > 128
    assert len(sizes) >= 5
    assert 2 <= dark_on_light <= len(samples) - 2  # both polarities present


def test_true_digit_rejects_other_names():
    with pytest.raises(ValueError, match="sample name"):
        true_digit("photo.jpg")


def test_every_sample_normalises_to_an_mnist_like_digit():
    for p in list_samples():
        out = to_mnist(p)
        extent, cy, cx = extent_and_com(out)
        assert 18 <= extent <= 21, p.name
        assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1, p.name
        assert (out > 128).mean() > 0.05, p.name  # strokes reach full intensity like MNIST


# ----------------------------------------------------------------------------- stroke width


def _output_stroke_width(out):
    """Stroke width of a 28×28 result, measured like MNIST's (8× bilinear upscale, in 28-px units)."""
    from PIL import Image as PILImage

    from handdigits.preprocess import stroke_width

    big = np.asarray(PILImage.fromarray(out).resize((224, 224), PILImage.BILINEAR), float) / 255
    return stroke_width(big) / 8


@pytest.mark.parametrize("pen", [2, 4, 40, 60])
def test_pen_and_marker_strokes_come_out_at_mnist_width(pen):
    """A '0' drawn with a fine pen or a fat marker on a 300 px page gets MNIST-like strokes (1.3-3.4 px)."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    page = PILImage.new("L", (300, 300), 235)
    ImageDraw.Draw(page).ellipse((70, 30, 230, 270), outline=20, width=pen)
    out = to_mnist(np.asarray(page))
    assert 1.2 <= _output_stroke_width(out) <= 3.5
    # the digit is still a ring: the centre is background, the ring has ink
    assert out[13:15, 13:15].max() < 128 and out.max() == 255


def test_mnist_like_strokes_are_left_alone(mnist_test):
    """A 10x upscaled MNIST digit (strokes already in range) is not thickened or thinned."""
    from PIL import Image as PILImage

    from handdigits.preprocess import _normalise_stroke

    images, _ = mnist_test
    for img in images[:20]:
        big = np.asarray(PILImage.fromarray(img).resize((280, 280), PILImage.BILINEAR), float) / 255
        rows, cols = np.flatnonzero((big > 0.1).any(1)), np.flatnonzero((big > 0.1).any(0))
        crop = big[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        width = _output_stroke_width(img)
        if 1.35 <= width <= 3.3:
            assert _normalise_stroke(crop) is crop

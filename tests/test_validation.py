"""handdigits.validation: every accepted input and every refusal, with the exact message.

Known-answer tests: each input is chosen so that a plausible mistake in a check (a flipped
comparison, a dropped ``raise``, a wrong bound or a lost message suffix) gives a different
result here.  ``make mutation`` measures how many such mistakes these tests notice.
"""

from __future__ import annotations

import io
import os
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from handdigits.validation import (
    ACCEPTED_IMAGES,
    check_image_array,
    check_image_shape,
    check_choice,
    check_image_tensor,
    check_images,
    check_int,
    check_number,
    check_probability,
    check_range,
    describe,
)

ACCEPTED_SUFFIX = f"; accepted: {ACCEPTED_IMAGES}"


def exact(message: str) -> str:
    """A ``pytest.raises(match=...)`` pattern for exactly ``message``."""
    return "^" + re.escape(message) + "$"


def png_bytes(img: Image.Image, **save_args) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", **save_args)
    return buf.getvalue()


# --------------------------------------------------------------------------- describe


def test_describe():
    assert describe(np.zeros((2, 3), np.uint8)) == "array of shape (2, 3) and dtype uint8"
    assert describe([1, 2]) == "list"
    assert describe(None) == "NoneType"


# --------------------------------------------------------------------------- check_image_array


def test_check_image_array_returns_arrays_unchanged_and_converts_lists():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert check_image_array(a) is a
    b = check_image_array([[1, 2], [3, 4]])
    assert isinstance(b, np.ndarray) and b.dtype.kind == "i"
    np.testing.assert_array_equal(b, [[1, 2], [3, 4]])


def test_check_image_array_bool_becomes_0_255_uint8():
    out = check_image_array(np.array([[True, False], [False, True]]))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, [[255, 0], [0, 255]])


def test_check_image_array_ragged_list_is_a_type_error():
    with pytest.raises(TypeError, match=exact("img: expected a numeric array, got list")):
        check_image_array([[1, 2], [3]], name="img")


@pytest.mark.parametrize(
    "x, dtype",
    [(np.ones((2, 2), np.complex64), "complex64"), (np.array([["a", "b"]]), "<U1"), (np.empty((2, 2), object), "object")],
)
def test_check_image_array_non_real_dtypes(x, dtype):
    message = f"image: expected a real numeric array (uint8 or float), got array of shape {x.shape} and dtype {dtype}"
    with pytest.raises(TypeError, match=exact(message)):
        check_image_array(x)


def test_check_image_array_rank_bounds_are_inclusive():
    assert check_image_array(np.zeros((2, 2))).ndim == 2
    assert check_image_array(np.zeros((1, 2, 2, 1))).ndim == 4
    assert check_image_array(np.zeros(3), min_ndim=1, max_ndim=1).ndim == 1
    for shape in [(3,), (1, 1, 2, 2, 1)]:
        x = np.zeros(shape)
        message = (
            "image: expected 2 to 4 dimensions ((H, W), (H, W, C) or a batch (N, H, W[, C])), "
            f"got array of shape {shape} and dtype float64"
        )
        with pytest.raises(ValueError, match=exact(message)):
            check_image_array(x)
    with pytest.raises(ValueError, match=r"^x: expected 2 to 3 dimensions"):
        check_image_array(np.zeros((1, 2, 2, 1)), max_ndim=3, name="x")
    with pytest.raises(ValueError, match=r"^x: expected 3 to 4 dimensions"):
        check_image_array(np.zeros((2, 2)), min_ndim=3, name="x")


def test_check_image_array_empty():
    with pytest.raises(ValueError, match=exact("image: got an empty array of shape (0, 3) and dtype uint8")):
        check_image_array(np.zeros((0, 3), np.uint8))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_check_image_array_non_finite(bad):
    x = np.zeros((2, 2), np.float32)
    x[1, 1] = bad
    message = "image: contains NaN or infinite values (array of shape (2, 2) and dtype float32)"
    with pytest.raises(ValueError, match=exact(message)):
        check_image_array(x)


def test_check_image_array_integer_extremes_are_finite():
    x = np.array([[np.iinfo(np.int64).min, np.iinfo(np.int64).max]])
    assert check_image_array(x) is x


# --------------------------------------------------------------------------- check_number / range / probability


@pytest.mark.parametrize("value", [True, False, "1", None, [1], np.nan, np.inf, -np.inf, complex(1, 0)])
def test_check_number_refuses_non_finite_and_non_real(value):
    with pytest.raises(ValueError, match=exact(f"k must be a finite real number, got {value!r}")):
        check_number(value, "k")


def test_check_number_returns_a_float():
    for value in (3, np.int64(3), np.float32(3.0), 3.0):
        out = check_number(value, "k")
        assert type(out) is float and out == 3.0


def test_check_number_bounds():
    assert check_number(0, "k", low=0) == 0.0  # closed low bound
    assert check_number(1, "k", high=1) == 1.0  # closed high bound
    assert check_number(0.5, "k", low=0, high=1, low_open=True) == 0.5
    assert check_number(-5, "k") == -5.0  # no bounds given
    assert check_number(5, "k", low=None, high=None) == 5.0
    with pytest.raises(ValueError, match=exact("k must be >= 0, got -0.5")):
        check_number(-0.5, "k", low=0)
    with pytest.raises(ValueError, match=exact("k must be > 0.0, got 0.0")):
        check_number(0, "k", low=0.0, low_open=True)
    with pytest.raises(ValueError, match=exact("k must be > 0.0, got -1.0")):
        check_number(-1, "k", low=0.0, low_open=True)
    with pytest.raises(ValueError, match=exact("k must be <= 1, got 1.5")):
        check_number(1.5, "k", high=1)
    assert check_number(1e-300, "k", low=0.0, low_open=True) == 1e-300
    # low_open only concerns the low bound
    assert check_number(1, "k", high=1, low_open=True) == 1.0


def test_check_range():
    assert check_range((1, 2), "r") == (1.0, 2.0)
    assert check_range([2, 2], "r", low=2, high=2) == (2.0, 2.0)
    assert check_range(np.array([0.5, 1.0]), "r", low=0, high=1) == (0.5, 1.0)
    for value in ("ab", b"ab", 3, (1, 2, 3), (1,)):
        with pytest.raises(ValueError, match=exact(f"r must be a (min, max) pair, got {value!r}")):
            check_range(value, "r")
    with pytest.raises(ValueError, match=exact("r must have min <= max, got (2, 1)")):
        check_range((2, 1), "r")
    with pytest.raises(ValueError, match=exact("r[0] must be >= 0, got -1.0")):
        check_range((-1, 1), "r", low=0)
    with pytest.raises(ValueError, match=exact("r[1] must be <= 1, got 2.0")):
        check_range((0, 2), "r", high=1)
    with pytest.raises(ValueError, match=exact("r[1] must be >= 0, got -1.0")):
        check_range((0, -1), "r", low=0)
    with pytest.raises(ValueError, match=exact("r[0] must be <= 1, got 2.0")):
        check_range((2, 3), "r", high=1)  # both too large: the first is named
    with pytest.raises(ValueError, match=exact("r[0] must be >= 5, got 1.0")):
        check_range((1, 3), "r", low=5)


def test_check_probability():
    assert check_probability(0) == 0.0 and check_probability(1) == 1.0
    with pytest.raises(ValueError, match=exact("p must be <= 1.0, got 1.01")):
        check_probability(1.01)
    with pytest.raises(ValueError, match=exact("rate must be >= 0.0, got -0.01")):
        check_probability(-0.01, "rate")


@settings(max_examples=100, deadline=None)
@given(value=st.floats(allow_nan=False, allow_infinity=False), low=st.floats(-10, 10), high=st.floats(-10, 10))
def test_check_number_accepts_exactly_the_closed_interval(value, low, high):
    inside = low <= value <= high
    try:
        out = check_number(value, "v", low=low, high=high)
    except ValueError:
        assert not inside
    else:
        assert inside and out == value


# --------------------------------------------------------------------------- check_image_shape


@pytest.mark.parametrize(
    "shape",
    [(28, 28), (28, 28, 1), (5, 28, 28), (5, 28, 28, 1), (None, 28, 28, 1), (None, None, None, None),
     (28, 28, 2), (28, 28, 5), (2, 28, 28), (None, None)],
)
def test_check_image_shape_accepts(shape):
    assert check_image_shape(shape) == tuple(shape)


def test_check_image_shape_converts_sizes_to_int():
    out = check_image_shape([np.int64(28), 28.0])
    assert out == (28, 28) and all(type(d) is int for d in out)


@pytest.mark.parametrize("shape", [(28,), (1, 1, 28, 28, 1), ()])
def test_check_image_shape_rank(shape):
    message = f"image: expected (H, W), (H, W, 1), (N, H, W) or (N, H, W, 1), got shape {shape}"
    with pytest.raises(ValueError, match=exact(message)):
        check_image_shape(shape)


@pytest.mark.parametrize("channels", [0, 2, 3, 4, 5])
def test_check_image_shape_4d_needs_one_channel(channels):
    shape = (2, 28, 28, channels)
    message = f"b: batches must be (N, H, W) or (N, H, W, 1) (one channel), got shape {shape}"
    with pytest.raises(ValueError, match=exact(message)):
        check_image_shape(shape, name="b")


@pytest.mark.parametrize("channels", [3, 4])
def test_check_image_shape_3d_colour(channels):
    shape = (28, 28, channels)
    message = (
        f"image: shape {shape} looks like a colour image (H, W, {channels}); "
        "convert it to one grayscale channel first (e.g. handdigits.to_mnist)"
    )
    with pytest.raises(ValueError, match=exact(message)):
        check_image_shape(shape)


@pytest.mark.parametrize("shape", [(0, 28), (28, 0, 1), (0, 28, 28), (3, 28, 0, 1)])
def test_check_image_shape_empty(shape):
    with pytest.raises(ValueError, match=exact(f"image: got an empty array of shape {shape}")):
        check_image_shape(shape)


# --------------------------------------------------------------------------- check_image_tensor (TensorFlow)


@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tensorflow")


def test_check_image_tensor_eager(tf):
    x = tf.zeros((2, 28, 28, 1))
    assert check_image_tensor(x) is x
    for dtype in (tf.uint8, tf.int32, tf.bool, tf.float16):
        t = tf.zeros((28, 28), dtype)
        assert check_image_tensor(t) is t


@pytest.mark.parametrize("dtype", ["string", "complex64", "complex128", "variant"])
def test_check_image_tensor_dtype(tf, dtype):
    if dtype == "string":
        x = tf.constant([["a", "b"], ["c", "d"]])
    elif dtype == "variant":
        x = tf.data.experimental.to_variant(tf.data.Dataset.range(2))
    else:
        x = tf.zeros((2, 2), getattr(tf, dtype))
    message = f"t: expected a real numeric tensor (uint8 or float), got dtype {dtype}"
    with pytest.raises(TypeError, match=exact(message)):
        check_image_tensor(x, name="t")


def test_check_image_tensor_rank_errors(tf):
    message = "image: expected (H, W), (H, W, 1), (N, H, W) or (N, H, W, 1), got shape (28,)"
    with pytest.raises(ValueError, match=exact(message)):
        check_image_tensor(tf.zeros((28,)))
    with pytest.raises(ValueError, match=r"^image: expected \(H, W\).*got shape \(1, 1, 2, 2, 1\)$"):
        check_image_tensor(tf.zeros((1, 1, 2, 2, 1)))
    with pytest.raises(ValueError, match=r"^image: batches must be .*got shape \(2, 4, 4, 2\)$"):
        check_image_tensor(tf.zeros((2, 4, 4, 2)))

    unknown = "x: the tensor's rank must be known (2 to 4 dimensions), got an unknown shape"
    seen = []

    @tf.function(input_signature=[tf.TensorSpec(shape=None, dtype=tf.float32)])
    def traced(t):
        with pytest.raises(ValueError, match=exact(unknown)):
            check_image_tensor(t, name="x")
        seen.append(True)
        return t

    traced(tf.zeros((2, 2)))
    assert seen == [True]


def test_check_image_tensor_eager_values(tf):
    with pytest.raises(ValueError, match=exact("image: contains NaN or infinite values (array of shape (2, 2) and dtype float32)")):
        # shape check passes for (2, 2); the value check runs on the numpy copy
        check_image_tensor(tf.constant([[0.0, np.nan], [1.0, 2.0]]))
    with pytest.raises(ValueError, match=exact("image: got an empty array of shape (0, 28)")):
        check_image_tensor(tf.zeros((0, 28)))


def test_check_image_tensor_traced_float_gets_a_finite_assertion(tf):
    @tf.function(input_signature=[tf.TensorSpec(shape=(None, 2), dtype=tf.float32)])
    def traced(t):
        return check_image_tensor(t, name="px") * 2

    np.testing.assert_array_equal(traced(tf.ones((2, 2))).numpy(), np.full((2, 2), 2.0))
    with pytest.raises(tf.errors.InvalidArgumentError, match="px: contains NaN or infinite values"):
        traced(tf.constant([[1.0, np.inf], [0.0, 0.0]]))

    @tf.function(input_signature=[tf.TensorSpec(shape=(None, 2), dtype=tf.int32)])
    def traced_int(t):
        out = check_image_tensor(t)
        assert out is t  # no assertion op for integers
        return out

    np.testing.assert_array_equal(traced_int(tf.ones((2, 2), tf.int32)).numpy(), np.ones((2, 2)))


# --------------------------------------------------------------------------- check_images: arrays


def test_arrays_2d_is_one_image():
    a = np.zeros((28, 28), np.uint8)
    images, single = check_images(a)
    assert single is True and images.shape == (1, 28, 28)


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_arrays_3d_with_channels_is_one_image(channels):
    images, single = check_images(np.zeros((28, 28, channels)))
    assert single is True and images.shape == (1, 28, 28, channels)


@pytest.mark.parametrize("last", [2, 5, 28])
def test_arrays_3d_otherwise_is_a_batch(last):
    a = np.zeros((6, 28, last))
    images, single = check_images(a)
    assert single is False and images is a


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_arrays_4d_batch(channels):
    a = np.zeros((2, 8, 8, channels))
    images, single = check_images(a)
    assert single is False and images is a


@pytest.mark.parametrize("channels", [2, 5])
def test_arrays_4d_batch_with_2_or_5_channels_is_refused(channels):
    shape = (2, 8, 8, channels)
    message = f"image: a 4-D batch must be (N, H, W, C) with C in 1, 3, 4, got array of shape {shape} and dtype float64"
    with pytest.raises(ValueError, match=exact(message)):
        check_images(np.zeros(shape))


@pytest.mark.parametrize("shape", [(5,), (1, 2, 2, 2, 1)])
def test_arrays_rank_errors_end_with_what_is_accepted(shape):
    message = (
        "image: expected 2 to 4 dimensions ((H, W), (H, W, C) or a batch (N, H, W[, C])), "
        f"got array of shape {shape} and dtype float64" + ACCEPTED_SUFFIX
    )
    with pytest.raises(ValueError, match=exact(message)) as info:
        check_images(np.zeros(shape))
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_arrays_other_value_errors_get_no_suffix():
    x = np.zeros((2, 2))
    x[0, 0] = np.nan
    message = "image: contains NaN or infinite values (array of shape (2, 2) and dtype float64)"
    with pytest.raises(ValueError, match=exact(message)):
        check_images(x)
    with pytest.raises(ValueError, match=exact("image: got an empty array of shape (0, 2) and dtype float64")):
        check_images(np.zeros((0, 2)))


@pytest.mark.parametrize("x", [None, {"a": 1}, {1, 2}, 3, 2.5, 1j])
def test_non_image_types(x):
    with pytest.raises(TypeError, match=exact(f"image: got {describe(x)}; expected {ACCEPTED_IMAGES}")):
        check_images(x)


def test_non_numeric_array_is_a_type_error():
    with pytest.raises(TypeError, match=r"^pic: expected a real numeric array \(uint8 or float\)"):
        check_images(np.array([["a", "b"], ["c", "d"]]), name="pic")


# --------------------------------------------------------------------------- check_images: lists


def test_lists_of_single_images():
    a, b = np.zeros((28, 28)), np.ones((10, 12, 3))
    images, single = check_images([a, b])
    assert single is False and len(images) == 2 and images[0] is a and images[1] is b
    images, single = check_images((a,))
    assert single is False and len(images) == 1


@pytest.mark.parametrize("empty", [[], ()])
def test_empty_list(empty):
    message = f"image: got an empty {type(empty).__name__}; expected {ACCEPTED_IMAGES}"
    with pytest.raises(ValueError, match=exact(message)):
        check_images(empty)


def test_list_elements_must_be_single_images():
    message = (
        "image[1]: list elements must be single images (H, W) or (H, W, 1|3|4), got array of shape (2, 8, 8) "
        "and dtype float64; pass a batch as one array instead"
    )
    with pytest.raises(ValueError, match=exact(message)):
        check_images([np.zeros((8, 8)), np.zeros((2, 8, 8))])
    message = (
        "image[0]: expected 2 to 3 dimensions ((H, W), (H, W, C) or a batch (N, H, W[, C])), "
        "got array of shape (1, 8, 8, 1) and dtype float64" + ACCEPTED_SUFFIX
    )
    with pytest.raises(ValueError, match=exact(message)):
        check_images([np.zeros((1, 8, 8, 1))])
    for channels in (1, 3, 4):
        images, _ = check_images([np.zeros((8, 8, channels))])
        assert images[0].shape == (8, 8, channels)


def test_nested_lists_of_sources():
    message = f"image[0]: nested lists of images are not accepted; expected {ACCEPTED_IMAGES}"
    with pytest.raises(TypeError, match=exact(message)):
        check_images([["a.png", "b.png"]])
    with pytest.raises(TypeError, match=exact(message)):
        check_images([(np.zeros((2, 2)), b"png")])
    # a nested list of numbers is an array, not a list of sources
    images, _ = check_images([[[0, 1], [2, 3]]])
    np.testing.assert_array_equal(images[0], [[0, 1], [2, 3]])


def test_list_items_are_decoded_with_their_index(tmp_path):
    path = tmp_path / "g.png"
    Image.new("L", (4, 3), 7).save(path)
    images, single = check_images([np.zeros((2, 2)), str(path), path, path.read_bytes()])
    assert single is False and [i.shape for i in images] == [(2, 2), (3, 4), (3, 4), (3, 4)]
    with pytest.raises(FileNotFoundError, match=exact(f"image[1]: image file not found: {str(tmp_path / 'no.png')!r}")):
        check_images([np.zeros((2, 2)), tmp_path / "no.png"])


# --------------------------------------------------------------------------- check_images: files, bytes, PIL


def test_path_str_pathlike_bytes_and_bytearray(tmp_path):
    img = Image.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4))
    path = tmp_path / "a.png"
    img.save(path)
    data = path.read_bytes()
    for source in (str(path), path, data, bytearray(data), memoryview(data)):
        images, single = check_images(source)
        assert single is True and len(images) == 1
        np.testing.assert_array_equal(images[0], np.arange(12).reshape(3, 4))
        assert images[0].dtype == np.uint8


def test_pathlike_giving_bytes(tmp_path):
    path = tmp_path / "b.png"
    Image.new("L", (2, 5), 3).save(path)

    class BytesPath:
        def __fspath__(self):
            return os.fsencode(path)

    images, single = check_images(BytesPath())
    assert single and images[0].shape == (5, 2)


def test_missing_file_and_directory(tmp_path):
    missing = str(tmp_path / "missing.png")
    with pytest.raises(FileNotFoundError, match=exact(f"image: image file not found: {missing!r}")):
        check_images(missing)
    with pytest.raises(ValueError, match=exact(f"img: {str(tmp_path)!r} is a directory; expected an image file")):
        check_images(tmp_path, name="img")


def test_empty_and_undecodable_bytes(tmp_path):
    with pytest.raises(ValueError, match=exact("image: got empty bytes; expected the bytes of an encoded image file")):
        check_images(b"")
    with pytest.raises(ValueError, match=r"^image: cannot decode 5 bytes as an image \(UnidentifiedImageError: .*\); "
                                         r"expected a PNG, JPEG or other image file Pillow can read$"):
        check_images(b"hello")
    path = tmp_path / "t.png"
    path.write_bytes(png_bytes(Image.new("L", (50, 50)))[:40])  # truncated
    with pytest.raises(ValueError, match=r"^image: cannot decode " + re.escape(repr(str(path))) + r" as an image \("):
        check_images(path)


def test_bundled_samples_as_traversables():
    sample = next(p for p in resources.files("handdigits").joinpath("samples").iterdir() if p.name.endswith(".png"))
    images, single = check_images(sample)
    assert single and images[0].ndim in (2, 3) and images[0].size > 0
    missing = resources.files("handdigits").joinpath("samples", "no-such-sample.png")
    with pytest.raises(FileNotFoundError, match=r"^image: image file not found: .*no-such-sample\.png"):
        check_images(missing)


class FakeTraversable:
    """Duck-typed like importlib.resources.abc.Traversable: read_bytes() and is_file()."""

    def __init__(self, data: bytes | None):
        self.data = data

    def is_file(self):
        return self.data is not None

    def read_bytes(self):
        return self.data

    def __str__(self):
        return "pkg/x.png"


def test_traversable_duck_type():
    images, single = check_images(FakeTraversable(png_bytes(Image.new("L", (3, 2), 9))))
    assert single and images[0].shape == (2, 3) and (images[0] == 9).all()
    with pytest.raises(ValueError, match=r"^image: cannot decode 'pkg/x.png' as an image"):
        check_images(FakeTraversable(b"junk"))
    with pytest.raises(FileNotFoundError, match=r"^image: image file not found: <"):
        check_images(FakeTraversable(None))


def test_object_with_read_bytes_only_is_not_a_source():
    class OnlyRead:
        def read_bytes(self):
            return b""

    with pytest.raises(TypeError, match=r"^image: expected a numeric array|^image: expected a real numeric array"):
        check_images(OnlyRead())


def test_exif_orientation_is_applied():
    a = np.zeros((2, 5), np.uint8)
    a[0, 0] = 200
    img = Image.fromarray(a)
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when displayed
    images, _ = check_images(png_bytes(img, exif=exif))
    assert images[0].shape == (5, 2)
    assert images[0][0, 1] == 200  # the top-left pixel ends up top-right


def test_decoded_files_are_checked_for_rank():
    # a (1, 1) image decodes to 2-D; images always have at most 3 dimensions after decoding
    images, _ = check_images(png_bytes(Image.new("RGBA", (1, 1), (1, 2, 3, 4))))
    assert images[0].shape == (1, 1, 4)


# PIL images in every common mode --------------------------------------------------------


def luma(r, g, b):
    """ITU-R 601-2 luma, the weights Pillow's convert("L") uses."""
    return r * 299 / 1000 + g * 587 / 1000 + b * 114 / 1000


def test_pil_rgb_uses_luminance_weights_not_one_channel():
    # distinct channels: red, green, blue and a mix, each weighted differently
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (10, 100, 200)]
    img = Image.new("RGB", (4, 1))
    for i, c in enumerate(colours):
        img.putpixel((i, 0), c)
    for source in (img, png_bytes(img)):
        images, single = check_images(source)
        got = images[0]
        assert single and got.shape == (1, 4) and got.dtype == np.uint8
        np.testing.assert_allclose(got[0], [luma(*c) for c in colours], atol=1)
        assert list(got[0]) != [c[0] for c in colours]  # not the red channel
        assert got[0, 0] < got[0, 1] and got[0, 2] < got[0, 0]  # green > red > blue


def test_pil_modes():
    a = np.arange(6, dtype=np.uint8).reshape(2, 3) * 40
    cases = {
        "L": (Image.fromarray(a), (2, 3), np.uint8),
        "I": (Image.fromarray(a.astype(np.int32) * 1000), (2, 3), np.int32),
        "F": (Image.fromarray(a.astype(np.float32) / 7), (2, 3), np.float32),
        "I;16": (Image.fromarray(a.astype(np.uint16) * 300), (2, 3), np.uint16),
        "RGBA": (Image.new("RGBA", (3, 2), (10, 20, 30, 128)), (2, 3, 4), np.uint8),
        "LA": (Image.new("LA", (3, 2), (50, 200)), (2, 3, 4), np.uint8),
        "RGB": (Image.new("RGB", (3, 2), (0, 255, 0)), (2, 3), np.uint8),
        "1": (Image.new("1", (3, 2), 1), (2, 3), np.uint8),
        "P": (Image.new("RGB", (3, 2), (0, 0, 255)).convert("P"), (2, 3), np.uint8),
    }
    for mode, (img, shape, dtype) in cases.items():
        assert img.mode == mode
        images, single = check_images(img)
        assert single is True, mode
        assert images[0].shape == shape and images[0].dtype == dtype, mode
    np.testing.assert_array_equal(check_images(cases["I"][0])[0][0], a.astype(np.int32) * 1000)
    np.testing.assert_array_equal(check_images(cases["I;16"][0])[0][0], a.astype(np.uint16) * 300)
    np.testing.assert_allclose(check_images(cases["F"][0])[0][0], a.astype(np.float32) / 7)
    assert (check_images(cases["RGBA"][0])[0][0] == [10, 20, 30, 128]).all()
    assert (check_images(cases["LA"][0])[0][0] == [50, 50, 50, 200]).all()
    assert (check_images(cases["RGB"][0])[0][0] == round(luma(0, 255, 0))).all()
    assert (check_images(cases["1"][0])[0][0] == 255).all()
    assert (check_images(cases["P"][0])[0][0] == round(luma(0, 0, 255))).all()


def test_pil_palette_with_transparency_keeps_alpha():
    img = Image.new("P", (2, 2), 0)
    img.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    img.putpixel((1, 1), 1)
    img.info["transparency"] = 0
    got = check_images(img)[0][0]
    assert got.shape == (2, 2, 4)
    assert got[0, 0, 3] == 0 and got[1, 1].tolist() == [255, 255, 255, 255]
    img.info.pop("transparency")
    assert check_images(img)[0][0].shape == (2, 2)


def test_pil_image_with_nan_is_refused_under_its_name():
    img = Image.fromarray(np.array([[0.0, np.nan]], np.float32))
    message = "pic: contains NaN or infinite values (array of shape (1, 2) and dtype float32)"
    with pytest.raises(ValueError, match=exact(message)):
        check_images(img, name="pic")
    buf = io.BytesIO()
    img.save(buf, format="TIFF")  # the same float image as a file
    with pytest.raises(ValueError, match=exact(message)):
        check_images(buf.getvalue(), name="pic")


@pytest.mark.parametrize("mode", ["RGBa"])
def test_pil_premultiplied_alpha_modes_keep_alpha(mode):
    img = Image.new("RGBA", (3, 2), (40, 80, 120, 255)).convert(mode)
    assert img.mode == mode
    got = check_images(img)[0][0]
    assert got.shape == (2, 3, 4) and (got[..., 3] == 255).all()


def test_objects_with_getbands_are_not_pil_images(tmp_path):
    class Bands:  # not a PIL image, whatever its attributes
        def getbands(self):
            return ("L",)

    with pytest.raises(TypeError, match=exact("image: expected a real numeric array (uint8 or float), "
                                              "got array of shape () and dtype object")):
        check_images(Bands())
    path = tmp_path / "p.png"
    Image.new("L", (3, 2), 5).save(path)

    class PathWithBands(Bands):  # a path-like that happens to have getbands
        def __fspath__(self):
            return str(path)

    images, single = check_images(PathWithBands())
    assert single and images[0].shape == (2, 3) and (images[0] == 5).all()


# --------------------------------------------------------------------------- check_int / check_choice


def test_check_int():
    assert check_int(3, "k") == 3 and type(check_int(np.int64(3), "k")) is int
    assert check_int(0, "k", low=0) == 0 and check_int(9, "k", high=9) == 9
    assert check_int(-7, "k") == -7 and check_int(5, "k", low=5, high=5) == 5
    for value in (True, 2.0, "2", None, np.float64(2)):
        with pytest.raises(TypeError, match=exact(f"k must be an integer, got {value!r} ({type(value).__name__})")):
            check_int(value, "k")
    with pytest.raises(ValueError, match=exact("k must be >= 1, got 0")):
        check_int(0, "k", low=1)
    with pytest.raises(ValueError, match=exact("k must be <= 4, got 5")):
        check_int(5, "k", high=4)
    with pytest.raises(ValueError, match=exact("k must be in [1, 4], got 0")):
        check_int(0, "k", low=1, high=4)
    with pytest.raises(ValueError, match=exact("k must be in [1, 4], got 5")):
        check_int(5, "k", low=1, high=4)


def test_check_choice():
    assert check_choice("b", "mode", ("a", "b")) == "b"
    assert check_choice(2, "n", iter([1, 2])) == 2  # any iterable of choices
    with pytest.raises(ValueError, match=exact("mode must be one of 'a', 'b'; got 'c'")):
        check_choice("c", "mode", ["a", "b"])


# --------------------------------------------------------------------------- check_mnist_batch


def mnist_like(n=1, ink=255.0, border=0.0, dtype=np.float32):
    """(n, 28, 28, 1) images: ``border`` on the two outer rows/columns, ``ink`` in the middle."""
    x = np.full((n, 28, 28, 1), border, dtype)
    x[:, 2:-2, 2:-2] = 0
    x[:, 10:18, 12:16] = ink
    return x


def test_check_mnist_batch_accepts_mnist_format():
    import warnings

    from handdigits.validation import check_mnist_batch

    x = mnist_like(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_mnist_batch(x) is x  # float32 already: no copy
        out = check_mnist_batch(mnist_like(2, dtype=np.uint8))
        assert out.dtype == np.float32 and out.max() == 255.0
        check_mnist_batch(np.zeros((1, 28, 28, 1), np.float32))  # all zero: no [0, 1] warning
        check_mnist_batch(mnist_like(1, ink=1.5))  # max above 1: not the [0, 1] format
        check_mnist_batch(mnist_like(2, border=127.5))  # a border of exactly 127.5 is not light
        both = np.concatenate([mnist_like(1, border=200), mnist_like(1)])
        check_mnist_batch(both)  # half of the images light: not "most"


@pytest.mark.parametrize("low, high", [(-1.0, 255.0), (0.0, 255.5), (0.0, 1e300), (-3.0, 300.0)])
def test_check_mnist_batch_range(low, high):
    from handdigits.validation import check_mnist_batch

    x = mnist_like(2, ink=high, dtype=np.float64)
    x[1, 5, 5, 0] = low
    message = (f"preprocess=False needs MNIST-format values in [0, 255], got values from {low:.3g} to {high:.3g}; "
               "use preprocess=True for other images")
    with pytest.raises(ValueError, match=exact(message)):
        check_mnist_batch(x)


def test_check_mnist_batch_nan():
    from handdigits.validation import check_mnist_batch

    x = mnist_like(1)
    x[0, 3, 3, 0] = np.nan
    with pytest.raises(ValueError, match=r"^preprocess=False needs MNIST-format values in \[0, 255\], got values from nan"):
        check_mnist_batch(x)


def test_check_mnist_batch_warns_for_unit_range():
    from handdigits.validation import check_mnist_batch

    x = mnist_like(2, ink=1.0)
    message = ("preprocess=False: every value is in [0, 1], but MNIST format is [0, 255] (multiply by 255, "
               "or use preprocess=True); predictions will be near chance")
    with pytest.warns(UserWarning, match=exact(message)) as record:
        assert check_mnist_batch(x) is x
    assert len(record) == 1
    with pytest.warns(UserWarning, match=r"every value is in \[0, 1\]"):
        check_mnist_batch(mnist_like(1, ink=0.3, border=1.0))  # a light-but-[0, 1] border: one warning only


@pytest.mark.parametrize("n_light, n, border", [(2, 3, 200.0), (1, 1, 128.0), (3, 3, 255.0)])
def test_check_mnist_batch_warns_for_light_borders(n_light, n, border):
    from handdigits.validation import check_mnist_batch

    x = np.concatenate([mnist_like(n_light, ink=0, border=border), mnist_like(n - n_light)])
    message = (f"preprocess=False: {n_light} of {n} image(s) have a light border, but MNIST format is white ink on "
               "black (invert them with 255 - x, or use preprocess=True); predictions will be near chance")
    with pytest.warns(UserWarning, match=exact(message)) as record:
        out = check_mnist_batch(x.astype(np.uint8))
    assert len(record) == 1 and out.dtype == np.float32


def test_check_mnist_batch_border_is_two_pixels_wide():
    import warnings

    from handdigits.validation import check_mnist_batch

    x = np.full((1, 28, 28, 1), 255.0, np.float32)
    x[:, 2:-2, 2:-2] = 0  # only the two outer rows/columns light
    with pytest.warns(UserWarning, match="1 of 1 image"):
        check_mnist_batch(x)
    y = np.zeros((1, 28, 28, 1), np.float32)
    y[:, 2:-2, 2:-2] = 255  # everything inside the border light, the border dark
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_mnist_batch(y)


def test_check_mnist_batch_stacklevel_points_at_the_caller():
    import inspect

    import handdigits.validation
    from handdigits.validation import check_mnist_batch

    if "mutants" in Path(handdigits.validation.__file__).parts or "MUTANT_UNDER_TEST" in os.environ:
        pytest.skip("under mutmut: its trampolines add stack frames")

    def inner(x, **kw):  # like Classifier._prepare -> check_mnist_batch
        return check_mnist_batch(x, **kw)

    def api(x, **kw):  # like Classifier.predict
        return inner(x, **kw)

    x = mnist_like(1, ink=0.5)
    with pytest.warns(UserWarning) as record:
        here = inspect.currentframe().f_lineno + 1
        api(x)  # default stacklevel 4: this line, the user's call into the API
    assert record[0].filename == __file__ and record[0].lineno == here
    with pytest.warns(UserWarning) as record:
        api(x, stacklevel=3)
    assert record[0].lineno == inspect.getsourcelines(api)[1] + 1  # the body of api


def test_check_bool_accepts_only_true_and_false():
    from handdigits.validation import check_bool

    assert check_bool(True, "flag") is True and check_bool(False, "flag") is False
    assert check_bool(None, "flag", allow_none=True) is None
    for bad in (0, 1, "yes", np.bool_(True), None):
        with pytest.raises(TypeError, match=exact(f"flag must be True or False, got {bad!r}")):
            check_bool(bad, "flag")
    with pytest.raises(TypeError, match=exact("flag must be True, False or None, got 1")):
        check_bool(1, "flag", allow_none=True)


def test_image_count_for_messages():
    from handdigits.validation import describe, image_count

    assert image_count([np.zeros((2, 2))] * 3) == "3"
    batch = np.zeros((5, 28, 28), np.uint8)
    assert image_count(batch) == describe(batch) and "5" in image_count(batch)

"""Integer dtypes other than uint8 (uint16, int64, ...): read as 0..255 like uint8, never clipped silently.

A value outside 0..255 is a clear error (ValueError; InvalidArgumentError inside a traced tf.data
graph) instead of being clipped; see handdigits.transforms.inputs for why they are not scaled by
the dtype's maximum.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import handdigits.transforms as T

INTEGER_DTYPES = ["uint16", "uint32", "uint64", "int16", "int32", "int64"]
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PIPELINES = {
    "default": lambda s: T.default_augmentation(seed=s),
    "affine": lambda s: T.RandomAffine(20, 0.1, (0.8, 1.2), 10, seed=s),
    "stroke": lambda s: T.RandomStroke(0.8, seed=s),
    "noise": lambda s: T.GaussianNoise(0.3, seed=s),
}


@st.composite
def digit_images(draw, n=None):
    """uint8 images with values anywhere in 0..255: one ``(28, 28)`` image, or ``(n, 28, 28)``."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    img = (rng.random((n or 1, 28, 28)) ** 4 * 256).astype(np.uint8)
    img[:, 0, 0] = draw(st.sampled_from([0, 255]))  # the extremes are allowed
    return img if n else img[0]


@SETTINGS
@given(x=digit_images(), dtype=st.sampled_from(INTEGER_DTYPES + ["int8"]), name=st.sampled_from(sorted(PIPELINES)),
       seed=st.integers(0, 2**20))
def test_integer_images_in_0_255_transform_exactly_like_uint8(x, dtype, name, seed):
    if dtype == "int8":
        x = x // 2  # int8 holds 0..127 of the range
    out = PIPELINES[name](seed)(x.astype(dtype))
    assert out.dtype == np.dtype(dtype) and out.shape == x.shape
    np.testing.assert_array_equal(out, PIPELINES[name](seed)(x).astype(dtype))


@SETTINGS
@given(x=digit_images(), dtype=st.sampled_from(INTEGER_DTYPES), data=st.data())
def test_values_outside_0_255_are_an_error_not_clipped(x, dtype, data):
    info = np.iinfo(dtype)
    bad = data.draw(st.one_of(st.integers(256, int(info.max)), st.integers(int(info.min), -1))
                    if info.min < 0 else st.integers(256, int(info.max)))
    x = x.astype(dtype)
    x[data.draw(st.integers(0, 27)), data.draw(st.integers(0, 27))] = bad
    for shape in ((28, 28), (28, 28, 1), (1, 28, 28)):
        with pytest.raises(ValueError) as info_:
            T.RandomStroke(0.5, seed=0)(x.reshape(shape))
        message = str(info_.value)
        assert f"{np.dtype(dtype).name} image with values" in message and "must hold 0..255" in message
        assert str(bad) in message  # the offending extreme is named


def test_sixteen_bit_scan_is_refused_with_the_conversion_to_use():
    scan = (np.linspace(0, 1, 28 * 28).reshape(28, 28) * 65535).astype(np.uint16)
    with pytest.raises(ValueError, match=r"uint16 image with values 0\.\.65535.*\(x / 65535\)\.astype\('float32'\)"):
        T.default_augmentation(seed=0)(scan)
    out = T.default_augmentation(seed=0)((scan / 65535).astype("float32"))  # the conversion works
    assert out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1


def test_python_int_lists_are_int64_and_work():
    image = np.zeros((28, 28), np.uint8)
    image[8:20, 12:16] = 255
    as_list = image.astype(int).tolist()  # np.asarray(list of Python ints) is int64
    out = T.RandomAffine(10, seed=1)(np.asarray(as_list))
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, T.RandomAffine(10, seed=1)(image).astype(np.int64))


def test_batches_and_tensors_check_the_range_too():
    tf = pytest.importorskip("tensorflow")
    x = np.zeros((3, 28, 28), np.int32)
    x[1, 5, 5] = 300
    with pytest.raises(ValueError, match=r"int32 image with values 0\.\.300"):
        T.RandomStroke(0.5, seed=0)(x)  # numpy batch (compiled TensorFlow path)
    with pytest.raises(ValueError, match=r"int32 image with values 0\.\.300"):
        T.RandomStroke(0.5, seed=0)(tf.constant(x))  # eager tensor
    ok = np.clip(x, 0, 255)
    np.testing.assert_array_equal(T.RandomStroke(0.5, seed=0)(tf.constant(ok)).numpy(),
                                  T.RandomStroke(0.5, seed=0)(tf.constant(ok.astype(np.uint8))).numpy())
    ds = tf.data.Dataset.from_tensor_slices(x).batch(3).map(T.RandomStroke(0.5, seed=0))  # traced: checked as data flows
    with pytest.raises(tf.errors.InvalidArgumentError, match="outside 0..255"):
        next(iter(ds))
    clean = tf.data.Dataset.from_tensor_slices(ok.astype(np.uint16)).batch(3).map(T.RandomStroke(0.5, seed=0))
    assert next(iter(clean)).dtype == tf.uint16

"""Hypothesis properties of handdigits.transforms.

Images are synthetic "digits": a few bars and blobs drawn inside a central box,
so that margins (and hence what may cross the border) are known exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from handdigits import transforms as T  # noqa: E402
from handdigits.transforms import functional as F  # noqa: E402

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def digits(draw, size=28, margin=6, n=None):
    """uint8 batch ``(n, size, size)`` with ink only in ``[margin, size - margin)``, never blank."""
    n = draw(st.integers(1, 3)) if n is None else n
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    out = np.zeros((n, size, size), np.uint8)
    lo, hi = margin, size - margin
    for img in out:
        for _ in range(rng.integers(2, 5)):
            y, x = rng.integers(lo, hi - 2, 2)
            h, w = rng.integers(1, hi - y + 1), rng.integers(1, hi - x + 1)
            img[y : y + h, x : x + w] = np.maximum(img[y : y + h, x : x + w], rng.integers(60, 256))
    return out


def layout_and_dtype(x, layout, dtype):
    """Put a ``(n, H, W)`` uint8 batch into one of the accepted layouts and dtypes."""
    x = {"hw": x[0], "hw1": x[0, ..., None], "nhw": x, "nhw1": x[..., None]}[layout]
    if dtype in ("float01", "float16"):
        return x.astype(dtype.replace("01", "32")) / np.array(255, dtype.replace("01", "32"))
    if dtype == "float255":
        return x.astype(np.float64)
    return x.astype(dtype)


TRANSFORMS = {
    "affine": lambda s, m: T.RandomAffine(30 * m, 0.2 * m, (1 - 0.3 * m, 1 + 0.3 * m), 20 * m, seed=s),
    "shift": lambda s, m: T.RandomShift(0.2 * m, seed=s),
    "rotation": lambda s, m: T.RandomRotation(45 * m, seed=s),
    "scale": lambda s, m: T.RandomScale((1 - 0.3 * m, 1 + 0.3 * m), seed=s),
    "shear": lambda s, m: T.RandomShear(30 * m, seed=s),
    "elastic": lambda s, m: T.RandomElastic(alpha=4 * m, sigma=3.0, seed=s),
    "stroke": lambda s, m: T.RandomStroke(m, seed=s),
    "gauss": lambda s, m: T.GaussianNoise(0.2 * m, seed=s),
    "saltpepper": lambda s, m: T.SaltAndPepper(0.2 * m, seed=s),
    "default": lambda s, m: T.default_augmentation(strength=m, seed=s),
}
names = st.sampled_from(sorted(TRANSFORMS))
seeds = st.integers(0, 2**20)


@SETTINGS
@given(
    x=digits(),
    name=names,
    seed=seeds,
    layout=st.sampled_from(["hw", "hw1", "nhw", "nhw1"]),
    dtype=st.sampled_from(["uint8", "int32", "float01", "float255", "float16"]),
)
def test_shape_dtype_and_range_are_preserved(x, name, seed, layout, dtype):
    x = layout_and_dtype(x, layout, dtype)
    out = TRANSFORMS[name](seed, 1.0)(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    top = 1.0 if dtype in ("float01", "float16") else 255
    assert np.all(out >= 0) and np.all(out <= top) and np.all(np.isfinite(out))


@SETTINGS
@given(x=digits(), name=names, seed=seeds, dtype=st.sampled_from(["uint8", "float01", "float255"]))
def test_zero_magnitude_is_the_identity(x, name, seed, dtype):
    x = layout_and_dtype(x, "nhw", dtype)
    out = TRANSFORMS[name](seed, 0.0)(x)
    if dtype == "float255":  # [0, 255] floats go through x / 255 * 255 in float32
        np.testing.assert_allclose(out, x, rtol=1e-6)
    else:
        np.testing.assert_array_equal(out, x)


@SETTINGS
@given(x=digits(), name=names, seed=seeds)
def test_same_seed_gives_identical_output(x, name, seed):
    np.testing.assert_array_equal(TRANSFORMS[name](seed, 1.0)(x), TRANSFORMS[name](seed, 1.0)(x))


@SETTINGS
@given(x=digits(n=2), name=names, seeds=st.lists(seeds, min_size=2, max_size=2, unique=True))
def test_different_seeds_give_different_output(x, name, seeds):
    a = TRANSFORMS[name](seeds[0], 1.0)(x.astype(np.float32) / 255)
    b = TRANSFORMS[name](seeds[1], 1.0)(x.astype(np.float32) / 255)
    assert not np.array_equal(a, b)


@SETTINGS
@given(x=digits(margin=7), dx=st.integers(-6, 6), dy=st.integers(-6, 6))
def test_integer_shift_inside_the_frame_keeps_the_ink(x, dx, dy):
    out = F.affine(x[..., None].astype(np.float32), translate=(float(dx), float(dy))).numpy()[..., 0]
    np.testing.assert_allclose(out.sum(axis=(1, 2)), x.sum(axis=(1, 2), dtype=np.float64), rtol=1e-5)
    np.testing.assert_array_equal(np.rint(out), np.roll(x, (dy, dx), axis=(1, 2)))


@SETTINGS
@given(x=digits(margin=7), factor=st.floats(0.0, 0.2), seed=seeds)
def test_random_subpixel_shift_inside_the_frame_keeps_the_ink(x, factor, seed):
    # factor <= 0.2 of 28 pixels is < 5.6 px, the margin is 7: nothing crosses the border
    x = x.astype(np.float32) / 255
    out = T.RandomShift(factor, seed=seed)(x)
    np.testing.assert_allclose(out.sum(axis=(1, 2)), x.sum(axis=(1, 2)), rtol=1e-4)


def centroid_angle(img):
    """Direction (degrees) from the image centre to the ink centroid."""
    h, w = img.shape
    ys, xs = np.mgrid[0:h, 0:w]
    m = img.sum()
    cx, cy = (xs * img).sum() / m - (w - 1) / 2, (ys * img).sum() / m - (h - 1) / 2
    return math.degrees(math.atan2(-cy, cx)), math.hypot(cx, cy)  # y axis points down


def axis_angle(img):
    """Orientation (degrees, modulo 180) of the ink's principal axis from second moments."""
    h, w = img.shape
    ys, xs = np.mgrid[0:h, 0:w]
    m = img.sum()
    cx, cy = (xs * img).sum() / m, (ys * img).sum() / m
    mu20 = ((xs - cx) ** 2 * img).sum() / m
    mu02 = ((ys - cy) ** 2 * img).sum() / m
    mu11 = ((xs - cx) * (ys - cy) * img).sum() / m
    return math.degrees(0.5 * math.atan2(-2 * mu11, mu20 - mu02))


def angle_diff(a, b, period):
    d = (a - b) % period
    return min(d, period - d)


@st.composite
def lollipops(draw):
    """A bar with a blob at one end, off-centre, inside the inscribed circle: a '6'-like shape.

    Its centroid direction is 360-periodic (a 180° turn, 6 -> 9, moves it by 180°)
    and its bar gives a well-defined principal axis.
    """
    theta = math.radians(draw(st.floats(0, 360)))
    img = np.zeros((28, 28), np.float32)
    ys, xs = np.mgrid[0:28, 0:28]
    c = 13.5
    # bar from the centre outwards along theta, blob at its far end
    t = np.clip((xs - c) * math.cos(theta) - (ys - c) * math.sin(theta), 0, 10)
    px, py = c + t * math.cos(theta), c - t * math.sin(theta)
    img[np.hypot(xs - px, ys - py) <= 1.2] = 1.0
    bx, by = c + 9 * math.cos(theta), c - 9 * math.sin(theta)
    img[np.hypot(xs - bx, ys - by) <= 2.5] = 1.0
    return img


@SETTINGS
@given(img=lollipops(), degrees=st.floats(0, 90), seed=seeds)
def test_rotation_is_bounded_so_labels_survive(img, degrees, seed):
    out = T.RandomRotation(degrees, seed=seed)(img)
    before, r = centroid_angle(img)
    after, _ = centroid_angle(out)
    assert r > 4  # the shape is off-centre enough for its direction to be precise
    assert angle_diff(after, before, 360) <= degrees + 2.0
    assert angle_diff(axis_angle(out), axis_angle(img), 180) <= degrees + 3.0


@SETTINGS
@given(img=lollipops(), angle=st.floats(-90, 90))
def test_the_rotation_proxy_measures_the_applied_angle(img, angle):
    """The centroid-direction proxy is sensitive: it recovers a known rotation (CCW positive)."""
    out = F.affine(img[None, :, :, None], angle=angle).numpy()[0, :, :, 0]
    before, _ = centroid_angle(img)
    after, _ = centroid_angle(out)
    assert angle_diff(after - before, angle, 360) <= 2.0


@SETTINGS
@given(degrees=st.floats(90.001, 1e6, allow_nan=False))
def test_rotations_beyond_90_degrees_are_refused(degrees):
    with pytest.raises(ValueError, match="degrees"):
        T.RandomRotation(degrees)
    with pytest.raises(ValueError, match="degrees"):
        T.RandomAffine(degrees=degrees)


@SETTINGS
@given(value=st.floats(max_value=-1e-9) | st.just(float("nan")) | st.just(float("inf")))
def test_negative_or_non_finite_magnitudes_are_refused(value):
    for build, name in (
        (lambda v: T.RandomShift(v), "factor"),
        (lambda v: T.RandomRotation(v), "degrees"),
        (lambda v: T.RandomElastic(alpha=v), "alpha"),
        (lambda v: T.RandomStroke(v), "factor"),
        (lambda v: T.GaussianNoise(v), "max_sigma"),
        (lambda v: T.SaltAndPepper(v), "max_amount"),
        (lambda v: T.RandomApply(T.RandomShift(), p=v), "p"),
    ):
        with pytest.raises(ValueError, match=name):
            build(value)

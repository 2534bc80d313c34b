"""Known answers for the numpy functions of the transforms (``numpy_functional``, ``_affine``), no TensorFlow.

``tests/test_transforms_numpy.py`` checks each numpy function against its TensorFlow twin; these
tests pin the answers themselves, on inputs where a wrong step is visible (a non-square image
catches swapped axes, a single lit pixel shows where a warp sends it, a linear ramp read back
gives the displacement field), so mutation testing (``make mutation``), which cannot run
TensorFlow, can check them.  The ``no_tensorflow`` fixture keeps the file TensorFlow-free.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from handdigits.transforms import numpy_functional as NF
from handdigits.transforms._affine import inverse_affine


@pytest.fixture(autouse=True)
def no_tensorflow(monkeypatch):
    """``import tensorflow`` / ``import keras`` fail inside these tests (mutmut's forked children hang in it)."""
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    monkeypatch.setitem(sys.modules, "keras", None)


def one(a) -> np.ndarray:
    """A 2-D array as a float32 batch ``(1, H, W, 1)``."""
    return np.asarray(a, np.float32)[None, :, :, None]


def dot(h: int, w: int, y: int, x: int, value: float = 1.0) -> np.ndarray:
    img = np.zeros((h, w), np.float32)
    img[y, x] = value
    return img


# -- the affine map ----------------------------------------------------------------------


@pytest.mark.parametrize(("cos", "sin", "tan", "s", "tx", "ty", "cx", "cy"),
                         [(0.6, 0.8, 0.5, 2.0, 1.0, -2.0, 3.0, 4.5), (1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 7.0, 2.0),
                          (0.0, -1.0, -0.25, 0.5, -3.0, 0.5, 0.0, 13.5)])
def test_inverse_affine_is_the_inverse_of_the_forward_map(cos, sin, tan, s, tx, ty, cx, cy):
    forward = s * np.array([[cos, cos * tan + sin], [-sin, -sin * tan + cos]])
    inv = np.linalg.inv(forward)  # p_in = c + A^-1 (p_out - c - t)
    offset = np.array([cx, cy]) - inv @ np.array([cx + tx, cy + ty])
    got = inverse_affine(cos, sin, tan, s, tx, ty, cx, cy)
    np.testing.assert_allclose(got, [inv[0, 0], inv[0, 1], offset[0], inv[1, 0], inv[1, 1], offset[1]], atol=1e-12)


def test_affine_matrices_rows_per_image_and_the_centre():
    m = NF.affine_matrices(5, 9, angle=np.float32([0, 90]), translate=(2.0, -1.0), scale=np.float32([2, 1]))
    assert m.shape == (2, 8) and m.dtype == np.float32
    # image 0: zoom x2 about (4, 2), then shift by (2, -1): x_in = 4 + (x_out - 6) / 2, y_in = 2 + (y_out - 1) / 2
    np.testing.assert_allclose(m[0], [0.5, 0, 1.0, 0, 0.5, 1.5, 0, 0], atol=1e-6)
    # image 1: 90 degrees about (4, 2): x_in = 4 - (y_out + 1 - 2), y_in = 2 + (x_out - 2 - 4)
    np.testing.assert_allclose(m[1], [0, -1, 5.0, 1, 0, -4.0, 0, 0], atol=1e-5)
    single = NF.affine_matrices(5, 9, angle=90.0, translate=(2.0, -1.0))
    assert single.shape == (1, 8) and single.dtype == np.float32
    np.testing.assert_allclose(single[0], m[1], atol=1e-5)
    np.testing.assert_allclose(NF.affine_matrices(4, 4, shear=45.0)[0], [1, -1, 1.5, 0, 1, 0, 0, 0], atol=1e-6)
    shifts = NF.affine_matrices(4, 4, translate=(np.float32([1, -2]), 0.0))  # only one parameter per image
    np.testing.assert_allclose(shifts[:, 2], [-1, 2])


def test_one_image_computes_in_float32_like_a_batch():
    values = (33.3, 1.7, -2.2, 1.13, 7.7)  # Python floats for one image, float32 arrays for a batch of two
    one_image = NF.affine_matrices(28, 20, values[0], (values[1], values[2]), values[3], values[4])
    a, tx, ty, s, sh = (np.float32([v, 2 * v]) for v in values)
    rows = NF.affine_matrices(28, 20, a, (tx, ty), s, sh)
    np.testing.assert_array_equal(one_image.view(np.uint32), rows[:1].view(np.uint32))  # every bit


def test_affine_moves_a_pixel_where_the_map_says():
    img = one(dot(7, 7, 1, 3))  # a dot above the centre (3, 3)
    rotated = NF.affine(img, angle=90.0)[0, :, :, 0]
    np.testing.assert_allclose(rotated, np.rot90(dot(7, 7, 1, 3)), atol=1e-6)  # anticlockwise on screen
    np.testing.assert_array_equal(NF.affine(img, translate=(2.0, 1.0))[0, :, :, 0], dot(7, 7, 2, 5))
    zoom = NF.affine(one(dot(7, 7, 2, 3)), scale=2.0)[0, :, :, 0]  # one pixel above the centre -> two above
    # p_in = 3 + (p_out - 3) / 2 on both axes
    np.testing.assert_allclose(zoom, np.outer([0.5, 1, 0.5, 0, 0, 0, 0], [0, 0, 0.5, 1, 0.5, 0, 0]), atol=1e-6)
    sheared = NF.affine(one(np.eye(5, dtype=np.float32)), shear=45.0)[0, :, :, 0]  # x_out = x + (y - 2)
    expected = np.zeros((5, 5), np.float32)
    for y in range(5):
        if 0 <= 2 * y - 2 < 5:
            expected[y, 2 * y - 2] = 1.0
    np.testing.assert_allclose(sheared, expected, atol=1e-6)


def test_affine_of_a_batch_uses_each_images_own_parameters():
    a, b = dot(6, 8, 2, 2), dot(6, 8, 4, 6, 0.5)
    x = np.stack([a, b])[..., None]
    out = NF.affine(x, translate=(np.float32([1, -2]), np.float32([0, -1])))
    np.testing.assert_array_equal(out[0, :, :, 0], dot(6, 8, 2, 3))
    np.testing.assert_array_equal(out[1, :, :, 0], dot(6, 8, 3, 4, 0.5))
    assert out.shape == (2, 6, 8, 1) and out.dtype == np.float32


# -- bilinear sampling -------------------------------------------------------------------


def test_bilinear_sampling_between_pixels_and_outside_the_image():
    img = np.float32([[[0, 10, 20], [30, 40, 50]]])  # (1, 2, 3)
    xs = np.float32([[[0.5, 1.0, 2.5, -0.5, -1.0, 3.0, 1.25]]])
    ys = np.float32([[[0.0, 0.5, 1.0, 0.0, 0.0, 0.0, 1.0]]])
    got = NF._bilinear(img, xs, ys)
    np.testing.assert_allclose(got, [[[5, 25, 25, 0, 0, 0, 42.5]]], atol=1e-5)
    assert got.dtype == np.float32
    far = NF._bilinear(img, np.float32([[[-7.5, 9.0, 1.0]]]), np.float32([[[0.5, -4.0, 50.0]]]))
    np.testing.assert_array_equal(far, [[[0, 0, 0]]])  # far outside: the zero border, not a wrapped pixel


def test_bilinear_sampling_reads_each_image_of_a_batch():
    imgs = np.stack([np.full((2, 3), 1.0), np.full((2, 3), 2.0), np.full((2, 3), 3.0)]).astype(np.float32)
    coords = np.zeros((3, 1, 1), np.float32)
    np.testing.assert_array_equal(NF._bilinear(imgs, coords + 2, coords + 1)[:, 0, 0], [1, 2, 3])
    np.testing.assert_array_equal(NF._bilinear(imgs, coords + 1.5, coords + 0.5)[:, 0, 0], [1, 2, 3])  # 4 corners
    np.testing.assert_array_equal(NF._padded_index(np.float32([-9, -1, 0, 2, 3, 50]), 1.0, 4), [0, 0, 1, 3, 4, 4])
    np.testing.assert_array_equal(NF._padded_index(np.float32([-2, 2, 3]), 2.0, 4), [0, 4, 4])


def test_pixel_grid_is_cached_and_read_only():
    ys, xs = NF._grid(2, 3)
    np.testing.assert_array_equal(ys, [[0, 0, 0], [1, 1, 1]])
    np.testing.assert_array_equal(xs, [[0, 1, 2], [0, 1, 2]])
    assert ys.dtype == xs.dtype == np.float32
    assert not ys.flags.writeable and not xs.flags.writeable
    assert NF._grid(2, 3)[0] is ys


# -- blur, displacement, elastic ---------------------------------------------------------


def _kernel(sigma: float) -> np.ndarray:
    radius = max(1, math.ceil(3 * sigma))
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    return k / k.sum()


@pytest.mark.parametrize("sigma", [0.2, 1.0, 1.5])
def test_blur_of_a_dot_is_the_outer_product_of_the_kernel(sigma):
    k = _kernel(sigma)
    r = len(k) // 2
    out = NF.gaussian_blur(one(dot(13, 15, 6, 7)), sigma)[0, :, :, 0]
    expected = np.zeros((13, 15))
    expected[6 - r : 6 + r + 1, 7 - r : 7 + r + 1] = np.outer(k, k)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    corner = NF.gaussian_blur(one(dot(13, 15, 0, 14)), sigma)[0, :, :, 0]  # zero padding: the mass outside is lost
    assert corner.sum() == pytest.approx(k[r:].sum() ** 2, abs=1e-6)
    assert out.dtype == np.float32


def test_blur_works_per_channel_on_non_square_images_and_zero_sigma_is_the_identity():
    x = np.zeros((1, 5, 11, 2), np.float32)
    x[0, 2, 5, 0] = 1.0
    x[0, 0, 0, 1] = 2.0
    out = NF.gaussian_blur(x, 1.0)
    np.testing.assert_allclose(out[0, :, :, 0], NF.gaussian_blur(x[..., :1], 1.0)[0, :, :, 0])
    np.testing.assert_allclose(out[0, :, :, 1], 2 * NF.gaussian_blur(one(dot(5, 11, 0, 0)), 1.0)[0, :, :, 0], atol=1e-6)
    assert out[0, 2, :, 0].sum() > out[0, :, 5, 0].sum()  # the same kernel on both axes, cut more by 5 rows
    for sigma in (0.0, -1.0):
        same = NF.gaussian_blur(x.astype(np.float64), sigma)
        assert same.dtype == np.float32
        np.testing.assert_array_equal(same, x)
    assert not NF._blur_matrix(5, 1.0).flags.writeable


def test_displace_reads_each_pixel_at_the_shifted_position():
    img = np.arange(12, dtype=np.float32).reshape(1, 3, 4, 1)
    zero = np.zeros((1, 3, 4), np.float32)
    right = NF.displace(img, zero + 1, zero)[0, :, :, 0]
    np.testing.assert_array_equal(right, [[1, 2, 3, 0], [5, 6, 7, 0], [9, 10, 11, 0]])
    down = NF.displace(img, zero, zero + 1)[0, :, :, 0]
    np.testing.assert_array_equal(down, [[4, 5, 6, 7], [8, 9, 10, 11], [0, 0, 0, 0]])
    half = NF.displace(img, zero + 0.5, zero)[0, :, :, 0]
    np.testing.assert_allclose(half[0], [0.5, 1.5, 2.5, 1.5])


def test_elastic_displaces_by_alpha_over_three_times_the_normalised_smooth_field():
    h, w, sigma = 12, 16, 2.0
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    ramps = np.stack([xs, ys])[..., None]  # read back at (x + dx, y + dy), a ramp gives the field itself
    rng = np.random.default_rng(3)
    nx, ny = rng.uniform(-1, 1, (2, h, w)).astype(np.float32)
    alpha = np.float32([1.5, 0.75])
    # image 1's noise is image 0's times 3: each image's field is normalised on its own, so both move alike
    out = NF.elastic(ramps, np.stack([nx, 3 * nx]), np.stack([ny, 3 * ny]), alpha, sigma)
    fields = NF.gaussian_blur(np.stack([nx, ny], axis=-1)[None], sigma)[0]
    fields = fields / np.sqrt(np.mean(fields**2))
    for i in range(2):
        dx, dy = alpha[i] * fields[..., 0] / 3, alpha[i] * fields[..., 1] / 3
        inside = (xs + dx >= 0) & (xs + dx <= w - 1) & (ys + dy >= 0) & (ys + dy <= h - 1)
        got = out[i, :, :, 0] - ramps[i, :, :, 0]
        np.testing.assert_allclose(got[inside], (dx if i == 0 else dy)[inside], atol=1e-4)
        assert np.sqrt(np.mean(dx**2 + dy**2) / 2) == pytest.approx(alpha[i] / 3, rel=1e-5)
    np.testing.assert_array_equal(NF.elastic(ramps, nx[None].repeat(2, 0), ny[None].repeat(2, 0), 0.0, sigma), ramps)


# -- stroke, noise, salt and pepper ------------------------------------------------------


def test_dilation_and_erosion_with_a_3x3_square():
    img = dot(4, 6, 1, 1) + dot(4, 6, 3, 5, 0.5)
    grown = NF.dilate(one(img))[0, :, :, 0]
    expected = np.zeros((4, 6), np.float32)
    expected[2:4, 4:6] = 0.5
    expected[0:3, 0:3] = 1.0
    np.testing.assert_array_equal(grown, expected)
    corner = np.zeros((4, 6), np.float32)  # outside the image does not count: the corners keep their ink
    corner[0:2, 0:2] = 1.0
    corner[3, 5] = 0.5
    np.testing.assert_array_equal(NF.erode(one(expected))[0, :, :, 0], corner)
    block = np.zeros((5, 7), np.float32)
    block[1:4, 2:5] = 0.8
    np.testing.assert_array_equal(NF.erode(one(block))[0, :, :, 0], dot(5, 7, 2, 3, 0.8))
    ink = (one(block) * 250).astype(np.uint8)  # integer input: float32 out, no wrap-around when negated
    assert NF.dilate(ink).dtype == NF.erode(ink).dtype == np.float32
    np.testing.assert_array_equal(NF.erode(ink)[0, :, :, 0], dot(5, 7, 2, 3, 200))


def test_stroke_blends_towards_dilation_or_erosion_per_image():
    block = np.zeros((5, 7), np.float32)
    block[1:4, 2:5] = 1.0
    x = np.stack([block, block, block, block])[..., None]
    out = NF.stroke(x, np.float32([1.0, -1.0, 0.5, 0.0]))[..., 0]
    np.testing.assert_array_equal(out[0], NF.dilate(one(block))[0, :, :, 0])
    np.testing.assert_array_equal(out[1], dot(5, 7, 2, 3))
    np.testing.assert_allclose(out[2], (block + NF.dilate(one(block))[0, :, :, 0]) / 2)
    np.testing.assert_array_equal(out[3], block)
    np.testing.assert_array_equal(NF.stroke(one(block), 1.0), NF.dilate(one(block)))  # no thinning side at all
    thin = NF.stroke(one(block), -0.25)[0, :, :, 0]
    assert thin[2, 3] == 1.0 and thin[1, 2] == 0.75 and thin[0, 0] == 0.0
    assert out.dtype == np.float32


def test_gaussian_noise_adds_sigma_times_noise_per_image():
    x = np.full((2, 2, 3, 1), 0.5, np.float32)
    noise = np.arange(12, dtype=np.float32).reshape(2, 2, 3, 1)
    out = NF.gaussian_noise(x, noise, np.float32([0.1, 0.0]))
    np.testing.assert_allclose(out[0], 0.5 + 0.1 * noise[0], rtol=1e-6)
    np.testing.assert_array_equal(out[1], x[1])
    assert out.dtype == np.float32


def test_salt_and_pepper_thresholds():
    x = np.full((1, 1, 6, 1), 0.5, np.float32)
    u = np.float32([0.0, 0.24, 0.25, 0.49, 0.5, 0.9]).reshape(1, 1, 6, 1)
    out = NF.salt_and_pepper(x, u, 0.5)  # below 0.25: pepper (0); 0.25 up to 0.5: salt (1); else unchanged
    np.testing.assert_array_equal(out[0, 0, :, 0], [0, 0, 1, 1, 0.5, 0.5])
    assert out.dtype == np.float32
    two = NF.salt_and_pepper(np.concatenate([x, x]), np.concatenate([u, u]), np.float32([0.5, 0.0]))
    np.testing.assert_array_equal(two[1], x[0])

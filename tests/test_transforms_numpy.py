"""The numpy path of the transforms (one numpy image, no TensorFlow): each numpy function equals its
TensorFlow twin on random parameters, and whole pipelines give the same distribution of outputs.
"""

from __future__ import annotations


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import handdigits.transforms as T
from handdigits.transforms import functional as F
from handdigits.transforms import numpy_functional as NF


def digit(seed: int = 0) -> np.ndarray:
    """A uint8 (28, 28) stroke digit-like image, white on black."""
    rng = np.random.default_rng(seed)
    img = np.zeros((28, 28), np.uint8)
    y, x = rng.integers(5, 10, size=2)
    img[y : y + 14, x : x + 3] = 255
    img[y : y + 3, x : x + 9] = 200
    return img


def batch(n: int, seed: int) -> np.ndarray:
    """float32 (n, 28, 28, 1) in [0, 1], with ink touching the borders too."""
    return np.random.default_rng(seed).random((n, 28, 28, 1), dtype=np.float32) ** 3


params = st.tuples(
    st.floats(-90, 90), st.floats(-8, 8), st.floats(-8, 8), st.floats(0.5, 2.0), st.floats(-45, 45), st.integers(0, 99)
)


@settings(max_examples=25, deadline=None)
@given(params)
def test_affine_equals_tensorflow(p):
    angle, dx, dy, scale, shear, seed = p
    x = batch(2, seed)
    expected = F.affine(x, angle=angle, translate=(dx, dy), scale=scale, shear=shear).numpy()
    np.testing.assert_allclose(NF.affine(x, angle=angle, translate=(dx, dy), scale=scale, shear=shear), expected, atol=2e-4)
    np.testing.assert_allclose(
        NF.affine_matrices(28, 28, angle, (dx, dy), scale, shear),
        F.affine_matrices(28, 28, angle, (dx, dy), scale, shear).numpy(),
        rtol=1e-5,
        atol=1e-4,
    )


@settings(max_examples=15, deadline=None)
@given(st.floats(0.3, 5.0), st.floats(0.0, 6.0), st.integers(0, 99))
def test_blur_displace_and_elastic_equal_tensorflow(sigma, alpha, seed):
    rng = np.random.default_rng(seed)
    x = batch(3, seed)
    fields = rng.uniform(-1, 1, (2, 3, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(NF.gaussian_blur(x, sigma), F.gaussian_blur(x, sigma).numpy(), atol=1e-5)
    shift = fields * 4
    np.testing.assert_allclose(NF.displace(x, shift[0], shift[1]), F.displace(x, shift[0], shift[1]).numpy(), atol=1e-5)
    a = np.full(3, alpha, np.float32)
    np.testing.assert_allclose(
        NF.elastic(x, fields[0], fields[1], a, sigma), F.elastic(x, fields[0], fields[1], a, sigma).numpy(), atol=1e-4
    )


@settings(max_examples=15, deadline=None)
@given(st.floats(-1, 1), st.floats(0, 1), st.integers(0, 99))
def test_pixel_functions_equal_tensorflow(amount, level, seed):
    rng = np.random.default_rng(seed)
    x = batch(2, seed)
    noise = rng.standard_normal(x.shape).astype(np.float32)
    uniform = rng.random(x.shape, dtype=np.float32)
    np.testing.assert_allclose(NF.dilate(x), F.dilate(x).numpy(), atol=0)
    np.testing.assert_allclose(NF.erode(x), F.erode(x).numpy(), atol=0)
    np.testing.assert_allclose(NF.stroke(x, amount), F.stroke(x, amount).numpy(), atol=1e-6)
    np.testing.assert_allclose(NF.gaussian_noise(x, noise, level), F.gaussian_noise(x, noise, level).numpy(), atol=1e-6)
    np.testing.assert_array_equal(NF.salt_and_pepper(x, uniform, level), F.salt_and_pepper(x, uniform, level).numpy())


PIPELINES = {
    "default": lambda s: T.default_augmentation(seed=s),
    "strong": lambda s: T.default_augmentation(strength=2.0, seed=s),
    "one_of": lambda s: T.OneOf([T.RandomRotation(40, seed=s + 1), T.RandomStroke(0.9, seed=s + 2)], p=[0.3, 0.7], seed=s),
    "elastic": lambda s: T.RandomElastic(alpha=4.0, sigma=3.0, seed=s),
    "noise": lambda s: T.Compose([T.GaussianNoise(0.2, seed=s), T.SaltAndPepper(0.1, seed=s + 1)]),
}


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_single_numpy_images_have_the_distribution_of_the_tensorflow_path(name):
    """Mean image, per-image ink and ink-centre spread of 400 one-image calls (numpy path) against 400
    images of one batch call (TensorFlow path): equal within 5 standard errors."""
    n = 400
    img = digit(1)
    numpy_path = PIPELINES[name](0)
    singles = np.stack([numpy_path(img) for _ in range(n)]).astype(np.float64)
    batched = PIPELINES[name](1)(np.repeat(img[None], n, axis=0)).astype(np.float64)

    def stats(x):
        ink = x.sum(axis=(1, 2))
        cols = (x.sum(axis=1) * np.arange(28)).sum(axis=1) / np.maximum(ink, 1)
        return {"ink": ink, "centre": cols, "pixels": x}

    a, b = stats(singles), stats(batched)
    for key in ("ink", "centre"):
        se = np.sqrt(a[key].var() / n + b[key].var() / n) + 1e-9
        assert abs(a[key].mean() - b[key].mean()) <= 5 * se, key
        assert 0.7 <= (a[key].std() + 1e-9) / (b[key].std() + 1e-9) <= 1.4, key
    se = np.sqrt(a["pixels"].var(axis=0) / n + b["pixels"].var(axis=0) / n) + 1.0
    assert (np.abs(a["pixels"].mean(axis=0) - b["pixels"].mean(axis=0)) <= 5 * se).mean() >= 0.99


def test_single_image_calls_are_seeded_and_advance():
    img = digit(2)
    a, b = T.default_augmentation(seed=5), T.default_augmentation(seed=5)
    first = [a(img) for _ in range(3)]
    assert all(np.array_equal(x, b(img)) for x in first)
    assert not np.array_equal(first[0], first[1])
    assert not np.array_equal(first[0], T.default_augmentation(seed=6)(img))


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64, bool])
@pytest.mark.parametrize("shape", [(28, 28), (28, 28, 1)])
def test_single_images_keep_shape_dtype_and_range(dtype, shape):
    img = digit(3).reshape(shape)
    if dtype is bool:
        img = img > 0
    elif dtype is not np.uint8:
        img = img.astype(dtype) / 255.0
    out = T.default_augmentation(seed=0)(img)
    assert out.shape == img.shape and out.dtype == img.dtype
    if dtype is not bool:
        assert out.min() >= 0 and out.max() <= (255 if dtype is np.uint8 else 1.0)


def test_one_image_runs_without_tensorflow_and_batches_or_other_seeds_use_it(fresh_python):
    code = (
        "import json, sys\n"
        "import numpy as np\n"
        "import handdigits.transforms as T\n"
        "x = np.zeros((28, 28), np.uint8); x[5:20, 10:14] = 255\n"
        "T.default_augmentation(seed=0)(x); T.OneOf([T.RandomShift(0.1), T.RandomStroke()])(x[..., None])\n"
        "print(json.dumps('tensorflow' in sys.modules))\n"
    )
    assert fresh_python(code) is False


def test_transforms_without_a_numpy_path_fall_back_to_tensorflow():
    import keras

    class Brighten(T.Transform):  # a user transform with only apply_batch
        def apply_batch(self, images):
            return images + 0.5

    class Shift2(T.RandomShift):  # overrides apply_batch of a class that has a numpy path
        def apply_batch(self, images):
            return images * 0.0

    img = digit(4)
    assert Brighten()(img).min() == 128  # 0 + 0.5 -> 127.5 -> rounds half to even
    assert Shift2(0.1, seed=0)(img).max() == 0  # its own apply_batch ran, not RandomShift's numpy path
    out = T.RandomShift(0.1, seed=keras.random.SeedGenerator(3))(img)  # SeedGenerator: the TensorFlow stream
    np.testing.assert_array_equal(out, T.RandomShift(0.1, seed=keras.random.SeedGenerator(3))(img))


# ----------------------------------------------------------------------------- numpy batches: compiled


def test_numpy_batches_are_compiled_once_and_equal_eager_calls():
    import tensorflow as tf

    from handdigits.transforms.inputs import run_tensor as _run_tensor

    x = np.stack([digit(i) for i in range(24)])
    compiled, eager = T.default_augmentation(seed=3), T.default_augmentation(seed=3)
    for size in (24, 24, 7, 24):  # the batch size may change: no new trace
        got = compiled(x[:size])
        expected = _run_tensor(eager, tf.convert_to_tensor(x[:size]), ndim_hint=3).numpy()
        np.testing.assert_array_equal(got, expected)
    (fn,) = compiled._compiled_fns.values()
    assert fn.experimental_get_tracing_count() == 1
    compiled(x[..., None].astype(np.float32) / 255)  # another dtype and layout: one more function
    assert len(compiled._compiled_fns) == 2


# ----------------------------------------------------------------------------- one-image shortcuts: same bits


def _bilinear_reference(images, x, y):
    """The sampler as first written (four clipped corner gathers), to check the faster one bit for bit."""
    n, h, w = images.shape
    flat = np.pad(images, ((0, 0), (1, 1), (1, 1))).reshape(-1)
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    base = (np.arange(n) * (h + 2) * (w + 2)).reshape(-1, 1, 1)

    def corner(yy, xx):
        yi = np.clip(yy + 1.0, 0.0, h + 1).astype(np.int64)
        xi = np.clip(xx + 1.0, 0.0, w + 1).astype(np.int64)
        return flat[base + yi * (w + 2) + xi]

    return (corner(y0, x0) * (1 - fx) * (1 - fy) + corner(y0, x0 + 1) * fx * (1 - fy)
            + corner(y0 + 1, x0) * (1 - fx) * fy + corner(y0 + 1, x0 + 1) * fx * fy).astype(np.float32)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.floats(0.5, 40.0), st.integers(0, 99))
def test_bilinear_sampler_equals_the_reference_bit_for_bit(n, spread, seed):
    rng = np.random.default_rng(seed)
    images = batch(n, seed)[..., 0]
    x = (rng.normal(13.5, spread, images.shape)).astype(np.float32)  # far outside the image too
    y = (rng.normal(13.5, spread, images.shape)).astype(np.float32)
    x[..., 0] = np.round(x[..., 0])  # integer coordinates: exact pixels
    got = NF._bilinear(images, x, y)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.view(np.uint32), _bilinear_reference(images, x, y).view(np.uint32))


@settings(max_examples=40, deadline=None)
@given(params)
def test_one_image_affine_matrix_equals_its_row_in_a_batch(p):
    angle, dx, dy, scale, shear, _ = p
    values = [np.float32([v, 1.5 * v + 0.25]) for v in (angle, dx, dy, scale, shear)]
    rows = NF.affine_matrices(28, 28, values[0], (values[1], values[2]), values[3], values[4])
    one = NF.affine_matrices(28, 28, values[0][:1], (values[1][:1], values[2][:1]), values[3][:1], values[4][:1])
    assert one.shape == (1, 8) and one.dtype == np.float32
    np.testing.assert_array_equal(one.view(np.uint32), rows[:1].view(np.uint32))
    identity = NF.affine_matrices(28, 28)  # scalars: the identity map
    np.testing.assert_array_equal(identity, [[1, 0, 0, 0, 1, 0, 0, 0]])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from([-1.0, -0.4, 0.0, 0.3, 1.0]), min_size=1, max_size=4), st.integers(0, 99))
def test_stroke_skipping_an_unused_side_keeps_every_bit(amounts, seed):
    images = batch(len(amounts), seed)
    a = np.float32(amounts).reshape(-1, 1, 1, 1)
    reference = (images + np.maximum(a, 0.0) * (NF.dilate(images) - images)
                 + np.minimum(a, 0.0) * (images - NF.erode(images))).astype(np.float32)
    np.testing.assert_array_equal(NF.stroke(images, np.float32(amounts)).view(np.uint32), reference.view(np.uint32))


def test_random_apply_of_one_image_equals_the_transform_alone():
    img = digit(7)
    for p in (1.0, 0.999):
        applied = T.RandomApply(T.RandomElastic(alpha=3.0, seed=11), p=p, seed=1)(img)
        np.testing.assert_array_equal(applied, T.RandomElastic(alpha=3.0, seed=11)(img))
    assert np.array_equal(T.RandomApply(T.RandomElastic(alpha=3.0, seed=11), p=0.0, seed=1)(img), img)
    x = batch(6, 0)  # the batch path: applied images equal the transform of those images
    t = T.RandomApply(T.RandomStroke(1.0, seed=4), p=0.5, seed=2)
    mask = np.random.default_rng(2).uniform(0, 1, 6).astype(np.float32) < 0.5
    assert 0 < mask.sum() < 6
    out = t.apply_numpy(x)
    np.testing.assert_array_equal(out[~mask], x[~mask])
    np.testing.assert_array_equal(out[mask], T.RandomStroke(1.0, seed=4).apply_numpy(x[mask]))

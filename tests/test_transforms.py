"""Unit tests for handdigits.transforms: functional core, layouts, seeding, tf.data, configs, errors.

Expected values are computed independently with numpy (``np.roll``, ``np.rot90``,
a sliding-window max filter) or taken from the documented specification, never
from the code under test.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from handdigits import transforms as T  # noqa: E402
from handdigits.transforms import functional as F  # noqa: E402


def digit(h=28, w=28, seed=0) -> np.ndarray:
    """A synthetic uint8 'digit': two random bars and a blob, well inside the frame."""
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w), np.uint8)
    img[8:20, 12:15] = 255
    img[8:11, 10:18] = 200
    y, x = rng.integers(9, 17, 2)
    img[y : y + 3, x : x + 3] = rng.integers(100, 255)
    return img


def batch4(x):
    return np.asarray(x, np.float32)[None, :, :, None]


def max_filter3(img):
    """3x3 grey dilation with zero padding, in numpy."""
    p = np.pad(img, 1)
    return np.lib.stride_tricks.sliding_window_view(p, (3, 3)).max(axis=(-1, -2))


EVERY_TRANSFORM = [
    lambda s: T.RandomAffine(degrees=20, translate=0.1, scale=(0.8, 1.2), shear=10, seed=s),
    lambda s: T.RandomShift(0.15, seed=s),
    lambda s: T.RandomRotation(30, seed=s),
    lambda s: T.RandomScale((0.7, 1.3), seed=s),
    lambda s: T.RandomShear(20, seed=s),
    lambda s: T.RandomElastic(alpha=3.0, sigma=3.0, seed=s),
    lambda s: T.RandomStroke(0.8, seed=s),
    lambda s: T.GaussianNoise(0.2, seed=s),
    lambda s: T.SaltAndPepper(0.1, seed=s),
    lambda s: T.RandomApply(T.RandomRotation(30, seed=s + 1), p=0.7, seed=s),
    lambda s: T.OneOf([T.RandomShift(0.1, seed=s + 1), T.RandomStroke(0.5, seed=s + 2)], p=[0.3, 0.7], seed=s),
    lambda s: T.Compose([T.RandomRotation(15, seed=s), T.GaussianNoise(0.05, seed=s + 1)]),
    lambda s: T.default_augmentation(seed=s),
]
IDS = [
    "affine", "shift", "rotation", "scale", "shear", "elastic", "stroke", "gauss", "saltpepper",
    "randomapply", "oneof", "compose", "default",
]


# -- functional core: checked against numpy ------------------------------------------------


@pytest.mark.parametrize("dx, dy", [(3, 0), (0, -2), (-4, 5)])
def test_affine_integer_translation_equals_np_roll(dx, dy):
    img = digit().astype(np.float32) / 255
    out = F.affine(batch4(img), translate=(float(dx), float(dy))).numpy()[0, :, :, 0]
    np.testing.assert_allclose(out, np.roll(img, (dy, dx), axis=(0, 1)), atol=1e-6)


def test_affine_rotation_90_is_counter_clockwise_like_rot90():
    img = digit().astype(np.float32) / 255
    out = F.affine(batch4(img), angle=90.0).numpy()[0, :, :, 0]
    np.testing.assert_allclose(out, np.rot90(img, k=1), atol=1e-4)


def test_affine_zoom_keeps_centre_and_doubles_extent():
    img = np.zeros((29, 29), np.float32)
    img[12:17, 14] = 1.0  # a vertical 5-pixel bar through the centre (14, 14)
    out = F.affine(batch4(img), scale=2.0, interpolation="nearest").numpy()[0, :, :, 0]
    rows = np.nonzero(out[:, 14] > 0.5)[0]
    assert rows.min() <= 10 and rows.max() >= 18  # length ~10 instead of 5
    assert out[14, 14] == 1.0


def test_displace_constant_field_is_a_shift():
    img = digit().astype(np.float32) / 255
    ones = np.ones((1, 28, 28), np.float32)
    out = F.displace(batch4(img), 2 * ones, -1 * ones).numpy()[0, :, :, 0]
    # out(y, x) = in(y - 1, x + 2)
    np.testing.assert_allclose(out, np.roll(img, (1, -2), axis=(0, 1)), atol=1e-6)


def test_stroke_extremes_are_dilation_and_erosion():
    img = digit().astype(np.float32) / 255
    thick = F.stroke(batch4(img), 1.0).numpy()[0, :, :, 0]
    thin = F.stroke(batch4(img), -1.0).numpy()[0, :, :, 0]
    np.testing.assert_allclose(thick, max_filter3(img), atol=1e-6)
    np.testing.assert_allclose(thin, -max_filter3(-img), atol=1e-6)
    np.testing.assert_allclose(F.stroke(batch4(img), 0.0).numpy()[0, :, :, 0], img)


def test_salt_and_pepper_and_gaussian_noise_formulas():
    rng = np.random.default_rng(1)
    img = batch4(digit() / 255)
    u = rng.random(img.shape).astype(np.float32)
    out = F.salt_and_pepper(img, u, 0.2).numpy()
    expected = np.where(u < 0.1, 0.0, np.where(u < 0.2, 1.0, img))
    np.testing.assert_array_equal(out, expected)
    z = rng.standard_normal(img.shape).astype(np.float32)
    np.testing.assert_allclose(F.gaussian_noise(img, z, 0.3).numpy(), img + 0.3 * z, atol=1e-6)


def test_elastic_rms_displacement_is_alpha_over_three():
    # a linear ramp image turns displacement into intensity: out - in = dx * slope
    w = 64
    ramp = np.tile(np.arange(w, dtype=np.float32) / w, (w, 1))
    rng = np.random.default_rng(0)
    dxn = rng.uniform(-1, 1, (1, w, w)).astype(np.float32)
    dyn = rng.uniform(-1, 1, (1, w, w)).astype(np.float32)
    out = F.elastic(batch4(ramp), dxn, dyn, 6.0, 4.0).numpy()[0, :, :, 0]
    dx = (out - ramp)[16:48, 16:48] * w  # interior, away from the zero padding
    assert 1.0 < np.sqrt(np.mean(dx**2)) < 3.0  # alpha / 3 = 2 pixels RMS


# -- layouts, dtypes, range ---------------------------------------------------------------


@pytest.mark.parametrize(
    "shape", [(28, 28), (28, 28, 1), (5, 28, 28), (5, 28, 28, 1)], ids=["hw", "hw1", "nhw", "nhw1"]
)
@pytest.mark.parametrize("dtype", ["uint8", "int16", "float32", "float64", "bool"])
def test_shape_dtype_and_range_are_kept(shape, dtype):
    img = digit()[..., None] if shape[-1] == 1 else digit()
    base = np.broadcast_to(img, shape).copy()
    if dtype == "bool":
        x = base > 127
    elif dtype.startswith("float"):
        x = base.astype(dtype) / 255
    else:
        x = base.astype(dtype)
    out = T.default_augmentation(seed=3)(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    if dtype.startswith("float"):
        assert out.min() >= 0 and out.max() <= 1.0
    elif dtype != "bool":
        assert out.min() >= 0 and out.max() <= 255
    assert not np.array_equal(out, x)


def test_float_inputs_above_one_are_treated_as_0_255():
    x = digit().astype(np.float32)
    out = T.GaussianNoise(0.3, seed=0)(x)
    assert out.max() > 1.0 and out.max() <= 255.0 and out.min() >= 0.0


def test_tensor_in_tensor_out():
    x = tf.constant(digit()[None])
    out = T.RandomRotation(20, seed=0)(x)
    assert tf.is_tensor(out) and out.dtype == tf.uint8 and tuple(out.shape) == (1, 28, 28)
    assert np.array_equal(out.numpy(), T.RandomRotation(20, seed=0)(digit()[None]))


def test_variable_input_is_accepted():
    v = tf.Variable(digit()[None].astype(np.float32) / 255)
    out = T.RandomShift(0.1, seed=0)(v)
    np.testing.assert_array_equal(out.numpy(), T.RandomShift(0.1, seed=0)(v.numpy()))


def test_each_image_in_a_batch_gets_its_own_parameters():
    x = np.stack([digit()] * 16)
    for make in EVERY_TRANSFORM[:9]:
        out = make(0)(x)
        distinct = {o.tobytes() for o in out}
        assert len(distinct) >= 14, make(0)


def test_passthrough_arguments_are_returned_unchanged():
    x, y = digit()[None], np.array([7])
    out, labels = T.RandomShift(0.1, seed=0)(x, y)
    assert labels is y and out.shape == x.shape


# -- seeding -----------------------------------------------------------------------------


@pytest.mark.parametrize("make", EVERY_TRANSFORM, ids=IDS)
def test_same_seed_same_output_and_stream_advances(make):
    x = np.stack([digit(seed=i) for i in range(4)])
    a, b = make(11), make(11)
    first = a(x)
    np.testing.assert_array_equal(first, b(x))
    assert not np.array_equal(first, a(x))  # a second call draws new parameters


def test_numpy_generator_and_seed_generator_seeds_are_reproducible():
    x = np.stack([digit(seed=i) for i in range(4)])
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    np.testing.assert_array_equal(T.RandomRotation(30, seed=g1)(x), T.RandomRotation(30, seed=g2)(x))
    s1, s2 = keras.random.SeedGenerator(9), keras.random.SeedGenerator(9)
    np.testing.assert_array_equal(T.RandomElastic(seed=s1)(x), T.RandomElastic(seed=s2)(x))
    d1 = T.default_augmentation(seed=np.random.default_rng(2))
    d2 = T.default_augmentation(seed=np.random.default_rng(2))
    assert d1.get_config() == d2.get_config()
    np.testing.assert_array_equal(d1(x), d2(x))
    d3, d4 = (T.default_augmentation(seed=keras.random.SeedGenerator(4)) for _ in range(2))
    np.testing.assert_array_equal(d3(x), d4(x))


def test_augment_fixed_is_deterministic_and_changes_images():
    x = np.stack([digit(seed=i) for i in range(10)])
    a = T.augment_fixed(x, seed=1, batch_size=4)
    np.testing.assert_array_equal(a, T.augment_fixed(x, seed=1, batch_size=4))
    assert a.shape == x.shape and a.dtype == x.dtype and not np.array_equal(a, x)
    assert not np.array_equal(a, T.augment_fixed(x, seed=2, batch_size=4))


def test_default_augmentation_recipe_is_pinned():
    """The recipe a recorded model was trained with (docstring values) must not drift."""
    cfg = T.default_augmentation(seed=0).get_config()["transforms"]
    names = [c["class_name"] for c in cfg]
    assert names == ["RandomAffine", "RandomApply", "RandomStroke", "RandomApply", "RandomApply"]
    aff = cfg[0]["config"]
    assert (aff["degrees"], aff["translate"], aff["shear"], aff["seed"]) == (12.0, 0.1, 10.0, 0)
    assert aff["scale"] == pytest.approx([0.85, 1.15])
    assert cfg[1]["config"]["p"] == 0.5
    assert cfg[1]["config"]["transform"]["config"] == {"alpha": 1.5, "sigma": 3.0, "seed": 1}
    assert cfg[2]["config"]["factor"] == pytest.approx(0.6)
    assert cfg[3]["config"]["p"] == 0.3 and cfg[3]["config"]["transform"]["config"]["max_sigma"] == 0.08
    assert cfg[4]["config"]["p"] == 0.1 and cfg[4]["config"]["transform"]["config"]["max_amount"] == 0.02
    assert [c["config"].get("seed") for c in cfg] == [0, 2, 3, 5, 7]


# -- tf.data -----------------------------------------------------------------------------


def test_tf_data_batches_match_numpy_calls_with_the_same_seed():
    x = np.stack([digit(seed=i % 7) for i in range(40)])
    ds = tf.data.Dataset.from_tensor_slices(x).batch(16).map(T.default_augmentation(seed=8))
    via_data = np.concatenate([b.numpy() for b in ds])
    aug = T.default_augmentation(seed=8)
    via_numpy = np.concatenate([aug(x[i : i + 16]) for i in range(0, 40, 16)])
    np.testing.assert_array_equal(via_data, via_numpy)
    same_input = via_data[[0, 7, 14, 21]]  # four copies of digit(seed=0)
    assert len({o.tobytes() for o in same_input}) == 4


def test_tf_data_image_label_pairs_and_single_images():
    x = np.stack([digit()] * 6)[..., None]
    y = np.arange(6)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).map(T.RandomRotation(25, seed=1)).batch(6)
    imgs, labels = next(iter(ds))
    assert imgs.shape == (6, 28, 28, 1) and imgs.dtype == tf.uint8
    np.testing.assert_array_equal(labels.numpy(), y)
    assert len({o.tobytes() for o in imgs.numpy()}) == 6  # each single image drew its own angle


def _deterministic(scale):
    return T.RandomScale((scale, scale))


def test_random_apply_and_one_of_choose_per_image_inside_tf_data():
    x = np.stack([digit()] * 64).astype(np.float32) / 255
    zoom_in = F.affine(x[..., None], scale=1.5).numpy()[..., 0]
    zoom_out = F.affine(x[..., None], scale=0.6).numpy()[..., 0]
    apply = T.RandomApply(_deterministic(1.5), p=0.5, seed=3)
    one_of = T.OneOf([_deterministic(1.5), _deterministic(0.6)], p=[0.25, 0.75], seed=4)
    for t, choices in ((apply, (x, zoom_in)), (one_of, (zoom_in, zoom_out))):
        out = next(iter(tf.data.Dataset.from_tensor_slices(x).batch(64).map(t))).numpy()
        which = [
            [np.allclose(o, c, atol=1e-6) for c in choices].index(True) for o in out
        ]  # every image is exactly one of the choices
        counts = np.bincount(which, minlength=2)
        assert counts.min() >= 5, counts  # both happen, per image
    assert np.array_equal(T.RandomApply(_deterministic(1.5), p=0.0)(x), x)
    np.testing.assert_allclose(T.RandomApply(_deterministic(1.5), p=1.0)(x), zoom_in, atol=1e-6)


def test_nan_inside_tf_data_fails_when_the_data_flows():
    x = np.full((2, 28, 28), np.nan, np.float32)
    ds = tf.data.Dataset.from_tensor_slices(x).batch(2).map(T.RandomShift(0.1, seed=0))
    with pytest.raises(tf.errors.InvalidArgumentError, match="NaN"):
        next(iter(ds))


# -- configuration -----------------------------------------------------------------------


@pytest.mark.parametrize("make", EVERY_TRANSFORM, ids=IDS)
def test_config_round_trip(make):
    t = make(21)
    spec = json.loads(json.dumps(T.serialize(t)))  # JSON-able
    rebuilt = T.deserialize(spec)
    assert type(rebuilt) is type(t)
    assert rebuilt.get_config() == t.get_config()
    assert type(t).from_config(t.get_config()).get_config() == t.get_config()
    x = np.stack([digit(seed=i) for i in range(3)])
    np.testing.assert_array_equal(rebuilt(x), make(21)(x))


def test_deserialize_errors():
    with pytest.raises(ValueError, match="unknown transform 'Nope'"):
        T.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(TypeError, match="serialize"):
        T.deserialize("RandomShift")


# -- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, param",
    [
        (lambda: T.RandomAffine(degrees=-1), "degrees"),
        (lambda: T.RandomAffine(translate=-0.1), "translate"),
        (lambda: T.RandomAffine(shear=-5), "shear"),
        (lambda: T.RandomScale((-1, 1)), "scale"),
        (lambda: T.RandomScale((0, 1)), "scale"),
        (lambda: T.RandomScale((1.2, 1.1)), "scale"),
        (lambda: T.RandomShift(-0.1), "factor"),
        (lambda: T.RandomRotation(-3), "degrees"),
        (lambda: T.RandomRotation(91), "degrees"),
        (lambda: T.RandomShear(46), "degrees"),
        (lambda: T.RandomElastic(alpha=-1), "alpha"),
        (lambda: T.RandomElastic(sigma=0), "sigma"),
        (lambda: T.RandomStroke(-0.2), "factor"),
        (lambda: T.GaussianNoise(-0.1), "max_sigma"),
        (lambda: T.SaltAndPepper(float("nan")), "max_amount"),
        (lambda: T.RandomApply(T.RandomShift(), p=1.5), "p"),
        (lambda: T.RandomApply(T.RandomShift(), p=-0.1), "p"),
        (lambda: T.OneOf([T.RandomShift()], p=[2.0]), r"p\[0\]"),
        (lambda: T.OneOf([T.RandomShift(), T.RandomStroke()], p=[0.2, 0.2]), "p"),
        (lambda: T.OneOf([]), "at least one"),
        (lambda: T.default_augmentation(strength=-1), "strength"),
        (lambda: T.default_augmentation(strength=3), "strength"),
    ],
)
def test_bad_parameters_name_the_parameter(build, param):
    with pytest.raises(ValueError, match=param):
        build()


@pytest.mark.parametrize("seed", [1.5, "3", True, [1]])
def test_bad_seed_is_a_type_error(seed):
    with pytest.raises(TypeError, match="seed must be"):
        T.RandomShift(0.1, seed=seed)
    with pytest.raises(TypeError, match="seed must be"):
        T.default_augmentation(seed=seed)


def test_non_transforms_are_refused_by_combinators():
    for build in (
        lambda: T.Compose([T.RandomShift(), abs]),
        lambda: T.Compose(T.RandomShift()),
        lambda: T.RandomApply(abs),
        lambda: T.OneOf([abs]),
        lambda: T.OneOf(5),
    ):
        with pytest.raises(TypeError, match="handdigits transform"):
            build()
    with pytest.raises(ValueError, match="one probability per transform"):
        T.OneOf([T.RandomShift()], p=1.0)


@pytest.mark.parametrize(
    "bad, exc, message",
    [
        (np.full((28, 28), np.nan, np.float32), ValueError, "NaN"),
        (np.full((2, 28, 28), np.inf), ValueError, "infinite"),
        (np.zeros(28), ValueError, "dimensions"),
        (np.zeros((1, 2, 28, 28, 1)), ValueError, "dimensions"),
        (np.zeros((0, 28, 28), np.uint8), ValueError, "empty"),
        (np.zeros((28, 28), object), TypeError, "real numeric"),
        (np.zeros((28, 28), complex), TypeError, "real numeric"),
        (np.zeros((28, 28, 3), np.uint8), ValueError, "colour"),
        (np.zeros((2, 28, 28, 3), np.uint8), ValueError, "one channel"),
        ([[1, 2], [3]], TypeError, "numeric array"),
        (tf.constant([["a", "b"], ["c", "d"]]), TypeError, "real numeric"),
        (tf.constant(np.full((28, 28), np.nan, np.float32)), ValueError, "NaN"),
        (tf.zeros((2, 28, 28, 3)), ValueError, "one channel"),
        (tf.zeros((28,)), ValueError, r"\(H, W\)"),
        (tf.ragged.constant([[1, 2], [3]]), TypeError, "dense tensor"),
    ],
)
def test_bad_inputs_are_clear_errors(bad, exc, message):
    with pytest.raises(exc, match=message) as info:
        T.RandomShift(0.1, seed=0)(bad)
    assert "RandomShift" in str(info.value)


def test_unknown_rank_tensor_is_refused_when_traced():
    fn = tf.function(T.RandomShift(0.1).__call__, input_signature=[tf.TensorSpec(None, tf.float32)])
    with pytest.raises(ValueError, match="rank must be known"):
        fn.get_concrete_function()


def test_importing_transforms_does_not_import_tensorflow():
    code = (
        "import sys, numpy as np; import handdigits.transforms as T; from handdigits.transforms.inputs import is_tensor; "
        "T.default_augmentation(seed=0); assert not is_tensor(np.zeros(3)); "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_combinators_still_import_from_base_and_glyph_tables_from_glyphs():
    from handdigits.datasets.glyphs import DIGITS, LETTERS, LOOKALIKES, PLAIN, SHAPES  # noqa: F401
    from handdigits.transforms import base, combinators

    for name in ("Compose", "RandomApply", "OneOf"):
        assert getattr(base, name) is getattr(combinators, name) is getattr(T, name)
    with pytest.raises(AttributeError, match="no attribute 'Missing'"):
        base.Missing  # noqa: B018

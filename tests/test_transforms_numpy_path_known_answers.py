"""Known answers for the transforms' numpy path: input checks, dtype round trips, seeds, configs, draws.

Everything here runs without TensorFlow (the ``no_tensorflow`` fixture makes ``import
tensorflow`` fail), so mutation testing (``make mutation``) can check it: single numpy images
take the numpy path, and the parameters each transform draws are recorded by replacing the
numpy function it calls, then compared with the same draws from a generator seeded alike.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import handdigits.transforms as T
from handdigits.transforms import base, combinators, inputs
from handdigits.transforms import numpy_functional as NF


@pytest.fixture(autouse=True)
def no_tensorflow(monkeypatch):
    """``import tensorflow`` / ``import keras`` fail inside these tests (mutmut's forked children hang in it)."""
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    monkeypatch.setitem(sys.modules, "keras", None)


class Scale(T.Transform):
    """Multiplies by ``k`` and records what ``apply_numpy`` received."""

    def __init__(self, k, seed=None):
        super().__init__(seed)
        self.k, self.seen = k, []

    def apply_numpy(self, images):
        self.seen.append((images.shape, images.dtype, float(images.max())))
        return images * np.float32(self.k)

    def apply_batch(self, images):  # numpy in, numpy out: lets Compose.apply_batch run without TensorFlow
        return self.apply_numpy(images)


class Add(Scale):
    def apply_numpy(self, images):
        return images + np.float32(self.k)


class Wide(Scale):
    """Answers in float64."""

    def apply_numpy(self, images):
        return images.astype(np.float64) * self.k


class NoNumpy(T.Transform):
    def apply_batch(self, images):  # pragma: no cover - never run here
        raise AssertionError


class BatchOnly(T.RandomStroke):
    """Overrides apply_batch only: its numpy twin would be the parent's, so it has no numpy path."""

    def apply_batch(self, images):  # pragma: no cover - never run here
        raise AssertionError


class SeedGenerator:
    """Stands in for ``keras.random.SeedGenerator`` (recognised by its class name)."""


def draws(seed, *ranges):
    """What ``Transform._np_uniform`` draws, in order, from a generator seeded with ``seed``."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, size).astype(np.float32) for size, low, high in ranges]


# -- dtypes and layouts of one numpy image --------------------------------------------------


def test_uint8_and_other_integers_run_as_0_255_and_are_rounded_back():
    x = np.array([[0, 100], [201, 255]], np.uint8)
    t = Scale(0.5)
    np.testing.assert_array_equal(t(x), [[0, 50], [100, 128]])  # 100.5 -> 100 and 127.5 -> 128 (half to even)
    assert t.seen == [((1, 2, 2, 1), np.float32, 1.0)]
    out = Scale(0.5)(x.astype(np.int16))
    assert out.dtype == np.int16
    np.testing.assert_array_equal(out, [[0, 50], [100, 128]])
    np.testing.assert_array_equal(Add(0.5)(x), [[128, 228], [255, 255]])  # clipped to the range
    np.testing.assert_array_equal(Add(-0.5)(x), [[0, 0], [74, 128]])  # clipped at 0 too (no uint8 wrap-around)
    faint = np.array([[0, 1]], np.int16)  # an integer image is 0..255 even when its maximum is 1
    np.testing.assert_array_equal(Scale(100.0)(faint), [[0, 100]])


def test_floats_in_0_1_and_0_255_and_bools_keep_their_range():
    unit = np.array([[0.2, 1.0]], np.float32)
    np.testing.assert_allclose(Scale(0.5)(unit), [[0.1, 0.5]])
    wide = np.array([[51.0, 255.0]], np.float64)  # max above 1: read as 0..255
    out = Scale(0.5)(wide)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, [[25.5, 127.5]], rtol=1e-6)
    np.testing.assert_allclose(Add(-0.5)(np.array([[1.0, 0.75, 0.25]], np.float32)), [[0.5, 0.25, 0.0]])
    flags = np.array([[True, False]])
    assert Scale(0.6)(flags).tolist() == [[True, False]] and Scale(0.4)(flags).tolist() == [[False, False]]
    assert Scale(0.6)(flags).dtype == np.bool_
    assert Add(0.3)(flags).tolist() == [[True, False]]  # False + 0.3 rounds back to False
    np.testing.assert_allclose(Add(0.5)(np.array([[51.0, 255.0]])), [[178.5, 255.0]])  # 0..255 floats clip at 255
    np.testing.assert_allclose(Scale(1.0)(np.array([[1.5, 0.5]], np.float32)), [[1.5, 0.5]])  # above 1: 0..255


def test_shapes_of_one_image_are_kept():
    x = np.arange(6, dtype=np.uint8).reshape(2, 3, 1) * 40
    t = Scale(1.0)
    out = t(x)
    assert out.shape == (2, 3, 1) and t.seen[0][0] == (1, 2, 3, 1)
    np.testing.assert_array_equal(out, x)


def test_integer_range_errors_in_full():
    x = np.array([[0, 300], [-2, 5]], np.int32)
    with pytest.raises(ValueError) as info:
        Scale(1.0)(x)
    assert str(info.value) == (
        "Scale: int32 image with values -2..300; integer images must hold 0..255 (like uint8; they are not "
        "scaled by the dtype's maximum). Convert first, e.g. (x / 2147483647).astype('float32') for floats in "
        "[0, 1], or clip to 0..255"
    )
    for bad in (np.array([[256]], np.uint16), np.array([[-1]], np.int8)):
        values = rf"{bad.min()}\.\.{bad.max()}"
        with pytest.raises(ValueError, match=rf"^Scale: {bad.dtype.name} image with values {values};"):
            Scale(1.0)(bad)
    for fine in (np.array([[0, 255]], np.int64), np.array([[0, 255]], np.uint8), np.array([[300.0]]),
                 np.array([[True]])):
        inputs.check_integer_range(fine, "x")  # in range, uint8, float or bool: no error


def test_colour_and_multichannel_inputs_are_refused_with_the_transforms_name():
    with pytest.raises(ValueError) as info:
        Scale(1.0)(np.zeros((28, 28, 3), np.uint8))
    assert str(info.value) == ("Scale: shape (28, 28, 3) looks like a colour image (H, W, 3); convert it to one "
                               "grayscale channel first (e.g. handdigits.to_mnist)")
    with pytest.raises(ValueError) as info:
        Scale(1.0)(np.zeros((1, 2, 3, 4, 1)))
    assert str(info.value) == ("Scale: expected 2 to 4 dimensions ((H, W), (H, W, C) or a batch (N, H, W[, C])), "
                               "got array of shape (1, 2, 3, 4, 1) and dtype float64")


def test_batches_never_take_the_numpy_path():
    t = Scale(1.0)
    for batch in (np.zeros((2, 5, 5), np.uint8), np.zeros((2, 5, 5, 1), np.float32)):
        with pytest.raises(ImportError):  # the TensorFlow path, which this file blocks
            t(batch)
    assert t.seen == []


def test_layouts():
    assert [inputs.layout(s) for s in [(5, 6), (5, 6, 1), (4, 5, 6), (4, 5, 6, 1)]] == ["hw", "hw1", "nhw", "nhw1"]
    assert inputs.layout((None, 5, None), ndim_hint=4) == "nhw1"
    assert inputs.layout((5, 6, 1), ndim_hint=2) == "hw"
    with pytest.raises(ValueError) as info:
        inputs.layout((1, 2, 3, 4, 5))
    assert str(info.value) == "expected 2 to 4 dimensions, got shape (1, 2, 3, 4, 5)"


def test_which_transforms_have_a_numpy_path():
    assert inputs.numpy_ready(T.RandomStroke(0.5)) and inputs.numpy_ready(T.Compose([Scale(1.0), T.RandomShift()]))
    assert not inputs.numpy_ready(NoNumpy()) and not inputs.numpy_ready(BatchOnly())
    assert not inputs.numpy_ready(T.Compose([Scale(1.0), NoNumpy()]))
    assert not inputs.numpy_ready(T.RandomApply(NoNumpy()))
    assert not inputs.numpy_ready(T.RandomStroke(0.5, seed=SeedGenerator()))
    inner = Scale(1.0)
    assert inputs.children(T.RandomApply(inner)) == [inner] and inputs.children(inner) == []
    assert inputs.children(T.OneOf([inner, inner])) == [inner, inner]
    holder = Scale(1.0)
    holder.transform = "not a transform"  # an attribute of that name without apply_batch is not a child
    assert inputs.children(holder) == []
    assert not inputs.is_tensor(np.zeros((2, 2)))


# -- seeds, configs and the base class -----------------------------------------------------


def test_seeds_are_normalised():
    assert base._seed_value(None) is None
    assert base._seed_value(np.int64(7)) == 7 and type(base._seed_value(np.int64(7))) is int
    # seeds 5 and 6: generator states where integers(0, N) differs from integers(0, N - 1) and from integers(1, N)
    for s in (5, 6):
        assert base._seed_value(np.random.default_rng(s)) == int(np.random.default_rng(s).integers(0, 2**31 - 1))
    gen = SeedGenerator()
    assert base._seed_value(gen) is gen
    for bad in (True, 1.5, "3"):
        with pytest.raises(TypeError) as info:
            base._seed_value(bad)
        assert str(info.value) == f"seed must be an int, None, a numpy Generator or a keras SeedGenerator, got {bad!r}"


def test_numpy_draws_are_seeded_float32_and_advance():
    t = T.RandomStroke(0.5, seed=4)
    first = t._np_uniform(3, -2.0, 5.0)
    assert first.dtype == np.float32
    rng = np.random.default_rng(4)
    np.testing.assert_array_equal(first, rng.uniform(-2.0, 5.0, 3).astype(np.float32))
    np.testing.assert_array_equal(t._np_uniform(2), rng.uniform(0.0, 1.0, 2).astype(np.float32))
    assert t.numpy_rng is t.numpy_rng
    with pytest.raises(NotImplementedError):
        T.Transform().apply_numpy(np.zeros((1, 2, 2, 1), np.float32))


def test_call_passes_extra_arguments_through():
    x = np.zeros((2, 2), np.uint8)
    out, label, meta = Scale(1.0)(x, 3, "m")
    assert (label, meta) == (3, "m") and out.shape == (2, 2)
    assert isinstance(Scale(1.0)(x), np.ndarray)


def test_configs_reprs_and_round_trips():
    stroke = T.RandomStroke(0.25, seed=3)
    assert repr(stroke) == "RandomStroke(factor=0.25, seed=3)"
    assert T.serialize(stroke) == {"class_name": "RandomStroke", "config": {"factor": 0.25, "seed": 3}}
    assert T.RandomAffine(5, 0.1, (0.9, 1.1), 3, seed=2).get_config() == {
        "degrees": 5.0, "translate": 0.1, "scale": [0.9, 1.1], "shear": 3.0, "seed": 2}
    assert T.RandomShift(0.2, seed=1).get_config() == {"factor": 0.2, "seed": 1}
    assert T.RandomRotation(15, seed=1).get_config() == {"degrees": 15.0, "seed": 1}
    assert T.RandomScale((0.5, 2), seed=1).get_config() == {"scale": [0.5, 2.0], "seed": 1}
    assert T.RandomShear(20).get_config() == {"degrees": 20.0, "seed": None}
    assert T.RandomElastic(3, 2, seed=1).get_config() == {"alpha": 3.0, "sigma": 2.0, "seed": 1}
    assert T.GaussianNoise(0.2).get_config() == {"max_sigma": 0.2, "seed": None}
    assert T.SaltAndPepper(0.1, seed=0).get_config() == {"max_amount": 0.1, "seed": 0}
    assert T.RandomStroke(0.5, seed=SeedGenerator()).get_config() == {"factor": 0.5, "seed": None}
    pipeline = T.Compose([T.RandomApply(stroke, p=0.25, seed=1), T.OneOf([T.RandomShift(0.1), T.RandomRotation(5)],
                                                                         p=[0.75, 0.25], seed=2)])
    spec = T.serialize(pipeline)
    assert spec["config"]["transforms"][0] == {"class_name": "RandomApply", "config": {
        "transform": T.serialize(stroke), "p": 0.25, "seed": 1}}
    assert spec["config"]["transforms"][1]["config"]["p"] == [0.75, 0.25]
    assert T.serialize(T.deserialize(spec)) == spec
    assert repr(T.Compose([stroke, T.GaussianNoise(0.1, seed=2)])) == (
        "Compose([\n    RandomStroke(factor=0.25, seed=3),\n    GaussianNoise(max_sigma=0.1, seed=2)\n])")


def test_defaults():
    configs = [T.RandomAffine(), T.RandomShift(), T.RandomRotation(), T.RandomScale(), T.RandomShear(),
               T.RandomElastic(), T.RandomStroke(), T.GaussianNoise(), T.SaltAndPepper()]
    assert [c.get_config() for c in configs] == [
        {"degrees": 0.0, "translate": 0.0, "scale": [1.0, 1.0], "shear": 0.0, "seed": None},
        {"factor": 0.1, "seed": None}, {"degrees": 10.0, "seed": None}, {"scale": [0.9, 1.1], "seed": None},
        {"degrees": 10.0, "seed": None}, {"alpha": 2.0, "sigma": 4.0, "seed": None}, {"factor": 0.5, "seed": None},
        {"max_sigma": 0.1, "seed": None}, {"max_amount": 0.05, "seed": None}]
    assert T.RandomApply(Scale(1.0)).p == 0.5 and T.RandomApply(Scale(1.0)).seed is None


def test_deserialize_errors_in_full():
    for bad in ([], {"class_name": "RandomStroke"}, {"class_name": "RandomStroke", "config": 3}):
        with pytest.raises(TypeError) as info:
            T.deserialize(bad)
        assert str(info.value) == f'expected {{"class_name": str, "config": dict}} (from serialize), got {bad!r}'
    with pytest.raises(ValueError) as info:
        T.deserialize({"class_name": "Blur", "config": {}})
    assert str(info.value) == f"unknown transform 'Blur'; known: {sorted(base._REGISTRY)}"
    assert "RandomStroke" in base._REGISTRY and base._REGISTRY["Compose"] is T.Compose

    class Sharpen(Scale):
        pass

    try:
        assert base.register(Sharpen) is Sharpen and base._REGISTRY["Sharpen"] is Sharpen
    finally:
        base._REGISTRY.pop("Sharpen", None)
    assert base.Compose is combinators.Compose and base.OneOf is combinators.OneOf
    assert base.RandomApply is combinators.RandomApply
    with pytest.raises(AttributeError) as info:
        base.Sharpen  # noqa: B018
    assert str(info.value) == "module 'handdigits.transforms.base' has no attribute 'Sharpen'"


# -- combinators --------------------------------------------------------------------------


def test_combinators_refuse_what_is_not_a_list_of_transforms():
    stroke = T.RandomStroke(0.5)
    with pytest.raises(TypeError) as info:
        T.Compose(stroke)
    assert str(info.value) == f"Compose expects a list of handdigits transforms, got {stroke!r}"
    with pytest.raises(TypeError, match=r"^OneOf expects a list of handdigits transforms, got 3$"):
        T.OneOf(3)
    with pytest.raises(TypeError, match=r"^Compose expects handdigits transforms, got 'blur'$"):
        T.Compose([stroke, "blur"])
    with pytest.raises(TypeError, match=r"^RandomApply expects a handdigits transform, got \[\]$"):
        T.RandomApply([])
    assert T.Compose(t for t in [stroke]).transforms == [stroke]  # any iterable
    with pytest.raises(ValueError, match=r"^OneOf needs at least one transform$"):
        T.OneOf([])
    with pytest.raises(ValueError, match=r"^p must be a sequence of one probability per transform, got 'ab'$"):
        T.OneOf([stroke, stroke], p="ab")
    for p, shown in (([0.5, 0.4], r"\[0\.5, 0\.4\]"), ([1.0], r"\[1\.0\]")):
        with pytest.raises(ValueError, match=rf"^p must have one probability per transform summing to 1, got {shown}$"):
            T.OneOf([stroke, stroke], p=p)
    with pytest.raises(ValueError, match=r"^p\[1\] must be <= 1\.0, got 1\.5$"):
        T.OneOf([stroke, stroke], p=[0.5, 1.5])
    assert T.OneOf([stroke, stroke, stroke]).p == pytest.approx([1 / 3] * 3)


def test_compose_runs_in_order_on_both_paths():
    x = np.full((1, 2, 2, 1), 0.5, np.float32)
    assert T.Compose([Add(0.25), Scale(0.5)]).apply_numpy(x)[0, 0, 0, 0] == 0.375
    assert T.Compose([Scale(0.5), Add(0.25)]).apply_numpy(x)[0, 0, 0, 0] == 0.5
    assert T.Compose([Add(0.25), Scale(0.5)]).apply_batch(x)[0, 0, 0, 0] == 0.375


def test_random_apply_picks_images_with_its_own_draws():
    x = np.stack([np.full((2, 2, 1), v, np.float32) for v in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)])
    (u,) = draws(2, (6, 0.0, 1.0))
    mask = u < 0.5
    assert 0 < mask.sum() < 6
    out = T.RandomApply(Add(0.25), p=0.5, seed=2).apply_numpy(x)
    np.testing.assert_allclose(out[mask], x[mask] + 0.25)
    np.testing.assert_array_equal(out[~mask], x[~mask])
    assert T.RandomApply(Add(0.25), p=0.0, seed=2).apply_numpy(x) is x
    np.testing.assert_allclose(T.RandomApply(Add(0.25), p=1.0).apply_numpy(x), x + 0.25)
    assert T.RandomApply(Wide(1.0), p=1.0).apply_numpy(x).dtype == np.float32  # the input's dtype, not float64
    at_p = T.RandomApply(Add(0.25), p=float(u[0]), seed=2).apply_numpy(x)  # a draw equal to p: not applied
    assert at_p[0, 0, 0, 0] == x[0, 0, 0, 0] and (at_p[u < u[0]] == x[u < u[0]] + 0.25).all()


def test_one_of_picks_by_cumulative_probability():
    x = np.zeros((8, 1, 1, 1), np.float32)
    (u,) = draws(5, (8, 0.0, 1.0))
    out = T.OneOf([Add(1.0), Add(2.0), Add(3.0)], p=[0.25, 0.5, 0.25], seed=5).apply_numpy(x)[:, 0, 0, 0]
    expected = np.where(u < 0.25, 1.0, np.where(u < 0.75, 2.0, 3.0))
    assert len(set(expected)) == 3
    np.testing.assert_array_equal(out, expected)
    assert (x == 0).all()  # the input is not changed in place
    edge = float(u[0]) + float(np.spacing(u[0])) / 4  # rounds to u[0] in float32, as the edges are compared
    out = T.OneOf([Add(1.0), Add(2.0)], p=[edge, 1 - edge], seed=5).apply_numpy(x)[:, 0, 0, 0]
    np.testing.assert_array_equal(out, np.where(u >= u[0], 2.0, 1.0))  # a draw on the edge goes up
    out = T.OneOf([Add(1.0), Add(2.0)], p=[0.0, 1.0], seed=5).apply_numpy(x)  # a probability of 0 is never chosen
    assert (out == 2.0).all()


# -- what each transform draws ------------------------------------------------------------


@pytest.fixture
def recorded(monkeypatch):
    """Replace the numpy functions the transforms call by recorders: name -> list of (args, kwargs)."""
    calls = {}
    for name in ("affine", "elastic", "stroke", "gaussian_noise", "salt_and_pepper"):
        def record(*args, _name=name, **kwargs):
            calls.setdefault(_name, []).append((args, kwargs))
            return args[0]
        monkeypatch.setattr(NF, name, record)
    return calls


def test_affine_draws_each_parameter_in_its_range(recorded):
    x = np.zeros((2, 10, 30, 1), np.float32)
    T.RandomAffine(30, 0.1, (0.8, 1.2), 5, seed=9).apply_numpy(x)
    angle, dx, dy, scale, shear = draws(9, (2, -30, 30), (2, -0.1, 0.1), (2, -0.1, 0.1), (2, 0.8, 1.2), (2, -5, 5))
    ((args, kw),) = recorded["affine"]
    assert args[0] is x
    np.testing.assert_array_equal(kw["angle"], angle)
    np.testing.assert_array_equal(kw["translate"][0], dx * 30)  # a fraction of the width ...
    np.testing.assert_array_equal(kw["translate"][1], dy * 10)  # ... and of the height
    np.testing.assert_array_equal(kw["scale"], scale)
    np.testing.assert_array_equal(kw["shear"], shear)


def test_elastic_draws_fields_and_strength(recorded):
    x = np.zeros((2, 4, 5, 1), np.float32)
    assert T.RandomElastic(alpha=0.0, seed=1).apply_numpy(x) is x
    T.RandomElastic(alpha=6.0, sigma=2.5, seed=1).apply_numpy(x)
    dx, dy, alpha = draws(1, ((2, 4, 5), -1, 1), ((2, 4, 5), -1, 1), (2, 0, 6))
    ((args, kw),) = recorded["elastic"]
    assert args[0] is x and args[4] == 2.5 and not kw
    for got, want in zip(args[1:4], (dx, dy, alpha)):
        np.testing.assert_array_equal(got, want)


def test_pixel_transforms_draw_per_image_and_zero_is_the_identity(recorded):
    x = np.zeros((3, 2, 2, 1), np.float32)
    for t in (T.RandomStroke(0.0), T.GaussianNoise(0.0), T.SaltAndPepper(0.0)):
        assert t.apply_numpy(x) is x
    T.RandomStroke(0.5, seed=1).apply_numpy(x)
    assert recorded["stroke"][0][0][0] is x
    np.testing.assert_array_equal(recorded["stroke"][0][0][1], draws(1, (3, -0.5, 0.5))[0])
    T.GaussianNoise(0.2, seed=2).apply_numpy(x)
    (images, noise, sigma), _ = recorded["gaussian_noise"][0]
    assert images is x
    rng = np.random.default_rng(2)
    np.testing.assert_array_equal(sigma, rng.uniform(0.0, 0.2, 3).astype(np.float32))
    np.testing.assert_array_equal(noise, rng.standard_normal(x.shape, dtype=np.float32))
    T.SaltAndPepper(0.1, seed=3).apply_numpy(x)
    (images, uniform, amount), _ = recorded["salt_and_pepper"][0]
    assert images is x
    want_amount, want_uniform = draws(3, (3, 0.0, 0.1), (x.shape, 0.0, 1.0))
    np.testing.assert_array_equal(amount, want_amount)
    np.testing.assert_array_equal(uniform, want_uniform)


def test_parameter_checks_name_the_parameter():
    cases = [(lambda: T.RandomAffine(degrees=91), "degrees must be <= 90.0, got 91.0"),
             (lambda: T.RandomAffine(translate=1.5), "translate must be <= 1.0, got 1.5"),
             (lambda: T.RandomAffine(translate=-0.1), "translate must be >= 0.0, got -0.1"),
             (lambda: T.RandomAffine(shear=-1), "shear must be >= 0.0, got -1.0"),
             (lambda: T.RandomAffine(scale=(0, 1)), "scale must be > 0, got (0, 1)"),
             (lambda: T.RandomAffine(scale=(-1, 1)), "scale[0] must be >= 0.0, got -1.0"),
             (lambda: T.RandomAffine(shear=46), "shear must be <= 45.0, got 46.0"),
             (lambda: T.RandomShift(1.5), "factor must be <= 1.0, got 1.5"),
             (lambda: T.RandomShift(-0.1), "factor must be >= 0.0, got -0.1"),
             (lambda: T.RandomShear(46), "degrees must be <= 45.0, got 46.0"),
             (lambda: T.RandomShear(-1), "degrees must be >= 0.0, got -1.0"),
             (lambda: T.RandomElastic(alpha=29), "alpha must be <= 28.0, got 29.0"),
             (lambda: T.RandomElastic(sigma=0), "sigma must be > 0.0, got 0.0"),
             (lambda: T.RandomElastic(sigma=29), "sigma must be <= 28.0, got 29.0"),
             (lambda: T.RandomStroke(-0.1), "factor must be >= 0.0, got -0.1"),
             (lambda: T.RandomStroke(1.5), "factor must be <= 1.0, got 1.5"),
             (lambda: T.GaussianNoise(-0.1), "max_sigma must be >= 0.0, got -0.1"),
             (lambda: T.SaltAndPepper(1.5), "max_amount must be <= 1.0, got 1.5"),
             (lambda: T.RandomElastic(alpha=-1), "alpha must be >= 0.0, got -1.0"),
             (lambda: T.RandomAffine(degrees=-1), "degrees must be >= 0.0, got -1.0"),
             (lambda: T.GaussianNoise(1.5), "max_sigma must be <= 1.0, got 1.5"),
             (lambda: T.SaltAndPepper(-1), "max_amount must be >= 0.0, got -1.0"),
             (lambda: T.RandomApply(Scale(1.0), p=2), "p must be <= 1.0, got 2.0")]
    for build, message in cases:
        with pytest.raises(ValueError) as info:
            build()
        assert str(info.value) == message
    assert T.RandomAffine(degrees=90, translate=1.0, shear=45).degrees == 90.0  # the bounds themselves are allowed
    assert T.RandomShear(0.5).shear == 0.5 and T.RandomShift(0.0).translate == 0.0
    subclasses = [T.RandomShift(0.1, seed=4), T.RandomRotation(5, seed=4), T.RandomScale(seed=4), T.RandomShear(seed=4)]
    assert [t.seed for t in subclasses] == [4, 4, 4, 4]


# -- the standard pipeline ----------------------------------------------------------------


def test_default_augmentation_recipe_and_seeds():
    spec = [s["config"] for s in T.serialize(T.default_augmentation(strength=1.0, seed=3))["config"]["transforms"]]
    assert spec[0] == {"degrees": 12.0, "translate": 0.1, "scale": [0.85, 1.15], "shear": 10.0, "seed": 48}
    assert spec[1] == {"transform": {"class_name": "RandomElastic", "config": {"alpha": 1.5, "sigma": 3.0, "seed": 49}},
                       "p": 0.5, "seed": 50}
    assert spec[2] == {"factor": 0.6, "seed": 51}
    assert spec[3] == {"transform": {"class_name": "GaussianNoise", "config": {"max_sigma": 0.08, "seed": 52}},
                       "p": 0.3, "seed": 53}
    assert spec[4] == {"transform": {"class_name": "SaltAndPepper", "config": {"max_amount": 0.02, "seed": 54}},
                       "p": 0.1, "seed": 55}
    strong = T.default_augmentation(strength=2.0).transforms
    assert strong[0].degrees == 24.0 and strong[0].scale == (0.7, 1.3) and strong[2].factor == 1.0
    assert strong[3].transform.max_sigma == 0.16 and all(t.seed is None for t in strong)
    gen_seed = int(np.random.default_rng(6).integers(0, 2**27))
    assert T.default_augmentation(seed=np.random.default_rng(6)).transforms[2].seed == gen_seed * 16 + 3
    shared = SeedGenerator()
    assert all(t.seed is shared for t in T.default_augmentation(seed=shared).transforms[::2])
    with pytest.raises(ValueError, match=r"^strength must be <= 2\.0, got 2\.5$"):
        T.default_augmentation(2.5)
    with pytest.raises(ValueError, match=r"^strength must be >= 0\.0, got -1\.0$"):
        T.default_augmentation(-1)
    assert T.serialize(T.default_augmentation(seed=3)) == T.serialize(T.default_augmentation(1.0, seed=3))
    img = np.zeros((28, 28), np.uint8)
    img[8:20, 12:16] = 255
    out = T.default_augmentation(strength=0.0, seed=1)(img)  # strength 0: the identity
    np.testing.assert_array_equal(out, img)

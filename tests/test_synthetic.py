"""load_synthetic / synthetic_info: determinism, format, disjoint split families, styles, cache."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handdigits.datasets import NOT_A_DIGIT, glyphs, load_synthetic, synthetic, synthetic_info
from handdigits.datasets.synthetic import draw_digit, draw_nondigit


def test_same_seed_same_arrays_other_seed_other_arrays():
    a = load_synthetic(20, seed=3, cache=False)
    b = load_synthetic(20, seed=3, cache=False)
    c = load_synthetic(20, seed=4, cache=False)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert all(not np.array_equal(a[0][i], c[0][i]) for i in range(20))


#: sha256 (first 16 hex digits) of load_synthetic(50, kind, split, seed=0)[0] for generator VERSION "2",
#: rendered with Pillow 13.0 (Pillow draws the lines, so another version may move a few pixels)
FINGERPRINTS = {
    ("digits", "train"): "7a20483335fdfa76",
    ("digits", "validation"): "bdebd6a38cdb07ea",
    ("digits", "test"): "6cea5a947c34a0a0",
    ("nondigits", "train"): "6802561b74e0d241",
    ("nondigits", "validation"): "c7c224feaebc83e2",
    ("nondigits", "test"): "2d78822f6039ec06",
}


@pytest.mark.parametrize(("kind", "split"), sorted(FINGERPRINTS))
def test_output_of_a_seed_never_changes_within_a_version(kind, split):
    """Models are trained on these arrays: any change of a seed's output must bump VERSION
    (and then these fingerprints), so that caches and model metadata stay truthful."""
    import hashlib

    import PIL

    if synthetic.VERSION != "2" or not PIL.__version__.startswith("13.0."):
        pytest.skip(f"fingerprints are for VERSION 2 with Pillow 13.0, not {synthetic.VERSION} / {PIL.__version__}")
    x, _ = load_synthetic(50, kind=kind, split=split, seed=0, cache=False)
    assert hashlib.sha256(x.tobytes()).hexdigest()[:16] == FINGERPRINTS[kind, split]


def test_smaller_n_is_a_prefix_and_kinds_splits_differ():
    x10, _ = load_synthetic(10, kind="nondigits", split="validation", seed=1, cache=False)
    x25, _ = load_synthetic(25, kind="nondigits", split="validation", seed=1, cache=False)
    np.testing.assert_array_equal(x10, x25[:10])
    xt, _ = load_synthetic(10, kind="nondigits", split="test", seed=1, cache=False)
    assert not any(np.array_equal(x10[i], xt[i]) for i in range(10))


@pytest.mark.parametrize("kind", ["digits", "nondigits"])
def test_shapes_dtypes_labels(kind):
    x, y = load_synthetic(23, kind=kind, split="train", cache=False)
    assert x.shape == (23, 28, 28) and x.dtype == np.uint8
    assert y.shape == (23,) and y.dtype == np.int64
    expected = np.arange(23) % 10 if kind == "digits" else np.full(23, NOT_A_DIGIT)
    np.testing.assert_array_equal(y, expected)


def _centre_of_mass(img):
    w = img.astype(float)
    rows, cols = np.indices(img.shape)
    return (rows * w).sum() / w.sum(), (cols * w).sum() / w.sum()


def _extent(img, level=0):
    r, c = np.nonzero(img > level)
    return max(r.max() - r.min(), c.max() - c.min()) + 1


@pytest.mark.parametrize("kind", ["digits", "nondigits"])
@pytest.mark.parametrize("split", ["train", "test"])
def test_mnist_format(kind, split):
    x, _ = load_synthetic(40, kind=kind, split=split, seed=2, cache=False)
    for img in x:
        assert img.max() >= 200  # white ink ...
        assert np.median(img) == 0  # ... on black
        assert 19 <= _extent(img) <= 21  # longer side 20 px
        r, c = _centre_of_mass(img)
        assert abs(r - 14) < 1.5 and abs(c - 14) < 1.5


def test_to_mnist_leaves_synthetic_images_unchanged():
    """The images are already what handdigits.preprocess makes of a user's image."""
    from handdigits.preprocess import to_mnist

    for kind in ("digits", "nondigits"):
        x, _ = load_synthetic(100, kind=kind, split="test", cache=False)
        same = np.mean([np.array_equal(to_mnist(img), img) for img in x])
        assert same >= 0.98, (kind, same)


def test_info_declares_disjoint_families_and_no_lookalikes():
    info = synthetic_info()
    json.dumps(info)  # goes into model metadata
    train, val, test = (info["splits"][s] for s in ("train", "validation", "test"))
    assert val == test  # both held out; independent draws
    for d in map(str, range(10)):
        assert train["digits"][d] and val["digits"][d], d
        assert not set(train["digits"][d]) & set(val["digits"][d]), d
    for family in ("letters", "shapes", "fonts"):
        assert not set(train["nondigits"][family]) & set(val["nondigits"][family]), family
    assert val["nondigits"]["letters"] and val["nondigits"]["shapes"]
    letters = train["nondigits"]["letters"] + val["nondigits"]["letters"]
    assert not set(letters) & set("OoQDIiljJSsZzBbGgq")
    assert "A" in train["nondigits"]["letters"] and "N" in val["nondigits"]["letters"]
    assert {"star", "smiley"} <= set(val["nondigits"]["shapes"])
    assert "circle" not in glyphs.SHAPES and "ellipse" not in glyphs.SHAPES
    for font in info["fonts"]:
        assert font["licence"] and font["name"]


@pytest.mark.parametrize("split", ["train", "validation"])
def test_generator_uses_only_the_declared_families(monkeypatch, split):
    used = {"digits": set(), "nondigits": set()}
    real_digit, real_nondigit = synthetic.draw_digit, synthetic.draw_nondigit

    def spy_digit(digit, style, rng):
        used["digits"].add((str(digit), style))
        return real_digit(digit, style, rng)

    def spy_nondigit(name, rng, *, font=False):
        used["nondigits"].add((name, font))
        return real_nondigit(name, rng, font=font)

    monkeypatch.setattr(synthetic, "draw_digit", spy_digit)
    monkeypatch.setattr(synthetic, "draw_nondigit", spy_nondigit)
    load_synthetic(120, kind="digits", split=split, cache=False)
    load_synthetic(120, kind="nondigits", split=split, cache=False)
    declared = synthetic_info()["splits"][split]
    for d, style in used["digits"]:
        assert (style if style != "font" else f"font:{synthetic.FONT['name']}") in declared["digits"][d]
    nd = declared["nondigits"]
    for name, font in used["nondigits"]:
        assert name in nd["letters"] + nd["shapes"]
        assert not font or nd["fonts"]
    assert len({s for _, s in used["digits"]}) >= 8  # the styles really are mixed
    names = {n for n, _ in used["nondigits"]}
    assert names & set(nd["shapes"]) and names & set(nd["letters"])


def _mean(digit, style, n=40, seed=0):
    rng = np.random.default_rng(seed)
    return np.mean([draw_digit(digit, style, rng) for _ in range(n)], axis=0) / 255


def test_style_variants_differ_where_expected():
    # a crossbar adds ink left of the 7's stem, below the middle (the heavy top moves the 7 down)
    plain, barred = _mean(7, "plain"), _mean(7, "crossbar")
    assert barred[15:19, 10:15].mean() > 2 * plain[15:19, 10:15].mean() + 0.1
    # a foot adds a horizontal band of ink at the bottom, on both sides of the 1's stem
    plain, footed = _mean(1, "european"), _mean(1, "european-footed")
    assert footed[20:23, 7:21].mean() > 2 * plain[20:23, 7:21].mean() + 0.1
    # a closed 4 has its diagonal in the middle of the top half; an open 4's arm is further left
    open_, closed = _mean(4, "open"), _mean(4, "closed")
    assert closed[7:12, 13:17].mean() > 2 * open_[7:12, 13:17].mean() + 0.1
    # a slashed 0 has ink in the middle of the ring, a plain one has none
    oval, slashed = _mean(0, "oval"), _mean(0, "slashed")
    assert slashed[12:16, 12:16].mean() > 0.15 > oval[12:16, 12:16].mean()


def test_bundled_model_reads_plain_style_digits():
    """Sanity check that the pen model draws digits: the MNIST-trained model reads >= 90 % of the
    MNIST-like styles (measured: about 99 %)."""
    from handdigits import Classifier

    rng = np.random.default_rng(7)
    x = np.stack([draw_digit(d, glyphs.PLAIN[d], rng) for d in range(10) for _ in range(30)])
    y = np.repeat(np.arange(10), 30)
    pred = Classifier().predict(x)
    per_digit = [(pred[y == d] == d).mean() for d in range(10)]
    assert np.mean(per_digit) >= 0.9, per_digit
    assert min(per_digit) >= 0.7, per_digit


def _is_ring(img, level=128):
    """True when nearly all the ink lies on one closed ellipse (found from the ink's second moments)."""
    r, c = np.nonzero(img > level)
    p = np.stack([r, c], axis=1).astype(float)
    p -= p.mean(axis=0)
    whiten = np.linalg.cholesky(np.linalg.inv(np.cov(p.T) + 1e-6 * np.eye(2)))
    q = p @ whiten
    radius = np.hypot(q[:, 0], q[:, 1]) / np.sqrt(2)  # 1 on a ring whose points spread evenly
    near = np.abs(radius - 1) < 0.25
    angles = np.arctan2(q[near, 0], q[near, 1])
    cover = np.unique(((angles + np.pi) / (2 * np.pi) * 36).astype(int) % 36).size / 36
    return near.mean() > 0.85 and cover > 0.94


def _closed_ellipse(stroke):
    """A stroke that ends where it starts and keeps a constant whitened radius (an ellipse)."""
    p = stroke - stroke.mean(axis=0)
    size = np.ptp(stroke, axis=0).max()
    if np.hypot(*(stroke[0] - stroke[-1])) > 0.15 * size:
        return False
    q = p @ np.linalg.cholesky(np.linalg.inv(np.cov(p.T) + 1e-9 * np.eye(2)))
    radius = np.hypot(q[:, 0], q[:, 1])
    return radius.std() / radius.mean() < 0.1


def test_nondigit_templates_are_never_a_lone_ellipse():
    rng = np.random.default_rng(0)
    assert _closed_ellipse(glyphs.DIGITS[0]["oval"](rng)[0])  # the check recognises a 0
    for name, template in {**glyphs.SHAPES, **glyphs.LETTERS}.items():
        for _ in range(100):
            strokes = template(rng)
            assert len(strokes) > 1 or not _closed_ellipse(strokes[0]), name


def test_nondigit_images_are_almost_never_ring_like():
    rng = np.random.default_rng(0)
    zeros = np.mean([_is_ring(draw_digit(0, "oval", rng)) for _ in range(60)])
    assert zeros > 0.75  # the detector finds most plain zeros (measured: 87 %)
    for split in ("train", "test"):
        x, _ = load_synthetic(300, kind="nondigits", split=split, cache=False)
        rings = np.mean([_is_ring(img) for img in x])
        assert rings <= 0.01, split  # measured: 0.2 % (an "a", a round star)


@settings(max_examples=25, deadline=None)
@given(digit=st.integers(0, 9), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_any_style_any_seed_gives_an_mnist_digit(digit, seed, data):
    style = data.draw(st.sampled_from([*glyphs.DIGITS[digit], "font"]))
    img = draw_digit(digit, style, np.random.default_rng(seed))
    assert img.shape == (28, 28) and img.dtype == np.uint8 and img.max() >= 200
    assert 19 <= _extent(img) <= 21
    r, c = _centre_of_mass(img)
    assert abs(r - 14) < 1.5 and abs(c - 14) < 1.5


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(sorted([*glyphs.LETTERS, *glyphs.SHAPES])), seed=st.integers(0, 2**32 - 1))
def test_any_nondigit_template_draws(name, seed):
    img = draw_nondigit(name, np.random.default_rng(seed))
    assert img.shape == (28, 28) and img.max() >= 200 and np.median(img) == 0


def test_cache_written_read_and_sliced(tmp_path, monkeypatch):
    x, y = load_synthetic(12, kind="nondigits", seed=5, data_dir=tmp_path)
    files = list((tmp_path / "synthetic").glob("*.npz"))
    assert [f.name for f in files] == [f"nondigits-train-seed5-n12-v{synthetic.VERSION}.npz"]

    def fail(*args):
        raise AssertionError("generated instead of reading the cache")

    monkeypatch.setattr(synthetic, "_sample", fail)
    x2, y2 = load_synthetic(12, kind="nondigits", seed=5, data_dir=tmp_path)
    x3, _ = load_synthetic(7, kind="nondigits", seed=5, data_dir=tmp_path)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(x[:7], x3)
    with pytest.raises(AssertionError, match="generated"):
        load_synthetic(13, kind="nondigits", seed=5, data_dir=tmp_path)


def test_cache_false_writes_nothing_and_corrupt_cache_is_regenerated(tmp_path):
    load_synthetic(3, data_dir=tmp_path, cache=False)
    assert not (tmp_path / "synthetic").exists()
    d = tmp_path / "synthetic"
    d.mkdir()
    (d / f"digits-train-seed0-n3-v{synthetic.VERSION}.npz").write_bytes(b"not a zip")
    x, _ = load_synthetic(3, data_dir=tmp_path)
    np.testing.assert_array_equal(x, load_synthetic(3, cache=False)[0])


def test_progress_line():
    out = io.StringIO()
    load_synthetic(4, cache=False, progress=out)
    assert out.getvalue().endswith("synthetic digits/train 4/4\n")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n": 0}, ValueError, "n must be >= 1, got 0"),
        ({"n": 2.5}, TypeError, "n must be an integer"),
        ({"n": True}, TypeError, "n must be an integer"),
        ({"kind": "letters"}, ValueError, "kind must be one of 'digits', 'nondigits'; got 'letters'"),
        ({"split": "val"}, ValueError, "split must be one of 'train', 'validation', 'test'; got 'val'"),
        ({"seed": -1}, ValueError, "seed must be >= 0, got -1"),
    ],
)
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        load_synthetic(**{"n": 3, **kwargs}, cache=False)


def test_bad_style_names():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="style must be one of 'plain', 'crossbar'"):
        draw_digit(7, "curly", rng)
    with pytest.raises(ValueError, match="digit must be in"):
        draw_digit(10, "plain", rng)
    with pytest.raises(ValueError, match="name must be one of"):
        draw_nondigit("O", rng)


def test_docstring_examples_run():
    import doctest

    from handdigits.datasets import pen

    for module in (synthetic, pen):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


@given(value=st.integers(-(2**40), 2**40), low=st.integers(-5, 5))
def test_check_int_accepts_integers_at_or_above_low(value, low):
    from handdigits.validation import check_int

    if value >= low:
        assert check_int(np.int64(value), "k", low=low) == value
    else:
        with pytest.raises(ValueError, match=f"k must be >= {low}, got {value}"):
            check_int(value, "k", low=low)


@pytest.mark.parametrize("bad", [1.0, True, "3", None, np.float32(2)])
def test_check_int_refuses_non_integers(bad):
    from handdigits.validation import check_int

    with pytest.raises(TypeError, match="k must be an integer"):
        check_int(bad, "k")


def test_check_int_range_and_check_choice_messages():
    from handdigits.validation import check_choice, check_int

    assert check_int(9, "d", low=0, high=9) == 9
    with pytest.raises(ValueError, match=r"d must be in \[0, 9\], got 10"):
        check_int(10, "d", low=0, high=9)
    with pytest.raises(ValueError, match="d must be <= 9, got 10"):
        check_int(10, "d", high=9)
    assert check_choice("b", "x", ("a", "b")) == "b"
    with pytest.raises(ValueError, match="x must be one of 'a', 'b'; got 'c'"):
        check_choice("c", "x", ("a", "b"))

"""The stroke templates of the synthetic handwriting (handdigits.datasets.glyphs)."""

from __future__ import annotations

import numpy as np
import pytest

from handdigits.datasets import glyphs

TEMPLATES = (
    [(f"digit {d} {s}", f) for d, styles in glyphs.DIGITS.items() for s, f in styles.items()]
    + [(f"letter {c}", f) for c, f in glyphs.LETTERS.items()]
    + [(f"shape {k}", f) for k, f in glyphs.SHAPES.items()]
)


def test_tables_cover_every_digit_and_no_lookalike():
    assert sorted(glyphs.DIGITS) == list(range(10))
    assert all(len(styles) >= 3 for styles in glyphs.DIGITS.values())
    assert all(glyphs.PLAIN[d] in glyphs.DIGITS[d] for d in range(10))
    assert not set(glyphs.LETTERS) & set(glyphs.LOOKALIKES)


@pytest.mark.parametrize("name, template", TEMPLATES, ids=[n for n, _ in TEMPLATES])
def test_template_is_strokes_in_the_unit_box_and_deterministic(name, template):
    strokes = template(np.random.default_rng(3))
    assert isinstance(strokes, list) and strokes
    for s in strokes:
        s = np.asarray(s)
        assert s.ndim == 2 and s.shape[1] == 2 and len(s) >= 1 and np.isfinite(s).all()
        assert (s > -0.6).all() and (s < 1.6).all(), name  # nominal box [0, 1], overshoot allowed
    again = template(np.random.default_rng(3))
    assert all(np.array_equal(a, b) for a, b in zip(strokes, again))


def test_r_is_a_p_with_a_leg():
    p = glyphs.LETTERS["P"](np.random.default_rng(0))
    r = glyphs.LETTERS["R"](np.random.default_rng(0))
    assert len(p) == 1 and len(r) == 2
    np.testing.assert_array_equal(r[0], p[0])
    np.testing.assert_allclose(r[1][[0, -1]], [[0.42, 0.5], [0.85, 1.0]], atol=1e-9)


def test_styles_differ_and_proportions_vary():
    rng = np.random.default_rng
    a = np.concatenate(glyphs.DIGITS[1]["plain"](rng(0)))
    b = np.concatenate(glyphs.DIGITS[1]["flagged"](rng(0)))
    assert a.shape != b.shape or not np.allclose(a, b)
    first, second = (np.concatenate(glyphs.DIGITS[0]["oval"](rng(s))) for s in (0, 1))
    assert first.shape != second.shape or not np.allclose(first, second)

"""The array helpers under handdigits.preprocess: rank filter, working image, channel-plane ink strength."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from handdigits.preprocess.decode import WORK_MAX, _working_image
from handdigits.preprocess.filters import _MATRIX_MAX, _box_blur, _grow, _rank, _resample_weights, _resize, _shrink
from handdigits.preprocess.ink import _near_strength, _strength


def sliding_rank(x: np.ndarray, k: int, op) -> np.ndarray:
    """The plain k×k minimum / maximum filter with replicated edges (a window per pixel)."""
    r = k // 2
    p = np.pad(x, r, mode="edge")
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[i, j] = op(p[i : i + k, j : j + k])
    return out


@settings(max_examples=60, deadline=None)
@given(
    x=hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=24),
                 elements=st.floats(0, 1, width=32)),
    k=st.sampled_from([1, 3, 5, 7, 9, 15, 31]),
    op=st.sampled_from([np.min, np.max]),
)
def test_rank_filter_equals_a_window_per_pixel(x, k, op):
    np.testing.assert_array_equal(_rank(x, k, op), sliding_rank(x, k, op))


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(bool, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=24)))
def test_shrink_is_a_3x3_minimum_with_background_outside(mask):
    padded = np.pad(mask, 1).astype(np.float32)  # outside the mask: background
    np.testing.assert_array_equal(_shrink(mask), sliding_rank(padded, 3, np.min)[1:-1, 1:-1] > 0.5)


@settings(max_examples=40, deadline=None)
@given(
    x=hnp.arrays(np.float32, st.tuples(st.integers(1, 3), st.integers(1, 20), st.integers(1, 20)),
                 elements=st.floats(0, 1, width=32)),
    k=st.sampled_from([3, 9, 21, 23]),
    op=st.sampled_from([np.min, np.max]),
)
def test_rank_filter_and_blur_of_a_stack_filter_each_plane(x, k, op):
    """A channels-first stack is filtered over its last two axes, plane by plane (both rank-filter paths:
    shifted extremes up to 21 px, Van Herk's blocks above)."""
    np.testing.assert_array_equal(_rank(x, k, op), np.stack([_rank(p, k, op) for p in x]))
    np.testing.assert_array_equal(_box_blur(x, k // 2), np.stack([_box_blur(p, k // 2) for p in x]))


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(bool, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=24)))
def test_grow_is_a_3x3_maximum(mask):
    np.testing.assert_array_equal(_grow(mask), sliding_rank(mask.astype(np.float32), 3, np.max) > 0.5)


def test_box_blur_known_answer():
    x = np.zeros((1, 7), np.float32)
    x[0, 3] = 3.0
    np.testing.assert_allclose(_box_blur(x, 1), [[0, 0, 1, 1, 1, 0, 0]])  # a 3-wide mean along the row


def test_shrink_known_answers():
    block = np.zeros((5, 6), bool)
    block[1:4, 1:4] = True
    expected = np.zeros_like(block)
    expected[2, 2] = True
    np.testing.assert_array_equal(_shrink(block), expected)  # a 3x3 block keeps its centre only
    full = np.ones((4, 4), bool)
    inner = np.zeros_like(full)
    inner[1:3, 1:3] = True
    np.testing.assert_array_equal(_shrink(full), inner)  # the frame's edge is background: a full mask loses its rim


def test_rank_filter_on_a_known_row():
    x = np.array([[0, 0, 5, 0, 0, 0, 0, 9]], np.float32)
    np.testing.assert_array_equal(_rank(x, 3, np.max), [[0, 5, 5, 5, 0, 0, 9, 9]])
    np.testing.assert_array_equal(_rank(x, 3, np.min), [[0, 0, 0, 0, 0, 0, 0, 0]])


def test_huge_image_is_read_in_draft_and_stays_under_the_working_size():
    a = np.full((3000, 4000, 3), 230, np.uint8)
    a[1000:2000, 1900:2000] = (20, 30, 200)  # a blue stroke 100 px wide
    x, f = _working_image(a)
    assert max(x.shape[:2]) <= WORK_MAX and f == 12  # every other pixel, then a box of 6
    assert x.shape[:2] == (250, 334)
    col = x[125, :, 2]  # the blue channel across the stroke
    assert np.isclose(col[0], 230 / 255) and np.isclose(col[163], 200 / 255)


def test_small_image_is_reduced_exactly():
    a = np.arange(800 * 600, dtype=np.uint32).reshape(600, 800) % 251
    a = np.dstack([a, 250 - a, a // 2]).astype(np.uint8)
    x, f = _working_image(a)
    assert f == 3 and x.shape == (200, 267, 3)
    np.testing.assert_allclose(x[10, 10], a[30:33, 30:33].reshape(-1, 3).mean(0) / 255, atol=0.51 / 255)


def test_strength_is_luminance_step_plus_colour_distance():
    x = np.array([[[0.2, 0.6, 0.6], [0.5, 0.5, 0.5]]], np.float32)  # an ink-bright pixel and the paper
    paper = np.full_like(x, 0.5)
    r = np.array([-0.3, 0.1, 0.1])
    lum = 0.299 * r[0] + 0.587 * r[1] + 0.114 * r[2]
    dist = np.sqrt(((r - r.mean()) ** 2).sum() * 1.5)
    np.testing.assert_allclose(_strength(x, paper)[0], [max(lum, 0) + dist, 0.0], atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    grey=hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=2, min_side=2, max_side=40),
                    elements=st.floats(0, 1, width=32)),
    tint=st.tuples(*[st.floats(-0.25, 0.25, width=32)] * 3),
    level=st.floats(0, 0.5, width=32),
)
def test_strength_of_grey_ink_is_its_luminance_step_from_the_paper(grey, tint, level):
    """Ink of the paper's own hue (a grey image on tinted paper: every pixel the paper colour plus a grey
    step) has no colour distance: its strength is the luminance step alone, never negative, whether the paper
    is one colour or a thumbnail scaled up."""
    paper = np.clip(level + np.asarray(tint, np.float32), 0.0, 0.5)
    x = paper + grey[..., None] * 0.5  # the same step in every channel
    for p in (paper, np.broadcast_to(paper, (4, 4, 3)).copy()):
        s, colour = _near_strength(x, p)
        assert not colour
        np.testing.assert_allclose(s, 0.5 * grey, atol=1e-5)


@settings(max_examples=80, deadline=None)
@given(
    x=hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=70),
                 elements=st.floats(0, 1, width=32)),
    size=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    resample=st.sampled_from(["LANCZOS", "BICUBIC", "BILINEAR", "BOX"]),
)
def test_small_resize_by_weight_matrices_equals_pillow(x, size, resample):
    """The reader's candidate digits are resized by weight matrices, not Pillow: the result is Pillow's to
    float32 rounding, for every filter they may use, growing and shrinking."""
    from PIL import Image

    method = Image.Resampling[resample]
    ours = _resize(x, size, method)
    pillow = np.asarray(Image.fromarray(x, mode="F").resize(size, method), np.float32)
    assert ours.dtype == np.float32 and ours.shape == pillow.shape == (size[1], size[0])
    np.testing.assert_allclose(ours, pillow, rtol=0, atol=1e-6)


def test_resample_weights_known_answers():
    """Known answers: halving with a box averages pixel pairs; doubling bilinearly puts output pixels a
    quarter and three quarters between inputs (edges clamped); Lanczos weights sum to one and are cached."""
    from PIL import Image

    box = _resample_weights(4, 2, int(Image.Resampling.BOX))
    np.testing.assert_allclose(box, [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
    bil = _resample_weights(2, 4, int(Image.Resampling.BILINEAR))
    np.testing.assert_allclose(bil, [[1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]])
    lz = _resample_weights(57, 20, int(Image.Resampling.LANCZOS))
    np.testing.assert_allclose(lz.sum(1), 1.0)
    assert lz is _resample_weights(57, 20, int(Image.Resampling.LANCZOS)) and not lz.flags.writeable
    big = np.zeros((_MATRIX_MAX + 1, 3), np.float32)  # larger arrays go through Pillow: same result
    assert _resize(big, (3, 20), Image.Resampling.LANCZOS).shape == (20, 3)

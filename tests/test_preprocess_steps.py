"""Known answers for single steps of handdigits.preprocess, found by mutation testing (issue 19).

tests/test_preprocess_known_answers.py goes through the public API; some steps can only be
pinned from there through many layers that forgive a mistake (a paper surface not taken out
is rescued by the stroke test, a wrong paper colour under a stroke still leaves a digit).
These tests call the step itself with an input where a plausible mistake (a boundary moved
by one, ``+`` for ``-``, a robust fit that keeps its outliers, a band edge off by one) gives
a visibly wrong answer, and match refusal messages in full.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from handdigits.preprocess import BlankImageError, find_rulings, stroke_width, to_mnist, to_mnist_batch, trace
from handdigits.preprocess.ink import _flat_paper, _ink_strength, _near_strength, _otsu, _paper_colour, _strength
from handdigits.preprocess.polarity import _border_surface, _stroke_polarity
from test_preprocess_known_answers import seven

BLANK = "no ink found in image (blank or near-blank: {})"


def disc(size: int, box: list[int]) -> np.ndarray:
    """A filled ellipse drawn with Pillow, bool (size, size)."""
    img = Image.new("L", (size, size), 0)
    ImageDraw.Draw(img).ellipse(box, fill=255)
    return np.asarray(img) > 127


def textured(size: int = 64, paper: float = 0.3, speck: float = 0.25) -> np.ndarray:
    """Light paper with one darker speck every 4 px: the paper's own level lies above its darkest pixels."""
    a = np.full((size, size), paper)
    a[::4, ::4] = speck
    return a


# ----------------------------------------------------------------------------- refusals: exact messages


def test_a_blank_page_stands_out_nowhere():
    t = trace(np.full((60, 60), 128, np.uint8))
    assert t.error == BLANK.format("no pixel stands out from the background")
    assert (t.path, t.box, t.output.any(), t.ink.any()) == ("photo", None, False, False)


def test_ink_between_three_and_four_noise_levels_stands_out_nowhere():
    """4/255 above noiseless paper (noise floor 0.004): above 3 x noise, not above the 4 x noise threshold."""
    a = np.zeros((60, 60), np.uint8)
    a[20:40, 28:31] = 4
    with pytest.raises(BlankImageError) as err:
        to_mnist(a)
    assert str(err.value) == BLANK.format("no pixel stands out from the background")
    a[20:40, 28:31] = 5  # 5/255 = 0.0196 > 0.016: found, then refused for its contrast
    with pytest.raises(BlankImageError, match=r"ink contrast 0\.020 \(need >= 0\.03"):
        to_mnist(a)


def test_a_blank_ruled_page_keeps_its_rulings_in_the_trace():
    page = np.full((120, 120), 255, np.uint8)
    page[6::12, :] = 120  # ruled lines, nothing written
    t = trace(page)
    assert t.error == BLANK.format("no pixel stands out from the background")
    assert t.inverted is True and t.rulings[6::12].all() and t.rulings.sum() >= 10 * 120


def test_smallest_blob_kept_in_a_small_image_is_two_pixels():
    """Under 67 px the 3 % floor is below 2 px, so the 2-px floor decides: 2 px are kept, 1 px is refused."""
    a = np.zeros((40, 40), np.uint8)
    a[20, 20] = 255
    assert trace(a).error == BLANK.format("largest ink blob is only 1 px in a 40x40 image")
    a[20:22, 20:22] = 255
    t = trace(a)
    assert t.error is None and t.box == (20, 20, 22, 22)


@pytest.mark.parametrize("box", [[26, 26, 38, 38], [44, 8, 56, 20]], ids=["centre", "top right"])
def test_contrast_is_measured_from_the_paper_level_not_from_zero(box):
    """Textured paper (0.3 with 0.25 specks) has ink strength 0.05 itself; a 0.5 disc on it stands 0.2 above
    the paper, not 0.25 (from zero) or 0.3 (adding the paper): too faint for a blob with no strokes.
    The disc is judged on its own box wherever it lies (its left edge is not its top edge)."""
    a = textured()
    a[disc(64, box)] = 0.5
    t = trace(a)
    assert t.inverted is False
    assert t.error == BLANK.format("a faint blob with no strokes (stroke width 41% of its size, contrast 0.200):"
                                   " a shadow or a stain")
    a[disc(64, box)] = 0.6  # 0.3 above the paper: contrasted enough
    assert trace(a).error is None


def test_threshold_lies_between_the_paper_level_and_the_strokes():
    """Strokes 0.7 above textured paper (0.2 strength) put the threshold 0.4 of the way up, at strength 0.48:
    a fainter bar at 0.56 is ink, so the mask holds both strokes."""
    a = textured(paper=0.3, speck=0.1)
    a[10:54, 20:24] = 1.0  # the stem, strength 0.9
    a[30:34, 24:44] = 0.66  # the bar, strength 0.56 (a threshold from zero + paper would be 0.64)
    t = trace(a)
    assert t.error is None and t.inverted is False
    assert t.ink[30:34, 24:44].all() and t.ink.sum() == 44 * 4 + 4 * 20
    assert t.box == (20, 10, 44, 54)


# ----------------------------------------------------------------------------- decoding


def test_a_six_times_reduction_reads_every_other_pixel_first():
    """2000 px need a 6x reduction: a draft read (even columns only, as Pillow's JPEG draft) then 3x.
    Lit odd columns vanish there; at 1900 px (5x, no draft) they average to grey."""
    a = np.zeros((2000, 100), np.uint8)
    a[:, 1::2] = 255
    t = trace(a)
    assert (t.scale, t.original.shape) == (6, (334, 17)) and not t.original.any()
    t = trace(a[:1900])
    assert (t.scale, t.original.shape) == (5, (380, 20)) and np.unique(t.original).tolist() == [102, 153]


def test_negative_alpha_counts_as_transparent():
    rgba = np.ones((100, 100, 4))
    rgba[..., 3] = 0.0
    rgba[30:70, 45:55, 3] = 1.0  # an opaque white bar on a transparent canvas: white ink on black
    clear = trace(rgba)
    rgba[..., 3] = np.where(rgba[..., 3] > 0, 1.0, -1.0)
    t = trace(rgba)
    assert t.error is None and np.array_equal(t.original, clear.original)
    assert np.unique(t.original).tolist() == [0, 255]


def specks(dashes: int) -> np.ndarray:
    """A 14x2 bar (28 px) with 2-px dashes 2 to 3 px around it: each dash pixel has one neighbour."""
    a = np.zeros((100, 100), np.uint8)
    a[40:54, 49:51] = 255
    for y, x in [(38, 44), (46, 44), (54, 44), (38, 53), (46, 53), (54, 53), (56, 49)][:dashes]:
        a[y, x : x + 2] = 255
    return a


def test_ink_of_line_ends_over_thirty_percent_is_a_cloud_of_specks():
    """6 dashes: 12 of 40 pixels are line ends, exactly the 30 % allowed; a 7th makes 14 of 42."""
    t = trace(specks(6))
    assert t.error is None and t.ink.sum() == 40
    assert trace(specks(7)).error == BLANK.format(
        "the ink is a cloud of specks (33% of its pixels isolated or line ends): paper texture or noise")


# ----------------------------------------------------------------------------- grey path


def test_grey_path_keeps_pixels_at_exactly_a_tenth_of_the_peak():
    """Peak 0.625 and a pixel at 0.0625 (exactly 0.1 of it): kept, so the box reaches it."""
    a = np.zeros((16, 16))
    a[3:13, 7:9] = 0.625
    a[14, 14] = 0.0625
    t = trace(a)
    assert (t.path, t.error, t.box) == ("grey", None, (7, 3, 15, 15))
    a[14, 14] = 0.0624  # under a tenth: dropped
    assert trace(a).box == (7, 3, 9, 13)


# ----------------------------------------------------------------------------- fast path


def test_small_digit_in_a_28x28_frame_is_reframed():
    """A 10-px digit in a 28x28 image is not in MNIST form (longer side under 18): redrawn at 20 px."""
    a = np.zeros((28, 28), np.uint8)
    a[4:14, 4:7] = 255  # a 10-px "1" in the corner
    t = trace(a)
    assert t.path == "photo" and t.error is None and t.box == (4, 4, 7, 14)
    rows = np.flatnonzero((t.output > 25).any(1))
    assert rows[-1] - rows[0] + 1 == 20


@pytest.mark.parametrize("side", ["bottom", "left"])
def test_a_large_28x28_digit_touching_one_side_is_reframed(side):
    """A 24-px bar (EMNIST-sized, not MNIST-centred) is kept as it is only when it leaves a 1-px rim empty."""
    a = np.zeros((28, 28), np.uint8)
    if side == "bottom":
        a[4:28, 13:16] = 255
    else:
        a[2:26, 0:3] = 255
    assert trace(a).path == "photo"


def test_thin_strokes_of_a_40_px_digit_are_thickened_by_one_pixel():
    """1-px strokes over 41 px would come out 0.5 px wide, at half intensity (none above 190); a 3x3
    dilation (r = 1) first makes them full strokes."""
    img = Image.new("L", (100, 100), 0)
    d = ImageDraw.Draw(img)
    d.line([(30, 30), (70, 30)], fill=255, width=1)
    d.line([(70, 30), (45, 70)], fill=255, width=1)
    out = to_mnist(np.asarray(img))
    assert out.max() == 255 and (out > 127).sum() > 40
    assert stroke_width(out / 255.0) == pytest.approx(2.0, abs=0.3)


# ----------------------------------------------------------------------------- paper level and polarity


def plane(h: int = 50, w: int = 80) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return (0.2 + 0.3 * xx / (w - 1) + 0.1 * yy / (h - 1)).astype(np.float32)


def test_border_surface_of_a_lit_plane_is_the_plane():
    p = plane()
    assert np.abs(_border_surface(p) - p).max() < 1e-5


def test_border_surface_leaves_out_ink_touching_the_border():
    """Paper +-0.01 (robust noise 0.0158: outliers lie beyond 2.5 x that, 0.040) with a stroke 0.047 above
    the paper on a fifth of the top edge: left out, the plane is found within 0.002 (kept in, off by 0.006)."""
    p = plane()
    yy, xx = np.mgrid[0:50, 0:80]
    noisy = p + np.where((xx + yy) % 2 == 0, 0.01, -0.01).astype(np.float32)
    noisy[0, :16] = p[0, :16] + 0.047
    assert np.abs(_border_surface(noisy) - p).max() < 0.002


def test_border_surface_stays_within_the_paper_it_saw():
    """Ink over the brightest corner: the plane is clipped to the kept border's range, not extrapolated
    under the ink to the corner's 0.6."""
    p = plane()
    q = p.copy()
    q[-8:, -8:] = 0.0
    brightest_paper = max(p[-2:, :72].max(), p[:42, -2:].max())  # border pixels outside the ink
    assert _border_surface(q).max() == pytest.approx(brightest_paper, abs=1e-5)


def test_border_surface_of_a_border_mostly_ink_is_flat():
    """Scribbles along the whole left and top edges: too little smooth paper to fit a plane, one level instead."""
    p = plane()
    rng = np.random.default_rng(1)
    p[:, :6] = rng.uniform(0, 1, (50, 6))
    p[:6, :] = rng.uniform(0, 1, (6, 80))
    s = _border_surface(p)
    assert np.unique(s).size == 1 and 0.4 < s[0, 0] < 0.6


def test_stroke_polarity_on_a_256_px_image_looks_at_its_thumbnail():
    """An 8-px dark stroke: too wide for a 5-px top-hat at full size, 4 px wide on the 128-px thumbnail."""
    lum = np.full((256, 256), 0.6, np.float32)
    lum[40:220, 124:132] = 0.3
    assert _stroke_polarity(lum) is True
    assert _stroke_polarity(1.0 - lum) is False


def test_stroke_polarity_is_unclear_for_faint_or_mixed_strokes():
    mixed = np.full((100, 100), 0.5, np.float32)
    mixed[20:80, 30:32] = 0.2  # dark and light strokes, equally strong
    mixed[20:80, 60:62] = 0.8
    assert _stroke_polarity(mixed) is None
    faint = np.full((100, 100), 0.5, np.float32)
    faint[20:80, 30:32] = 0.47  # only dark strokes, but under 0.05
    assert _stroke_polarity(faint) is None
    faint[20:80, 30:32] = 0.4
    assert _stroke_polarity(faint) is True


# ----------------------------------------------------------------------------- paper colour and ink strength


@pytest.mark.parametrize("tall", [True, False], ids=["300x3", "3x300"])
def test_paper_colour_of_an_image_narrower_than_its_thumbnail_pixel(tall):
    """3 columns (0.2, 0.5, 0.8) shrink to one thumbnail column, their mean: the paper is 0.5 everywhere.
    The same for 3 rows."""
    x = np.zeros((300, 3, 1), np.float32)
    x[:, 0], x[:, 1], x[:, 2] = 0.2, 0.5, 0.8
    x = x if tall else x.transpose(1, 0, 2)
    p = _paper_colour(x, 0.25)
    assert p.shape == x.shape and np.allclose(p, 0.5, atol=1e-6)


def test_paper_colour_under_ink_darker_in_one_channel_is_the_papers():
    """Red ink on grey paper, inverted (ink-bright): the ink is brighter in green and blue, darker in red.
    Each channel is smoothed from its own side, so under the stroke every channel keeps the paper's value."""
    paper = 1 - 150 / 255
    x = np.full((64, 64, 3), paper, np.float32)
    x[10:54, 30:34] = 1 - np.array([200, 0, 0]) / 255
    p = _paper_colour(x, 0.25)
    assert np.allclose(p, paper, atol=1e-5)


def test_ink_strength_of_a_digit_inside_a_larger_frame_uses_the_local_paper():
    """A stroke low and left in the frame (its box 70 % tall, 30 % wide): the local estimate alone,
    however close its bottom edge lies to the frame's right side in pixel numbers."""
    yy, xx = np.mgrid[0:100, 0:100]
    x = (0.1 + 0.3 * xx / 99 + 0.2 * yy / 99).astype(np.float32)[..., None]  # uneven light
    x[25:95, 5:35, 0] += 0.5
    local = _strength(x, _paper_colour(x, 0.25))
    assert np.array_equal(_ink_strength(x), local)


def test_colour_distance_counts_only_for_ink_told_apart_by_colour():
    """Known answers (ink-bright images, as the strength is measured): a red stroke on grey paper of the same
    luminance is found by its colour alone; a grey pencil stroke over blue ruling lines is found by
    luminance, and without the colour distance the lines are half as strong as the stroke (with it they were
    nearly as strong, and a squared page's grid was read as ink).  The paper is one colour or a thumbnail."""
    red = np.full((64, 64, 3), 0.6, np.float32)
    red[8:56, 30:34] = (0.90, 0.48, 0.45)
    x = 1.0 - red
    for paper in (np.full(3, 0.4, np.float32), np.full((16, 16, 3), 0.4, np.float32)):
        s, colour = _near_strength(x, paper)
        assert colour and np.allclose(s, _strength(x, np.full_like(x, 0.4)))
        assert _strength(x, np.full_like(x, 0.4), colour=False)[20, 31] < 0.01 < 0.3 < s[20, 31]

    page = np.full((96, 96, 3), 0.96, np.float32)
    page[4::12] = (0.55, 0.68, 0.85)  # ruling lines, one pixel, every 12 rows
    page[10:86, 44:48] = 0.35  # the pencil stroke
    x = 1.0 - page
    for paper in (np.full(3, 0.04, np.float32), np.full((24, 24, 3), 0.04, np.float32)):
        s, colour = _near_strength(x, paper)
        assert not colour and np.allclose(s, _strength(x, np.full_like(x, 0.04), colour=False), atol=1e-6)
        assert s[16:80:12, 10].mean() < 0.6 * s[20:80, 45].mean()
    with_colour = _strength(x, np.full_like(x, 0.04))
    assert with_colour[16:80:12, 10].mean() > 0.85 * with_colour[20:80, 45].mean()
    assert np.allclose(_ink_strength(x), _strength(x, _paper_colour(x, 0.25), False), atol=1e-6)
    grey = x[..., :1]  # a grey image has no colour to count
    assert _near_strength(grey, np.full(1, 0.04, np.float32))[1] is False


def test_only_thick_ink_filling_the_frame_is_a_tight_crop():
    """The wide paper estimate is for thick strokes filling the frame: ink spanning 80 % of the frame
    AND covering 12 % of its pixels.  A shadow's edge or a line across a photo spans the frame with a few
    per cent of the pixels (the wide estimate took the shadow's dark side for ink there)."""
    from handdigits.preprocess.ink import _tight_crop

    edge = np.zeros((100, 120), bool)
    edge[:, 60:66] = True  # spans the height, 5 % of the pixels
    assert not _tight_crop(edge)
    ring = np.zeros((100, 120), bool)
    ring[5:95, 10:110] = True
    ring[25:75, 35:85] = False  # a marker "0": spans the frame, 47 % of the pixels
    assert _tight_crop(ring)
    small = np.zeros((100, 120), bool)
    small[30:70, 40:80] = True  # thick, but inside the frame (40 % of its height)
    assert not _tight_crop(small)
    share = np.zeros((100, 100), bool)
    share[:, :12] = True  # exactly 12 % of the pixels, spanning the height: the boundary is included
    assert _tight_crop(share)
    share[0, :12] = False
    assert not _tight_crop(share)
    wide = np.zeros((100, 100), bool)
    wide[40:60, 5:95] = True  # spans 90 % of the width only, 18 % of the pixels
    assert _tight_crop(wide)
    assert not _tight_crop(np.zeros((50, 50), bool))


def test_paper_of_a_border_half_ink_is_its_fainter_class():
    """A tight crop's strokes cut by the frame: half the border is ink (strength 0.9), half paper (0.05);
    the median (0.48) and the spread of the step are neither's.  A border under _MIXED, or a noisy one
    with no two classes, keeps both."""
    from handdigits.preprocess.ink import _MIXED, _paper_side, _spread

    rng = np.random.default_rng(0)
    paper = rng.normal(0.05, 0.01, 500)
    mixed = np.concatenate([paper, rng.normal(0.9, 0.02, 520)])
    assert _spread(mixed) >= _MIXED
    level, spread = _paper_side(mixed)
    assert level == pytest.approx(0.05, abs=0.003)
    assert spread == pytest.approx(0.01, abs=0.002)
    for noisy in (rng.normal(0.3, 0.5 * _MIXED, 2000),  # noisy paper, its spread under _MIXED
                  rng.uniform(0.0, 0.5, 2000)):  # spread over _MIXED, but no two classes: noise, not ink
        assert _paper_side(noisy) == (float(np.median(noisy)), _spread(noisy))
    assert _spread(noisy) >= _MIXED


def test_otsu_threshold_separates_two_levels():
    rng = np.random.default_rng(0)
    v = np.concatenate([rng.normal(0.2, 0.02, 700), rng.normal(0.7, 0.02, 300)]).astype(np.float32)
    t = _otsu(v)
    assert 0.3 < t < 0.6
    assert ((v > t) == (np.arange(v.size) >= 700)).all()
    assert 0.0 <= _otsu(np.array([0.0, 0.0, 0.0, 1.0])) < 1.0  # the lone top value is the upper class


def _solid_six(paper=0.1, ink=0.8, size=60):
    """A marker "6" in a tight crop (ink-bright): its loop filled, 48 px wide in a 60-px frame."""
    yy, xx = np.mgrid[0:size, 0:size]
    blob = (yy - 34) ** 2 + (xx - 30) ** 2 < 24**2
    blob |= (xx > 6) & (xx < 20) & (yy < 34)  # the stem up to the top edge
    return np.where(blob, ink, paper).astype(np.float32)[..., None], blob


def test_flat_paper_of_a_two_level_crop_and_none_for_uneven_paper():
    x, blob = _solid_six()
    x = x + np.random.default_rng(1).normal(0, 0.01, x.shape).astype(np.float32)
    paper = _flat_paper(x)
    assert paper is not None and paper.shape == (1,) and abs(float(paper[0]) - 0.1) < 0.01
    yy, xx = np.mgrid[0:60, 0:60]
    shaded = x + (0.15 * xx / 59).astype(np.float32)[..., None] * ~blob[..., None]  # paper 0.1 .. 0.25
    assert _flat_paper(shaded) is None  # spread 0.05 of a 0.7 step, over the 0.08 limit
    assert _flat_paper(np.full((30, 30, 1), 0.4, np.float32)) is None  # one level: nothing to split


def test_thick_ink_wider_than_any_opening_keeps_its_strength():
    """The filled loop of a marker "6" spans 80 % of its tight crop: no opening finds paper under it,
    so a crop on one paper colour measures ink from that colour, and the loop stays ink."""
    x, blob = _solid_six()
    s = _ink_strength(x)
    assert s[blob].min() > 0.65 and s[~blob].max() < 0.05
    assert s[34, 30] == pytest.approx(0.7, abs=1e-5)  # the loop's centre


# ----------------------------------------------------------------------------- ruled paper


def test_ruling_on_the_last_row_is_found():
    """A 160-px-wide page ruled every 12 rows and along its bottom edge: the last line is found too."""
    m = np.zeros((60, 160), bool)
    m[5::12, :] = True
    m[-1, :] = True
    lines = find_rulings(m)
    assert lines[-1].all() and lines[5::12].all() and lines.sum() == 6 * 160


def test_two_pixel_rulings_on_a_short_page_are_lines():
    """2-px lines in a 60-px-tall page make bands 4 bins wide, the widest a printed line may be."""
    m = np.zeros((60, 80), bool)
    m[5::12, :] = True
    m[6::12, :] = True
    m[10:50, 40] = True  # a "1"
    lines = find_rulings(m)
    assert lines[5::12].sum() + lines[6::12].sum() >= 2 * 5 * 80 - 2 * 5
    assert not lines[10:50, 40].all()


def test_a_dash_two_rows_under_a_ruling_is_not_erased():
    m = np.zeros((60, 80), bool)
    m[5::12, :] = True
    m[19, 20:35] = True  # 15 px, 2 rows under the line at row 17
    lines = find_rulings(m)
    assert lines[5::12].all() and not lines[19].any()


def test_periodic_rulings_shorter_than_the_digit_are_lines():
    """Ruled lines (every 12 rows) that stop inside a wide "0": found by their period, though they do not
    run past the digit."""
    img = Image.new("1", (80, 60), 0)
    ImageDraw.Draw(img).ellipse([5, 4, 75, 56], outline=1)
    m = np.asarray(img).copy()
    m[6::12, 12:68] = True
    lines = find_rulings(m)
    assert lines[6::12, 12:68].sum() >= 5 * 56 - 10
    assert lines.sum() == 324


def test_three_periodic_rulings_are_enough():
    """Three short lines 12 rows apart inside a wide "0": the fewest that make a period."""
    img = Image.new("1", (80, 60), 0)
    ImageDraw.Draw(img).ellipse([5, 4, 75, 56], outline=1)
    m = np.asarray(img).copy()
    m[18:43:12, 12:68] = True
    assert find_rulings(m)[18:43:12, 12:68].all()


def test_a_ruling_is_erased_with_its_faint_echo():
    """A second, partial print of a line 2 rows above it (a third of the width: above 0.3 of the line's
    count, below the 0.35 cover) widens the line's band by one bin; the band stays narrow, so both go."""
    m = np.zeros((60, 80), bool)
    m[5::12, :] = True
    m[27, ::3] = True  # 27 px above the line at row 29
    lines = find_rulings(m)
    assert lines[5::12].all() and lines[27].sum() == 27


@pytest.mark.parametrize(("length", "erased"), [(3, True), (4, False)])
def test_a_stroke_crossing_a_line_is_kept_when_longer_than_twice_the_line_plus_one(length, erased):
    """1-px lines: a crossing stroke's run up to 2 x 1 + 1 = 3 px passes for the line, 4 px is a stroke."""
    m = np.zeros((60, 80), bool)
    m[5::12, :] = True
    m[16 : 16 + length, 40] = True  # crosses the line at row 17
    lines = find_rulings(m)
    assert lines[17, 40] == erased and lines[5::12].sum() == 5 * 80 - (not erased)


def test_find_rulings_without_lines_is_an_empty_mask_of_the_same_shape():
    found = find_rulings(np.zeros((60, 80), bool))
    assert found.shape == (60, 80) and found.dtype == bool and not found.any()


# ----------------------------------------------------------------------------- trace figure


def test_figure_of_an_image_narrower_than_a_pixel_at_panel_height():
    """300x2 shrinks to under one pixel wide at 28 px tall: its panels are 1 px wide, not 2."""
    a = np.zeros((300, 2), np.uint8)
    a[100:200, :] = 255
    t = trace(a)
    assert t.error is None and t.figure(1).size == (1 + 1 + 28 + 2 * 2, 28)


def test_figure_panels_are_separated_by_grey_gaps():
    a = np.zeros((100, 100), np.uint8)
    a[30:70, 48:52] = 255
    fig = trace(a).figure(2)  # panels 56 px wide, gaps of 2
    assert [fig.getpixel((x, 0)) for x in (56, 57, 114, 115)] == [(128, 128, 128)] * 4


# ----------------------------------------------------------------------------- trace fields and batch messages


def test_grey_path_refusal_trace_fields():
    faint = np.zeros((16, 16))
    faint[4:12, 7:9] = 0.05
    t = trace(faint)
    assert t.error == BLANK.format("ink contrast 0.050 in a 16x16 image")
    assert (t.path, t.scale, t.box, t.inverted) == ("grey", 1, None, False)
    assert t.ink.shape == t.rulings.shape == (16, 16) and not t.ink.any() and not t.output.any()


def test_a_batch_of_one_fails_with_the_bare_message():
    with pytest.raises(BlankImageError) as err:
        to_mnist_batch(np.zeros((40, 40), np.uint8))
    assert str(err.value) == BLANK.format("no pixel stands out from the background")


def test_magenta_28x28_digit_is_not_grey():
    """An MNIST-form digit in magenta (red = blue, no green) is a colour picture: not kept as it is."""
    out = to_mnist(seven())
    magenta = np.stack([out, np.zeros_like(out), out], axis=2)
    t = trace(magenta)
    assert t.path == "photo" and t.error is None and t.original.shape == (28, 28, 3)
    assert trace(np.stack([out, out, out], axis=2)).path == "fast"


def test_fast_path_inverted_flag_agrees_with_the_inversion():
    """Grey paper (0.92 to 1.0) with two short dark strokes: in MNIST form once inverted.  Its brightest
    pixels lie above the 99th percentile, which decides the inversion, so reading the maximum instead
    would report the image as not inverted although its output is."""
    rng = np.random.default_rng(0)
    flat = np.full(784, 0.96)
    idx = rng.permutation(784)
    flat[idx[:100]], flat[idx[100:171]], flat[idx[171:178]] = 0.92, 0.97, 1.0
    a = flat.reshape(28, 28)
    a[5:8, 14] = a[21:24, 14] = 0.0
    t = trace(a)
    assert (t.path, t.inverted, t.error) == ("fast", True, None)
    assert np.array_equal(t.output, np.rint((1.0 - a) * 255).astype(np.uint8))


def test_reframe_keeps_full_ink_and_the_exact_box():
    from handdigits.preprocess import reframe

    img = np.zeros((1, 28, 28), np.uint8)
    img[0, 10:16, 2:26] = 255  # a bar 6 x 24: longer side to 20 px, height to 5
    out = reframe(img)[0]
    # full ink stays 255 (not 254: the crop is divided by 255) and the crop ends at the ink (no dark column
    # squeezed in): exactly the 5 x 20 interior is full
    assert (out == 255).sum() == 100
    assert out[13, 3:27].tolist() == [0, 0] + [255] * 20 + [0, 0]


def test_reframe_clips_a_left_heavy_wide_digit_inside_the_frame():
    from handdigits.preprocess import reframe

    img = np.zeros((1, 28, 28), np.uint8)
    img[0, 4:15, 2:6] = 255  # a thick upright stroke on the left ...
    img[0, 14, 2:26] = 40  # ... and a faint foot to the right: the box is wide, its mass on the left
    out = reframe(img)[0]
    cols = np.nonzero(out.max(axis=0) > 12)[0]
    # centring the mass would start the box at column 11 and cut its right end off: it is clipped to end at 27
    assert cols.min() == 8 and cols.max() == 27


@pytest.mark.parametrize("cols, joins", [
    ((85, 116), True),    # above the digit, within its columns
    ((105, 136), True),   # half of its width within them
    ((110, 141), False),  # less than half
    ((130, 161), False),  # beside them
    ((65, 135), False),   # over half within them, but wider than the digit is tall (70 > 61)
])
def test_parts_drawn_apart_join_the_digit_only_in_line_with_it(cols, joins):
    """``_keep_components``: a neighbour joins the largest blob within a quarter of its size; with ``far``,
    also further away when it lies above or below it with half its width within the digit's columns, has
    10 % of the largest blob's pixels and is no larger than the digit (a 5's top bar drawn apart)."""
    from handdigits.preprocess.components import _keep_components

    m = np.zeros((200, 200), bool)
    m[80:141, 80:121] = True
    m[82:139, 82:119] = False  # the body: a ring 61 x 41 (size 61), 2 px thick
    body = int(m.sum())
    m[57:59, cols[0]:cols[1]] = True  # a bar 22 rows above it: 0.36 of its size
    bar = int(m.sum()) - body
    assert _keep_components(m)[0].sum() == body  # a quarter of the size: too far
    kept, extent = _keep_components(m, 0.6)
    assert kept.sum() == (body + bar if joins else body)
    assert extent == 61  # the largest blob's own, as the blank tests take it
    assert _keep_components(m, 0.3)[0].sum() == body  # beyond ``far`` x the size


def test_a_speck_drawn_apart_does_not_join_the_digit():
    from handdigits.preprocess.components import _keep_components

    m = np.zeros((200, 200), bool)
    m[80:141, 80:121] = True
    m[82:139, 82:119] = False
    body = int(m.sum())
    m[57:60, 95:105] = True  # 30 px above it: 8 % of the body's pixels (over the 5 % near parts need)
    assert 0.05 * body < 30 < 0.1 * body
    assert _keep_components(m, 0.6)[0].sum() == body
    m[57:60, 95:110] = True  # 45 px: 11 %
    assert _keep_components(m, 0.6)[0].sum() == body + 45

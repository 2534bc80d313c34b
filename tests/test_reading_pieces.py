"""Known-answer tests of the pure reading steps (no model): components, the line, ink, fragments, candidates,
run costs and the result objects.  Each input is built so that a plausible mistake in a step (a flipped
comparison, a constant off, a wrong axis) gives a visibly different answer; also the mutation tests'
suite for ``handdigits.reading`` (``make mutation MUTATION_MODULES=reading``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from handdigits.preprocess import BlankImageError, _framed_ink
from handdigits.reading import cuts, decode, ink, line, result, segment


def _page(h=80, w=200, value=255):
    return np.full((h, w), value, np.uint8)


def _bars(page, spans, y0, y1, value=0):
    """Dark vertical bars (x0, x1) from row y0 to y1 on a white page (a line of "1"s)."""
    for x0, x1 in spans:
        page[y0:y1, x0:x1] = value
    return page


# --------------------------------------------------------------------------- line.py


def test_components_known_answer():
    """8-connected (a diagonal touch joins), numbered by first pixel in row-major order."""
    m = np.zeros((5, 7), bool)
    m[0, 4] = m[1, 5] = True  # diagonal pair: one component, first pixel (0, 4)
    m[1, 0:2] = True  # second component starts at (1, 0)
    m[4, 6] = True
    labels, n = line.components(m)
    assert n == 3
    assert labels[0, 4] == labels[1, 5] == 0
    assert labels[1, 0] == labels[1, 1] == 1
    assert labels[4, 6] == 2
    assert (labels[~m] == -1).all() and labels.dtype == np.int32


def test_components_runs_that_only_touch_at_a_corner_join():
    m = np.zeros((2, 6), bool)
    m[0, 0:2] = True
    m[1, 2:4] = True  # touches (0, 1) diagonally
    m[1, 5] = True  # one column away from (1, 3): separate
    labels, n = line.components(m)
    assert n == 2 and labels[0, 0] == labels[1, 3] != labels[1, 5]


def test_boxes_known_answer():
    m = np.zeros((6, 8), bool)
    m[1:4, 2:5] = True
    m[5, 7] = True
    c = line._boxes(*line.components(m))
    assert c.area.tolist() == [9, 1]
    assert (c.x0.tolist(), c.y0.tolist(), c.x1.tolist(), c.y1.tolist()) == ([2, 7], [1, 5], [5, 8], [4, 6])
    assert c.hts.tolist() == [3, 1] and c.wds.tolist() == [3, 1]
    assert sorted(zip(c.yy[c.lab == 1].tolist(), c.xx[c.lab == 1].tolist())) == [(5, 7)]


def test_not_writing_finds_blobs_and_edges_but_keeps_strokes():
    h, w = 100, 100
    m = np.zeros((h, w), bool)
    m[0:40, 0:30] = True  # a filled blob at the border (a shadow's edge): 12 % of the image
    m[50:90, 98:100] = True  # a two-pixel line at the right edge
    m[40:80, 50:53] = True  # a stroke inside
    m[96:100, 40:44] = True  # a small filled square at the bottom edge (area 16 < 0.2 %), 4 rows tall
    c = line._boxes(*line.components(m))
    blob = line._not_writing(c, h, w)
    by_pixel = {(y, x): bool(blob[line.components(m)[0][y, x]]) for y, x in ((5, 5), (60, 99), (60, 51), (97, 42))}
    assert by_pixel == {(5, 5): True, (60, 99): True, (60, 51): False, (97, 42): False}


def test_not_writing_large_sparse_frame_and_thin_rows():
    h, w = 60, 60
    m = np.zeros((h, w), bool)
    m[5:55, 5] = m[5:55, 54] = m[5, 5:55] = m[54, 5:55] = True  # a frame over most of the image, fill ~ 0.08
    m[0:2, 20:30] = True  # two rows at the top edge: an edge line
    c = line._boxes(*line.components(m))
    labels = line.components(m)[0]
    blob = line._not_writing(c, h, w)
    assert not blob[labels[5, 5]]  # sparse (fill <= 0.1): could be writing
    assert blob[labels[0, 25]]
    m2 = m.copy()
    m2[5:55, 5:8] = True  # thicker frame: fill > 0.1 and over half the image
    c2 = line._boxes(*line.components(m2))
    assert line._not_writing(c2, h, w)[line.components(m2)[0][5, 5]]


def _line_of(mask):
    c = line._boxes(*line.components(mask))
    return c, line._line(c, 1, mask.shape)


def test_line_height_is_the_median_of_tall_components():
    m = np.zeros((160, 240), bool)
    for x0, h in ((10, 30), (40, 34), (70, 40), (100, 36)):
        m[120 - h : 120, x0 : x0 + 6] = True  # bottoms aligned at row 120
    m[115:118, 130:133] = True  # a speck, 3 px tall (< 0.2 H) and small
    m[122:124, 120:200] = True  # an underline: thin (< 0.25 H) and long (> 1.5 H)
    m[2:10, 220:226] = True  # ink far above the line
    c, (ids, H, yc) = _line_of(m)
    assert H == 35.0  # median of 30, 34, 36, 40
    assert yc == pytest.approx(np.median([105, 103, 100, 102]))
    labels = c.labels
    kept = {int(labels[y, x]) for y, x in ((119, 12), (119, 42), (119, 72), (119, 102))}
    assert kept <= set(ids.tolist()) and len(ids) == 4
    assert labels[116, 131] not in ids and labels[123, 160] not in ids and labels[5, 222] not in ids


def test_line_keeps_a_short_but_heavy_component_and_small_strokes_near_the_line():
    m = np.zeros((100, 200), bool)
    for x0 in (10, 40, 70):
        m[20:60, x0 : x0 + 6] = True  # H = 40, area 240 each
    m[50:56, 120:140] = True  # 6 px tall (< 0.2 H) but area 120 >= 0.05 x 240
    m[48:57, 160:162] = True  # 9 px tall (>= 0.2 H = 8): kept by its height
    c, (ids, H, _) = _line_of(m)
    assert H == 40.0
    assert c.labels[52, 130] in ids and c.labels[50, 161] in ids


def test_line_raises_when_only_shadows_or_tiny_ink():
    m = np.zeros((50, 50), bool)
    m[:, :30] = True  # one blob over 60 % of the image
    with pytest.raises(BlankImageError, match="only shadows and edges"):
        _line_of(m)
    m = np.zeros((400, 400), bool)
    m[200:203, 100:102] = True  # 3 px tall in a 400 px image
    with pytest.raises(BlankImageError, match=r"largest ink blob is only 3 px tall in a 400x400 image"):
        _line_of(m)


def test_blank_error_message():
    err = line._blank("a reason")
    assert isinstance(err, BlankImageError)
    assert str(err) == "no ink found in image (blank or near-blank: a reason)"


# --------------------------------------------------------------------------- ink.py


def test_working_reduces_by_an_integer_factor_and_keeps_grey():
    a = np.full((100, 1300), 200, np.uint8)
    x, f = ink._working(a)
    assert f == 3 and x.shape == (34, 434, 1)
    assert float(x.max()) <= 1.0
    small, f1 = ink._working(np.full((50, 640), 7, np.uint8))
    assert f1 == 1 and small.shape == (50, 640, 1)


def test_working_keeps_colour_and_composites_alpha_over_paper():
    rgb = np.zeros((20, 30, 3), np.uint8)
    rgb[..., 0] = 255
    x, _ = ink._working(rgb)
    assert x.shape == (20, 30, 3)
    rgba = np.zeros((20, 30, 4), np.uint8)
    rgba[5:10, 5:10, 3] = 255  # opaque black ink on a transparent (black, alpha 0) canvas
    x, _ = ink._working(rgba)
    assert x.shape[:2] == (20, 30)
    lum = x.mean(-1)
    assert lum[0, 0] > 0.9  # transparent: paper, white (the opaque part is dark)
    assert lum[7, 7] < 0.1


def _digits_page():
    """Three bars 60 px tall on a 200-px page (taller bars over 35 % of the height would pass for a grid)."""
    page = _page(200, 320)
    return _bars(page, ((60, 66), (140, 146), (220, 226)), 70, 130)


def test_ink_finds_dark_strokes_on_white_and_light_on_black():
    page = _digits_page()
    for img in (page, 255 - page):
        v, fg, f = ink._ink(img)
        assert f == 1 and fg.shape == (200, 320)
        assert fg[80:120, 61:65].all() and fg[80:120, 141:145].all()
        assert not fg[:60].any() and not fg[140:].any() and not fg[:, 80:130].any()
        assert v[100, 62] == pytest.approx(1.0) and v[5, 5] == 0.0


def test_ink_errors_for_tiny_and_blank_images():
    with pytest.raises(BlankImageError, match=r"a 20x20 image is too small to hold a number"):
        ink._ink(_page(20, 20))
    with pytest.raises(BlankImageError, match="no ink found"):
        ink._ink(_page(100, 100))
    faint = _bars(_page(120, 320, 200), ((60, 66),), 30, 90, value=198)  # 2 grey levels of contrast
    with pytest.raises(BlankImageError, match="no ink found"):
        ink._ink(faint)


def test_paper_level_median_and_robust_noise():
    s = np.array([0.1, 0.1, 0.1, 0.2, 0.9])
    med, sd = ink._paper_level(s)
    assert med == pytest.approx(0.1) and sd == 0.004  # MAD 0: the floor
    s = np.array([0.0, 0.1, 0.2, 0.3, 0.4])
    med, sd = ink._paper_level(s)
    assert med == pytest.approx(0.2) and sd == pytest.approx(1.4826 * 0.1)


def test_colour_spread_is_the_largest_channel_difference():
    x = np.zeros((2, 2, 3), np.float32)
    x[1, 0] = (0.2, 0.5, 0.3)  # the widest pair is red and green: 0.3
    x[0, 1] = (0.4, 0.4, 0.6)
    assert ink._colour_spread(x) == pytest.approx(0.3)
    assert ink._colour_spread(np.full((3, 3, 3), 0.7, np.float32)) == 0.0


def test_paper_level_of_a_large_image_from_a_regular_sample():
    """120,000 values rising row by row: a regular sample (every 3rd) has the same median and spread; the
    first 40,000 values alone (the top of the page) would give 1/6."""
    s = (np.arange(120_000, dtype=np.float32) / 120_000).reshape(300, 400)
    med, sd = ink._paper_level(s)
    assert med == pytest.approx(0.5, abs=1e-3)
    assert sd == pytest.approx(1.4826 * 0.25, abs=1e-3)


def _long_lines(mask):
    """Every ruling and grid line pixel :func:`ink._lines_by_axis` finds, both directions."""
    across, down = ink._lines_by_axis(mask)
    return across | down


def test_long_lines_vertical_grid_needs_three_lines():
    m = np.zeros((200, 200), bool)
    m[:, 40] = m[:, 100] = m[:, 160] = True
    assert _long_lines(m)[:, 100].all()
    one = np.zeros((200, 200), bool)
    one[:, 100:103] = True  # a single tall stroke (the stem of a 1) is not a grid
    assert not _long_lines(one).any()


def test_long_lines_three_tall_strokes_are_no_grid():
    """Three 6-px strokes over 40 % of the height (the stems of "111" in a tight photo) stay: a grid line
    must cover 70 % of the height, and two neighbouring bins of a thick stroke cover it only once (counting
    pixels, the pair of bins counted each row twice: 80 %, and the strokes were erased as a grid)."""
    m = np.zeros((100, 200), bool)
    for x0 in (40, 100, 160):
        m[30:70, x0 : x0 + 6] = True
    assert not _long_lines(m).any()
    m[:, 20] = m[:, 80] = m[:, 140] = True  # a real grid over the whole height is still found
    found = _long_lines(m)
    assert found[:, 20].all() and found[:, 140].all() and not found[30:70, 42:44].any()


def test_long_lines_ignores_short_horizontal_strokes():
    m = np.zeros((100, 200), bool)
    m[50, 10:80] = True  # 35 % of the width: a stroke, not a ruling
    assert not _long_lines(m).any()
    m[50, 10:190] = True
    assert _long_lines(m)[50, 10:190].all()


def test_long_lines_a_lone_line_runs_across_most_of_the_image():
    """One horizontal band alone needs 75 % of the width (a 7's or 9's top bar in a small image spans half);
    with a second line, half is enough."""
    m = np.zeros((70, 80), bool)
    m[10:12, 20:68] = True  # 60 % of the width: a top bar
    assert not _long_lines(m).any()
    m[10:12, 5:75] = True  # 87 %: a printed line
    assert _long_lines(m)[10, 5:75].all()
    m[10:12, :] = False
    m[10:12, 20:68] = m[40:42, 2:78] = True  # 60 % beside a line across the page: both lines
    found = _long_lines(m)
    assert found[10, 20:68].all() and found[40, 2:78].all()


def test_long_lines_on_the_period_of_a_grid_need_half_the_cover():
    """Grid lines every 20 px; a column of thick digits (stroke runs wider than a line) hides 45 % of the
    line at x = 100, which then covers under the 70 % a vertical line needs, but lies on the grid's period."""
    m = np.zeros((200, 200), bool)
    m[:, 20::20] = True
    m[40:130, 92:109] = True  # a digit's thick stroke over the line
    found = _long_lines(m)
    assert found[140:200, 100].all() and found[0:30, 100].all()
    assert not found[40:130, 95].any()  # the stroke itself stays
    m[:, 20::20] = False
    m[:, 20:200:40] = True  # without the line at x = 100 nothing is added off the period
    m[:, 110] = True
    m[60:200, 110] = False  # a short vertical stroke between two grid lines (30 % of the height)
    assert not _long_lines(m)[:, 110].any()


def test_long_lines_also_remove_a_second_masks_pixels_in_the_lines_found():
    """Grid lines every 20 px in a faint mask, where a blob of paper noise merges the line at x = 100 over
    rows 0-49 into runs 21 px wide: too wide to be removed there.  ``also`` (the stricter mask, where the
    line is 1 px wide) has that part removed, measured in its own runs, and nothing off the lines."""
    faint = np.zeros((200, 200), bool)
    faint[:, 20::20] = True
    faint[0:50, 90:111] = True
    strict = np.zeros_like(faint)
    strict[:, 20::20] = True
    strict[10:30, 50:53] = True  # a short stroke between lines: in no band
    across, down = ink._lines_by_axis(faint)
    assert down[60:, 100].all() and not down[0:50, 100].any()
    across, down = ink._lines_by_axis(faint, also=strict)
    assert down[:, 100].all() and down[:, 20::20].all()
    assert not down[0:50, 95].any() and not down[10:30, 50:53].any() and not across.any()


def test_removed_horizontal_line_is_not_bridged_along_itself():
    """Two strokes 4 px apart across a ruled line: the line's pixels between them have ink left and right,
    but a horizontal line is reconnected only across it (ink above and below), so the strokes stay apart."""
    x = np.zeros((200, 300, 1), np.float32)
    x[20::25, :] = 0.3  # printed lines, fainter than the pen
    x[60:130, 100:104] = x[60:130, 108:112] = 0.9  # two strokes crossing the line at row 95 and 120
    x += np.random.default_rng(0).normal(0, 0.01, x.shape).astype(np.float32)
    v, fg, f = ink._ink_of(np.clip(x, 0, 1), 1)
    assert fg[60:130, 100:104].all() and fg[60:130, 108:112].all()
    assert not fg[95, 104:108].any() and not fg[120, 104:108].any()
    assert not fg[45, :].any()  # the line itself is gone
    labels, n = line.components(fg)
    assert n == 2


def test_ink_strict_thresholds_leave_a_shadow_band_out():
    """A band of 0.25 (a shadow edge's residue, narrower than the paper filter) touched by a stroke: the usual
    thresholds (from the 90th percentile of what stands out, mostly band) take it with the stroke into the
    ink; the strict ones (97th percentile: the strokes' level) leave it out and keep every stroke."""
    x = np.zeros((200, 300, 1), np.float32)
    x[:, 100:160] = 0.25
    for c in (40, 70, 97, 200, 240):
        x[60:140, c : c + 3] = 0.9
    x = np.clip(x + np.random.default_rng(0).normal(0, 0.01, x.shape).astype(np.float32), 0, 1)
    _, usual, _ = ink._ink_of(x, 1)
    _, strict, _ = ink._ink_of(x, 1, strict=True)
    assert usual[:, 110:150].all()
    assert not strict[:, 110:150].any()
    assert all(strict[60:140, c : c + 3].all() for c in (40, 70, 97, 200, 240))


@pytest.mark.parametrize("retry, level, floor", [("strict", 0.2, r"0\.3 and >= 4 x"), ("local", 0.08, r"0\.1 and >= 5 x")])
def test_retry_thresholds_need_a_clear_contrast(retry, level, floor):
    """Strokes 0.2 (0.08) above the paper pass the usual blank test, not the strict retry's, which needs 0.3
    (not the local retry's: 0.1 and 5 x noise); a clear pen passes both."""
    x = np.zeros((120, 200, 1), np.float32)
    x[30:90, 50:53] = x[30:90, 120:123] = level
    x = np.clip(x + np.random.default_rng(1).normal(0, 0.004, x.shape).astype(np.float32), 0, 1)
    assert ink._ink_of(x, 1)[1][30:90, 50:53].all()
    with pytest.raises(BlankImageError, match=r"ink contrast 0\.\d+ \(need >= " + floor):
        ink._ink_of(x, 1, **{retry: True})
    x[30:90, 50:53] = x[30:90, 120:123] = 0.5
    assert ink._ink_of(x, 1, **{retry: True})[1][30:90, 50:53].all()


@pytest.mark.parametrize("works", [(True, False), (False, True)])
def test_segment_retries_strict_then_local_ink_when_the_usual_finds_nothing(monkeypatch, works):
    """Usual thresholds, then strict ones, then the usual ones on the local paper estimate: the first that
    finds digit-sized ink is read; the later ones are not tried."""
    calls = []
    good = ink._ink(_bars(_page(), [(40, 44), (100, 104)], 20, 60))

    def fake_ink(a, *, strict=False, local=False):
        calls.append((strict, local))
        if (strict, local) != works:
            raise BlankImageError("no ink found in image (blank or near-blank: only shadows and edges)")
        return good

    monkeypatch.setattr(segment, "_ink", fake_ink)
    plan = segment._segment(_page())
    order = [(False, False), (True, False), (False, True)]
    assert calls == order[: order.index(works) + 1] and plan.n_atoms == 2


def test_segment_reports_the_usual_reason_when_every_retry_fails(monkeypatch):
    calls = []

    def never(a, *, strict=False, local=False):
        calls.append((strict, local))
        raise BlankImageError(f"no ink found in image (strict={strict}, local={local})")

    monkeypatch.setattr(segment, "_ink", never)
    with pytest.raises(BlankImageError, match=r"strict=False, local=False"):
        segment._segment(_page())
    assert len(calls) == 3


def test_segment_reads_strokes_in_and_out_of_a_hard_shadow():
    """The left half of the page in a hard shadow (a two-level picture like a tight crop, whose one paper
    colour makes the whole shadow ink): the usual and strict thresholds find one blob of shadow; the local
    paper estimate (an opening a tenth of the image wide) follows the shadow and finds all four strokes."""
    a = np.full((200, 300), 240, np.uint8)
    a[:, :150] = 100
    for c in (30, 90, 200, 260):
        a[70:130, c : c + 4] = 20
    for thresholds in ({}, {"strict": True}):
        v, fg, f = ink._ink(a, **thresholds)
        assert fg.mean() > 0.4  # half the page taken for ink
    plan = segment._segment(a)
    assert plan.n_atoms == 4
    assert [r.box[0] for r in plan.runs if r.j - r.i == 1] == [30, 90, 200, 260]


def test_near_looks_k_rows_up_or_down():
    m = np.zeros((10, 3), bool)
    m[5, 1] = True
    up = ink._near(m, 2, +1)
    down = ink._near(m, 2, -1)
    assert np.flatnonzero(up[:, 1]).tolist() == [6, 7]
    assert np.flatnonzero(down[:, 1]).tolist() == [3, 4]
    assert not up[:, 0].any() and not up[5, 1]


# --------------------------------------------------------------------------- segment.py


def _components_of(mask):
    labels, n = line.components(mask)
    c = line._boxes(labels, n)
    return c, np.arange(n)


def test_attach_fragments_to_the_component_they_overlap_most():
    m = np.zeros((100, 200), bool)
    m[40:80, 20:50] = True  # digit A, columns 20-49
    m[40:80, 60:90] = True  # digit B, columns 60-89
    m[30:34, 45:70] = True  # a bar over both: 5 columns over A, 10 over B -> B
    m[84:88, 150:160] = True  # a speck far from both: stays its own owner
    c, ids = _components_of(m)
    owner, whole = segment._attach_fragments(c, ids, 40.0)
    lab = c.labels
    a, b, bar, speck = lab[50, 30], lab[50, 70], lab[31, 60], lab[85, 155]
    assert owner[bar] == b and owner[speck] == speck and owner[a] == a
    assert sorted(whole.tolist()) == sorted([a, b])


def test_attach_fragments_needs_enough_overlap_and_vertical_closeness():
    m = np.zeros((120, 200), bool)
    m[40:80, 20:50] = True
    m[30:34, 46:66] = True  # overlaps A by 4 of its 20 columns (< 0.3): not attached
    m[40:80, 100:130] = True
    m[5:9, 105:125] = True  # over C but 31 rows above it (> 0.5 H = 20): not attached
    c, ids = _components_of(m)
    owner, _ = segment._attach_fragments(c, ids, 40.0)
    lab = c.labels
    assert owner[lab[31, 60]] == lab[31, 60]
    assert owner[lab[6, 110]] == lab[6, 110]


def test_separators_gap_overlap_and_cuts():
    py = np.zeros(6, np.int64)
    pcol = np.array([0.0, 9.0, 20.0, 29.0, 25.0, 34.0])
    atoms = segment._Atoms(py, pcol.astype(np.int64), pcol, [np.array([0, 1]), np.array([2, 3]), np.array([4, 5])],
                           np.zeros(3), [0, 1, 1])
    gap, is_cut = segment._separators(atoms, 20.0)
    assert is_cut.tolist() == [False, False, True, False]
    assert gap[1] == pytest.approx(-(10 - 20) / 20.0)  # a gap of 10 px = 0.5 line heights
    atoms.group = [0, 1, 2]
    gap, _ = segment._separators(atoms, 20.0)
    assert gap[2] == pytest.approx(-5 / 10)  # columns 25-29 overlap: half of the narrower (10 px)


def test_segment_of_three_separate_bars():
    page = _digits_page()
    plan = segment._segment(page)
    assert plan.n_atoms == 3
    # runs over 1.6 line heights wide (bars 0 to 2: 166 px over H = 60) are not tried
    assert [(r.i, r.j) for r in plan.runs] == [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]
    assert [r.box for r in plan.runs if r.j == r.i + 1] == [(60, 70, 66, 130), (140, 70, 146, 130), (220, 70, 226, 130)]
    assert len(plan.crops) == len(plan.runs) and plan.crops[0].shape == (28, 28) and plan.crops[0].dtype == np.uint8
    assert all(r.joins and r.joins[0][0] > 1.0 for r in plan.runs if r.j > r.i + 1)  # 74 px gaps over H = 60
    assert all(r.cuts == 0 for r in plan.runs)
    assert plan.fragment.tolist() == [0.0, 0.0, 0.0]


def test_segment_cuts_a_wide_blob_at_its_bridge_and_marks_the_cut():
    """Two 30-px blocks joined by a thin bridge (one blob 80 px wide, 60 tall): every cut falls in the bridge."""
    page = _page(120, 320)
    page[30:90, 100:130] = 0
    page[30:90, 150:180] = 0
    page[58:62, 130:150] = 0
    plan = segment._segment(page)
    assert plan.n_atoms >= 2
    boxes = {(r.i, r.j): (r.box, r.cuts, r.joins) for r in plan.runs}
    first, last = boxes[(0, 1)], boxes[(plan.n_atoms - 1, plan.n_atoms)]
    assert first[0][:2] == (100, 30) and 130 <= first[0][2] <= 133 and first[1] == 1
    assert 130 <= last[0][0] <= 150 and last[0][1:] == (30, 180, 90) and last[1] == 1
    assert boxes[(0, plan.n_atoms)] == ((100, 30, 180, 90), 0, [])  # the whole blob: no cut at either end
    for i in range(1, plan.n_atoms - 1):  # the pieces between are pieces of the bridge
        box, n_cuts, _ = boxes[(i, i + 1)]
        assert 130 <= box[0] and box[2] <= 150 and (box[1], box[3]) == (58, 62) and n_cuts == 2


def test_crop_to_mnist_frames_like_mnist_and_keeps_the_faint_rim():
    v = np.zeros((40, 40))
    v[10:30, 18:22] = 1.0  # a bar 20 tall, 4 wide
    fg = v > 0.5
    v[10:30, 22] = 0.3  # a faint edge just outside the mask: kept as rim
    v[10:30, 30] = 0.9  # ink of a neighbour 8 px away: not kept
    ys, xs = np.nonzero(fg)
    out = _framed_ink(segment._crop_ink(v, fg, ys, xs))
    assert out.shape == (28, 28) and out.dtype == np.uint8
    rows, cols = np.nonzero(out > 12)
    assert rows.max() - rows.min() + 1 == 20  # longer side 20 px
    assert cols.max() - cols.min() + 1 < 10
    assert abs((out * np.arange(28)[None, :]).sum() / out.sum() - 14) < 1.5
    empty = _framed_ink(segment._crop_ink(np.zeros((10, 10)), np.zeros((10, 10), bool), np.array([5]),
                                          np.array([5])))
    assert not empty.any()


# --------------------------------------------------------------------------- decode.py costs


def _run(width=0.6, height=1.0, joins=()):
    return segment._Run(0, 1, width, height, (0, 0, 1, 1), list(joins), 0)


def _p(d):
    p = np.full(10, 0.01)
    p[d] = 0.91
    return p


def test_run_cost_known_answers():
    ref = 0.6
    assert decode._run_cost(_run(), _p(3), 0.5, ref) == pytest.approx(-np.log(0.5))
    assert decode._run_cost(_run(), _p(3), 0.0, ref) == pytest.approx(-np.log(1e-6))
    # overlapping strokes (a two-stroke 4): the join cost only
    assert decode._run_cost(_run(joins=[(-0.5, False)]), _p(4), 1.0, ref) == pytest.approx(0.3)
    # a fragment across a gap of 0.1 line heights: 0.3 + 10 x 0.1
    assert decode._run_cost(_run(joins=[(0.1, True)]), _p(5), 1.0, ref) == pytest.approx(1.3)
    # two whole components: 0.3 + 2 + 10 x gap; a small overlap (-0.2) costs no gap
    assert decode._run_cost(_run(joins=[(0.1, False)]), _p(5), 1.0, ref) == pytest.approx(3.3)
    assert decode._run_cost(_run(joins=[(-0.2, False)]), _p(5), 1.0, ref) == pytest.approx(2.3)
    assert decode._run_cost(_run(joins=[(-0.2, True)]), _p(5), 1.0, ref) == pytest.approx(0.3)


def test_run_cost_narrow_and_short_penalties():
    ref = 0.6  # narrow below 0.3
    assert decode._run_cost(_run(width=0.15), _p(7), 1.0, ref) == pytest.approx(3.0 * 0.5)
    assert decode._run_cost(_run(width=0.15), _p(1), 1.0, ref) == pytest.approx(0.0)  # a 1 may be narrow
    assert decode._run_cost(_run(width=0.3), _p(7), 1.0, ref) == pytest.approx(0.0)
    # under 0.55 line heights: 4, plus the graded cost of a short candidate, 2 x (1 - h / 0.9)
    assert decode._run_cost(_run(height=0.45), _p(7), 1.0, ref) == pytest.approx(4.0 + 1.0)
    assert decode._run_cost(_run(height=0.72), _p(7), 1.0, ref) == pytest.approx(2.0 * 0.2)
    assert decode._run_cost(_run(height=0.72), _p(1), 1.0, ref) == pytest.approx(2.0 * 0.2)  # 1s too
    assert decode._run_cost(_run(height=0.9), _p(7), 1.0, ref) == pytest.approx(0.0)
    assert decode._run_cost(_run(height=1.3), _p(7), 1.0, ref) == pytest.approx(0.0)


def test_decoder_reads_a_six_not_its_stem_and_loop(monkeypatch):
    """Atoms 0 (a tall stem, a poor "1": confidence 0.12) and 1 (a loop 0.7 line heights tall, a confident
    "0") of one confident 6.  The whole costs -log 0.99 + 2.3 (joining two whole components) = 2.31; the
    pieces -log 0.12 - log 0.99 = 2.13, plus the loop's shortness 2 x (1 - 0.7 / 0.9) = 0.44: 2.57."""
    runs = [segment._Run(0, 1, 0.3, 1.1, (0, 0, 3, 11), [], 0),
            segment._Run(1, 2, 0.6, 0.7, (3, 4, 9, 11), [], 0),
            segment._Run(0, 2, 0.9, 1.1, (0, 0, 9, 11), [(0.0, False)], 0)]
    plan = segment._Plan(2, runs, [None] * 3, np.zeros(2), 0.6)
    proba, conf = np.stack([_p(1), _p(0), _p(6)]), np.array([0.12, 0.99, 0.99])
    assert decode._decode(plan, proba, conf, None, None).text == "6"
    monkeypatch.setattr(decode, "_SHORT_PENALTY", 0.0)  # without it the pieces win
    assert decode._decode(plan, proba, conf, None, None).text == "10"


def test_backtrack_skips_dropped_atoms():
    back = {(3, 2): (2, 2, None), (2, 2): (1, 1, 5), (1, 1): (0, 0, 4)}
    assert decode._backtrack(back, 3, 2) == [4, 5]


def test_skip_cost_grows_with_the_fragment_height():
    plan = segment._Plan(1, [segment._Run(0, 1, 0.1, 0.2, (0, 0, 1, 1), [], 0)], [None], np.array([0.22]), 0.6)
    cost, back = decode._best_splits(plan, [5.0], 1)
    assert cost[1, 0] == pytest.approx(1.5 * 0.22 / 0.55)
    assert cost[1, 1] == pytest.approx(5.0)
    assert back[(1, 0)] == (0, 0, None) and back[(1, 1)] == (0, 0, (0, False))


def test_max_digits_limits_the_count():
    runs = [segment._Run(0, 1, 0.6, 1, (0, 0, 10, 10), [], 1), segment._Run(1, 2, 0.6, 1, (10, 0, 20, 10), [], 1),
            segment._Run(0, 2, 1.2, 1, (0, 0, 20, 10), [], 0)]
    plan = segment._Plan(2, runs, [None] * 3, np.zeros(2), 0.6)
    proba = np.stack([_p(1), _p(2), _p(7)])
    conf = np.array([0.99, 0.99, 0.5])
    assert decode._decode(plan, proba, conf, None, None).text == "12"
    assert decode._decode(plan, proba, conf, 1, None).text == "7"
    with pytest.raises(ValueError, match="cannot read 2 digits in this image"):
        decode._decode(segment._Plan(2, runs[2:], [None], np.zeros(2), 0.6), proba[2:], conf[2:], None, 2)


# --------------------------------------------------------------------------- cuts.py


def test_slant_finds_the_shear_of_slanted_bars():
    m = np.zeros((40, 120), bool)
    for x0 in (20, 60, 100):
        for y in range(40):
            x = int(round(x0 + 0.3 * (y - 20)))
            m[y, x - 1 : x + 2] = True
    assert cuts._slant(m) == pytest.approx(0.3, abs=0.026)
    assert cuts._slant(m[:, ::-1]) == pytest.approx(-0.3, abs=0.026)
    assert cuts._slant(np.zeros((5, 5), bool)) == 0.0


def test_cuts_respect_margin_spacing_and_count():
    """A solid block 60 px wide, 30 tall (H = 20): away from its ends every column costs the same (30 px of
    ink), so the cuts are straight and placed by the rules alone: 3 px (0.15 H) apart, at most 10 (one per
    0.3 H of the 62 px searched).  Near the ends a path through the middle row slips round the block for
    less, so no cut is a local minimum there."""
    ys, xs = np.nonzero(np.ones((30, 60), bool))
    paths = cuts._path_cuts([(ys, xs + 10)], 20.0)[0]
    assert all((p == p[0]).all() for p in paths)
    assert [int(p[0]) for p in paths] == list(range(25, 53, 3))
    assert [int(p[0]) for p in cuts._path_cuts([(ys, xs)], 60.0)[0]] == [16, 25, 34]  # 9 px (0.15 H) apart, 62 / 18 = 3


# --------------------------------------------------------------------------- result.py and read helpers


def test_reading_result_objects():
    d = result.DigitReading(4, (1, 2, 3, 4), np.array([0.1234567] + [0.0] * 9), 0.98765432)
    r = result.Reading("4", (d,), 0.98765432)
    assert str(r) == "4" and len(r) == 1
    out = r.to_dict()
    assert json.loads(json.dumps(out)) == out
    assert out["confidence"] == 0.987654 and out["text"] == "4"
    assert out["digits"][0] == {"digit": 4, "box": [1, 2, 3, 4], "confidence": 0.987654,
                                "probabilities": [0.123457] + [0.0] * 9}


def test_check_lengths_messages():
    from handdigits import reading

    assert reading._check_lengths(None, None) == (None, None)
    assert reading._check_lengths(6, 4) == (6, 4)
    assert reading._check_lengths(4, 4) == (4, 4)
    with pytest.raises(ValueError, match=r"expected_length \(5\) must be <= max_digits \(4\)"):
        reading._check_lengths(4, 5)
    with pytest.raises(ValueError, match="max_digits"):
        reading._check_lengths(0, None)
    with pytest.raises(ValueError, match="expected_length"):
        reading._check_lengths(None, 0)


def test_attempt_names_batch_errors_keeps_their_type_or_marks_them():
    from handdigits import reading

    def blank():
        raise line._blank("x")

    with pytest.raises(BlankImageError, match=r"^image 2 of 5: no ink found"):
        reading._attempt(blank, 2, 5, False, "raise")
    with pytest.raises(ValueError, match=r"^plain$"):
        reading._attempt(lambda: (_ for _ in ()).throw(ValueError("plain")), 2, 5, True, "raise")
    assert reading._attempt(blank, 2, 5, False, "mark") == (None, str(line._blank("x")))
    assert reading._attempt(lambda: 41 + 1, 2, 5, False, "mark") == (42, None)
    with pytest.raises(TypeError):  # only ValueErrors (unreadable images) are marked, not bugs
        reading._attempt(lambda: None + 1, 2, 5, False, "mark")


class _CountingClassifier:
    """A stand-in for the model (read only needs ``answer``): every crop reads as the digit of its ink's
    column, so readings are known; it counts the batched calls."""

    def __init__(self):
        self.calls = []

    def answer(self, crops, *, preprocess):
        from types import SimpleNamespace

        self.calls.append((len(crops), preprocess))
        proba = np.full((len(crops), 10), 0.001)
        proba[:, 7] = 0.991
        return SimpleNamespace(proba=proba, confidence=np.full(len(crops), 0.9))


def test_read_batch_classifies_every_candidate_of_every_image_in_one_call():
    from handdigits import reading

    clf = _CountingClassifier()
    two, three = _digits_page()[:, :200], _digits_page()
    out = reading.read_batch(clf, [two, three])
    assert [r.text for r in out] == ["77", "777"]
    n_two, n_three = (len(segment._segment(a).crops) for a in (two, three))
    assert clf.calls == [(n_two + n_three, False)]
    assert out[1].digits[2].box == (220, 70, 226, 130) and out[1].confidence == pytest.approx(0.9**3)
    assert reading.read(clf, three, max_digits=2).text == "77"
    assert reading.read(clf, three, expected_length=2).text == "77"


def test_read_batch_marks_unreadable_images_and_reads_the_others():
    """errors="mark": a blank page, an undecodable file and a number that cannot be split into the
    expected length each get a failed Reading saying why; the others are read in the same batched call."""
    from handdigits import reading

    clf = _CountingClassifier()
    three = _digits_page()
    out = reading.read_batch(clf, [three, _page(100, 100), b"not an image", three[:, :200]], errors="mark")
    assert [r.text for r in out] == ["777", "", "", "77"]
    assert [r.error is None for r in out] == [True, False, False, True]
    assert out[1].error.startswith("no ink found") and "image[2]" in out[2].error
    assert out[1].digits == () and np.isnan(out[1].confidence) and len(out[1]) == 0
    assert out[1].to_dict() == {"text": None, "confidence": None, "digits": [], "error": out[1].error}
    assert out[0].to_dict()["error"] is None and out[0].to_dict()["text"] == "777"
    assert len(clf.calls) == 1
    short = reading.read_batch(clf, [three, three[:, :200]], expected_length=3, errors="mark")
    assert short[0].text == "777" and short[1].text == "" and "3" in short[1].error
    with pytest.raises(ValueError, match="image 1 of 2"):
        reading.read_batch(clf, [three, three[:, :200]], expected_length=3)
    with pytest.raises(ValueError, match="errors"):
        reading.read_batch(clf, [three], errors="skip")


def test_read_errors_name_the_image_and_refuse_batches():
    from handdigits import reading

    clf = _CountingClassifier()
    with pytest.raises(BlankImageError, match=r"^image 1 of 2: no ink found"):
        reading.read_batch(clf, [_digits_page(), _page(100, 100)])
    with pytest.raises(BlankImageError, match=r"^no ink found"):
        reading.read(clf, _page(100, 100))
    with pytest.raises(ValueError, match="read takes one image, got 2 images; use read_batch for several"):
        reading.read(clf, np.stack([_digits_page()] * 2))
    assert clf.calls == []


# --------------------------------------------------------------------------- known answers for mutation survivors


def test_working_grey_colour_float_and_alpha_cases():
    grey_rgb = np.dstack([np.full((20, 30), 90, np.uint8)] * 3)
    assert ink._working(grey_rgb)[0].shape == (20, 30, 1)  # three equal channels: one
    tinted = grey_rgb.copy()
    tinted[0, 3, 0] = 200  # one coloured pixel, on the sampled grid (every third row and column)
    assert ink._working(tinted)[0].shape == (20, 30, 3)
    page = np.zeros((20, 30))  # floats with negative ink: the range is stretched from the image's minimum
    page[5:15, 10:14] = -1.0
    x, _ = ink._working(page)
    assert x[0, 0, 0] == pytest.approx(1.0) and x[8, 12, 0] == pytest.approx(0.0)
    white_ink = np.zeros((20, 30, 4), np.uint8)
    white_ink[5:10, 5:10] = 255  # opaque white ink on a transparent canvas: the paper is black
    x, _ = ink._working(white_ink)
    assert x.mean(-1)[0, 0] < 0.1 and x.mean(-1)[7, 7] > 0.9
    half = np.zeros((20, 30, 4), np.uint8)
    half[..., 3] = 0
    half[5:10, 5:10, 3] = 128  # black ink at half opacity over white paper: mid-grey
    x, _ = ink._working(half)
    assert float(x.max()) <= 1.0 and x.mean(-1)[0, 0] == pytest.approx(1.0)
    assert x.mean(-1)[7, 7] == pytest.approx(0.5, abs=0.01)
    as_float = half.astype(np.float32) / 255.0  # the same in floats in [0, 1]: the same composite
    x, _ = ink._working(as_float)
    assert x.mean(-1)[7, 7] == pytest.approx(0.5, abs=0.01) and x.mean(-1)[0, 0] == pytest.approx(1.0)


def _ruled_page():
    page = _page(200, 320)
    for y in (40, 80, 120, 160):
        page[y, :] = 120  # printed lines, grey
    page[60:140, 150:154] = 0  # a stroke crossing two of them
    return page


def test_ink_removes_rulings_and_reconnects_the_stroke_across_them():
    v, fg, _ = ink._ink(_ruled_page())
    assert fg[60:140, 151:153].all()  # the stroke, whole: rows 80 and 120 put back where it crosses
    assert not fg[:, :140].any() and not fg[:, 165:].any()  # the lines are gone
    assert not fg[50:59].any() and not fg[141:150].any()  # nothing added above or below the stroke
    assert v[100, 151] == pytest.approx(1.0) and v[80, 151] > 0.5


def test_ink_strength_is_clipped_and_faint_parts_join_by_hysteresis():
    page = _page(200, 320)
    page[70:130, 60:66] = 128  # grey ink (strength about 0.5) ...
    page[70:130, 120:126] = 128
    page[70:130, 180:186] = 100  # ... and a darker stroke, stronger than the median ink level
    page[130:140, 62:64] = 217  # a faint tail (about 0.15) connected to a stroke: kept
    page[70:80, 250:252] = 217  # the same faint level on its own: dropped
    v, fg, _ = ink._ink(page)
    assert float(v.max()) == 1.0
    assert fg[132:138, 62:64].all() and not fg[70:80, 250:252].any()


def test_ink_blank_messages_in_full():
    with pytest.raises(BlankImageError, match=r"^no ink found in image \(blank or near-blank: "
                                              r"no pixel stands out from the background\)$"):
        ink._ink(_page(100, 100))


def test_long_lines_on_squared_paper_finds_both_directions():
    m = np.zeros((120, 120), bool)
    m[::20, :] = True
    m[:, ::20] = True
    found = _long_lines(m)
    assert found[40, 5:15].all() and found[5:15, 40].all()


def test_long_lines_thickness_limit_and_crossing_ticks():
    """The 2-px line's band is bins 59-61 (the pair rule takes the bin above too), so pixels whose vertical
    run is at most 3 + 2 px are line: a 5-px tick through it goes with it, a 6-px one is a stroke and stays."""
    m = np.zeros((100, 200), bool)
    m[30:35, :] = True  # 5 px thick: a line on a 100-px page (at most 6 bins)
    m[60:62, :] = True
    m[58:63, 50] = True
    m[57:63, 100] = True
    found = _long_lines(m)
    assert np.flatnonzero(found[:, 10]).tolist() == [30, 31, 32, 33, 34, 60, 61]
    assert np.flatnonzero(found[:, 50]).tolist() == [30, 31, 32, 33, 34, 59, 60, 61]
    assert np.flatnonzero(found[:, 100]).tolist() == [30, 31, 32, 33, 34]
    small = np.zeros((60, 200), bool)
    small[20:24, :] = True  # 4 px on a 60-px page: 5 bins with the pair rule, more than a printed line's 4
    assert not _long_lines(small).any()
    small[20:23, :] = False  # 1 px: a line
    assert _long_lines(small)[23].all()


def test_not_writing_edge_lines_and_left_blobs():
    h, w = 100, 100
    m = np.zeros((h, w), bool)
    m[50:65, 99] = True  # a 1-px line at the right edge, 15 px (under 0.2 % of the image)
    m[0, 50:65] = True  # one row at the top edge
    m[97:100, 60:65] = True  # three rows at the bottom edge
    m[40:60, 0:12] = True  # a filled blob touching only the left edge
    m[30:70, 30:33] = True  # a stroke
    labels, n = line.components(m)
    blob = line._not_writing(line._boxes(labels, n), h, w)
    assert [bool(blob[labels[y, x]]) for y, x in ((55, 99), (0, 55), (98, 62), (50, 5), (50, 31))] == [
        True, True, True, True, False]


def test_line_ignores_thin_tall_marks_and_keeps_wide_blobs():
    m = np.zeros((300, 300), bool)
    for x0 in (20, 60):
        m[100:140, x0 : x0 + 20] = True  # two fat digits, 40 tall (area 800)
    m[100:140, 100:190] = True  # a blob of touching digits, 2.25 H wide
    m[60:160, 250] = True  # a 1-px mark 100 tall (area 100 < 0.15 x 800): not the line's height
    m[70:90, 280:285] = True  # ink 1.25 H above the centre, within reach
    m[190:200, 280:285] = True  # ink 1.55 H below the centre: off the line
    m[5:40, 0:10] = True  # a filled blob at the border (a shadow): dropped before measuring
    c, (ids, H, yc) = _line_of(m)
    assert H == 40.0 and yc == 120.0
    lab = c.labels
    assert lab[120, 150] in ids and lab[80, 282] in ids
    assert lab[195, 282] not in ids and lab[20, 5] not in ids


def test_line_keeps_a_tiny_but_tall_enough_tick():
    m = np.zeros((60, 60), bool)
    for x0 in (10, 30):
        m[20:30, x0 : x0 + 4] = True  # H = 10
    m[27:30, 45] = True  # 3 px: area 3, 0.3 H tall
    c, (ids, H, _) = _line_of(m)
    assert H == 10.0 and c.labels[28, 45] in ids


def test_line_and_decode_messages_in_full():
    m = np.zeros((50, 50), bool)
    m[:, :30] = True
    with pytest.raises(BlankImageError, match=r"\(blank or near-blank: only shadows and edges\)$"):
        _line_of(m)
    plan = segment._Plan(1, [], [], np.array([0.3]), 0.6)
    with pytest.raises(BlankImageError, match=r"\(blank or near-blank: no digit-sized ink\)$"):
        decode._decode(plan, np.zeros((0, 10)), np.zeros(0), None, None)


def _rings_page(width, tall_right=False, h=200, w=320):
    page = _page(h, w)
    for k, x0 in enumerate((40, 130, 220)):
        top = 50 if (tall_right and k == 2) else 70
        page[top:130, x0 : x0 + width] = 0
        page[top + 6 : 124, x0 + 6 : x0 + width - 6] = 255  # a "0": a ring 6 px thick
    return page


def test_segment_reading_order_width_limit_and_typical_width():
    plan = segment._segment(_rings_page(36, tall_right=True))  # the right ring starts higher
    singles = [r for r in plan.runs if r.j == r.i + 1]
    assert [r.box[0] for r in singles] == [40, 130, 220]  # left to right, not by first pixel
    assert plan.n_atoms == 3 and all(r.cuts == 0 for r in singles)  # 36 px = 0.6 H: not cut
    assert plan.ref_width == pytest.approx(0.6)
    assert [r.height for r in singles[:2]] == [1.0, 1.0]
    narrow = segment._segment(_rings_page(24))
    assert narrow.ref_width == 0.45  # 0.4 H rings: at least 0.45
    assert segment._segment(_digits_page()).ref_width == 0.55  # bars 0.1 H wide: no typical width


def test_segment_boxes_on_a_portrait_and_a_large_image():
    tall = _page(400, 300)
    tall[300:380, 100:106] = 0
    tall[300:380, 200:206] = 0
    boxes = [r.box for r in segment._segment(tall).runs if r.j == r.i + 1]
    assert boxes == [(100, 300, 106, 380), (200, 300, 206, 380)]
    big = np.kron(_digits_page(), np.ones((3, 3), np.uint8))  # 600 x 960: worked on at a third
    boxes = [r.box for r in segment._segment(big).runs if r.j == r.i + 1]
    assert boxes == [(180, 210, 198, 390), (420, 210, 438, 390), (660, 210, 678, 390)]


def test_separators_one_column_of_overlap():
    pcol = np.array([0.0, 9.0, 9.0, 19.0])
    atoms = segment._Atoms(np.zeros(4, np.int64), pcol.astype(np.int64), pcol,
                           [np.array([0, 1]), np.array([2, 3])], np.zeros(2), [0, 1])
    gap, _ = segment._separators(atoms, 20.0)
    assert gap[1] == pytest.approx(-1 / 10)  # one shared column over the narrower (10 px), not over H


def test_skip_cost_uses_the_skipped_fragment_and_fragment_joins_add_up():
    runs = [segment._Run(0, 1, 0.6, 1.0, (0, 0, 1, 1), [], 0)]
    plan = segment._Plan(2, runs, [None], np.array([0.0, 0.22]), 0.6)
    cost, _ = decode._best_splits(plan, [0.7], 1)
    assert cost[2, 1] == pytest.approx(0.7 + 1.5 * 0.22 / 0.55)
    assert decode._run_cost(_run(joins=[(0.1, True)]), _p(5), 0.5, 0.6) == pytest.approx(-np.log(0.5) + 1.3)


def test_cut_paths_follow_a_slanted_gap_below_the_middle():
    """Two blocks separated by a gap that runs straight down to the middle row, then slants right: the
    cut's lower half follows the gap (the cheapest way *up* from the bottom), never crossing ink."""
    m = np.zeros((40, 80), bool)
    for y in range(40):
        g = 30 if y < 20 else 30 + (y - 20) // 2  # the gap's column
        m[y, 5:g] = True
        m[y, g + 2 : 75] = True
    m[2, 30:32] = True  # a one-pixel bridge near the top joins the blocks
    ys, xs = np.nonzero(m)
    paths = cuts._path_cuts([(ys, xs)], 40.0)[0]
    side = cuts._split(ys, xs, [p for p in paths if 29 <= p[20] <= 32][:1])
    left = np.array([x < (30 if y < 20 else 30 + (y - 20) // 2) for y, x in zip(ys, xs)])
    assert (side[left & (ys != 2)] == 0).all() and (side[~left & (ys != 2)] == 1).all()


def _squared_page(level, h=200, w=320, step=40):
    """White squared paper: 2-px grid lines of grey ``level`` every ``step`` px."""
    page = np.full((h, w), 250, np.uint8)
    for k in (0, 1):
        page[k::step, :] = level
        page[:, k::step] = level
    return page


def test_ink_keeps_a_dark_one_drawn_along_a_light_grid_line():
    """A pen 1 lying on a vertical grid line has short runs across it like the line; it is darker, so it
    stays (it used to be erased with the line), and the grid is still removed everywhere else."""
    page = _squared_page(170)
    page[50:150, 120:123] = 0  # the line is columns 120-121
    _, fg, _ = ink._ink(page)
    assert fg[50:150, 120:123].all()
    assert not fg[:, :110].any() and not fg[:, 135:].any() and not fg[:45].any() and not fg[155:].any()


def test_ink_reconnects_a_faint_stroke_across_vertical_grid_lines():
    """A 2-px stroke as faint as the grid (no strength tells them apart) loses the pixels next to each
    vertical line it crosses; they are put back from the ink left and right of the gap (columns 39-42 and
    79-82 used to be missing)."""
    page = _squared_page(120)
    page[99:101, 30:110] = 120
    _, fg, _ = ink._ink(page)
    assert fg[99:101, 30:110].all()
    assert not fg[2:95, 2:-2].any() and not fg[105:-2, 2:-2].any()  # no grid line put back above or below


def test_line_ink_threshold_halfway_from_the_line_core_to_the_ink_or_none():
    s = np.zeros((10, 10))
    rulings = np.zeros((10, 10), bool)
    rulings[2, :] = True
    s[2, :] = 0.2
    s[2, 9] = 0.4  # the line's core, the 90th percentile of its ten pixels: 0.2 + 0.1 x 0.2 = 0.22
    loose = s > 0
    loose[6, 2:8] = True
    s[6, 2:8] = 0.9  # the pen, off the lines
    assert ink._line_ink_threshold(s, rulings, loose, 0.01) == pytest.approx(0.5 * (0.22 + 0.9))
    assert ink._line_ink_threshold(s, rulings, loose, 0.2) == np.inf  # 0.68 apart < 4 x noise
    assert ink._line_ink_threshold(s, rulings, rulings, 0.01) == np.inf  # no ink off the lines


def test_a_soft_edged_wedge_at_the_frame_is_no_writing():
    """A shadow's wedge at the frame's corner, filled under the 45 % of a border blob (its edge curves), rises
    slowly from the paper; a stroke rises within a pixel.  With the ink strength, the wedge is no writing and
    the stroke is; without it, both count as writing."""
    h, w = 120, 200
    yy, xx = np.mgrid[0:h, 0:w]
    v = np.zeros((h, w), np.float32)
    depth = (xx - 120) - 80 * np.sqrt(yy / 100)  # inside the wedge where positive: a third of its box
    v[depth > 0] = np.clip(depth[depth > 0] / 60.0, 0.0, 0.5)  # a slow rise to 0.5
    v[30:90, 40:44] = 1.0  # a pen's stroke
    fg = v > 0.02
    c = line._boxes(*line.components(fg))
    labels = line.components(fg)[0]
    soft = line._not_writing(c, h, w, v)
    assert soft[labels[5, 190]] and not soft[labels[60, 41]]
    assert not line._not_writing(c, h, w)[labels[5, 190]]  # filled under 45 %: not a border blob by itself
    v[depth > 0] = 0.5  # the same wedge with a hard edge is not soft
    c = line._boxes(*line.components(v > 0.02))
    assert not line._not_writing(c, h, w, v)[line.components(v > 0.02)[0][5, 190]]

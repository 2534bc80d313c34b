"""The photo path: ink found in a working image, blank images refused, the digit cropped into MNIST's frame.

Steps (see :mod:`handdigits.preprocess`): polarity, ink strength, ruling lines
erased, a threshold from the noise level and the strokes' own strength,
connected components, the blank tests, then :func:`~.framing._to_box`.  Tiny
inputs take :func:`_grey_path` instead (no threshold).
"""

from __future__ import annotations

import numpy as np

from .components import _block_any, _block_expand, _digit_blob, _label, _label_scale
from .decode import _luminance, _working_image
from .filters import _bbox, _grow, _rank, _spread
from .framing import MNIST_SIZE, _to_box, stroke_width
from .ink import _ink_strength, _paper_side, _paper_stats, _tight_crop
from .polarity import _border_values, paper_polarity
from .rulings import RULING_MIN_SIDE, _erased, _rulings
from .tracing import Trace

TINY = 24  # images with a longer side below this take the grey-level path (no threshold)
_MIN_SNR = 4.0  # ink must stand this many noise standard deviations above the paper
_MIN_CONTRAST = 0.03  # ... and at least this far (fraction of the full range)
_MAX_FATNESS, _FAT_CONTRAST = 0.22, 0.25  # a blob this "fat" (stroke width / size) must be this contrasted ...
_MIN_LOOP = 0.06  # ... unless it encloses a hole this large (share of its box): a drawn "0", not a stain
_MAX_SPECKLE = 0.3  # ink whose pixels are mostly isolated or line ends is noise, not strokes
_SOFT_SNR, _SOFT_EDGE = 6.0, 0.35  # ink this close to the noise must have edges this sharp (pen strokes do)
_SOFT_CONTRAST = 0.2  # ... unless it is this dark (noisy ruled pages: a pen's contrast, a noisy border)
# ("close to the noise": under _SOFT_SNR x both the border's and the whole page's noise)
_MIN_EXTENT = 0.03  # the digit's largest blob spans at least this fraction of the longer side
_FRINGE = 0.05  # grey levels start this fraction of the ink's contrast above the paper (not at 2 x noise alone)
_SHADOWED, _SHADOW_QUANTILE = 0.03, 0.97  # over 3 % of the page standing out: threshold also from this quantile
_SHADOW_MIN_SIDE = 128  # ... in photos of a page (both sides this long at the working resolution)
_WEAK = 0.5  # fainter ink connected to the digit is kept down to this fraction of the threshold's height ...
_GROW_PIXELS, _GROW_BOX = 2.0, 2.5  # ... unless it adds over 2x the pixels or 2.5x the box (a shadow, a line)
_CLEAR_CONTRAST, _CLEAR_FACTOR = 0.3, 3.0  # a refused page may still hold strokes this strong, or 3x the refused ink
_DETACHED_GAP = 0.6  # after the tests, parts of the digit drawn apart join it this far away (x its size)


def _run(a: np.ndarray, *, keep: bool) -> Trace:
    """The full conversion of one checked array; ``keep`` retains the pictures for :class:`Trace`."""
    x, f = _working_image(a)
    h, w = x.shape[:2]
    original = np.rint(x[..., 0] * 255).astype(np.uint8) if x.shape[-1] == 1 else np.rint(x * 255).astype(np.uint8)
    if max(h, w) < TINY:
        return _grey_path(x, original)
    _, dark_ink = paper_polarity(_luminance(x))
    if dark_ink:
        x = 1.0 - x
    empty = np.zeros((h, w), bool)

    def fail(reason: str, ink=empty, rulings=empty) -> Trace:
        return Trace(original, f, ink, rulings, None, np.zeros((MNIST_SIZE, MNIST_SIZE), np.uint8), dark_ink,
                     "photo", f"no ink found in image (blank or near-blank: {reason})")

    s, rulings, (med, sd) = _erase_rulings(_ink_strength(x))
    loose = s > med + 3.0 * sd
    if not loose.any():
        return fail("no pixel stands out from the background", rulings=rulings)
    t = _threshold(s, loose, med, sd, 0.9)
    fg = s > t
    if not fg.any() or fg.all():
        return fail("no pixel stands out from the background", rulings=rulings)
    kept, extent = _digit_blob(fg)
    ink_level = float(np.median(s[kept])) if kept.any() else med
    reason = _blank_reason(s, kept, extent, ink_level - med, sd)
    if reason is not None:
        clear = _clear_strokes(s, loose, med, sd, t, ink_level - med)
        if clear is None:
            return fail(reason, fg, rulings)
        t, kept, ink_level = clear
    else:
        t, kept, ink_level = _out_of_shadow(s, loose, med, sd, (t, kept, ink_level))
    lo = min(max(med + 2.0 * sd, med + _FRINGE * (ink_level - med)), t)
    hi = max(ink_level, lo + 1e-6)
    grey = np.clip((s - lo) / (hi - lo), 0.0, 1.0)
    region = _rank(kept.astype(np.float32), 5, np.max) > 0
    box = _bbox((grey > 0) & region)
    if box is None:
        return fail("the ink vanished", fg, rulings)
    x0, y0, x1, y1 = box
    if (y1 - y0) < 0.25 * (x1 - x0):
        return fail(f"the only ink is a flat horizontal stroke ({x1 - x0}x{y1 - y0} px), no digit is that flat",
                    fg, rulings)
    if _edge_stroke(box, h, w):
        return fail(f"the only ink is a thin stroke along the image's edge ({x1 - x0}x{y1 - y0} px):"
                    " a printed line cut by the frame", fg, rulings)
    whole = _digit_blob(s > t, _DETACHED_GAP)[0]  # with parts drawn apart from it (the tests judged the rest)
    grown = _with_faint_parts(s, whole, med, sd, t)
    if grown is not whole or (whole != kept).any():  # the box again only when parts were added
        kept, region = grown, _rank(grown.astype(np.float32), 5, np.max) > 0
        x0, y0, x1, y1 = box = _bbox((grey > 0) & region)
    v = grey * region
    out = _to_box(v[y0:y1, x0:x1], stroke=True)
    if out is None:
        return fail("the ink vanished when resized", fg, rulings)
    return Trace(original, f, kept if keep else empty, rulings, box, out, dark_ink, "photo", None)


def _threshold(s: np.ndarray, loose: np.ndarray, med: float, sd: float, q: float) -> float:
    """The ink threshold: 4 noise SDs above the paper, and 40 % of the way to the ``q`` quantile of the
    pixels that stand out (``loose``)."""
    return max(med + 4.0 * sd, med + 0.4 * (float(np.quantile(s[loose], q)) - med))


def _out_of_shadow(s: np.ndarray, loose: np.ndarray, med: float, sd: float, found: tuple) -> tuple:
    """``(threshold, kept ink, ink level)``: ``found`` itself, or a stricter threshold's digit where much of
    the page stands out from the paper (:func:`_strokes_digit`).

    When over ``_SHADOWED`` of the pixels stand out, most of them are a
    shadow's dark side or a page's texture, not strokes, and a threshold set
    from them lets the shadow into the digit (read as a blob).  The stricter
    digit replaces the first one only if it passes the same blank tests (an
    empty page refused before is still refused: the first digit was tested
    first).  Tight crops of thick strokes, whose ink itself covers much of the
    frame, keep the first threshold.
    """
    if _tight_crop(s > 0.5 * float(s.max())):
        return found
    return _strokes_digit(s, loose, med, sd, found[0]) or found


def _clear_strokes(s: np.ndarray, loose: np.ndarray, med: float, sd: float, t: float,
                   refused: float) -> tuple | None:
    """``(threshold, kept ink, ink level)`` of strokes far stronger than the remnants that failed the blank
    tests, or None (:func:`_strokes_digit`).

    On a squared page the faint edges of erased grid lines and the paper's
    texture can make most of the pixels that stand out (over ``_SHADOWED``):
    the first threshold, set from them, keeps a web of remnants spanning the
    page, which the blank tests rightly refuse, and a small pen digit far
    above them is lost; so is a pen in a dim, shadowed photo, where the
    shadow's edges make that web.  The stricter threshold finds it; it is
    taken only if its ink has a contrast of at least ``_CLEAR_CONTRAST``, or
    ``_CLEAR_FACTOR`` times the contrast ``refused`` of the ink that failed
    (an empty page's strongest structures, shadow edges and line remnants,
    stay under both: 900 empty pages of ``realworld/empty`` were refused as
    before).
    """
    return _strokes_digit(s, loose, med, sd, t, least=min(_CLEAR_CONTRAST, _CLEAR_FACTOR * max(refused, 0.0)))


def _strokes_digit(s: np.ndarray, loose: np.ndarray, med: float, sd: float, t: float,
                   least: float = 0.0) -> tuple | None:
    """The digit of the threshold from the strokes' own level, ``(threshold, kept ink, ink level)``, or None.

    Only in photos of a page (both sides at least ``_SHADOW_MIN_SIDE``; in
    scans and crops the digit itself covers much of the frame: on upscaled
    8×8 scans the stricter threshold thinned strokes, 14 → 18 errors in 300)
    where over ``_SHADOWED`` of the pixels stand out (``loose``).  The
    threshold is set from their ``_SHADOW_QUANTILE`` quantile; None unless it
    is above ``t`` and its ink passes the blank tests with a contrast of at
    least ``least``.
    """
    if min(s.shape) < _SHADOW_MIN_SIDE or loose.mean() <= _SHADOWED:
        return None
    t2 = _threshold(s, loose, med, sd, _SHADOW_QUANTILE)
    if t2 <= t:
        return None
    kept, extent = _digit_blob(s > t2)
    if not kept.any():
        return None
    level = float(np.median(s[kept]))
    if level - med < least or _blank_reason(s, kept, extent, level - med, sd) is not None:
        return None
    return t2, kept, level


def _with_faint_parts(s: np.ndarray, kept: np.ndarray, med: float, sd: float, t: float) -> np.ndarray:
    """``kept`` with the fainter ink connected to it (hysteresis, down to ``_WEAK`` of the threshold's
    height above the paper).

    A pen's pressure varies along a stroke: the light side of a "0" or the
    upper loop of an "8" on the shadowed side of a page stays under a threshold
    its other strokes pass, and the digit came out as a "U" or a "2".  The
    faint parts are taken only where they join the strokes; when they would
    add over ``_GROW_PIXELS`` times the strokes' pixels or ``_GROW_BOX`` times
    their box, what joined is a shadow or a printed line's remnant, and none
    is taken.  Used for the grey levels and the box, after the blank and shape
    tests (which judge the strokes alone).
    """
    weak = s > max(med + 3.0 * sd, med + _WEAK * (t - med))
    h, w = s.shape
    g = _label_scale((h, w))  # labelled at the scale of _digit_blob
    lab = _label(_block_any(weak, g))
    ids = np.unique(lab[_block_any(kept, g) & (lab >= 0)])
    if ids.size == 0:
        return kept
    grown = kept | (_block_expand(np.isin(lab, ids), g, (h, w)) & weak)
    if grown.sum() > _GROW_PIXELS * kept.sum() or _box_area(grown) > _GROW_BOX * _box_area(kept):
        return kept  # a shadow or a line's remnant joined the strokes: no faint parts of theirs
    return grown


def _box_area(mask: np.ndarray) -> int:
    x0, y0, x1, y1 = _bbox(mask)
    return (x1 - x0) * (y1 - y0)


def _erase_rulings(s: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """Ink strength with ruling lines (and their faint edges) set to the paper's; the lines; the paper stats.

    Ruled paper shows in photos and scans of a page, not in digit-sized crops,
    where a 4's bar or a 7's top would pass for a printed line (EMNIST's 28×28
    digits lost strokes that way), so images under ``RULING_MIN_SIDE`` are left alone.
    """
    h, w = s.shape
    med, sd = _paper_stats(s)
    loose = s > med + 3.0 * sd
    lines = _rulings(loose, 0.35, s) if loose.any() and max(h, w) >= RULING_MIN_SIDE else []
    if not lines:
        return s, np.zeros((h, w), bool), (med, sd)
    rulings, fill = _erased(loose, lines, s)
    s = np.where(_grow(rulings) & ~(loose & ~rulings), med, s)
    s = np.where(np.isnan(fill), s, fill)  # lines through a shadow: the shadow's strength
    return s, rulings, _paper_stats(s)


def _blank_reason(s: np.ndarray, kept: np.ndarray, extent: int, contrast: float, sd: float) -> str | None:
    """Why the kept ink is not a digit (too small, too faint, specks, a shadow), or None when it is one."""
    h, w = s.shape
    if extent < _MIN_EXTENT * max(h, w) or extent < 2:
        return f"largest ink blob is only {extent} px in a {h}x{w} image"
    if contrast < _MIN_CONTRAST or contrast < _MIN_SNR * sd:
        return f"ink contrast {contrast:.3f} (need >= {_MIN_CONTRAST} and >= {_MIN_SNR:g} x noise {sd:.3f})"
    page_sd = _spread(s)  # the whole page's noise, not the border's
    if contrast < _SOFT_CONTRAST and contrast < _SOFT_SNR * min(sd, page_sd):
        gy, gx = np.gradient(s)
        edge = float(np.quantile(np.hypot(gx, gy)[kept], 0.9)) / contrast
        if edge < _SOFT_EDGE:
            return (f"a soft blob barely above the noise (contrast {contrast / sd:.1f} x noise, edges {edge:.2f} of it"
                    f" per px; need {_SOFT_SNR:g} x, {_SOFT_EDGE:g} or contrast {_SOFT_CONTRAST:g}):"
                    " a shadow or paper texture")
    p = np.pad(kept, 1)
    neighbours = sum(p[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w].astype(np.uint8)
                     for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx)
    speckle = float((kept & (neighbours <= 1)).sum()) / max(int(kept.sum()), 1)
    if speckle > _MAX_SPECKLE and max(h, w) >= 64:  # photos: paper texture (tiny arrays are judged as they are)
        return (f"the ink is a cloud of specks ({speckle:.0%} of its pixels isolated or line ends): "
                "paper texture or noise")
    kb = _bbox(kept)
    blob = kept[kb[1] : kb[3], kb[0] : kb[2]]
    fatness = stroke_width(blob.astype(np.float32)) / max(blob.shape)
    if fatness > _MAX_FATNESS and contrast < _FAT_CONTRAST and not _has_loop(blob):
        return (f"a faint blob with no strokes (stroke width {fatness:.0%} of its size, contrast {contrast:.3f}):"
                " a shadow or a stain")
    return None


def _has_loop(blob: np.ndarray) -> bool:
    """Whether a blob (bool, cropped to its box) encloses background over ``_MIN_LOOP`` of its box.

    The hole of a small "0" drawn with a thick pencil: strokes round a hole,
    not a stain or a shadow, though as faint and as fat for its size (stroke
    width 22 % of it).  The faint blobs of empty pages enclosed at most 3.7 %
    (900 pages of ``realworld/empty``); that "0" enclosed 10 %.  Labelled at
    most ``_LABEL_MAX`` px a side (a block is background when all its pixels are).
    """
    g = _label_scale(blob.shape)
    background = np.pad(~_block_any(blob, g), 1, constant_values=True)
    lab = _label(background)
    return float(((lab >= 0) & (lab != lab[0, 0])).sum()) >= _MIN_LOOP * background[1:-1, 1:-1].size


def _edge_stroke(box: tuple[int, int, int, int], h: int, w: int) -> bool:
    """Whether ``box`` holds a thin upright stroke touching the frame, though not two opposite sides.

    A grid line of squared paper that the frame cuts (it runs out of the image
    at a tilt) is shorter than a ruling and is not erased; a "1" in a photo
    does not lean on the frame, and a tightly cropped one touches both ends.
    """
    x0, y0, x1, y1 = box
    if (x1 - x0) >= 0.25 * (y1 - y0):
        return False
    left, top, right, bottom = x0 == 0, y0 == 0, x1 == w, y1 == h
    return (left or top or right or bottom) and not (left and right or top and bottom)


def _grey_path(x: np.ndarray, original: np.ndarray) -> Trace:
    """Tiny grey-level inputs: stretch between paper and ink, no threshold, smooth upscaling."""
    lum = _luminance(x).astype(np.float64)
    h, w = lum.shape
    empty = np.zeros((h, w), bool)
    _, dark_ink = paper_polarity(lum)
    bright = 1.0 - lum if dark_ink else lum
    g = bright - _paper_side(_border_values(bright))[0]  # strokes cut by the frame: the border's paper side
    peak = float(np.max(g))
    noise = float(np.std(g[g < 0.5 * peak])) if (g < 0.5 * peak).any() else 0.0
    zero = np.zeros((MNIST_SIZE, MNIST_SIZE), np.uint8)
    if peak < 0.1 or peak < _MIN_SNR * noise or (g > 0.5 * peak).sum() < 2:
        return Trace(original, 1, empty, empty, None, zero, dark_ink, "grey",
                     f"no ink found in image (blank or near-blank: ink contrast {peak:.3f} in a {h}x{w} image)")
    v = np.clip(g / peak, 0.0, 1.0)
    v[v < 0.1] = 0.0
    box = _bbox(v > 0)
    x0, y0, x1, y1 = box
    out = _to_box(v[y0:y1, x0:x1], stroke=False)
    return Trace(original, 1, v > 0.5, empty, box, out, dark_ink, "grey", None)

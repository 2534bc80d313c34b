"""Ink strength: a pixel's distance from the local paper colour, in luminance (and in colour where needed)."""

from __future__ import annotations

import numpy as np

from .components import _block_any, _block_expand
from .decode import _LUMA, _luminance
from .filters import _bbox, _box_blur, _rank, _resize, _spread
from .polarity import _border_surface, _border_values, _brighter_ink

_THUMB_MAX = 64  # longer side of the paper-colour thumbnail
_FILLS = 0.8  # ink spanning this fraction of the frame: a tight crop, thick strokes possible
_FILL_SHARE = 0.12  # ... and covering this share of its pixels (thick strokes; a photo's shadows and lines cover less)
_PAGE_MIN = 64  # the light's plane is tried in photos of a page (both sides this long), not in digit-sized crops
_LOCAL = 0.1  # the opening's width (share of the image) with local=True
_TWO_LEVEL = 0.08  # a tight crop whose paper varies under this fraction of the ink's contrast: one paper colour,
_FLAT_CONTRAST = 0.45  # ... if its ink is this far from the paper (a shadow's step across a page is less)
_MIXED = 0.1  # a border this noisy (median absolute deviation, as an SD) may be paper and ink: strokes cut by the frame
_INK_SHARE = 0.005  # the ink's share of an image's pixels, for telling whether it differs by colour (_by_colour)
_LUMINANCE_SHARE = 0.25  # ... it does when its luminance step is under this share of its strength
_TWO_CLASSES = 0.06  # ... when its fainter class's spread is under this share of the step to the other (refused
# tight crops in realworld/tight-crop and grey16: 0.004-0.045, one at 0.12; a 47-px crop of ruled paper: 0.079)


def _paper_colour(x: np.ndarray, fraction: float, *, plane: bool = False) -> np.ndarray:
    """Smooth local paper colour of an ink-bright (ink > paper) working image, per channel.

    A grey-level opening (minimum then maximum filter ``fraction`` of the image
    wide) of a 64-px thumbnail removes every bright structure narrower than the
    filter -- the ink -- and keeps the light and shadows; it is blurred and
    scaled back up.  With ``plane``, the filters work on the thumbnail less a
    plane fitted to its border (:func:`~.polarity._border_surface`), added back
    after: filters that replicate the edge flatten a lighting gradient there.
    """
    return _upsize(_smooth_paper(_thumbnail(x), fraction, plane), x.shape)


def _thumbnail(x: np.ndarray) -> np.ndarray:
    """``x`` box-reduced to a longer side of at most ``_THUMB_MAX`` px (float32, channels kept)."""
    from PIL import Image

    h, w, c = x.shape
    f = max(1.0, max(h, w) / _THUMB_MAX)
    th, tw = max(1, round(h / f)), max(1, round(w / f))
    if (th, tw) == (h, w):
        return x.astype(np.float32, copy=False)
    return np.dstack([_resize(x[..., ch], (tw, th), Image.Resampling.BOX) for ch in range(c)])


def _upsize(t: np.ndarray, shape: tuple) -> np.ndarray:
    """A smooth (th, tw, c) thumbnail scaled back up (bilinear) to ``shape``'s height and width."""
    from PIL import Image

    h, w = shape[:2]
    if t.shape[:2] == (h, w):
        return t
    return np.dstack([_resize(t[..., ch], (w, h), Image.Resampling.BILINEAR) for ch in range(t.shape[-1])])


def _smooth_paper(thumbs: np.ndarray, fraction: float, plane: bool, sign: np.ndarray | None = None) -> np.ndarray:
    """The paper colour of a thumbnail (see :func:`_paper_colour`), same shape.

    ``sign``: the thumbnail's :func:`_ink_signs`, when already known.
    """
    th, tw, c = thumbs.shape
    k = max(5, int(fraction * max(th, tw)) | 1)
    planes = np.ascontiguousarray(thumbs.transpose(2, 0, 1))  # channels first: the filters run along rows
    base = np.stack([_border_surface(p) for p in planes]) if plane else np.float32(0.0)
    sign = _ink_signs(thumbs) if sign is None else sign
    opened = sign * _rank(_rank(sign * (planes - base), k, np.min), k, np.max)
    return (_box_blur(_box_blur(opened, k // 2), k // 2) + base).transpose(1, 2, 0)


def _ink_signs(thumbs: np.ndarray) -> np.ndarray:
    """Per channel of an ink-bright thumbnail, (c, 1, 1) float32: 1 where the ink is brighter than the paper,
    -1 where darker.

    An opening removes bright ink; a colour channel where this ink is darker
    than the paper (e.g. blue in blue ink) takes a closing, done as the
    opening of the negated channel (all channels in one pass: speed).
    """
    c = thumbs.shape[-1]
    return np.array([1.0 if c == 1 or _brighter_ink(thumbs[..., ch]) else -1.0 for ch in range(c)],
                    np.float32)[:, None, None]


def _ink_strength(x: np.ndarray, *, local: bool = False) -> np.ndarray:
    """Ink strength of an ink-bright working image: luminance step towards the ink, plus the colour distance
    where the ink differs from the paper mainly in colour (:func:`_by_colour`).

    A tight crop on one paper colour (a scan or a crop of a marker digit, see
    :func:`_flat_paper`) is measured from that colour: no opening finds the
    paper under a stroke or filled loop as wide as the frame (it hollowed
    them: a marker "6" read as 5; ``realworld/tight-crop`` error 9.0 → 2.0 %).
    Otherwise the paper is a local estimate (opening 25 % of the image wide) that follows
    shadows.  In photos of a page (both sides at least ``_PAGE_MIN``) it is made
    on the thumbnail twice, as it is and relative to the plane of the border's
    light (see :func:`_paper_colour`), and the one that leaves the border
    (paper) less noisy is kept: the plane takes a lighting gradient out
    (without it, a dim photo kept up to 0.06 of false ink along its bright
    edge, and faint digits were lost in that "noise"); a shadow is no plane,
    and a digit-sized crop's border is mostly ink.  Only when the ink spans
    ``_FILLS`` of the frame's height or width and covers ``_FILL_SHARE`` of
    its pixels (a tight crop, where a marker's strokes can be as wide as the
    opening) is the wider estimate (50 %) used
    near the ink, so thick strokes are not hollowed (:func:`_tight_crop`);
    elsewhere it would take a shadow's dark side for ink.

    ``local=True`` (the reader's last try on a page it found no digits in)
    uses neither one paper colour nor the wide estimate, and an opening
    ``_LOCAL`` of the image wide: half a page in a hard shadow is a two-level
    picture that :func:`_flat_paper` takes for a tight crop, and the shadow
    became ink.
    """
    thumbs = _thumbnail(x)
    flat = None if local else _flat_paper(thumbs)
    if flat is not None:
        return _near_strength(x, flat)[0]
    fraction = _LOCAL if local else 0.25
    sign = _ink_signs(thumbs)
    paper, plane = _smooth_paper(thumbs, fraction, False, sign), False
    if min(x.shape[:2]) >= _PAGE_MIN:  # the plane is the light's: judged on luminance
        tilted = _smooth_paper(thumbs, fraction, True, sign)
        noise = [_spread(_border_values(_strength(thumbs, p, False))) for p in (tilted, paper)]
        if noise[0] < noise[1]:
            paper, plane = tilted, True
    near_paper, colour = _near_strength(x, paper)  # follows shadows; hollows out thick strokes
    h, w = near_paper.shape
    strong = near_paper > 0.5 * float(near_paper.max())
    if local or not _tight_crop(strong):
        return near_paper  # a digit inside a larger frame: its strokes are far narrower than the opening
    wide = _strength(x, _upsize(_smooth_paper(thumbs, 0.5, plane, sign), x.shape), colour)  # keeps thick strokes whole
    g = int(np.ceil(max(h, w) / _THUMB_MAX))
    seed = _block_any(strong, g).astype(np.float32)
    near = _rank(seed, max(3, int(0.25 * max(seed.shape)) | 1), np.max) > 0  # within a stroke's reach of ink
    return np.where(_block_expand(near, g, (h, w)), wide, near_paper)


def _near_strength(x: np.ndarray, paper: np.ndarray) -> tuple[np.ndarray, bool]:
    """:func:`_strength` of ``x`` from a thumbnail's smooth ``paper`` colour scaled up to it (or from one
    paper colour, a ``(c,)`` vector), with the colour distance where the ink needs it, and whether it did.

    Whether the colour distance counts (:func:`_by_colour`) is decided at half
    the resolution; without it only the paper's luminance is scaled up, one
    channel rather than three (the luminance step is linear in the colours;
    speed).
    """
    one = paper.ndim == 1

    def scaled(shape):
        return paper if one else _upsize(paper, shape)

    if x.shape[-1] == 1:
        return _strength(x, scaled(x.shape), False), False
    half = x[::2, ::2]
    if _by_colour(*_steps(half, scaled(half.shape), True)):
        return _strength(x, scaled(x.shape), True), True
    level = _lum_of(np.minimum(paper, x.max(0).max(0)))  # the paper's luminance (thumbnail-sized)
    return np.maximum(_lum_of(x) - (level if one else _upsize(level[..., None], x.shape)[..., 0]), 0.0), False


def _lum_of(x: np.ndarray) -> np.ndarray:
    """Luminance of an (h, w, 3) image from its channel planes (no reduction along the 3-long axis: speed)."""
    return _LUMA[0] * x[..., 0] + _LUMA[1] * x[..., 1] + _LUMA[2] * x[..., 2]


def _by_colour(lum: np.ndarray, dist: np.ndarray) -> bool:
    """Whether ink differs from the paper mainly in colour, so that its colour distance must count.

    ``lum``, ``dist``: an image's luminance step and colour distance from
    the paper (:func:`_steps`).  The ink is taken as the strongest
    :data:`_INK_SHARE` of the pixels (luminance step plus colour distance);
    when the luminance step is under
    :data:`_LUMINANCE_SHARE` of that strength there (red ink on grey paper of
    the same lightness), the colour distance is added to it.  Otherwise
    luminance alone tells ink from paper, and the colour distance only adds
    what misleads: a JPEG's coarse, blocky colour (halos that thicken
    strokes and fill loops), the paper's colour noise (which hid small faint
    digits) and blue or red printed lines as strong as a pencil's grey.
    """
    both = lum + dist
    top = both >= np.quantile(both, 1.0 - _INK_SHARE)
    return float(np.median(lum[top])) < _LUMINANCE_SHARE * float(np.median(both[top]))


def _flat_paper(x: np.ndarray) -> np.ndarray | None:
    """The one paper colour (per channel) of a two-level picture, or None where the paper varies.

    Ink and paper are split at the luminance threshold that best separates
    them (Otsu's); the picture is two-level when the paper side's spread is
    under ``_TWO_LEVEL`` of the step from paper to ink.  A scan or tight crop
    of a marker digit is (spread 1-5 % of the contrast in
    ``realworld/tight-crop``); a photo's shadow or an empty page's texture is
    not (9-50 %).  No opening can find the paper inside a stroke as wide as
    the frame; one colour can.
    """
    lum = _luminance(x)
    ink = lum > _otsu(lum)
    if ink.all() or not _tight_crop(ink):
        return None
    paper, strokes = lum[~ink], lum[ink]
    level = float(np.median(paper))
    contrast = float(np.median(strokes)) - level
    if contrast < _FLAT_CONTRAST or _spread(paper) >= _TWO_LEVEL * contrast:
        return None
    return np.median(x[~ink], axis=0).astype(np.float32)


def _otsu(v: np.ndarray, bins: int = 64) -> float:
    """The threshold between two classes of ``v``'s values with the largest between-class variance (Otsu)."""
    lo, hi = float(v.min()), float(v.max())
    if hi - lo < 1e-6:
        return lo
    hist, edges = np.histogram(v, bins, (lo, hi))
    p = hist / hist.sum()
    centres = (edges[:-1] + edges[1:]) / 2
    w0, m0 = np.cumsum(p), np.cumsum(p * centres)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = np.nan_to_num((m0[-1] * w0 - m0) ** 2 / (w0 * (1.0 - w0)), nan=-1.0)
    best = np.flatnonzero(between >= between.max() * (1 - 1e-6))  # an empty stretch between the classes:
    return float(edges[int(best[len(best) // 2]) + 1])  # its middle


def _tight_crop(strong: np.ndarray) -> bool:
    """Whether the strong ink spans ``_FILLS`` of the frame's height or width and covers ``_FILL_SHARE`` of it.

    Both hold in a tight crop of thick strokes (its strong ink covered 10-65 %
    of the pixels in ``realworld/tight-crop``).  In photos, a shadow's edge or
    ruling lines often span the frame too, but cover a few per cent: there the
    wide estimate took the shadow's dark side and the space between close
    strokes for ink (digits read as blobs).
    """
    box = _bbox(strong)
    if box is None or (box[3] - box[1] < _FILLS * strong.shape[0] and box[2] - box[0] < _FILLS * strong.shape[1]):
        return False
    return float(strong.mean()) >= _FILL_SHARE


def _strength(x: np.ndarray, paper: np.ndarray, colour: bool = True) -> np.ndarray:
    """Luminance step above ``paper``, plus (``colour``) the colour distance from it.

    Works on channel planes: numpy reduces slowly along a length-3 axis (and
    ``x.max(axis=(0, 1))`` took 4.5 ms on a 350×500 image, ``x.max(0).max(0)`` 0.06 ms).
    """
    lum, dist = _steps(x, paper, colour)
    return lum if dist is None else lum + dist


def _steps(x: np.ndarray, paper: np.ndarray, colour: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """The luminance step above ``paper`` (at least 0) and the colour distance from it (``None`` for a grey
    image, or without ``colour``)."""
    r = x - np.minimum(paper, x.max(0).max(0))
    if x.shape[-1] == 1:
        return np.maximum(r[..., 0], 0.0), None
    lum = np.maximum(_lum_of(r), 0.0)
    if not colour:
        return lum, None
    r0, r1, r2 = r[..., 0], r[..., 1], r[..., 2]
    m = (r0 + r1 + r2) / 3.0
    return lum, np.sqrt(((r0 - m) ** 2 + (r1 - m) ** 2 + (r2 - m) ** 2) * 1.5)


def _paper_stats(s: np.ndarray) -> tuple[float, float]:
    """The paper's ink strength and noise: median and median absolute deviation of the image border
    (its paper side, :func:`_paper_side`)."""
    level, spread = _paper_side(_border_values(s))
    return level, max(spread, 0.004)


def _paper_side(border: np.ndarray) -> tuple[float, float]:
    """Median and spread of the paper in ``border`` (ink-bright values): all of it, or its fainter class.

    A tight crop's thick strokes can run out of the frame on every side and
    cover half the border; its median then lies between paper and ink and its
    spread is the step between them (a marker "4" refused: "no pixel stands
    out").  A border that noisy (``_MIXED``) is split in two (Otsu's
    threshold); when it is two-level (the fainter class's spread under
    ``_TWO_CLASSES`` of the step to the other) the fainter class is the
    paper.  A merely noisy border stays as it is.
    """
    level = float(np.median(border))
    spread = _spread(border, level)
    if spread < _MIXED:
        return level, spread
    low = border <= _otsu(border)
    paper_level = float(np.median(border[low]))
    paper_spread = _spread(border[low], paper_level)
    if paper_spread >= _TWO_CLASSES * (float(np.median(border[~low])) - paper_level):
        return level, spread
    return paper_level, paper_spread


"""Step 1 of reading: the ink of a whole line, with the single-digit preprocessing steps.

The image is reduced to at most :data:`WORK_MAX` pixels on its longer side,
its polarity, paper colour and ink strength found like a single digit's
(:mod:`handdigits.preprocess`); hysteresis keeps the faint parts of strokes
connected to clear ink, and printed ruling and grid lines (faint ones too) are
removed where no stroke crosses them (:func:`_lines_by_axis`) and where the ink on
them is no stronger than their print (:func:`_line_ink_threshold`), the paper's
level and noise then measured without them.
"""

from __future__ import annotations

import numpy as np

from .. import preprocess as _pre
from ..preprocess.filters import _spread
from .line import _blank, components

WORK_MAX = 640  # longer side of the working image
_LEVEL_SAMPLE = 40_000  # the paper's level and noise from at most about this many pixels
_USUAL = (0.9, 0.4, 0.2)  # the ink's level (quantile of what stands out), strong and weak thresholds' share of it
_STRICT = (0.97, 0.5, 0.35)  # ... when the usual ones found only shadows (see _ink_of)
_STRICT_CONTRAST = 0.3  # the strict thresholds' ink must stand out this far (a shadow's edge on an empty page less)
_LOCAL_CONTRAST, _LOCAL_SNR = 0.1, 5.0  # ink on the local paper estimate must stand out this far and x noise
_LONE_COVER = 0.75  # a single horizontal line needs this share of the width (half is enough with others)
_ON_PERIOD_COVER = 0.5  # a line on the period of three or more found ones needs this share of their cover


def _working(a: np.ndarray) -> tuple[np.ndarray, int]:
    """``a`` reduced (integer box filter) to at most :data:`WORK_MAX` px, float32 (h, w, 1|3) in [0, 1].

    The single-digit path works at a smaller size (``preprocess.WORK_MAX``); a
    line of digits needs more pixels per digit, so the reduction is done here
    with the same steps (:func:`handdigits.preprocess._reduce`, alpha
    composited over the paper).
    """
    if a.ndim == 2:
        a = a[..., None]
    h, w = a.shape[:2]
    f = int(np.ceil(max(h, w) / WORK_MAX))
    off, scale = _pre._scale_of(a[..., :3] if a.shape[-1] == 4 else a)
    x = _pre._reduce(a, f) if f > 1 else a.astype(np.float32)
    alpha = None
    if x.shape[-1] == 4:
        ascale = 255.0 if a.dtype == np.uint8 else max(1.0, float(x[..., 3].max()))
        alpha = np.clip(x[..., 3] / ascale, 0.0, 1.0)
        x = x[..., :3]
    x = np.clip((x - off) / scale, 0.0, 1.0)
    if x.shape[-1] == 3 and _colour_spread(x[::3, ::3]) < 1.5 / 255:  # grey (sampled: speed)
        x = x[..., :1]
    if alpha is not None and float(alpha.max() - alpha.min()) > 1e-3:
        opaque = alpha > 0.5
        lum = _pre._luminance(x)
        paper = 1.0 if (float(lum[opaque].mean()) < 0.5 if opaque.any() else True) else 0.0
        x = alpha[..., None] * x + (1.0 - alpha[..., None]) * paper
    return x, f


def _colour_spread(x: np.ndarray) -> float:
    """The largest difference between two channels of any pixel of an (h, w, 3) image.

    From the channel planes: ``np.ptp(x, axis=-1)`` reduces along the short
    axis and took 1 ms on a 640×480 page sampled every third pixel.
    """
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    return float(max(np.abs(r - g).max(), np.abs(g - b).max(), np.abs(r - b).max()))


def _ink(a: np.ndarray, *, strict: bool = False, local: bool = False):
    """Ink of the whole line with the single-digit steps: ``(v, fg, f)``.

    ``v``: ink strength stretched to [0, 1] (white ink on black); ``fg``: the ink
    mask (ruling lines removed); ``f``: input pixels per working pixel.
    ``strict``: thresholds from the strongest ink (see :func:`_ink_of`);
    ``local``: the paper estimated more locally (``preprocess`` ink strength with
    ``local=True``), for ink at least :data:`_LOCAL_CONTRAST` above it and
    :data:`_LOCAL_SNR` times its noise.
    Raises :class:`handdigits.preprocess.BlankImageError` like ``to_mnist``.
    """
    x, f = _working(a)
    h, w = x.shape[:2]
    if max(h, w) < _pre.TINY:
        raise _pre.BlankImageError(
            f"no ink found in image (blank or near-blank: a {h}x{w} image is too small to hold a number)")
    _, dark_ink = _pre.paper_polarity(_pre._luminance(x))
    try:
        return _ink_of(1.0 - x if dark_ink else x, f, strict, local)
    except _pre.BlankImageError:
        # a shadow over the border can fool the polarity test: the other polarity, if it finds ink
        try:
            return _ink_of(x if dark_ink else 1.0 - x, f, strict, local)
        except _pre.BlankImageError:
            pass
        raise


def _ink_of(x: np.ndarray, f: int, strict: bool = False, local: bool = False):
    """:func:`_ink` for a working image with bright ink.

    The ink threshold is set from the level of the pixels that stand out from
    the paper (their 90th percentile), the weaker threshold of the hysteresis
    from a fifth of it.  ``strict`` sets both from their 97th percentile and
    higher: where a hard shadow edge stands out over much of a photo, the
    first thresholds take the shadow with the digits into one blob.
    """
    h, w = x.shape[:2]
    s = _pre._ink_strength(x, local=local)
    # the paper's ink strength, level and noise, from the whole image: ink covers a small part of a
    # photographed line, and the border alone can be half in a shadow (the paper colour follows it)
    med, sd = _paper_level(s)
    loose = s > med + 3.0 * sd
    # not find_rulings: it takes a long stroke of one digit in a line for a ruling.  Faint lines are looked for
    # too: on small squared paper the grid is so dense that it raises the paper's median and noise
    # (the faint lines' bands also take the pixels of ``loose`` in them: where the faint mask merges a line with
    # the paper's noise, its runs are too long to be removed, and the line stayed as ink beside the digits)
    across, down = (a | b for a, b in zip(_lines_by_axis(loose), _lines_by_axis(s > med + 0.5 * sd, also=loose)))
    rulings = across | down
    removed = None
    if rulings.any():
        pen = s > _line_ink_threshold(s, rulings, loose, sd)  # a pen darker than the printed lines stays, even on one
        rulings &= ~pen
        across, down = (_pre._grow(lines & ~pen) & ~pen for lines in (across, down))
        removed = across | down
    if removed is not None:
        # printed lines over much of the page inflate the noise estimate: the paper's level without them
        med, sd = _paper_level(s[~removed])
        s0 = s
        s = np.where(removed, med, s)
        loose = (s > med + 3.0 * sd) & ~rulings
    if not loose.any():
        raise _blank("no pixel stands out from the background")
    quantile, strong_share, weak_share = _STRICT if strict else _USUAL
    top = float(np.quantile(s[loose], quantile))
    t = max(med + 4.0 * sd, med + strong_share * (top - med))
    # hysteresis: faint parts of a stroke (thin pens, blur) are kept when connected to clear ink
    weak = s > max(med + 3.0 * sd, med + weak_share * (top - med))
    labels, n = components(weak)
    strong = np.zeros(n + 1, bool)
    strong[labels[s > t] + 1] = True
    strong[0] = False
    fg = strong[labels + 1]
    if removed is not None:  # reconnect strokes cut where they cross a removed line: ink on both sides of it
        # (above and below a horizontal line, left and right of a vertical one: not along the line, which bridged
        # two digits on either side of a gap in a line)
        gap = across & _near(fg, 4, +1) & _near(fg, 4, -1) | down & (_near(fg.T, 4, +1) & _near(fg.T, 4, -1)).T
        fg |= gap
        s = np.where(gap, s0, s)
    if not fg.any() or fg.all():
        raise _blank("no pixel stands out from the background")
    ink_level = float(np.median(s[fg]))
    contrast = ink_level - med
    least = max(_pre._MIN_CONTRAST, _STRICT_CONTRAST if strict else 0.0, _LOCAL_CONTRAST if local else 0.0)
    snr = _LOCAL_SNR if local else _pre._MIN_SNR
    if contrast < least or contrast < snr * sd:
        raise _blank(f"ink contrast {contrast:.3f} (need >= {least:g} and >= {snr:g} x noise {sd:.3f})")
    lo = min(med + 2.0 * sd, t)
    hi = max(ink_level, lo + 1e-6)
    v = np.clip((s - lo) / (hi - lo), 0.0, 1.0)
    return v, fg, f


def _line_ink_threshold(s: np.ndarray, rulings: np.ndarray, loose: np.ndarray, sd: float) -> float:
    """Ink strength above which a pixel on a printed line is pen ink, not the line (``inf``: none is).

    Pen ink covers a printed line where a stroke crosses it or runs along it
    (a 1 drawn on a grid line), and pens are usually darker than the light
    print of rulings: the threshold is halfway from the line's core (the 90th
    percentile of its pixels) to the ink's strength (the 90th percentile off
    the lines).  When the two are closer than 4 times the paper's noise ``sd``
    (a pencil as faint as the lines), nothing on a line is taken for ink.
    """
    core = float(np.quantile(s[rulings], 0.9))
    off = s[loose & ~rulings]
    top = float(np.quantile(off, 0.9)) if off.size else core
    return 0.5 * (core + top) if top - core >= 4.0 * sd else np.inf


def _paper_level(s: np.ndarray) -> tuple[float, float]:
    """Median ink strength of the paper and its noise (a robust standard deviation, at least 0.004).

    Over more than :data:`_LEVEL_SAMPLE` values, from every k-th of them (a
    regular sample: two medians of a 640×480 page took 2.8 ms).
    """
    s = np.ravel(s)
    if s.size > _LEVEL_SAMPLE:
        s = s[:: -(-s.size // _LEVEL_SAMPLE)]
    med = float(np.median(s))
    return med, max(_spread(s, med), 0.004)


def _lines_by_axis(mask: np.ndarray, also: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pixels of printed horizontal and of vertical ruling and grid lines in an ink mask (two bool masks).

    A horizontal line is a band of rows (after undoing a tilt of up to ±2.5°)
    covering at least half the image width; vertical lines count only as a
    grid (three or more bands covering 70 % of the height, and half of it
    counting positions rather than pixels, :func:`_coverage`), so the stems of
    tall 1s are not taken for one.  Only pixels whose run across the line is
    short (at most the band's thickness + 2 px) are removed: strokes crossing a
    line are kept.  Once three or more lines of one direction are found, lines
    on their period need only half the cover (digits written on a line hide
    part of it).  (:func:`handdigits.preprocess.find_rulings` looks for lines
    around one digit; a line of several digits covers more of the page.)
    ``also``: a second mask whose pixels in the lines found are removed too,
    their runs measured in it.
    """
    out = [np.zeros_like(mask), np.zeros_like(mask)]
    vertical, horizontal = _pre._run_lengths(mask), _pre._run_lengths(mask.T)  # each pixel's runs, both ways
    for axis, cover, min_bands in ((0, 0.5, 1), (1, 0.7, 3)):
        m = mask if axis == 0 else mask.T
        found = np.zeros_like(m)
        h, w = m.shape
        runs, along = (vertical, horizontal.T) if axis == 0 else (horizontal, vertical.T)
        # only thin pixels of long runs vote for a line, so dense writing does not look like one
        ys, xs = np.nonzero(m & (along >= max(8, 0.03 * w)) & (runs <= max(6, 0.02 * h)))
        if ys.size < cover * w:
            continue
        tilt, offset, bins, counts = _pre.best_tilt(ys, xs, h, w)
        pair = counts + np.concatenate([counts[1:], [0]])  # a line's pixels may fall into two neighbouring bins
        lines = np.maximum(counts, pair) >= cover * w
        covered = _coverage(bins, xs, len(counts), w) if axis == 1 else None
        if axis == 1:  # a grid line also spans half the height: three tall strokes (the stems of "111") are no grid
            lines &= covered >= 0.5 * w
        lines |= np.convolve(lines, [1, 1, 1], mode="same").astype(bool) & (counts > 0.8 * cover * w)
        bands = _bands(lines, h)
        if len(bands) == 1 and _span(bins, xs, bands[0]) < _LONE_COVER * w:
            bands = []  # one line alone must run across most of the image: a 9's or 7's top bar in a small image
        if len(bands) < min_bands:
            continue
        period = _pre._period([0.5 * (s0 + e0) for s0, e0 in bands])
        if period is not None:  # ruled or squared paper: lines on its period count from a lower cover (digits on them)
            weak = np.maximum(counts, pair) >= _ON_PERIOD_COVER * cover * w
            if axis == 1:
                weak &= covered >= _ON_PERIOD_COVER * 0.5 * w
            weak &= ~np.convolve(lines, [1, 1, 1], mode="same").astype(bool)
            extra = _bands(weak, h)
            bands += [band for band, near in zip(extra, _pre._near_period([0.5 * sum(b) for b in extra], *period))
                      if near]
        widest = np.full(len(counts), -1)  # per bin: the longest run across its band that is removed (-1: no band)
        for s0, e0 in bands:
            widest[s0:e0] = (e0 - s0) + 2
        pairs = [(m, runs)]
        if also is not None:  # its runs across the lines, only once lines are found
            also_m = also if axis == 0 else also.T
            pairs.append((also_m, _pre._run_lengths(also_m)))
        for mm, rr in pairs:
            ys, xs = np.nonzero(mm)
            bins = np.rint(ys - tilt * xs).astype(np.int64) + offset
            sel = rr[ys, xs] <= widest[bins]
            found[ys[sel], xs[sel]] = True
        out[axis] = found if axis == 0 else found.T
    return out[0], out[1]


def _bands(lines: np.ndarray, h: int) -> list[tuple[int, int]]:
    """``(start, end)`` of the runs of True bins in ``lines`` that are thin enough for a printed line."""
    edges = np.diff(np.concatenate([[0], lines.astype(np.int8), [0]]))
    return [(s0, e0) for s0, e0 in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))
            if e0 - s0 <= max(4, 0.06 * h)]


def _span(bins: np.ndarray, xs: np.ndarray, band: tuple[int, int]) -> int:
    """How many positions along the line the pixels in ``band`` (bins ``start .. end - 1``) cover."""
    return int(np.unique(xs[(bins >= band[0]) & (bins < band[1])]).size)


def _coverage(bins: np.ndarray, xs: np.ndarray, n: int, w: int) -> np.ndarray:
    """How many of the ``w`` positions along a line each bin covers together with the next bin.

    Positions, not pixels: the pixels of a stroke several pixels thick fill
    two neighbouring bins at every position, so their count doubles the
    length it spans (three 1s over 40 % of the height counted 80 %).
    """
    seen = np.zeros((n + 1, w), bool)
    seen[bins, xs] = True
    return (seen[:n] | seen[1:]).sum(1)


def _near(mask: np.ndarray, k: int, direction: int) -> np.ndarray:
    """True where ``mask`` holds within ``k`` rows above (``direction=+1``) or below (``-1``)."""
    out = np.zeros_like(mask)
    h = mask.shape[0]
    for d in range(1, k + 1):
        if direction > 0:
            out[d:] |= mask[: h - d]
        else:
            out[: h - d] |= mask[d:]
    return out

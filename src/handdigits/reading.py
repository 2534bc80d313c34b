"""Read whole numbers: one line of handwritten digits -> ``"2024"``.

:meth:`handdigits.Classifier.read` calls :func:`read`.  The steps:

1. **Ink**: the first steps of the single-digit preprocessing
   (:mod:`handdigits.preprocess`: polarity from the paper, local paper colour
   removed, ink strength with colour, the same blank-image tests) at a working
   resolution of at most :data:`WORK_MAX` pixels on the longer side;
   hysteresis keeps the faint parts of strokes connected to clear ink;
   printed ruling and grid lines are removed where no stroke crosses them.
2. **Components**: 8-connected components of the ink (:func:`components`, a
   run-length labelling); shadows and page edges (filled blobs at the border)
   and specks are dropped.  The line height ``H`` is the median height of the
   tall components.
3. **Fragments**: small components (a 5's detached top, the bar of a 7) are
   attached to the component they overlap most horizontally.
4. **Over-segmentation**: components wider than ``0.75 H`` may hold touching
   digits.  Cut columns are the minima of their column ink profile taken
   along the writing's slant (the shear in ``[-0.45, 0.45]`` that makes the
   profile sharpest); each cut then bends row by row to cross as little ink
   as it can (a drop-fall style least-ink path, by dynamic programming).
   This gives a left-to-right sequence of *atoms*.
5. **Candidates**: every run of consecutive atoms that is at most
   :data:`MAX_WIDTH` line heights wide is a candidate digit.  Each is cropped
   from the ink and converted to MNIST format like a single digit (stroke
   width normalised, size-normalised into 20×20, centred by centre of mass);
   all candidates of an image (of all images, for :func:`read_batch`) are
   classified in **one batched call**.
6. **Decoding**: dynamic programming over the atom boundaries picks the
   split into digits with the highest total log-probability, with costs for
   joining separate components (small when they overlap horizontally, large
   across a gap), for candidates much narrower than a digit that are not read
   as 1, and for candidates shorter than about half the line (see
   :func:`_run_cost`).  With ``expected_length`` the DP keeps only splits into
   exactly that many digits; with ``max_digits`` at most that many.

*Why candidate cuts + DP rather than a sliding window*: the cuts follow the
ink (touching digits meet at thin junctions, which are minima of the column
profile), so a handful of candidates per touching group is enough and the
exact DP over them is cheap (atoms × candidates per atom × digits); a sliding
window needs many more classifier calls at every scale and still has to decide
where digits end.

Boxes are reported in input pixels ``(x0, y0, x1, y1)`` (``x1``, ``y1``
exclusive).  An image with no ink raises
:class:`handdigits.preprocess.BlankImageError` (a ``ValueError``, "no ink
found ...") like :meth:`~handdigits.Classifier.predict`.

>>> from handdigits import Classifier
>>> reading = Classifier().read("meter.jpg")        # doctest: +SKIP
>>> reading.text, reading.confidence                # doctest: +SKIP
('2024', 0.991)
>>> reading.digits[0].box                           # doctest: +SKIP
(112, 40, 171, 131)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import preprocess as _pre
from .validation import check_images, check_int, describe

WORK_MAX = 640  # longer side of the working image
MAX_RUN = 8  # at most this many atoms make one digit
MAX_WIDTH = 1.6  # candidates wider than this many line heights are not tried
_SPECK = 0.2  # components shorter than this share of the line height (and small) are noise
_FRAGMENT = 0.55  # components shorter than this share of the line height are parts of a digit
_CUT_WIDTH = 0.75  # components wider than this many line heights get candidate cuts
_JOIN_COST = 0.3  # cost of reading two overlapping components as one digit
_GAP_COST = 10.0  # ... plus this per line height of gap between them (plus 2)
_NARROW = 0.5  # candidates narrower than this many typical digit widths, not read as 1, pay _NARROW_PENALTY
_NARROW_PENALTY = 3.0
_SMALL_PENALTY = 4.0  # cost of a candidate shorter than _FRAGMENT line heights
_SKIP_COST = 1.5  # cost of dropping a fragment as noise (per fragment-height share)


@dataclass(frozen=True)
class DigitReading:
    """One digit of a :class:`Reading`.

    Attributes:
        digit: 0-9.
        box: ``(x0, y0, x1, y1)`` of the digit's ink in input pixels (``x1``, ``y1`` exclusive).
        probabilities: float ``(10,)`` probabilities of the classifier for this segment.
        confidence: the probability of ``digit``.
    """

    digit: int
    box: tuple[int, int, int, int]
    probabilities: np.ndarray
    confidence: float

    def to_dict(self) -> dict:
        return {"digit": self.digit, "box": list(self.box), "confidence": round(self.confidence, 6),
                "probabilities": [round(float(p), 6) for p in self.probabilities]}


@dataclass(frozen=True)
class Reading:
    """The number read from one image.

    Attributes:
        text: the digits in reading order, e.g. ``"2024"`` (leading zeros kept).
        digits: one :class:`DigitReading` per character of ``text``.
        confidence: the product of the digits' confidences (the probability that
            every digit is right, if the segmentation is).
    """

    text: str
    digits: tuple[DigitReading, ...]
    confidence: float

    def __str__(self) -> str:
        return self.text

    def __len__(self) -> int:
        return len(self.digits)

    def to_dict(self) -> dict:
        """A JSON-friendly dict: ``{"text", "confidence", "digits": [{"digit", "box", "confidence", "probabilities"}]}``."""
        return {"text": self.text, "confidence": round(self.confidence, 6),
                "digits": [d.to_dict() for d in self.digits]}


def read(classifier, image, *, max_digits: int | None = None, expected_length: int | None = None) -> Reading:
    """Read the number in one image with ``classifier`` (see :meth:`handdigits.Classifier.read`)."""
    images, single = check_images(image)
    if not single:
        raise ValueError(f"read takes one image, got {_count(images)} images; use read_batch for several")
    return read_batch(classifier, images, max_digits=max_digits, expected_length=expected_length, _single=True)[0]


def read_batch(classifier, images, *, max_digits: int | None = None, expected_length: int | None = None,
               _single: bool = False) -> list[Reading]:
    """Read one number per image; all candidates of all images are classified in one batched call.

    Errors name the image (``image 3 of 10: no ink found ...``).
    """
    max_digits, expected_length = _check_lengths(max_digits, expected_length)
    if not _single:
        images, _ = check_images(images)
    plans, crops = [], []
    for i, a in enumerate(images):
        try:
            plan = _segment(np.asarray(a))
        except ValueError as exc:  # the same type (BlankImageError), naming the image in a batch
            raise type(exc)(exc.args[0] if _single else f"image {i} of {len(images)}: {exc}") from None
        plans.append((plan, len(crops)))
        crops.extend(plan.crops)
    proba = classifier.predict_proba(np.stack(crops), preprocess=False) if crops else np.zeros((0, 10))
    out = []
    for i, (plan, start) in enumerate(plans):
        try:
            out.append(_decode(plan, proba[start : start + len(plan.crops)], max_digits, expected_length))
        except ValueError as exc:
            raise type(exc)(exc.args[0] if _single else f"image {i} of {len(images)}: {exc}") from None
    return out


def _check_lengths(max_digits, expected_length):
    if max_digits is not None:
        max_digits = check_int(max_digits, "max_digits", low=1)
    if expected_length is not None:
        expected_length = check_int(expected_length, "expected_length", low=1)
        if max_digits is not None and expected_length > max_digits:
            raise ValueError(f"expected_length ({expected_length}) must be <= max_digits ({max_digits})")
    return max_digits, expected_length


def _count(images) -> str:
    return str(len(images)) if isinstance(images, list) else describe(images)


# --------------------------------------------------------------------------- segmentation


@dataclass
class _Plan:
    """Candidates of one image: atoms, the candidate runs and their MNIST crops."""

    n_atoms: int
    runs: list  # (i, j, width / H, height / H, box in input pixels)
    crops: list  # (28, 28) uint8 per run
    fragment: np.ndarray  # (n_atoms,) share of the line height for fragments, 0 for digit-sized atoms
    ref_width: float  # typical width of one digit in this line (line heights)


@dataclass
class _Run:
    """A candidate digit: atoms ``i`` to ``j - 1``."""

    i: int
    j: int
    width: float  # line heights
    height: float  # line heights
    box: tuple  # in input pixels
    joins: list  # (gap in line heights, or -overlap share; whether a fragment is involved) per joined component
    cuts: int  # how many of its two ends are cuts through ink


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
    if x.shape[-1] == 3 and np.ptp(x, axis=-1).max() < 1.5 / 255:
        x = x[..., :1]
    if alpha is not None and float(alpha.max() - alpha.min()) > 1e-3:
        opaque = alpha > 0.5
        lum = _pre._luminance(x)
        paper = 1.0 if (float(lum[opaque].mean()) < 0.5 if opaque.any() else True) else 0.0
        x = alpha[..., None] * x + (1.0 - alpha[..., None]) * paper
    return x, f


def _ink(a: np.ndarray):
    """Ink of the whole line with the single-digit steps: ``(v, fg, f)``.

    ``v``: ink strength stretched to [0, 1] (white ink on black); ``fg``: the ink
    mask (ruling lines removed); ``f``: input pixels per working pixel.
    Raises :class:`handdigits.preprocess.BlankImageError` like ``to_mnist``.
    """
    x, f = _working(a)
    h, w = x.shape[:2]
    if max(h, w) < _pre.TINY:
        raise _pre.BlankImageError(
            f"no ink found in image (blank or near-blank: a {h}x{w} image is too small to hold a number)")
    _, dark_ink = _pre.paper_polarity(_pre._luminance(x))
    try:
        return _ink_of(1.0 - x if dark_ink else x, f)
    except _pre.BlankImageError:
        # a shadow over the border can fool the polarity test: the other polarity, if it finds ink
        try:
            return _ink_of(x if dark_ink else 1.0 - x, f)
        except _pre.BlankImageError:
            pass
        raise


def _ink_of(x: np.ndarray, f: int):
    """:func:`_ink` for a working image with bright ink."""
    h, w = x.shape[:2]
    s = _pre._ink_strength(x)
    # the paper's ink strength, level and noise, from the whole image: ink covers a small part of a
    # photographed line, and the border alone can be half in a shadow (the paper colour follows it)
    med = float(np.median(s))
    sd = max(1.4826 * float(np.median(np.abs(s - med))), 0.004)
    loose = s > med + 3.0 * sd
    rulings = _long_lines(loose)  # not find_rulings: it takes a long stroke of one digit in a line for a ruling
    removed = _pre._grow(rulings) if rulings.any() else None
    if removed is not None:
        s0 = s
        s = np.where(removed, med, s)
        loose &= ~rulings
    if not loose.any():
        raise _blank("no pixel stands out from the background")
    top = float(np.quantile(s[loose], 0.9))
    t = max(med + 4.0 * sd, med + 0.4 * (top - med))
    # hysteresis: faint parts of a stroke (thin pens, blur) are kept when connected to clear ink
    weak = s > max(med + 3.0 * sd, med + 0.2 * (top - med))
    labels, n = components(weak)
    strong = np.zeros(n + 1, bool)
    strong[labels[s > t] + 1] = True
    strong[0] = False
    fg = strong[labels + 1]
    if removed is not None:  # reconnect strokes cut where they cross a removed line: ink above and below
        gap = removed & _near(fg, 4, +1) & _near(fg, 4, -1)
        fg |= gap
        s = np.where(gap, s0, s)
    if not fg.any() or fg.all():
        raise _blank("no pixel stands out from the background")
    ink_level = float(np.median(s[fg]))
    contrast = ink_level - med
    if contrast < _pre._MIN_CONTRAST or contrast < _pre._MIN_SNR * sd:
        raise _blank(f"ink contrast {contrast:.3f} (need >= {_pre._MIN_CONTRAST} and >= {_pre._MIN_SNR:g} x noise {sd:.3f})")
    lo = min(med + 2.0 * sd, t)
    hi = max(ink_level, lo + 1e-6)
    v = np.clip((s - lo) / (hi - lo), 0.0, 1.0)
    return v, fg, f


def _long_lines(mask: np.ndarray) -> np.ndarray:
    """Pixels of printed ruling and grid lines in an ink mask (bool, same shape).

    A horizontal line is a band of rows (after undoing a tilt of up to ±2.5°)
    covering at least half the image width; vertical lines count only as a
    grid (three or more bands covering 70 % of the height), so the stem of a
    tall "1" is not taken for one.  Only pixels whose run across the line is
    short (at most the band's thickness + 2 px) are removed: strokes crossing a
    line are kept.  (:func:`handdigits.preprocess.find_rulings` looks for lines
    around one digit; a line of several digits covers more of the page.)
    """
    out = np.zeros_like(mask)
    for axis, cover, min_bands in ((0, 0.5, 1), (1, 0.7, 3)):
        m = mask if axis == 0 else mask.T
        found = np.zeros_like(m)
        h, w = m.shape
        runs = _pre._run_lengths(m)
        along = _pre._run_lengths(m.T).T
        # only thin pixels of long runs vote for a line, so dense writing does not look like one
        ys, xs = np.nonzero(m & (along >= max(8, 0.03 * w)) & (runs <= max(6, 0.02 * h)))
        if ys.size < cover * w:
            continue
        tilt, offset, _, counts = _pre.best_tilt(ys, xs, h, w)
        pair = counts + np.concatenate([counts[1:], [0]])
        lines = np.maximum(counts, pair) >= cover * w
        lines |= np.convolve(lines, [1, 1, 1], mode="same").astype(bool) & (counts > 0.8 * cover * w)
        edges = np.diff(np.concatenate([[0], lines.astype(np.int8), [0]]))
        bands = [(s0, e0) for s0, e0 in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))
                 if e0 - s0 <= max(4, 0.06 * h)]
        if len(bands) < min_bands:
            continue
        ys, xs = np.nonzero(m)
        bins = np.rint(ys - tilt * xs).astype(np.int64) + offset
        for s0, e0 in bands:
            sel = (bins >= s0) & (bins < e0)
            sel &= runs[ys, xs] <= (e0 - s0) + 2
            found[ys[sel], xs[sel]] = True
        out |= found if axis == 0 else found.T
    return out


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


def _blank(reason: str) -> ValueError:
    return _pre.BlankImageError(f"no ink found in image (blank or near-blank: {reason})")


def components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected component labels of a boolean mask by run-length union-find: ``(labels, count)``.

    ``labels`` is int32 with -1 for background and 0..count-1 for the components,
    numbered in order of their first pixel (row-major).
    """
    h, w = mask.shape
    m = np.zeros((h, w + 2), np.int8)
    m[:, 1:-1] = mask
    dm = np.diff(m, axis=1)
    rs, cs = np.nonzero(dm == 1)
    _, ce = np.nonzero(dm == -1)  # same row order, one end per start
    n = len(rs)
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    row_start = np.searchsorted(rs, np.arange(h + 1))
    for r in range(1, h):
        a0, a1 = row_start[r - 1], row_start[r]
        b0, b1 = row_start[r], row_start[r + 1]
        i = a0
        for j in range(b0, b1):
            s, e = cs[j], ce[j]  # run covers [s, e)
            while i < a1 and ce[i] < s:  # previous-row runs ending before s - 1 cannot touch
                i += 1
            k = i
            while k < a1 and cs[k] <= e:  # 8-connected: [cs, ce) overlaps [s - 1, e + 1)
                ri, rj = find(k), find(j)
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
                k += 1
    roots = np.array([find(i) for i in range(n)], np.int64)
    uniq, ids = np.unique(roots, return_inverse=True)
    labels = np.full((h, w), -1, np.int32)
    for r_, s, e, lab in zip(rs, cs, ce, ids):
        labels[r_, s:e] = lab
    return labels, len(uniq)


def _slant(mask: np.ndarray) -> float:
    """The shear (x per y, about the centre row) that makes the column profile of the ink sharpest."""
    ys, xs = np.nonzero(mask)
    if len(ys) < 20:
        return 0.0
    yc = ys.mean()
    best, best_s = 0.0, -1.0
    for s in np.linspace(-0.45, 0.45, 19):
        cols = np.rint(xs - s * (ys - yc)).astype(np.int64)
        prof = np.bincount(cols - cols.min(), minlength=1).astype(np.float64)
        score = float((prof**2).sum())
        if score > best_s * (1 + 1e-9):
            best, best_s = float(s), score
    return best


def _segment(a: np.ndarray) -> _Plan:
    v, fg, f = _ink(a)
    h, w = fg.shape
    labels, n = components(fg)
    if n == 0:
        raise _blank("no ink component")
    idx = labels.ravel()
    on = idx >= 0
    yy, xx = np.divmod(np.flatnonzero(on), w)
    lab = idx[on]
    area = np.bincount(lab, minlength=n)
    y0 = np.full(n, h)
    np.minimum.at(y0, lab, yy)
    y1 = np.zeros(n, np.int64)
    np.maximum.at(y1, lab, yy + 1)
    x0 = np.full(n, w)
    np.minimum.at(x0, lab, xx)
    x1 = np.zeros(n, np.int64)
    np.maximum.at(x1, lab, xx + 1)
    hts = y1 - y0
    wds = x1 - x0
    # blobs over most of the image (a shadow's edge, a table edge) are not writing
    fill = area / np.maximum(wds * hts, 1)
    touches = (x0 == 0) | (y0 == 0) | (x1 == w) | (y1 == h)
    blob = (wds * hts > 0.5 * h * w) & (fill > 0.1) | touches & (fill > 0.45) & (area > 0.002 * h * w)
    blob |= ((x0 == 0) | (x1 == w)) & (wds <= 3) | ((y0 == 0) | (y1 == h)) & (hts <= 3)  # line ends at the edge
    area = np.where(blob, 0, area)
    if not area.any():
        raise _blank("only shadows and edges")
    # line height: median height of the components at least half as tall as the tallest sizeable one
    big = area >= 0.15 * area.max()
    tall = hts[big].max()
    H = float(np.median(hts[big & (hts >= 0.5 * tall)]))
    if H < max(4.0, _pre._MIN_EXTENT * max(h, w)):
        raise _blank(f"largest ink blob is only {int(H * f)} px tall in a {a.shape[0]}x{a.shape[1]} image")
    # the line: components near the main row of digits
    main = big & (hts >= 0.5 * tall)
    yc_main = np.median((y0[main] + y1[main]) / 2)
    keep = (hts >= _SPECK * H) | (area >= 0.05 * np.median(area[main]))
    keep &= ~((hts < 0.25 * H) & (wds > 1.5 * H))  # long thin marks: ruling, underlines
    keep &= (y1 > yc_main - 1.2 * H) & (y0 < yc_main + 1.2 * H)
    keep &= area >= 3
    keep &= area > 0
    comp = np.flatnonzero(keep)
    if len(comp) == 0:
        raise _blank("no ink component of digit size")

    # attach fragments to the component they overlap most (horizontally)
    frag = hts[comp] < _FRAGMENT * H
    owner = {int(c): int(c) for c in comp}
    whole = comp[~frag]
    for c in comp[frag]:
        best, best_ov = None, 0.0
        for b in whole:
            ov = min(x1[c], x1[b]) - max(x0[c], x0[b])
            gapv = max(y0[b] - y1[c], y0[c] - y1[b], 0)
            if ov > best_ov and gapv < 0.5 * H:
                best, best_ov = int(b), float(ov)
        if best is not None and best_ov >= 0.3 * wds[c]:
            owner[int(c)] = best

    # slant of the line and sheared column coordinates of every ink pixel
    s = _slant(np.isin(labels, whole) if len(whole) else fg)
    yc = yc_main
    sel = np.isin(lab, comp)
    py, px, pl = yy[sel], xx[sel], lab[sel]
    lut = np.arange(n)
    for c, o in owner.items():
        lut[c] = o
    po = lut[pl]
    pcol = px - s * (py - yc)

    # atoms: groups (a component with its fragments), cut at column-profile minima when wide
    atoms = []  # (pixel index array, is_fragment_height)
    groups = sorted(set(owner.values()), key=lambda g: np.median(pcol[po == g]))
    for g in groups:
        pix = np.flatnonzero(po == g)
        gh = (py[pix].max() - py[pix].min() + 1) / H
        cols = pcol[pix]
        c0, c1 = cols.min(), cols.max()
        width = c1 - c0 + 1
        cuts = _cuts(cols, c0, width, H) if width > _CUT_WIDTH * H and gh >= _FRAGMENT else []
        side = _split(py[pix], px[pix], cuts, s, yc, H) if cuts else np.zeros(len(pix), np.int64)
        for k in range(len(cuts) + 1):
            part = pix[side == k]
            if len(part):
                atoms.append((part, gh if gh < _FRAGMENT else 0.0, g))

    # what separates neighbouring atoms: a cut through ink, or a gap / overlap between components
    n_atoms = len(atoms)
    is_cut = np.zeros(n_atoms + 1, bool)
    gap = np.zeros(n_atoms + 1)  # horizontal gap (line heights) between components; < 0: they overlap
    spans = [(pcol[p].min(), pcol[p].max() + 1) for p, _, _ in atoms]
    for b in range(1, n_atoms):
        if atoms[b][2] == atoms[b - 1][2]:
            is_cut[b] = True
            continue
        (l0, r0), (l1, r1) = spans[b - 1], spans[b]
        ov = min(r0, r1) - max(l0, l1)  # > 0: overlap
        gap[b] = -ov / max(1.0, min(r0 - l0, r1 - l1)) if ov > 0 else -ov / H
    # candidate runs of atoms
    runs, crops = [], []
    for i in range(n_atoms):
        for j in range(i + 1, min(n_atoms, i + MAX_RUN) + 1):
            pix = np.concatenate([atoms[k][0] for k in range(i, j)])
            cols = pcol[pix]
            cw = (cols.max() - cols.min() + 1) / H
            if j - i > 1 and cw > MAX_WIDTH:
                break
            ry, rx = py[pix], px[pix]
            bx0, by0, bx1, by1 = rx.min(), ry.min(), rx.max() + 1, ry.max() + 1
            box = (int(np.floor(bx0 * f)), int(np.floor(by0 * f)),
                   min(a.shape[1], int(np.ceil(bx1 * f))), min(a.shape[0], int(np.ceil(by1 * f))))
            inner = range(i + 1, j)
            joins = [(gap[k], bool(atoms[k][1] or atoms[k - 1][1])) for k in inner if not is_cut[k]]
            runs.append(_Run(i, j, cw, (by1 - by0) / H, box, joins, int(is_cut[i]) + int(is_cut[j])))
            crops.append(_crop_to_mnist(v, fg, ry, rx))
    fragment = np.array([fr for _, fr, _ in atoms])
    widths = [r.width for r in runs if r.j - r.i == 1 and r.cuts == 0 and 0.3 <= r.width <= 1.0 and r.height >= 0.7]
    ref = float(np.clip(np.median(widths), 0.45, 0.8)) if widths else 0.55
    return _Plan(n_atoms, runs, crops, fragment, ref)


def _cuts(cols: np.ndarray, c0: float, width: float, H: float) -> list[float]:
    """Candidate cut columns (sheared coordinates) of a wide group: minima of its column ink profile."""
    b = np.floor(cols - c0).astype(np.int64)
    prof = np.bincount(b, minlength=int(width) + 1).astype(np.float64)
    k = max(1, int(round(0.04 * H)))
    sm = np.convolve(prof, np.ones(2 * k + 1) / (2 * k + 1), mode="same")
    margin = max(2, int(0.15 * H))
    cand = []
    for x in range(margin, len(sm) - margin):
        if sm[x] <= sm[x - 1] and sm[x] <= sm[x + 1]:
            cand.append((sm[x], x))
    cand.sort()
    chosen = []
    limit = max(1, int(width / (0.3 * H)))
    for val, x in cand:
        if all(abs(x - y) >= 0.25 * H for y in chosen):
            chosen.append(x)
        if len(chosen) >= limit:
            break
    return sorted(c0 + x + 0.5 for x in chosen)


def _split(ys: np.ndarray, xs: np.ndarray, cuts: list[float], slant: float, yc: float, H: float) -> np.ndarray:
    """Which piece (0 .. len(cuts)) each pixel of a group falls in, cut along least-ink paths.

    Each cut starts as the line of the writing's slant through its column; a
    dynamic programme over the rows then lets it bend (one pixel per row, at
    most ``0.25 H`` from that line) to cross as little ink as it can, like a
    drop-fall cut: touching digits are separated at their junction, and a
    digit nested under its neighbour's overhang is not sliced.
    """
    y0, x0 = ys.min(), xs.min() - 1
    gh, gw = ys.max() - y0 + 1, xs.max() - x0 + 2
    m = np.zeros((gh, gw + 1))
    m[ys - y0, xs - x0] = 1.0
    r = max(2.0, 0.25 * H)
    rows = np.arange(gh)[:, None] + y0
    grid = np.arange(gw + 1)[None, :] + x0
    paths = []
    for c in cuts:
        centre = np.clip(c + slant * (rows - yc), x0, x0 + gw)
        off = np.abs(grid - centre)
        cost = np.where(off <= r, m + 0.1 * off / r, np.inf)
        d = cost[0].copy()
        choice = np.zeros((gh, gw + 1), np.int8)
        for y in range(1, gh):
            left = np.concatenate([[np.inf], d[:-1]])
            right = np.concatenate([d[1:], [np.inf]])
            stack = np.stack([left + 0.02, d, right + 0.02])
            k = np.argmin(stack, axis=0)
            choice[y] = k
            d = stack[k, np.arange(gw + 1)] + cost[y]
        x = int(np.argmin(d))
        path = np.empty(gh, np.int64)
        for y in range(gh - 1, -1, -1):
            path[y] = x
            x = min(max(x + int(choice[y, x]) - 1, 0), gw)
        paths.append(path + x0)
    side = np.zeros(len(ys), np.int64)
    prev = None
    for path in paths:
        if prev is not None:
            path = np.maximum(path, prev)  # cuts never cross
        side += xs > path[ys - y0]
        prev = path
    return side


def _crop_to_mnist(v: np.ndarray, fg: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """The ink under pixels (ys, xs) (with its faint edges), converted to MNIST format like a single digit."""
    h, w = v.shape
    y0, y1 = max(0, ys.min() - 1), min(h, ys.max() + 2)
    x0, x1 = max(0, xs.min() - 1), min(w, xs.max() + 2)
    mask = np.zeros((y1 - y0, x1 - x0), np.float64)
    mask[ys - y0, xs - x0] = 1.0
    edge = _pre._rank(mask, 3, np.max) * ~fg[y0:y1, x0:x1]  # anti-aliased rim, not a neighbour's ink
    vv = v[y0:y1, x0:x1] * np.maximum(mask, edge)
    box = _pre._bbox(vv > 0.05)
    if box is None:
        return np.zeros((_pre.MNIST_SIZE, _pre.MNIST_SIZE), np.uint8)
    bx0, by0, bx1, by1 = box
    out = _pre._to_box(vv[by0:by1, bx0:bx1], stroke=True)
    return np.zeros((_pre.MNIST_SIZE, _pre.MNIST_SIZE), np.uint8) if out is None else out


# --------------------------------------------------------------------------- decoding


def _decode(plan: _Plan, proba: np.ndarray, max_digits, expected_length) -> Reading:
    """Best split of the atoms into digits (DP over atom boundaries and digit counts)."""
    A = plan.n_atoms
    K = A if max_digits is None else min(A, max_digits)
    if expected_length is not None:
        if expected_length > A:
            raise ValueError(
                f"cannot read {expected_length} digits: the ink splits into at most {A} parts; "
                "check expected_length or the image"
            )
        K = expected_length
    inf = np.inf
    cost = np.full((A + 1, K + 1), inf)
    back = {}
    cost[0, 0] = 0.0
    by_end = {}
    for r, run in enumerate(plan.runs):
        by_end.setdefault(run.j, []).append((run.i, r))
    for j in range(1, A + 1):
        # drop atom j-1 as noise (only fragments)
        if plan.fragment[j - 1] > 0:
            c = _SKIP_COST * plan.fragment[j - 1] / _FRAGMENT
            for k in range(K + 1):
                if cost[j - 1, k] + c < cost[j, k]:
                    cost[j, k] = cost[j - 1, k] + c
                    back[(j, k)] = (j - 1, k, None)
        for i, r in by_end.get(j, ()):
            c = _run_cost(plan.runs[r], proba[r], plan.ref_width)
            for k in range(1, K + 1):
                if cost[i, k - 1] + c < cost[j, k]:
                    cost[j, k] = cost[i, k - 1] + c
                    back[(j, k)] = (i, k - 1, r)
    if expected_length is not None:
        k = expected_length
        if not np.isfinite(cost[A, k]):
            raise ValueError(f"cannot read {expected_length} digits in this image; check expected_length")
    else:
        k = int(np.argmin(cost[A, 1:])) + 1
        if not np.isfinite(cost[A, k]):
            raise _blank("no digit-sized ink")
    chosen = []
    j = A
    while j > 0:
        i, k_prev, r = back[(j, k)]
        if r is not None:
            chosen.append(r)
        j, k = i, k_prev
    chosen.reverse()
    digits = []
    for r in chosen:
        p = proba[r].astype(np.float64)
        d = int(np.argmax(p))
        digits.append(DigitReading(d, plan.runs[r].box, proba[r].copy(), float(p[d])))
    conf = float(np.prod([dg.confidence for dg in digits])) if digits else 0.0
    return Reading("".join(str(dg.digit) for dg in digits), tuple(digits), conf)


def _run_cost(run: _Run, p: np.ndarray, ref_width: float) -> float:
    """Cost of reading ``run`` as one digit: -log p, plus penalties for joining components and odd shapes.

    The weights were chosen on generated numbers (``realworld/numbers``, seeds
    11 and 12): a cost per digit, a cost per cut through ink, and priors on a
    digit's width or aspect ratio did not improve the exact-read rate, so the
    classifier's own confidence decides between splits, except for the
    penalties below.
    """
    c = -float(np.log(max(float(p.max()), 1e-6)))
    for g, fragment in run.joins:
        if g <= -0.3:  # strokes overlapping horizontally (a 4 or a 7 in two strokes)
            c += _JOIN_COST
        elif fragment:
            c += _JOIN_COST + _GAP_COST * max(g, 0.0)
        else:
            c += _JOIN_COST + 2.0 + _GAP_COST * max(g, 0.0)
    narrow = _NARROW * ref_width
    if run.width < narrow and int(np.argmax(p)) != 1:  # a piece of a digit (only a 1 is that narrow)
        c += _NARROW_PENALTY * (1.0 - run.width / narrow)
    if run.height < _FRAGMENT:
        c += _SMALL_PENALTY
    return c

"""Steps 3-5 of reading: fragments, atoms (components cut at candidate cuts) and candidate digits.

:func:`_segment` turns one image into a :class:`_Plan`: a left-to-right
sequence of *atoms* and every run of consecutive atoms that may be one digit,
each converted to MNIST format for the classifier, and the runs that may be
two touching digits, cropped for the pair model (:mod:`~handdigits.reading.pairs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import preprocess as _pre
from . import pairs
from .cuts import _path_cuts, _slant_of, _split
from .ink import _ink
from .line import _boxes, _Components, _line, components

MAX_RUN = 8  # at most this many atoms make one digit
MAX_WIDTH = 1.6  # candidates wider than this many line heights are not tried
_FRAGMENT = 0.55  # components shorter than this share of the line height are parts of a digit
_RIM = 2  # pixels of faint edge kept around a candidate's ink (the single-digit path keeps 2)
_CUT_WIDTH = 0.6  # components wider than this many line heights get candidate cuts


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


@dataclass
class _Plan:
    """Candidates of one image: atoms, the candidate runs and their MNIST crops."""

    n_atoms: int
    runs: list  # _Run per candidate
    crops: list  # (28, 28) uint8 per run
    fragment: np.ndarray  # (n_atoms,) share of the line height for fragments, 0 for digit-sized atoms
    ref_width: float  # typical width of one digit in this line (line heights)
    pair_runs: list = field(default_factory=list)  # runs that may be two touching digits (pairs.is_candidate) ...
    pair_crops: list = field(default_factory=list)  # ... and their (28, 48) uint8 crops for the pair model


@dataclass
class _Atoms:
    """The line's ink pixels (``py``, ``px``; ``pcol``: column along the slant) split into atoms."""

    py: np.ndarray
    px: np.ndarray
    pcol: np.ndarray
    pixels: list  # index array into py/px/pcol per atom, left to right
    fragment: np.ndarray  # (n,) share of the line height for fragment atoms, 0 for the others
    group: list  # the component group (owner) each atom comes from


def _segment(a: np.ndarray, *, with_pairs: bool = True) -> _Plan:
    """Atoms and candidate digits of one image (raises ``BlankImageError`` when it holds no ink).

    ``with_pairs=False`` leaves out the pair candidates (``pair_runs``, ``pair_crops``: nothing will read them).

    When the ink found holds nothing digit-sized (a hard shadow's edge taken
    into one blob with the digits, or a shadowed page's noise estimate too
    high), the stricter thresholds of :func:`~.ink._ink` are tried, then the
    usual ones on a more local paper estimate (``local``: half a page in a
    hard shadow passed for a two-level tight crop, the shadow for ink), before
    giving up with the first reason.
    """
    try:
        return _segment_ink(a, *_ink(a), with_pairs)
    except _pre.BlankImageError as usual:
        for retry in ({"strict": True}, {"local": True}):
            try:
                return _segment_ink(a, *_ink(a, **retry), with_pairs)
            except _pre.BlankImageError:
                pass
        raise usual from None


def _segment_ink(a: np.ndarray, v: np.ndarray, fg: np.ndarray, f: int, with_pairs: bool) -> _Plan:
    """:func:`_segment` with the ink found."""
    c = _boxes(*components(fg))  # _ink raises when fg holds no ink
    ids, H, yc = _line(c, f, a.shape, v)
    owner, whole = _attach_fragments(c, ids, H)
    atoms = _atoms(c, ids, owner, whole, H, yc)
    gap, is_cut = _separators(atoms, H)
    runs, pixels = _candidates(atoms, gap, is_cut, H, f, a.shape)
    widths = [r.width for r in runs if r.j - r.i == 1 and r.cuts == 0 and 0.3 <= r.width <= 1.0 and r.height >= 0.7]
    ref = float(np.clip(np.median(widths), 0.45, 0.8)) if widths else 0.55
    crops, pair_runs, pair_crops = [], [], []
    for r, (run, pix) in enumerate(zip(runs, pixels)):
        ink = _crop_ink(v, fg, atoms.py[pix], atoms.px[pix])
        crops.append(_pre._framed_ink(ink))  # MNIST format, like a single digit
        if with_pairs and pairs.is_candidate(run, ref):  # the same ink, in the pair model's frame
            pair_runs.append(r)
            pair_crops.append(pairs.pair_image(ink))
    return _Plan(len(atoms.pixels), runs, crops, atoms.fragment, ref, pair_runs, pair_crops)


def _attach_fragments(c: _Components, ids: np.ndarray, H: float) -> tuple[dict, np.ndarray]:
    """Owner of each component (small ones: the component they overlap most horizontally), and the whole ones."""
    frag = c.hts[ids] < _FRAGMENT * H
    owner = {int(k): int(k) for k in ids}
    whole = ids[~frag]
    for k in ids[frag]:
        best, best_ov = None, 0.0
        for b in whole:
            ov = min(c.x1[k], c.x1[b]) - max(c.x0[k], c.x0[b])
            gapv = max(c.y0[b] - c.y1[k], c.y0[k] - c.y1[b], 0)
            if ov > best_ov and gapv < 0.5 * H:
                best, best_ov = int(b), float(ov)
        if best is not None and best_ov >= 0.3 * c.wds[k]:
            owner[int(k)] = best
    return owner, whole


def _atoms(c: _Components, ids, owner: dict, whole, H: float, yc: float) -> _Atoms:
    """Component groups in reading order, wide ones cut along least-ink paths (:func:`~.cuts._path_cuts`)."""
    in_whole = np.zeros(c.n, bool)  # per component (a lookup: np.isin over every pixel took 0.8 ms)
    in_whole[whole] = True
    if not len(whole):
        in_whole[:] = True
    s = _slant_of(c.yy[in_whole[c.lab]], c.xx[in_whole[c.lab]])
    in_line = np.zeros(c.n, bool)
    in_line[ids] = True
    sel = in_line[c.lab]
    py, px = c.yy[sel], c.xx[sel]
    lut = np.arange(c.n)
    for k, o in owner.items():
        lut[k] = o
    po = lut[c.lab[sel]]
    pcol = px - s * (py - yc)
    groups = []  # (group, its pixels, its height in line heights, whether it is wide enough to cut)
    for g in sorted(set(owner.values()), key=lambda g: np.median(pcol[po == g])):
        pix = np.flatnonzero(po == g)
        gh = (py[pix].max() - py[pix].min() + 1) / H
        cols = pcol[pix]
        groups.append((g, pix, gh, cols.max() - cols.min() + 1 > _CUT_WIDTH * H and gh >= _FRAGMENT))
    cut = iter(_path_cuts([(py[pix], px[pix]) for _, pix, _, wide in groups if wide], H))
    pixels, fragment, group = [], [], []
    for g, pix, gh, wide in groups:
        paths = next(cut) if wide else []
        side = _split(py[pix], px[pix], paths) if paths else np.zeros(len(pix), np.int64)
        for k in range(len(paths) + 1):
            part = pix[side == k]
            if len(part):
                pixels.append(part)
                fragment.append(gh if gh < _FRAGMENT else 0.0)
                group.append(g)
    return _Atoms(py, px, pcol, pixels, np.array(fragment), group)


def _separators(atoms: _Atoms, H: float) -> tuple[np.ndarray, np.ndarray]:
    """What separates neighbouring atoms: ``(gap, is_cut)`` per boundary (``n_atoms + 1``).

    ``is_cut``: a cut through ink (both atoms come from one component group);
    ``gap``: the horizontal gap between the components in line heights, or
    minus their overlap as a share of the narrower one.
    """
    n = len(atoms.pixels)
    is_cut = np.zeros(n + 1, bool)
    gap = np.zeros(n + 1)
    spans = [(atoms.pcol[p].min(), atoms.pcol[p].max() + 1) for p in atoms.pixels]
    for b in range(1, n):
        if atoms.group[b] == atoms.group[b - 1]:
            is_cut[b] = True
            continue
        (l0, r0), (l1, r1) = spans[b - 1], spans[b]
        ov = min(r0, r1) - max(l0, l1)  # > 0: overlap
        gap[b] = -ov / max(1.0, min(r0 - l0, r1 - l1)) if ov > 0 else -ov / H
    return gap, is_cut


def _candidates(atoms: _Atoms, gap, is_cut, H: float, f: int, shape) -> tuple[list, list]:
    """Every run of at most :data:`MAX_RUN` atoms (at most :data:`MAX_WIDTH` line heights wide) and its pixels
    (indices into the atoms' ``py``, ``px``)."""
    n = len(atoms.pixels)
    runs, pixels = [], []
    for i in range(n):
        for j in range(i + 1, min(n, i + MAX_RUN) + 1):
            pix = np.concatenate(atoms.pixels[i:j])
            cols = atoms.pcol[pix]
            cw = (cols.max() - cols.min() + 1) / H
            if j - i > 1 and cw > MAX_WIDTH:
                break
            ry, rx = atoms.py[pix], atoms.px[pix]
            bx0, by0, bx1, by1 = rx.min(), ry.min(), rx.max() + 1, ry.max() + 1
            box = (int(np.floor(bx0 * f)), int(np.floor(by0 * f)),
                   min(shape[1], int(np.ceil(bx1 * f))), min(shape[0], int(np.ceil(by1 * f))))
            joins = [(gap[k], bool(atoms.fragment[k] or atoms.fragment[k - 1])) for k in range(i + 1, j) if not is_cut[k]]
            runs.append(_Run(i, j, cw, (by1 - by0) / H, box, joins, int(is_cut[i]) + int(is_cut[j])))
            pixels.append(pix)
    return runs, pixels


def _crop_ink(v: np.ndarray, fg: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """The ink strength under pixels (ys, xs) and their anti-aliased rim (not a neighbour's ink), in their box."""
    h, w = v.shape
    y0, y1 = max(0, ys.min() - _RIM), min(h, ys.max() + 1 + _RIM)
    x0, x1 = max(0, xs.min() - _RIM), min(w, xs.max() + 1 + _RIM)
    mask = np.zeros((y1 - y0, x1 - x0), bool)
    mask[ys - y0, xs - x0] = True
    rim = mask
    for _ in range(_RIM):
        rim = _pre._grow(rim)
    keep = mask | rim & ~fg[y0:y1, x0:x1]  # with its anti-aliased rim, not a neighbour's ink
    return np.where(keep, v[y0:y1, x0:x1], 0.0)

"""A small parametric pen: stroke geometry, a random "hand" that distorts it, and rendering.

Glyphs (digits, letters, shapes) are lists of *strokes*; a stroke is a float array
``(k, 2)`` of ``(x, y)`` points in a nominal unit box (``x`` right, ``y`` down,
the glyph's body spanning roughly ``y`` in [0, 1]).  The helpers here build strokes
(:func:`line`, :func:`arc`, :func:`bezier`, :func:`polyline`), distort them the way
a hand does (:func:`write`: slant, rotation, aspect, wobble, elastic warp) and draw
them with a round pen of varying pressure (:func:`render`) at a multiple of the
final resolution, so that resizing down anti-aliases them.

Everything takes a ``numpy.random.Generator`` and is deterministic given it.

Example:
    >>> import numpy as np
    >>> from handdigits.datasets.pen import line, render, write
    >>> rng = np.random.default_rng(0)
    >>> ink = render(write([line((0.5, 0.0), (0.5, 1.0))], rng), rng, size=20, supersample=4)
    >>> 76 <= ink.shape[0] <= 84, ink.dtype  # 20 px tall, drawn 4x larger
    (True, dtype('float32'))
"""

from __future__ import annotations

from math import comb

import numpy as np

Stroke = np.ndarray

SUPERSAMPLE = 4  #: :func:`render` draws this many times larger than the output resolution
STEP = 0.035  #: point spacing of generated strokes (unit-box units)


# --------------------------------------------------------------------------- geometry


def _n(length: float) -> int:
    return max(2, int(np.ceil(length / STEP)) + 1)


def line(p0, p1) -> Stroke:
    """A straight stroke from ``p0`` to ``p1``."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    t = np.linspace(0.0, 1.0, _n(float(np.hypot(*(p1 - p0)))))[:, None]
    return p0 + t * (p1 - p0)


def polyline(*points) -> Stroke:
    """Straight segments through ``points`` (sharp corners)."""
    parts = [line(a, b) for a, b in zip(points[:-1], points[1:])]
    return np.concatenate([parts[0]] + [p[1:] for p in parts[1:]])


def arc(centre, radii, start: float, end: float) -> Stroke:
    """An elliptic arc from angle ``start`` to ``end`` (degrees, 0 = right, 90 = down, so
    increasing angles turn clockwise on screen); ``radii`` is ``(rx, ry)`` or one number."""
    rx, ry = (radii, radii) if np.isscalar(radii) else radii
    span = np.radians(end - start)
    k = _n(abs(span) * max(rx, ry))
    a = np.radians(start) + np.linspace(0.0, span, k)
    return np.stack([centre[0] + rx * np.cos(a), centre[1] + ry * np.sin(a)], axis=1)


def bezier(*control) -> Stroke:
    """A Bézier curve (any degree) through its first and last control points."""
    c = np.asarray(control, float)
    d = len(c) - 1
    length = float(np.hypot(*np.diff(c, axis=0).T).sum())
    t = np.linspace(0.0, 1.0, _n(length))
    basis = np.stack([comb(d, i) * t**i * (1 - t) ** (d - i) for i in range(d + 1)], axis=1)
    return basis @ c


def join(*strokes: Stroke) -> Stroke:
    """Concatenate pieces drawn without lifting the pen."""
    return np.concatenate([strokes[0]] + [s[1:] if np.allclose(s[0], strokes[0][-1]) else s for s in strokes[1:]])


def dot(centre, radius: float = 0.035) -> Stroke:
    """A small filled-looking dot (a tight spiral)."""
    a = np.linspace(0.0, 4 * np.pi, 16)
    r = radius * np.linspace(1.0, 0.2, 16)
    return np.stack([centre[0] + r * np.cos(a), centre[1] + r * np.sin(a)], axis=1)


# --------------------------------------------------------------------------- the hand


def _smooth_noise(rng: np.random.Generator, k: int, scale: float, width: int) -> np.ndarray:
    """Low-frequency noise of ``k`` values (random walk smoothed with a box of ``width``)."""
    x = np.cumsum(rng.normal(0.0, 1.0, k + width))
    x = np.convolve(x, np.ones(width) / width, mode="valid")[:k]
    x -= np.linspace(x[0], x[-1], k) * 0.5 + x.mean() * 0.5
    peak = np.abs(x).max()
    return x * (scale / peak) if peak > 0 else x


def write(
    strokes: list[Stroke],
    rng: np.random.Generator,
    *,
    slant: tuple[float, float] = (-0.15, 0.45),
    rotation: float = 8.0,
    aspect: tuple[float, float] = (0.75, 1.25),
    wobble: float = 0.02,
    elastic: float = 0.04,
) -> list[Stroke]:
    """Distort ``strokes`` like one hand writing them once.

    Applies, in order: per-stroke low-frequency wobble (amplitude up to ``wobble``),
    a smooth elastic warp (sum of two random sinusoids, amplitude up to ``elastic``),
    a horizontal stretch drawn from ``aspect``, a slant (shear ``x += s * (0.5 - y)``
    with ``s`` drawn from ``slant``; positive leans right) and a rotation of up to
    ``±rotation`` degrees about the box centre.
    """
    out = []
    for s in strokes:
        s = s.astype(float, copy=True)
        k = len(s)
        if k > 3 and wobble > 0:
            width = max(3, k // 3)
            s[:, 0] += _smooth_noise(rng, k, rng.uniform(0, wobble), width)
            s[:, 1] += _smooth_noise(rng, k, rng.uniform(0, wobble), width)
        out.append(s)
    pts = np.concatenate(out)
    if elastic > 0:
        disp = np.zeros_like(pts)
        for _ in range(2):
            f = rng.uniform(0.5, 1.6, 2) * rng.choice([-1, 1], 2)
            phase = rng.uniform(0, 2 * np.pi)
            amp = rng.uniform(0, elastic, 2)
            disp += amp * np.sin(2 * np.pi * (pts @ f) + phase)[:, None]
        pts = pts + disp
    sx = rng.uniform(*aspect)
    sh = rng.uniform(*slant)
    th = np.radians(rng.uniform(-rotation, rotation))
    c, s_ = np.cos(th), np.sin(th)
    x, y = pts[:, 0] - 0.5, pts[:, 1] - 0.5
    x = x * sx - sh * y
    pts = np.stack([c * x - s_ * y + 0.5, s_ * x + c * y + 0.5], axis=1)
    sizes = np.cumsum([len(s) for s in out])[:-1]
    return np.split(pts, sizes)


# --------------------------------------------------------------------------- rendering


def render(
    strokes: list[Stroke],
    rng: np.random.Generator,
    *,
    width: tuple[float, float] = (1.3, 3.2),
    size: float = 20.0,
    supersample: int = SUPERSAMPLE,
    pressure: float = 0.25,
) -> np.ndarray:
    """Draw ``strokes`` with a round pen; returns float32 ink in [0, 1] cropped to its bounding box.

    The drawing is scaled so that the ink's longer side (pen width included) is ``size`` px
    at the output resolution, and drawn ``supersample`` times larger (so the result is about
    ``size * supersample`` px on its longer side; resize it down to anti-alias).  The pen
    width (output px) is drawn log-uniformly from ``width``; each stroke is drawn in a few
    overlapping pieces whose width varies by up to ``±pressure`` (pen pressure).
    """
    from PIL import Image, ImageDraw

    pts = np.concatenate(strokes)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    w = float(np.exp(rng.uniform(np.log(width[0]), np.log(width[1]))))
    scale = (size - w) / max(float((hi - lo).max()), 1e-3)
    scale = min(scale, 2.0 * size) * supersample
    w *= supersample
    margin = int(np.ceil(w)) + 2
    dims = np.ceil((hi - lo) * scale).astype(int) + 2 * margin
    offset = margin - lo * scale
    img = Image.new("L", (int(dims[0]), int(dims[1])), 0)
    draw = ImageDraw.Draw(img)
    for s in strokes:
        p = s * scale + offset
        pieces = 1 if len(p) < 12 or pressure == 0 else int(rng.integers(1, 4))
        bounds = np.linspace(0, len(p) - 1, pieces + 1).astype(int)
        for a, b in zip(bounds[:-1], bounds[1:]):
            wi = max(1.0, w * (1 + rng.uniform(-pressure, pressure)))
            seg = p[a : b + 1]
            r = wi / 2
            if len(seg) >= 2:
                draw.line(seg.ravel().tolist(), fill=255, width=int(round(wi)), joint="curve")
            for x, y in (seg[0], seg[-1]):
                draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    ink = np.asarray(img, dtype=np.float32) / 255.0
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]

"""Non-digit shape templates (:data:`SHAPES`): scribbles, marks, stars, smileys, ...  No lone circles."""

from __future__ import annotations

import numpy as np

from ..pen import arc, bezier, dot, join, line, polyline
from ._common import _loop, _u


def _rot(points, theta, c=(0.5, 0.5)):
    c = np.asarray(c)
    ct, st = np.cos(theta), np.sin(theta)
    p = np.asarray(points) - c
    return np.stack([ct * p[:, 0] - st * p[:, 1], st * p[:, 0] + ct * p[:, 1]], axis=1) + c


def _catmull(points, per=10):
    p = np.asarray(points, float)
    p = np.concatenate([p[:1], p, p[-1:]])
    t = np.linspace(0, 1, per, endpoint=False)[:, None]
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(
            0.5
            * (2 * p1 + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2 + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3)
        )
    out.append(p[-2:-1])
    return np.concatenate(out)


def scribble(rng):
    """A tangled free scribble through 8-16 random points."""
    return [_catmull(rng.uniform(0, 1, (int(rng.integers(8, 17)), 2)))]


def hatching(rng):
    """A patch of back-and-forth hatching (a crossed-out blot)."""
    k = int(rng.integers(4, 9))
    xs = np.linspace(0.1, 0.9, k)
    pts = [(x + _u(rng, -0.05, 0.05), (0.05 if i % 2 else 0.95) + _u(rng, -0.05, 0.05)) for i, x in enumerate(xs)]
    return [_rot(polyline(*pts), _u(rng, -0.8, 0.8))]


def cross(rng):
    """A "+" or an "x"."""
    th = _u(rng, -0.3, 0.3) + (np.pi / 4 if rng.random() < 0.5 else 0.0)
    return [_rot(line((0.05, 0.5), (0.95, 0.5)), th), _rot(line((0.5, 0.05), (0.5, 0.95)), th)]


def arrow(rng):
    """An arrow pointing anywhere, with a two-sided head."""
    head = _u(rng, 0.2, 0.35)
    shaft = line((0.05, 0.5), (0.95, 0.5))
    barbs = polyline((0.95 - head, 0.5 - head * 0.8), (0.95, 0.5), (0.95 - head, 0.5 + head * 0.8))
    th = _u(rng, 0, 2 * np.pi)
    return [_rot(shaft, th), _rot(barbs, th)]


def hash_mark(rng):
    """A "#"."""
    a, b = _u(rng, 0.25, 0.4), _u(rng, 0.6, 0.75)
    s = _u(rng, 0.0, 0.2)
    return [
        line((0.05, a), (0.95, a)),
        line((0.05, b), (0.95, b)),
        line((a + s, 0.0), (a - s, 1.0)),
        line((b + s, 0.0), (b - s, 1.0)),
    ]


def check_mark(rng):
    """A tick ✓ (short down-stroke, long up-stroke)."""
    low = (_u(rng, 0.3, 0.42), 1.0)
    return [_rot(polyline((0.05, _u(rng, 0.45, 0.65)), low, (0.95, 0.0)), _u(rng, -0.3, 0.2))]


def squiggle(rng):
    """A horizontal wave of 2-5 periods."""
    x = np.linspace(0.0, 1.0, 60)
    y = 0.5 + _u(rng, 0.08, 0.2) * np.sin(2 * np.pi * _u(rng, 2, 5) * x + _u(rng, 0, 6.3))
    return [_rot(np.stack([x, y], axis=1), _u(rng, -0.5, 0.5))]


def clutter(rng):
    """3-5 unrelated marks (dashes, ticks, small arcs, blobs) crowded together."""
    out = []
    for _ in range(int(rng.integers(3, 6))):
        c = rng.uniform(0.25, 0.75, 2)
        kind = rng.integers(4)
        if kind == 0:
            out.append(dot(c, _u(rng, 0.05, 0.08)))
        elif kind == 1:
            d = rng.normal(0, 1, 2)
            d *= _u(rng, 0.1, 0.2) / max(np.hypot(*d), 1e-6)
            out.append(line(c - d, c + d))
        elif kind == 2:
            a0 = _u(rng, 0, 360)
            out.append(arc(c, _u(rng, 0.08, 0.15), a0, a0 + _u(rng, 90, 200)))
        else:
            d = rng.normal(0, 0.1, (3, 2))
            out.append(polyline(*(c + d)))
    return out


def sun(rng):
    """A small circle with 6-10 rays around it."""
    k = int(rng.integers(6, 11))
    r0 = _u(rng, 0.15, 0.22)
    a = np.radians(_u(rng, 0, 360)) + 2 * np.pi * np.arange(k) / k
    rays = [
        line(
            (0.5 + (r0 + 0.08) * np.cos(t), 0.5 + (r0 + 0.08) * np.sin(t)),
            (0.5 + 0.5 * np.cos(t), 0.5 + 0.5 * np.sin(t)),
        )
        for t in a
    ]
    return [_loop((0.5, 0.5), r0, -90, -370)] + rays


def star(rng):
    """A five-pointed star drawn in one stroke (pentagram) or as an outline."""
    a0 = -90 + _u(rng, -15, 15)
    if rng.random() < 0.5:
        ang = np.radians(a0 + 144 * np.arange(6))
        r = np.full(6, 0.5)
    else:
        ang = np.radians(a0 + 36 * np.arange(11))
        r = np.where(np.arange(11) % 2, _u(rng, 0.15, 0.25), 0.5)
    return [polyline(*np.stack([0.5 + r * np.cos(ang), 0.5 + r * np.sin(ang)], axis=1))]


def smiley(rng):
    """A face: outline, two eyes and a mouth (never just the circle)."""
    eye = _u(rng, 0.05, 0.08)
    y = _u(rng, 0.3, 0.4)
    mouth = _u(rng, 0.2, 0.3)
    sad = rng.random() < 0.25
    m = arc((0.5, 0.85 if sad else 0.5), (mouth, 0.18), 200 if sad else 20, 340 if sad else 160)
    return [
        _loop((0.5, 0.5), 0.5, -90, -_u(rng, 355, 375)),
        dot((0.35, y), eye),
        dot((0.65, y), eye),
        m,
    ]


def heart(rng):
    """A heart: two lobes with a deep notch on top, meeting in a point at the bottom."""
    notch = (0.5 + _u(rng, -0.04, 0.04), _u(rng, 0.3, 0.4))
    tip = (0.5 + _u(rng, -0.05, 0.05), 1.0)
    left = bezier(notch, (0.35, -0.2), (-0.2, 0.0), (0.05, 0.5), tip)
    right = bezier(notch, (0.65, -0.2), (1.2, 0.0), (0.95, 0.5), tip)
    return [join(left, right[::-1])] if rng.random() < 0.5 else [left, right]


def asterisk(rng):
    """Three or four lines crossing in their middles."""
    k = int(rng.integers(3, 5))
    th0 = _u(rng, 0, np.pi)
    return [_rot(line((0.05, 0.5), (0.95, 0.5)), th0 + i * np.pi / k) for i in range(k)]


def zigzag(rng):
    """A sawtooth of 3-6 teeth."""
    k = int(rng.integers(3, 7))
    x = np.linspace(0, 1, 2 * k + 1)
    y = np.where(np.arange(2 * k + 1) % 2, 0.2, 0.8)
    return [_rot(polyline(*np.stack([x, y], axis=1)), _u(rng, -0.5, 0.5))]


SHAPES: dict[str, object] = {
    "scribble": scribble,
    "hatching": hatching,
    "cross": cross,
    "arrow": arrow,
    "hash": hash_mark,
    "check": check_mark,
    "squiggle": squiggle,
    "clutter": clutter,
    "star": star,
    "smiley": smiley,
    "heart": heart,
    "asterisk": asterisk,
    "zigzag": zigzag,
    "sun": sun,
}

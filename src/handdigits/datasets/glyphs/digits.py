"""Digit templates: several named handwriting styles per digit (:data:`DIGITS`)."""

from __future__ import annotations

import numpy as np

from ..pen import arc, bezier, join, line, polyline
from ._common import _loop, _u


# 0 -----------------------------------------------------------------------
def zero_oval(rng):
    rx = _u(rng, 0.22, 0.36)
    return [_loop((0.5, 0.5), (rx, 0.5), _u(rng, -110, -70), -_u(rng, 355, 380))]


def zero_tail(rng):  # start inside the top, overshoot: a little tail/overlap at the top
    rx = _u(rng, 0.24, 0.34)
    return [_loop((0.5, 0.5), (rx, 0.5), _u(rng, -60, -30), -_u(rng, 390, 420))]


def zero_slashed(rng):
    rx = _u(rng, 0.24, 0.34)
    return [
        _loop((0.5, 0.5), (rx, 0.5), -90, -_u(rng, 355, 375)),
        line((0.5 - rx - 0.05, _u(rng, 0.8, 0.95)), (0.5 + rx + 0.05, _u(rng, 0.05, 0.2))),
    ]


# 1 -----------------------------------------------------------------------
def _one_stem(rng, x):
    return line((x, 0.0), (x + _u(rng, -0.04, 0.04), 1.0))


def one_plain(rng):
    return [_one_stem(rng, 0.5)]


def one_flagged(rng):
    x = 0.55
    fl = _u(rng, 0.15, 0.3)
    return [join(line((x - fl, _u(rng, 0.15, 0.3)), (x, 0.0)), _one_stem(rng, x))]


def _foot(rng, x):
    return line((x - _u(rng, 0.18, 0.3), 1.0), (x + _u(rng, 0.18, 0.3), 1.0))


def one_flagged_footed(rng):
    return one_flagged(rng) + [_foot(rng, 0.55)]


def one_european(rng):  # long up-stroke from the left (half the height), then down
    x = 0.62
    return [join(line((x - _u(rng, 0.3, 0.55), _u(rng, 0.3, 0.65)), (x, 0.0)), _one_stem(rng, x))]


def one_european_footed(rng):
    return one_european(rng) + [_foot(rng, 0.62)]


def one_curved(rng):  # long up-stroke bowed like an arch, with a foot half of the time
    x = 0.62
    start = (x - _u(rng, 0.35, 0.5), _u(rng, 0.35, 0.55))
    up = bezier(start, (start[0] + _u(rng, 0.0, 0.1), _u(rng, 0.0, 0.15)), (x, 0.0))
    strokes = [join(up, _one_stem(rng, x))]
    return strokes + [_foot(rng, x)] if rng.random() < 0.5 else strokes


# 2 -----------------------------------------------------------------------
def _two_top(rng):
    c, r = (0.5, _u(rng, 0.26, 0.32)), (_u(rng, 0.28, 0.34), _u(rng, 0.26, 0.32))
    top = arc(c, r, _u(rng, 180, 205), _u(rng, 375, 395))
    return top


def two_plain(rng):
    top = _two_top(rng)
    end = top[-1]
    x0 = _u(rng, 0.12, 0.2)
    neck = bezier(end, (end[0] - 0.1, end[1] + 0.25), (x0, 1.0))
    return [join(top, neck, line((x0, 1.0), (_u(rng, 0.8, 0.92), _u(rng, 0.95, 1.02))))]


def two_looped(rng):
    top = _two_top(rng)
    end = top[-1]
    r = _u(rng, 0.07, 0.11)
    c = (0.2 + r * 0.3, 0.98 - r)
    p = (c[0] + r * 0.95, c[1] + r * 0.3)
    neck = bezier(end, (end[0] - 0.1, end[1] + 0.25), p)
    loop = arc(c, r, 17, 17 + _u(rng, 360, 400))
    return [join(top, neck, loop, line(loop[-1], (_u(rng, 0.82, 0.92), _u(rng, 0.95, 1.02))))]


def two_angular(rng):
    c, r = (0.5, 0.25), (_u(rng, 0.26, 0.32), 0.25)
    top = arc(c, r, _u(rng, 190, 210), _u(rng, 320, 345))
    x0 = _u(rng, 0.12, 0.2)
    return [join(top, polyline(top[-1], (x0, 1.0), (_u(rng, 0.8, 0.92), 1.0)))]


# 3 -----------------------------------------------------------------------
def _three_bottom(rng, start, cy):
    ry = 1.0 - cy
    rx = _u(rng, 0.3, 0.36)
    cx = 0.5
    s = np.degrees(np.arctan2(start[1] - cy, (start[0] - cx) / rx * ry)) % 360 - 360
    return arc((cx, cy), (rx, ry), s, _u(rng, 140, 160))


def three_round(rng):
    cy = _u(rng, 0.24, 0.28)
    top = arc((0.48, cy), (_u(rng, 0.26, 0.32), cy), _u(rng, 195, 215), _u(rng, 440, 455))
    mid = top[-1]
    return [join(top, _three_bottom(rng, mid, _u(rng, 0.7, 0.76)))]


def three_flat(rng):
    y = _u(rng, 0.38, 0.45)
    mid = (_u(rng, 0.38, 0.48), y)
    top = polyline((_u(rng, 0.15, 0.25), 0.0), (_u(rng, 0.75, 0.85), 0.0), mid)
    return [join(top, _three_bottom(rng, mid, (y + 1) / 2))]


def three_cusp(rng):  # small upper bowl, deep pointed waist, large lower bowl
    cy = _u(rng, 0.18, 0.22)
    top = arc((0.52, cy), (_u(rng, 0.22, 0.26), cy), 200, 440)
    waist = (_u(rng, 0.3, 0.38), _u(rng, 0.42, 0.46))
    return [join(top, line(top[-1], waist), _three_bottom(rng, waist, _u(rng, 0.68, 0.72)))]


# 4 -----------------------------------------------------------------------
def four_open(rng):
    bar = _u(rng, 0.58, 0.7)
    x = _u(rng, 0.6, 0.68)
    return [
        polyline((_u(rng, 0.25, 0.4), 0.0), (_u(rng, 0.08, 0.18), bar), (_u(rng, 0.85, 0.95), bar)),
        line((x, _u(rng, 0.0, 0.25)), (x + _u(rng, -0.04, 0.02), 1.0)),
    ]


def four_closed(rng):
    bar = _u(rng, 0.5, 0.72)
    x = _u(rng, 0.55, 0.75)
    return [
        polyline((x, 0.0), (_u(rng, 0.05, 0.2), bar), (_u(rng, 0.82, 0.98), bar)),
        line((x, 0.0), (x + _u(rng, -0.04, 0.02), 1.0)),
    ]


def four_closed_one_stroke(rng):
    bar = _u(rng, 0.6, 0.7)
    x = _u(rng, 0.6, 0.7)
    return [polyline((x, 1.0), (x, 0.0), (_u(rng, 0.08, 0.15), bar), (_u(rng, 0.85, 0.95), bar))]


# 5 -----------------------------------------------------------------------
def _five_belly(rng, start):
    cy = _u(rng, 0.66, 0.72)
    ry = 1.0 - cy
    rx = _u(rng, 0.3, 0.36)
    cx = start[0] + rx * 0.62
    s = np.degrees(np.arctan2(start[1] - cy, (start[0] - cx) / rx * ry)) % 360 - 360
    return arc((cx, cy), (rx, ry), s, _u(rng, 135, 160))


def five_two_stroke(rng):
    top = (_u(rng, 0.25, 0.33), 0.0)
    knee = (top[0] - _u(rng, 0.0, 0.06), _u(rng, 0.4, 0.48))
    return [
        join(line(top, knee), _five_belly(rng, knee)),
        line(top, (_u(rng, 0.78, 0.9), _u(rng, -0.04, 0.02))),
    ]


def five_one_stroke(rng):
    top = (_u(rng, 0.25, 0.33), 0.0)
    knee = (top[0] - _u(rng, 0.0, 0.06), _u(rng, 0.4, 0.48))
    return [join(polyline((_u(rng, 0.78, 0.9), _u(rng, -0.04, 0.02)), top, knee), _five_belly(rng, knee))]


def five_detached(rng):
    top = (_u(rng, 0.25, 0.33), 0.06)
    knee = (top[0] - _u(rng, 0.0, 0.06), _u(rng, 0.42, 0.5))
    y = _u(rng, -0.06, 0.0)
    return [
        join(line(top, knee), _five_belly(rng, knee)),
        line((top[0] + _u(rng, 0.05, 0.12), y), (_u(rng, 0.8, 0.92), y - _u(rng, 0.0, 0.08))),
    ]


# 6 -----------------------------------------------------------------------
def _six_loop(rng, start_x=0.2):
    cy = _u(rng, 0.66, 0.8)
    ry = 1.0 - cy
    rx = _u(rng, 0.22, 0.32)
    c = (start_x + rx, cy)
    return arc(c, (rx, ry), 180, 180 - _u(rng, 350, 375))


def six_plain(rng):
    loop = _six_loop(rng)
    stem = bezier((_u(rng, 0.65, 0.78), 0.0), (0.35, 0.08), (0.2, 0.35), loop[0])
    return [join(stem, loop)]


def six_long_top(rng):
    loop = _six_loop(rng)
    return [join(line((_u(rng, 0.6, 0.9), 0.0), loop[0] + (0.02, 0.0)), loop)]


def six_hooked(rng):
    loop = _six_loop(rng)
    stem = bezier((0.8, _u(rng, 0.1, 0.18)), (0.72, -0.04), (0.35, 0.0), (0.2, 0.35), loop[0])
    return [join(stem, loop)]


# 7 -----------------------------------------------------------------------
def _seven(rng, hooked=False):
    """The 7's stroke, its top-right corner and its foot."""
    corner = (_u(rng, 0.82, 0.9), _u(rng, -0.02, 0.02))
    start = (_u(rng, 0.1, 0.18), _u(rng, 0.0, 0.06))
    foot = (_u(rng, 0.35, 0.5), 1.0)
    if hooked:
        hook = (start[0] - 0.02, start[1] + _u(rng, 0.1, 0.18))
        return join(polyline(hook, start, corner), bezier(corner, (corner[0] - 0.2, 0.45), foot)), corner, foot
    return polyline(start, corner, foot), corner, foot


def _crossbar(rng, corner, foot):
    y = _u(rng, 0.45, 0.55)
    t = (y - corner[1]) / (foot[1] - corner[1])
    xs = corner[0] + (foot[0] - corner[0]) * t
    return line((xs - _u(rng, 0.14, 0.24), y), (xs + _u(rng, 0.12, 0.2), y - _u(rng, 0.0, 0.04)))


def seven_plain(rng):
    return [_seven(rng)[0]]


def seven_crossbar(rng):
    s, corner, foot = _seven(rng)
    return [s, _crossbar(rng, corner, foot)]


def seven_hooked_crossbar(rng):
    s, corner, foot = _seven(rng, hooked=True)
    return [s, _crossbar(rng, corner, foot)]


# 8 -----------------------------------------------------------------------
def eight_two_loops(rng):
    split = _u(rng, 0.42, 0.5)
    return [
        _loop((0.5, split / 2), (_u(rng, 0.18, 0.26), split / 2), -90, -_u(rng, 355, 380)),
        _loop((0.5, (1 + split) / 2), (_u(rng, 0.24, 0.32), (1 - split) / 2), -90, _u(rng, 355, 380)),
    ]


def _figure8(rng, t0, t1):
    wt, wb = _u(rng, 0.18, 0.26), _u(rng, 0.24, 0.32)
    mid = _u(rng, 0.42, 0.5)
    t = np.linspace(t0, t1, max(2, int((t1 - t0) * 14)))
    w = np.where(np.cos(t) > 0, wt, wb)
    y = np.where(np.cos(t) > 0, mid * (1 - np.cos(t)), mid + (1 - mid) * (-np.cos(t)))
    return np.stack([0.5 + w * np.sin(2 * t) * 0.9, y], axis=1)


def eight_figure(rng):
    return [_figure8(rng, -_u(rng, 0.2, 0.5), 2 * np.pi + _u(rng, 0.0, 0.3))]


def eight_two_strokes(rng):
    return [_figure8(rng, 0.0, 1.5 * np.pi + 0.15), _figure8(rng, 1.5 * np.pi - 0.15, 2 * np.pi + 0.1)]


# 9 -----------------------------------------------------------------------
def _nine_head(rng):
    cy = _u(rng, 0.2, 0.33)
    rx = _u(rng, 0.2, 0.32)
    c = (0.72 - rx, cy)
    head = arc(c, (rx, cy), _u(rng, 0, 20), -_u(rng, 350, 365))
    return head, (0.72, cy)


def nine_straight(rng):
    head, p = _nine_head(rng)
    return [join(head, line(p, (p[0] + _u(rng, -0.05, 0.02), 1.0)))]


def nine_curled(rng):
    head, p = _nine_head(rng)
    tail = bezier(p, (p[0] + 0.02, 0.85), (p[0] - 0.1, 1.02), (_u(rng, 0.15, 0.4), _u(rng, 0.7, 0.95)))
    return [join(head, tail)]


def nine_bent(rng):
    head, p = _nine_head(rng)
    return [join(head, bezier(p, (p[0] - 0.02, 0.6), (_u(rng, 0.35, 0.5), 1.0)))]


#: digit -> {style name: template}
DIGITS: dict[int, dict[str, object]] = {
    0: {"oval": zero_oval, "oval-tail": zero_tail, "slashed": zero_slashed},
    1: {
        "plain": one_plain,
        "flagged": one_flagged,
        "flagged-footed": one_flagged_footed,
        "european": one_european,
        "european-footed": one_european_footed,
        "curved-up-stroke": one_curved,
    },
    2: {"plain": two_plain, "looped": two_looped, "angular": two_angular},
    3: {"round": three_round, "flat-top": three_flat, "cusp": three_cusp},
    4: {"open": four_open, "closed": four_closed, "closed-one-stroke": four_closed_one_stroke},
    5: {"two-stroke": five_two_stroke, "one-stroke": five_one_stroke, "detached-top": five_detached},
    6: {"plain": six_plain, "long-top": six_long_top, "hooked-top": six_hooked},
    7: {"plain": seven_plain, "crossbar": seven_crossbar, "hooked-crossbar": seven_hooked_crossbar},
    8: {"two-loops": eight_two_loops, "figure-8": eight_figure, "two-strokes": eight_two_strokes},
    9: {"straight-tail": nine_straight, "curled-tail": nine_curled, "bent-tail": nine_bent},
}

#: the MNIST-like style of each digit (used to check the synthetic digits read as digits)
PLAIN = {0: "oval", 1: "plain", 2: "plain", 3: "round", 4: "open", 5: "two-stroke", 6: "plain",
         7: "plain", 8: "two-loops", 9: "straight-tail"}

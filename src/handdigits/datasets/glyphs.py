"""Stroke templates for the synthetic handwriting: digit styles, letters and non-digit shapes.

Every template is a function ``f(rng) -> list of strokes`` (see :mod:`handdigits.datasets.pen`)
in a nominal unit box (``x`` right, ``y`` down, body spanning ``y`` in [0, 1]); proportions are
drawn from ``rng`` so two calls give two slightly different glyphs.  The hand's slant, wobble,
elastic warp and pen are applied afterwards by :func:`pen.write` and :func:`pen.render`.

* :data:`DIGITS` maps each digit to its named style variants (``{"1": {"plain": f, ...}}``).
* :data:`LETTERS` maps a letter to its template; digit look-alikes are absent
  (:data:`LOOKALIKES`).
* :data:`SHAPES` maps a shape kind (scribble, star, smiley, ...) to its template.  No shape
  is a lone circle or ellipse (those are zeros).
"""

from __future__ import annotations

import numpy as np

from .pen import arc, bezier, dot, join, line, polyline

U = np.random.Generator


def _u(rng: U, a: float, b: float) -> float:
    return float(rng.uniform(a, b))


# =========================================================================== digits


def _loop(c, r, start, turn):
    """A closed loop: ``turn`` degrees (±360 plus some overlap) from ``start``."""
    return arc(c, r, start, start + turn)


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


# =========================================================================== letters

#: letters that look like digits; never generated as non-digits
LOOKALIKES = "OoQDIiljJSsZzBbGgq"


def _bowl(c, r, start=-20.0):
    return arc(c, r, start, start - 370)


LETTERS: dict[str, object] = {
    # upper case
    "A": lambda g: [
        polyline((0.15, 1), (0.5, 0), (0.85, 1)),
        line((_u(g, 0.22, 0.32), 0.62), (_u(g, 0.68, 0.78), 0.62)),
    ],
    "C": lambda g: [arc((0.55, 0.5), (_u(g, 0.3, 0.4), 0.5), -_u(g, 30, 50), -_u(g, 310, 330))],
    "E": lambda g: [
        polyline((0.8, 0), (0.2, 0), (0.2, 1), (0.8, 1)),
        line((0.2, 0.5), (_u(g, 0.55, 0.7), 0.5)),
    ],
    "F": lambda g: [polyline((0.8, 0), (0.2, 0), (0.2, 1)), line((0.2, 0.48), (_u(g, 0.55, 0.7), 0.48))],
    "H": lambda g: [
        line((0.2, 0), (0.2, 1)),
        line((0.8, 0), (0.8, 1)),
        line((0.2, _u(g, 0.4, 0.55)), (0.8, 0.5)),
    ],
    "K": lambda g: [line((0.2, 0), (0.2, 1)), polyline((0.8, 0), (0.22, _u(g, 0.45, 0.6)), (0.8, 1))],
    "L": lambda g: [polyline((0.25, 0), (0.25, 1), (_u(g, 0.7, 0.9), 1))],
    "M": lambda g: [polyline((0.08, 1), (0.15, 0), (0.5, _u(g, 0.5, 0.8)), (0.85, 0), (0.92, 1))],
    "N": lambda g: [polyline((0.2, 1), (0.2, 0), (0.8, 1), (0.8, 0))],
    "P": lambda g: [
        join(
            line((0.2, 1), (0.2, 0)),
            line((0.2, 0), (0.5, 0)),
            arc((0.5, 0.25), (0.28, 0.25), -90, 90),
            line((0.5, 0.5), (0.2, 0.5)),
        ),
    ],
    "R": lambda g: [
        join(
            line((0.2, 1), (0.2, 0)),
            line((0.2, 0), (0.5, 0)),
            arc((0.5, 0.25), (0.28, 0.25), -90, 90),
            line((0.5, 0.5), (0.2, 0.5)),
        ),
        line((0.42, 0.5), (0.85, 1)),
    ],
    "T": lambda g: [line((0.1, 0), (0.9, 0)), line((0.5, 0), (0.5, 1))],
    "U": lambda g: [
        join(line((0.2, 0), (0.2, 0.65)), arc((0.5, 0.65), (0.3, 0.35), 180, 0), line((0.8, 0.65), (0.8, 0))),
    ],
    "V": lambda g: [polyline((0.12, 0), (0.5, 1), (0.88, 0))],
    "W": lambda g: [polyline((0.02, 0), (0.26, 1), (0.5, _u(g, 0.2, 0.45)), (0.74, 1), (0.98, 0))],
    "X": lambda g: [line((0.15, 0), (0.85, 1)), line((0.85, 0), (0.15, 1))],
    "Y": lambda g: [polyline((0.15, 0), (0.5, 0.5), (0.85, 0)), line((0.5, 0.5), (0.5, 1))],
    # lower case (each normalised to its own box: ascenders/descenders fill it)
    "a": lambda g: [
        _bowl((0.45, 0.52), (0.3, 0.45)),
        join(line((0.76, 0.05), (0.76, 0.9)), bezier((0.76, 0.9), (0.78, 1.0), (0.92, 0.96))),
    ],
    "c": lambda g: [arc((0.55, 0.5), (0.35, 0.48), -45, -315)],
    "d": lambda g: [_bowl((0.42, 0.7), (0.28, 0.3)), line((0.72, 0), (0.72, 1))],
    "e": lambda g: [join(line((0.15, 0.5), (0.85, 0.5)), arc((0.5, 0.5), (0.35, 0.5), 0, -_u(g, 300, 325)))],
    "f": lambda g: [
        join(bezier((0.8, 0.08), (0.6, -0.05), (0.42, 0.05), (0.42, 0.3)), line((0.42, 0.3), (0.42, 1))),
        line((0.15, 0.38), (0.75, 0.38)),
    ],
    "h": lambda g: [
        line((0.2, 0), (0.2, 1)),
        join(bezier((0.2, 0.6), (0.35, 0.3), (0.75, 0.3), (0.78, 0.6)), line((0.78, 0.6), (0.78, 1))),
    ],
    "k": lambda g: [line((0.2, 0), (0.2, 1)), polyline((0.75, 0.4), (0.22, 0.72), (0.8, 1))],
    "m": lambda g: [
        join(
            line((0.1, 1), (0.1, 0.1)),
            bezier((0.1, 0.2), (0.2, -0.02), (0.46, -0.02), (0.48, 0.25)),
            line((0.48, 0.25), (0.48, 1)),
            bezier((0.48, 1), (0.48, 0.3), (0.58, -0.02), (0.86, 0.0), (0.9, 0.25)),
            line((0.9, 0.25), (0.9, 1)),
        ),
    ],
    "n": lambda g: [
        join(
            line((0.2, 1), (0.2, 0.1)),
            bezier((0.2, 0.25), (0.35, -0.02), (0.75, -0.02), (0.8, 0.3)),
            line((0.8, 0.3), (0.8, 1)),
        ),
    ],
    "p": lambda g: [line((0.2, 0), (0.2, 1)), arc((0.48, 0.3), (0.28, 0.3), 180, 180 + _u(g, 355, 370))],
    "r": lambda g: [
        join(line((0.25, 1), (0.25, 0.1)), bezier((0.25, 0.4), (0.35, 0.05), (0.6, 0.0), (0.85, 0.12))),
    ],
    "t": lambda g: [
        join(line((0.45, 0), (0.45, 0.85)), bezier((0.45, 0.85), (0.47, 1.0), (0.7, 1.0))),
        line((0.15, 0.3), (0.8, 0.3)),
    ],
    "u": lambda g: [
        join(line((0.2, 0), (0.2, 0.6)), arc((0.48, 0.6), (0.28, 0.38), 180, 0)),
        line((0.76, 0), (0.8, 1)),
    ],
    "v": lambda g: [
        join(
            line((0.12, 0), (0.45, 0.95)),
            bezier((0.45, 0.95), (0.5, 1.02), (0.55, 0.95)),
            line((0.55, 0.95), (0.9, 0)),
        ),
    ],
    "w": lambda g: [
        join(
            bezier((0.02, 0), (0.1, 1.3), (0.5, 1.0), (0.5, 0.3)),
            bezier((0.5, 0.3), (0.5, 1.0), (0.9, 1.3), (0.98, 0)),
        ),
    ],
    "x": lambda g: [bezier((0.1, 0.05), (0.5, 0.2), (0.5, 0.8), (0.9, 0.95)), line((0.85, 0), (0.15, 1))],
    "y": lambda g: [line((0.15, 0), (0.5, 0.6)), line((0.85, 0), (0.3, 1.0))],
}

# =========================================================================== shapes


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

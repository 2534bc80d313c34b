"""Letter templates (:data:`LETTERS`), without the digit look-alikes (:data:`LOOKALIKES`)."""

from __future__ import annotations

from ..pen import arc, bezier, join, line, polyline
from ._common import _u


#: letters that look like digits; never generated as non-digits
LOOKALIKES = "OoQDIiljJSsZzBbGgq"


def _bowl(c, r, start=-20.0):
    return arc(c, r, start, start - 370)


def _stem_and_bowl():
    """The one stroke of a ``P`` (also the start of an ``R``): the stem, then the bowl back to it."""
    return join(
        line((0.2, 1), (0.2, 0)),
        line((0.2, 0), (0.5, 0)),
        arc((0.5, 0.25), (0.28, 0.25), -90, 90),
        line((0.5, 0.5), (0.2, 0.5)),
    )


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
    "P": lambda g: [_stem_and_bowl()],
    "R": lambda g: [_stem_and_bowl(), line((0.42, 0.5), (0.85, 1))],
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

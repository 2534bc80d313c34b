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

from .digits import DIGITS, PLAIN
from .letters import LETTERS, LOOKALIKES
from .shapes import SHAPES

__all__ = ["DIGITS", "LETTERS", "LOOKALIKES", "PLAIN", "SHAPES"]

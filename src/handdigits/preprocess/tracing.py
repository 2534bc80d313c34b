"""What the conversion did with one image: the :class:`Trace` record and its side-by-side picture."""

from __future__ import annotations

import dataclasses

import numpy as np

from .framing import MNIST_SIZE


@dataclasses.dataclass(frozen=True)
class Trace:
    """What :func:`to_mnist` did with one image (see :func:`trace`).

    Attributes:
        original: the decoded input as uint8 RGB or grey, reduced by ``scale``
            when it was larger than ``WORK_MAX`` pixels or an enlargement by
            repeated pixels (then the image it was enlarged from).
        scale: input pixels per pixel of ``original`` along the longer side (1 when not reduced).
        ink: bool mask of the ink found, at the working resolution (the size of
            ``original``); empty on the fast and grey-level paths' failures.
        rulings: bool mask of removed ruling / grid lines (same size as ``ink``).
        box: ``(x0, y0, x1, y1)`` of the kept digit in ``original`` pixel coordinates
            (exclusive ends), ``None`` when no digit was found.
        output: the ``(28, 28)`` uint8 image the model sees (zeros on failure),
            identical to :func:`to_mnist`'s.
        inverted: True when the input was dark ink on light paper.
        path: ``"fast"`` (already MNIST), ``"grey"`` (tiny grey-level input) or ``"photo"``.
        error: the :class:`BlankImageError` message, or ``None``.
    """

    original: np.ndarray
    scale: float
    ink: np.ndarray
    rulings: np.ndarray
    box: tuple | None
    output: np.ndarray
    inverted: bool
    path: str
    error: str | None

    def figure(self, scale: int = 4):
        """A side-by-side PIL picture: the input with the kept box, the ink mask, the 28×28 output.

        ``scale`` magnifies the 28×28 output (and sets the panel height to ``28 * scale``).
        """
        from PIL import Image, ImageDraw

        from ..validation import check_number

        scale = int(check_number(scale, "scale", low=1, high=64))
        h = MNIST_SIZE * scale
        orig = Image.fromarray(self.original).convert("RGB")
        f = h / orig.height
        size = (max(1, round(orig.width * f)), h)
        left = orig.resize(size, Image.Resampling.BILINEAR)
        draw = ImageDraw.Draw(left)
        if self.box is not None:
            x0, y0, x1, y1 = self.box
            draw.rectangle([x0 * f, y0 * f, max(x0 * f, x1 * f - 1), max(y0 * f, y1 * f - 1)],
                           outline=(230, 30, 30), width=max(1, scale // 2))
        mask = np.zeros((*self.ink.shape, 3), np.uint8)
        mask[self.ink] = 255
        mask[self.rulings & ~self.ink] = (60, 110, 230)
        middle = Image.fromarray(mask).resize(size, Image.Resampling.NEAREST)
        right = Image.fromarray(self.output).convert("RGB").resize((h, h), Image.Resampling.NEAREST)
        gap = max(2, scale)
        out = Image.new("RGB", (2 * size[0] + h + 2 * gap, h), (128, 128, 128))
        out.paste(left, (0, 0))
        out.paste(middle, (size[0] + gap, 0))
        out.paste(right, (2 * size[0] + 2 * gap, 0))
        return out

    def save(self, path, scale: int = 4):
        """Save :meth:`figure` to ``path`` (format from the suffix, e.g. ``.png``) and return the path."""
        self.figure(scale).save(path)
        return path

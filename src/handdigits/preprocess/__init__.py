"""Any digit image -> the MNIST format (28×28 uint8, white ink on black).

:func:`to_mnist` follows the recipe used to build MNIST itself (size-normalise
the digit into a 20×20 box keeping its aspect ratio, then centre it by centre
of mass in a 28×28 field) after finding the ink in a real photo or scan:

0. **Enlarged by repeating pixels** (:mod:`~handdigits.preprocess.enlarged`): an
   image (29 to 1,024 px) that is an exact nearest-neighbour enlargement of a
   smaller one (blocks of at least 2×2 equal pixels: an 8×8 scan shown at
   64×64, an MNIST digit saved at 280×280) is replaced by that smaller image,
   which then takes the steps below as if it had been given.
1. **Fast path**: a 28×28 grey image already framed (clean dark background;
   MNIST's framing -- ink 18–21 px, centre of mass within 0.75 px of (14, 14)
   -- or a digit up to 26 px that leaves a 1-px rim empty, as EMNIST's) is
   returned as it is (inverted if dark on light), so MNIST and EMNIST arrays
   pass through unchanged.
2. **Reduce first**: images larger than ``WORK_MAX`` px are shrunk by an
   integer box filter *in their own dtype* (Pillow ``reduce`` for uint8, one
   channel at a time), so a 144-megapixel scan never exists as a full-size
   float array; a reduction of 6 or more reads every other pixel first (a draft
   read).  A varying alpha channel is composited over the paper colour.
3. **Paper and polarity** (:func:`paper_polarity`): the paper is what the image
   *border* shows (its median, corners counted twice), so sparse thin-pen ink
   and tight crops where ink covers half the pixels are both read right; the
   ink is on the side of the paper where the extremes are farthest.  When
   that is a close call (a shadow across the border), thin structures decide
   (morphological top-hats: pen strokes, not soft shadow edges).
4. **Ink strength**: a smooth local paper colour (grey-level opening of a
   64-px thumbnail, per colour channel) is subtracted; a pixel's ink strength is
   its luminance step towards the ink, plus its *colour* distance from the
   paper where the ink differs from it mainly in colour (red ink on grey
   paper of the same lightness; elsewhere the colour distance only added JPEG
   colour halos, colour noise and coloured printed lines).  The
   estimate relative to a plane fitted to the border's light is kept when it
   leaves the border less noisy (a lighting gradient).  A wider
   paper estimate (that keeps thick strokes whole but not shadows) is used
   near the ink only in tight crops, where the ink spans the frame.
5. **Ruled and squared paper** (:func:`find_rulings`): long thin straight
   structures (tilt searched in ±2.5°) that cover 35 % of the image width or
   height and repeat at a regular spacing (or run across 75 % of the image and
   past the rest of the ink on both sides) are erased, except where a stroke of
   the digit crosses them or lies on them with a heavier pen.  Lines hidden
   in a shadow (the ink mask covers it whole) are found on the others'
   spacing by their ridge in the ink strength and erased to the shadow's level.
6. **Ink and blank test**: a threshold from the noise level (median absolute
   deviation) and the strokes' own strength (local contrast), so small and
   faint digits are found; :class:`BlankImageError` when the largest ink blob
   is tiny (< 3 % of the longer side) or not clearly above the noise
   (4 noise standard deviations and 0.03 of the full range), is a soft blob
   barely above the noise (faint, under 6 standard deviations, blurred edges: a
   shadow or paper texture), or is only a flat horizontal stroke (a leftover
   piece of a ruling line) or a thin upright stroke leaning on one side of the
   frame (a grid line the frame cuts).
7. **Components**: 8-connected components; the largest is kept with every
   sizeable component near it.  After the blank tests, parts drawn apart from
   it (a 5's top bar) join it up to 0.6 of its size away when they lie in
   line with it and are no larger than it.
8. **Stroke width** (:func:`stroke_width`): strokes that would come out thinner
   or much thicker than MNIST's are dilated or eroded towards MNIST's.
9. **Crop, resize, centre** with Lanczos anti-aliasing, centre of mass at (14, 14).

Tiny inputs (longer side < ``TINY``, e.g. 8×8 or 16×16 scans) take a
**grey-level path**: no threshold; the grey levels are stretched between paper
and ink, the digit is upscaled smoothly (bicubic) and centred.

:func:`trace` returns every intermediate step for one image (what the model
saw); :func:`to_mnist_batch` converts many images and keeps going past the
ones that fail.  Only numpy and Pillow are used.

Modules, one per step: :mod:`~handdigits.preprocess.enlarged`, :mod:`~handdigits.preprocess.decode` (working image),
:mod:`~handdigits.preprocess.polarity`, :mod:`~handdigits.preprocess.ink`,
:mod:`~handdigits.preprocess.rulings`, :mod:`~handdigits.preprocess.components`,
:mod:`~handdigits.preprocess.framing` (arrays already in MNIST form, stroke width, the 20-px box),
:mod:`~handdigits.preprocess.photo` (the full path and the blank tests) and
:mod:`~handdigits.preprocess.tracing`; this module holds the public API.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..validation import check_images, check_images_marked, image_count
# the private names below are re-exported for handdigits.reading, which shares these steps
from .components import _block_any, _keep_components, _label, _main_blob
from .decode import WORK_MAX, _luminance, _reduce, _scale_of, _to_unit, _working_image
from .enlarged import _unenlarged
from .filters import _bbox, _box_blur, _centre_of_mass, _grow, _rank, _resize
from .framing import reframe
from .framing import (BOX, CENTRE, INK_ABOVE, MNIST_SIZE, STROKE_RANGE, STROKE_TARGET, STROKE_TARGET_THICK,
                      _as_mnist, _fast_inverted, _framed_ink, _normalise_stroke, _to_box, stroke_width)
from .ink import _ink_strength, _paper_stats, _strength
from .photo import (_MAX_FATNESS, _MAX_SPECKLE, _MIN_CONTRAST, _MIN_EXTENT, _MIN_SNR, TINY, _grey_path, _run)
from .polarity import _border_values, paper_polarity
from .rulings import RULING_MIN_SIDE, _line_pixels, _near_period, _period, _rulings, _run_lengths, best_tilt, find_rulings
from .tracing import Trace

__all__ = [
    "BOX", "CENTRE", "MNIST_SIZE", "RULING_MIN_SIDE", "TINY", "WORK_MAX", "BlankImageError", "Prepared", "Trace",
    "best_tilt", "find_rulings", "mnist_from_array", "paper_polarity", "reframe", "stroke_width", "to_mnist",
    "to_mnist_batch", "trace",
]


class BlankImageError(ValueError):
    """No digit was found: the image is empty, or its ink is too faint or too small to be a digit.

    The message starts with ``"no ink found"`` and says which test failed.
    """


def to_mnist(image) -> np.ndarray:
    """Convert one digit image to MNIST format.

    Args:
        image: a path, encoded image bytes, a PIL image, or an array
            ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` or ``(H, W, 4)`` of any real
            dtype (uint8 in [0, 255], uint16, floats in [0, 1] or [0, 255]).  Dark
            ink on light paper or light ink on a dark screen, any size, any colours.

    Returns:
        ``(28, 28)`` uint8 array in [0, 255], white ink on black, the digit's
        longer side 20 px and its centre of mass at (14, 14).

    Raises:
        BlankImageError: no ink found (a ``ValueError``).
        ValueError, FileNotFoundError, TypeError: an invalid input
            (see :func:`handdigits.validation.check_images`).

    Example:
        >>> from handdigits.preprocess import to_mnist
        >>> from handdigits.samples import list_samples
        >>> to_mnist(list_samples()[0]).shape
        (28, 28)
    """
    images, single = check_images(image)
    if not single:
        raise ValueError(f"to_mnist converts one image, got {image_count(images)} images; call it once per image")
    return mnist_from_array(images[0])


def mnist_from_array(a: np.ndarray) -> np.ndarray:
    """:func:`to_mnist` for an array already checked by ``check_images`` ((H, W) or (H, W, C))."""
    small = _unenlarged(a)
    if small is not None:
        a = small[0]
    fast = _as_mnist(a)
    if fast is not None:
        return fast
    t = _run(a, keep=False)
    if t.error is not None:
        raise BlankImageError(t.error)
    return t.output


@dataclasses.dataclass(frozen=True)
class Prepared:
    """Result of :func:`to_mnist_batch`.

    Attributes:
        images: uint8 ``(N, 28, 28)``; all zeros where the conversion failed.
        ok: bool ``(N,)``, False where it failed.
        reasons: the error message of each failed image, ``None`` for the others.
    """

    images: np.ndarray
    ok: np.ndarray
    reasons: list

    def __len__(self) -> int:
        return len(self.ok)


def to_mnist_batch(images, *, errors: str = "raise") -> Prepared:
    """Convert several images to MNIST format, optionally keeping going past the ones that fail.

    Args:
        images: anything :func:`handdigits.validation.check_images` accepts (one
            image, a batch array, or a list of paths / bytes / PIL images / arrays).
        errors: ``"raise"`` re-raises the first failure (its message names the
            image); ``"mark"`` records it in :attr:`Prepared.reasons` and goes on.
            Undecodable files inside a list are marked too.

    Example:
        >>> import numpy as np
        >>> from handdigits.preprocess import to_mnist_batch
        >>> r = to_mnist_batch([np.zeros((40, 40), np.uint8)], errors="mark")
        >>> r.ok.tolist(), r.reasons[0][:12]
        ([False], 'no ink found')
    """
    from ..validation import check_choice

    check_choice(errors, "errors", ("raise", "mark"))
    if errors == "mark":
        checked, reasons = check_images_marked(images)
    else:
        checked = list(check_images(images)[0])
        reasons = [None] * len(checked)
    n = len(checked)
    out = np.zeros((n, MNIST_SIZE, MNIST_SIZE), np.uint8)
    for i, a in enumerate(checked):
        if a is None:
            continue
        try:
            out[i] = mnist_from_array(a)
        except ValueError as exc:
            if errors == "raise":
                raise type(exc)(exc.args[0] if n == 1 else f"image {i} of {n}: {exc}") from None
            reasons[i] = str(exc)
    ok = np.array([r is None for r in reasons], bool)
    return Prepared(images=out, ok=ok, reasons=reasons)


def trace(image) -> Trace:
    """Every step of :func:`to_mnist` for one image: what the model saw and why.

    Never raises :class:`BlankImageError`: a refused image has ``error`` set and a
    zero ``output``.  Invalid inputs raise as in :func:`to_mnist`.

    Example:
        >>> from handdigits.preprocess import trace
        >>> from handdigits.samples import list_samples
        >>> t = trace(list_samples()[0])
        >>> t.output.shape, t.error
        ((28, 28), None)
        >>> t.figure().height
        112
    """
    images, single = check_images(image)
    if not single:
        raise ValueError(f"trace explains one image, got {image_count(images)} images; call it once per image")
    a = images[0]
    small = _unenlarged(a)
    a, enlarged = (a, 1) if small is None else small
    fast = _as_mnist(a)
    if fast is not None:
        ink = fast > INK_ABOVE  # the fast path's own ink level
        t = Trace(
            original=fast.copy(), scale=1, ink=ink, rulings=np.zeros_like(ink), box=_bbox(ink), output=fast,
            inverted=_fast_inverted(a), path="fast", error=None,
        )
    else:
        t = _run(a, keep=True)
    return t if small is None else dataclasses.replace(t, scale=t.scale * enlarged)



"""Any digit image -> the MNIST format (28×28 uint8, white ink on black).

:func:`to_mnist` follows the recipe used to build MNIST itself (size-normalise
the digit into a 20×20 box keeping its aspect ratio, then centre it by centre
of mass in a 28×28 field) after finding the ink in a real photo or scan:

1. **Fast path**: a 28×28 grey image that already looks like MNIST (clean dark
   background, ink 18–21 px tall or wide, centre of mass within 0.75 px of
   (14, 14)) is returned as it is, so MNIST arrays pass through unchanged.
2. **Reduce first**: images larger than ``WORK_MAX`` px are shrunk by an
   integer box filter *in their own dtype* (Pillow ``reduce`` for uint8), so a
   144-megapixel scan never exists as a full-size float array.  A varying alpha
   channel is composited over the paper colour.
3. **Paper and polarity** (:func:`paper_polarity`): the paper is what the image
   *border* shows (its median, corners counted twice), so sparse thin-pen ink
   and tight crops where ink covers half the pixels are both read right; the
   ink is on the side of the paper where the extremes are farthest.
4. **Ink strength**: a smooth local paper colour (grey-level opening of a
   64-px thumbnail, per colour channel) is subtracted; a pixel's ink strength is
   its luminance step towards the ink plus its *colour* distance from the
   paper, so red ink on pink paper counts as much as black on white.
5. **Ruled and squared paper** (:func:`find_rulings`): long thin straight
   structures (tilt searched in ±2.5°) that cover 35 % of the image width or
   height and repeat at a regular spacing (or run past the rest of the ink on
   both sides) are erased, except where a stroke of the digit crosses them or
   lies on them with a heavier pen.
6. **Ink and blank test**: a threshold from the noise level (median absolute
   deviation) and the strokes' own strength (local contrast), so small and
   faint digits are found; :class:`BlankImageError` when the largest ink blob
   is tiny (< 3 % of the longer side) or not clearly above the noise
   (4 noise standard deviations and 0.03 of the full range), or is only a
   flat horizontal stroke (a leftover piece of a ruling line).
7. **Components**: 8-connected components; the largest is kept with every
   sizeable component near it.
8. **Stroke width** (:func:`stroke_width`): strokes that would come out thinner
   or much thicker than MNIST's are dilated or eroded towards MNIST's.
9. **Crop, resize, centre** with Lanczos anti-aliasing, centre of mass at (14, 14).

Tiny inputs (longer side < ``TINY``, e.g. 8×8 or 16×16 scans) take a
**grey-level path**: no threshold; the grey levels are stretched between paper
and ink, the digit is upscaled smoothly (bicubic) and centred.

:func:`trace` returns every intermediate step for one image (what the model
saw); :func:`to_mnist_batch` converts many images and keeps going past the
ones that fail.  Only numpy and Pillow are used.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .validation import check_images, describe

MNIST_SIZE = 28
BOX = 20  # MNIST digits are size-normalised into a 20×20 box ...
CENTRE = 14.0  # ... and centred so their centre of mass is at pixel index 14 (measured on MNIST test)

WORK_MAX = 384  # images are reduced (integer box filter) until their longer side is at most this
TINY = 24  # images with a longer side below this take the grey-level path (no threshold)
RULING_MIN_SIDE = 64  # ruled or squared paper is looked for only in images at least this large
_THUMB_MAX = 64  # longer side of the paper-colour thumbnail
_LABEL_MAX = 128  # longer side of the mask used for connected components
_MIN_SNR = 4.0  # ink must stand this many noise standard deviations above the paper
_MIN_CONTRAST = 0.03  # ... and at least this far (fraction of the full range)
_MAX_FATNESS, _FAT_CONTRAST = 0.22, 0.25  # a blob this "fat" (stroke width / size) must be this contrasted
_MAX_SPECKLE = 0.3  # ink whose pixels are mostly isolated or line ends is noise, not strokes
_MIN_EXTENT = 0.03  # the digit's largest blob spans at least this fraction of the longer side
STROKE_RANGE = (1.3, 3.4)  # stroke widths (output px) left as they are; MNIST: 1.3-3.0 (5-95 %)
STROKE_TARGET = 1.9  # thin strokes are thickened to about MNIST's median width
STROKE_TARGET_THICK = 2.8  # very thick strokes are thinned to about this
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


class BlankImageError(ValueError):
    """No digit was found: the image is empty, or its ink is too faint or too small to be a digit.

    The message starts with ``"no ink found"`` and says which test failed.
    """


# --------------------------------------------------------------------------- public API


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
        raise ValueError(f"to_mnist converts one image, got {_count(images)} images; call it once per image")
    return mnist_from_array(images[0])


def mnist_from_array(a: np.ndarray) -> np.ndarray:
    """:func:`to_mnist` for an array already checked by ``check_images`` ((H, W) or (H, W, C))."""
    fast = _fast_path(a)
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
    from .validation import check_choice

    check_choice(errors, "errors", ("raise", "mark"))
    if errors == "mark" and isinstance(images, (list, tuple)):
        items = list(images)
        if not items:
            check_images(items)  # the usual "empty list" error
        checked, reasons = [], []
        for i, item in enumerate(items):
            try:
                checked.append(check_images(item, name=f"image[{i}]")[0][0])
                reasons.append(None)
            except (ValueError, TypeError, FileNotFoundError) as exc:
                checked.append(None)
                reasons.append(str(exc))
    else:
        arrays, _ = check_images(images)
        checked, reasons = list(arrays), [None] * len(arrays)
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


@dataclasses.dataclass(frozen=True)
class Trace:
    """What :func:`to_mnist` did with one image (see :func:`trace`).

    Attributes:
        original: the decoded input as uint8 RGB or grey, reduced by ``scale``
            when it was larger than ``WORK_MAX`` pixels.
        scale: input pixels per pixel of ``original`` (1 when not reduced).
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
    scale: int
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

        from .validation import check_number

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
        raise ValueError(f"trace explains one image, got {_count(images)} images; call it once per image")
    a = images[0]
    fast = _fast_path(a)
    if fast is not None:
        g = fast.astype(np.float32) / 255.0
        ink = g > 0.1
        return Trace(
            original=np.ascontiguousarray(np.rint(g * 255).astype(np.uint8)), scale=1, ink=ink,
            rulings=np.zeros_like(ink), box=_bbox(ink), output=fast, inverted=_fast_inverted(a), path="fast", error=None,
        )
    return _run(a, keep=True)


def _count(images) -> str:
    return str(len(images)) if isinstance(images, list) else describe(images)


# --------------------------------------------------------------------------- fast path


def _fast_path(a: np.ndarray) -> np.ndarray | None:
    """The image itself when it is a 28×28 grey image already in MNIST form, else None."""
    if a.shape[:2] != (MNIST_SIZE, MNIST_SIZE):
        return None
    if a.ndim == 3 and a.shape[2] != 1:  # grey stored as RGB (or opaque RGBA): its first channel
        if a.shape[2] == 4 and a[..., 3].min() != a[..., 3].max():
            return None
        if not (np.array_equal(a[..., 0], a[..., 1]) and np.array_equal(a[..., 0], a[..., 2])):
            return None
        a = a[..., :1]
    g = _to_unit(a).reshape(MNIST_SIZE, MNIST_SIZE).astype(np.float64)
    if np.median(g) > 0.5 * (np.percentile(g, 1) + np.percentile(g, 99)):
        g = 1.0 - g
    if not _looks_like_mnist(g):
        return None
    return np.rint(g * 255.0).astype(np.uint8)


def _fast_inverted(a: np.ndarray) -> bool:
    g = _to_unit(a[..., :1] if a.ndim == 3 else a).reshape(MNIST_SIZE, MNIST_SIZE)
    return bool(np.median(g) > 0.5 * (np.percentile(g, 1) + np.percentile(g, 99)))


def _looks_like_mnist(g: np.ndarray) -> bool:
    """A 28×28 [0, 1] white-on-black image already size-normalised and centred."""
    if (g < 0.05).mean() < 0.5:
        return False
    ink = g > 0.1
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    if rows.size == 0:
        return False
    extent = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    if not 18 <= extent <= 21:
        return False
    cy, cx = _centre_of_mass(g)
    return abs(cy - CENTRE) <= 0.75 and abs(cx - CENTRE) <= 0.75


# --------------------------------------------------------------------------- decoding to the working image


def _scale_of(a: np.ndarray) -> tuple[float, float]:
    """(offset, scale) mapping ``a``'s values to [0, 1]: uint8 / 255, uint16 / 65535, floats in [0, 1] as they are."""
    if a.dtype == np.uint8:
        return 0.0, 255.0
    lo, hi = float(a.min()), float(a.max())
    if lo < 0:  # negative values: stretch the range
        return lo, (hi - lo) if hi > lo else 1.0
    if np.issubdtype(a.dtype, np.floating) and hi <= 1.0:
        return 0.0, 1.0
    if hi <= 255.0:
        return 0.0, 255.0
    if hi <= 65535.0:
        return 0.0, 65535.0
    return 0.0, hi


def _to_unit(a: np.ndarray) -> np.ndarray:
    """An array scaled to float32 [0, 1] (same shape)."""
    off, scale = _scale_of(a)
    return np.clip((a.astype(np.float32) - off) / scale, 0.0, 1.0)


def _reduce(a: np.ndarray, f: int) -> np.ndarray:
    """Integer box reduction by ``f`` of an (H, W, C) array, as float32 in the input's units.

    uint8 images go through Pillow's ``reduce`` (C code, no float copy); other
    dtypes are averaged ``f`` rows at a time so no full-size float array is made.
    """
    from PIL import Image

    h, w, c = a.shape
    if a.dtype == np.uint8 and c in (1, 3, 4):
        img = Image.fromarray(a[..., 0] if c == 1 else a)
        out = np.asarray(img.reduce(f), np.float32)
        return out.reshape(out.shape[0], out.shape[1], c)
    nh, nw = -(-h // f), -(-w // f)
    out = np.empty((nh, nw, c), np.float32)
    for i in range(nh):
        rows = a[i * f : (i + 1) * f].astype(np.float32)
        pad = nw * f - w
        if pad:
            rows = np.concatenate([rows, np.repeat(rows[:, -1:], pad, axis=1)], axis=1)
        out[i] = rows.reshape(rows.shape[0], nw, f, c).mean(axis=(0, 2))
    return out


def _working_image(a: np.ndarray) -> tuple[np.ndarray, int]:
    """(H, W[, C]) any dtype -> (h, w, 1 or 3) float32 in [0, 1] with longer side <= WORK_MAX, and the factor."""
    if a.ndim == 2:
        a = a[..., None]
    h, w = a.shape[:2]
    f = int(np.ceil(max(h, w) / WORK_MAX))
    off, scale = _scale_of(a[..., :3] if a.shape[-1] == 4 else a)
    if f > 1:
        x = _reduce(a, f)
    else:
        x = a.astype(np.float32)
    alpha = None
    if x.shape[-1] == 4:
        ascale = 255.0 if a.dtype == np.uint8 else max(1.0, float(x[..., 3].max()))
        alpha = np.clip(x[..., 3] / ascale, 0.0, 1.0)
        x = x[..., :3]
    elif x.shape[-1] == 2:  # grey + alpha arrays are not produced by check_images; keep grey
        x = x[..., :1]
    x = np.clip((x - off) / scale, 0.0, 1.0)
    if x.shape[-1] == 3 and np.ptp(x, axis=-1).max() < 1.5 / 255:
        x = x[..., :1]  # a grey picture stored as RGB
    if alpha is not None and float(alpha.max() - alpha.min()) > 1e-3:
        opaque = alpha > 0.5
        lum = x @ _LUMA[: x.shape[-1]] if x.shape[-1] == 3 else x[..., 0]
        ink_is_dark = float(lum[opaque].mean()) < 0.5 if opaque.any() else True
        paper = 1.0 if ink_is_dark else 0.0
        x = alpha[..., None] * x + (1.0 - alpha[..., None]) * paper
    return x, f


def _luminance(x: np.ndarray) -> np.ndarray:
    return x[..., 0] if x.shape[-1] == 1 else x @ _LUMA


# --------------------------------------------------------------------------- paper, polarity, ink strength


def _border_values(g: np.ndarray) -> np.ndarray:
    """Pixels of the image border (a ring ~3 % wide) with the four corner patches counted twice."""
    h, w = g.shape[:2]
    b = max(1, round(0.03 * min(h, w)))
    c = max(1, round(0.1 * min(h, w)))
    parts = [g[:b].reshape(-1, *g.shape[2:]), g[-b:].reshape(-1, *g.shape[2:]),
             g[b:-b, :b].reshape(-1, *g.shape[2:]), g[b:-b, -b:].reshape(-1, *g.shape[2:])]
    for ys in (slice(0, c), slice(h - c, h)):
        for xs in (slice(0, c), slice(w - c, w)):
            parts.append(g[ys, xs].reshape(-1, *g.shape[2:]))
    return np.concatenate(parts)


def paper_polarity(lum: np.ndarray) -> tuple[float, bool]:
    """The paper's grey level and whether the ink is darker than the paper.

    The paper is what the image *border* shows: its median (corners counted
    twice) -- paper in notebook photos, on canvases where the ink is sparse,
    and in tight crops where the ink covers more than half the pixels but
    rarely the corners.  Uneven light and shadows, as a plane
    fitted robustly to the border, are taken out; the ink then lies on the side
    where the image's extremes (0.2nd / 99.8th percentiles, so even a thin
    pen's sparse ink counts) are farther from the paper.

    >>> import numpy as np
    >>> page = np.ones((100, 100), np.float32); page[30:70, 48:51] = 0.1   # a thin dark "1"
    >>> paper_polarity(page)
    (1.0, True)
    """
    paper = float(np.median(_border_values(lum)))
    flat = lum - _border_surface(lum) + paper  # uneven light and shadows, as seen on the border, removed
    lo, hi = np.quantile(flat, (0.002, 0.998))
    return paper, bool(paper - float(lo) > float(hi) - paper)


def _border_surface(lum: np.ndarray) -> np.ndarray:
    """A plane fitted (robustly: ink touching the border is left out) to the border's grey levels."""
    h, w = lum.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    yy, xx = yy / max(h - 1, 1) - 0.5, xx / max(w - 1, 1) - 0.5
    terms = [np.ones_like(yy), yy, xx]
    a = np.stack([_border_values(t) for t in terms], axis=1).astype(np.float64)
    b = _border_values(lum).astype(np.float64)
    keep = np.ones(b.size, bool)
    for _ in range(3):
        coef = np.linalg.lstsq(a[keep], b[keep], rcond=None)[0]
        r = b - a @ coef
        mad = 1.4826 * float(np.median(np.abs(r[keep]))) + 1e-3
        keep = np.abs(r) < 2.5 * mad
    if keep.mean() < 0.85:  # much of the border is not smooth paper (ink touching it): no surface
        return np.full(lum.shape, float(np.median(b)), np.float32)
    surface = sum(float(c) * t for c, t in zip(coef, terms))
    return np.clip(surface, float(b[keep].min()), float(b[keep].max())).astype(np.float32)


def _paper_colour(x: np.ndarray, fraction: float) -> np.ndarray:
    """Smooth local paper colour of an ink-bright (ink > paper) working image, per channel.

    A grey-level opening (minimum then maximum filter ``fraction`` of the image
    wide) of a 64-px thumbnail removes every bright structure narrower than the
    filter -- the ink -- and keeps the light and shadows; it is blurred and
    scaled back up.
    """
    from PIL import Image

    h, w, c = x.shape
    f = max(1.0, max(h, w) / _THUMB_MAX)
    th, tw = max(1, round(h / f)), max(1, round(w / f))
    k = max(5, int(fraction * max(th, tw)) | 1)
    out = np.empty_like(x)
    for ch in range(c):
        thumb = x[..., ch]
        if (th, tw) != (h, w):
            thumb = _resize(thumb, (tw, th), Image.Resampling.BOX)
        if ch == 0 and c == 1 or _brighter_ink(thumb):
            opened = _rank(_rank(thumb, k, np.min), k, np.max)  # opening: removes bright ink
        else:  # a colour channel where this ink is darker than the paper (e.g. blue in blue ink): closing
            opened = _rank(_rank(thumb, k, np.max), k, np.min)
        smooth = _box_blur(_box_blur(opened, k // 2), k // 2)
        out[..., ch] = smooth if smooth.shape == (h, w) else _resize(smooth, (w, h), Image.Resampling.BILINEAR)
    return out


def _brighter_ink(channel: np.ndarray) -> bool:
    """Whether the extremes of ``channel`` lie above its border's level rather than below."""
    paper = float(np.median(_border_values(channel)))
    lo, hi = np.quantile(channel, (0.002, 0.998))
    return float(hi) - paper >= paper - float(lo)


def _ink_strength(x: np.ndarray) -> np.ndarray:
    """Ink strength of an ink-bright working image: luminance step towards the ink plus colour distance."""
    local = _strength(x, _paper_colour(x, 0.25))  # follows shadows; hollows out thick strokes
    wide = _strength(x, _paper_colour(x, 0.5))  # keeps thick strokes whole
    h, w = local.shape
    g = int(np.ceil(max(h, w) / _THUMB_MAX))
    seed = _block_any(local > 0.5 * float(local.max()), g).astype(np.float32)
    near = _rank(seed, max(3, int(0.25 * max(seed.shape)) | 1), np.max) > 0  # within a stroke's reach of ink
    near = np.repeat(np.repeat(near, g, 0), g, 1)[:h, :w]
    return np.where(near, wide, local)


def _strength(x: np.ndarray, paper: np.ndarray) -> np.ndarray:
    r = x - np.minimum(paper, x.max(axis=(0, 1)))
    if x.shape[-1] == 1:
        return np.maximum(r[..., 0], 0.0)
    lum = r @ _LUMA
    chroma = r - r.mean(axis=-1, keepdims=True)
    dist = np.sqrt((chroma * chroma).sum(axis=-1) * 1.5)
    return np.maximum(lum, 0.0) + dist


# --------------------------------------------------------------------------- ruled and squared paper


def find_rulings(mask: np.ndarray, *, min_cover: float = 0.35) -> np.ndarray:
    """The pixels of ``mask`` on ruling or grid lines (bool, same shape).

    A line is a band of at most ``max(4, 6 %)`` rows (after undoing a tilt of up
    to ±2.5°, searched in 0.25° steps) where the mask covers at least
    ``min_cover`` of the image width (above the profile's local level); the same
    for columns.  A band counts as a printed line when it lies on the common
    period of three or more parallel bands (ruled paper is regular), or when it
    runs past the digit (the main blob of the remaining ink) on both sides, or
    on one side with a parallel partner: the bar of a 7 or the stem of a 1 ends
    where the digit ends, a printed line does not.  The pixels returned exclude
    strokes that cross a line or lie on it with a heavier pen (see
    ``_line_pixels``).

    >>> import numpy as np
    >>> m = np.zeros((60, 80), bool); m[::12, :] = True; m[10:50, 40] = True   # a "1" on ruled paper
    >>> lines = find_rulings(m)
    >>> int(lines.sum()), int(lines[10:50, 40].sum())   # 5 lines of 80 px, less the 4 crossings
    (396, 0)
    """
    strength = mask.astype(np.float32)
    lines = _rulings(mask, min_cover, strength)
    return _line_pixels(mask, lines, strength) if lines else np.zeros_like(mask)


def _rulings(mask: np.ndarray, min_cover: float, strength: np.ndarray) -> list[dict]:
    """Accepted line bands: dicts with ``axis``, ``tilt``, ``bins`` (lo, hi), ``area`` (bool mask)."""
    bands = {axis: _line_bands(mask if axis == 0 else mask.T, min_cover) for axis in (0, 1)}
    if not bands[0] and not bands[1]:
        return []
    for axis in (0, 1):
        for band in bands[axis]:
            band["axis"] = axis
            if axis == 1:
                band["area"] = band["area"].T
    digit = _main_blob(mask & ~_line_pixels(mask, bands[0] + bands[1], strength))
    accepted = []
    for axis in (0, 1):
        r = digit if axis == 0 else digit.T
        cols = np.nonzero(r)[1]
        lo, hi = (np.quantile(cols, (0.01, 0.99)) if cols.size else (np.inf, -np.inf))
        margin = 0.04 * r.shape[1]
        on_period = _on_period([0.5 * (b["bins"][0] + b["bins"][1]) for b in bands[axis]])
        if not cols.size and not on_period.any():
            continue  # the candidate lines are all the ink there is: they are the digit
        for band, periodic in zip(bands[axis], on_period):
            left = band["x0"] < lo - margin
            right = band["x1"] > hi + margin
            if periodic or (left and right) or (len(bands[axis]) == 2 and (left or right)):
                accepted.append(band)
    return accepted


def _on_period(centres: list) -> np.ndarray:
    """Which of >= 3 parallel line positions fall on their common period (ruled paper's regular spacing)."""
    c = np.sort(np.asarray(centres, np.float64))
    out = np.zeros(len(centres), bool)
    if c.size < 3:
        return out
    d = float(np.median(np.diff(c)))
    if d <= 0:
        return out
    phase = np.angle(np.exp(2j * np.pi * c / d).sum())  # circular mean of the positions modulo d
    r = ((np.asarray(centres) / d - phase / (2 * np.pi)) + 0.5) % 1.0 - 0.5
    out = np.abs(r) < 0.15
    return out if out.sum() >= 3 else np.zeros(len(centres), bool)


def _line_bins(shape: tuple[int, int], tilt: float) -> np.ndarray:
    """For each pixel of an (h, w) image, the index of its row after undoing ``tilt`` (tan of the angle)."""
    h, w = shape
    off = int(np.ceil(abs(tilt) * w)) + 1
    ys, xs = np.mgrid[0:h, 0:w]
    return np.rint(ys - tilt * xs).astype(np.int64) + off


def best_tilt(ys: np.ndarray, xs: np.ndarray, h: int, w: int):
    """The tilt (of up to ±2.5°) along which the ink pixels ``(ys, xs)`` of an ``h × w`` mask pile up most.

    Each pixel goes to the bin ``round(y - tilt * x) + offset``; the tilt whose
    bin counts have the largest sum of squares (the most concentrated
    profile) wins.  Returns ``(tilt, offset, bins, counts)``: ``tilt`` as a
    slope, the bin of every pixel and the count of every bin.  Shared by the
    ruling-line search here and the line search of :mod:`handdigits.reading`.
    """
    best = None
    for t in np.tan(np.radians(np.arange(-2.5, 2.51, 0.25))):
        off = int(np.ceil(abs(t) * w)) + 1
        bins = np.rint(ys - t * xs).astype(np.int64) + off
        counts = np.bincount(bins, minlength=h + 2 * off)
        score = float((counts.astype(np.float64) ** 2).sum())
        if best is None or score > best[0]:
            best = (score, t, off, bins, counts)
    return best[1:]


def _line_bands(m: np.ndarray, min_cover: float) -> list[dict]:
    """Horizontal line bands of a mask: dicts with ``tilt``, ``bins``, ``area``, ``x0``, ``x1``."""
    h, w = m.shape
    ys, xs = np.nonzero(m)
    if ys.size < min_cover * w:
        return []
    t, _, bins, counts = best_tilt(ys, xs, h, w)
    # a line is a peak of the profile above its local level (a digit the line crosses raises the level)
    padded = np.pad(counts, 7, mode="edge")
    base = np.median(np.lib.stride_tricks.sliding_window_view(padded, 15), axis=-1)
    counts = np.maximum(counts - base, 0)
    pair = counts + np.concatenate([counts[1:], [0]])  # a line's pixels may fall into two neighbouring bins
    cand = np.flatnonzero(np.maximum(counts, pair) / w >= min_cover)
    if cand.size == 0:
        return []
    lines = np.zeros(counts.size, bool)
    lines[cand] = True
    lines[np.clip(cand + 1, 0, counts.size - 1)] = True  # the pair's second bin
    edges = np.diff(np.concatenate([[0], lines.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    bands = []
    for s0, e0 in zip(starts, ends):
        peak = counts[s0:e0].max()
        if s0 > 0 and counts[s0 - 1] > 0.3 * peak:
            s0 -= 1
        if e0 < counts.size and counts[e0] > 0.3 * peak:
            e0 += 1
        if e0 - s0 > max(4, 0.06 * h):
            continue  # a wide bar (a filled region), not a printed line
        sel = (bins >= s0) & (bins < e0)
        area = np.zeros_like(m)
        area[ys[sel], xs[sel]] = True
        x0, x1 = _longest_run(xs[sel], w, gap=max(2, int(0.03 * w)))
        bands.append({"tilt": float(t), "bins": (int(s0), int(e0)), "area": area, "x0": x0, "x1": x1})
    return bands


def _longest_run(xs: np.ndarray, w: int, gap: int) -> tuple[float, float]:
    """First and last position of the longest stretch of ``xs`` (positions in 0..w-1) with gaps <= ``gap``."""
    u = np.unique(xs)
    breaks = np.flatnonzero(np.diff(u) > gap)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [u.size - 1]])
    i = int(np.argmax(u[ends] - u[starts]))
    return float(u[starts[i]]), float(u[ends[i]])


def _run_lengths(mask: np.ndarray) -> np.ndarray:
    """For each True pixel, the length of the vertical run of True pixels it belongs to (0 elsewhere)."""
    h, w = mask.shape
    col = np.concatenate([np.zeros((1, w), bool), mask, np.zeros((1, w), bool)]).T.ravel()
    d = np.diff(col.astype(np.int8))
    starts, ends = np.flatnonzero(d == 1) + 1, np.flatnonzero(d == -1) + 1  # [start, end) in ``col``
    lengths = ends - starts
    out = np.zeros(col.size, np.int32)
    if lengths.size:
        pos = np.repeat(starts - np.cumsum(np.concatenate([[0], lengths[:-1]])), lengths) + np.arange(lengths.sum())
        out[pos] = np.repeat(lengths, lengths)
    return out.reshape(w, h + 2)[:, 1:-1].T


def _line_pixels(mask: np.ndarray, lines: list[dict], strength: np.ndarray) -> np.ndarray:
    """The pixels of accepted lines to erase.

    A pixel of a line's band is erased when its run across the line is no
    longer than twice the lines' typical run (+1 px) and it is not much darker than
    the line (< 1.8 × the line's median strength): a stroke of the digit
    crossing the line, or lying along it with a heavier pen, is kept.  Grid
    crossings (in a band of each orientation) are erased.
    """
    out = np.zeros_like(mask)
    areas = {0: np.zeros_like(mask), 1: np.zeros_like(mask)}
    for ln in lines:
        areas[ln["axis"]] |= ln["area"]
    runs = {0: _run_lengths(mask), 1: _run_lengths(mask.T).T}
    faint = np.ones_like(mask)
    for axis in (0, 1):
        area = areas[axis]
        if not area.any():
            continue
        run = runs[axis]
        typical = float(np.median(run[area]))  # the printed lines' thickness and strength, over all of them
        level = float(np.median(strength[area]))
        out |= area & (run <= 2 * typical + 1) & (strength < 1.8 * level)
        faint &= strength < 1.8 * level
    return out | (areas[0] & areas[1] & faint)


def _main_blob(mask: np.ndarray) -> np.ndarray:
    """The largest component of a mask with its sizeable neighbours (on a mask reduced to <= 128 px)."""
    if not mask.any():
        return mask
    h, w = mask.shape
    g = int(np.ceil(max(h, w) / _LABEL_MAX))
    kept, _ = _keep_components(_block_any(mask, g))
    if g > 1:
        kept = np.repeat(np.repeat(kept, g, 0), g, 1)[:h, :w]
    return kept & mask


def _block_any(mask: np.ndarray, g: int) -> np.ndarray:
    """A bool mask reduced by ``g`` (a block is True when any of its pixels is)."""
    if g <= 1:
        return mask
    h, w = mask.shape
    ph, pw = -h % g, -w % g
    return np.pad(mask, ((0, ph), (0, pw))).reshape((h + ph) // g, g, (w + pw) // g, g).any(axis=(1, 3))


# --------------------------------------------------------------------------- the full path


def _run(a: np.ndarray, *, keep: bool) -> Trace:
    """The full conversion of one checked array; ``keep`` retains the pictures for :class:`Trace`."""
    x, f = _working_image(a)
    h, w = x.shape[:2]
    original = np.rint(x[..., 0] * 255).astype(np.uint8) if x.shape[-1] == 1 else np.rint(x * 255).astype(np.uint8)
    if max(h, w) < TINY:
        return _grey_path(x, original)
    lum = _luminance(x)
    _, dark_ink = paper_polarity(lum)
    if dark_ink:
        x = 1.0 - x
    s = _ink_strength(x)
    empty = np.zeros((h, w), bool)

    def fail(reason: str, ink=empty, rulings=empty) -> Trace:
        return Trace(original, f, ink, rulings, None, np.zeros((MNIST_SIZE, MNIST_SIZE), np.uint8), dark_ink,
                     "photo", f"no ink found in image (blank or near-blank: {reason})")

    med, sd = _paper_stats(s)
    loose = s > med + 3.0 * sd
    # ruled paper shows in photos and scans of a page, not in digit-sized crops, where a 4's bar or a
    # 7's top would pass for a printed line (EMNIST's 28x28 digits lost strokes that way)
    lines = _rulings(loose, 0.35, s) if loose.any() and max(h, w) >= RULING_MIN_SIDE else []
    rulings = _line_pixels(loose, lines, s) if lines else empty
    if lines:
        s = np.where(_grow(rulings) & ~(loose & ~rulings), med, s)  # the lines and their faint edges
        med, sd = _paper_stats(s)
        loose = s > med + 3.0 * sd
    if not loose.any():
        return fail("no pixel stands out from the background")
    top = float(np.quantile(s[loose], 0.9))
    t = max(med + 4.0 * sd, med + 0.4 * (top - med))
    fg = s > t
    if not fg.any() or fg.all():
        return fail("no pixel stands out from the background", rulings=rulings)

    # connected components on a reduced mask (block "any"), then back to full size
    g = int(np.ceil(max(h, w) / _LABEL_MAX))
    kept, extent = _keep_components(_block_any(fg, g))
    if g > 1:
        kept = np.repeat(np.repeat(kept, g, 0), g, 1)[:h, :w]
    kept &= fg
    if extent * g < _MIN_EXTENT * max(h, w) or extent * g < 2:
        return fail(f"largest ink blob is only {extent * g} px in a {h}x{w} image", fg, rulings)
    ink_level = float(np.median(s[kept]))
    contrast = ink_level - med
    if contrast < _MIN_CONTRAST or contrast < _MIN_SNR * sd:
        return fail(f"ink contrast {contrast:.3f} (need >= {_MIN_CONTRAST} and >= {_MIN_SNR:g} x noise {sd:.3f})",
                    fg, rulings)
    p = np.pad(kept, 1)
    neighbours = sum(p[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w].astype(np.uint8)
                     for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx)
    speckle = float((kept & (neighbours <= 1)).sum()) / max(int(kept.sum()), 1)
    if speckle > _MAX_SPECKLE and max(h, w) >= 64:  # photos: paper texture (tiny arrays are judged as they are)
        return fail(f"the ink is a cloud of specks ({speckle:.0%} of its pixels isolated or line ends): "
                    "paper texture or noise", fg, rulings)
    kb = _bbox(kept)
    blob = kept[kb[1] : kb[3], kb[0] : kb[2]]
    fatness = stroke_width(blob.astype(np.float32)) / max(blob.shape)
    if fatness > _MAX_FATNESS and contrast < _FAT_CONTRAST:
        return fail(f"a faint blob with no strokes (stroke width {fatness:.0%} of its size, contrast {contrast:.3f}):"
                    " a shadow or a stain", fg, rulings)
    region = _rank(kept.astype(np.float32), 5, np.max) > 0
    lo = min(med + 2.0 * sd, t)
    hi = max(ink_level, lo + 1e-6)
    v = np.clip((s - lo) / (hi - lo), 0.0, 1.0) * region
    ink_mask = kept if keep else empty
    box = _bbox(v > 0)
    if box is None:
        return fail("the ink vanished", fg, rulings)
    x0, y0, x1, y1 = box
    if (y1 - y0) < 0.25 * (x1 - x0):
        return fail(f"the only ink is a flat horizontal stroke ({x1 - x0}x{y1 - y0} px), no digit is that flat",
                    fg, rulings)
    out = _to_box(v[y0:y1, x0:x1], stroke=True)
    if out is None:
        return fail("the ink vanished when resized", fg, rulings)
    return Trace(original, f, ink_mask, rulings, box, out, dark_ink, "photo", None)


def _paper_stats(s: np.ndarray) -> tuple[float, float]:
    """The paper's ink strength and noise: median and median absolute deviation of the image border."""
    border = _border_values(s)
    med = float(np.median(border))
    return med, max(1.4826 * float(np.median(np.abs(border - med))), 0.004)


def _grey_path(x: np.ndarray, original: np.ndarray) -> Trace:
    """Tiny grey-level inputs: stretch between paper and ink, no threshold, smooth upscaling."""
    lum = _luminance(x).astype(np.float64)
    h, w = lum.shape
    empty = np.zeros((h, w), bool)
    paper, dark_ink = paper_polarity(lum)
    g = paper - lum if dark_ink else lum - paper
    peak = float(np.max(g))
    noise = float(np.std(g[g < 0.5 * peak])) if (g < 0.5 * peak).any() else 0.0
    zero = np.zeros((MNIST_SIZE, MNIST_SIZE), np.uint8)
    if peak < 0.1 or peak < _MIN_SNR * noise or (g > 0.5 * peak).sum() < 2:
        return Trace(original, 1, empty, empty, None, zero, dark_ink, "grey",
                     f"no ink found in image (blank or near-blank: ink contrast {peak:.3f} in a {h}x{w} image)")
    v = np.clip(g / peak, 0.0, 1.0)
    v[v < 0.1] = 0.0
    box = _bbox(v > 0)
    x0, y0, x1, y1 = box
    out = _to_box(v[y0:y1, x0:x1], stroke=False)
    return Trace(original, 1, v > 0.5, empty, box, out, dark_ink, "grey", None)


def _to_box(v: np.ndarray, *, stroke: bool) -> np.ndarray | None:
    """A cropped white-on-black [0, 1] digit -> (28, 28) uint8: longer side 20 px, centre of mass at (14, 14)."""
    from PIL import Image

    if stroke:
        v = _normalise_stroke(v)
    ch, cw = v.shape
    s = BOX / max(ch, cw)
    nh, nw = max(1, round(ch * s)), max(1, round(cw * s))
    if (nh, nw) != (ch, cw):
        method = Image.Resampling.LANCZOS if s < 1 or stroke else Image.Resampling.BICUBIC
        v = np.clip(_resize(v, (nw, nh), method), 0.0, 1.0)
    if v.sum() <= 0:
        return None
    cy, cx = _centre_of_mass(v)
    top = int(np.clip(np.floor(CENTRE - cy + 0.5), 0, MNIST_SIZE - nh))
    left = int(np.clip(np.floor(CENTRE - cx + 0.5), 0, MNIST_SIZE - nw))
    out = np.zeros((MNIST_SIZE, MNIST_SIZE))
    out[top : top + nh, left : left + nw] = v
    return np.rint(out * 255.0).astype(np.uint8)


# --------------------------------------------------------------------------- small helpers


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _grow(mask: np.ndarray) -> np.ndarray:
    """Dilate a bool mask by one pixel (3×3)."""
    p = np.pad(mask, 1)
    h, w = mask.shape
    out = np.zeros_like(mask)
    for dy in range(3):
        for dx in range(3):
            out |= p[dy : dy + h, dx : dx + w]
    return out


def _centre_of_mass(g: np.ndarray) -> tuple[float, float]:
    total = g.sum()
    cy = (g.sum(1) * np.arange(g.shape[0])).sum() / total
    cx = (g.sum(0) * np.arange(g.shape[1])).sum() / total
    return float(cy), float(cx)


def _resize(g: np.ndarray, size: tuple[int, int], resample) -> np.ndarray:
    """Resize a float (H, W) array to (width, height) ``size`` with Pillow."""
    from PIL import Image

    return np.asarray(Image.fromarray(np.asarray(g, np.float32), mode="F").resize(size, resample), dtype=np.float32)


def _rank(x: np.ndarray, k: int, op) -> np.ndarray:
    """Separable k×k minimum or maximum filter (``op`` = np.min / np.max), edges replicated."""
    r = k // 2
    for axis in (0, 1):
        p = np.pad(x, [(r, r) if a == axis else (0, 0) for a in range(2)], mode="edge")
        x = op(np.lib.stride_tricks.sliding_window_view(p, k, axis=axis), axis=-1)
    return x


def _box_blur(x: np.ndarray, r: int) -> np.ndarray:
    """Separable (2r+1)-box mean with edge padding (Pillow's blurs don't take float images)."""
    for axis in (0, 1):
        p = np.pad(x, [(r + 1, r) if a == axis else (0, 0) for a in range(2)], mode="edge")
        c = np.cumsum(p, axis=axis)
        n = x.shape[axis]
        x = (np.take(c, np.arange(2 * r + 1, 2 * r + 1 + n), axis) - np.take(c, np.arange(n), axis)) / (2 * r + 1)
    return x


def _label(mask: np.ndarray) -> np.ndarray:
    """8-connected component labels (min pixel index per component; -1 = background)."""
    h, w = mask.shape
    big = h * w
    lab = np.where(mask, np.arange(big).reshape(h, w), big)
    while True:
        p = np.pad(lab, 1, constant_values=big)
        new = lab.copy()
        for dy in range(3):
            for dx in range(3):
                np.minimum(new, p[dy : dy + h, dx : dx + w], out=new)
        new[~mask] = big
        flat = new.ravel()
        fg = flat < big
        for _ in range(4):  # pointer jumping
            flat[fg] = flat[flat[fg]]
        if np.array_equal(new, lab):
            break
        lab = new
    lab[~mask] = -1
    return lab


def _keep_components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Mask of the digit's components (largest + sizeable neighbours) and the largest's extent."""
    lab = _label(mask)
    ids, areas = np.unique(lab[lab >= 0], return_counts=True)
    order = np.argsort(-areas)[:64]
    ids, areas = ids[order], areas[order]
    boxes = []
    for i in ids:
        ys, xs = np.nonzero(lab == i)
        boxes.append((ys.min(), xs.min(), ys.max(), xs.max()))
    y0, x0, y1, x1 = boxes[0]
    largest_extent = int(max(y1 - y0, x1 - x0) + 1)
    keep = [ids[0]]
    pending = list(range(1, len(ids)))
    changed = True
    while changed:
        changed = False
        size = max(y1 - y0, x1 - x0) + 1
        for j in list(pending):
            if areas[j] < 0.05 * areas[0]:
                continue
            by0, bx0, by1, bx1 = boxes[j]
            gap = max(by0 - y1, y0 - by1, bx0 - x1, x0 - bx1, 0)
            if gap <= 0.25 * size:
                keep.append(ids[j])
                pending.remove(j)
                y0, x0, y1, x1 = min(y0, by0), min(x0, bx0), max(y1, by1), max(x1, bx1)
                changed = True
    return np.isin(lab, keep), largest_extent


def stroke_width(v: np.ndarray) -> float:
    """Mean stroke width of the ink (``v > 0.5``) in pixels: ``2 * area / boundary length``.

    For a stroke of width ``w`` and length ``L`` the area is ``w L`` and the
    boundary (pixels of the ink that touch the background) about ``2 L``.
    Strokes one pixel wide read as 2 (every pixel is boundary).
    """
    mask = v > 0.5
    area = int(mask.sum())
    if area == 0:
        return 0.0
    inner = _rank(np.pad(mask, 1).astype(np.float64), 3, np.min)[1:-1, 1:-1] > 0.5
    return 2.0 * area / max(int((mask & ~inner).sum()), 1)


def _normalise_stroke(v: np.ndarray) -> np.ndarray:
    """Thicken thin pen strokes (thin very thick marker ones) towards MNIST's stroke width.

    ``v``: the cropped digit, white ink on black in [0, 1].  Once size-normalised
    into the 20-px box, MNIST strokes are 1.3 to 3.0 px wide (5th to 95th
    percentile, median 1.9, by :func:`stroke_width` on MNIST test).  Ink that
    would come out thinner than ``STROKE_RANGE[0]`` is dilated towards the
    median, thicker than ``STROKE_RANGE[1]`` eroded towards ``STROKE_TARGET_THICK``.
    """
    scale = BOX / max(v.shape)
    width = stroke_width(v) * scale  # in output (28-px image) pixels
    if width <= 0 or STROKE_RANGE[0] <= width <= STROKE_RANGE[1]:
        return v
    target = STROKE_TARGET if width < STROKE_RANGE[0] else STROKE_TARGET_THICK
    r = int(round(abs(target - width) / scale / 2.0))  # a (2r+1) filter changes the width by 2r
    if r < 1:
        return v
    if width < STROKE_RANGE[0]:
        return _rank(np.pad(v, r), 2 * r + 1, np.max)
    thinner = _rank(v, 2 * r + 1, np.min)
    return thinner if (thinner > 0.5).any() else v

"""Any digit image -> the MNIST format (28×28 uint8, white ink on black).

:func:`to_mnist` follows the recipe used to build MNIST itself (size-normalise
the digit into a 20×20 box keeping its aspect ratio, then centre it by centre
of mass in a 28×28 field) after finding the ink robustly in a real image:

1. **Grayscale** (ITU-R 601 luminance; a varying alpha channel is composited
   over the paper colour) and scaled to [0, 1] (uint8 / 255, uint16 / 65535,
   floats in [0, 1] as they are, larger floats / 255).
2. **Polarity**: the background is the majority of the pixels, so an image whose
   median is nearer its bright end (dark ink on light paper) is inverted.
3. **Fast path**: a 28×28 image that already looks like MNIST (clean dark
   background, ink 18–21 px tall or wide, centre of mass within 0.75 px of
   (14, 14)) is returned as it is, so MNIST arrays pass through unchanged.
4. **Background removal** (uneven lighting, shadows, paper tone): a grey-level
   opening (min then max filter, ~¼ of the image) of a ≤64 px thumbnail,
   blurred and upscaled, is subtracted.
5. **Ink**: Otsu threshold of what is left.  The image is *blank* (ValueError)
   when the ink is not clearly above the background (contrast < 0.1 of the full
   range, or < 4 background standard deviations) or the largest ink component
   is tiny (< 1.5 % of the image's longer side).
6. **Components**: 8-connected components of the ink mask; the largest one is
   kept with every component of at least 5 % of its area lying near it (isolated
   specks of noise are dropped).
7. **Stroke width**: pen strokes that would come out thinner than MNIST's
   (1.3 px after size normalisation; MNIST: 1.3 to 3.0 px, median 1.9) are
   dilated towards 1.9 px, very thick marker strokes (> 3.4 px) eroded towards
   2.8 px (:func:`stroke_width`); MNIST-like strokes are left alone.
8. **Crop, resize, centre**: the kept ink (contrast-stretched so strokes reach
   255) is cropped to its bounding box, resized with Lanczos anti-aliasing so its
   longer side is 20 px, and pasted into 28×28 with its centre of mass at pixel
   (14, 14) (integer shift, as in MNIST).

Only Pillow and numpy are used.  Large images are first reduced (box filter) so
their longer side is at most 384 px; typical cost is ~0.1 ms on the fast path
and 3–20 ms for a photo (measured on the bundled samples).
"""

from __future__ import annotations

import numpy as np

from .validation import check_images, describe

MNIST_SIZE = 28
BOX = 20  # MNIST digits are size-normalised into a 20×20 box ...
CENTRE = 14.0  # ... and centred so their centre of mass is at pixel index 14 (measured on MNIST test)

_WORK_MAX = 384  # longer side of the working image
_THUMB_MAX = 64  # longer side of the background thumbnail
_LABEL_MAX = 128  # longer side of the mask used for connected components
_MIN_CONTRAST = 0.1
_MIN_SNR = 4.0
_MIN_EXTENT = 0.015
STROKE_RANGE = (1.3, 3.4)  # stroke widths (output px) left as they are; MNIST: 1.3-3.0 (5-95 %)
STROKE_TARGET = 1.9  # thin strokes are thickened to about MNIST's median width
STROKE_TARGET_THICK = 2.8  # very thick strokes are thinned to about this


def to_mnist(image) -> np.ndarray:
    """Convert one digit image to MNIST format.

    Args:
        image: a path, encoded image bytes, a PIL image, or an array
            ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` or ``(H, W, 4)`` of any real
            dtype (uint8 in [0, 255], uint16, floats in [0, 1] or [0, 255]).  Dark
            ink on light paper or light ink on a dark screen, any size.

    Returns:
        ``(28, 28)`` uint8 array in [0, 255], white ink on black, the digit's
        longer side 20 px and its centre of mass at (14, 14).

    Raises:
        ValueError: no ink found (blank or near-blank image), or an invalid input
            (see :func:`handdigits.validation.check_images`).
        FileNotFoundError, TypeError: see :func:`handdigits.validation.check_images`.

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


def _count(images) -> str:
    return str(len(images)) if isinstance(images, list) else describe(images)


def mnist_from_array(a: np.ndarray) -> np.ndarray:
    """:func:`to_mnist` for an array already checked by ``check_images`` ((H, W) or (H, W, C))."""
    g = _grayscale(a)
    if np.median(g) > 0.5 * (np.percentile(g, 1) + np.percentile(g, 99)):
        g = 1.0 - g  # dark ink on light paper -> MNIST polarity
    if g.shape == (MNIST_SIZE, MNIST_SIZE) and _looks_like_mnist(g):
        return np.rint(g * 255.0).astype(np.uint8)
    return _normalise(g)


# --------------------------------------------------------------------------- steps


def _grayscale(a: np.ndarray) -> np.ndarray:
    """(H, W[, C]) any dtype -> (H, W) float64 in [0, 1]."""
    x = a.astype(np.float64, copy=False)
    if x.ndim == 3:
        alpha = None
        if x.shape[-1] == 4:
            alpha = x[..., 3]
            x = x[..., :3]
        if x.shape[-1] == 3:
            x = x @ np.array([0.299, 0.587, 0.114])
        else:
            x = x[..., 0]
    else:
        alpha = None
    lo, hi = float(x.min()), float(x.max())
    if a.dtype == np.uint8:
        scale = 255.0
    elif lo < 0:
        scale = None
    elif np.issubdtype(a.dtype, np.floating) and hi <= 1.0:
        scale = 1.0
    elif hi <= 255.0:
        scale = 255.0
    elif hi <= 65535.0:
        scale = 65535.0
    else:
        scale = hi
    if scale is None:  # negative values: stretch the range to [0, 1]
        g = (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)
    else:
        g = x / scale
    if alpha is not None:
        amax = float(alpha.max())
        a01 = alpha / (255.0 if a.dtype == np.uint8 else (amax if amax > 1 else 1.0))
        if a01.max() - a01.min() > 1e-6:
            opaque = a01 > 0.5
            ink_is_dark = g[opaque].mean() < 0.5 if opaque.any() else True
            g = a01 * g + (1.0 - a01) * (1.0 if ink_is_dark else 0.0)
    return np.clip(g, 0.0, 1.0)


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


def _centre_of_mass(g: np.ndarray) -> tuple[float, float]:
    total = g.sum()
    cy = (g.sum(1) * np.arange(g.shape[0])).sum() / total
    cx = (g.sum(0) * np.arange(g.shape[1])).sum() / total
    return float(cy), float(cx)


def _resize(g: np.ndarray, size: tuple[int, int], resample) -> np.ndarray:
    """Resize a float (H, W) array to (width, height) ``size`` with Pillow."""
    from PIL import Image

    return np.asarray(Image.fromarray(g.astype(np.float32), mode="F").resize(size, resample), dtype=np.float64)


def _background(g: np.ndarray) -> np.ndarray:
    """Smooth estimate of the (dark) background under bright ink: opening of a thumbnail."""
    from PIL import Image

    h, w = g.shape
    f = max(1.0, max(h, w) / _THUMB_MAX)
    th, tw = max(1, round(h / f)), max(1, round(w / f))
    thumb = g if (th, tw) == (h, w) else _resize(g, (tw, th), Image.Resampling.BOX)
    k = max(5, int(0.25 * max(th, tw)) | 1)
    opened = _rank(_rank(thumb, k, np.min), k, np.max)
    smooth = _box_blur(_box_blur(opened, k // 2), k // 2)
    if smooth.shape != (h, w):
        smooth = _resize(smooth, (w, h), Image.Resampling.BILINEAR)
    return smooth


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


def _otsu(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold of values in [0, 1]."""
    hist, edges = np.histogram(values, bins=bins, range=(0.0, 1.0))
    p = hist.astype(np.float64)
    centres = 0.5 * (edges[:-1] + edges[1:])
    w0 = np.cumsum(p)
    w1 = w0[-1] - w0
    m0 = np.cumsum(p * centres)
    mu0 = m0 / np.maximum(w0, 1e-12)
    mu1 = (m0[-1] - m0) / np.maximum(w1, 1e-12)
    between = w0 * w1 * (mu0 - mu1) ** 2
    return float(edges[int(np.argmax(between[:-1])) + 1])


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


def _normalise(g: np.ndarray) -> np.ndarray:
    """Full path: white-on-black [0, 1] (H, W) -> (28, 28) uint8."""
    from PIL import Image

    h, w = g.shape
    if max(h, w) > _WORK_MAX:
        f = max(h, w) / _WORK_MAX
        g = _resize(g, (max(1, round(w / f)), max(1, round(h / f))), Image.Resampling.BOX)
        h, w = g.shape
    d = np.clip(g - _background(g), 0.0, 1.0)

    t = _otsu(d)
    fg = d > t
    if not fg.any() or fg.all():
        raise _blank("no pixel stands out from the background")
    mu1, mu0, sd0 = d[fg].mean(), d[~fg].mean(), d[~fg].std()
    if mu1 - mu0 < _MIN_CONTRAST or mu1 - mu0 < _MIN_SNR * sd0:
        raise _blank(f"ink contrast {mu1 - mu0:.3f} (need >= {_MIN_CONTRAST} and >= {_MIN_SNR} x noise {sd0:.3f})")

    # connected components on a reduced mask (block "any"), then back to full size
    f = int(np.ceil(max(h, w) / _LABEL_MAX))
    if f > 1:
        ph, pw = -h % f, -w % f
        small = np.pad(fg, ((0, ph), (0, pw))).reshape((h + ph) // f, f, (w + pw) // f, f).any(axis=(1, 3))
    else:
        small = fg
    kept, extent = _keep_components(small)
    if extent * f < _MIN_EXTENT * max(h, w) or extent * f < 2:
        raise _blank(f"largest ink blob is only {extent * f} px in a {h}x{w} image")
    if f > 1:
        kept = np.repeat(np.repeat(kept, f, 0), f, 1)[:h, :w]
    region = _rank(kept, 5, np.max)

    lo = min(mu0 + 2.0 * sd0, t)
    hi = max(float(np.median(d[fg])), lo + 1e-6)
    v = np.clip((d - lo) / (hi - lo), 0.0, 1.0) * region
    rows, cols = np.flatnonzero(v.any(1)), np.flatnonzero(v.any(0))
    v = v[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]

    v = _normalise_stroke(v)
    ch, cw = v.shape
    s = BOX / max(ch, cw)
    nh, nw = max(1, round(ch * s)), max(1, round(cw * s))
    if (nh, nw) != (ch, cw):
        v = np.clip(_resize(v, (nw, nh), Image.Resampling.LANCZOS), 0.0, 1.0)
    if v.sum() <= 0:
        raise _blank("the ink vanished when resized")
    cy, cx = _centre_of_mass(v)
    top = int(np.clip(np.floor(CENTRE - cy + 0.5), 0, MNIST_SIZE - nh))
    left = int(np.clip(np.floor(CENTRE - cx + 0.5), 0, MNIST_SIZE - nw))
    out = np.zeros((MNIST_SIZE, MNIST_SIZE))
    out[top : top + nh, left : left + nw] = v
    return np.rint(out * 255.0).astype(np.uint8)


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


def _blank(reason: str) -> ValueError:
    return ValueError(f"no ink found in image (blank or near-blank: {reason})")

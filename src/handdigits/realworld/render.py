"""Rendering primitives: put ink on paper the way a phone photo or a scan shows it.

Every function takes a numpy ``Generator`` and is deterministic given it.
``ink`` maps are float ``(H, W)`` arrays in [0, 1] (1 = full ink); pictures are
uint8 RGB ``(H, W, 3)`` (or grey ``(H, W)`` where stated).

>>> import numpy as np
>>> from handdigits.realworld.render import render_on_paper
>>> ink = np.zeros((60, 80)); ink[20:40, 38:42] = 1.0      # a short vertical stroke
>>> page = render_on_paper(ink, np.random.default_rng(0), paper="ruled")
>>> page.shape, page.dtype
((60, 80, 3), dtype('uint8'))
"""

from __future__ import annotations

import io

import numpy as np

PAPERS = ("plain", "ruled", "squared")

#: ink colours (RGB in [0, 1]) of pens people use
INKS = {
    "black": (0.08, 0.08, 0.10), "blue": (0.10, 0.16, 0.55), "red": (0.72, 0.10, 0.12),
    "purple": (0.42, 0.12, 0.55), "green": (0.08, 0.42, 0.18), "pencil": (0.35, 0.35, 0.37),
}
#: paper colours (RGB in [0, 1])
PAPERS_RGB = {
    "white": (0.96, 0.96, 0.95), "cream": (0.95, 0.92, 0.82), "beige": (0.85, 0.78, 0.64),
    "grey": (0.70, 0.70, 0.70), "pink": (0.93, 0.78, 0.80), "yellow": (0.96, 0.92, 0.55),
}
RULING_RGB = (0.55, 0.68, 0.85)  # the light blue of notebook lines


def digit_ink(digit: np.ndarray, height: int, *, width: int | None = None, thicken: int = 0) -> np.ndarray:
    """A 28×28 (or any small) white-on-black uint8 digit as a smooth ink map ``height`` pixels tall.

    The digit is cropped to its ink, resized with bicubic interpolation (aspect
    kept unless ``width`` is given) and optionally thickened by a ``thicken``-px
    maximum filter at the source resolution.
    """
    from PIL import Image, ImageFilter

    img = Image.fromarray(np.asarray(digit, np.uint8))
    if thicken > 0:
        img = img.filter(ImageFilter.MaxFilter(2 * thicken + 1))
    a = np.asarray(img)
    rows, cols = np.flatnonzero((a > 20).any(1)), np.flatnonzero((a > 20).any(0))
    a = a[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = a.shape
    if width is None:
        width = max(1, round(w * height / h))
    big = Image.fromarray(a).resize((int(width), int(height)), Image.Resampling.BICUBIC)
    return np.clip(np.asarray(big, np.float64) / 255.0, 0.0, 1.0)


def skeleton(mask: np.ndarray) -> np.ndarray:
    """Zhang–Suen thinning of a boolean mask to one-pixel-wide centre lines."""
    m = np.pad(mask.astype(bool), 1)
    while True:
        changed = False
        for step in (0, 1):
            p = m
            n = [np.roll(np.roll(p, -dy, 0), -dx, 1) for dy, dx in
                 ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))]
            b = sum(x.astype(np.uint8) for x in n)
            a = sum((~n[i] & n[(i + 1) % 8]).astype(np.uint8) for i in range(8))
            p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
            if step == 0:
                c = ~(p2 & p4 & p6) & ~(p4 & p6 & p8)
            else:
                c = ~(p2 & p4 & p8) & ~(p2 & p6 & p8)
            remove = p & (b >= 2) & (b <= 6) & (a == 1) & c
            if remove.any():
                m = m & ~remove
                changed = True
        if not changed:
            return m[1:-1, 1:-1]


def pen_ink(digit: np.ndarray, height: int, pen: float, *, upsample: int = 4) -> np.ndarray:
    """The digit redrawn with a thin pen of ``pen`` pixels along its centre lines, ``height`` pixels tall.

    The MNIST-style digit is upsampled, thinned to its skeleton, and each pair
    of neighbouring skeleton pixels is drawn as a round-capped line with Pillow.
    """
    from PIL import Image, ImageDraw

    a = digit_ink(digit, 28 * upsample)
    sk = skeleton(a > 0.5)
    ys, xs = np.nonzero(sk)
    s = height / a.shape[0]
    w = max(1, int(np.ceil(a.shape[1] * s + pen + 2)))
    h = int(np.ceil(height + pen + 2))
    img = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(img)
    off = pen / 2 + 1
    pts = set(zip(ys.tolist(), xs.tolist()))
    width = max(1, int(round(pen)))
    for y, x in pts:
        p0 = (x * s + off, y * s + off)
        for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1)):
            if (y + dy, x + dx) in pts:
                d.line([p0, ((x + dx) * s + off, (y + dy) * s + off)], fill=255, width=width)
        if width > 2:
            r = pen / 2
            d.ellipse((p0[0] - r, p0[1] - r, p0[0] + r, p0[1] + r), fill=255)
    return np.asarray(img, np.float64) / 255.0


def place(ink: np.ndarray, size: tuple[int, int], top: int, left: int) -> np.ndarray:
    """An ink map of ``size`` (H, W) holding ``ink`` with its top-left corner at (top, left) (clipped)."""
    out = np.zeros(size)
    h, w = ink.shape
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + h, size[0]), min(left + w, size[1])
    if y1 > y0 and x1 > x0:
        out[y0:y1, x0:x1] = ink[y0 - top : y1 - top, x0 - left : x1 - left]
    return out


def rotate(ink: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate an ink map about its centre (bilinear), same size."""
    from PIL import Image

    img = Image.fromarray(ink.astype(np.float32), mode="F")
    return np.asarray(img.rotate(degrees, Image.Resampling.BILINEAR), np.float64)


def shrink(ink: np.ndarray, factor: float) -> np.ndarray:
    """An ink map scaled by ``factor`` (at most 1; each side at least 1 px), averaging the pixels each covers."""
    from PIL import Image

    size = (max(1, int(ink.shape[1] * factor)), max(1, int(ink.shape[0] * factor)))
    return np.asarray(Image.fromarray(ink.astype(np.float32), mode="F").resize(size, Image.Resampling.BOX), np.float64)


def ruling(shape: tuple[int, int], rng: np.random.Generator, *, paper: str = "ruled",
           spacing: float | None = None, thickness: float | None = None, tilt: float | None = None) -> np.ndarray:
    """Printed notebook lines as an ink map: horizontal lines (``"ruled"``) or a grid (``"squared"``)."""
    h, w = shape
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}, got {paper!r}")
    out = np.zeros(shape)
    if paper == "plain":
        return out
    if spacing is None:
        spacing = float(rng.uniform(0.07, 0.14) * max(h, w) if paper == "ruled" else rng.uniform(0.05, 0.09) * max(h, w))
    spacing = max(spacing, 6.0)
    if thickness is None:
        thickness = float(rng.uniform(0.8, 2.2) * max(1.0, max(h, w) / 500))
    if tilt is None:
        tilt = float(rng.uniform(-1.0, 1.0))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    t = np.tan(np.radians(tilt))
    phase = rng.uniform(0, spacing)

    def lines(coord):
        d = np.abs(((coord - phase) + spacing / 2) % spacing - spacing / 2)  # distance to the nearest line
        return np.clip(thickness / 2 + 0.5 - d, 0.0, 1.0)

    out = lines(yy + t * xx)
    if paper == "squared":
        out = np.maximum(out, lines(xx - t * yy))
    return out


def lighting(shape: tuple[int, int], rng: np.random.Generator, *, strength: float = 0.3, shadow: bool = False) -> np.ndarray:
    """A multiplicative light field in (0, 1]: a linear gradient, vignetting and optionally a soft shadow."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    yy, xx = yy / max(h - 1, 1) - 0.5, xx / max(w - 1, 1) - 0.5
    a = rng.uniform(0, 2 * np.pi)
    field = 1.0 - strength * (0.5 + 0.7 * (np.cos(a) * xx + np.sin(a) * yy))
    field -= 0.3 * strength * (xx**2 + yy**2)
    if shadow:  # a soft-edged shadow (hand or phone) over part of the page
        b = rng.uniform(0, 2 * np.pi)
        c = rng.uniform(-0.35, 0.35)
        edge = (np.cos(b) * xx + np.sin(b) * yy - c) / rng.uniform(0.03, 0.15)
        field *= 1.0 - rng.uniform(0.25, 0.5) / (1.0 + np.exp(-edge))
    return np.clip(field, 0.15, 1.0)


def texture(shape: tuple[int, int], rng: np.random.Generator, *, amount: float = 0.02) -> np.ndarray:
    """Low-frequency paper texture plus sensor noise, zero mean, about ``amount`` standard deviation."""
    from PIL import Image

    h, w = shape
    coarse = rng.normal(size=(max(2, h // 16), max(2, w // 16))).astype(np.float32)
    low = np.asarray(Image.fromarray(coarse, mode="F").resize((w, h), Image.Resampling.BICUBIC), np.float64)
    return amount * (0.6 * low + 0.8 * rng.normal(size=shape))


def render_on_paper(ink: np.ndarray, rng: np.random.Generator, *, paper: str = "plain", ink_rgb=None,
                    paper_rgb=None, ruling_rgb=None, light: float = 0.15, shadow: bool = False,
                    noise: float = 0.015, blur: float = 0.0, ruling_options: dict | None = None) -> np.ndarray:
    """Ink on paper, photographed: uint8 RGB ``(H, W, 3)``.

    Args:
        ink: float ``(H, W)`` in [0, 1], 1 = full ink.
        rng: the random generator (ruling phase, lighting direction, noise).
        paper: ``"plain"``, ``"ruled"`` (horizontal notebook lines) or ``"squared"`` (a grid).
        ink_rgb, paper_rgb, ruling_rgb: colours in [0, 1]; defaults: blue-black ink,
            white paper, light-blue lines.
        light: strength of the uneven lighting (0 = even).
        shadow: add a soft-edged shadow over part of the page.
        noise: standard deviation of paper texture and sensor noise.
        blur: Gaussian blur radius in pixels (focus), 0 for none.
        ruling_options: passed to :func:`ruling` (``spacing``, ``thickness``, ``tilt``).
    """
    from PIL import Image, ImageFilter

    ink = np.clip(np.asarray(ink, np.float64), 0.0, 1.0)
    if ink.ndim != 2:
        raise ValueError(f"ink must be a 2-D float map in [0, 1], got shape {ink.shape}")
    ink_c = np.asarray(INKS["blue"] if ink_rgb is None else ink_rgb, np.float64)
    paper_c = np.asarray(PAPERS_RGB["white"] if paper_rgb is None else paper_rgb, np.float64)
    rule_c = np.asarray(RULING_RGB if ruling_rgb is None else ruling_rgb, np.float64)
    lines = ruling(ink.shape, rng, paper=paper, **(ruling_options or {}))
    page = paper_c * (1 - lines[..., None]) + rule_c * lines[..., None]
    page = page * (1 - ink[..., None]) + ink_c * ink[..., None]
    page = page * lighting(ink.shape, rng, strength=light, shadow=shadow)[..., None]
    page = page + texture(ink.shape, rng, amount=noise)[..., None]
    out = np.clip(np.rint(page * 255.0), 0, 255).astype(np.uint8)
    if blur > 0:
        out = np.asarray(Image.fromarray(out).filter(ImageFilter.GaussianBlur(blur)))
    return out


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """Round-trip an image through JPEG compression at ``quality`` (1-95)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=int(quality))
    buf.seek(0)
    with Image.open(buf) as img:
        return np.asarray(img.convert(img.mode))

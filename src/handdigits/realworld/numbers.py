"""``realworld/numbers``: whole numbers (2-6 handwritten digits on one line), photographed or drawn.

Each number is made of held-out digits (the MNIST *test* set, and for about
one number in ten scikit-learn's ``load_digits`` scans when scikit-learn is
installed), laid out the way people write:

* digit heights vary by ±12 % around the number's size, the baseline drifts
  (a slope of up to ±6 % and a few pixels of jitter), and half the numbers
  are slanted (a shear of up to ±0.2);
* gaps are measured row by row between the inks of neighbours, so digits
  nest the way handwriting does; they range from wide (up to 0.8 of the digit
  height) to tight; in about 20 % of the numbers one or two neighbouring pairs
  **touch or overlap** (their inks form one blob);
* the line is then rendered with :mod:`handdigits.realworld.render` like the
  single-digit suite: notebook photos (ruled or squared paper, blue/black
  pens, pencil), canvas drawings (thin pen on white or transparent), coloured
  inks on coloured paper, plain-paper photos (JPEG compressed).

>>> from handdigits.realworld.numbers import generate
>>> sample = generate(1)[0]                                  # doctest: +SKIP
>>> sample.text, sample.image.shape, len(sample.boxes)       # doctest: +SKIP
('4031', (480, 640, 3), 4)

Item ``i`` depends only on ``(seed, i)``.  Labels are strings (``"0071"``:
leading zeros are kept).  ``handdigits.realworld.load("realworld/numbers", n=...)``
returns the same numbers as :func:`load`; the name is listed in
``handdigits.realworld.NUMBERS``, not in ``NAMES`` (whose labels are single digits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import render

NAME = "realworld/numbers"
DEFAULT_N = 300
LENGTHS = (2, 6)  # shortest and longest number
TOUCHING = 0.2  # share of numbers with touching neighbours
STYLES = ("notebook", "canvas", "colour", "plain-photo")


@dataclass(frozen=True)
class NumberSample:
    """One generated number.

    Attributes:
        image: the picture as a user gives it (uint8 RGB ``(H, W, 3)`` or RGBA ``(H, W, 4)``).
        text: the digits, e.g. ``"2024"``.
        boxes: ``(x0, y0, x1, y1)`` of each digit's ink in ``image`` pixels (x1, y1 exclusive).
        touching: whether at least one pair of neighbours touches or overlaps.
        style: the rendering recipe (one of :data:`STYLES`).
    """

    image: np.ndarray
    text: str
    boxes: tuple[tuple[int, int, int, int], ...]
    touching: bool
    style: str


def load(*, n: int | None = None, seed: int = 0, data_dir=None) -> tuple[list[np.ndarray], np.ndarray]:
    """``(images, labels)`` of ``n`` generated numbers; labels are strings (numpy ``<U6``).

    Raises:
        handdigits.datasets.DatasetUnavailable: the MNIST test files are absent.
    """
    samples = generate(n, seed=seed, data_dir=data_dir)
    return [s.image for s in samples], np.array([s.text for s in samples], dtype=f"<U{LENGTHS[1]}")


def generate(n: int | None = None, *, seed: int = 0, data_dir=None, touching: float | None = None,
             digits=None) -> list[NumberSample]:
    """Generate ``n`` numbers (default :data:`DEFAULT_N`) with their digit boxes.

    Args:
        n: how many numbers.
        seed: item ``i`` depends only on ``(seed, i)`` (and on ``touching`` and ``digits``).
        data_dir: where the MNIST files are (see :func:`handdigits.datasets.load_mnist`); nothing is downloaded.
        touching: share of numbers with touching neighbours (default :data:`TOUCHING`).
        digits: ``(images, labels)`` to draw the digits from instead of MNIST test and
            scikit-learn's digits (white-on-black uint8 ``(N, H, W)``, labels 0-9): e.g. a
            training run's validation hold-out, to choose a model without touching test digits.
    """
    from ..validation import check_int, check_probability

    n = check_int(DEFAULT_N if n is None else n, "n", low=1)
    seed = check_int(seed, "seed", low=0)
    touching = check_probability(TOUCHING if touching is None else touching, "touching")
    if digits is None:
        mnist_x, mnist_y = _mnist_test(data_dir)
        sk = _sklearn_digits()
    else:
        mnist_x, mnist_y = np.asarray(digits[0]), np.asarray(digits[1]).astype(np.int64)
        if mnist_x.ndim != 3 or len(mnist_x) != len(mnist_y) or not len(mnist_y):
            raise ValueError(f"digits must be (images (N, H, W), labels (N,)) with N >= 1, got images of shape "
                             f"{mnist_x.shape} and {len(mnist_y)} labels")
        sk = None
    out = []
    for i in range(n):
        rng = np.random.default_rng([seed, 7919, i])
        length = int(rng.integers(LENGTHS[0], LENGTHS[1] + 1))
        source = sk if sk is not None and rng.random() < 0.1 else (mnist_x, mnist_y)
        out.append(random_number(*source, length, rng, touching=touching))
    return out


def random_number(digits, labels, length: int, rng: np.random.Generator, *, touching: float) -> NumberSample:
    """A number of ``length`` digits drawn from ``digits`` (with ``labels``), touching neighbours with
    probability ``touching``, laid out and photographed by :func:`make_number`."""
    idx = rng.integers(len(labels), size=length)
    text = "".join(str(int(labels[j])) for j in idx)
    return make_number([digits[j] for j in idx], text, rng, touching=rng.random() < touching)


def make_number(digits, text: str, rng: np.random.Generator, *, touching: bool = False,
                style: str | None = None) -> NumberSample:
    """Lay out ``digits`` (small white-on-black uint8 images) as one handwritten number and photograph it."""
    style = STYLES[int(rng.integers(len(STYLES)))] if style is None else style
    height = float(rng.uniform(28, 110))
    pen, pen_width = pick_pen(height, rng)
    if style == "canvas":
        pen, pen_width = True, max(2.0, height / 28 * rng.uniform(1.0, 1.6))
    inks = draw_inks(digits, height, pen, pen_width, rng)
    k = len(inks)
    touch = np.zeros(max(k - 1, 0), bool)
    if touching and k > 1:
        touch[rng.choice(k - 1, size=min(k - 1, 1 + int(rng.random() < 0.3)), replace=False)] = True
    slope = rng.uniform(-0.06, 0.06)
    line, boxes = lay_out(inks, touch, height, slope, rng)
    shear = rng.uniform(-0.2, 0.2) if rng.random() < 0.5 else 0.0
    if shear:
        line, boxes = shear_line(line, boxes, shear)
    image, boxes = _photograph(line, boxes, style, rng)
    return NumberSample(image, text, tuple(boxes), bool(touch.any()), style)


# ---------------------------------------------------------------------- layout


def pick_pen(height: float, rng: np.random.Generator) -> tuple[bool, float]:
    """``(pen, width)`` for digits ``height`` pixels tall: a pen (half the time) of 0.8-1.6 px per 28 px of
    height (at least 1.5), else the digits' own strokes (a brush, :func:`draw_inks`)."""
    pen = rng.random() < 0.5
    return pen, max(1.5, height / 28 * rng.uniform(0.8, 1.6))


def draw_inks(digits, height: float, pen: bool, pen_width: float, rng: np.random.Generator) -> list:
    """Each digit's ink, ``height`` ±12 % tall (drawn per digit, in order): redrawn with a pen of ``pen_width``
    pixels (:func:`~handdigits.realworld.render.pen_ink`), or the digit's own strokes scaled (a brush)."""
    inks = []
    for d in digits:
        h = int(round(height * rng.uniform(0.88, 1.12)))
        inks.append(render.pen_ink(d, h, pen_width) if pen else render.digit_ink(d, h))
    return inks


def lay_out(inks, touch, height, slope, rng):
    """Place the digit inks left to right on one canvas; boxes are (x0, y0, x1, y1) in canvas pixels."""
    margin = int(height)
    width = sum(i.shape[1] for i in inks) + int(height * 0.8 * len(inks)) + 2 * margin
    canvas_h = int(height * 1.6 + abs(slope) * width + 2 * margin)
    canvas = np.zeros((canvas_h, width))
    base = canvas_h / 2 + height / 2 - slope * width / 2
    boxes = []
    x = margin
    prev = None  # (rows, right edge per row) of the previous digit in canvas coordinates
    for j, ink in enumerate(inks):
        h, w = ink.shape
        bottom = base + slope * x + rng.normal(0, 0.03 * height)
        top = int(round(bottom - h))
        left_edge = _edge(ink, first=True)
        if prev is not None:
            if touch[j - 1]:
                gap = -int(rng.integers(0, max(2, int(0.08 * height)) + 1))
            else:
                gap = int(round(height * (rng.uniform(0.06, 0.25) if rng.random() < 0.6 else rng.uniform(0.25, 0.8))))
                gap = max(gap, 3)
            rows_prev, right = prev
            need = None
            for r in range(h):
                cy = top + r
                if left_edge[r] < 0 or cy not in rows_prev or rows_prev[cy] < 0:
                    continue
                v = rows_prev[cy] - left_edge[r]
                need = v if need is None else max(need, v)
            if need is None:  # no shared rows: fall back on the boxes
                need = right - 0
            x = need + gap + 1
        left = int(x)
        canvas[top : top + h, left : left + w] = np.maximum(canvas[top : top + h, left : left + w], ink)
        ys, xs = np.nonzero(ink > 0.25)
        boxes.append((left + int(xs.min()), top + int(ys.min()), left + int(xs.max()) + 1, top + int(ys.max()) + 1))
        right_edge = _edge(ink, first=False)
        rows = {top + r: (left + int(right_edge[r]) if right_edge[r] >= 0 else -1) for r in range(h)}
        prev = (rows, left + w)
        x = left + w
    return canvas, boxes


def _edge(ink: np.ndarray, *, first: bool) -> np.ndarray:
    """Per row, the column of the first (or last) ink pixel, -1 where the row has none."""
    m = ink > 0.25
    any_ = m.any(1)
    if first:
        e = m.argmax(1)
    else:
        e = m.shape[1] - 1 - m[:, ::-1].argmax(1)
    return np.where(any_, e, -1)


def shear_line(line: np.ndarray, boxes, shear: float):
    """Slant the line: x' = x - shear * (y - centre); boxes follow their ink."""
    from PIL import Image

    h, w = line.shape
    c = h / 2
    pad = int(abs(shear) * h / 2) + 2
    out_w = w + 2 * pad
    # PIL maps output (x, y) to input (a x + b y + c0, ...)
    coeffs = (1, shear, -pad - shear * c, 0, 1, 0)
    img = Image.fromarray(line.astype(np.float32), mode="F").transform((out_w, h), Image.Transform.AFFINE, coeffs,
                                                                        Image.Resampling.BILINEAR)
    new = []
    for x0, y0, x1, y1 in boxes:  # a box's corners move by the shear at its top and bottom rows
        xs = [x0 - shear * (y - c) + pad for y in (y0, y1)] + [x1 - shear * (y - c) + pad for y in (y0, y1)]
        new.append((int(np.floor(min(xs))), y0, int(np.ceil(max(xs))), y1))
    return np.asarray(img, np.float64), new


def _photograph(line: np.ndarray, boxes, style: str, rng):
    """Crop the line to its ink, put it on a frame and render it in ``style``; boxes move with it."""
    ys, xs = np.nonzero(line > 0.05)
    line = line[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    boxes = [(x0 - xs.min(), y0 - ys.min(), x1 - xs.min(), y1 - ys.min()) for x0, y0, x1, y1 in boxes]
    lh, lw = line.shape
    frac = rng.uniform(0.4, 0.9)  # share of the frame's width the number takes
    fw = int(max(lw / frac, lh * 2.0))
    fh = int(max(fw * rng.uniform(0.5, 0.8), lh * 1.6))
    fw, fh = fw + int(0.4 * lh), fh + int(0.4 * lh)  # a margin of at least 0.2 digit heights all round
    top = int(0.2 * lh) + int(rng.integers(0, max(1, fh - lh - int(0.4 * lh))))
    left = int(0.2 * lh) + int(rng.integers(0, max(1, fw - lw - int(0.4 * lh))))
    ink = render.place(line, (fh, fw), top, left)
    boxes = [(int(x0 + left), int(y0 + top), int(x1 + left), int(y1 + top)) for x0, y0, x1, y1 in boxes]
    if style == "canvas":
        if rng.random() < 0.25:
            a = np.clip(np.rint(ink * 255), 0, 255).astype(np.uint8)
            return np.dstack([np.zeros_like(a)] * 3 + [a]), boxes
        g = np.clip(np.rint(255 - ink * 235), 0, 255).astype(np.uint8)
        return np.dstack([g] * 3), boxes
    pick = lambda table, names: table[names[int(rng.integers(len(names)))]]  # noqa: E731
    if style == "notebook":
        img = render.render_on_paper(
            ink * rng.uniform(0.75, 1.0), rng, paper=("ruled", "squared")[int(rng.integers(2))],
            ink_rgb=pick(render.INKS, ("black", "blue", "blue", "pencil")),
            paper_rgb=pick(render.PAPERS_RGB, ("white", "white", "cream")),
            light=rng.uniform(0.05, 0.35), shadow=rng.random() < 0.3, noise=rng.uniform(0.005, 0.02),
            blur=rng.uniform(0, 1.0),
        )
    elif style == "colour":
        img = render.render_on_paper(
            ink * rng.uniform(0.5, 0.85), rng, paper=("plain", "ruled")[int(rng.integers(2))],
            ink_rgb=pick(render.INKS, ("red", "purple", "blue", "green")),
            paper_rgb=pick(render.PAPERS_RGB, ("grey", "beige", "pink", "yellow", "cream")),
            light=rng.uniform(0.05, 0.25), noise=rng.uniform(0.005, 0.02), blur=rng.uniform(0, 1.0),
        )
    else:
        img = render.render_on_paper(
            ink, rng, ink_rgb=pick(render.INKS, ("black", "blue")),
            paper_rgb=pick(render.PAPERS_RGB, ("white", "cream")),
            light=rng.uniform(0.05, 0.3), shadow=rng.random() < 0.3, noise=rng.uniform(0.005, 0.02),
            blur=rng.uniform(0, 1.0),
        )
    if rng.random() < 0.6:
        img = render.jpeg(img, int(rng.integers(60, 95)))
    return img, boxes


# ---------------------------------------------------------------------- sources


def _mnist_test(data_dir):
    from ..datasets import load_mnist

    return load_mnist("test", data_dir=data_dir, download=False)


def _sklearn_digits():
    """scikit-learn's 8×8 digits as white-on-black uint8, or ``None`` when scikit-learn is absent."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        return None
    d = load_digits()
    images = np.clip(np.rint(d.images * 16.0), 0, 255).astype(np.uint8)
    return images, d.target.astype(np.int64)

"""A visible real-world suite: held-out handwriting rendered the way users photograph and scan it.

Each dataset is generated deterministically from a seed, from digits no
training run has seen: the MNIST *test* set and scikit-learn's
``load_digits`` (8×8 scans of 43 writers, shipped with scikit-learn; install the
``realworld`` extra).  Images are given as a user would give them (uint8 RGB,
RGBA or grey arrays of varying sizes), NOT preprocessed:

========================  ==========================================================
``realworld/notebook``    phone photos on ruled or squared notebook paper (pens, pencil)
``realworld/canvas``      a thin pen on a large white (or transparent) canvas
``realworld/small-faint`` a digit 15-30 % of the frame tall, faint ink, low light
``realworld/colour``      red, purple, blue, green inks on grey, beige, pink, yellow paper
``realworld/tight-crop``  full-frame crops with thick marker strokes (ink ~half the pixels)
``realworld/shadow``      strong uneven light and soft shadows
``realworld/grey16``      16×16 full-frame grey-level scans
``realworld/grey8``       scikit-learn's 8×8 digits (raw and upscaled by others)
``realworld/plain-photo`` photos on plain paper, JPEG compressed
``realworld/empty``       pages with no digit (texture, lines, shadows): label -1, must be refused
========================  ==========================================================

>>> from handdigits.realworld import NAMES, load
>>> images, labels = load("realworld/notebook", n=5)     # doctest: +SKIP
>>> images[0].shape, labels                              # doctest: +SKIP
((480, 640, 3), array([3, 9, 0, 6, 8]))

Item ``i`` depends only on ``(name, seed, i)``: ``load(name, n=10)`` is the
first ten images of ``load(name, n=300)``.
"""

from __future__ import annotations

import numpy as np

from . import render

NAMES = (
    "realworld/notebook",
    "realworld/canvas",
    "realworld/small-faint",
    "realworld/colour",
    "realworld/tight-crop",
    "realworld/shadow",
    "realworld/grey16",
    "realworld/grey8",
    "realworld/plain-photo",
    "realworld/empty",
)
DEFAULT_N = 300
EMPTY = -1  # label of images that hold no digit and must be refused
#: suites of whole numbers (labels are strings such as "2024"; read them with Classifier.read), kept out
#: of NAMES, whose labels are single digits
NUMBERS = ("realworld/numbers",)

__all__ = ["DEFAULT_N", "EMPTY", "NAMES", "NUMBERS", "load", "render", "render_digit"]


def load(name: str, *, n: int | None = None, seed: int = 0, data_dir=None) -> tuple[list[np.ndarray], np.ndarray]:
    """Generate the real-world dataset ``name``: ``(images, labels)``.

    Args:
        name: one of :data:`NAMES`.
        n: number of images (default :data:`DEFAULT_N`).
        seed: generation seed; item ``i`` depends only on ``(name, seed, i)``.
        data_dir: where the MNIST files are (see :func:`handdigits.datasets.load_mnist`);
            nothing is downloaded.

    Returns:
        ``images``: list of uint8 arrays ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)``;
        ``labels``: int64 ``(n,)``, the digit, or -1 for ``realworld/empty``.

    Raises:
        ValueError: unknown ``name``, or ``n`` / ``seed`` out of range (TypeError: not integers).
        handdigits.datasets.DatasetUnavailable: the source digits are unavailable
            (MNIST test files absent; scikit-learn not installed for ``realworld/grey8``).
    """
    from ..validation import check_int

    if name in NUMBERS:  # whole numbers: labels are strings (see handdigits.realworld.numbers)
        from .numbers import load as load_numbers

        return load_numbers(n=n, seed=seed, data_dir=data_dir)
    if name not in NAMES:
        raise ValueError(f"unknown real-world dataset {name!r}; expected one of {', '.join(NAMES)}")
    n = DEFAULT_N if n is None else n
    n, seed = check_int(n, "n", low=1), check_int(seed, "seed", low=0)
    kind = name.split("/", 1)[1]
    if kind == "grey8":
        digits, labels = _sklearn_digits()
    elif kind == "empty":
        digits, labels = None, None
    else:
        digits, labels = _mnist_test(data_dir)
    key = NAMES.index(name)
    order = np.random.default_rng([seed, key, 0]).permutation(len(labels)) if labels is not None else None
    images, out = [], np.empty(int(n), np.int64)
    for i in range(int(n)):
        rng = np.random.default_rng([seed, key, 1, i])
        if order is None:
            images.append(render_digit(kind, None, rng))
            out[i] = EMPTY
        else:
            j = order[i % len(order)]
            images.append(render_digit(kind, digits[j], rng))
            out[i] = int(labels[j])
    return images, out


def render_digit(kind: str, digit: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    """One image of condition ``kind`` (``"notebook"``, ... : a name of :data:`NAMES` without
    ``"realworld/"``), drawn with ``rng``: what :func:`load` makes of one digit.

    ``digit`` is an MNIST-format uint8 28×28 (white ink on black), or for ``"grey8"`` an 8×8
    scan as scikit-learn stores it scaled to 0..255, or None for ``"empty"``.
    """
    if kind not in _MAKERS:
        raise ValueError(f"unknown real-world condition {kind!r}; expected one of {', '.join(_MAKERS)}")
    return _MAKERS[kind](digit, rng)


# ---------------------------------------------------------------------- sources


def _mnist_test(data_dir):
    from ..datasets import load_mnist

    return load_mnist("test", data_dir=data_dir, download=False)


def _sklearn_digits():
    from ..datasets import DatasetUnavailable

    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise DatasetUnavailable(
            "realworld/grey8 needs scikit-learn's load_digits (shipped offline with scikit-learn), "
            "which is not installed: pip install 'handdigits[realworld]'"
        ) from exc
    d = load_digits()
    images = np.clip(np.rint(d.images * 16.0), 0, 255).astype(np.uint8)  # 0..16 -> 0..255 (white ink)
    return images, d.target.astype(np.int64)


# ---------------------------------------------------------------------- recipes


def _frame(rng) -> tuple[int, int]:
    h, w = [(240, 320), (480, 640), (360, 480), (640, 480), (480, 360)][rng.integers(5)]
    return int(h), int(w)


def _ink_for(digit, rng, height: float) -> np.ndarray:
    """Either the digit's own strokes scaled up (a felt pen) or its centre lines redrawn with a pen."""
    if rng.random() < 0.5:
        return render.digit_ink(digit, int(round(height)))
    pen = max(1.5, height / 28 * rng.uniform(0.8, 1.8))
    return render.pen_ink(digit, int(round(height)), pen)


def _on_frame(ink: np.ndarray, shape, rng, angle: float = 0.0) -> np.ndarray:
    """``ink`` (turned by ``angle`` degrees) at a random place in a frame of ``shape``, whole where it fits.

    Ink (with the margin turning adds) larger than the frame is shrunk to fit:
    it once ran past the frame's edge (10 of 300 ``plain-photo`` digits lost
    over 2 % of their ink), which no photographed set holds.  Ink that fits is
    placed as before, with the same random draws.
    """
    if angle:
        pad = int(0.2 * max(ink.shape))
        ink = render.rotate(np.pad(ink, pad), angle)
    h, w = shape
    fit = min(1.0, h / ink.shape[0], w / ink.shape[1])
    if fit < 1.0:
        ink = render.shrink(ink, fit)
    top = int(rng.integers(0, max(1, h - ink.shape[0])))
    left = int(rng.integers(0, max(1, w - ink.shape[1])))
    return render.place(ink, shape, top, left)


def _maybe_jpeg(img, rng, p: float = 0.6):
    return render.jpeg(img, int(rng.integers(55, 95))) if rng.random() < p else img


def _pick(rng, table: dict, names):
    return table[names[int(rng.integers(len(names)))]]


def _notebook(digit, rng):
    shape = _frame(rng)
    ink = _on_frame(_ink_for(digit, rng, shape[0] * rng.uniform(0.25, 0.6)), shape, rng, rng.uniform(-8, 8))
    paper = ("ruled", "squared")[int(rng.integers(2))]
    img = render.render_on_paper(
        ink * rng.uniform(0.75, 1.0), rng, paper=paper,
        ink_rgb=_pick(rng, render.INKS, ("black", "blue", "blue", "pencil")),
        paper_rgb=_pick(rng, render.PAPERS_RGB, ("white", "white", "cream")),
        light=rng.uniform(0.05, 0.35), shadow=rng.random() < 0.3, noise=rng.uniform(0.005, 0.025),
        blur=rng.uniform(0, 1.2),
    )
    return _maybe_jpeg(img, rng)


def _canvas(digit, rng):
    size = [(400, 400), (600, 800), (900, 1200), (1200, 1600)][int(rng.integers(4))]
    pen = rng.uniform(2.0, 4.0) * max(1.0, size[0] / 600)
    ink = _on_frame(render.pen_ink(digit, int(size[0] * rng.uniform(0.3, 0.7)), pen), size, rng)
    if rng.random() < 0.25:  # a drawing app's export: black ink, transparent background
        a = np.clip(np.rint(ink * 255), 0, 255).astype(np.uint8)
        return np.dstack([np.zeros_like(a)] * 3 + [a])
    g = np.clip(np.rint(255 - ink * 235), 0, 255).astype(np.uint8)
    return np.dstack([g] * 3)


def _small_faint(digit, rng):
    shape = _frame(rng)
    ink = _on_frame(_ink_for(digit, rng, shape[0] * rng.uniform(0.15, 0.3)), shape, rng, rng.uniform(-6, 6))
    img = render.render_on_paper(
        ink * rng.uniform(0.2, 0.45), rng, paper=("plain", "ruled")[int(rng.integers(2))],
        ink_rgb=_pick(rng, render.INKS, ("pencil", "black", "blue")),
        paper_rgb=_pick(rng, render.PAPERS_RGB, ("white", "cream")),
        light=rng.uniform(0.1, 0.3), noise=rng.uniform(0.005, 0.015), blur=rng.uniform(0, 1.0),
    )
    img = np.clip(img * rng.uniform(0.45, 0.8), 0, 255).astype(np.uint8)  # low light
    return _maybe_jpeg(img, rng, 0.4)


def _colour(digit, rng):
    shape = _frame(rng)
    ink = _on_frame(_ink_for(digit, rng, shape[0] * rng.uniform(0.3, 0.6)), shape, rng, rng.uniform(-6, 6))
    paper_rgb = np.asarray(_pick(rng, render.PAPERS_RGB, ("grey", "beige", "pink", "yellow", "cream")))
    ink_rgb = np.asarray(_pick(rng, render.INKS, ("red", "purple", "blue", "green")))
    strength = rng.uniform(0.45, 0.8)  # ballpoint / felt ink that does not saturate
    img = render.render_on_paper(
        ink * strength, rng, paper=("plain", "ruled")[int(rng.integers(2))], ink_rgb=ink_rgb, paper_rgb=paper_rgb,
        light=rng.uniform(0.05, 0.25), noise=rng.uniform(0.005, 0.02), blur=rng.uniform(0, 1.0),
    )
    return _maybe_jpeg(img, rng)


def _tight_crop(digit, rng):
    height = int(rng.integers(40, 160))
    ink = render.digit_ink(digit, height, thicken=1)
    m = int(rng.integers(0, 3))
    ink = np.pad(ink, m)
    if rng.random() < 0.7:  # dark marker on light paper
        img = render.render_on_paper(ink, rng, ink_rgb=render.INKS["black"],
                                     paper_rgb=render.PAPERS_RGB["white"], light=0.05, noise=0.01)
    else:  # chalk or white marker on a dark board
        img = render.render_on_paper(ink, rng, ink_rgb=(0.92, 0.92, 0.9), paper_rgb=(0.12, 0.2, 0.15),
                                     light=0.05, noise=0.01)
    return _maybe_jpeg(img, rng, 0.4)


def _shadow(digit, rng):
    shape = _frame(rng)
    ink = _on_frame(_ink_for(digit, rng, shape[0] * rng.uniform(0.3, 0.6)), shape, rng, rng.uniform(-6, 6))
    img = render.render_on_paper(
        ink, rng, paper=("plain", "ruled")[int(rng.integers(2))],
        ink_rgb=_pick(rng, render.INKS, ("black", "blue", "pencil")),
        light=rng.uniform(0.4, 0.75), shadow=True, noise=rng.uniform(0.005, 0.02),
    )
    return _maybe_jpeg(img, rng)


def _grey16(digit, rng):
    ink = render.digit_ink(digit, 64, thicken=int(rng.integers(0, 2)))
    from PIL import Image

    h, w = ink.shape
    s = 16 / max(h, w)
    small = Image.fromarray(np.rint(ink * 255).astype(np.uint8)).resize(
        (max(1, round(w * s)), max(1, round(h * s))), Image.Resampling.BOX)
    a = np.zeros((16, 16), np.float64)
    sh, sw = small.size[1], small.size[0]
    a[(16 - sh) // 2 : (16 - sh) // 2 + sh, (16 - sw) // 2 : (16 - sw) // 2 + sw] = np.asarray(small) / 255.0
    a = np.clip(a + rng.normal(0, 0.02, a.shape), 0, 1)
    if rng.random() < 0.5:
        a = 1.0 - a  # dark ink on light paper
    return np.rint(a * 255).astype(np.uint8)


def _grey8(digit, rng):
    from PIL import Image

    a = digit if rng.random() < 0.5 else 255 - digit
    r = rng.random()
    if r < 0.4:
        return a.copy()
    size = int(rng.choice([16, 28, 32, 64]))
    method = Image.Resampling.NEAREST if r < 0.7 else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(a).resize((size, size), method))


def _plain_photo(digit, rng):
    shape = _frame(rng)
    ink = _on_frame(_ink_for(digit, rng, shape[0] * rng.uniform(0.3, 0.75)), shape, rng, rng.uniform(-8, 8))
    img = render.render_on_paper(
        ink, rng, ink_rgb=_pick(rng, render.INKS, ("black", "blue")),
        paper_rgb=_pick(rng, render.PAPERS_RGB, ("white", "cream")),
        light=rng.uniform(0.05, 0.3), shadow=rng.random() < 0.3, noise=rng.uniform(0.005, 0.02), blur=rng.uniform(0, 1),
    )
    return _maybe_jpeg(img, rng, 0.8)


def _empty(_, rng):
    shape = _frame(rng) if rng.random() < 0.8 else (int(rng.integers(28, 200)),) * 2
    img = render.render_on_paper(
        np.zeros(shape), rng, paper=("plain", "ruled", "squared")[int(rng.integers(3))],
        paper_rgb=_pick(rng, render.PAPERS_RGB, tuple(render.PAPERS_RGB)),
        light=rng.uniform(0.05, 0.6), shadow=rng.random() < 0.5, noise=rng.uniform(0.005, 0.03), blur=rng.uniform(0, 1),
    )
    if rng.random() < 0.3:
        img = np.clip(img * rng.uniform(0.45, 0.8), 0, 255).astype(np.uint8)
    return _maybe_jpeg(img, rng)


_MAKERS = {
    "notebook": _notebook,
    "canvas": _canvas,
    "small-faint": _small_faint,
    "colour": _colour,
    "tight-crop": _tight_crop,
    "shadow": _shadow,
    "grey16": _grey16,
    "grey8": _grey8,
    "plain-photo": _plain_photo,
    "empty": _empty,
}

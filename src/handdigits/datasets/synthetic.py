"""Synthetic handwriting: digit styles MNIST lacks, and non-digits for a "not a digit" class.

MNIST's writers were mostly American; European styles (a 1 with a long up-stroke and a foot,
a crossed 7, a closed-top 4, a 9 with a curled tail, ...) are rare in it, and it has no
examples of things that are *not* digits.  :func:`load_synthetic` draws both with a small
parametric pen model (:mod:`handdigits.datasets.pen`, templates in
:mod:`handdigits.datasets.glyphs`): every glyph is a set of strokes with a named style
variant, written by a random hand (slant, rotation, aspect, wobble, elastic warp), drawn with
a round pen of random width (MNIST's stroke widths) and pressure at 4x resolution, then
size-normalised and centred by MNIST's recipe -- the last step of
:func:`handdigits.preprocess.to_mnist`, whose other steps (paper, rulings, noise, stroke width)
have nothing to do on clean ink: ``to_mnist`` returns these images unchanged, so they match
what the classifier sees, and they stay the same when those steps are tuned.  A small share of
the training glyphs is typeset with Pillow's bundled font (Aileron Regular, CC0-1.0).

Splits use disjoint *families* (style variants, letters, shape kinds, fonts), listed by
:func:`synthetic_info`: ``"train"`` uses some; ``"validation"`` and ``"test"`` use the held-out
ones (with independent random draws), so they measure generalisation to unseen styles.
Non-digits never include digit look-alikes (``O o Q D I i l j J S s Z z B b G g q``) nor a
lone circle or ellipse (that is a 0).

Generation is deterministic: sample ``i`` depends only on ``(seed, kind, split, i)``, so a
smaller ``n`` gives a prefix of a larger one.  Results are cached as ``.npz`` under
``<cache>/synthetic/`` (keyed by kind, split, seed, n and :data:`VERSION`); a later call with
the same or a smaller ``n`` only reads the file.  Generating costs about 2 ms of CPU per
image (``benchmarks/synthetic.py``).
"""

from __future__ import annotations

import os
import sys
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..validation import check_choice, check_int
from . import glyphs, pen
from .paths import cache_home

#: Generator version: part of the cache key; bumped whenever a given seed's output changes.
VERSION = "2"  # "1" was a draft: its cached files may hold other images

#: Class index of non-digits in training data (the public Classifier reports -1 instead).
NOT_A_DIGIT = 10

KINDS = ("digits", "nondigits")
SPLITS = ("train", "validation", "test")

#: Style variants of each digit kept out of training (used by "validation" and "test").
HELDOUT_STYLES: dict[int, tuple[str, ...]] = {
    0: ("slashed",),
    1: ("curved-up-stroke",),
    2: ("angular",),
    3: ("cusp",),
    4: ("closed-one-stroke",),
    5: ("detached-top",),
    6: ("hooked-top",),
    7: ("hooked-crossbar",),
    8: ("two-strokes",),
    9: ("bent-tail",),
}
#: Non-digit shape kinds kept out of training.
HELDOUT_SHAPES = ("star", "smiley", "heart", "asterisk", "sun")
#: Letters are split by alphabet position: A-M / a-m train, N-Z / n-z held out.
_TRAIN_LETTERS = set("ABCDEFGHIJKLMabcdefghijklm")

FONT = {
    "name": "Aileron Regular",
    "source": "Pillow's bundled default font (PIL.ImageFont.load_default(size=...)); "
    "https://dotcolon.net/fonts/aileron",
    "licence": "CC0-1.0",
}
_FONT_SHARE = 0.1  # share of training glyphs typeset with FONT instead of the pen model
_LETTER_SHARE = 0.5  # share of non-digits that are letters (the rest are shapes)

_PEN_WIDTH = (1.3, 3.0)  # pen width in output pixels (MNIST's strokes: 1.3-3.0 px, median 1.9)
_FONT_SIZE = 96  # typeset glyphs are drawn this large, then resized like the pen's
_KIND_ID = {k: i for i, k in enumerate(KINDS)}
_SPLIT_ID = {s: i for i, s in enumerate(SPLITS)}


def _heldout(split: str) -> bool:
    return split != "train"


def _digit_styles(digit: int, split: str) -> list[str]:
    held = HELDOUT_STYLES[digit]
    return [s for s in glyphs.DIGITS[digit] if (s in held) == _heldout(split)]


def _letters(split: str) -> list[str]:
    return sorted(c for c in glyphs.LETTERS if (c not in _TRAIN_LETTERS) == _heldout(split))


def _shapes(split: str) -> list[str]:
    return [s for s in glyphs.SHAPES if (s in HELDOUT_SHAPES) == _heldout(split)]


def synthetic_info() -> dict:
    """Describe the generator: families per split, fonts and their licences (for model metadata).

    Returns a JSON-serialisable dict with ``version``, ``not_a_digit``, ``lookalikes_excluded``,
    ``fonts`` (name, source, licence, splits) and ``splits``: for each split, the digit style
    variants per digit (``"font:Aileron Regular"`` when typeset glyphs are included), the
    letters and the shape kinds used as non-digits.

    Example:
        >>> from handdigits.datasets import synthetic_info
        >>> info = synthetic_info()
        >>> info["splits"]["train"]["digits"]["7"]
        ['plain', 'crossbar', 'font:Aileron Regular']
        >>> "crossbar" in info["splits"]["test"]["digits"]["7"]
        False
    """
    splits = {}
    for split in SPLITS:
        font = [f"font:{FONT['name']}"] if not _heldout(split) else []
        splits[split] = {
            "digits": {str(d): _digit_styles(d, split) + font for d in range(10)},
            "nondigits": {"letters": _letters(split), "shapes": _shapes(split), "fonts": font},
        }
    return {
        "generator": "handdigits.datasets.synthetic (parametric pen model)",
        "version": VERSION,
        "not_a_digit": NOT_A_DIGIT,
        "lookalikes_excluded": glyphs.LOOKALIKES,
        "fonts": [{**FONT, "splits": ["train"]}],
        "splits": splits,
    }


# --------------------------------------------------------------------------- one sample


@lru_cache(maxsize=1)
def _font():
    from PIL import ImageFont

    return ImageFont.load_default(size=_FONT_SIZE)


def _typeset(char: str, rng: np.random.Generator) -> np.ndarray:
    """``char`` in FONT with a random weight, stretch, slant and rotation: float ink cropped to its box."""
    from PIL import Image, ImageDraw, ImageFilter

    side = 2 * _FONT_SIZE
    img = Image.new("L", (side, side), 0)
    ImageDraw.Draw(img).text((side / 2, side / 2), char, fill=255, font=_font(), anchor="mm")
    weight = int(rng.integers(0, 2))
    if weight:
        img = img.filter(ImageFilter.MaxFilter(2 * weight + 1))
    shear = rng.uniform(-0.1, 0.35)
    th = np.radians(rng.uniform(-8, 8))
    c, s = np.cos(th), np.sin(th)
    # output -> input map of: stretch x, slant, rotate (about the centre)
    m = np.array([[c, -s], [s, c]]) @ np.array([[1.0, -shear], [0.0, 1.0]]) @ np.diag([rng.uniform(0.8, 1.2), 1.0])
    inv = np.linalg.inv(m)
    off = side / 2 - inv @ np.array([side / 2, side / 2])
    img = img.transform(img.size, Image.AFFINE, (*inv[0], off[0], *inv[1], off[1]), Image.BILINEAR)
    ink = np.asarray(img, dtype=np.float32) / 255.0
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _draw(strokes, rng: np.random.Generator) -> np.ndarray:
    return pen.render(pen.write(strokes, rng), rng, width=_PEN_WIDTH, size=20.0)


def _mnist(ink: np.ndarray) -> np.ndarray:
    """Clean float ink cropped to its box -> MNIST format, by MNIST's own recipe (the last step of
    :func:`handdigits.preprocess.to_mnist`): longer side resized to 20 px (Lanczos), contrast
    stretched, pasted in 28x28 with its centre of mass at pixel (14, 14) (integer shift).

    The ink is clean (no paper, noise or rulings) and the pen width is already within MNIST's
    range, so the earlier steps of ``to_mnist`` have nothing to do; ``mnist_from_array`` returns
    these images unchanged (tested), and the data do not change when those steps are tuned.
    """
    from PIL import Image

    from ..preprocess import BOX, CENTRE, MNIST_SIZE, BlankImageError

    h, w = ink.shape
    s = BOX / max(h, w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    v = np.clip(np.asarray(Image.fromarray(ink, mode="F").resize((nw, nh), Image.Resampling.LANCZOS)), 0.0, None)
    if v.max() <= 0:
        raise BlankImageError("no ink found in the synthetic glyph")
    v = np.clip(v / v.max(), 0.0, 1.0)
    total = v.sum()
    cy = (v.sum(1) * np.arange(nh)).sum() / total
    cx = (v.sum(0) * np.arange(nw)).sum() / total
    top = int(np.clip(np.floor(CENTRE - cy + 0.5), 0, MNIST_SIZE - nh))
    left = int(np.clip(np.floor(CENTRE - cx + 0.5), 0, MNIST_SIZE - nw))
    out = np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    out[top : top + nh, left : left + nw] = v
    return np.rint(out * 255.0).astype(np.uint8)


def draw_digit(digit: int, style: str, rng: np.random.Generator) -> np.ndarray:
    """One ``digit`` in a named style (see ``synthetic_info()``) as a 28x28 uint8 MNIST image.

    ``style`` is a pen-model style variant (e.g. ``"crossbar"`` for 7) or ``"font"`` (typeset with
    Pillow's bundled font).  Raises :class:`ValueError` for an unknown style and
    :class:`handdigits.preprocess.BlankImageError` when the converter finds no ink (rare;
    :func:`load_synthetic` then draws again).

    Example:
        >>> import numpy as np
        >>> from handdigits.datasets.synthetic import draw_digit
        >>> draw_digit(7, "crossbar", np.random.default_rng(0)).shape
        (28, 28)
    """
    digit = check_int(digit, "digit", low=0, high=9)
    style = check_choice(style, "style", [*glyphs.DIGITS[digit], "font"])
    ink = _typeset(str(digit), rng) if style == "font" else _draw(glyphs.DIGITS[digit][style](rng), rng)
    return _mnist(ink)


def draw_nondigit(name: str, rng: np.random.Generator, *, font: bool = False) -> np.ndarray:
    """One non-digit -- a letter (``"A"``, ``"k"``, ...) or a shape kind (``"star"``, ...) -- as a
    28x28 uint8 MNIST image; ``font=True`` typesets a letter with Pillow's bundled font.

    Example:
        >>> import numpy as np
        >>> from handdigits.datasets.synthetic import draw_nondigit
        >>> draw_nondigit("smiley", np.random.default_rng(0)).dtype
        dtype('uint8')
    """
    name = check_choice(name, "name", [*glyphs.LETTERS, *glyphs.SHAPES])
    if name in glyphs.SHAPES:
        ink = _draw(glyphs.SHAPES[name](rng), rng)
    else:
        ink = _typeset(name, rng) if font else _draw(glyphs.LETTERS[name](rng), rng)
    return _mnist(ink)


def _sample(kind: str, split: str, index: int, seed: int) -> np.ndarray:
    """The ``index``-th glyph of (kind, split, seed) as a 28x28 uint8 MNIST image."""
    from ..preprocess import BlankImageError

    rng = np.random.default_rng([seed, _KIND_ID[kind], _SPLIT_ID[split], index])
    fonts = not _heldout(split)
    for _ in range(20):  # a glyph the converter finds no ink in is drawn again
        try:
            if kind == "digits":
                digit = index % 10
                font = fonts and rng.random() < _FONT_SHARE
                return draw_digit(digit, "font" if font else str(rng.choice(_digit_styles(digit, split))), rng)
            if rng.random() < _LETTER_SHARE:
                letter = str(rng.choice(_letters(split)))
                return draw_nondigit(letter, rng, font=fonts and rng.random() < _FONT_SHARE)
            return draw_nondigit(str(rng.choice(_shapes(split))), rng)
        except BlankImageError:
            continue
    raise RuntimeError(f"synthetic {kind}/{split} sample {index} (seed {seed}): no usable glyph in 20 draws")


# --------------------------------------------------------------------------- loader


def _cache_dir(data_dir) -> Path:
    return (Path(data_dir).expanduser() if data_dir is not None else cache_home()) / "synthetic"


def _cache_name(kind: str, split: str, seed: int, n: int) -> str:
    return f"{kind}-{split}-seed{seed}-n{n}-v{VERSION}.npz"


def _read_cache(directory: Path, kind: str, split: str, seed: int, n: int):
    """Arrays from the smallest cached file holding at least ``n`` samples, or None."""
    prefix, suffix = f"{kind}-{split}-seed{seed}-n", f"-v{VERSION}.npz"
    try:
        names = os.listdir(directory)
    except OSError:
        return None
    sizes = []
    for name in names:
        if name.startswith(prefix) and name.endswith(suffix):
            size = name[len(prefix) : -len(suffix)]
            if size.isdigit() and int(size) >= n:
                sizes.append(int(size))
    for size in sorted(sizes):
        try:
            with np.load(directory / _cache_name(kind, split, seed, size)) as f:
                x, y = f["x"], f["y"]
        except (OSError, ValueError, KeyError):
            continue  # unreadable or partial file: try the next one, else regenerate
        if x.shape == (size, 28, 28) and y.shape == (size,):
            return x[:n].copy(), y[:n].copy()
    return None


def _write_cache(directory: Path, kind: str, split: str, seed: int, x, y) -> None:
    write_npz(directory / _cache_name(kind, split, seed, len(x)), x, y)


def write_npz(path: Path, x, y) -> None:
    """``x`` and ``y`` saved as a compressed ``.npz`` at ``path`` by an atomic rename (a cache file:
    one that cannot be written only costs time, so ``OSError`` is ignored)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            np.savez_compressed(f, x=x, y=y)
        os.replace(tmp, path)
    except OSError:
        pass


class _Progress:
    """``label  done/total`` on one line of ``stream`` (redrawn at most every 0.5 s)."""

    def __init__(self, label: str, total: int, progress):
        if progress is None:
            progress = sys.stderr is not None and sys.stderr.isatty()
        self.stream = sys.stderr if progress is True else (progress or None)
        self.label, self.total, self._last = label, total, 0.0

    def update(self, done: int, final: bool = False) -> None:
        now = time.monotonic()
        if self.stream is None or (not final and now - self._last < 0.5):
            return
        self._last = now
        self.stream.write(f"\r{self.label} {done}/{self.total}" + ("\n" if final else ""))
        self.stream.flush()


def load_synthetic(
    n: int = 10000,
    *,
    kind: str = "digits",
    split: str = "train",
    seed: int = 0,
    data_dir: str | os.PathLike | None = None,
    cache: bool = True,
    progress=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Generate (or read from cache) synthetic handwritten digits or non-digits.

    Args:
        n: number of images (>= 1).  Digits cycle through 0-9 (``y[i] == i % 10``), so any
            multiple of 10 is balanced.
        kind: ``"digits"`` or ``"nondigits"`` (letters other than digit look-alikes, scribbles,
            crosses, arrows, ticks, stars, smileys, ...).
        split: ``"train"``, ``"validation"`` or ``"test"``.  Validation and test use style
            variants, letters and shapes held out of train (see :func:`synthetic_info`), with
            independent draws.
        seed: non-negative integer; the same ``(n, kind, split, seed)`` always gives the same
            arrays, and a smaller ``n`` gives a prefix of a larger one.
        data_dir: directory for the cache (``<data_dir>/synthetic/``); default: the user cache
            directory (``$XDG_CACHE_HOME/handdigits/synthetic``).
        cache: read and write the ``.npz`` cache (``False``: always generate, write nothing).
        progress: ``True``/``False`` or a text stream for a progress line; default: stderr
            when it is a terminal.

    Returns:
        ``(x, y)``: ``x`` uint8 ``(n, 28, 28)`` in MNIST format (white ink on black, longer
        side 20 px, centre of mass at the centre); ``y`` int64 ``(n,)``: the digit for
        ``"digits"``, :data:`NOT_A_DIGIT` (10) for ``"nondigits"``.

    Example:
        >>> from handdigits.datasets import load_synthetic
        >>> x, y = load_synthetic(20, kind="digits", split="test", cache=False)
        >>> x.shape, x.dtype, y[:12].tolist()
        ((20, 28, 28), dtype('uint8'), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
        >>> load_synthetic(3, kind="nondigits", cache=False)[1].tolist()
        [10, 10, 10]
    """
    n = check_int(n, "n", low=1)
    kind = check_choice(kind, "kind", KINDS)
    split = check_choice(split, "split", SPLITS)
    seed = check_int(seed, "seed", low=0)
    directory = _cache_dir(data_dir)
    if cache:
        hit = _read_cache(directory, kind, split, seed, n)
        if hit is not None:
            return hit
    x = np.empty((n, 28, 28), np.uint8)
    bar = _Progress(f"synthetic {kind}/{split}", n, progress)
    for i in range(n):
        x[i] = _sample(kind, split, i, seed)
        bar.update(i + 1)
    bar.update(n, final=True)
    y = np.arange(n, dtype=np.int64) % 10 if kind == "digits" else np.full(n, NOT_A_DIGIT, np.int64)
    if cache:
        _write_cache(directory, kind, split, seed, x, y)
    return x, y

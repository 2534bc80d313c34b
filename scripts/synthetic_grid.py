"""Draw the synthetic handwriting: docs/images/synthetic-digits.png and synthetic-nondigits.png.

Digits: one labelled row per digit style variant (train styles first, held-out ones marked
"held out"), several random draws each.  Non-digits: one row per letter group and shape kind.
Deterministic (fixed seeds); images are exactly what ``load_synthetic`` produces (MNIST format).

    python scripts/synthetic_grid.py [--output-dir docs/images] [--columns 12]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parents[1]
ZOOM = 2  # 28 px glyphs drawn as 56 px
GAP = 4
LABEL_WIDTH = 300


def digit_rows(columns: int, seed: int = 0):
    """(label, images) per digit style, in digit order, train styles first."""
    from handdigits.datasets import synthetic

    info = synthetic.synthetic_info()["splits"]
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(10):
        train = [s for s in info["train"]["digits"][str(d)] if not s.startswith("font:")]
        held = info["test"]["digits"][str(d)]
        for style in [*train, "font", *held]:
            label = f"{d} {style}" + ("  (held out)" if style in held else "")
            label = f"{d} font ({synthetic.FONT['name']})" if style == "font" else label
            rows.append((label, [synthetic.draw_digit(d, style, rng) for _ in range(columns)]))
    return rows


def nondigit_rows(columns: int, seed: int = 0):
    """(label, images) per letter group and shape kind, train first."""
    from handdigits.datasets import synthetic

    info = synthetic.synthetic_info()["splits"]
    rng = np.random.default_rng(seed)
    rows = []
    for split, tag in (("train", ""), ("test", "  (held out)")):
        letters = info[split]["nondigits"]["letters"]
        for group in ([c for c in letters if c.isupper()], [c for c in letters if c.islower()]):
            picks = [group[i % len(group)] for i in range(columns)]
            rows.append((f"letters {group[0]}-{group[-1]}{tag}", [synthetic.draw_nondigit(c, rng) for c in picks]))
        if split == "train":
            picks = [letters[i % len(letters)] for i in range(columns)]
            imgs = [synthetic.draw_nondigit(c, rng, font=True) for c in picks]
            rows.append((f"letters, font ({synthetic.FONT['name']})", imgs))
        for shape in info[split]["nondigits"]["shapes"]:
            rows.append((f"{shape}{tag}", [synthetic.draw_nondigit(shape, rng) for _ in range(columns)]))
    return rows


def draw_grid(rows) -> Image.Image:
    columns = max(len(images) for _, images in rows)
    cell = 28 * ZOOM + GAP
    canvas = Image.new("L", (LABEL_WIDTH + columns * cell + GAP, len(rows) * cell + GAP), 255)
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=18)
    for r, (label, images) in enumerate(rows):
        y = GAP + r * cell
        draw.text((8, y + cell // 2 - 10), label, fill=0, font=font)
        for c, img in enumerate(images):
            tile = Image.fromarray(img).resize((28 * ZOOM, 28 * ZOOM), Image.NEAREST)
            canvas.paste(tile, (LABEL_WIDTH + c * cell, y))
    return canvas


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=REPO / "docs" / "images")
    parser.add_argument("--columns", type=int, default=12)
    args = parser.parse_args(argv)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    for name, rows in (("digits", digit_rows(args.columns)), ("nondigits", nondigit_rows(args.columns))):
        path = args.output_dir / f"synthetic-{name}.png"
        draw_grid(rows).save(path, optimize=True)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()

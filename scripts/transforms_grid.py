"""Draw real MNIST test digits under each transform: docs/images/transforms.png.

One labelled row per transform (same digits in every column, one per class),
plus the original row and ``default_augmentation``.  Deterministic (fixed seeds).

    python scripts/transforms_grid.py [--data-dir DIR] [--output docs/images/transforms.png]

The data directory holds ``mnist/t10k-images-idx3-ubyte[.gz]``; default:
``$HANDDIGITS_DATA``, else ``../shared/data`` next to the repository.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parents[1]
ZOOM = 3  # 28 px digits drawn as 84 px
GAP = 4
LABEL_WIDTH = 320


def rows(seed: int = 0):
    """(label, transform or None) for each row of the grid."""
    from handdigits import transforms as T

    return [
        ("original", None),
        ("RandomShift(0.15)", T.RandomShift(0.15, seed=seed)),
        ("RandomRotation(25)", T.RandomRotation(25, seed=seed)),
        ("RandomScale((0.75, 1.25))", T.RandomScale((0.75, 1.25), seed=seed)),
        ("RandomShear(25)", T.RandomShear(25, seed=seed)),
        ("RandomElastic(alpha=3, sigma=3)", T.RandomElastic(alpha=3.0, sigma=3.0, seed=seed)),
        ("RandomStroke(1.0)", T.RandomStroke(1.0, seed=seed)),
        ("GaussianNoise(0.15)", T.GaussianNoise(0.15, seed=seed)),
        ("SaltAndPepper(0.05)", T.SaltAndPepper(0.05, seed=seed)),
        ("default_augmentation()", T.default_augmentation(seed=seed)),
        ("default_augmentation(2.0)", T.default_augmentation(strength=2.0, seed=seed)),
    ]


def pick_digits(images, labels, per_class: int = 1):
    """The first ``per_class`` test images of each class 0..9, in class order."""
    idx = [i for c in range(10) for i in np.flatnonzero(labels == c)[:per_class]]
    return images[idx]


def draw_grid(digits, named_rows) -> Image.Image:
    n = len(digits)
    cell = 28 * ZOOM + GAP
    width = LABEL_WIDTH + n * cell + GAP
    height = len(named_rows) * cell + GAP
    canvas = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=18)
    for r, (label, transform) in enumerate(named_rows):
        out = digits if transform is None else transform(digits)
        top = GAP + r * cell
        draw.text((10, top + 28 * ZOOM // 2), label, fill=0, font=font, anchor="lm")
        for c, img in enumerate(out):
            tile = Image.fromarray(img).resize((28 * ZOOM, 28 * ZOOM), Image.NEAREST)
            canvas.paste(tile, (LABEL_WIDTH + c * cell, top))
    return canvas


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=None, help="directory holding mnist/ (default: $HANDDIGITS_DATA or ../shared/data)")
    parser.add_argument("--output", default=str(REPO / "docs" / "images" / "transforms.png"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from handdigits.datasets import load_mnist

    data_dir = args.data_dir or os.environ.get("HANDDIGITS_DATA") or REPO.parent / "shared" / "data"
    images, labels = load_mnist("test", data_dir=data_dir, download=False)
    grid = draw_grid(pick_digits(images, labels), rows(args.seed))
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    grid.save(output, optimize=True)
    print(f"wrote {output} ({grid.width}x{grid.height})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

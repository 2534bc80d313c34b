"""Draw what ``Classifier.read`` finds on generated numbers: docs/images/reading-boxes.png.

Each panel is one number of the ``realworld/numbers`` suite with the digit boxes
the reader found (green: the number was read exactly; red: it was not), the
text read above it and the true text below.  Deterministic (fixed seed).

    python scripts/reading_boxes.py [--data-dir DIR] [--output docs/images/reading-boxes.png]

The data directory holds ``mnist/t10k-images-idx3-ubyte[.gz]``; default:
``$HANDDIGITS_DATA``, else ``../shared/data`` next to the repository.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]
PANEL = (360, 200)  # width, height of one picture
COLUMNS = 3


def panel(sample, reading) -> Image.Image:
    """One sample with the boxes found, scaled to fit :data:`PANEL`, with a caption strip."""
    img = Image.fromarray(sample.image[..., :3] if sample.image.shape[-1] == 4 else sample.image).convert("RGB")
    if sample.image.ndim == 3 and sample.image.shape[-1] == 4:  # transparent canvas: show it on white
        alpha = sample.image[..., 3:4] / 255.0
        img = Image.fromarray(np.rint(255 * (1 - alpha) + sample.image[..., :3] * alpha).astype(np.uint8))
    f = min(PANEL[0] / img.width, PANEL[1] / img.height)
    img = img.resize((max(1, round(img.width * f)), max(1, round(img.height * f))), Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(img)
    ok = reading is not None and reading.text == sample.text
    colour = (20, 160, 40) if ok else (220, 30, 30)
    for d in reading.digits if reading is not None else ():
        x0, y0, x1, y1 = (v * f for v in d.box)
        draw.rectangle([x0, y0, x1 - 1, y1 - 1], outline=colour, width=2)
        draw.text((x0 + 1, max(0, y0 - 11)), str(d.digit), fill=colour)
    out = Image.new("RGB", (PANEL[0], PANEL[1] + 18), (255, 255, 255))
    out.paste(img, ((PANEL[0] - img.width) // 2, (PANEL[1] - img.height) // 2))
    caption = f"read {reading.text if reading is not None else '(error)'}   true {sample.text}" + (
        "   touching" if sample.touching else "")
    ImageDraw.Draw(out).text((4, PANEL[1] + 3), caption, fill=(0, 0, 0))
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = os.environ.get("HANDDIGITS_DATA") or str(REPO.parent / "shared" / "data")
    parser.add_argument("--data-dir", default=default_data)
    parser.add_argument("--output", default=str(REPO / "docs" / "images" / "reading-boxes.png"))
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("-n", type=int, default=9, help="number of panels (default: 9)")
    args = parser.parse_args(argv)

    from handdigits import Classifier
    from handdigits.realworld.numbers import generate

    samples = generate(args.n, seed=args.seed, data_dir=args.data_dir, touching=0.35)
    clf = Classifier()
    panels = []
    for s in samples:
        try:
            r = clf.read(s.image)
        except ValueError:
            r = None
        panels.append(panel(s, r))
    rows = -(-len(panels) // COLUMNS)
    w, h = panels[0].size
    sheet = Image.new("RGB", (COLUMNS * (w + 6), rows * (h + 6)), (200, 200, 200))
    for i, p in enumerate(panels):
        sheet.paste(p, ((i % COLUMNS) * (w + 6) + 3, (i // COLUMNS) * (h + 6) + 3))
    sheet.save(args.output, optimize=True)
    print(f"wrote {args.output}: {len(panels)} numbers")


if __name__ == "__main__":
    main()

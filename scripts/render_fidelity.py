"""How much the real-world suite's pen redraw costs: the same digits read raw, brushed and redrawn with a pen.

``realworld/*`` and ``realworld/numbers`` draw each MNIST digit in one of two
ways (:mod:`handdigits.realworld.render`): with its own strokes scaled up (a
brush, :func:`~handdigits.realworld.render.digit_ink`) or redrawn with a thin
pen along its centre lines (:func:`~handdigits.realworld.render.pen_ink`, the
Zhang-Suen skeleton of the digit's ink).  The centre lines of a thick digit
whose loop is filled in (a heavy 6, 8 or 9) have no loop, so the pen draws
another shape: a 9 comes out as a 7, a 6 as a 1.  This script measures how
often the redraw turns a digit into something the digit model reads
differently.  It puts the same digits, drawn each way at ``--height`` pixels,
on a white canvas with a margin, reads them with ``Classifier().predict``
(refusals count as errors) and prints the errors of each drawing next to
those of the raw 28×28 digits.

    python scripts/render_fidelity.py [--data-dir DIR] [-n 3000] [--height 40] [--pen 1.2] [--sheet PNG]

The digits are MNIST's validation hold-out (the training split's
``split_validation``: no bundled model was trained or chosen on them),
``-n`` of them drawn at random with ``--seed``.  ``--pen`` is the pen's width
per 28 pixels of height (the suite draws 0.8-1.8).  ``--sheet`` saves the
digits the pen's drawing alone gets wrong, each raw beside its redraw.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

MARGIN = 20  # white pixels around each drawn digit


def on_canvas(ink: np.ndarray) -> np.ndarray:
    """An ink map in [0, 1] as black ink on a white uint8 canvas with :data:`MARGIN` pixels around it."""
    h, w = ink.shape
    canvas = np.zeros((h + 2 * MARGIN, w + 2 * MARGIN))
    canvas[MARGIN : MARGIN + h, MARGIN : MARGIN + w] = np.clip(ink, 0.0, 1.0)
    return np.rint(255.0 * (1.0 - canvas)).astype(np.uint8)


def drawings(digits, height: int, pen: float) -> dict:
    """Each digit drawn both ways on a canvas: ``{"brush": [...], "pen": [...]}``."""
    from handdigits.realworld import render

    width = max(1.5, height / 28 * pen)
    return {
        "brush": [on_canvas(render.digit_ink(d, height)) for d in digits],
        "pen": [on_canvas(render.pen_ink(d, height, width)) for d in digits],
    }


def save_sheet(path: str, digits, pens, labels, predicted, columns: int = 8) -> None:
    """The raw digits beside their pen redraws, with ``label->predicted`` under each pair."""
    from PIL import Image, ImageDraw

    tiles = []
    for d, p, y, q in zip(digits, pens, labels, predicted):
        tile = Image.new("L", (170, 95), 255)
        tile.paste(Image.fromarray(255 - np.asarray(d, np.uint8)).resize((80, 80)), (0, 0))
        tile.paste(Image.fromarray(p).resize((80, 80)), (88, 0))
        ImageDraw.Draw(tile).text((2, 82), f"{y}->{q}", fill=0)
        tiles.append(tile)
    rows = max(1, -(-len(tiles) // columns))
    sheet = Image.new("L", (170 * columns, 95 * rows), 255)
    for i, tile in enumerate(tiles):
        sheet.paste(tile, ((i % columns) * 170, (i // columns) * 95))
    sheet.save(path, optimize=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("HANDDIGITS_DATA") or str(REPO.parent / "shared" / "data"))
    parser.add_argument("-n", type=int, default=3000, help="digits drawn (default: 3000)")
    parser.add_argument("--height", type=int, default=40, help="digit height in pixels (default: 40)")
    parser.add_argument("--pen", type=float, default=1.2, help="pen width per 28 px of height (default: 1.2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sheet", metavar="PNG", help="save the digits only the pen's drawing gets wrong")
    args = parser.parse_args(argv)

    from reading_eval import validation_digits

    from handdigits import Classifier

    x, y = validation_digits(args.data_dir)
    pick = np.random.default_rng(args.seed).choice(len(x), min(args.n, len(x)), replace=False)
    digits, labels = x[pick], np.asarray(y)[pick]
    clf = Classifier()
    wrong = {"raw": clf.predict(digits, errors="mark") != labels}
    drawn = drawings(digits, args.height, args.pen)
    predicted = {}
    for name, images in drawn.items():
        predicted[name] = clf.predict(images, errors="mark")
        wrong[name] = predicted[name] != labels
    n = len(labels)
    print(f"{n} MNIST validation digits, {args.height} px tall, pen {args.pen:g} px per 28 px; "
          "read by Classifier().predict (refusals count as errors)")
    for name in ("raw", "brush", "pen"):
        print(f"  {name:>5}: {int(wrong[name].sum()):4d} wrong ({wrong[name].mean():.2%})")
    only_pen = wrong["pen"] & ~wrong["brush"]
    print(f"  wrong only when redrawn with the pen: {int(only_pen.sum())}; "
          f"pen / brush errors: {wrong['pen'].sum() / max(int(wrong['brush'].sum()), 1):.1f}")
    if args.sheet:
        k = np.flatnonzero(only_pen)
        save_sheet(args.sheet, digits[k], [drawn["pen"][i] for i in k], labels[k], predicted["pen"][k])
        print(f"wrote {args.sheet}: {len(k)} digits")


if __name__ == "__main__":
    main()

"""Speed of ``handdigits.preprocess.to_mnist`` and of generating the real-world suite.

Prints, best of ``--repeats`` runs each:
  * the 28×28 MNIST fast path, a 640×480 phone photo on ruled paper, a 12-megapixel
    photo (4000×3000 RGB array; target <= 50 ms) and a 36-megapixel RGBA PNG file
    (decode + convert), in milliseconds and as a ratio to the fast path;
  * the peak extra memory (``tracemalloc``) of converting the 12-megapixel photo;
  * the cost of generating each ``realworld/*`` dataset (ms per image, and seconds
    for the default size).

Usage::

    python benchmarks/preprocess.py [--repeats 5] [--data-dir DIR] [--suite-n 20]

The photos are rendered with :mod:`handdigits.realworld.render` from a drawn "7"
(no data files needed); the suite part needs the MNIST test files (skipped otherwise).
"""

from __future__ import annotations

import argparse
import io
import os
import time
import timeit
import tracemalloc
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def seven(size: int, pen: int) -> np.ndarray:
    from PIL import Image, ImageDraw

    img = Image.new("L", (size, size), 0)
    ImageDraw.Draw(img).line([(0.2 * size, 0.12 * size), (0.8 * size, 0.12 * size), (0.42 * size, 0.9 * size)],
                             fill=255, width=pen)
    return np.asarray(img, np.float64) / 255.0


def photo(shape, digit_height: int, seed: int = 0) -> np.ndarray:
    from handdigits.realworld import render

    rng = np.random.default_rng(seed)
    ink = render.place(seven(digit_height, max(2, digit_height // 18)), shape, shape[0] // 4, shape[1] // 3)
    return render.render_on_paper(ink, rng, paper="ruled", light=0.2, noise=0.01)


def best_ms(fn, repeats: int, number: int = 1) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeats)) / number * 1e3


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--suite-n", type=int, default=20, help="images generated per real-world dataset")
    args = parser.parse_args(argv)

    from PIL import Image

    from handdigits.preprocess import mnist_from_array, to_mnist

    mnist_like = np.zeros((28, 28), np.uint8)
    mnist_like[4:24, 12:16] = 255  # a centred "1", 20 px tall: takes the fast path
    vga = photo((480, 640), 200)
    mp12 = photo((3000, 4000), 1200)
    png = Image.new("RGBA", (7000, 5200), (0, 0, 0, 0))
    from PIL import ImageDraw

    ImageDraw.Draw(png).line([(2500, 1000), (4500, 1000), (3200, 4200)], fill=(0, 0, 0, 255), width=60)
    buf = io.BytesIO()
    png.save(buf, format="PNG")
    png_bytes = buf.getvalue()

    rows = [
        ("28x28 MNIST array (fast path)", best_ms(lambda: mnist_from_array(mnist_like), args.repeats, 200)),
        ("640x480 photo, ruled paper", best_ms(lambda: mnist_from_array(vga), args.repeats, 5)),
        ("12 MP photo (4000x3000 RGB array)", best_ms(lambda: mnist_from_array(mp12), args.repeats)),
        (f"36 MP RGBA PNG file ({len(png_bytes) // 1024} KB, decode + convert)",
         best_ms(lambda: to_mnist(png_bytes), max(1, args.repeats // 2))),
    ]
    fast = rows[0][1]
    print(f"{'to_mnist':<58} {'ms':>9} {'x fast path':>12}")
    for name, ms in rows:
        print(f"{name:<58} {ms:9.2f} {ms / fast:12.0f}")
    print(f"12 MP photo target: <= 50 ms -> {'met' if rows[2][1] <= 50 else 'NOT met'} ({rows[2][1]:.1f} ms)")

    tracemalloc.start()
    mnist_from_array(mp12)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"peak extra memory converting the 12 MP photo (tracemalloc): {peak / 1e6:.1f} MB "
          f"(the photo itself: {mp12.nbytes / 1e6:.0f} MB; a float64 copy would be {mp12.size * 8 / 1e6:.0f} MB)")

    from handdigits.datasets import DatasetUnavailable
    from handdigits.realworld import DEFAULT_N, NAMES, load

    data_dir = args.data_dir or os.environ.get("HANDDIGITS_DATA") or REPO.parent / "shared" / "data"
    print(f"\nreal-world suite generation ({args.suite_n} images each; default size {DEFAULT_N})")
    for name in NAMES:
        try:
            load(name, n=1, data_dir=data_dir)  # source digits loaded and cached by the OS
            t = time.perf_counter()
            load(name, n=args.suite_n, data_dir=data_dir)
            per = (time.perf_counter() - t) / args.suite_n
        except DatasetUnavailable as exc:
            print(f"{name:<24} skipped: {exc}")
            continue
        print(f"{name:<24} {per * 1e3:8.1f} ms/image  ~{per * DEFAULT_N:6.1f} s for {DEFAULT_N}")


if __name__ == "__main__":
    main()

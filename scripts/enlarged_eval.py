"""Errors of the bundled classifier on digits enlarged by repeating pixels, and smoothly, against their own size.

Prints, for scikit-learn's 1,797 8×8 digits (``load_digits``, real handwriting)
at 8×8 and enlarged with Pillow's nearest-neighbour and bicubic resizes, and
for the first MNIST test digits at 28×28 and enlarged 3, 4 and 10 times with
``np.repeat`` (dark on light for 3), how many the classifier misreads
(:mod:`handdigits.preprocess.enlarged` undoes the nearest-neighbour ones).

    python scripts/enlarged_eval.py [--data-dir DIR] [--mnist 3000]
"""

from __future__ import annotations

import argparse

import numpy as np
from PIL import Image


def _resized(images: np.ndarray, size: int, method) -> np.ndarray:
    return np.stack([np.asarray(Image.fromarray(a).resize((size, size), method)) for a in images])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="where mnist/ lives (default: HANDDIGITS_DATA or the user cache)")
    parser.add_argument("--mnist", type=int, default=3000, help="MNIST test digits to use (0: none)")
    args = parser.parse_args(argv)

    from sklearn.datasets import load_digits

    from handdigits import Classifier

    clf = Classifier()

    def report(name, images, labels):
        answers = clf.predict(images, errors="mark")
        wrong = int((answers != labels).sum())
        print(f"  {name}: {wrong} of {len(labels)} wrong ({wrong / len(labels):.2%}), "
              f"{int((answers == -1).sum())} refused")

    d = load_digits()
    scans, labels = (d.images * 16).clip(0, 255).astype(np.uint8), d.target
    print("scikit-learn's 8x8 digits")
    report("8x8", scans, labels)
    for size, method in ((64, Image.Resampling.NEAREST), (200, Image.Resampling.NEAREST),
                         (60, Image.Resampling.NEAREST), (128, Image.Resampling.BICUBIC)):
        report(f"{size}x{size} {method.name.lower()}", _resized(scans, size, method), labels)
    if args.mnist:
        from handdigits.datasets.mnist import load_mnist

        x, y = load_mnist("test", data_dir=args.data_dir, download=False)
        x, y = x[: args.mnist], y[: args.mnist]
        print("MNIST test digits")
        report("28x28", x, y)
        for k in (3, 4, 10):
            big = np.repeat(np.repeat(x, k, axis=1), k, axis=2)
            report(f"x{k} repeated" + (", dark on light" if k == 3 else ""), 255 - big if k == 3 else big, y)


if __name__ == "__main__":
    main()

"""Leakage audit: EMNIST training images that are near-copies of MNIST test images once both share one frame.

EMNIST and MNIST come from the same NIST source but are framed differently
(EMNIST's digits fill more of the 28×28 box), so a pixel-level duplicate
search misses re-framed copies.  This script brings both to MNIST's frame with
:func:`handdigits.preprocess.reframe` (as training does before dropping such
copies) and searches again with
:func:`handdigits.datasets.find_duplicates` (exact copies, and near copies by
pixel correlation; 0.99 is the threshold training uses)::

    python scripts/leakage_audit.py --data-dir ../shared/data

It prints the counts in the raw frame and in MNIST's frame at several
correlation thresholds (below 0.99, different writers' similar digits start
to match: the lower rows are for judging the threshold, not copies).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="data directory (mnist/, emnist/ or emnist-partial/ inside)")
    args = parser.parse_args(argv)

    from handdigits.datasets import find_duplicates, load_emnist, load_mnist
    from handdigits.preprocess import reframe

    started = time.perf_counter()
    ex, _, info = load_emnist("train", data_dir=args.data_dir, download=False, with_info=True)
    tx, _ = load_mnist("test", data_dir=args.data_dir, download=False)
    fe, fm = reframe(ex), reframe(tx)
    print(f"EMNIST train: {info['name']}, {len(ex):,} images ({info.get('indices', 'all')}); MNIST test: {len(tx):,}")
    raw = find_duplicates(ex, tx)
    print(f"raw frame, correlation >= 0.99: {len(np.unique(raw['a_index']))} EMNIST images")
    for threshold in (0.99, 0.98, 0.97, 0.95):
        found = find_duplicates(fe, fm, min_correlation=threshold)
        print(f"MNIST's frame, correlation >= {threshold}: {len(np.unique(found['a_index']))} EMNIST images")
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

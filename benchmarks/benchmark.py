"""Throughput of the evaluator (``handdigits.evaluation.predict``, used by benchmark and training)
vs raw ``keras.Model.predict``.

Prints images/s of both on the same arrays (MNIST test when the real files are
found, else random images) and their ratio; the requirement is ratio >= 0.9.
Also times one whole ``benchmark(datasets=("mnist",))`` call (loading included).

    python benchmarks/benchmark.py [--data-dir DIR] [--model PATH] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import timeit
from pathlib import Path

import numpy as np


def best_of(fn, repeats: int) -> float:
    """Best wall time of ``repeats`` calls of ``fn`` (seconds)."""
    return min(timeit.repeat(fn, repeat=repeats, number=1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--model", default=None, help=".keras model (default: bundled model, else an untrained bn_cnn)")
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    import keras

    from handdigits import models
    from handdigits.benchmark import benchmark
    from handdigits.evaluation import as_classifier, predict
    from handdigits.datasets import load_mnist

    try:
        # --data-dir, else $HANDDIGITS_DATA, else the repository's ../shared/data
        shared = Path(__file__).resolve().parents[2] / "shared" / "data"
        data_dir = args.data_dir or os.environ.get("HANDDIGITS_DATA") or shared
        x, y = load_mnist("test", data_dir=data_dir, download=False)
        source = "MNIST test"
    except (OSError, ValueError):
        x = np.random.default_rng(0).integers(0, 256, (10000, 28, 28)).astype(np.uint8)
        y = np.zeros(len(x), np.uint8)
        source = "random images (MNIST not found)"
    if args.model:
        model, name = keras.saving.load_model(args.model, safe_mode=True), args.model
    else:
        try:
            from handdigits.classifier import Classifier

            model, name = Classifier().model, "bundled model"
        except (ImportError, OSError, ValueError):
            model, name = models.build("bn_cnn", seed=0), "untrained bn_cnn"

    xf = x[..., None].astype(np.float32)  # raw Keras gets its preferred input ready-made (not timed)
    classifier = as_classifier(model)
    raw = lambda: model.predict(xf, batch_size=args.batch_size, verbose=0).argmax(1)  # noqa: E731
    ours = lambda: predict(classifier, x, batch_size=args.batch_size)[0]  # noqa: E731
    np.testing.assert_array_equal(raw(), ours())  # warm-up + same answers
    t_raw = t_ours = float("inf")
    for _ in range(args.repeats):  # interleaved, so background load hits both alike
        t_raw = min(t_raw, best_of(raw, 1))
        t_ours = min(t_ours, best_of(ours, 1))
    full = best_of(lambda: benchmark({name: model}, datasets=("mnist",), data_dir=args.data_dir, download=False,
                                     batch_size=args.batch_size) if source == "MNIST test" else None, 1)

    n = len(x)
    print(f"model: {name}; data: {source}, {n} images; batch {args.batch_size}; best of {args.repeats}")
    print(f"keras model.predict          : {n / t_raw:10,.0f} img/s ({t_raw:.3f} s)")
    print(f"handdigits evaluator         : {n / t_ours:10,.0f} img/s ({t_ours:.3f} s)")
    print(f"throughput ratio (ours / raw): {t_raw / t_ours:.2f}  (requirement: >= 0.9)")
    if source == "MNIST test":
        print(f"benchmark(datasets=('mnist',)) end to end, loading included: {full:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

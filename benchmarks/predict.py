"""Speed of ``handdigits.Classifier`` against the raw Keras model, measured in one run.

Prints:
  * single-image latency (28×28 uint8 MNIST image, preprocessing on) as p50/p90/p99,
    next to ``model(x)`` and ``model.predict(x)`` on the same image;
  * throughput on 10,000 MNIST-format images with ``predict_proba(images, preprocess=False)``
    as a ratio to ``model.predict`` (default batch size 32, and batch size 256) on the same batch;
  * throughput with preprocessing on (MNIST fast path) and the cost of preprocessing photos.

Usage::

    python benchmarks/predict.py [--model PATH] [--data-dir DIR] [--repeats 3]

Uses the MNIST test set from --data-dir, $HANDDIGITS_DATA or ../shared/data, else the
bundled samples.  Timings are wall-clock and sensitive to other load on the machine:
each measurement is repeated (interleaved) and the best run is kept.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import timeit
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def load_images(data_dir) -> tuple[np.ndarray, str]:
    from handdigits.datasets import load_mnist

    for d in (data_dir, os.environ.get("HANDDIGITS_DATA"), REPO.parent / "shared" / "data"):
        if d:
            try:
                return load_mnist("test", data_dir=d, download=False)[0], f"MNIST test ({d})"
            except (FileNotFoundError, ValueError):
                pass
    from handdigits.preprocess import to_mnist
    from handdigits.samples import list_samples

    tiles = np.stack([to_mnist(p) for p in list_samples()])
    return np.resize(tiles, (10_000, 28, 28)), "bundled samples (MNIST not found), tiled to 10,000"


def latencies(fn, inputs, n: int) -> np.ndarray:
    out = np.empty(n)
    for i in range(n):
        x = inputs[i % len(inputs)]
        t = time.perf_counter()
        fn(x)
        out[i] = time.perf_counter() - t
    return out * 1e3


def best_seconds(fn, repeats: int) -> float:
    """Best wall time of ``repeats`` calls of ``fn`` (seconds)."""
    return min(timeit.repeat(fn, repeat=repeats, number=1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="a .keras model (default: the bundled one)")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-single", type=int, default=1000, help="single-image calls to time")
    args = parser.parse_args(argv)

    from handdigits import Classifier
    from handdigits.samples import list_samples

    images, source = load_images(args.data_dir)
    images = images[:10_000]
    clf = Classifier.load(args.model) if args.model else Classifier()
    # the raw Keras model from a second classifier: reading clf.model would move clf to TensorFlow
    model = (Classifier.load(args.model, fast_path=False) if args.model else Classifier(fast_path=False)).model
    print(f"images: {source}; model: {clf!r}; backend: {clf.backend}; cpus: {os.cpu_count()}")

    # warm up every path (tracing, first-call allocations)
    clf.predict(images[0])
    clf.predict_proba(images[:512], preprocess=False)
    model.predict(images[:64, :, :, None].astype(np.float32), verbose=0)
    model(images[:1, :, :, None].astype(np.float32), training=False)

    one = [images[i : i + 1, :, :, None].astype(np.float32) for i in range(50)]
    ours = latencies(clf.predict, images, args.n_single)
    keras_call = latencies(lambda x: model(x, training=False).numpy(), one, 100)
    keras_predict = latencies(lambda x: model.predict(x, verbose=0), one, 50)
    p = lambda a, q: float(np.percentile(a, q))  # noqa: E731
    print("\nsingle image, 28x28 uint8 (ms)        p50      p90      p99")
    print(f"  Classifier.predict (preprocess on) {p(ours, 50):7.3f}  {p(ours, 90):7.3f}  {p(ours, 99):7.3f}")
    print(f"  model(x)                           {p(keras_call, 50):7.3f}  {p(keras_call, 90):7.3f}  {p(keras_call, 99):7.3f}")
    print(f"  model.predict(x)                   {p(keras_predict, 50):7.3f}  {p(keras_predict, 90):7.3f}  {p(keras_predict, 99):7.3f}")

    x = images[:, :, :, None].astype(np.float32)
    runs = {"ours": [], "predict32": [], "predict256": [], "ours_pre": []}
    for _ in range(args.repeats):  # interleaved so background load hits every variant alike
        runs["ours"].append(best_seconds(lambda: clf.predict_proba(images, preprocess=False), 1))
        runs["predict32"].append(best_seconds(lambda: model.predict(x, verbose=0), 1))
        runs["predict256"].append(best_seconds(lambda: model.predict(x, batch_size=256, verbose=0), 1))
        runs["ours_pre"].append(best_seconds(lambda: clf.predict_proba(images), 1))
    best = {k: min(v) for k, v in runs.items()}
    n = len(images)
    print(f"\nbatch of {n} images (best of {args.repeats}, images/s)")
    print(f"  predict_proba(preprocess=False)    {n / best['ours']:9.0f}")
    print(f"  model.predict (batch 32)           {n / best['predict32']:9.0f}   ratio ours/this = {best['predict32'] / best['ours']:.2f}")
    print(f"  model.predict (batch 256)          {n / best['predict256']:9.0f}   ratio ours/this = {best['predict256'] / best['ours']:.2f}")
    print(f"  predict_proba(preprocess=True)     {n / best['ours_pre']:9.0f}   ratio to preprocess=False = {best['ours'] / best['ours_pre']:.2f}")

    from handdigits.preprocess import to_mnist

    photo = latencies(to_mnist, list_samples(), 100)
    print(f"\nto_mnist on the bundled sample files (decode included): p50 {statistics.median(photo):.1f} ms, max {photo.max():.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Is augmentation fast enough to keep training fed?

Measures, in one run on the same machine:

1. images/s of ``default_augmentation`` on batches of 28x28 uint8 images called on
   numpy arrays;
2. images/s of the same pipeline inside ``tf.data`` exactly as training builds it
   (:func:`handdigits.train.make_dataset`: batch, map, cast, prefetch);
3. images/s consumed by a training step of the default model (``bn_cnn``,
   compiled like :func:`handdigits.train.train`), measured with ``fit`` on
   in-memory batches so that no augmentation is involved;

and prints the ratios augmentation / training (target: >= 3, so that augmenting
takes at most a third of the time of a step).  Not a unit test: numbers depend
on the machine and on whatever else runs on it.

    python benchmarks/transforms.py [--data-dir DIR] [--batches 100] [--train-batches 200]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

BATCH = 128


def load_images(data_dir, n):
    """Real MNIST test digits when available, else synthetic uint8 images."""
    from handdigits.datasets import load_mnist

    for d in (data_dir, os.environ.get("HANDDIGITS_DATA"), Path(__file__).resolve().parents[2] / "shared" / "data"):
        if d is None:
            continue
        try:
            x, y = load_mnist("test", data_dir=d, download=False)
        except (FileNotFoundError, OSError, ValueError):
            continue
        return x[:n], y[:n], f"MNIST test digits from {d}"
    rng = np.random.default_rng(0)
    x = (rng.random((n, 28, 28)) > 0.8).astype(np.uint8) * 255
    return x, rng.integers(0, 10, n).astype(np.uint8), "synthetic images (MNIST not found)"


def rate(fn, batches, warmup=3):
    """Images per second of ``fn(i)`` over ``batches`` calls of one batch each, after a warm-up."""
    for i in range(warmup):
        fn(i)
    start = time.perf_counter()
    for i in range(batches):
        fn(i)
    return batches * BATCH / (time.perf_counter() - start)


def numpy_rate(x, batches):
    from handdigits.transforms import default_augmentation

    aug = default_augmentation(seed=0)
    n_chunks = len(x) // BATCH
    return rate(lambda i: aug(x[(i % n_chunks) * BATCH : (i % n_chunks + 1) * BATCH]), batches)


def tf_data_rate(x, y, batches):
    from handdigits.train import make_dataset
    from handdigits.transforms import default_augmentation

    ds = make_dataset(x, y, BATCH, seed=0, augmentation=default_augmentation(seed=0)).repeat()
    it = iter(ds)
    return rate(lambda i: next(it), batches)


def train_rate(x, y, batches):
    """Images/s of ``bn_cnn`` training steps (Adam + cosine decay, as in handdigits.train)."""
    import keras
    import tensorflow as tf

    from handdigits import models

    net = models.build("bn_cnn", seed=0)
    net.compile(
        optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=10_000, alpha=0.01)),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    ds = (
        tf.data.Dataset.from_tensor_slices((x[..., None].astype(np.float32), y))
        .batch(BATCH, drop_remainder=True)
        .cache()
        .repeat()
        .prefetch(tf.data.AUTOTUNE)
    )
    net.fit(ds, steps_per_epoch=10, epochs=1, verbose=0, shuffle=False)  # build + trace
    start = time.perf_counter()
    net.fit(ds, steps_per_epoch=batches, epochs=1, verbose=0, shuffle=False)
    return batches * BATCH / (time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=None, help="directory holding mnist/ (default: $HANDDIGITS_DATA or ../shared/data)")
    parser.add_argument("--batches", type=int, default=100, help="augmentation batches of 128 to time (default: 100)")
    parser.add_argument("--train-batches", type=int, default=200, help="training batches of 128 to time (default: 200)")
    args = parser.parse_args(argv)

    import tensorflow as tf

    x, y, source = load_images(args.data_dir, 10_000)
    print(f"input: {source}; batches of {BATCH}; TensorFlow {tf.__version__}; {os.cpu_count()} CPUs")
    aug_np = numpy_rate(x, args.batches)
    print(f"default_augmentation, numpy arrays : {aug_np:9.0f} images/s")
    aug_tf = tf_data_rate(x, y, args.batches)
    print(f"default_augmentation, tf.data      : {aug_tf:9.0f} images/s")
    train = train_rate(x, y, args.train_batches)
    print(f"bn_cnn training step (fit)         : {train:9.0f} images/s")
    print(f"ratio augmentation / training      : numpy {aug_np / train:.1f}x, tf.data {aug_tf / train:.1f}x (target >= 3)")


if __name__ == "__main__":
    main()

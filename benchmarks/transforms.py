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
takes at most a third of the time of a step).  Then, before / after:

4. one 28x28 numpy image per call (as a PyTorch ``Dataset.__getitem__`` calls
   it): the numpy path against the eager TensorFlow path every call used before
   (target: <= 0.5 ms per call);
5. a numpy batch of 2,048: the compiled ``tf.function`` against the eager
   TensorFlow path used before (target: >= 5,000 images/s).

Not a unit test: numbers depend on the machine and on whatever else runs on it
(CPU time per call is printed too; it does not count other processes' work).
``--write-docs`` puts the before / after table into ``docs/transforms.md``
between ``<!-- transforms-speed:begin -->`` and ``<!-- transforms-speed:end -->``.

    python benchmarks/transforms.py [--data-dir DIR] [--batches 100] [--train-batches 200] [--write-docs]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

BATCH = 128
REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "transforms.md"
sys.path.insert(0, str(REPO / "scripts"))

from docs_block import write_between  # noqa: E402

BEGIN, END = "<!-- transforms-speed:begin -->", "<!-- transforms-speed:end -->"


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


def per_call(fn, calls: int, repeats: int = 3) -> tuple[float, float]:
    """Best (wall, CPU) seconds per call of ``fn()`` over ``repeats`` runs of ``calls`` calls."""
    fn()
    best = (float("inf"), float("inf"))
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(calls):
            fn()
        best = min(best, ((time.perf_counter() - wall) / calls, (time.process_time() - cpu) / calls))
    return best


def before_after(x, single_calls: int) -> list[tuple[str, str, str, str]]:
    """Rows (what, before, after, ratio): one numpy image per call, and a numpy batch of 2,048."""
    import tensorflow as tf

    from handdigits.transforms import default_augmentation
    from handdigits.transforms.inputs import run_tensor as _run_tensor

    now, old = default_augmentation(seed=0), default_augmentation(seed=0)
    image = x[0]
    after = per_call(lambda: now(image), single_calls)
    before = per_call(lambda: _run_tensor(old, tf.convert_to_tensor(image), ndim_hint=2).numpy(), max(5, single_calls // 50))
    batch = np.resize(x, (2048, 28, 28))
    after_b = per_call(lambda: now(batch), 3)
    before_b = per_call(lambda: _run_tensor(old, tf.convert_to_tensor(batch), ndim_hint=3).numpy(), 3)
    return [
        ("one 28x28 numpy image, ms per call (wall)", f"{before[0] * 1e3:.2f}", f"{after[0] * 1e3:.3f}", f"{before[0] / after[0]:.0f}x"),
        ("one 28x28 numpy image, ms per call (CPU)", f"{before[1] * 1e3:.2f}", f"{after[1] * 1e3:.3f}", f"{before[1] / after[1]:.0f}x"),
        ("numpy batch of 2,048, images/s (wall)", f"{2048 / before_b[0]:,.0f}", f"{2048 / after_b[0]:,.0f}", f"{before_b[0] / after_b[0]:.1f}x"),
        ("numpy batch of 2,048, images/s (CPU)", f"{2048 / before_b[1]:,.0f}", f"{2048 / after_b[1]:,.0f}", f"{before_b[1] / after_b[1]:.1f}x"),
    ]


def augmentation_vs_training(x, y, args) -> None:
    """Measurements 1-3: augmentation on numpy batches and in tf.data against a training step."""
    aug_np = numpy_rate(x, args.batches)
    print(f"default_augmentation, numpy arrays : {aug_np:9.0f} images/s")
    aug_tf = tf_data_rate(x, y, args.batches)
    print(f"default_augmentation, tf.data      : {aug_tf:9.0f} images/s")
    train = train_rate(x, y, args.train_batches)
    print(f"bn_cnn training step (fit)         : {train:9.0f} images/s")
    print(f"ratio augmentation / training      : numpy {aug_np / train:.1f}x, tf.data {aug_tf / train:.1f}x (target >= 3)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=None, help="directory holding mnist/ (default: $HANDDIGITS_DATA or ../shared/data)")
    parser.add_argument("--batches", type=int, default=100, help="augmentation batches of 128 to time (default: 100)")
    parser.add_argument("--train-batches", type=int, default=200, help="training batches of 128 to time (default: 200)")
    parser.add_argument("--single-calls", type=int, default=1000, help="one-image calls to time (default: 1000)")
    parser.add_argument("--write-docs", action="store_true", help="update the before / after table in docs/transforms.md")
    parser.add_argument("--before-after-only", action="store_true", help="skip measurements 1-3 (training takes minutes)")
    args = parser.parse_args(argv)

    import tensorflow as tf

    x, y, source = load_images(args.data_dir, 10_000)
    print(f"input: {source}; batches of {BATCH}; TensorFlow {tf.__version__}; {os.cpu_count()} CPUs")
    if not args.before_after_only:
        augmentation_vs_training(x, y, args)
    rows = before_after(x, args.single_calls)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        f"_Generated by `python benchmarks/transforms.py --write-docs` on {time.strftime('%Y-%m-%d', time.gmtime())}: "
        f"{os.cpu_count()} CPUs, load average {load:.1f} (wall times count other processes' work, CPU times do not); "
        "before = the eager TensorFlow path every numpy call took before the numpy path and the compiled batch path, "
        "after = now._",
        "",
        "| `default_augmentation(seed=0)` | before | after | speed-up |",
        "|---|---|---|---|",
        *(f"| {what} | {b} | {a} | {r} |" for what, b, a, r in rows),
    ]
    print("\n".join(lines))
    if args.write_docs:
        write_between(DOCS, BEGIN, END, "\n".join(lines))
        print(f"wrote {DOCS.relative_to(REPO)}")


if __name__ == "__main__":
    main()

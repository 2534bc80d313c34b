"""Reproducible training entry point: ``python -m handdigits.train`` / ``handdigits train``.

Example::

    python -m handdigits.train --model bn_cnn --epochs 30 --data-dir ../shared/data \
        --output runs/bn_cnn

Writes ``model.keras`` and ``metadata.json`` into ``--output``; per-epoch
backups (``backup/``) let a killed run resume when started again with the
same command.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from . import models
from .metrics import error_summary

DATASETS = ("mnist", "emnist", "both")
STRATEGIES = ("default", "mirrored", "multi-worker")


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_arrays(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _log(msg: str) -> None:
    print(f"[handdigits.train] {msg}", flush=True)


def load_training_data(datasets: str, data_dir, download: bool, limit: int | None):
    """Return ``(x, y, info)``: training images, labels and a provenance record."""
    from . import datasets as ds

    info: dict = {"requested": datasets, "used": [], "hashes": {}}
    xs, ys = [], []
    if datasets in ("mnist", "both"):
        x, y = ds.load_mnist("train", data_dir=data_dir, download=download)
        xs.append(x)
        ys.append(y)
        info["used"].append("mnist")
        info["hashes"]["mnist_train"] = sha256_arrays(x, y)
        info["mnist_train_n"] = int(len(x))
    if datasets in ("emnist", "both"):
        try:
            ex, ey = ds.load_emnist("train", data_dir=data_dir, download=download)
        except (FileNotFoundError, OSError, ValueError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            info["emnist"] = {"available": False, "reason": reason}
            _log(f"EMNIST unavailable, training without it ({reason})")
            if datasets == "emnist":
                raise
        else:
            tx, _ = ds.load_mnist("test", data_dir=data_dir, download=download)
            dup = ds.find_duplicates(ex, tx)
            keep = np.ones(len(ex), bool)
            keep[np.unique(dup["a_index"])] = False
            info["emnist"] = {
                "available": True,
                "train_n": int(len(ex)),
                "dropped_duplicates_of_mnist_test": int((~keep).sum()),
            }
            _log(f"EMNIST: {len(ex)} images, dropped {(~keep).sum()} duplicates of MNIST test images")
            xs.append(ex[keep])
            ys.append(ey[keep])
            info["used"].append("emnist")
            info["hashes"]["emnist_train"] = sha256_arrays(ex, ey)
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return x, y, info


def split_validation(x, y, validation: float, seed: int):
    """Seeded random hold-out: ``validation`` is a fraction (<1) or a count."""
    n = len(x)
    n_val = int(round(validation * n)) if validation < 1 else int(validation)
    if n_val > n // 5:
        _log(f"validation hold-out of {n_val} capped at 20 % of {n} images")
        n_val = n // 5
    n_val = max(n_val, 1)
    order = np.random.default_rng(seed).permutation(n)
    val, train = order[:n_val], order[n_val:]
    return (x[train], y[train]), (x[val], y[val])


def make_strategy(name: str):
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    return tf.distribute.MultiWorkerMirroredStrategy()


def make_dataset(x, y, batch_size: int, seed: int, augmentation=None, shuffle: bool = True):
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x[..., None], y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if augmentation is not None:
        ds = ds.map(lambda a, b: (augmentation(a), b))
    return ds.map(lambda a, b: (tf.cast(a, tf.float32), b)).prefetch(tf.data.AUTOTUNE)


def predict_labels(model, images, batch_size: int = 1024) -> np.ndarray:
    probs = model.predict(images[..., None].astype(np.float32), batch_size=batch_size, verbose=0)
    return probs.argmax(axis=1)


def evaluate_model(model, data_dir, download: bool, *, seed: int = 0) -> dict:
    """Test errors (with 95 % intervals) on MNIST test, its augmented version and EMNIST test."""
    from . import datasets as ds
    from .transforms import augment_fixed

    results = {}
    tx, ty = ds.load_mnist("test", data_dir=data_dir, download=download)
    results["mnist_test"] = error_summary(predict_labels(model, tx), ty)
    results["mnist_test_augmented"] = error_summary(predict_labels(model, augment_fixed(tx, seed=seed)), ty)
    try:
        ex, ey = ds.load_emnist("test", data_dir=data_dir, download=download)
    except (FileNotFoundError, OSError, ValueError) as exc:
        results["emnist_test"] = {"available": False, "reason": f"{type(exc).__name__}: {exc}"}
    else:
        results["emnist_test"] = error_summary(predict_labels(model, ex), ey)
    return results


def train(
    model: str = "bn_cnn",
    *,
    datasets: str = "both",
    epochs: int | None = None,
    batch_size: int | None = None,
    augment: float = 1.0,
    seed: int = 0,
    output: str | os.PathLike = "runs/model",
    data_dir=None,
    download: bool = True,
    strategy: str = "default",
    validation: float = 5000,
    learning_rate: float = 1e-3,
    limit: int | None = None,
    evaluate: bool = True,
    verbose: int | str = "auto",
) -> dict:
    """Train a named architecture and write ``model.keras`` + ``metadata.json``.

    Returns the metadata dictionary.  Deterministic for a given seed (op
    determinism is enabled).  Killed runs resume from ``<output>/backup``.
    """
    import keras
    import tensorflow as tf

    from .transforms import default_augmentation

    models._check(model)
    defaults = models.recipe_defaults(model)
    epochs = defaults["epochs"] if epochs is None else epochs
    batch_size = defaults["batch_size"] if batch_size is None else batch_size
    if epochs <= 0 or batch_size <= 0:
        raise ValueError(f"epochs and batch_size must be positive, got {epochs} and {batch_size}")
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    started = time.time()

    x, y, data_info = load_training_data(datasets, data_dir, download, limit)
    (xt, yt), (xv, yv) = split_validation(x, y, validation, seed)
    _log(f"training {model} on {len(xt)} images ({', '.join(data_info['used'])}), validating on {len(xv)}")

    augmentation = default_augmentation(strength=augment, seed=seed) if augment > 0 else None
    train_ds = make_dataset(xt, yt, batch_size, seed, augmentation)
    val_ds = make_dataset(xv, yv, 1024, seed, shuffle=False)
    steps = int(np.ceil(len(xt) / batch_size))

    with make_strategy(strategy).scope():
        net = models.build(model, seed=seed)
        schedule = keras.optimizers.schedules.CosineDecay(
            learning_rate, decay_steps=epochs * steps, alpha=0.01
        )
        net.compile(
            optimizer=keras.optimizers.Adam(schedule),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    callbacks = [
        keras.callbacks.BackupAndRestore(str(output / "backup")),
        keras.callbacks.CSVLogger(str(output / "log.csv"), append=True),
    ]
    history = net.fit(
        train_ds, validation_data=val_ds, epochs=epochs, callbacks=callbacks, verbose=verbose
    )
    train_seconds = time.time() - started
    model_path = output / "model.keras"
    net.save(model_path)

    val_pred = predict_labels(net, xv)
    metadata = {
        "format": "handdigits-model/1",
        "architecture": {
            "name": model,
            "description": models.describe(model),
            "parameters": int(net.count_params()),
            "input": "28x28x1 float in [0, 255], white ink on black",
        },
        "data": {
            **data_info,
            "train_n": int(len(xt)),
            "validation_n": int(len(xv)),
            "limit": limit,
        },
        "recipe": {
            "seed": seed,
            "epochs": epochs,
            "epochs_completed": len(history.epoch) and history.epoch[-1] + 1,
            "batch_size": batch_size,
            "optimizer": "Adam",
            "learning_rate": learning_rate,
            "schedule": "cosine decay to 1% over all steps",
            "augmentation_strength": augment,
            "augmentation": augmentation.get_config() if augmentation else None,
            "strategy": strategy,
            "command": " ".join(sys.argv) if sys.argv and "train" in sys.argv[0] else None,
        },
        "environment": {
            "cpu": cpu_name(),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
        },
        "validation": error_summary(val_pred, yv),
        "train_wall_seconds": round(train_seconds, 1),
    }
    if evaluate:
        metadata["test"] = evaluate_model(net, data_dir, download, seed=0)
    metadata["wall_seconds"] = round(time.time() - started, 1)
    metadata["sha256"] = sha256_file(model_path)
    metadata["file"] = model_path.name
    (output / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
    _log(f"wrote {model_path} and metadata.json in {metadata['wall_seconds']:.0f} s")
    if evaluate:
        for name, res in metadata["test"].items():
            if "error_pct" in res:
                _log(f"{name}: {res['error_pct']:.2f}% error ({res['errors']}/{res['n']})")
            else:
                _log(f"{name}: unavailable ({res['reason']})")
    return metadata


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(prog="python -m handdigits.train", description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="bn_cnn", choices=models.available(), help="architecture (default: bn_cnn)")
    parser.add_argument("--datasets", default="both", choices=DATASETS, help="training data (default: both; EMNIST is used when available)")
    parser.add_argument("--epochs", type=_positive_int, help="epochs (default: the model's recipe)")
    parser.add_argument("--batch-size", type=_positive_int, help="batch size (default: the model's recipe)")
    parser.add_argument("--augment", type=_non_negative_float, default=1.0, help="augmentation strength, 0 disables (default: 1)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--output", default=None, help="output directory (default: runs/<model>)")
    parser.add_argument("--data-dir", default=None, help="data directory (default: $HANDDIGITS_DATA or ~/.cache/handdigits)")
    parser.add_argument("--no-download", action="store_true", help="never download; use local files only")
    parser.add_argument("--strategy", default="default", choices=STRATEGIES, help="tf.distribute strategy")
    parser.add_argument("--validation", type=_non_negative_float, default=5000, help="validation hold-out: a fraction < 1 or a count (default: 5000)")
    parser.add_argument("--learning-rate", type=_non_negative_float, default=1e-3)
    parser.add_argument("--limit", type=_positive_int, help="use only the first N training images (smoke tests)")
    parser.add_argument("--no-eval", action="store_true", help="skip the test-set evaluation")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=None, help="Keras verbosity (default: progress bar on a terminal, one line per epoch otherwise)")
    return parser


def run_from_args(args, parser) -> int:
    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        parser.error(f"--data-dir {args.data_dir!r} is not a directory")
    verbose = args.verbose if args.verbose is not None else (1 if sys.stdout.isatty() else 2)
    train(
        args.model,
        datasets=args.datasets,
        epochs=args.epochs,
        batch_size=args.batch_size,
        augment=args.augment,
        seed=args.seed,
        output=args.output or f"runs/{args.model}",
        data_dir=args.data_dir,
        download=not args.no_download,
        strategy=args.strategy,
        validation=args.validation,
        learning_rate=args.learning_rate,
        limit=args.limit,
        evaluate=not args.no_eval,
        verbose=verbose,
    )
    return 0


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_from_args(args, parser)


if __name__ == "__main__":
    sys.exit(main())

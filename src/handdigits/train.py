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
import csv
import hashlib
import json
import math
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from . import models
from .metrics import error_summary
from .validation import check_number

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


def load_training_data(datasets: str, data_dir, download: bool, limit: int | None, verify: bool = True):
    """Return ``(x, y, info)``: training images, labels and a provenance record.

    With ``datasets="both"``, EMNIST is skipped (and ``info["emnist"]`` says why)
    when its files are unavailable; EMNIST training images that duplicate MNIST
    test images (exact or near, see :func:`handdigits.datasets.find_duplicates`)
    are dropped.  ``verify=False`` skips the sha256 checks of the files.
    """
    from . import datasets as ds

    info: dict = {"requested": datasets, "used": [], "hashes": {}}
    xs, ys = [], []
    if datasets in ("mnist", "both"):
        x, y = ds.load_mnist("train", data_dir=data_dir, download=download, verify=verify)
        xs.append(x)
        ys.append(y)
        info["used"].append("mnist")
        info["hashes"]["mnist_train"] = sha256_arrays(x, y)
        info["mnist_train_n"] = int(len(x))
    if datasets in ("emnist", "both"):
        try:
            ex, ey = ds.load_emnist("train", data_dir=data_dir, download=download, verify=verify)
        except ds.DatasetUnavailable as exc:  # absent; a corrupt file is an error
            reason = f"{type(exc).__name__}: {exc}"
            info["emnist"] = {"available": False, "reason": reason}
            _log(f"EMNIST unavailable, training without it ({reason})")
            if datasets == "emnist":
                raise
        else:
            tx, _ = ds.load_mnist("test", data_dir=data_dir, download=download, verify=verify)
            dup = ds.find_duplicates(ex, tx)
            keep = np.ones(len(ex), bool)
            keep[np.unique(dup["a_index"])] = False
            exact = np.unique(dup["a_index"][dup["kind"] == "exact"])
            info["emnist"] = {
                "available": True,
                "train_n": int(len(ex)),
                "dropped_duplicates_of_mnist_test": int((~keep).sum()),
                "dropped_exact_duplicates": int(len(exact)),
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


def _check_choice(value, name: str, choices) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def make_strategy(name: str):
    """The ``tf.distribute`` strategy called ``name`` (one of :data:`STRATEGIES`).

    ``"mirrored"`` replicates over all GPUs, or over all logical CPU devices
    when there is no GPU (``tf.distribute.MirroredStrategy()`` alone would use
    a single CPU replica).
    """
    import tensorflow as tf

    _check_choice(name, "strategy", STRATEGIES)
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = [d.name for d in tf.config.list_logical_devices("GPU")]
        devices = devices or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    return tf.distribute.MultiWorkerMirroredStrategy()


def _resume_log_callback(keras, log_path: Path):
    """Keep ``log.csv`` to one row per epoch across kills and restarts.

    Goes before ``CSVLogger``.  A run without a backup to resume from starts a
    new log.  At the first epoch actually run (the one ``BackupAndRestore``
    resumed from), rows of that and later epochs, left by a run killed between
    writing an epoch's row and its backup, are dropped, as is a row cut short.
    ``initial_epoch`` is set to that first epoch.
    """
    backup_state = log_path.parent / "backup" / "training_metadata.json"

    class _ResumeLog(keras.callbacks.Callback):
        initial_epoch = None

        def on_train_begin(self, logs=None):
            if not backup_state.exists():
                log_path.unlink(missing_ok=True)

        def on_epoch_begin(self, epoch, logs=None):
            if self.initial_epoch is not None:
                return
            self.initial_epoch = epoch
            if epoch > 0:
                _log(f"resuming from {backup_state.parent} after {epoch} of {self.params['epochs']} epochs")
            if not log_path.exists():
                return
            with log_path.open(newline="") as fh:
                header, *rows = list(csv.reader(fh)) or [None]
            if header:
                rows = [r for r in rows if len(r) == len(header) and r[0].isdigit() and int(r[0]) < epoch]
                # rewritten in place: CSVLogger keeps appending to the same (O_APPEND) file
                with log_path.open("w", newline="") as fh:
                    csv.writer(fh).writerows([header, *rows])

    return _ResumeLog()


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


def evaluate_model(model, data_dir, download: bool, *, seed: int = 0, verify: bool = True) -> dict:
    """Test errors (with 95 % intervals) on MNIST test, its augmented version and EMNIST test."""
    from . import datasets as ds
    from .transforms import augment_fixed

    results = {}
    tx, ty = ds.load_mnist("test", data_dir=data_dir, download=download, verify=verify)
    results["mnist_test"] = error_summary(predict_labels(model, tx), ty)
    results["mnist_test_augmented"] = error_summary(predict_labels(model, augment_fixed(tx, seed=seed)), ty)
    try:
        ex, ey = ds.load_emnist("test", data_dir=data_dir, download=download, verify=verify)
    except ds.DatasetUnavailable as exc:
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
    split_seed: int = 0,
    output: str | os.PathLike = "runs/model",
    data_dir=None,
    download: bool = True,
    strategy: str = "default",
    validation: float = 5000,
    learning_rate: float = 1e-3,
    limit: int | None = None,
    evaluate: bool = True,
    verbose: int | str = "auto",
    verify: bool = True,
    command: str | None = None,
) -> dict:
    """Train a named architecture and write ``model.keras`` + ``metadata.json``.

    Returns the metadata dictionary.  Deterministic for a given seed (op
    determinism is enabled).  Killed runs resume from ``<output>/backup``.
    ``verify=False`` skips the sha256 checks of the data files (custom or test
    files).  ``command`` is recorded in the metadata (the CLI passes its command line).
    """
    models._check(model)
    _check_choice(datasets, "datasets", DATASETS)
    _check_choice(strategy, "strategy", STRATEGIES)
    check_number(learning_rate, "learning_rate", low=0.0, low_open=True)
    check_number(validation, "validation", low=0.0)
    defaults = models.recipe_defaults(model)
    epochs = defaults["epochs"] if epochs is None else epochs
    batch_size = defaults["batch_size"] if batch_size is None else batch_size
    if epochs <= 0 or batch_size <= 0:
        raise ValueError(f"epochs and batch_size must be positive, got {epochs} and {batch_size}")

    started = time.time()
    # data first (numpy only): a missing or corrupt file fails before TensorFlow starts
    x, y, data_info = load_training_data(datasets, data_dir, download, limit, verify)
    # the hold-out depends on split_seed only, so runs with different seeds (candidates,
    # ensemble members) share one validation set and can be compared on it
    (xt, yt), (xv, yv) = split_validation(x, y, validation, split_seed)
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)

    import keras
    import tensorflow as tf

    from .transforms import default_augmentation

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    _log(f"training {model} on {len(xt)} images ({', '.join(data_info['used'])}), validating on {len(xv)}")

    augmentation = default_augmentation(strength=augment, seed=seed) if augment > 0 else None
    train_ds = make_dataset(xt, yt, batch_size, seed, augmentation)
    val_ds = make_dataset(xv, yv, 1024, seed, shuffle=False)
    steps = int(np.ceil(len(xt) / batch_size))

    distribution = make_strategy(strategy)
    replicas = int(distribution.num_replicas_in_sync)
    _log(f"strategy {strategy}: {replicas} replica(s)")
    with distribution.scope():
        net = models.build(model, seed=seed)
        schedule = keras.optimizers.schedules.CosineDecay(
            learning_rate, decay_steps=epochs * steps, alpha=0.01
        )
        net.compile(
            optimizer=keras.optimizers.Adam(schedule),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    resume_log = _resume_log_callback(keras, output / "log.csv")
    callbacks = [
        # order matters: the log row of an epoch is written before its backup, so a kill
        # in between leaves an extra row (dropped on resume), never a missing one
        resume_log,
        keras.callbacks.CSVLogger(str(output / "log.csv"), append=True),
        # double_checkpoint: a kill while the backup is written falls back to the previous one
        keras.callbacks.BackupAndRestore(str(output / "backup"), double_checkpoint=True),
    ]
    history = net.fit(
        train_ds, validation_data=val_ds, epochs=epochs, callbacks=callbacks, verbose=verbose
    )
    train_seconds = time.time() - started
    model_path = output / "model.keras"
    _save_inference_model(keras, net, model_path)

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
            "verified": verify,
        },
        "recipe": {
            "seed": seed,
            "validation_split_seed": split_seed,
            "epochs": epochs,
            "epochs_completed": len(history.epoch) and history.epoch[-1] + 1,
            "resumed_from_epoch": resume_log.initial_epoch or 0,
            "batch_size": batch_size,
            "optimizer": "Adam",
            "learning_rate": learning_rate,
            "schedule": "cosine decay to 1% over all steps",
            "augmentation_strength": augment,
            "augmentation": augmentation.get_config() if augmentation else None,
            "strategy": strategy,
            "replicas": replicas,
            "command": command,
        },
        "environment": environment(),
        "validation": error_summary(val_pred, yv),
        "train_wall_seconds": round(train_seconds, 1),
    }
    return _finish(metadata, net, model_path, lambda: time.time() - started, data_dir, download, evaluate, verify)


def _save_inference_model(keras, net, path: Path) -> None:
    """Save ``net`` without its optimizer state (a third of the size; resuming uses ``backup/``)."""
    # a new functional model over the same layers is uncompiled (clone_model would copy
    # the compile state, optimizer included)
    keras.Model(net.input, net.output, name=net.name).save(path)


def environment() -> dict:
    """The machine and library versions, for the metadata."""
    import keras
    import tensorflow as tf

    return {
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }


def _finish(metadata: dict, net, model_path: Path, elapsed, data_dir, download, evaluate, verify) -> dict:
    """Evaluate ``net`` (optionally), hash its saved file and write ``metadata.json`` beside it.

    ``elapsed()`` returns the run's wall time so far (seconds), read after the evaluation.
    """
    if evaluate:
        metadata["test"] = evaluate_model(net, data_dir, download, seed=0, verify=verify)
    metadata["wall_seconds"] = round(elapsed(), 1)
    metadata["sha256"] = sha256_file(model_path)
    metadata["file"] = model_path.name
    (model_path.parent / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
    _log(f"wrote {model_path} and metadata.json in {metadata['wall_seconds']:.0f} s")
    for name, res in metadata.get("test", {}).items():
        if "error_pct" in res:
            _log(f"{name}: {res['error_pct']:.2f}% error ({res['errors']}/{res['n']})")
        else:
            _log(f"{name}: unavailable ({res['reason']})")
    return metadata


def train_ensemble(model: str = "bn_cnn", members: int = 3, *, output="runs/ensemble", seed: int = 0, **kwargs) -> dict:
    """Train ``members`` copies of ``model`` with seeds ``seed, seed+1, ...`` and average them.

    Each member is an ordinary :func:`train` run in ``<output>/member-<i>``
    (resumable; a member whose ``metadata.json`` exists is reused).  All
    members share one validation hold-out (``split_seed``).  Writes the
    averaged model to ``<output>/model.keras`` with ``metadata.json``; the
    recorded wall time is the sum over members plus the assembly.
    """
    if isinstance(members, bool) or not isinstance(members, int) or members < 2:
        raise ValueError(f"members must be an integer >= 2, got {members!r}")
    output = Path(output)
    started = time.time()
    evaluate = kwargs.pop("evaluate", True)
    member_meta = []
    for i in range(members):
        sub = output / f"member-{i}"
        if (sub / "metadata.json").exists() and (sub / "model.keras").exists():
            _log(f"member {i}: reusing {sub}")
            meta = json.loads((sub / "metadata.json").read_text())
        else:
            meta = train(model, seed=seed + i, output=sub, evaluate=evaluate, **kwargs)
        if meta["recipe"]["seed"] != seed + i or meta["architecture"]["name"] != model:
            raise ValueError(f"{sub} holds {meta['architecture']['name']} seed {meta['recipe']['seed']}, expected {model} seed {seed + i}")
        member_meta.append(meta)

    import keras

    nets = [keras.saving.load_model(output / f"member-{i}" / "model.keras") for i in range(members)]
    net = models.ensemble(nets, name=f"{model}_x{members}")
    model_path = output / "model.keras"
    net.save(model_path)
    x, y, _ = load_training_data(
        kwargs.get("datasets", "both"), kwargs.get("data_dir"), kwargs.get("download", True),
        kwargs.get("limit"), kwargs.get("verify", True),
    )
    _, (xv, yv) = split_validation(x, y, kwargs.get("validation", 5000), kwargs.get("split_seed", 0))
    first = member_meta[0]
    member_seconds = sum(m.get("wall_seconds", m["train_wall_seconds"]) for m in member_meta)
    metadata = {
        "format": "handdigits-model/1",
        "architecture": {
            "name": f"{model}_x{members}",
            "description": f"average of the softmax outputs of {members} {model} models ({models.describe(model)})",
            "parameters": int(net.count_params()),
            "input": first["architecture"]["input"],
            "members": members,
        },
        "data": first["data"],
        "recipe": {
            **{k: v for k, v in first["recipe"].items() if k not in ("seed", "command", "resumed_from_epoch")},
            "seed": seed,
            "member_seeds": [m["recipe"]["seed"] for m in member_meta],
            "command": kwargs.get("command"),
        },
        "members": [
            {
                "seed": m["recipe"]["seed"],
                "epochs_completed": m["recipe"].get("epochs_completed"),
                "validation": m["validation"],
                "test": m.get("test"),
                "wall_seconds": m.get("wall_seconds", m["train_wall_seconds"]),
                "sha256": m["sha256"],
            }
            for m in member_meta
        ],
        "environment": environment(),
        "validation": error_summary(predict_labels(net, xv), yv),
        "train_wall_seconds": round(member_seconds, 1),
    }
    # the whole recipe's time: the members' runs (recorded when they ran) plus this assembly
    return _finish(
        metadata, net, model_path, lambda: member_seconds + time.time() - started,
        kwargs.get("data_dir"), kwargs.get("download", True), evaluate, kwargs.get("verify", True),
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def _number_type(low: float, high: float = math.inf, *, low_open: bool = False):
    """An argparse type for a finite number in ``[low, high]`` (``(low, high]`` if ``low_open``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value) or value < low or (low_open and value == low) or value > high:
            bound = f"{'>' if low_open else '>='} {low:g}" + ("" if high == math.inf else f" and <= {high:g}")
            raise argparse.ArgumentTypeError(f"must be a finite number {bound}, got {text!r}")
        return value

    return parse


_non_negative_float = _number_type(0.0)


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be in [0, 2**32 - 1], got {value}")
    return value


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(prog="python -m handdigits.train", description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="bn_cnn", choices=models.available(), help="architecture (default: bn_cnn)")
    parser.add_argument("--datasets", default="both", choices=DATASETS, help="training data (default: both; EMNIST is used when available)")
    parser.add_argument("--epochs", type=_positive_int, help="epochs (default: the model's recipe)")
    parser.add_argument("--batch-size", type=_positive_int, help="batch size (default: the model's recipe)")
    parser.add_argument("--augment", type=_number_type(0.0, 2.0), default=1.0, help="augmentation strength in [0, 2], 0 disables (default: 1)")
    parser.add_argument("--seed", type=_seed, default=0, help="random seed in [0, 2**32 - 1] (default: 0)")
    parser.add_argument("--members", type=_positive_int, default=1, help="train N models with seeds SEED..SEED+N-1 and average them (default: 1)")
    parser.add_argument("--split-seed", type=_seed, default=0, help="seed of the validation hold-out, shared by runs of any --seed (default: 0)")
    parser.add_argument("--output", default=None, help="output directory (default: runs/<model>)")
    parser.add_argument("--data-dir", default=None, help="data directory (default: $HANDDIGITS_DATA or ~/.cache/handdigits)")
    parser.add_argument("--no-download", action="store_true", help="never download; use local files only")
    parser.add_argument("--no-verify", action="store_true", help="skip the sha256 checks of the data files (custom or test files)")
    parser.add_argument("--strategy", default="default", choices=STRATEGIES, help="tf.distribute strategy")
    parser.add_argument("--validation", type=_non_negative_float, default=5000, help="validation hold-out: a fraction < 1 or a count (default: 5000)")
    parser.add_argument("--learning-rate", type=_number_type(0.0, low_open=True), default=1e-3, help="peak learning rate (default: 0.001)")
    parser.add_argument("--limit", type=_positive_int, help="use only the first N training images (smoke tests)")
    parser.add_argument("--no-eval", action="store_true", help="skip the test-set evaluation")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=None, help="Keras verbosity (default: progress bar on a terminal, one line per epoch otherwise)")
    return parser


def run_from_args(args, parser) -> int:
    """Run :func:`train` from parsed arguments; missing or corrupt data files exit with status 1."""
    from .datasets import ChecksumError, DatasetUnavailable

    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        parser.error(f"--data-dir {args.data_dir!r} is not a directory")
    verbose = args.verbose if args.verbose is not None else (1 if sys.stdout.isatty() else 2)
    try:
        _train_from_args(args, verbose)
    except (DatasetUnavailable, ChecksumError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _train_from_args(args, verbose) -> dict:
    if args.members > 1:
        return train_ensemble(
            args.model,
            args.members,
            output=args.output or f"runs/{args.model}_x{args.members}",
            seed=args.seed,
            **_common_kwargs(args, verbose),
        )
    return train(
        args.model,
        seed=args.seed,
        output=args.output or f"runs/{args.model}",
        **_common_kwargs(args, verbose),
    )


def command_line(argv) -> str:
    """The command as a user would type it (``python -m handdigits.train ...`` or ``handdigits train ...``)."""
    argv = list(argv)
    if argv and argv[0].replace("\\", "/").endswith("handdigits/train.py"):
        argv[0:1] = ["python", "-m", "handdigits.train"]
    elif argv and Path(argv[0]).name in ("handdigits", "__main__.py"):
        argv[0] = "handdigits"
    return shlex.join(argv)


def _common_kwargs(args, verbose) -> dict:
    return dict(
        datasets=args.datasets,
        epochs=args.epochs,
        batch_size=args.batch_size,
        augment=args.augment,
        split_seed=args.split_seed,
        data_dir=args.data_dir,
        download=not args.no_download,
        strategy=args.strategy,
        validation=args.validation,
        learning_rate=args.learning_rate,
        limit=args.limit,
        evaluate=not args.no_eval,
        verbose=verbose,
        verify=not args.no_verify,
        command=command_line(sys.argv),
    )


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_from_args(args, parser)


if __name__ == "__main__":
    sys.exit(main())

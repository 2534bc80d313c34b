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
from .datasets.checksums import file_digest as sha256_file
from .assembly import DATASETS, NOT_A_DIGIT, sha256_arrays, split_validation, training_sets  # noqa: F401
from .metrics import error_summary
from .validation import check_number

STRATEGIES = ("default", "mirrored", "multi-worker")


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
    if name == "multi-worker":
        raise NotImplementedError(
            "multi-worker training does not run with Keras 3's Model.fit (its tf.distribute path fails "
            "converting PerReplica values; upstream keras-team/keras#20585); use --strategy mirrored on one machine"
        )
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


LOWRES_SIZES = (8, 16)  # smallest and largest side of the low-resolution views (``lowres``)


def make_dataset(x, y, batch_size: int, seed: int, augmentation=None, shuffle: bool = True, lowres: float = 0.0):
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x[..., None], y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if augmentation is not None:
        ds = ds.map(lambda a, b: (augmentation(a), b))
    ds = ds.map(lambda a, b: (tf.cast(a, tf.float32), b))
    if lowres > 0:
        ds = ds.enumerate().map(lambda i, ab: (low_resolution(ab[0], lowres, (seed, i)), ab[1]))
    return ds.prefetch(tf.data.AUTOTUNE)


def low_resolution(images, p: float, seed):
    """Show each image of a float ``(N, 28, 28, 1)`` batch with probability ``p`` at low resolution.

    The chosen images are reduced (area average) to ``s × s`` pixels, ``s``
    drawn from :data:`LOWRES_SIZES` once per batch, and enlarged back to
    28 × 28 bilinearly: the blur and grey levels of an 8×8 or 16×16 scan.
    ``seed`` is a stateless seed pair, so a batch's views are reproducible.
    """
    import tensorflow as tf

    seed = tf.cast(tf.stack(seed), tf.int64)
    size = tf.random.stateless_uniform((), seed, LOWRES_SIZES[0], LOWRES_SIZES[1] + 1, dtype=tf.int32)
    small = tf.image.resize(images, tf.stack([size, size]), method="area")
    views = tf.clip_by_value(tf.image.resize(small, tf.shape(images)[1:3], method="bilinear"), 0.0, 255.0)
    chosen = tf.random.stateless_uniform(tf.shape(images)[:1], seed + 1) < p
    return tf.where(chosen[:, None, None, None], views, images)


def predict_labels(model, images, batch_size: int = 1024) -> np.ndarray:
    """Digit labels from :func:`handdigits.evaluation.predict` (the benchmark's path); -1 = refused."""
    from .evaluation import as_classifier, predict

    return predict(as_classifier(model), images, batch_size=batch_size)[0]


def evaluate_model(model, data_dir, download: bool, *, seed: int = 0, verify: bool = True) -> dict:
    """Test errors (95 % intervals, ECE, refusals) on MNIST test, its augmented version and EMNIST test.

    Computed by :func:`handdigits.evaluation.evaluate` on the sets of :mod:`handdigits.testsets`, as the
    benchmark computes them: ``mnist_test`` is its ``"mnist"``, ``mnist_test_augmented`` the MNIST part of
    its ``"augmented"`` (same images), ``emnist_test`` its ``"emnist"``, with ``dataset`` saying whether
    that was EMNIST test or ``"emnist-partial"`` (``n`` of ``of`` images).
    """
    from . import datasets as ds
    from .evaluation import evaluate
    from .testsets import TestSets, augmented

    sets = TestSets(data_dir, download=download, verify=verify, seed=seed, strict=True)
    mnist = sets.load("mnist")
    results = {"mnist_test": evaluate(model, mnist.images, mnist.labels),
               "mnist_test_augmented": evaluate(model, augmented(mnist, seed).images, mnist.labels)}
    try:
        emnist = sets.load("emnist")
    except ds.DatasetUnavailable as exc:
        results["emnist_test"] = {"available": False, "reason": f"{type(exc).__name__}: {exc}"}
    else:
        info = emnist.info["emnist"]
        results["emnist_test"] = {"dataset": info["name"], "of": info["of"], **evaluate(model, emnist.images,
                                                                                         emnist.labels)}
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
    synthetic: int = 0,
    nondigits: int = 0,
    extra_data=(),
    init_from=None,
    init_member: int = 0,
    lowres: float = 0.0,
    calibrate: bool = True,
    overwrite: bool = False,
) -> dict:
    """Train a named architecture and write ``model.keras`` + ``metadata.json``.

    Returns the metadata dictionary.  Deterministic for a given seed (op
    determinism is enabled).  Killed runs resume from ``<output>/backup``.
    ``verify=False`` skips the sha256 checks of the data files (custom or test
    files).  ``command`` is recorded in the metadata (the CLI passes its command line).

    Data beyond MNIST/EMNIST (see :mod:`handdigits.assembly`): ``synthetic``
    synthetic handwritten digits, ``nondigits`` synthetic non-digits (the
    model then has an 11th output, "not a digit"), ``extra_data`` the user's
    labelled sets (image folders or IDX pairs).  ``init_from`` fine-tunes:
    the weights start from that ``.keras`` model (member ``init_member`` of an
    ensemble; a 10-class head grows to 11 classes).  ``lowres`` is the
    probability that a training image is shown at a random low resolution
    (8-16 px, then back to 28 px), as 8×8 and 16×16 scans look.  ``calibrate``
    fits a temperature on the validation set and bakes it into the saved
    model (:mod:`handdigits.calibration`).

    Raises:
        FileExistsError: ``output`` holds a finished run and ``overwrite`` is false.
        RunConfigError: ``output/backup`` was left by a run with other settings.
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

    check_number(lowres, "lowres", low=0.0, high=1.0)
    classes = models.NUM_CLASSES + 1 if nondigits else models.NUM_CLASSES
    config = run_config(
        model, datasets=datasets, epochs=epochs, batch_size=batch_size, augment=augment, seed=seed,
        split_seed=split_seed, validation=validation, learning_rate=learning_rate, limit=limit, synthetic=synthetic,
        nondigits=nondigits, extra_data=extra_data, init_from=init_from, init_member=init_member, lowres=lowres,
        strategy=strategy,
    )
    claim_output(Path(output), config, overwrite, write=False)  # before the data: fail fast, create nothing

    started = time.time()
    # data first (numpy only): a missing or corrupt file fails before TensorFlow starts.
    # The hold-out depends on split_seed only, so runs with different seeds (candidates,
    # ensemble members) share one validation set and can be compared on it
    (xt, yt), (xv, yv, val_source), data_info = training_sets(
        datasets, data_dir=data_dir, download=download, verify=verify, validation=validation,
        split_seed=split_seed, limit=limit, synthetic=synthetic, nondigits=nondigits, extra=extra_data, log=_log,
    )
    output = Path(output)
    claim_output(output, config, overwrite)

    # the strategy comes before any other TensorFlow work (collective ops must be configured at start-up)
    distribution = make_strategy(strategy)
    import keras
    import tensorflow as tf

    from .transforms import default_augmentation

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    _log(f"training {model} on {len(xt)} images ({', '.join(data_info['used'])}), validating on {len(xv)}")

    augmentation = default_augmentation(strength=augment, seed=seed) if augment > 0 else None
    train_ds = make_dataset(xt, yt, batch_size, seed, augmentation, lowres=lowres)
    val_ds = make_dataset(xv, yv, 1024, seed, shuffle=False)
    steps = int(np.ceil(len(xt) / batch_size))

    replicas = int(distribution.num_replicas_in_sync)
    _log(f"strategy {strategy}: {replicas} replica(s)")
    with distribution.scope():
        net = models.build(model, seed=seed, classes=classes)
        if init_from is not None:
            source = models.members_of(keras.saving.load_model(init_from))
            models.transfer_weights(source[init_member % len(source)], net)
            _log(f"initialised from {init_from} (member {init_member % len(source)} of {len(source)})")
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
    net = keras.Model(net.input, net.output, name=net.name)  # uncompiled: no optimizer state is saved
    calibration = _calibrate(net, xv, yv) if calibrate else None
    net.save(model_path)
    metadata = {
        "format": "handdigits-model/1",
        "architecture": {
            "name": model,
            "description": models.describe(model),
            "parameters": int(net.count_params()),
            "input": "28x28x1 float in [0, 255], white ink on black",
            "classes": classes,
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
            "lowres": lowres,
            "init_from": config["init_from"],
            "strategy": strategy,
            "replicas": replicas,
            "command": command,
        },
        "environment": environment(),
        **validation_record(net, xv, yv, val_source),
        "calibration": calibration,
        "train_wall_seconds": round(train_seconds, 1),
    }
    return _finish(metadata, net, model_path, lambda: time.time() - started, data_dir, download, evaluate, verify)


def run_config(model: str, **settings) -> dict:
    """The settings that define a run (what a resumed or reused run must share), JSON-ready.

    ``settings`` are :func:`train`'s keyword arguments; unset epochs and batch
    size resolve to the architecture's recipe defaults, and ``init_from``
    becomes a record with the source file's SHA-256.
    """
    defaults, train_defaults = models.recipe_defaults(model), _train_defaults()
    config = {"model": model}
    for key in ("datasets", "epochs", "batch_size", "augment", "seed", "split_seed", "validation", "learning_rate",
                "limit", "synthetic", "nondigits", "lowres", "strategy"):
        config[key] = settings.get(key, train_defaults.get(key))
    for key in ("epochs", "batch_size"):
        config[key] = defaults[key] if config[key] is None else config[key]
    config["extra_data"] = [str(e) for e in settings.get("extra_data", ())]
    config["init_from"] = _init_record(settings.get("init_from"), settings.get("init_member", 0))
    return config


def _train_defaults() -> dict:
    import inspect

    return {k: v.default for k, v in inspect.signature(train).parameters.items() if v.default is not inspect.Parameter.empty}


class RunConfigError(ValueError):
    """A training output directory holds the backup of a run with other settings."""


RUN_CONFIG = "run-config.json"


def claim_output(output: Path, config: dict, overwrite: bool, *, write: bool = True) -> None:
    """Make ``output`` this run's: refuse a finished run (unless ``overwrite``) and a foreign backup.

    ``output/run-config.json`` records the settings; a backup left by a
    killed run is resumed only when they are the same, else the error says
    which settings differ.  ``write=False`` only checks (nothing is created).
    """
    if (output / "metadata.json").exists() and not overwrite:
        raise FileExistsError(
            f"{output} holds a finished run (metadata.json); choose another output directory "
            "or pass overwrite=True (--overwrite) to replace it"
        )
    recorded = output / RUN_CONFIG
    if (output / "backup").exists() and recorded.exists():
        old = json.loads(recorded.read_text())
        differ = sorted(k for k in set(old) | set(config) if old.get(k) != config.get(k))
        if differ:
            details = "; ".join(f"{k}: {old.get(k)!r} then, {config.get(k)!r} now" for k in differ)
            raise RunConfigError(
                f"{output}/backup was left by a run with other settings ({details}); "
                "rerun with the same settings to resume it, or delete the backup directory to start afresh"
            )
    if write:
        output.mkdir(parents=True, exist_ok=True)
        recorded.write_text(json.dumps(config, indent=2) + "\n")


def _init_record(init_from, member: int) -> dict | None:
    if init_from is None:
        return None
    path = Path(init_from)
    meta = path.parent / "metadata.json"
    record = {"file": path.name, "sha256": sha256_file(path), "member": member}
    if meta.exists():
        record["architecture"] = json.loads(meta.read_text()).get("architecture", {}).get("name")
    return record


def _calibrate(net, xv, yv) -> dict:
    """Fit and bake a temperature on the validation set (see :mod:`handdigits.calibration`)."""
    from .calibration import calibrate

    record = calibrate(net, xv, yv)
    _log(f"temperature {record['temperature']} ({'applied' if record['applied'] else 'not applied'}): validation ECE {record['ece_pct_before']:.2f}% -> {record['ece_pct_after']:.2f}%")
    return record


def validation_record(net, xv, yv, source) -> dict:
    """Validation error overall (digits only: what :class:`Classifier` answers) and per source,
    plus, for an 11-class model, how often held-out non-digits are called "not a digit"."""
    proba = net.predict(xv[..., None].astype(np.float32), batch_size=1024, verbose=0)
    digits = yv != NOT_A_DIGIT
    pred = proba[:, : models.NUM_CLASSES].argmax(axis=1)
    record = {"validation": error_summary(pred[digits], yv[digits])}
    record["validation_by_source"] = {
        name: error_summary(pred[(source == name) & digits], yv[(source == name) & digits])
        for name in dict.fromkeys(source) if ((source == name) & digits).any()
    }
    if proba.shape[1] > models.NUM_CLASSES and (~digits).any():
        record["validation_nondigits"] = {
            "n": int((~digits).sum()),
            "called_not_a_digit_pct": round(100.0 * float((proba[~digits].argmax(axis=1) == NOT_A_DIGIT).mean()), 3),
        }
        record["reject"] = reject_record(proba, yv, source)
    return record


REJECT_COVERAGE = 0.995  # the "auto" reject threshold answers this share of MNIST validation digits


def reject_record(proba, yv, source) -> dict:
    """The ``"auto"`` reject threshold of an 11-class model, chosen on validation data only.

    The threshold on :func:`handdigits.decision.confidence` that still
    answers :data:`REJECT_COVERAGE` of the MNIST validation digits; recorded
    with what it does on the validation sets (digits answered per source,
    non-digits rejected).
    """
    from . import decision

    conf = decision.confidence(proba)
    mnist = (source == "mnist") & (yv != NOT_A_DIGIT)
    pool = mnist if mnist.any() else yv != NOT_A_DIGIT
    t = decision.threshold_for_coverage(conf[pool], REJECT_COVERAGE)
    answered = conf >= t
    nondigits = yv == NOT_A_DIGIT
    return {
        "min_confidence": round(t, 6),
        "chosen_on": "mnist validation digits" if mnist.any() else "validation digits",
        "coverage_target_pct": 100.0 * REJECT_COVERAGE,
        "answered_pct_by_source": {
            name: round(100.0 * float(answered[(source == name) & ~nondigits].mean()), 3)
            for name in dict.fromkeys(source) if ((source == name) & ~nondigits).any()
        },
        "nondigits_rejected_pct": round(100.0 * float((~answered[nondigits]).mean()), 3) if nondigits.any() else None,
    }


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
    if (output / "metadata.json").exists() and not kwargs.get("overwrite"):
        raise FileExistsError(
            f"{output} holds a finished ensemble (metadata.json); choose another output directory "
            "or pass overwrite=True (--overwrite) to replace it"
        )
    started = time.time()
    evaluate = kwargs.pop("evaluate", True)
    calibrate = kwargs.pop("calibrate", True)  # the average is calibrated, not each member
    kwargs.pop("init_member", None)
    member_meta = []
    for i in range(members):
        sub = output / f"member-{i}"
        if (sub / "metadata.json").exists() and (sub / "model.keras").exists() and not kwargs.get("overwrite"):
            expected = run_config(model, seed=seed + i, init_member=i, **kwargs)
            recorded = json.loads((sub / RUN_CONFIG).read_text()) if (sub / RUN_CONFIG).exists() else expected
            if recorded != expected:
                differ = sorted(k for k in set(recorded) | set(expected) if recorded.get(k) != expected.get(k))
                raise RunConfigError(f"{sub} holds a member trained with other settings ({', '.join(differ)}); use another --output or --overwrite")
            _log(f"member {i}: reusing {sub}")
            meta = json.loads((sub / "metadata.json").read_text())
        else:
            meta = train(model, seed=seed + i, output=sub, evaluate=evaluate, init_member=i, calibrate=False, **kwargs)
        if meta["recipe"]["seed"] != seed + i or meta["architecture"]["name"] != model:
            raise ValueError(f"{sub} holds {meta['architecture']['name']} seed {meta['recipe']['seed']}, expected {model} seed {seed + i}")
        member_meta.append(meta)

    import keras

    nets = [keras.saving.load_model(output / f"member-{i}" / "model.keras") for i in range(members)]
    net = models.ensemble(nets, name=f"{model}_x{members}")
    model_path = output / "model.keras"
    _, (xv, yv, val_source), _ = training_sets(
        kwargs.get("datasets", "both"), data_dir=kwargs.get("data_dir"), download=kwargs.get("download", True),
        verify=kwargs.get("verify", True), validation=kwargs.get("validation", 5000),
        split_seed=kwargs.get("split_seed", 0), limit=kwargs.get("limit"), synthetic=kwargs.get("synthetic", 0),
        nondigits=kwargs.get("nondigits", 0), extra=kwargs.get("extra_data", ()), log=_log,
    )
    calibration = _calibrate(net, xv, yv) if calibrate else None
    net.save(model_path)
    first = member_meta[0]
    member_seconds = sum(m.get("wall_seconds", m["train_wall_seconds"]) for m in member_meta)
    metadata = {
        "format": "handdigits-model/1",
        "architecture": {
            "name": f"{model}_x{members}",
            "description": f"average of the softmax outputs of {members} {model} models ({models.describe(model)})",
            "parameters": int(net.count_params()),
            "input": first["architecture"]["input"],
            "classes": first["architecture"].get("classes", models.NUM_CLASSES),
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
        **validation_record(net, xv, yv, val_source),
        "calibration": calibration,
        "train_wall_seconds": round(member_seconds, 1),
    }
    # the whole recipe's time: the members' runs (recorded when they ran) plus this assembly
    return _finish(
        metadata, net, model_path, lambda: member_seconds + time.time() - started,
        kwargs.get("data_dir"), kwargs.get("download", True), evaluate, kwargs.get("verify", True),
    )


def interpolate_run(run, init_from, alpha: float, *, output, data_dir=None, download: bool = True,
                    verify: bool = True, evaluate: bool = True, overwrite: bool = False, command: str | None = None) -> dict:
    """WiSE-FT a finished fine-tuning run: mix its weights with those it started from.

    ``run`` is a :func:`train` or :func:`train_ensemble` output fine-tuned with
    ``init_from``; every member becomes ``(1 - alpha) * init + alpha * tuned``
    (:func:`handdigits.models.interpolate_weights`; the uncalibrated members
    are mixed, then the result is calibrated afresh on the run's validation
    hold-out).  Fine-tuning on new data can cost accuracy on the old; the mix
    often keeps the best of both (Wortsman et al., 2022).  Writes
    ``model.keras`` + ``metadata.json`` into ``output``; nothing is trained.
    """
    import keras

    check_number(alpha, "alpha", low=0.0, high=1.0)
    run = Path(run)
    meta = json.loads((run / "metadata.json").read_text())
    members = sorted(run.glob("member-*/model.keras"), key=lambda p: int(p.parent.name.split("-")[1]))
    config_file = (members[0].parent if members else run) / RUN_CONFIG
    config = json.loads(config_file.read_text())
    if config.get("init_from") is None or config["init_from"]["sha256"] != sha256_file(init_from):
        raise RunConfigError(f"{run} was not fine-tuned from {init_from} (its run-config.json records {config.get('init_from')})")
    output = Path(output)
    claim_output(output, {"interpolate": str(run), "run_sha256": meta["sha256"], "alpha": alpha,
                          "init_from": config["init_from"]}, overwrite)
    started = time.time()
    init = models.members_of(keras.saving.load_model(init_from))
    if members:
        nets = [keras.saving.load_model(p) for p in members]
    else:
        nets = [keras.saving.load_model(run / "model.keras")]
        temperature = (meta.get("calibration") or {}).get("temperature") if (meta.get("calibration") or {}).get("applied") else None
        if temperature:  # undo the run's calibration: the mix is calibrated afresh
            from .calibration import apply_temperature

            apply_temperature(nets[0], 1.0 / temperature)
    for i, net in enumerate(nets):
        models.interpolate_weights(init[i % len(init)], net, alpha)
    net = models.ensemble(nets, name=meta["architecture"]["name"]) if len(nets) > 1 else nets[0]
    _, (xv, yv, val_source), _ = training_sets(
        config["datasets"], data_dir=data_dir, download=download, verify=verify, validation=config["validation"],
        split_seed=config["split_seed"], limit=config["limit"], synthetic=config["synthetic"],
        nondigits=config["nondigits"], extra=config["extra_data"], log=_log,
    )
    calibration = _calibrate(net, xv, yv)
    model_path = output / "model.keras"
    net.save(model_path)
    metadata = {
        **{k: meta[k] for k in ("format", "architecture", "data") if k in meta},
        "recipe": {**meta["recipe"], "wise_ft": {"alpha": alpha, "tuned": {"run": run.name, "sha256": meta["sha256"]},
                                                  "init_from": config["init_from"], "command": command}},
        **({"members": meta["members"]} if "members" in meta else {}),
        "environment": environment(),
        **validation_record(net, xv, yv, val_source),
        "calibration": calibration,
        "train_wall_seconds": meta.get("train_wall_seconds"),
    }
    return _finish(metadata, net, model_path, lambda: meta.get("wall_seconds", 0) + time.time() - started,
                   data_dir, download, evaluate, verify)


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


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


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
    parser.add_argument("--synthetic", type=_count, default=0, metavar="N", help="add N synthetic handwritten digits of many styles (default: 0)")
    parser.add_argument("--nondigits", type=_count, default=0, metavar="N", help="add N synthetic non-digits as an 11th class, 'not a digit' (default: 0)")
    parser.add_argument("--extra-data", action="append", default=[], metavar="DIR_OR_IDX_PAIR", help="more labelled data: an image folder (sub-folders 0-9) or IMAGES.idx,LABELS.idx; repeatable")
    parser.add_argument("--init-from", metavar="MODEL.keras", help="fine-tune: start from this model's weights (member i of an ensemble for member i)")
    parser.add_argument("--lowres", type=_number_type(0.0, 1.0), default=0.0, metavar="P", help="probability of showing a training image at 8-16 px resolution (default: 0)")
    parser.add_argument("--no-calibrate", action="store_true", help="do not fit a temperature on the validation set")
    parser.add_argument("--overwrite", action="store_true", help="replace a finished run in --output (default: refuse)")
    parser.add_argument("--interpolate", metavar="RUN_DIR", help="train nothing: mix a finished fine-tuning run with --init-from's weights (WiSE-FT) into --output")
    parser.add_argument("--alpha", type=_number_type(0.0, 1.0), default=0.5, help="with --interpolate: weight of the fine-tuned weights (default: 0.5)")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=None, help="Keras verbosity (default: progress bar on a terminal, one line per epoch otherwise)")
    return parser


def run_from_args(args, parser) -> int:
    """Run :func:`train` from parsed arguments; missing or corrupt data files exit with status 1."""
    from .datasets import ChecksumError, DatasetUnavailable

    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        parser.error(f"--data-dir {args.data_dir!r} is not a directory")
    if args.init_from is not None and not Path(args.init_from).is_file():
        parser.error(f"--init-from {args.init_from!r} is not a file")
    if args.interpolate and (args.init_from is None or args.output is None or not Path(args.interpolate, "metadata.json").is_file()):
        parser.error("--interpolate RUN_DIR needs a finished run (RUN_DIR/metadata.json), --init-from (the model it started from) and --output")
    verbose = args.verbose if args.verbose is not None else (1 if sys.stdout.isatty() else 2)
    try:
        _train_from_args(args, verbose)
    except (DatasetUnavailable, ChecksumError, FileExistsError, RunConfigError, NotImplementedError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _train_from_args(args, verbose) -> dict:
    if args.interpolate:
        return interpolate_run(
            args.interpolate, args.init_from, args.alpha, output=args.output, data_dir=args.data_dir,
            download=not args.no_download, verify=not args.no_verify, evaluate=not args.no_eval,
            overwrite=args.overwrite, command=command_line(sys.argv),
        )
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
        synthetic=args.synthetic,
        nondigits=args.nondigits,
        extra_data=tuple(args.extra_data),
        init_from=args.init_from,
        lowres=args.lowres,
        calibrate=not args.no_calibrate,
        overwrite=args.overwrite,
    )


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_from_args(args, parser)


if __name__ == "__main__":
    sys.exit(main())

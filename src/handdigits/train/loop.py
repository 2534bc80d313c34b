"""One training run: data, model, ``Model.fit`` with resumable backups, then the record.

:func:`train` is the public entry; ``strategy="multi-worker"`` goes to
:mod:`handdigits.train.multi_worker` (a custom loop: Keras 3's ``fit``
cannot run under ``MultiWorkerMirroredStrategy``), every other strategy
through :func:`fit` here.  Both share the model, optimizer and record.
"""

from __future__ import annotations

import csv
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .. import models
from ..assembly import DataSpec
from . import provenance
from .pipeline import make_dataset
from .provenance import log
from .settings import Recipe, RunOptions, check_data, claim_output, config_of, split_settings
from .strategy import make_strategy


def train(
    model: str = "bn_cnn",
    *,
    datasets: str = "combined",
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
    photos: int = 0,
    pairs: int = 0,
    numbers: int = 0,
    init_from=None,
    init_member: int = 0,
    lowres: float = 0.0,
    calibrate: bool = True,
    overwrite: bool = False,
) -> dict:
    """Train a named architecture and write ``model.keras`` + ``metadata.json``.

    Returns the metadata dictionary.  Deterministic for a given seed (op
    determinism is enabled).  Killed runs (not multi-worker ones) resume from
    ``<output>/backup``.  ``verify=False`` skips the sha256 checks of the data files
    (custom or test files).  ``command`` is recorded in the metadata (the CLI passes its command line).

    Data beyond MNIST/EMNIST (see :mod:`handdigits.assembly`): ``synthetic``
    synthetic handwritten digits, ``nondigits`` synthetic non-digits (the
    model then has an 11th output, "not a digit"), ``extra_data`` the user's
    labelled sets (image folders or IDX pairs), ``photos`` MNIST train digits
    rendered as photos and scans and preprocessed back, ``pairs`` touching
    pairs of digits as "not a digit", ``numbers`` the candidates :meth:`Classifier.read`
    cuts from generated numbers, labelled digit or "not a digit".  ``init_from`` fine-tunes:
    the weights start from that ``.keras`` model (member ``init_member`` of an
    ensemble; a 10-class head grows to 11 classes).  ``lowres`` is the
    probability that a training image is shown at a random low resolution
    (8-16 px, then back to 28 px), as 8×8 and 16×16 scans look.  ``calibrate``
    fits a temperature on the validation set and bakes it into the saved
    model (:mod:`handdigits.calibration`).  ``strategy="multi-worker"`` trains
    on the cluster named by ``TF_CONFIG``; only its chief writes ``output``.

    Example::

        meta = train("baseline", epochs=1, data_dir="data", output="runs/try", evaluate=False)
        meta["validation"]["error_pct"]

    Raises:
        FileExistsError: ``output`` holds a finished run and ``overwrite`` is false.
        RunConfigError: ``output/backup`` was left by a run with other settings.
    """
    settings = dict(locals())
    return run(*split_settings(settings.pop("model"), settings))


def run(recipe: Recipe, data: DataSpec, options: RunOptions) -> dict:
    """:func:`train` with its settings grouped."""
    recipe, data = recipe.resolved(), check_data(data)
    config = config_of(recipe, data)
    if recipe.strategy == "multi-worker":
        from .multi_worker import train_multi_worker

        return train_multi_worker(recipe, data, options, config)
    output = Path(options.output)
    claim_output(output, config, options.overwrite, write=False)  # before the data: fail fast, create nothing
    started = time.time()
    # data first (numpy only): a missing or corrupt file fails before TensorFlow starts.
    # The hold-out depends on split_seed only, so runs with different seeds (candidates,
    # ensemble members) share one validation set and can be compared on it
    sets = data.load(log)
    claim_output(output, config, options.overwrite)
    distribution = make_strategy(recipe.strategy)
    net, outcome = fit(recipe, data, sets, distribution, output, options.verbose)
    outcome = replace(outcome, train_seconds=time.time() - started)
    metadata = run_metadata(recipe, data, options, sets, net, outcome, config)
    return provenance.finish(metadata, net, output / "model.keras", started, data, options.evaluate)


@dataclass(frozen=True)
class Outcome:
    """What a training loop reports for the record."""

    epochs_completed: int
    resumed_from_epoch: int
    replicas: int
    augmentation: dict | None
    train_seconds: float = 0.0
    workers: int | None = None  # multi-worker runs only


def start_tensorflow(recipe: Recipe, seed_offset: int = 0):
    """Seed Keras and make ops deterministic; returns the augmentation layer (None when ``augment`` is 0).

    ``seed_offset`` (a worker's index) gives each worker its own augmentation draws.
    """
    import keras
    import tensorflow as tf

    from ..transforms import default_augmentation

    keras.utils.set_random_seed(recipe.seed)
    tf.config.experimental.enable_op_determinism()
    return default_augmentation(strength=recipe.augment, seed=recipe.seed + seed_offset) if recipe.augment > 0 else None


def build_network(recipe: Recipe, classes: int, steps: int):
    """The architecture (weights from ``init_from`` when set) and its Adam optimizer with cosine decay.

    Call inside the strategy's ``scope()``.  ``steps`` is the number of
    optimizer steps per epoch.
    """
    import keras

    net = models.build(recipe.model, seed=recipe.seed, classes=classes)
    if recipe.init_from is not None:
        source = models.members_of(keras.saving.load_model(recipe.init_from))
        models.transfer_weights(source[recipe.init_member % len(source)], net)
        log(f"initialised from {recipe.init_from} (member {recipe.init_member % len(source)} of {len(source)})")
    schedule = keras.optimizers.schedules.CosineDecay(recipe.learning_rate, decay_steps=recipe.epochs * steps,
                                                      alpha=0.01)
    return net, keras.optimizers.Adam(schedule)


def fit(recipe: Recipe, data: DataSpec, sets, distribution, output: Path, verbose):
    """Train with ``Model.fit`` under ``distribution``; returns the uncompiled network and an :class:`Outcome`."""
    import keras

    (xt, yt), (xv, yv, _), info = sets
    augmentation = start_tensorflow(recipe)
    log(f"training {recipe.model} on {len(xt)} images ({', '.join(info['used'])}), validating on {len(xv)}")
    train_ds = make_dataset(xt, yt, recipe.batch_size, recipe.seed, augmentation, lowres=recipe.lowres)
    val_ds = make_dataset(xv, yv, 1024, recipe.seed, shuffle=False)
    replicas = int(distribution.num_replicas_in_sync)
    log(f"strategy {recipe.strategy}: {replicas} replica(s)")
    with distribution.scope():
        net, optimizer = build_network(recipe, data.classes, int(np.ceil(len(xt) / recipe.batch_size)))
        net.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    resume_log = resume_log_callback(keras, output / "log.csv")
    callbacks = [
        # order matters: the log row of an epoch is written before its backup, so a kill
        # in between leaves an extra row (dropped on resume), never a missing one
        resume_log,
        keras.callbacks.CSVLogger(str(output / "log.csv"), append=True),
        # double_checkpoint: a kill while the backup is written falls back to the previous one
        keras.callbacks.BackupAndRestore(str(output / "backup"), double_checkpoint=True),
    ]
    history = net.fit(train_ds, validation_data=val_ds, epochs=recipe.epochs, callbacks=callbacks, verbose=verbose)
    net = keras.Model(net.input, net.output, name=net.name)  # uncompiled: no optimizer state is saved
    outcome = Outcome(len(history.epoch) and history.epoch[-1] + 1, resume_log.initial_epoch or 0, replicas,
                      augmentation.get_config() if augmentation else None)
    return net, outcome


def resume_log_callback(keras, log_path: Path):
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
                log(f"resuming from {backup_state.parent} after {epoch} of {self.params['epochs']} epochs")
            if log_path.exists():
                _drop_rows_from(log_path, epoch)

    return _ResumeLog()


def _drop_rows_from(log_path: Path, epoch: int) -> None:
    with log_path.open(newline="") as fh:
        header, *rows = list(csv.reader(fh)) or [None]
    if header:
        rows = [r for r in rows if len(r) == len(header) and r[0].isdigit() and int(r[0]) < epoch]
        # rewritten in place: CSVLogger keeps appending to the same (O_APPEND) file
        with log_path.open("w", newline="") as fh:
            csv.writer(fh).writerows([header, *rows])


def run_metadata(recipe: Recipe, data: DataSpec, options: RunOptions, sets, net, outcome: Outcome,
                 config: dict) -> dict:
    """``metadata.json`` of a single run (before the test errors, hash and wall time :func:`finish` adds)."""
    (xt, _), validation, info = sets
    assessment = provenance.assessed(net, validation, recipe.calibrate)  # calibrates net first
    return {
        "format": provenance.FORMAT,
        "architecture": {
            "name": recipe.model,
            "description": models.description(recipe.model),
            "parameters": int(net.count_params()),
            "input": provenance.INPUT,
            "classes": data.classes,
        },
        "data": {**info, "train_n": int(len(xt)), "validation_n": int(len(validation[0])), "limit": data.limit,
                 "verified": data.verify},
        "recipe": {
            "seed": recipe.seed,
            "validation_split_seed": data.split_seed,
            "epochs": recipe.epochs,
            "epochs_completed": outcome.epochs_completed,
            "resumed_from_epoch": outcome.resumed_from_epoch,
            "batch_size": recipe.batch_size,
            "optimizer": "Adam",
            "learning_rate": recipe.learning_rate,
            "schedule": "cosine decay to 1% over all steps",
            "augmentation_strength": recipe.augment,
            "augmentation": outcome.augmentation,
            "lowres": recipe.lowres,
            "init_from": config["init_from"],
            "strategy": recipe.strategy,
            "replicas": outcome.replicas,
            **({"workers": outcome.workers} if outcome.workers is not None else {}),
            "command": options.command,
        },
        **assessment,
        "train_wall_seconds": round(outcome.train_seconds, 1),
    }

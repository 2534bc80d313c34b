"""Synchronous training over several machines: ``MultiWorkerMirroredStrategy`` with a custom loop.

Keras 3's ``Model.fit`` cannot run under ``MultiWorkerMirroredStrategy`` (it
fails converting a ``PerReplica`` value, keras-team/keras#20585), so this
path trains with ``strategy.run`` of a ``GradientTape`` step and the Keras
optimizer, as the ``tf.distribute`` custom-loop guide does:

- the strategy is created before any other TensorFlow work in the process
  (collective ops are configured at start-up);
- each worker reads its own shard of the training images
  (``distribute_datasets_from_function``), batches of ``batch_size /
  replicas`` images, the loss scaled by the global batch size;
- every worker takes the same number of steps per epoch (the data repeats);
- the chief shows Keras' progress bar and writes ``model.keras``,
  ``metadata.json`` and ``log.csv``; the other workers write theirs into a
  temporary directory that is removed.

Runs are not resumable (no per-epoch backup); the record is that of
:func:`handdigits.train.train` plus ``recipe.workers``.
"""

from __future__ import annotations

import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..assembly import DataSpec
from . import provenance
from .loop import Outcome, build_network, run_metadata, start_tensorflow
from .pipeline import make_dataset
from .provenance import log
from .settings import Recipe, RunOptions, claim_output
from .strategy import ClusterError, make_strategy, worker_of


def train_multi_worker(recipe: Recipe, data: DataSpec, options: RunOptions, config: dict) -> dict:
    """Train on the cluster of ``TF_CONFIG``; returns the metadata on the chief, ``{}`` on the other workers."""
    worker = worker_of(os.environ)
    distribution = make_strategy("multi-worker")  # first, on every worker: they wait for each other here
    started = time.time()
    with _output_of(worker, Path(options.output)) as output:
        sets = _load_together(distribution, worker, data, output, options, config)
        net, outcome = fit_multi_worker(recipe, data, sets, distribution, worker, output, options.verbose)
        outcome = replace(outcome, train_seconds=time.time() - started)
        if worker.is_chief:
            metadata = run_metadata(recipe, data, options, sets, net, outcome, config)
            metadata = provenance.finish(metadata, net, output / "model.keras", started, data, options.evaluate)
        else:
            net.save(output / "model.keras")  # the chief's work, into a directory removed on return
            metadata = {}
    wait_for_all(distribution)  # a worker that left early would be reported lost while the chief still writes
    return metadata


def wait_for_all(distribution) -> None:
    """Return when every worker has called this."""
    all_workers_sum(distribution, 0.0)


def all_workers_sum(distribution, value: float) -> float:
    """The sum of ``value`` over all workers (an all-reduce, so also a barrier)."""
    import tensorflow as tf

    share = value / len(distribution.extended.worker_devices)  # this worker's replicas add up to value

    @tf.function
    def reduce():
        shares = distribution.run(lambda: tf.constant(share, tf.float32))
        return distribution.reduce(tf.distribute.ReduceOp.SUM, shares, axis=None)

    return float(reduce())


def _load_together(distribution, worker, data: DataSpec, output: Path, options: RunOptions, config: dict):
    """Load the data (and claim ``output`` on the chief) on every worker; if any fails, all stop, at once.

    Without this, a worker whose data is missing, or a chief that refuses a
    finished run, would leave the others waiting in their first collective.
    """
    problem = None
    try:
        if worker.is_chief:
            claim_output(output, config, options.overwrite, write=False)
        sets = data.load(log)
    except Exception as exc:  # re-raised below, once every worker knows
        problem = exc
    failed = round(all_workers_sum(distribution, float(problem is not None)))
    if problem is not None:
        raise problem
    if failed:
        raise ClusterError(f"{failed} other worker(s) failed before training (see their output); stopping too")
    if worker.is_chief:
        claim_output(output, config, options.overwrite)
    return sets


@contextmanager
def _output_of(worker, output: Path):
    """The chief's ``output``, or a temporary directory for any other worker (removed afterwards)."""
    if worker.is_chief:
        yield output
        return
    with tempfile.TemporaryDirectory(prefix=f"handdigits-worker-{worker.index}-") as scratch:
        yield Path(scratch)


def fit_multi_worker(recipe: Recipe, data: DataSpec, sets, distribution, worker, output: Path, verbose):
    """The custom loop; returns a plain (undistributed) copy of the trained network and an :class:`Outcome`."""
    import keras

    (xt, yt), (xv, _, _), info = sets
    replicas = int(distribution.num_replicas_in_sync)
    if recipe.batch_size % replicas:
        raise ValueError(f"batch_size must be a multiple of the {replicas} replicas, got {recipe.batch_size}")
    augmentation = start_tensorflow(recipe, seed_offset=worker.index)
    steps = max(1, len(xt) // recipe.batch_size)  # the same on every worker, whatever its shard's size
    log(f"training {recipe.model} on {len(xt)} images ({', '.join(info['used'])}), validating on {len(xv)}; "
        f"worker {worker.index} of {worker.workers}, {replicas} replica(s), {steps} steps per epoch")

    def shard(context):  # this worker's images: every num_input_pipelines-th one
        part = slice(context.input_pipeline_id, None, context.num_input_pipelines)
        return make_dataset(xt[part], yt[part], context.get_per_replica_batch_size(recipe.batch_size),
                            recipe.seed + worker.index, augmentation, lowres=recipe.lowres, repeat=True)

    batches = iter(distribution.distribute_datasets_from_function(shard))
    with distribution.scope():
        net, optimizer = build_network(recipe, data.classes, steps)
        optimizer.build(net.trainable_variables)
    step = train_step(distribution, net, optimizer, recipe.batch_size)
    show = worker.is_chief and verbose != 0
    callbacks = keras.callbacks.CallbackList(
        [keras.callbacks.CSVLogger(str(output / "log.csv"))], add_progbar=show, model=net,
        verbose=verbose if show else 0, epochs=recipe.epochs, steps=steps,
    )
    _run_epochs(callbacks, step, batches, recipe.epochs, steps)
    plain = models_copy(net, recipe, data.classes)
    outcome = Outcome(recipe.epochs, 0, replicas, augmentation.get_config() if augmentation else None,
                      workers=worker.workers)
    return plain, outcome


def _run_epochs(callbacks, step, batches, epochs: int, steps: int) -> None:
    logs: dict = {}
    callbacks.on_train_begin()
    for epoch in range(epochs):
        callbacks.on_epoch_begin(epoch)
        totals = np.zeros(3)  # summed loss, correct answers, images: over all replicas
        for i in range(steps):
            callbacks.on_train_batch_begin(i)
            totals += step(batches).numpy()
            logs = {"accuracy": totals[1] / totals[2], "loss": totals[0] / totals[2]}
            callbacks.on_train_batch_end(i, logs)
        callbacks.on_epoch_end(epoch, logs)
    callbacks.on_train_end(logs)


def train_step(distribution, net, optimizer, global_batch_size: int):
    """A ``tf.function`` taking one distributed batch from an iterator; returns the summed (loss, correct, n)."""
    import keras
    import tensorflow as tf

    per_example = keras.losses.SparseCategoricalCrossentropy(reduction=None)

    def replica_step(images, labels):
        with tf.GradientTape() as tape:
            proba = net(images, training=True)
            losses = per_example(labels, proba)
            loss = tf.nn.compute_average_loss(losses, global_batch_size=global_batch_size)
            if net.losses:
                loss += tf.nn.scale_regularization_loss(tf.add_n(net.losses))
        grads = tape.gradient(loss, net.trainable_variables)
        optimizer.apply_gradients(zip(grads, net.trainable_variables))
        correct = tf.equal(tf.argmax(proba, axis=1, output_type=labels.dtype), labels)
        return tf.stack([tf.reduce_sum(losses), tf.reduce_sum(tf.cast(correct, tf.float32)),
                         tf.cast(tf.size(labels), tf.float32)])

    @tf.function
    def step(iterator):
        totals = distribution.run(replica_step, args=next(iterator))
        return distribution.reduce(tf.distribute.ReduceOp.SUM, totals, axis=None)

    return step


def models_copy(net, recipe: Recipe, classes: int):
    """``net``'s weights in a network built outside any strategy (saved, calibrated and evaluated like any)."""
    from .. import models

    plain = models.build(recipe.model, seed=recipe.seed, classes=classes)
    plain.set_weights(net.get_weights())  # the same reads on every worker (some variables sync on read)
    return plain

"""``tf.distribute`` strategies by name, and which worker of a multi-worker cluster this process is."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from ..validation import check_choice
from .settings import STRATEGIES


def make_strategy(name: str):
    """The ``tf.distribute`` strategy called ``name`` (one of :data:`STRATEGIES`).

    ``"mirrored"`` replicates over all GPUs, or over all logical CPU devices
    when there is no GPU (``tf.distribute.MirroredStrategy()`` alone would use
    a single CPU replica).  ``"multi-worker"`` is
    ``tf.distribute.MultiWorkerMirroredStrategy`` over the cluster named by
    the ``TF_CONFIG`` environment variable; it must be created before any
    other TensorFlow work in the process (collective ops are configured at
    start-up), so :func:`handdigits.train.train` creates it first.

    Example::

        strategy = make_strategy("mirrored")
        strategy.num_replicas_in_sync   # GPUs, or logical CPU devices
    """
    check_choice(name, "strategy", STRATEGIES)
    if name == "multi-worker":
        return _multi_worker()
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    devices = [d.name for d in tf.config.list_logical_devices("GPU")]
    devices = devices or [d.name for d in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(devices)


def _multi_worker():
    worker_of(os.environ)  # a missing or malformed TF_CONFIG is a clear error, before TensorFlow starts
    import tensorflow as tf

    try:
        return tf.distribute.MultiWorkerMirroredStrategy()
    except RuntimeError as exc:
        if "Collective ops must be configured" not in str(exc):
            raise
        raise RuntimeError(
            "--strategy multi-worker must create its strategy before any other TensorFlow work in the process; "
            "call handdigits.train.train(..., strategy='multi-worker') first, in a fresh process"
        ) from exc


class ClusterError(ValueError):
    """``TF_CONFIG`` is missing or does not describe a cluster and this process's task in it."""


@dataclass(frozen=True)
class Worker:
    """This process's place in a cluster: its task and whether it is the chief (the one that writes)."""

    task_type: str
    index: int
    workers: int
    is_chief: bool


def worker_of(environ) -> Worker:
    """The :class:`Worker` described by ``environ["TF_CONFIG"]``, the variable TensorFlow reads.

    The chief is task ``chief`` when the cluster has one, else worker 0.

    Example::

        worker_of({"TF_CONFIG": '{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}'})
        # Worker(task_type='worker', index=1, workers=2, is_chief=False)
    """
    text = environ.get("TF_CONFIG")
    if not text:
        raise ClusterError('strategy "multi-worker" needs the TF_CONFIG environment variable (cluster and task); '
                         "see the Training page of the documentation")
    try:
        config = json.loads(text)
        cluster, task = config["cluster"], config["task"]
        task_type, index = str(task["type"]), int(task["index"])
        workers = sum(len(cluster.get(kind, ())) for kind in ("chief", "worker"))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ClusterError(f"TF_CONFIG must be JSON with 'cluster' and 'task' {{'type', 'index'}}; got {text!r} "
                         f"({type(exc).__name__}: {exc})") from None
    chief = task_type == "chief" or (task_type == "worker" and index == 0 and not cluster.get("chief"))
    return Worker(task_type, index, workers, chief)

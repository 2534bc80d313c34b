"""Multi-worker training (``--strategy multi-worker``): two worker processes on 127.0.0.1.

The workers run ``python -m handdigits.train`` with a ``TF_CONFIG`` each, on a
few hundred generated MNIST-format images, one epoch; both are given the same
``--output``, as on a cluster with a shared disk, so the test also shows that
only the chief writes there.  How ``TF_CONFIG`` is read is tested without
TensorFlow.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from handdigits import models
from handdigits.datasets import write_idx
from handdigits.train import ClusterError, Recipe, RunOptions, worker_of
from handdigits.train.settings import split_settings

WORKERS = 2
TIMEOUT = 120  # seconds for the whole two-worker run
TINY = ["--model", "seed", "--epochs", "1", "--batch-size", "32", "--datasets", "mnist", "--no-download",
        "--no-verify", "--no-eval", "--verbose", "2", "--strategy", "multi-worker"]


def tf_config(ports, index: int, kind: str = "worker") -> str:
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]}, "task": {"type": kind, "index": index}})


def free_ports(n: int) -> list[int]:
    """``n`` distinct ports free on 127.0.0.1 now (held open together so that they differ)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def write_tiny_mnist(directory: Path) -> None:
    """MNIST-format files of random images: 320 train, 20 test."""
    rng = np.random.default_rng(0)
    (directory / "mnist").mkdir(parents=True)
    for prefix, n in (("train", 320), ("t10k", 20)):
        write_idx(directory / "mnist" / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), np.uint8))
        write_idx(directory / "mnist" / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, n, np.uint8))


# --------------------------------------------------------------------------- TF_CONFIG, without TensorFlow


def test_worker_zero_is_the_chief_of_a_worker_only_cluster():
    first = worker_of({"TF_CONFIG": tf_config([1, 2, 3], 0)})
    last = worker_of({"TF_CONFIG": tf_config([1, 2, 3], 2)})
    assert (first.is_chief, first.index, first.workers) == (True, 0, 3)
    assert (last.is_chief, last.index, last.workers) == (False, 2, 3)


def test_a_chief_task_is_the_chief_and_counts_as_a_worker():
    config = {"cluster": {"chief": ["a:1"], "worker": ["b:2", "c:3"]}}
    chief = worker_of({"TF_CONFIG": json.dumps({**config, "task": {"type": "chief", "index": 0}})})
    worker0 = worker_of({"TF_CONFIG": json.dumps({**config, "task": {"type": "worker", "index": 0}})})
    assert chief.is_chief and chief.workers == 3
    assert not worker0.is_chief  # with a chief task, worker 0 is an ordinary worker


@given(st.integers(1, 64), st.data())
def test_exactly_one_worker_of_any_cluster_is_the_chief(n, data):
    ports = list(range(1000, 1000 + n))
    chiefs = [worker_of({"TF_CONFIG": tf_config(ports, i)}).is_chief for i in range(n)]
    assert chiefs.count(True) == 1 and chiefs[0]
    i = data.draw(st.integers(0, n - 1))
    assert worker_of({"TF_CONFIG": tf_config(ports, i)}).workers == n


@pytest.mark.parametrize("value, match", [
    (None, "needs the TF_CONFIG environment variable"),
    ("", "needs the TF_CONFIG environment variable"),
    ("{not json", "TF_CONFIG must be JSON with 'cluster' and 'task'"),
    ('{"cluster": {"worker": ["a:1"]}}', "KeyError: 'task'"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": "x"}}', "TF_CONFIG must be JSON"),
    ('[1, 2]', "TF_CONFIG must be JSON"),
])
def test_a_missing_or_malformed_tf_config_says_what_is_wrong(value, match):
    environ = {} if value is None else {"TF_CONFIG": value}
    with pytest.raises(ClusterError, match=match):
        worker_of(environ)


def test_train_keywords_split_into_recipe_data_and_options():
    recipe, data, options = split_settings("seed", {"epochs": 2, "limit": 10, "output": "o", "strategy": "multi-worker"})
    assert recipe == Recipe("seed", epochs=2, strategy="multi-worker")
    assert (data.limit, data.datasets) == (10, "combined") and options == RunOptions(output="o")
    with pytest.raises(TypeError, match="unexpected keyword argument.*epoch_count"):
        split_settings("seed", {"epoch_count": 2})


# --------------------------------------------------------------------------- two workers


def run_workers(data_dir: Path, output: Path, **env) -> list[subprocess.CompletedProcess]:
    """``python -m handdigits.train --strategy multi-worker`` on :data:`WORKERS` local workers (bounded time)."""
    ports = free_ports(WORKERS)
    cmd = [sys.executable, "-m", "handdigits.train", *TINY, "--data-dir", str(data_dir), "--output", str(output)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "-1", "PYTHONUNBUFFERED": "1", **env}
    procs = [subprocess.Popen(cmd, env={**env, "TF_CONFIG": tf_config(ports, i)}, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(WORKERS)]
    try:
        outputs = [p.communicate(timeout=TIMEOUT) for p in procs]
    finally:
        for p in procs:
            p.kill()
    return [subprocess.CompletedProcess(cmd, p.returncode, out, err) for p, (out, err) in zip(procs, outputs)]


@pytest.fixture(scope="module")
def two_worker_run(tmp_path_factory):
    """Two local workers sharing one ``--output``; returns it, the workers' stdout and their TMPDIR."""
    base = tmp_path_factory.mktemp("multi_worker")
    write_tiny_mnist(base / "data")
    scratch = base / "tmp"  # the workers' temporary directories go here
    scratch.mkdir()
    done = run_workers(base / "data", base / "run", TMPDIR=str(scratch))
    for i, proc in enumerate(done):
        assert proc.returncode == 0, f"worker {i} failed ({proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-3000:]}"
    return base / "run", [proc.stdout for proc in done], scratch


def test_a_chief_that_refuses_its_output_stops_the_other_worker(tmp_path):
    """A finished run in the chief's --output: the chief says so, and the other worker stops too, at once."""
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / "metadata.json").write_text("{}")
    write_tiny_mnist(tmp_path / "data")
    chief, other = run_workers(tmp_path / "data", tmp_path / "done")
    assert chief.returncode == 1 and "holds a finished run" in chief.stderr and "Traceback" not in chief.stderr
    assert other.returncode == 1 and "1 other worker(s) failed before training" in other.stderr
    assert "Traceback" not in other.stderr
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["metadata.json"]


def test_two_workers_train_one_model_of_the_single_worker_shapes(two_worker_run):
    output, _, _ = two_worker_run
    import keras

    net = keras.saving.load_model(output / "model.keras")
    single = models.build("seed", seed=0)  # what a single-worker run saves (tests/test_train.py checks that)
    assert [w.shape for w in net.get_weights()] == [w.shape for w in single.get_weights()]
    assert all(np.isfinite(w).all() for w in net.get_weights())
    # one epoch of training moved the weights away from the seed's initial ones
    assert any(not np.allclose(w, s) for w, s in zip(net.get_weights(), single.get_weights()))


def test_the_chief_alone_writes_and_records_the_cluster(two_worker_run):
    output, texts, scratch = two_worker_run
    assert sorted(p.name for p in output.iterdir()) == ["log.csv", "metadata.json", "model.keras", "run-config.json"]
    meta = json.loads((output / "metadata.json").read_text())
    recipe = meta["recipe"]
    assert (recipe["strategy"], recipe["replicas"], recipe["workers"]) == ("multi-worker", 2, 2)
    assert recipe["epochs_completed"] == 1 and "--strategy multi-worker" in recipe["command"]
    assert meta["data"]["train_n"] + meta["data"]["validation_n"] == 320
    assert 0 <= meta["validation"]["error_pct"] <= 100 and meta["architecture"]["name"] == "baseline"
    rows = (output / "log.csv").read_text().splitlines()
    assert rows[0].split(",")[0] == "epoch" and [r.split(",")[0] for r in rows[1:]] == ["0"]
    assert "wrote" in texts[0] and "wrote" not in texts[1]  # only the chief saved into --output
    assert "worker 1 of 2" in texts[1] and "worker 0 of 2" in texts[0]
    assert list(scratch.iterdir()) == []  # the other worker's temporary directory is gone


def test_an_ensemble_is_refused_under_multi_worker_before_anything_runs(tmp_path):
    from handdigits.train import train_ensemble

    with pytest.raises(ValueError, match="ensemble cannot be trained with strategy multi-worker"):
        train_ensemble("seed", 2, output=tmp_path / "ens", strategy="multi-worker")
    assert not (tmp_path / "ens").exists()
    proc = subprocess.run([sys.executable, "-m", "handdigits.train", "--members", "2", "--strategy", "multi-worker",
                           "--output", str(tmp_path / "ens")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "usage:" in proc.stderr and "each member as its own multi-worker run" in proc.stderr
    assert not (tmp_path / "ens").exists()


@pytest.mark.parametrize("members, error, match", [(1, ValueError, "members must be >= 2, got 1"),
                                                   (2.0, TypeError, "members must be an integer"),
                                                   (True, TypeError, "members must be an integer")])
def test_an_ensemble_needs_two_members_or_more(members, error, match, tmp_path):
    from handdigits.train import train_ensemble

    with pytest.raises(error, match=match):
        train_ensemble("seed", members, output=tmp_path / "ens")
    assert not (tmp_path / "ens").exists()

"""Tests for the training entry point (``python -m handdigits.train`` / ``handdigits train``).

Trainings run in subprocesses: TensorFlow's op determinism, random seeds and
logical devices are process-wide state.  Runs are tiny (a few hundred
synthetic images, 1-3 epochs) and shared between assertions through
module-scoped fixtures; most of their cost is TensorFlow's start-up.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from handdigits import models
from handdigits.datasets import write_idx
from handdigits.train import split_validation

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
CONSOLE_SCRIPT = Path(PY).parent / "handdigits"
ENTRY_POINTS = {
    "python -m handdigits.train": [PY, "-m", "handdigits.train"],
    "python -m handdigits train": [PY, "-m", "handdigits", "train"],
    "handdigits train": [str(CONSOLE_SCRIPT), "train"],
}
# CPU only, quiet TensorFlow logs; a GPU would change the replica count of the mirrored test
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "-1", "PYTHONUNBUFFERED": "1"}
TIMEOUT = 300
TINY = ["--model", "seed", "--epochs", "1", "--batch-size", "32", "--no-download", "--verbose", "2"]
SYNTHETIC = ["--no-verify"]  # synthetic files do not match the published checksums


# --------------------------------------------------------------------------- helpers


def write_mnist(directory: Path, n_train: int, n_test: int, seed: int = 0):
    """Synthetic MNIST-format files (random pixels and labels); returns the arrays written."""
    rng = np.random.default_rng(seed)
    (directory / "mnist").mkdir(parents=True, exist_ok=True)
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, n, dtype=np.uint8)
        write_idx(directory / "mnist" / f"{prefix}-images-idx3-ubyte.gz", x)
        write_idx(directory / "mnist" / f"{prefix}-labels-idx1-ubyte.gz", y)
        arrays[prefix] = (x, y)
    return arrays


def write_emnist(directory: Path, split: str, images: np.ndarray, labels: np.ndarray):
    """EMNIST digits files: images stored transposed, as in the real EMNIST files."""
    (directory / "emnist").mkdir(parents=True, exist_ok=True)
    write_idx(directory / "emnist" / f"emnist-digits-{split}-images-idx3-ubyte.gz", images.transpose(0, 2, 1))
    write_idx(directory / "emnist" / f"emnist-digits-{split}-labels-idx1-ubyte.gz", labels)


@dataclass
class Run:
    returncode: int
    output: Path
    text: str

    @property
    def metadata(self) -> dict:
        return json.loads((self.output / "metadata.json").read_text())

    def log_rows(self) -> list[dict]:
        with open(self.output / "log.csv", newline="") as fh:
            return list(csv.DictReader(fh))

    def log_epochs(self) -> list[int]:
        return [int(row["epoch"]) for row in self.log_rows()]

    def check(self) -> Run:
        assert self.returncode == 0, f"training failed (exit {self.returncode}):\n{self.text[-4000:]}"
        return self


@dataclass
class Started:
    proc: subprocess.Popen
    output: Path
    log: Path

    def finish(self) -> Run:
        try:
            rc = self.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        return Run(rc, self.output, self.log.read_text())


def start(cmd: list[str], output: Path, log_name: str | None = None) -> Started:
    """Start ``cmd --output output``; its stdout and stderr go to ``<output>.out``."""
    log = output.parent / f"{log_name or output.name}.out"
    with open(log, "w") as fh:
        proc = subprocess.Popen([*cmd, "--output", str(output)], stdout=fh, stderr=subprocess.STDOUT, env=ENV, cwd=REPO)
    return Started(proc, output, log)


def load_weights(path: Path) -> list[np.ndarray]:
    import keras

    return [np.asarray(w) for w in keras.models.load_model(path, compile=False).get_weights()]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_summary(result: dict, n: int):
    assert result["n"] == n
    assert 0 <= result["errors"] <= n
    assert result["error_pct"] == pytest.approx(100 * result["errors"] / n)
    lo, hi = result["ci95_pct"]
    assert 0 <= lo <= result["error_pct"] <= hi <= 100 and lo < hi


# --------------------------------------------------------------------------- bad command lines (fast, no training)

BAD_FLAGS = [
    (["--model", "nope"], "invalid choice: 'nope'"),
    (["--epochs", "0"], "must be >= 1, got 0"),
    (["--epochs", "-3"], "must be >= 1, got -3"),
    (["--epochs", "two"], "expected a positive integer, got 'two'"),
    (["--batch-size", "0"], "--batch-size: must be >= 1, got 0"),
    (["--limit", "0"], "--limit: must be >= 1, got 0"),
    (["--data-dir", "/nonexistent/handdigits-data"], "'/nonexistent/handdigits-data' is not a directory"),
    (["--seed", "-1"], "--seed: must be in [0, 4294967295], got -1"),
    (["--seed", "4294967296"], "--seed: must be in [0, 4294967295], got 4294967296"),
    (["--augment", "3"], "--augment: must be <= 2.0, got 3.0"),
    (["--augment", "nan"], "--augment: must be a finite real number, got nan"),
    (["--learning-rate", "0"], "--learning-rate: must be > 0.0, got 0.0"),
    (["--validation", "-5"], "--validation: must be >= 0.0, got -5.0"),
    (["--strategy", "bogus"], "invalid choice: 'bogus'"),
    (["--datasets", "kmnist"], "invalid choice: 'kmnist'"),
    (["--verbose", "3"], "invalid choice: 3"),
]
# every flag through the module, the three main ones through every entry point
BAD_CASES = [("python -m handdigits.train", flags, msg) for flags, msg in BAD_FLAGS] + [
    (entry, flags, msg)
    for entry in ("python -m handdigits train", "handdigits train")
    for flags, msg in BAD_FLAGS[:1] + BAD_FLAGS[1:2] + BAD_FLAGS[6:7]
]


@pytest.mark.parametrize("entry, flags, message", BAD_CASES, ids=[f"{e}:{' '.join(f)}" for e, f, _ in BAD_CASES])
def test_bad_flags_are_usage_errors(entry, flags, message, tmp_path):
    if entry == "handdigits train" and not CONSOLE_SCRIPT.exists():
        pytest.skip(f"console script not installed at {CONSOLE_SCRIPT}")
    out = tmp_path / "out"
    proc = subprocess.run(
        [*ENTRY_POINTS[entry], *flags, "--output", str(out)], capture_output=True, text=True, env=ENV, timeout=120
    )
    assert proc.returncode == 2, proc.stderr
    assert "usage:" in proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert not out.exists()


def test_help_lists_models_and_strategies():
    proc = subprocess.run([*ENTRY_POINTS["python -m handdigits.train"], "--help"], capture_output=True, text=True, env=ENV)
    assert proc.returncode == 0
    for word in (*models.available(), "mirrored", "--no-download", "--limit"):
        assert word in proc.stdout


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"model": "nope"}, "unknown model 'nope'; available: baseline, bn_cnn, resnet_small"),
        ({"datasets": "kmnist"}, "datasets must be one of 'mnist', 'emnist', 'combined'; got 'kmnist'"),
        ({"strategy": "bogus"}, "strategy must be one of 'default', 'mirrored', 'multi-worker'; got 'bogus'"),
        ({"epochs": 0}, "epochs and batch_size must be positive, got 0"),
        ({"batch_size": -1}, "must be positive, got .* and -1"),
        ({"learning_rate": 0}, "learning_rate must be > 0"),
        ({"validation": -1}, "validation must be >= 0"),
    ],
)
def test_train_api_rejects_bad_arguments_before_doing_anything(kwargs, match, tmp_path):
    from handdigits.train import train

    out = tmp_path / "out"
    with pytest.raises(ValueError, match=match):
        train(**{"model": "seed", "output": out, "data_dir": tmp_path, "download": False, **kwargs})
    assert not out.exists()


def _data_error(cmd, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([*cmd, "--output", str(out)], capture_output=True, text=True, env=ENV, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()
    return proc.stderr


def test_unverifiable_data_is_an_error_not_a_traceback(mnist_only_dir, tmp_path):
    cmd = [*ENTRY_POINTS["python -m handdigits.train"], *TINY, "--data-dir", str(mnist_only_dir)]
    stderr = _data_error(cmd, tmp_path)
    assert "error:" in stderr and "sha256 mismatch" in stderr and "train-images-idx3-ubyte" in stderr


def test_missing_mnist_is_an_error_not_a_traceback(tmp_path):
    (tmp_path / "empty").mkdir()
    cmd = [*ENTRY_POINTS["python -m handdigits train"], *TINY, "--data-dir", str(tmp_path / "empty")]
    stderr = _data_error(cmd, tmp_path)
    assert "error:" in stderr and "MNIST unavailable" in stderr and "download=False" in stderr


def test_corrupt_emnist_is_an_error_not_skipped(tmp_path):
    d = tmp_path / "data"
    write_mnist(d, 50, 20)
    (d / "emnist").mkdir()
    (d / "emnist" / "emnist-digits-train-images-idx3-ubyte.gz").write_bytes(b"not gzip")
    write_idx(d / "emnist" / "emnist-digits-train-labels-idx1-ubyte.gz", np.zeros(3, np.uint8))
    from handdigits.assembly import training_sets

    with pytest.raises(ValueError, match="emnist-digits-train-images"):
        training_sets("both", data_dir=d, download=False, verify=False)


# --------------------------------------------------------------------------- validation split (pure numpy)


def test_split_validation_is_seeded_disjoint_and_capped():
    x = np.arange(1000)
    y = x % 10
    (xt, yt), (xv, yv) = split_validation(x, y, 100, seed=3)
    assert len(xv) == 100 and len(xt) == 900
    assert set(xt).isdisjoint(xv) and set(xt) | set(xv) == set(x)
    np.testing.assert_array_equal(yt, xt % 10)
    (xt2, _), (xv2, _) = split_validation(x, y, 100, seed=3)
    np.testing.assert_array_equal(xv, xv2)
    (_, _), (xv3, _) = split_validation(x, y, 100, seed=4)
    assert not np.array_equal(np.sort(xv), np.sort(xv3))
    assert len(split_validation(x, y, 0.1, seed=0)[1][0]) == 100  # a fraction
    assert len(split_validation(x, y, 5000, seed=0)[1][0]) == 200  # capped at 20 %


# --------------------------------------------------------------------------- trainings


@pytest.fixture(scope="module")
def mnist_only_dir(tmp_path_factory) -> Path:
    """Synthetic MNIST (400 train, 60 test), no EMNIST files at all."""
    d = tmp_path_factory.mktemp("mnist_only")
    write_mnist(d, 400, 60)
    return d



@pytest.fixture(scope="module")
def twin_runs(mnist_only_dir, tmp_path_factory) -> tuple[Run, Run]:
    """The same 1-epoch command run twice (in parallel) into two directories.

    The first directory holds a stale log.csv of an older run, which a fresh
    (not resumed) run must replace.
    """
    base = tmp_path_factory.mktemp("twins")
    a, b = base / "a", base / "b"
    a.mkdir()
    (a / "log.csv").write_text("epoch,accuracy,loss\r\n0,0.5,1.0\r\n1,0.6,0.9\r\n7,0.9,0.1\r\n")
    cmd = [*ENTRY_POINTS["python -m handdigits.train"], *TINY, "--limit", "300", "--no-eval"]
    cmd += ["--datasets", "both", "--data-dir", str(mnist_only_dir), *SYNTHETIC]
    started = [start(cmd, out) for out in (a, b)]
    return tuple(s.finish().check() for s in started)


def test_same_seed_gives_identical_weights(twin_runs):
    a, b = twin_runs
    wa, wb = load_weights(a.output / "model.keras"), load_weights(b.output / "model.keras")
    assert len(wa) == len(wb) == len(models.build("seed").get_weights())
    for x, y in zip(wa, wb):
        np.testing.assert_array_equal(x, y)
    # and training did change the initial weights (the comparison is not vacuous)
    initial = models.build("seed", seed=0).get_weights()
    assert any(not np.allclose(x, np.asarray(w)) for x, w in zip(wa, initial))
    assert a.log_rows() == b.log_rows()
    assert a.metadata["validation"] == b.metadata["validation"]
    assert a.metadata["data"] == b.metadata["data"]


def test_fresh_run_replaces_a_stale_log(twin_runs):
    a, _ = twin_runs
    assert a.log_epochs() == [0]
    assert a.metadata["recipe"]["resumed_from_epoch"] == 0


def test_without_emnist_images_training_uses_mnist_and_says_so(twin_runs):
    run = twin_runs[0]
    assert "EMNIST unavailable" in run.text
    data = run.metadata["data"]
    assert data["requested"] == "combined"
    assert data["used"] == ["mnist"]
    assert data["emnist"]["available"] is False
    assert "EMNIST unavailable" in data["emnist"]["reason"]
    assert set(data["hashes"]) == {"mnist_train"}
    assert data["mnist_train_n"] == 400 and data["limit"] == 300
    assert data["train_n"] + data["validation_n"] == 300
    recipe = run.metadata["recipe"]
    assert recipe["strategy"] == "default" and recipe["replicas"] == 1
    assert data["verified"] is False
    assert "--limit 300" in recipe["command"] and "train" in recipe["command"]
    assert not (run.output / "backup").exists()


def test_killed_run_resumes_where_it_stopped(mnist_only_dir, tmp_path):
    out = tmp_path / "run"
    cmd = [*ENTRY_POINTS["python -m handdigits.train"], *TINY, "--epochs", "3", "--limit", "400", "--no-eval"]
    cmd += ["--datasets", "mnist", "--data-dir", str(mnist_only_dir), *SYNTHETIC]
    first = start(cmd, out, "first")
    state = out / "backup" / "training_metadata.json"
    deadline = time.monotonic() + TIMEOUT
    try:
        while True:  # wait until the backup records a completed epoch
            assert first.proc.poll() is None, f"finished before it could be killed:\n{first.log.read_text()}"
            assert time.monotonic() < deadline, "no backup appeared"
            try:
                if json.loads(state.read_text())["epoch"] >= 1:
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.02)
    finally:
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait()
    assert first.proc.returncode == -signal.SIGKILL
    assert not (out / "model.keras").exists() and not (out / "metadata.json").exists()
    done = json.loads(state.read_text())["epoch"]
    assert 1 <= done < 3
    killed_rows = Run(0, out, "").log_rows()
    assert [int(r["epoch"]) for r in killed_rows][:done] == list(range(done))
    # simulate a kill between an epoch's log row and its backup: an extra row for the
    # epoch to be redone, plus a row cut short; neither may survive the resume
    header = list(killed_rows[0])
    extra = {**killed_rows[0], "epoch": str(done), "loss": "123.456"}
    with open(out / "log.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, header)
        writer.writeheader()
        writer.writerows(killed_rows[:done] + [extra])
        fh.write(f"{done + 1},0.1")

    second = start(cmd, out, "second").finish().check()
    assert f"after {done} of 3 epochs" in second.text
    assert second.log_epochs() == [0, 1, 2]
    rows = second.log_rows()
    assert rows[:done] == killed_rows[:done]
    assert "123.456" not in (out / "log.csv").read_text()
    recipe = second.metadata["recipe"]
    assert recipe["resumed_from_epoch"] == done
    assert recipe["epochs_completed"] == 3
    assert (out / "model.keras").exists()
    assert second.metadata["sha256"] == sha256(out / "model.keras")
    assert not (out / "backup").exists()


MIRRORED_WRAPPER = """
import sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from handdigits.train import main
sys.exit(main(sys.argv[1:]))
"""


def test_mirrored_strategy_on_two_logical_cpus(mnist_only_dir, tmp_path):
    cmd = [PY, "-c", MIRRORED_WRAPPER, *TINY, "--limit", "300", "--no-eval", "--datasets", "mnist"]
    cmd += ["--strategy", "mirrored", "--data-dir", str(mnist_only_dir), *SYNTHETIC]
    run = start(cmd, tmp_path / "mirrored").finish().check()
    assert "strategy mirrored: 2 replica(s)" in run.text
    recipe = run.metadata["recipe"]
    assert recipe["strategy"] == "mirrored"
    assert recipe["replicas"] == 2
    assert recipe["epochs_completed"] == 1
    assert run.log_epochs() == [0]
    assert len(load_weights(run.output / "model.keras")) == len(models.build("seed").get_weights())


# --------------------------------------------------------------------------- EMNIST and metadata

EMNIST_DUPLICATES = [0, 2, 5, 17, 30, 41, 59]  # MNIST test images copied into EMNIST train
EMNIST_REFRAMED = [4, 6]  # MNIST test images copied in another frame: found only after reframing


def _in_a_20px_box(images):
    """Each 28×28 image shrunk to 20×20 and padded back to 28×28: the same image in another frame."""
    from PIL import Image

    out = np.zeros_like(images)
    for i, im in enumerate(images):
        out[i, 4:24, 4:24] = np.asarray(Image.fromarray(im).resize((20, 20), Image.Resampling.LANCZOS))
    return out


@pytest.fixture(scope="module")
def emnist_run(tmp_path_factory) -> tuple[Run, dict]:
    """A 1-epoch run with evaluation on synthetic MNIST + EMNIST files, via ``handdigits train``."""
    base = tmp_path_factory.mktemp("emnist")
    d = base / "data"
    mnist = write_mnist(d, 200, 60, seed=1)
    rng = np.random.default_rng(2)
    tx = mnist["t10k"][0]
    ex = np.concatenate(
        [
            rng.integers(0, 256, (140, 28, 28), dtype=np.uint8),
            tx[EMNIST_DUPLICATES],  # exact duplicates of MNIST test images: dropped
            _in_a_20px_box(tx[EMNIST_REFRAMED]),  # re-framed copies: dropped after reframing
            tx[[1, 3]].transpose(0, 2, 1),  # transposed test images: not duplicates
            mnist["train"][0][:2],  # duplicates of MNIST *train* images: kept
        ]
    )
    ey = rng.integers(0, 10, len(ex), dtype=np.uint8)
    write_emnist(d, "train", ex, ey)
    write_emnist(d, "test", rng.integers(0, 256, (40, 28, 28), dtype=np.uint8), rng.integers(0, 10, 40, dtype=np.uint8))
    entry = "handdigits train" if CONSOLE_SCRIPT.exists() else "python -m handdigits train"
    cmd = [*ENTRY_POINTS[entry], *TINY, "--datasets", "both", "--data-dir", str(d), *SYNTHETIC]
    run = start(cmd, base / "out").finish().check()
    return run, {"emnist_train_n": len(ex), "entry": entry}


def test_emnist_is_used_and_test_duplicates_dropped(emnist_run):
    run, facts = emnist_run
    data = run.metadata["data"]
    assert data["used"] == ["mnist", "emnist"]
    expected = {
        "available": True,
        "train_n": facts["emnist_train_n"],
        # random images have no near duplicates: only the exact copies go
        "dropped_duplicates_of_mnist_test": len(EMNIST_DUPLICATES) + len(EMNIST_REFRAMED),
        "dropped_exact_duplicates": len(EMNIST_DUPLICATES),
        "dropped_reframed_duplicates": len(EMNIST_REFRAMED),
        "name": "emnist",  # the full files, not the partial ones
        "partial": False,
    }
    assert {k: data["emnist"].get(k) for k in expected} == expected
    dropped = len(EMNIST_DUPLICATES) + len(EMNIST_REFRAMED)
    assert data["sources"]["emnist"]["train_n"] + data["sources"]["emnist"]["validation_n"] == facts["emnist_train_n"] - dropped
    assert data["train_n"] + data["validation_n"] == 200 + facts["emnist_train_n"] - dropped
    assert set(data["hashes"]) == {"mnist_train", "emnist_train"}
    assert f"dropped {dropped} duplicates" in run.text


def test_metadata_contents(emnist_run, mnist_only_dir, twin_runs):
    run, facts = emnist_run
    meta = run.metadata
    arch = meta["architecture"]
    assert arch["name"] == "baseline"  # "--model seed" is the old name: recorded as the current one
    assert arch["description"] == models.describe("seed")
    assert arch["parameters"] == models.build("seed").count_params()
    data = meta["data"]
    for value in data["hashes"].values():
        assert len(value) == 64 and int(value, 16) >= 0
    # different training data, different hash; same data, same hash
    assert data["hashes"]["mnist_train"] != twin_runs[0].metadata["data"]["hashes"]["mnist_train"]
    assert twin_runs[0].metadata["data"]["hashes"] == twin_runs[1].metadata["data"]["hashes"]
    recipe = meta["recipe"]
    assert (recipe["seed"], recipe["epochs"], recipe["batch_size"]) == (0, 1, 32)
    assert recipe["epochs_completed"] == 1
    assert recipe["strategy"] == "default"
    assert recipe["augmentation_strength"] == 1.0 and recipe["augmentation"]
    assert "train" in recipe["command"] and "--datasets both" in recipe["command"]
    assert meta["environment"]["cpu"] and isinstance(meta["environment"]["cpu"], str)
    assert meta["environment"]["cpu_count"] == os.cpu_count()
    assert 0 < meta["train_wall_seconds"] <= meta["wall_seconds"] < TIMEOUT
    assert meta["file"] == "model.keras"
    assert meta["sha256"] == sha256(run.output / "model.keras")
    assert_summary(meta["validation"], data["validation_n"])
    tests = meta["test"]
    assert set(tests) == {"mnist_test", "mnist_test_augmented", "emnist_test"}
    assert_summary(tests["mnist_test"], 60)
    assert_summary(tests["mnist_test_augmented"], 60)
    assert_summary(tests["emnist_test"], 40)
    assert "mnist_test:" in run.text and "% error" in run.text


def test_model_file_predicts_like_the_recorded_validation(emnist_run):
    """The saved model loads and gives probabilities; (the recorded errors are counts of its mistakes)."""
    import keras

    run, _ = emnist_run
    net = keras.models.load_model(run.output / "model.keras")
    probs = np.asarray(net(np.zeros((2, 28, 28, 1), np.float32)))
    assert probs.shape == (2, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.data
def test_real_mnist_run_evaluates_on_the_full_test_set(real_data_dir, tmp_path):
    """The background recipe's command line on the real files (1 epoch on 300 images)."""
    cmd = [*ENTRY_POINTS["python -m handdigits.train"], *TINY, "--limit", "300", "--datasets", "both"]
    cmd += ["--data-dir", str(real_data_dir)]
    run = start(cmd, tmp_path / "real").finish().check()
    meta = run.metadata
    assert meta["data"]["mnist_train_n"] == 60000
    assert_summary(meta["test"]["mnist_test"], 10000)
    assert_summary(meta["test"]["mnist_test_augmented"], 10000)
    if not meta["data"]["emnist"]["available"]:
        assert meta["test"]["emnist_test"]["available"] is False
        assert "EMNIST unavailable" in run.text
    # an undertrained model: far from perfect, but the interval brackets its error
    assert meta["test"]["mnist_test"]["error_pct"] > 5


def test_recorded_command_is_what_a_user_types():
    from handdigits.train import command_line

    assert command_line(["/site/handdigits/train.py", "--model", "seed"]) == "python -m handdigits.train --model seed"
    assert command_line(["/venv/bin/handdigits", "train", "--data-dir", "my data"]) == "handdigits train --data-dir 'my data'"


# --------------------------------------------------------------------------- data assembly and low-resolution views


def test_each_source_keeps_its_own_hold_out(tmp_path, monkeypatch):
    from handdigits import assembly
    from handdigits import datasets as ds

    d = tmp_path / "data"
    arrays = write_mnist(d, 300, 20)
    calls = []

    def fake_synthetic(n, *, kind, split, seed):
        calls.append((n, kind, split, seed))
        label = assembly.NOT_A_DIGIT if kind == "nondigits" else 7
        fill = {"train": 1, "validation": 2}[split]
        return np.full((n, 28, 28), fill, np.uint8), np.full(n, label, np.int64)

    monkeypatch.setattr(ds, "load_synthetic", fake_synthetic, raising=False)
    monkeypatch.setattr(ds, "synthetic_info", lambda: {"version": "fake"}, raising=False)
    (xt, yt), (xv, yv, src), info = assembly.training_sets(
        "mnist", data_dir=d, download=False, verify=False, validation=30, split_seed=4,
        synthetic=40, nondigits=20, log=lambda msg: None,
    )
    # MNIST's hold-out is exactly the one a MNIST-only run draws: a model fine-tuned from it never validates on its training images
    _, (mv, _) = split_validation(arrays["train"][0], arrays["train"][1], 30, 4)
    np.testing.assert_array_equal(xv[src == "mnist"], mv)
    # synthetic hold-outs come from the generator's validation split, at least MIN_SYNTHETIC_VALIDATION images
    assert (40, "digits", "train", 4) in calls and (assembly.MIN_SYNTHETIC_VALIDATION, "nondigits", "validation", 4) in calls
    assert (xv[src == "synthetic"] == 2).all() and (xt[len(xt) - 60 :] == 1).all()
    assert set(yv[src == "nondigits"]) == {assembly.NOT_A_DIGIT}
    assert info["used"] == ["mnist", "synthetic", "nondigits"]
    assert info["sources"]["mnist"] == {"train_n": 270, "validation_n": 30}
    assert info["synthetic"] == {"digits": 40, "nondigits": 20, "version": "fake"}
    assert len(xt) == len(yt) == 270 + 40 + 20 and yt.dtype == np.int64


def test_photos_and_pairs_render_training_digits_and_validate_on_mnist_hold_out(tmp_path, monkeypatch):
    from handdigits import assembly
    from handdigits.datasets import rendered

    d = tmp_path / "data"
    arrays = write_mnist(d, 300, 20)
    seen = {}

    def fake(kind):
        def make(digits, labels, n, *, seed):
            seen[(kind, seed)] = digits.copy()
            label = assembly.NOT_A_DIGIT if kind in ("pairs", "numbers") else 3
            return np.full((n - 1, 28, 28), seed + 1, np.uint8), np.full(n - 1, label, np.int64)
        make.__name__ = kind
        return make

    monkeypatch.setattr(rendered, "render_photos", fake("photos"))
    monkeypatch.setattr(rendered, "merged_pairs", fake("pairs"))
    monkeypatch.setattr(rendered, "number_candidates", fake("numbers"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (xt, yt), (xv, yv, src), info = assembly.training_sets(
        "mnist", data_dir=d, download=False, verify=False, validation=30, split_seed=4, photos=50, pairs=20,
        numbers=10, log=lambda msg: None,
    )
    (mt, _), (mv, _) = split_validation(arrays["train"][0], arrays["train"][1], 30, 4)
    # training renders come from MNIST's training part, validation renders from its hold-out only
    np.testing.assert_array_equal(seen[("photos", 4)], mt)
    np.testing.assert_array_equal(seen[("photos", 5)], mv)
    np.testing.assert_array_equal(seen[("pairs", 5)], mv)
    np.testing.assert_array_equal(seen[("numbers", 4)], mt)
    np.testing.assert_array_equal(seen[("numbers", 5)], mv)
    assert info["used"] == ["mnist", "photos", "pairs", "numbers"]
    assert info["rendered"]["numbers"] == 10 and "numbers_train" in info["hashes"]
    assert info["sources"]["photos"] == {"train_n": 49, "validation_n": assembly.MIN_SYNTHETIC_VALIDATION - 1}
    assert info["rendered"]["photos_kept"] == 49 and info["rendered"]["kinds"] == list(rendered.KINDS)
    assert set(yv[src == "pairs"]) == {assembly.NOT_A_DIGIT} and (xv[src == "photos"] == 6).all()
    assert len(xt) == 270 + 49 + 19 + 9 and "photos_train" in info["hashes"]
    assert assembly.DataSpec(pairs=1).classes == 11 and assembly.DataSpec(photos=1).classes == 10
    assert assembly.DataSpec(numbers=1).classes == 11
    with pytest.raises(ValueError, match="need datasets 'mnist' or 'combined'"):
        assembly.training_sets("emnist", data_dir=d, download=False, photos=5, log=lambda msg: None)
    with pytest.raises(ValueError, match="need datasets 'mnist' or 'combined'"):
        assembly.training_sets("emnist", data_dir=d, download=False, numbers=5, log=lambda msg: None)


def test_photos_and_pairs_are_in_the_run_config_only_when_used():
    from handdigits.train import run_config

    plain = run_config("bn_cnn", seed=1)
    assert "photos" not in plain and "pairs" not in plain  # a run made before they existed still matches
    used = run_config("bn_cnn", seed=1, photos=100, pairs=0)
    assert used["photos"] == 100 and "pairs" not in used and "numbers" not in plain
    assert run_config("bn_cnn", seed=1, numbers=30)["numbers"] == 30


def test_photos_and_pairs_flags(capsys):
    from handdigits.train.cli import build_parser

    args = build_parser().parse_args(["--photos", "12000", "--pairs", "8000", "--numbers", "30000"])
    assert (args.photos, args.pairs, args.numbers) == (12000, 8000, 30000)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--pairs", "-1"])
    assert "--pairs" in capsys.readouterr().err


def test_low_resolution_views():
    import tensorflow as tf

    from handdigits.train import low_resolution

    x = np.zeros((64, 28, 28, 1), np.float32)
    x[:, 8:20, 12:16] = 255.0  # a bar
    same = low_resolution(tf.constant(x), 0.0, (1, 2)).numpy()
    np.testing.assert_array_equal(same, x)
    views = low_resolution(tf.constant(x), 1.0, (1, 2)).numpy()
    assert views.shape == x.shape and views.min() >= 0 and views.max() <= 255
    # every view is blurred: grey levels appear, the bar's mass stays about where it was
    assert all(((v > 5) & (v < 250)).sum() > 10 for v in views)
    np.testing.assert_allclose(views.sum(axis=(1, 2, 3)), x[0].sum(), rtol=0.25)
    np.testing.assert_array_equal(views, low_resolution(tf.constant(x), 1.0, (1, 2)).numpy())  # seeded
    half = low_resolution(tf.constant(x), 0.5, (1, 3)).numpy()
    changed = (half != x).any(axis=(1, 2, 3)).mean()
    assert 0.25 < changed < 0.75


def test_finished_runs_are_not_overwritten_and_foreign_backups_not_resumed(tmp_path):
    from handdigits.train import RUN_CONFIG, RunConfigError, claim_output, run_config

    out = tmp_path / "run"
    config = run_config("bn_cnn", seed=1, learning_rate=1e-3)
    assert config["epochs"] == 30 and config["batch_size"] == 128 and config["init_from"] is None
    claim_output(out, config, overwrite=False)
    assert json.loads((out / RUN_CONFIG).read_text()) == config
    (out / "backup").mkdir()
    claim_output(out, config, overwrite=False)  # same settings: resumable
    other = run_config("bn_cnn", seed=2, learning_rate=3e-4)
    with pytest.raises(RunConfigError, match=r"learning_rate: 0\.001 then, 0\.0003 now; seed: 1 then, 2 now"):
        claim_output(out, other, overwrite=False)
    (out / "backup").rmdir()
    (out / "metadata.json").write_text("{}")
    with pytest.raises(FileExistsError, match="finished run.*--overwrite"):
        claim_output(out, config, overwrite=False)
    claim_output(out, other, overwrite=True)
    assert json.loads((out / RUN_CONFIG).read_text())["seed"] == 2


def test_overwrite_refusal_is_a_clean_cli_error(tmp_path):
    out = tmp_path / "done"
    out.mkdir()
    (out / "metadata.json").write_text("{}")
    proc = subprocess.run([PY, "-m", "handdigits.train", "--output", str(out), "--data-dir", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "holds a finished run" in proc.stderr and "Traceback" not in proc.stderr


def test_multi_worker_without_tf_config_is_a_clean_cli_error(tmp_path, mnist_only_dir):
    """The multi-worker path itself is tested in tests/test_train_multi_worker.py (two worker processes)."""
    env = {k: v for k, v in ENV.items() if k != "TF_CONFIG"}
    cmd = [*ENTRY_POINTS["python -m handdigits.train"], *TINY, "--strategy", "multi-worker", "--output", str(tmp_path / "mw"),
           "--data-dir", str(mnist_only_dir), *SYNTHETIC]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=TIMEOUT)
    assert proc.returncode == 1 and "needs the TF_CONFIG environment variable" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "mw").exists()


def test_old_names_both_and_seed_are_recorded_as_combined_and_baseline():
    from handdigits.assembly import DataSpec
    from handdigits.train import run_config
    from handdigits.train.settings import Recipe, check_data

    old = run_config("seed", datasets="both")
    assert old == run_config("baseline", datasets="combined")
    assert old["model"] == "baseline" and old["datasets"] == "combined"
    assert check_data(DataSpec("both")).datasets == "combined"
    assert Recipe("seed").resolved().model == "baseline"
    with pytest.raises(ValueError, match="datasets must be one of"):
        check_data(DataSpec("all"))


def test_ensemble_wall_time_counts_each_member_once(tmp_path, monkeypatch):
    """The recorded wall time is the members' recorded times plus the assembly, not the members twice."""
    import time

    from handdigits.assembly import DataSpec
    from handdigits.train import ensemble

    def fake_member(model, seed, index, sub, evaluate, kwargs):
        sub.mkdir(parents=True)
        time.sleep(1.0)  # a member's run, which records its own wall time
        return {"architecture": {"name": "baseline", "input": "28x28x1"}, "data": {}, "validation": {},
                "recipe": {"seed": seed}, "train_wall_seconds": 0.9, "wall_seconds": 1.0, "sha256": "0" * 64}

    x = np.zeros((8, 28, 28), np.uint8)
    monkeypatch.setattr(ensemble, "_member", fake_member)
    monkeypatch.setattr("keras.saving.load_model", lambda path: models.build("baseline"))
    monkeypatch.setattr(DataSpec, "load", lambda self, log: (None, (x, np.arange(8) % 10, np.full(8, "mnist")), {}))
    meta = ensemble.train_ensemble("baseline", 2, output=tmp_path / "ens", evaluate=False, calibrate=False)
    assert meta["train_wall_seconds"] == 2.0
    assert 2.0 <= meta["wall_seconds"] < 3.5  # counted twice, it would be at least 4 s

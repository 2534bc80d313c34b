"""What a run records: validation and test errors, calibration, the machine, and ``metadata.json``."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from .. import models
from ..assembly import NOT_A_DIGIT
from ..decision import AUTO_COVERAGE
from ..datasets.checksums import file_digest as sha256_file
from ..metrics import error_summary

FORMAT = "handdigits-model/1"
INPUT = "28x28x1 float in [0, 255], white ink on black"
REJECT_COVERAGE = AUTO_COVERAGE  # the "auto" reject rule answers this share of MNIST validation digits


def log(msg: str) -> None:
    print(f"[handdigits.train] {msg}", flush=True)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


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


def predict_labels(model, images, batch_size: int = 1024) -> np.ndarray:
    """Digit labels from :func:`handdigits.evaluation.predict` (the benchmark's path); -1 = refused."""
    from ..evaluation import as_classifier, predict

    return predict(as_classifier(model), images, batch_size=batch_size)[0]


def evaluate_model(model, data_dir, download: bool, *, seed: int = 0, verify: bool = True) -> dict:
    """Test errors (95 % intervals, ECE, refusals) on MNIST test, its augmented version and EMNIST test.

    Computed by :func:`handdigits.evaluation.evaluate` on the sets of :mod:`handdigits.testsets`, as the
    benchmark computes them: ``mnist_test`` is its ``"mnist"``, ``mnist_test_augmented`` the MNIST part of
    its ``"augmented"`` (same images), ``emnist_test`` its ``"emnist"``, with ``dataset`` saying whether
    that was EMNIST test or ``"emnist-partial"`` (``n`` of ``of`` images).
    """
    from .. import datasets as ds
    from ..evaluation import evaluate
    from ..testsets import TestSets, augmented

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


def calibrate(net, xv, yv) -> dict:
    """Fit and bake a temperature on the validation set (see :mod:`handdigits.calibration`)."""
    from ..calibration import calibrate as fit_temperature

    record = fit_temperature(net, xv, yv)
    log(f"temperature {record['temperature']} ({'applied' if record['applied'] else 'not applied'}): validation ECE {record['ece_pct_before']:.2f}% -> {record['ece_pct_after']:.2f}%")
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


def reject_record(proba, yv, source) -> dict:
    """The ``"auto"`` reject rule of an 11-class model, chosen on validation data only.

    :func:`handdigits.decision.reject_rule` on the MNIST validation digits
    (a "not a digit" limit and a confidence limit that together answer
    :data:`REJECT_COVERAGE` of them); recorded with what it does on the
    validation sets (digits answered per source, non-digits rejected).
    """
    from .. import decision

    mnist = (source == "mnist") & (yv != NOT_A_DIGIT)
    pool = mnist if mnist.any() else yv != NOT_A_DIGIT
    rule = decision.reject_rule(proba[pool], coverage=REJECT_COVERAGE)
    answered = decision.decide(proba, rule["min_confidence"], rule["max_not_digit"]) != decision.REJECTED
    nondigits = yv == NOT_A_DIGIT
    return {
        "min_confidence": round(rule["min_confidence"], 6),
        "max_not_digit": None if rule["max_not_digit"] is None else round(rule["max_not_digit"], 6),
        "chosen_on": "mnist validation digits" if mnist.any() else "validation digits",
        "coverage_target_pct": 100.0 * REJECT_COVERAGE,
        "confidence_coverage_pct": 100.0 * decision.AUTO_CONFIDENCE_COVERAGE,
        "answered_pct_by_source": {
            name: round(100.0 * float(answered[(source == name) & ~nondigits].mean()), 3)
            for name in dict.fromkeys(source) if ((source == name) & ~nondigits).any()
        },
        "nondigits_rejected_pct": round(100.0 * float((~answered[nondigits]).mean()), 3) if nondigits.any() else None,
    }


def assessed(net, validation, calibrate_it: bool) -> dict:
    """The environment, validation errors and calibration record of a finished ``net``, as metadata entries.

    ``validation`` is ``(xv, yv, source)``.  With ``calibrate_it`` a
    temperature is fitted and baked into ``net`` first (see :func:`calibrate`).
    """
    xv, yv, source = validation
    calibration = calibrate(net, xv, yv) if calibrate_it else None
    return {"environment": environment(), **validation_record(net, xv, yv, source), "calibration": calibration}


def finish(metadata: dict, net, model_path: Path, started: float, data, evaluate: bool, *,
           earlier_seconds: float = 0.0) -> dict:
    """Save ``net``, evaluate it (optionally), hash the file and write ``metadata.json`` beside it.

    ``data`` (a :class:`handdigits.assembly.DataSpec`) says where the test
    sets are.  The recorded ``wall_seconds`` is ``earlier_seconds`` plus the
    time since ``started`` (a ``time.time()``), read after the evaluation.
    """
    net.save(model_path)
    if evaluate:
        metadata["test"] = evaluate_model(net, data.data_dir, data.download, seed=0, verify=data.verify)
    metadata["wall_seconds"] = round(earlier_seconds + time.time() - started, 1)
    metadata["sha256"] = sha256_file(model_path)
    metadata["file"] = model_path.name
    (model_path.parent / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
    log(f"wrote {model_path} and metadata.json in {metadata['wall_seconds']:.0f} s")
    for name, res in metadata.get("test", {}).items():
        if "error_pct" in res:
            log(f"{name}: {res['error_pct']:.2f}% error ({res['errors']}/{res['n']})")
        else:
            log(f"{name}: unavailable ({res['reason']})")
    return metadata

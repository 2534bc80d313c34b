"""Reproducible training entry point: ``python -m handdigits.train`` / ``handdigits train``.

Example::

    python -m handdigits.train --model bn_cnn --epochs 30 --data-dir ../shared/data \\
        --output runs/bn_cnn

Writes ``model.keras`` and ``metadata.json`` into ``--output``; per-epoch
backups (``backup/``) let a killed run resume when started again with the
same command.

The parts: :mod:`.settings` (recipe, run options, ``run-config.json``),
:mod:`handdigits.assembly` (the data), :mod:`.pipeline` (``tf.data``),
:mod:`.strategy` (``tf.distribute``), :mod:`.loop` (``Model.fit``),
:mod:`.multi_worker` (the custom loop for several machines),
:mod:`.provenance` (errors, calibration, ``metadata.json``),
:mod:`.ensemble` (ensembles and WiSE-FT mixes), :mod:`.not_a_digit` (the "not a
digit" output refitted alone) and :mod:`.cli`.
Importing this package does not import TensorFlow.
"""

from __future__ import annotations

from ..assembly import DATASETS, NOT_A_DIGIT, DataSpec, sha256_arrays, split_validation, training_sets
from .cli import build_parser, command_line, main, run_from_args
from .ensemble import interpolate_run, train_ensemble
from .loop import train
from .not_a_digit import fit_column, refit_not_a_digit, refit_run
from .pipeline import LOWRES_SIZES, low_resolution, make_dataset
from .provenance import (
    REJECT_COVERAGE,
    cpu_name,
    environment,
    evaluate_model,
    predict_labels,
    reject_record,
    validation_record,
)
from .settings import RUN_CONFIG, STRATEGIES, Recipe, RunConfigError, RunOptions, claim_output, run_config
from .strategy import ClusterError, Worker, make_strategy, worker_of

__all__ = [
    "DATASETS", "LOWRES_SIZES", "NOT_A_DIGIT", "REJECT_COVERAGE", "RUN_CONFIG", "STRATEGIES",
    "ClusterError", "DataSpec", "Recipe", "RunConfigError", "RunOptions", "Worker",
    "build_parser", "claim_output", "command_line", "cpu_name", "environment", "evaluate_model", "fit_column",
    "interpolate_run", "low_resolution", "main", "make_dataset", "make_strategy", "predict_labels",
    "refit_not_a_digit", "refit_run", "reject_record", "run_config", "run_from_args", "sha256_arrays",
    "split_validation", "train",
    "train_ensemble", "training_sets", "validation_record", "worker_of",
]

"""A training run's settings: the recipe, the run options, and the record that guards an output directory.

:class:`Recipe` groups how a model is trained, :class:`RunOptions` where and
how the run reports; with :class:`handdigits.assembly.DataSpec` (what it
trains on) they are :func:`handdigits.train.train`'s keyword arguments.
:func:`run_config` turns them into ``run-config.json``, which
:func:`claim_output` compares before a killed run is resumed.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from .. import models
from ..assembly import DATASET_ALIASES, DATASETS, DataSpec
from ..datasets.checksums import file_digest as sha256_file
from ..validation import check_choice, check_int, check_number

STRATEGIES = ("default", "mirrored", "multi-worker")
RUN_CONFIG = "run-config.json"


@dataclass(frozen=True)
class Recipe:
    """How a model is trained.  ``epochs``/``batch_size`` of ``None`` mean the architecture's defaults.

    Example::

        Recipe("baseline", epochs=1).resolved().batch_size   # the "baseline" recipe's batch size
    """

    model: str = "bn_cnn"
    epochs: int | None = None
    batch_size: int | None = None
    augment: float = 1.0
    seed: int = 0
    learning_rate: float = 1e-3
    lowres: float = 0.0
    strategy: str = "default"
    init_from: str | os.PathLike | None = None
    init_member: int = 0
    calibrate: bool = True

    def resolved(self) -> "Recipe":
        """This recipe checked, with unset epochs and batch size taken from the architecture's recipe."""
        model = models.canonical_name(self.model)
        check_choice(self.strategy, "strategy", STRATEGIES)
        check_number(self.learning_rate, "learning_rate", low=0.0, low_open=True)
        defaults = models.recipe_defaults(self.model)
        epochs = defaults["epochs"] if self.epochs is None else self.epochs
        batch_size = defaults["batch_size"] if self.batch_size is None else self.batch_size
        if epochs <= 0 or batch_size <= 0:
            raise ValueError(f"epochs and batch_size must be positive, got {epochs} and {batch_size}")
        check_number(self.lowres, "lowres", low=0.0, high=1.0)
        return replace(self, model=model, epochs=epochs, batch_size=batch_size)


@dataclass(frozen=True)
class RunOptions:
    """Where a run writes and how it reports (none of this changes the model)."""

    output: str | os.PathLike = "runs/model"
    evaluate: bool = True
    verbose: int | str = "auto"
    command: str | None = None
    overwrite: bool = False


def split_settings(model: str, settings: dict) -> tuple[Recipe, DataSpec, RunOptions]:
    """:func:`handdigits.train.train`'s keyword arguments as its three groups (unknown names raise TypeError)."""
    groups = {cls: {f.name for f in fields(cls)} for cls in (Recipe, DataSpec, RunOptions)}
    unknown = set(settings) - set().union(*groups.values())
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    recipe, data, options = (cls(**{k: v for k, v in settings.items() if k in names}) for cls, names in groups.items())
    return replace(recipe, model=model), data, options


def check_data(data: DataSpec) -> DataSpec:
    """``data`` checked, with old dataset names (``"both"``) replaced by the current ones."""
    if isinstance(data.datasets, str) and data.datasets in DATASET_ALIASES:
        data = replace(data, datasets=DATASET_ALIASES[data.datasets])
    check_choice(data.datasets, "datasets", DATASETS)
    check_number(data.validation, "validation", low=0.0)
    check_int(data.photos, "photos", low=0)
    check_int(data.pairs, "pairs", low=0)
    check_int(data.numbers, "numbers", low=0)
    return data


CONFIG_KEYS = ("datasets", "epochs", "batch_size", "augment", "seed", "split_seed", "validation", "learning_rate",
               "limit", "synthetic", "nondigits", "lowres", "strategy")
#: settings recorded only when used, so the run-config.json of a run made before they existed still matches
OPTIONAL_KEYS = ("photos", "pairs", "numbers")


def run_config(model: str, **settings) -> dict:
    """The settings that define a run (what a resumed or reused run must share), JSON-ready.

    ``settings`` are :func:`handdigits.train.train`'s keyword arguments; unset
    epochs and batch size resolve to the architecture's recipe defaults, and
    ``init_from`` becomes a record with the source file's SHA-256.
    """
    defaults = {**asdict(DataSpec()), **asdict(Recipe())}
    recipe_defaults = models.recipe_defaults(model)
    config = {"model": models.canonical_name(model)}
    for key in CONFIG_KEYS:
        config[key] = settings.get(key, defaults.get(key))
    config.update({key: settings[key] for key in OPTIONAL_KEYS if settings.get(key)})
    config["datasets"] = DATASET_ALIASES.get(config["datasets"], config["datasets"])
    for key in ("epochs", "batch_size"):
        config[key] = recipe_defaults[key] if config[key] is None else config[key]
    config["extra_data"] = [str(e) for e in settings.get("extra_data", ())]
    config["init_from"] = _init_record(settings.get("init_from"), settings.get("init_member", 0))
    return config


def config_of(recipe: Recipe, data: DataSpec) -> dict:
    """:func:`run_config` of a recipe and its data."""
    settings = {**asdict(data), **asdict(recipe)}
    return run_config(settings.pop("model"), **settings)


class RunConfigError(ValueError):
    """A training output directory holds the backup of a run with other settings."""


def claim_output(output: Path, config: dict, overwrite: bool, *, write: bool = True) -> None:
    """Make ``output`` this run's: refuse a finished run (unless ``overwrite``) and a foreign backup.

    ``output/run-config.json`` records the settings; a backup left by a
    killed run is resumed only when they are the same, else the error says
    which settings differ.  ``write=False`` only checks (nothing is created).
    """
    output = Path(output)
    if (output / "metadata.json").exists() and not overwrite:
        raise FileExistsError(
            f"{output} holds a finished run (metadata.json); choose another output directory "
            "or pass overwrite=True (--overwrite) to replace it"
        )
    recorded = output / RUN_CONFIG
    if (output / "backup").exists() and recorded.exists():
        old = json.loads(recorded.read_text())
        differ = differing(old, config)
        if differ:
            details = "; ".join(f"{k}: {old.get(k)!r} then, {config.get(k)!r} now" for k in differ)
            raise RunConfigError(
                f"{output}/backup was left by a run with other settings ({details}); "
                "rerun with the same settings to resume it, or delete the backup directory to start afresh"
            )
    if write:
        output.mkdir(parents=True, exist_ok=True)
        recorded.write_text(json.dumps(config, indent=2) + "\n")


def differing(old: dict, new: dict) -> list[str]:
    """The keys whose values differ between two run configurations, sorted."""
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def _init_record(init_from, member: int) -> dict | None:
    if init_from is None:
        return None
    path = Path(init_from)
    meta = path.parent / "metadata.json"
    record = {"file": path.name, "sha256": sha256_file(path), "member": member}
    if meta.exists():
        record["architecture"] = json.loads(meta.read_text()).get("architecture", {}).get("name")
    return record

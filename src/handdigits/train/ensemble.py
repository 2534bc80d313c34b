"""Runs made of runs: averaged ensembles of seeds, and WiSE-FT mixes of a fine-tuned run with its start."""

from __future__ import annotations

import json
import time
from pathlib import Path

from .. import models
from ..assembly import DataSpec
from ..datasets.checksums import file_digest as sha256_file
from ..validation import check_int, check_number
from . import provenance
from .loop import train
from .provenance import log
from .settings import RUN_CONFIG, RunConfigError, claim_output, differing, run_config, split_settings

MULTI_WORKER_MEMBERS = ("an ensemble cannot be trained with strategy multi-worker; train each member as its own "
                        "multi-worker run (--seed S --output DIR) and average them with handdigits.models.ensemble")


def train_ensemble(model: str = "bn_cnn", members: int = 3, *, output="runs/ensemble", seed: int = 0, **kwargs) -> dict:
    """Train ``members`` copies of ``model`` with seeds ``seed, seed+1, ...`` and average them.

    Each member is an ordinary :func:`train` run in ``<output>/member-<i>``
    (resumable; a member whose ``metadata.json`` exists is reused).  All
    members share one validation hold-out (``split_seed``).  Writes the
    averaged model to ``<output>/model.keras`` with ``metadata.json``; the
    recorded wall time is the sum over members plus the assembly.

    Example::

        meta = train_ensemble("baseline", 2, output="runs/pair", epochs=1, data_dir="data")
        meta["recipe"]["member_seeds"]   # [0, 1]
    """
    check_int(members, "members", low=2)
    if kwargs.get("strategy") == "multi-worker":
        raise ValueError(MULTI_WORKER_MEMBERS)
    output = Path(output)
    if (output / "metadata.json").exists() and not kwargs.get("overwrite"):
        raise FileExistsError(
            f"{output} holds a finished ensemble (metadata.json); choose another output directory "
            "or pass overwrite=True (--overwrite) to replace it"
        )
    evaluate = kwargs.pop("evaluate", True)
    calibrate = kwargs.pop("calibrate", True)  # the average is calibrated, not each member
    kwargs.pop("init_member", None)
    member_meta = [_member(model, seed + i, i, output / f"member-{i}", evaluate, kwargs) for i in range(members)]
    started = time.time()  # the assembly's own time: the members' runs are counted from their metadata

    import keras

    nets = [keras.saving.load_model(output / f"member-{i}" / "model.keras") for i in range(members)]
    net = models.ensemble(nets, name=f"{model}_x{members}")
    _, data, _ = split_settings(model, kwargs)
    _, validation, _ = data.load(log)
    metadata = _ensemble_metadata(model, seed, member_meta, net, provenance.assessed(net, validation, calibrate),
                                  kwargs.get("command"))
    # the whole recipe's time: the members' runs (recorded when they ran) plus this assembly
    return provenance.finish(metadata, net, output / "model.keras", started, data, evaluate,
                             earlier_seconds=_member_seconds(member_meta))


def _member(model: str, seed: int, index: int, sub: Path, evaluate: bool, kwargs: dict) -> dict:
    """Member ``index``'s metadata: trained now, or reused when ``sub`` holds it with the same settings."""
    if (sub / "metadata.json").exists() and (sub / "model.keras").exists() and not kwargs.get("overwrite"):
        expected = run_config(model, seed=seed, init_member=index, **kwargs)
        recorded = json.loads((sub / RUN_CONFIG).read_text()) if (sub / RUN_CONFIG).exists() else expected
        if recorded != expected:
            raise RunConfigError(f"{sub} holds a member trained with other settings "
                                 f"({', '.join(differing(recorded, expected))}); use another --output or --overwrite")
        log(f"member {index}: reusing {sub}")
        meta = json.loads((sub / "metadata.json").read_text())
    else:
        meta = train(model, seed=seed, output=sub, evaluate=evaluate, init_member=index, calibrate=False, **kwargs)
    if meta["recipe"]["seed"] != seed or models.canonical_name(meta["architecture"]["name"]) != models.canonical_name(model):
        raise ValueError(f"{sub} holds {meta['architecture']['name']} seed {meta['recipe']['seed']}, expected {model} seed {seed}")
    return meta


def _ensemble_metadata(model: str, seed: int, member_meta: list, net, assessment: dict, command) -> dict:
    first, members = member_meta[0], len(member_meta)
    return {
        "format": provenance.FORMAT,
        "architecture": {
            "name": f"{model}_x{members}",
            "description": f"average of the softmax outputs of {members} {model} models ({models.description(model)})",
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
            "command": command,
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
        **assessment,
        "train_wall_seconds": round(_member_seconds(member_meta), 1),
    }


def _member_seconds(member_meta: list) -> float:
    return sum(m.get("wall_seconds", m["train_wall_seconds"]) for m in member_meta)


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
    check_number(alpha, "alpha", low=0.0, high=1.0)
    run = Path(run)
    meta = json.loads((run / "metadata.json").read_text())
    members = sorted(run.glob("member-*/model.keras"), key=lambda p: int(p.parent.name.split("-")[1]))
    config = json.loads(((members[0].parent if members else run) / RUN_CONFIG).read_text())
    if config.get("init_from") is None or config["init_from"]["sha256"] != sha256_file(init_from):
        raise RunConfigError(f"{run} was not fine-tuned from {init_from} (its run-config.json records {config.get('init_from')})")
    output = Path(output)
    claim_output(output, {"interpolate": str(run), "run_sha256": meta["sha256"], "alpha": alpha,
                          "init_from": config["init_from"]}, overwrite)
    started = time.time()
    net = _mixed(run, members, meta, init_from, alpha)
    data = DataSpec(config["datasets"], data_dir, download, verify, config["validation"], config["split_seed"],
                    config["limit"], config["synthetic"], config["nondigits"], tuple(config["extra_data"]),
                    config.get("photos", 0), config.get("pairs", 0), config.get("numbers", 0))
    _, validation, _ = data.load(log)
    metadata = {
        **{k: meta[k] for k in ("format", "architecture", "data") if k in meta},
        "recipe": {**meta["recipe"], "wise_ft": {"alpha": alpha, "tuned": {"run": run.name, "sha256": meta["sha256"]},
                                                  "init_from": config["init_from"], "command": command}},
        **({"members": meta["members"]} if "members" in meta else {}),
        **provenance.assessed(net, validation, True),
        "train_wall_seconds": meta.get("train_wall_seconds"),
    }
    return provenance.finish(metadata, net, output / "model.keras", started, data, evaluate,
                             earlier_seconds=meta.get("wall_seconds", 0))


def _mixed(run: Path, members: list, meta: dict, init_from, alpha: float):
    """The run's (uncalibrated) members mixed with the weights they started from; an ensemble when several."""
    import keras

    init = models.members_of(keras.saving.load_model(init_from))
    if members:
        nets = [keras.saving.load_model(p) for p in members]
    else:
        nets = [keras.saving.load_model(run / "model.keras")]
        calibration = meta.get("calibration") or {}
        temperature = calibration.get("temperature") if calibration.get("applied") else None
        if temperature:  # undo the run's calibration: the mix is calibrated afresh
            from ..calibration import apply_temperature

            apply_temperature(nets[0], 1.0 / temperature)
    for i, net in enumerate(nets):
        models.interpolate_weights(init[i % len(init)], net, alpha)
    return models.ensemble(nets, name=meta["architecture"]["name"]) if len(nets) > 1 else nets[0]

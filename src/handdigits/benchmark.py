"""Multi-dataset evaluation: error rates with 95 % Wilson intervals, calibration and refusals,
per model and dataset.

:func:`benchmark` evaluates one or more models on the named test sets of
:mod:`handdigits.testsets` and on the user's own labelled data:

``"mnist"``            MNIST test (10,000 images)
``"emnist"``           EMNIST digits test (40,000 images), or its real available part
                       (reported as ``emnist-partial``: 833 of 40,000 images, see the notes)
``"combined"``         MNIST test followed by the EMNIST set (also reported per source)
``"augmented"``        the combined set under ``transforms.augment_fixed(images, seed=seed)``
``"robustness"``       shorthand for the nine ``"robustness/<corruption>"`` sets: MNIST test under
                       each fixed corruption of :mod:`handdigits.corruptions` (MNIST-C style)
``"realworld"``        shorthand for the ``"realworld/<name>"`` suites of :mod:`handdigits.realworld`
``"realworld/numbers"`` generated whole numbers (2-6 digits, about 20 % with touching neighbours) read
                       with :meth:`Classifier.read <handdigits.Classifier.read>`: a number counts as an
                       error unless read exactly, as refused when ``read`` raises (no ink found);
                       only when named (its errors are numbers, not digits, so it stays out of the
                       summary's means)
``data={name: ...}``   the user's data: ``(images, labels)`` or a folder with sub-folders 0-9

Every set goes through :func:`handdigits.evaluation.evaluate` (the classifier's forward pass).
The MNIST-format named sets are fed raw unless ``preprocess=True``; the real-world suites and
the user's data always go through the classifier's preprocessing (``errors="mark"``: an image
it refuses counts as an error, or as correct where the label is -1, "no digit").  Each dataset
is loaded once and shared by all models.

A dataset that cannot be loaded (e.g. EMNIST, large and optional) is kept in the result as
``"unavailable"`` with the reason.  A set with a part missing (``"combined"`` without EMNIST) or
only partly available (EMNIST test from ``emnist-partial/``) is evaluated and marked
``"partial"`` with a note saying what it holds.  ``strict=True`` raises instead.

Example::

    >>> import handdigits
    >>> result = handdigits.benchmark(datasets=("mnist", "augmented"),            # doctest: +SKIP
    ...                               data={"forms": "scans/labelled"})
    >>> print(result.to_markdown())                                              # doctest: +SKIP
    >>> result.plot("benchmark.png")                                             # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping

import numpy as np

from .corruptions import CORRUPTIONS
from .evaluation import as_classifier, predict, summarise
from .metrics import error_summary
from .report import BenchmarkResult
from .testsets import NAMED, ROBUSTNESS, SOURCES, TestSets, realworld_names, user_set
from .validation import check_bool, check_int, describe

#: the datasets evaluated by default
DEFAULT_DATASETS = NAMED
#: the real-world suites (empty until :mod:`handdigits.realworld` provides them)
REALWORLD = realworld_names()
#: the suites of whole numbers, read with ``Classifier.read`` (not part of ``"realworld"``)
NUMBERS = realworld_names(numbers=True)
#: every accepted dataset name ("robustness" and "realworld" expand to their sets)
DATASETS = (*DEFAULT_DATASETS, "robustness", *ROBUSTNESS, *(("realworld", *REALWORLD) if REALWORLD else ()),
            *NUMBERS)


# --------------------------------------------------------------------------- inputs


def _check_dataset_names(datasets, data) -> list[str]:
    if isinstance(datasets, str):
        datasets = (datasets,)
    if isinstance(datasets, Mapping) or not hasattr(datasets, "__iter__"):
        raise TypeError(f"datasets must be a sequence of names from {DATASETS}, got {describe(datasets)}")
    groups = {"robustness": ROBUSTNESS, "realworld": REALWORLD}
    names: list[str] = []
    for name in datasets:
        if not isinstance(name, str):
            raise TypeError(f"dataset names must be strings, got {name!r}")
        if name not in DATASETS:
            raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)} "
                             "(your own data goes in data={name: (images, labels) or folder})")
        names += [n for n in groups.get(name, (name,)) if n not in names]
    for name in data:
        if not isinstance(name, str) or not name:
            raise TypeError(f"data names must be non-empty strings, got {name!r}")
        if name in names or name in DATASETS:
            raise ValueError(f"data name {name!r} is already a dataset name; choose another")
        names.append(name)
    if not names:
        raise ValueError(f"no datasets; choose from {', '.join(DATASETS)} or give data=")
    return names


def _check_models(models) -> dict:
    """Normalise ``models`` to ``{name: Classifier}``."""
    if models is None:
        from .classifier import Classifier

        return {"bundled": Classifier()}
    if isinstance(models, Mapping):
        if not models:
            raise ValueError("models is an empty dict; give at least one name -> model")
        items = list(models.items())
    elif isinstance(models, (list, tuple)):
        raise TypeError(f"models must be one model or a dict name -> model (Classifier, keras.Model or path), "
                        f"got a {type(models).__name__}")
    else:
        name = os.fspath(models) if isinstance(models, (str, os.PathLike)) else getattr(models, "name", None)
        items = [(name if isinstance(name, str) and name else "model", models)]
    resolved = {}
    for name, obj in items:
        if not isinstance(name, str) or not name:
            raise TypeError(f"model names must be non-empty strings, got {name!r}")
        resolved[name] = as_classifier(obj, name)
    return resolved


# --------------------------------------------------------------------------- rows


def _row(pred, proba, data, dataset: str) -> dict:
    row = {"status": data.status, **summarise(pred, proba, data.labels), "note": data.note}
    if data.source is not None and dataset in ("combined", "augmented"):
        row["by_source"] = {
            name: summarise(pred[data.source == k], proba[data.source == k], data.labels[data.source == k])
            for k, name in enumerate(SOURCES)
            if name in data.parts
        }
    return row


def _read_all(clf, images, bar) -> list:
    """``clf.read(image).text`` for each image; ``None`` where ``read`` raises (no ink found)."""
    texts = []
    for image in images:
        try:
            texts.append(clf.read(image).text)
        except ValueError:
            texts.append(None)
        bar.update(1)
    return texts


def _reading_row(texts: list, data) -> dict:
    """A row for whole numbers: an error unless read exactly; refused where nothing was read."""
    read = np.array(["" if t is None else t for t in texts], dtype=object)
    refused = sum(t is None for t in texts)
    row = {"status": data.status, **error_summary(read, data.labels.astype(object)), "refused": refused,
           "ece_pct": None, "note": data.note}
    row["refused_pct"] = 100.0 * refused / row["n"]
    return row


def _unavailable_row(note) -> dict:
    return {"status": "unavailable", "n": 0, "errors": None, "error_pct": None, "ci95_pct": None, "ece_pct": None,
            "refused": None, "refused_pct": None, "note": note}


def _label(dataset: str, data) -> str:
    """The name shown in reports: partial EMNIST is ``emnist-partial``, everywhere it appears."""
    partial = any(i.get("partial") for i in data.info.values() if isinstance(i, dict))
    if not partial or dataset not in ("emnist", "combined", "augmented"):
        return dataset
    return "emnist-partial" if dataset == "emnist" else f"{dataset} (mnist + emnist-partial)"


def _summarise(rows: dict) -> dict:
    avail = {d: r for d, r in rows.items() if r["status"] != "unavailable"}
    robust = {d: r for d, r in avail.items() if d.startswith("robustness/")}
    numbers = {d: r for d, r in avail.items() if d in NUMBERS}
    real = {d: r for d, r in avail.items() if d.startswith("realworld/") and d not in numbers}
    primary = {d: r for d, r in avail.items() if d not in robust and d not in real and d not in numbers}
    pool = primary or robust or real or numbers
    if not pool:
        return {"max": None, "min": None, "range": None, "mean": None, "worst": None, "best_dataset": None,
                "datasets": [], "partial": [], "robustness_mean": None, "robustness_max": None,
                "realworld_mean": None, "realworld_max": None}
    errs = {d: r["error_pct"] for d, r in pool.items()}
    worst, best = max(errs, key=errs.get), min(errs, key=errs.get)
    summary = {
        "max": errs[worst], "min": errs[best], "range": errs[worst] - errs[best],
        "mean": float(np.mean(list(errs.values()))), "worst": worst, "best_dataset": best,
        "datasets": list(pool), "partial": [d for d, r in pool.items() if r["status"] == "partial"],
    }
    for key, group in (("robustness", robust), ("realworld", real)):
        use = group and group is not pool
        summary[f"{key}_mean"] = float(np.mean([r["error_pct"] for r in group.values()])) if use else None
        summary[f"{key}_max"] = max(r["error_pct"] for r in group.values()) if use else None
    return summary


def pick_best(summary: dict) -> str | None:
    """The model with the lowest maximum error; ties broken by lower mean, then by name."""
    candidates = [(s["max"], s["mean"], name) for name, s in summary.items() if s["max"] is not None]
    return min(candidates)[2] if candidates else None


# --------------------------------------------------------------------------- run


def benchmark(  # long: the public docstring documents every argument; the work is in _evaluate_set
    models=None,
    datasets=DEFAULT_DATASETS,
    data_dir=None,
    seed: int = 0,
    batch_size: int = 1024,
    strict: bool = False,
    progress: bool = False,
    *,
    data: Mapping | None = None,
    preprocess: bool = False,
    download: bool = False,
    verify: bool = True,
) -> BenchmarkResult:
    """Evaluate models on named test sets and on the user's labelled data.

    Args:
        models: a :class:`handdigits.Classifier`, a ``keras.Model`` (input ``(28, 28, 1)`` or
            ``(28, 28)`` float in [0, 255], output ``(10,)``), a path to a ``.keras`` file, or a
            dict ``name -> any of these``.  Default: the bundled model (named ``"bundled"``).
        datasets: names from :data:`DATASETS` (see the module docstring); ``"robustness"`` and
            ``"realworld"`` expand to their sets.  Default: :data:`DEFAULT_DATASETS`.  May be
            empty when ``data`` is given.
        data_dir: data directory (``mnist/``, ``emnist/``, ``emnist-partial/`` inside); default
            ``$HANDDIGITS_DATA`` or ``~/.cache/handdigits``.
        seed: seed of the augmented, robustness and real-world sets (same seed, same images).
        batch_size: images per forward pass.
        strict: raise when a dataset cannot be loaded or is partial instead of reporting it.
        progress: show progress bars (tqdm) on stderr.
        data: the user's datasets, ``{name: (images, labels)}`` (an array ``(N, H, W[, C])`` or a
            list of images, labels 0-9 or -1 for "no digit, must be refused") or
            ``{name: "folder"}`` (sub-folders 0-9, see
            :func:`handdigits.datasets.load_image_folder`); evaluated after the named sets,
            through the classifier's preprocessing.
        preprocess: also preprocess the MNIST-format named sets (to compare with raw input).
        download: let the loaders download missing files (with a progress bar).  Off by default:
            nothing is fetched unless asked (MNIST is 11 MB, EMNIST a 562 MB archive).
        verify: check the data files' sha256 against the known hashes.

    Returns:
        A :class:`BenchmarkResult` (error %, 95 % Wilson interval, ECE %, refusals per row).

    Raises:
        ValueError / TypeError: unknown dataset names, bad ``data``, empty or wrongly typed
            ``models``, a model whose input is not 28×28 or whose output is not 10 scores; a
            folder in ``data`` with a bad layout or an undecodable file (named).
        FileNotFoundError (or the loader's error): with ``strict=True``, when a dataset cannot
            be loaded in full.
        handdigits.datasets.DatasetUnavailable: when no dataset at all could be loaded (the
            message says how to get MNIST).
    """
    data = {} if data is None else data
    if not isinstance(data, Mapping):
        raise TypeError(f"data must be a dict name -> (images, labels) or folder, got {describe(data)}")
    names = _check_dataset_names(datasets, data)
    seed, batch_size = check_int(seed, "seed", low=0), check_int(batch_size, "batch_size", low=1)
    check_bool(preprocess, "preprocess")
    user = {name: user_set(name, spec, progress=progress) for name, spec in data.items()}  # bad data fails early
    classifiers = _check_models(models)
    log = _logger(progress)
    sets = TestSets(data_dir, download=download, verify=verify, seed=seed, strict=strict, log=log)
    started = time.perf_counter()
    results: dict = {name: {} for name in classifiers}
    datasets_info: dict = {}
    timing = {name: {"seconds": 0.0, "images": 0} for name in classifiers}
    reported: set = set()  # reasons already logged: "combined" repeats those of "mnist" and "emnist"
    for dataset in names:
        test = user[dataset] if dataset in user else sets.load(dataset)  # once per dataset, shared by all models
        if strict and test.note:
            raise FileNotFoundError(f"dataset {dataset!r}: {test.note}")
        datasets_info[dataset] = _evaluate_set(dataset, test, test.preprocess or preprocess, classifiers, results,
                                               timing, batch_size, progress, log, reported)
    if names and all(info["status"] == "unavailable" for info in datasets_info.values()):
        raise _nothing_evaluated(names, data_dir, download)
    summary = {name: _summarise(results[name]) for name in classifiers}
    meta = _meta(seed, batch_size, preprocess, started, timing, names)
    return BenchmarkResult(list(classifiers), names, datasets_info, results, summary, pick_best(summary), meta)


def _evaluate_set(dataset, test, pre: bool, classifiers, results, timing, batch_size, progress, log,
                  reported: set) -> dict:
    """Evaluate every classifier on ``test``; fill ``results`` and ``timing``; return its ``datasets_info``.

    ``reported`` holds the reasons already logged, so each is logged once."""
    if test.images is None:
        new = [part for part in str(test.note).split("; ") if part not in reported]
        reported.update(new)
        log(f"{dataset}: unavailable ({'; '.join(new) if new else 'see above'})")
    for name, clf in classifiers.items():
        if test.images is None:
            results[name][dataset] = _unavailable_row(test.note)
            continue
        t0 = time.perf_counter()
        with _bar(progress, f"{name} · {dataset}", test.n) as bar:
            if dataset in NUMBERS:
                if not callable(getattr(clf, "read", None)):
                    raise TypeError(f"model {name!r} cannot read whole numbers ({dataset} needs a handdigits "
                                    f"Classifier, whose read() it calls); got {describe(clf)}")
                row = _reading_row(_read_all(clf, test.images, bar), test)
            else:
                pred, proba = predict(clf, test.images, preprocess=pre, batch_size=batch_size, progress=bar)
                row = _row(pred, proba, test, dataset)
        timing[name]["seconds"] += time.perf_counter() - t0
        timing[name]["images"] += test.n
        results[name][dataset] = row
    return {"status": test.status, "n": test.n, "parts": list(test.parts), "note": test.note,
            "label": _label(dataset, test), "preprocess": pre, "info": test.info}


def _nothing_evaluated(names, data_dir, download: bool) -> Exception:
    """The error for a run in which no dataset could be loaded: one short message on how to get MNIST."""
    from .datasets import DatasetUnavailable
    from .datasets.paths import data_home

    how = "" if download else " (local files only: pass download=True, or --download on the command line)"
    return DatasetUnavailable(
        f"nothing to evaluate: none of {', '.join(names)} could be loaded from {data_home(data_dir)}{how}. "
        "Get MNIST (11 MB) with handdigits.datasets.load_mnist('test', download=True), "
        "or set HANDDIGITS_DATA (or data_dir=) to a directory that contains mnist/"
    )


def _logger(enabled: bool):
    if not enabled:
        return lambda text: None
    from tqdm.auto import tqdm

    return lambda text: tqdm.write(f"[benchmark] {text}", file=sys.stderr)


def _bar(enabled: bool, label: str, total: int):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"[benchmark] {label}", unit="img", disable=not enabled, file=sys.stderr,
                leave=True, mininterval=0.25)


def _meta(seed, batch_size, preprocess, started, timing, names) -> dict:
    for t in timing.values():
        t["images_per_second"] = t["images"] / t["seconds"] if t["seconds"] > 0 else None
        t["seconds"] = round(t["seconds"], 3)
    return {
        "seed": seed,
        "batch_size": batch_size,
        "preprocess_named_sets": preprocess,
        "wall_seconds": round(time.perf_counter() - started, 2),
        "models": timing,
        "corruptions": {d: CORRUPTIONS[d.split("/", 1)[1]] for d in names if d.startswith("robustness/")},
        "versions": _versions(),
    }


def _versions() -> dict:
    from . import __version__

    out = {"handdigits": __version__}
    for module in ("tensorflow", "keras", "numpy"):
        mod = sys.modules.get(module)
        if mod is not None:
            out[module] = getattr(mod, "__version__", None)
    return out


__all__ = ["BenchmarkResult", "DATASETS", "DEFAULT_DATASETS", "NUMBERS", "REALWORLD", "ROBUSTNESS", "benchmark",
           "pick_best"]

"""Multi-dataset evaluation: error rates with 95 % Wilson intervals, per model and dataset.

:func:`benchmark` evaluates one or more models on the *test* splits of

``"mnist"``       MNIST test (10,000 images)
``"emnist"``      EMNIST digits test (40,000 images)
``"combined"``    MNIST test followed by EMNIST digits test (also reported per source)
``"augmented"``   the combined set under ``transforms.augment_fixed(images, seed=seed)``
``"robustness"``  shorthand for the nine ``"robustness/<corruption>"`` sets: MNIST test under
                  each fixed corruption of :mod:`handdigits.corruptions` (MNIST-C style)

Images are fed raw (they are MNIST-format already: 28×28, white ink on black,
[0, 255]); no preprocessing.  Each dataset is loaded (and augmented or
corrupted) once and shared by all models.

A dataset that cannot be loaded (typically EMNIST, which is large and
optional) is kept in the result as ``"unavailable"`` with the reason.  When
only one of the two parts of ``"combined"``/``"augmented"`` can be loaded, the
available part is evaluated and the row is marked ``"partial"`` with a note
such as ``"MNIST part only: EMNIST unavailable (...)"``.  ``strict=True``
raises instead.

Example::

    >>> import handdigits
    >>> result = handdigits.benchmark(datasets=("mnist", "augmented"))   # doctest: +SKIP
    >>> print(result.to_markdown())                                       # doctest: +SKIP
    >>> result.plot("benchmark.png")                                      # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .corruptions import CORRUPTIONS
from .metrics import error_summary
from .validation import check_image_array, describe

#: the datasets evaluated by default
DEFAULT_DATASETS = ("mnist", "emnist", "combined", "augmented")
#: the robustness sets, one per corruption
ROBUSTNESS = tuple(f"robustness/{name}" for name in CORRUPTIONS)
#: every accepted dataset name ("robustness" expands to all of ROBUSTNESS)
DATASETS = (*DEFAULT_DATASETS, "robustness", *ROBUSTNESS)

SOURCES = ("mnist", "emnist")
_LOAD_ERRORS = (OSError, ValueError)  # FileNotFoundError / DatasetUnavailable are OSErrors


# --------------------------------------------------------------------------- result


@dataclass
class BenchmarkResult:
    """The outcome of :func:`benchmark`.

    Attributes:
        models: model names, in evaluation order.
        datasets: dataset names, in evaluation order.
        datasets_info: ``{dataset: {"status": "ok"|"partial"|"unavailable", "n", "note"}}``;
            ``note`` says what is missing and why (``None`` when complete).
        results: ``{model: {dataset: row}}``; a row is ``{"status", "n", "errors",
            "error_pct", "ci95_pct": [low, high], "note"}`` (error numbers are
            ``None`` when unavailable) plus ``"by_source": {"mnist": {...},
            "emnist": {...}}`` for the combined and augmented sets.
        summary: ``{model: {"max", "min", "range", "mean", "worst", "best_dataset",
            "datasets", "partial"}}`` over the model's available datasets (error %;
            ``range`` is worst − best).  The ``robustness/*`` sets are summarised
            separately (``"robustness_mean"``, ``"robustness_max"``) unless they
            are the only ones evaluated.
        best: the model with the lowest maximum error (ties: lower mean, then name);
            ``None`` when nothing could be evaluated.
        meta: seed, batch size, wall time, per-model time and throughput, versions.
    """

    models: list
    datasets: list
    datasets_info: dict
    results: dict
    summary: dict
    best: str | None
    meta: dict = field(default_factory=dict)

    # -- serialisation ------------------------------------------------------
    def to_dict(self) -> dict:
        """A JSON-compatible dictionary (inverse: :meth:`from_dict`)."""
        return {
            "format": "handdigits-benchmark/1",
            "models": list(self.models),
            "datasets": list(self.datasets),
            "datasets_info": self.datasets_info,
            "results": self.results,
            "summary": self.summary,
            "best": self.best,
            "meta": self.meta,
        }

    def to_json(self, indent: int = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping) -> "BenchmarkResult":
        if not isinstance(data, Mapping) or data.get("format") != "handdigits-benchmark/1":
            raise ValueError(f"not a handdigits benchmark result: {describe(data)}")
        return cls(
            models=list(data["models"]),
            datasets=list(data["datasets"]),
            datasets_info=dict(data["datasets_info"]),
            results=dict(data["results"]),
            summary=dict(data["summary"]),
            best=data["best"],
            meta=dict(data.get("meta", {})),
        )

    @classmethod
    def from_json(cls, text: str) -> "BenchmarkResult":
        return cls.from_dict(json.loads(text))

    # -- reports ------------------------------------------------------------
    def to_markdown(self) -> str:
        """Markdown tables: one row per model × dataset, then the per-model summary."""
        lines = [
            "| model | dataset | n | errors | error % | 95 % CI (Wilson) |",
            "|---|---|---:|---:|---:|---|",
        ]
        notes: list[str] = []

        def mark(note):
            if note is None:
                return ""
            if note not in notes:
                notes.append(note)
            return f" [{notes.index(note) + 1}]"

        for model in self.models:
            for dataset in self.datasets:
                row = self.results[model][dataset]
                if row["status"] == "unavailable":
                    lines.append(f"| {model} | {dataset}{mark(row['note'])} | – | – | unavailable | – |")
                    continue
                label = dataset + (" (partial)" if row["status"] == "partial" else "") + mark(row["note"])
                lines.append(f"| {model} | {label} | {_fmt_row(row)} |")
                for source, sub in row.get("by_source", {}).items() if len(row.get("by_source", {})) > 1 else ():
                    lines.append(f"| {model} | {dataset} · {source} part | {_fmt_row(sub)} |")
        lines += ["", "| model | mean % | best % | worst % | range (pp) | worst dataset | robustness mean % |",
                  "|---|---:|---:|---:|---:|---|---:|"]
        for model in self.models:
            s = self.summary[model]
            if s["max"] is None:
                lines.append(f"| {model} | – | – | – | – | nothing evaluated | – |")
                continue
            rob = s.get("robustness_mean")
            lines.append(
                f"| {model}{' **(best)**' if model == self.best else ''} | {s['mean']:.2f} | {s['min']:.2f} "
                f"| {s['max']:.2f} | {s['range']:.2f} | {s['worst']} | {'–' if rob is None else f'{rob:.2f}'} |"
            )
        partial = sorted({d for m in self.models for d in self.summary[m].get("partial") or []})
        if partial:
            lines += ["", f"The summary includes partial datasets ({', '.join(partial)}): see the notes."]
        if notes:
            lines.append("")
            lines += [f"[{i}] {note}" for i, note in enumerate(notes, 1)]
        if self.best is not None:
            lines += ["", f"Best model (lowest worst-case error): **{self.best}**."]
        return "\n".join(lines) + "\n"

    def __str__(self):
        return self.to_markdown()

    def plot(self, path, *, title: str | None = None):
        """Write a grouped bar chart (PNG): one group per dataset, one bar per model.

        Error bars are the 95 % Wilson intervals; each bar is labelled with its
        error %; each model's range (worst − best error, percentage points) is
        given in the legend and drawn as dashed lines at its best and worst error.  Needs matplotlib
        (``pip install "handdigits[plot]"``).  Returns the path.
        """
        try:
            import matplotlib

            matplotlib.use("Agg", force=False)
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError(
                'BenchmarkResult.plot needs matplotlib: pip install "handdigits[plot]"'
            ) from exc

        n_models = len(self.models)
        n_sets = len(self.datasets)
        width = 0.8 / max(n_models, 1)
        fig, ax = plt.subplots(figsize=(max(7.5, 3.5 + 0.6 * n_sets * max(1, n_models) ** 0.5), 4.5))
        colours = plt.get_cmap("tab10").colors
        top = 0.0
        for i, model in enumerate(self.models):
            xs, hs, lo, hi = [], [], [], []
            for j, dataset in enumerate(self.datasets):
                row = self.results[model][dataset]
                if row["status"] == "unavailable":
                    continue
                xs.append(j - 0.4 + width * (i + 0.5))
                hs.append(row["error_pct"])
                lo.append(row["error_pct"] - row["ci95_pct"][0])
                hi.append(row["ci95_pct"][1] - row["error_pct"])
                top = max(top, row["ci95_pct"][1])
            s = self.summary[model]
            label = model if s["max"] is None else f"{model} (range {s['range']:.2f} pp)"
            colour = colours[i % len(colours)]
            ax.bar(xs, hs, width=width * 0.95, color=colour, label=label,
                   yerr=[lo, hi] if xs else None, capsize=3, ecolor="black")
            for x, h, up in zip(xs, hs, hi):  # value just above the interval's top
                ax.text(x, h + up, f"{h:.2f}", ha="center", va="bottom", fontsize=6,
                        rotation=90 if n_models > 2 else 0)
            if s["max"] is not None:  # the model's range: dashed lines at its best and worst error
                for level in (s["min"], s["max"]):
                    ax.axhline(level, color=colour, linewidth=0.8, linestyle="--", alpha=0.6)
        labels = []
        for j, dataset in enumerate(self.datasets):
            info = self.datasets_info[dataset]
            if info["status"] == "unavailable":
                labels.append(f"{dataset}\n(unavailable)")
                ax.text(j, 0, "n/a", ha="center", va="bottom", fontsize=8, color="grey")
            elif info["status"] == "partial":
                labels.append(f"{dataset}*\n({_part_label(info)})")
            else:
                labels.append(dataset.replace("robustness/", "robust./"))
        ax.set_xticks(range(n_sets))
        ax.set_xticklabels(labels, rotation=30 if n_sets > 6 else 0, ha="right" if n_sets > 6 else "center",
                           fontsize=8)
        ax.set_ylabel("test error % (95 % Wilson interval)")
        ax.set_ylim(0, max(1.0, top * 1.2))
        ax.set_title(title or "handdigits benchmark")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return path


def _fmt_row(row) -> str:
    lo, hi = row["ci95_pct"]
    return f"{row['n']} | {row['errors']} | {row['error_pct']:.2f} | [{lo:.2f}, {hi:.2f}]"


def _part_label(info) -> str:
    parts = info.get("parts") or []
    return " + ".join(p.upper() for p in parts) + " only" if parts else "partial"


# --------------------------------------------------------------------------- inputs


def _check_dataset_names(datasets) -> list[str]:
    if isinstance(datasets, str):
        datasets = (datasets,)
    if isinstance(datasets, Mapping) or not hasattr(datasets, "__iter__"):
        raise TypeError(f"datasets must be a sequence of names from {DATASETS}, got {describe(datasets)}")
    names: list[str] = []
    for name in datasets:
        if not isinstance(name, str):
            raise TypeError(f"dataset names must be strings, got {name!r}")
        if name not in DATASETS:
            raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")
        for expanded in ROBUSTNESS if name == "robustness" else (name,):
            if expanded not in names:
                names.append(expanded)
    if not names:
        raise ValueError(f"datasets is empty; choose from {', '.join(DATASETS)}")
    return names


def _is_keras_model(obj) -> bool:
    try:
        import keras
    except ImportError:  # pragma: no cover - keras is a dependency
        return False
    return isinstance(obj, keras.Model)


def _resolve_model(obj, name: str):
    """Return the Keras model behind a Classifier, a Keras model or a path."""
    if isinstance(obj, (str, os.PathLike)):
        path = os.fspath(obj)
        if not os.path.exists(path):
            raise FileNotFoundError(f"model {name!r}: no such file {path!r}")
        try:
            from .classifier import Classifier
        except ImportError:
            import keras

            return keras.saving.load_model(path, safe_mode=True)
        return Classifier.load(path).model
    if _is_keras_model(obj):
        return obj
    inner = getattr(obj, "model", None)
    if inner is not None and _is_keras_model(inner) and hasattr(obj, "predict_proba"):
        return inner  # a handdigits Classifier: evaluate its network on the raw arrays
    raise TypeError(
        f"model {name!r}: expected a handdigits Classifier, a keras.Model or a path to a .keras file, "
        f"got {describe(obj)}"
    )


def _check_models(models) -> dict:
    """Normalise ``models`` to ``{name: keras.Model}``."""
    if models is None:
        from .classifier import Classifier

        return {"bundled": _resolve_model(Classifier(), "bundled")}
    if isinstance(models, Mapping):
        if not models:
            raise ValueError("models is an empty dict; give at least one name -> model")
        items = list(models.items())
    elif isinstance(models, (list, tuple)):
        raise TypeError(
            f"models must be one model or a dict name -> model (Classifier, keras.Model or path), got a "
            f"{type(models).__name__}"
        )
    else:
        name = os.fspath(models) if isinstance(models, (str, os.PathLike)) else getattr(models, "name", None)
        items = [(name if isinstance(name, str) and name else "model", models)]
    resolved = {}
    for name, obj in items:
        if not isinstance(name, str) or not name:
            raise TypeError(f"model names must be non-empty strings, got {name!r}")
        resolved[name] = _resolve_model(obj, name)
        _check_model_io(resolved[name], name)
    return resolved


def _check_model_io(model, name: str) -> None:
    in_shape = tuple(model.input_shape) if not isinstance(model.input_shape, list) else None
    if in_shape is None or in_shape[1:] not in ((28, 28, 1), (28, 28)):
        raise ValueError(
            f"model {name!r}: expected one input of shape (None, 28, 28, 1) or (None, 28, 28), "
            f"got {model.input_shape}"
        )
    out_shape = model.output_shape
    if isinstance(out_shape, list) or tuple(out_shape)[1:] != (10,):
        raise ValueError(f"model {name!r}: expected an output of shape (None, 10) (one score per digit), "
                         f"got {out_shape}")


# --------------------------------------------------------------------------- data


@dataclass
class _Data:
    """One evaluation set: images uint8 (N, 28, 28), labels (N,), source (N,) 0 MNIST / 1 EMNIST."""

    images: np.ndarray | None
    labels: np.ndarray | None
    source: np.ndarray | None
    parts: tuple
    note: str | None

    @property
    def status(self) -> str:
        if self.images is None:
            return "unavailable"
        return "partial" if self.note else "ok"


class _Loader:
    """Loads each underlying test split once and derives the evaluation sets from it."""

    def __init__(self, data_dir, download: bool, verify: bool, seed: int, strict: bool, progress):
        self.data_dir, self.download, self.verify, self.seed, self.strict = data_dir, download, verify, seed, strict
        self.progress = progress
        self._parts: dict = {}

    def _part(self, name: str):
        """``(images, labels)`` or an error string for 'mnist' / 'emnist'."""
        if name not in self._parts:
            from . import datasets as ds

            load = ds.load_mnist if name == "mnist" else ds.load_emnist
            self.progress.message(f"loading {name.upper()} test")
            try:
                x, y = load("test", data_dir=self.data_dir, download=self.download, verify=self.verify,
                            progress=self.progress.enabled)
                x = check_image_array(x, min_ndim=3, max_ndim=3, name=f"{name} test images")
                if x.shape[1:] != (28, 28) or len(x) != len(y):
                    raise ValueError(f"{name} test: expected (N, 28, 28) images and N labels, got "
                                     f"{x.shape} and {np.shape(y)}")
                self._parts[name] = (x.astype(np.uint8, copy=False), np.asarray(y).astype(np.int64))
            except _LOAD_ERRORS as exc:
                if self.strict:
                    raise
                reason = str(exc) if isinstance(exc, FileNotFoundError) else f"{type(exc).__name__}: {exc}"
                if not reason.lower().startswith(f"{name} unavailable"):
                    reason = f"{name.upper()} unavailable: {reason}"
                self._parts[name] = reason
        return self._parts[name]

    def _concat(self, names) -> _Data:
        loaded = {n: self._part(n) for n in names}
        ok = [n for n in names if not isinstance(loaded[n], str)]
        missing = [n for n in names if isinstance(loaded[n], str)]
        reasons = "; ".join(loaded[n] for n in missing)
        if not ok:
            return _Data(None, None, None, (), reasons)
        x = np.concatenate([loaded[n][0] for n in ok]) if len(ok) > 1 else loaded[ok[0]][0]
        y = np.concatenate([loaded[n][1] for n in ok]) if len(ok) > 1 else loaded[ok[0]][1]
        src = np.concatenate([np.full(len(loaded[n][1]), SOURCES.index(n), np.uint8) for n in ok])
        note = None
        if missing and len(names) > 1:
            note = f"{' + '.join(n.upper() for n in ok)} part only: {reasons}"
        return _Data(x, y, src, tuple(ok), note)

    def load(self, dataset: str) -> _Data:
        if dataset in ("mnist", "emnist"):
            return self._concat((dataset,))
        if dataset == "combined":
            return self._concat(SOURCES)
        if dataset == "augmented":
            base = self._concat(SOURCES)
            if base.images is None:
                return base
            from .transforms import augment_fixed

            self.progress.message(f"augmenting {len(base.images)} images (seed {self.seed})")
            x = augment_fixed(base.images, seed=self.seed)
            return _Data(x, base.labels, base.source, base.parts, base.note)
        corruption = dataset.split("/", 1)[1]
        base = self._concat(("mnist",))
        if base.images is None:
            return base
        from .corruptions import corrupt

        self.progress.message(f"corrupting MNIST test: {corruption}")
        return _Data(corrupt(base.images, corruption, seed=self.seed), base.labels, base.source, base.parts, None)


# --------------------------------------------------------------------------- evaluation


class _Progress:
    """Minimal stderr progress bar (no tqdm dependency); silent when disabled."""

    def __init__(self, enabled: bool, stream=None):
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self._last = 0.0

    def message(self, text: str) -> None:
        if self.enabled:
            print(f"[benchmark] {text}", file=self.stream, flush=True)

    def bar(self, label: str, done: int, total: int, started: float) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if done < total and now - self._last < 0.25:
            return  # throttle redraws
        self._last = now
        frac = done / total if total else 1.0
        filled = int(round(24 * frac))
        rate = done / max(time.perf_counter() - started, 1e-9)
        end = "\n" if done >= total else ""
        print(f"\r[benchmark] {label:<40.40} |{'#' * filled}{'.' * (24 - filled)}| {done}/{total} "
              f"({rate:,.0f} img/s)", end=end, file=self.stream, flush=True)


def make_predictor(model):
    """A ``uint8 (B, 28, 28) -> int labels (B,)`` function for a Keras model.

    Uses ``model.predict_on_batch`` (Keras' compiled predict step, without the
    ``tf.data`` pipeline ``model.predict`` builds); only the float32 conversion of
    each batch is added.  Measured against ``model.predict`` by
    ``benchmarks/benchmark.py``.
    """
    channel = tuple(model.input_shape)[1:] == (28, 28, 1)

    def predict(images):
        x = np.asarray(images, dtype=np.float32)
        if channel:
            x = x[..., None]
        return np.asarray(model.predict_on_batch(x)).argmax(axis=-1)

    return predict


def predict_labels(predictor, images, batch_size: int, on_batch=None) -> np.ndarray:
    """Labels for ``images`` (uint8 (N, 28, 28)) in batches of ``batch_size``."""
    out = np.empty(len(images), np.int64)
    for start in range(0, len(images), batch_size):
        stop = min(start + batch_size, len(images))
        out[start:stop] = predictor(images[start:stop])
        if on_batch is not None:
            on_batch(stop)
    return out


def _row(pred, data: _Data, dataset: str) -> dict:
    row = {"status": data.status, **error_summary(pred, data.labels), "note": data.note}
    if dataset in ("combined", "augmented"):
        row["by_source"] = {
            name: error_summary(pred[data.source == k], data.labels[data.source == k])
            for k, name in enumerate(SOURCES)
            if name in data.parts
        }
    return row


def _unavailable_row(data: _Data) -> dict:
    return {"status": "unavailable", "n": 0, "errors": None, "error_pct": None, "ci95_pct": None,
            "note": data.note}


def _summarise(rows: dict) -> dict:
    avail = {d: r for d, r in rows.items() if r["status"] != "unavailable"}
    primary = {d: r for d, r in avail.items() if not d.startswith("robustness/")}
    robust = {d: r for d, r in avail.items() if d.startswith("robustness/")}
    pool = primary or robust
    if not pool:
        return {"max": None, "min": None, "range": None, "mean": None, "worst": None, "best_dataset": None,
                "datasets": [], "partial": [], "robustness_mean": None, "robustness_max": None}
    errs = {d: r["error_pct"] for d, r in pool.items()}
    worst = max(errs, key=errs.get)
    best = min(errs, key=errs.get)
    summary = {
        "max": errs[worst],
        "min": errs[best],
        "range": errs[worst] - errs[best],
        "mean": float(np.mean(list(errs.values()))),
        "worst": worst,
        "best_dataset": best,
        "datasets": list(pool),
        "partial": [d for d, r in pool.items() if r["status"] == "partial"],
        "robustness_mean": None,
        "robustness_max": None,
    }
    if robust and primary:
        summary["robustness_mean"] = float(np.mean([r["error_pct"] for r in robust.values()]))
        summary["robustness_max"] = max(r["error_pct"] for r in robust.values())
    return summary


def pick_best(summary: dict) -> str | None:
    """The model with the lowest maximum error; ties broken by lower mean, then by name."""
    candidates = [(s["max"], s["mean"], name) for name, s in summary.items() if s["max"] is not None]
    return min(candidates)[2] if candidates else None


def benchmark(
    models=None,
    datasets=DEFAULT_DATASETS,
    data_dir=None,
    seed: int = 0,
    batch_size: int = 1024,
    strict: bool = False,
    progress: bool = False,
    *,
    download: bool = True,
    verify: bool = True,
) -> BenchmarkResult:
    """Evaluate models on the test splits of MNIST, EMNIST, their union, an augmented and corrupted copies.

    Args:
        models: a :class:`handdigits.Classifier`, a ``keras.Model`` (input
            ``(28, 28, 1)`` or ``(28, 28)`` float in [0, 255], output ``(10,)``), a
            path to a ``.keras`` file, or a dict ``name -> any of these``.
            Default: the bundled model (named ``"bundled"``).
        datasets: names from :data:`DATASETS` (see the module docstring);
            ``"robustness"`` expands to the nine ``"robustness/<corruption>"``
            sets.  Default: :data:`DEFAULT_DATASETS` (the robustness sets
            triple the run time, so they are opt-in).
        data_dir: data directory (``mnist/`` and ``emnist/`` inside); default
            ``$HANDDIGITS_DATA`` or ``~/.cache/handdigits``.
        seed: seed of the augmented and robustness sets (same seed, same images).
        batch_size: images per forward pass.
        strict: raise when a dataset cannot be loaded instead of reporting it as
            unavailable/partial.
        progress: print progress bars to stderr.
        download: let the loaders download missing files.
        verify: check the data files' sha256 against the known hashes (turn off
            only for your own files under the canonical names, e.g. test fixtures).

    Returns:
        A :class:`BenchmarkResult`.

    Raises:
        ValueError / TypeError: unknown dataset names, empty or wrongly typed
            ``models``, a model whose input is not 28×28 or whose output is not 10
            scores.
        FileNotFoundError (or the loader's error): with ``strict=True``, when a
            dataset cannot be loaded.
    """
    names = _check_dataset_names(datasets)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    seed, batch_size = int(seed), int(batch_size)
    resolved = _check_models(models)
    bar = _Progress(bool(progress))
    loader = _Loader(data_dir, download, verify, seed, strict, bar)
    predictors = {name: make_predictor(m) for name, m in resolved.items()}
    started = time.perf_counter()

    results: dict = {name: {} for name in resolved}
    datasets_info: dict = {}
    timing = {name: {"seconds": 0.0, "images": 0} for name in resolved}
    for dataset in names:
        data = loader.load(dataset)  # once per dataset, shared by all models
        if strict and data.note:
            raise FileNotFoundError(f"dataset {dataset!r}: {data.note}")
        datasets_info[dataset] = {"status": data.status, "n": 0 if data.images is None else int(len(data.images)),
                                  "parts": list(data.parts), "note": data.note}
        if data.images is None:
            bar.message(f"{dataset}: unavailable ({data.note})")
        for name, predictor in predictors.items():
            if data.images is None:
                results[name][dataset] = _unavailable_row(data)
                continue
            t0 = time.perf_counter()
            label = f"{name} · {dataset}"
            pred = predict_labels(predictor, data.images, batch_size,
                                  on_batch=lambda done: bar.bar(label, done, len(data.images), t0))
            timing[name]["seconds"] += time.perf_counter() - t0
            timing[name]["images"] += int(len(data.images))
            results[name][dataset] = _row(pred, data, dataset)
        del data

    summary = {name: _summarise(results[name]) for name in resolved}
    for t in timing.values():
        t["images_per_second"] = t["images"] / t["seconds"] if t["seconds"] > 0 else None
        t["seconds"] = round(t["seconds"], 3)
    meta = {
        "seed": seed,
        "batch_size": batch_size,
        "wall_seconds": round(time.perf_counter() - started, 2),
        "models": timing,
        "corruptions": {d: CORRUPTIONS[d.split("/", 1)[1]] for d in names if d.startswith("robustness/")},
        "versions": _versions(),
    }
    return BenchmarkResult(list(resolved), names, datasets_info, results, summary, pick_best(summary), meta)


def _versions() -> dict:
    from . import __version__

    out = {"handdigits": __version__}
    for module in ("tensorflow", "keras", "numpy"):
        mod = sys.modules.get(module)
        if mod is not None:
            out[module] = getattr(mod, "__version__", None)
    return out


__all__ = ["BenchmarkResult", "DATASETS", "DEFAULT_DATASETS", "ROBUSTNESS", "benchmark", "make_predictor",
           "pick_best", "predict_labels"]

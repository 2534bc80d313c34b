"""The result of :func:`handdigits.benchmark`: tables (markdown), JSON and a bar chart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from .validation import describe

FORMAT = "handdigits-benchmark/1"


@dataclass
class BenchmarkResult:
    """The outcome of :func:`benchmark`.

    Attributes:
        models: model names, in evaluation order.
        datasets: dataset names, in evaluation order.
        datasets_info: ``{dataset: {"status": "ok"|"partial"|"unavailable", "n", "note", "label",
            "preprocess", "parts", "info"}}``; ``note`` says what is missing or partial and why
            (``None`` when complete); ``label`` is the name shown in reports (e.g.
            ``"emnist-partial"`` when only part of EMNIST test was available); ``preprocess``
            whether the images went through the classifier's preprocessing.
        results: ``{model: {dataset: row}}``; a row is ``{"status", "n", "errors",
            "error_pct", "ci95_pct": [low, high], "ece_pct", "refused", "refused_pct",
            "note"}`` (numbers are ``None`` when unavailable; a refusal counts as an error
            on a digit and as correct where the label is -1) plus ``"by_source":
            {"mnist": {...}, "emnist": {...}}`` for the combined and augmented sets.
        summary: ``{model: {"max", "min", "range", "mean", "worst", "best_dataset",
            "datasets", "partial"}}`` over the model's available datasets (error %;
            ``range`` is worst − best).  The ``robustness/*`` sets are summarised
            separately (``"robustness_mean"``, ``"robustness_max"``) unless they
            are the only ones evaluated, and so are the ``realworld/*`` sets
            (``"realworld_mean"``, ``"realworld_max"``).
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
            "format": FORMAT,
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
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
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
            "| model | dataset | input | n | errors | error % | 95 % CI (Wilson) | ECE % | refused |",
            "|---|---|---|---:|---:|---:|---|---:|---:|",
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
                info = self.datasets_info[dataset]
                label = info.get("label", dataset)
                if row["status"] == "unavailable":
                    dashes = " – |" * 3 + " unavailable |" + " – |" * 3
                    lines.append(f"| {model} | {label}{mark(row['note'])} |{dashes}")
                    continue
                label += (" (partial)" if row["status"] == "partial" else "") + mark(row["note"])
                kind = "preprocessed" if info.get("preprocess") else "raw"
                lines.append(f"| {model} | {label} | {kind} | {_fmt_row(row)} |")
                for source, sub in row.get("by_source", {}).items() if len(row.get("by_source", {})) > 1 else ():
                    lines.append(f"| {model} | {dataset} · {source} part | {kind} | {_fmt_row(sub)} |")
        lines += ["", "| model | mean % | best % | worst % | range (pp) | worst dataset | robustness mean % "
                  "| real-world mean % |", "|---|---:|---:|---:|---:|---|---:|---:|"]
        for model in self.models:
            s = self.summary[model]
            if s["max"] is None:
                lines.append(f"| {model} | – | – | – | – | nothing evaluated | – | – |")
                continue
            rob, real = s.get("robustness_mean"), s.get("realworld_mean")
            lines.append(
                f"| {model}{' **(best)**' if model == self.best else ''} | {s['mean']:.2f} | {s['min']:.2f} "
                f"| {s['max']:.2f} | {s['range']:.2f} | {s['worst']} | {_pct(rob)} | {_pct(real)} |"
            )
        partial = sorted({d for m in self.models for d in self.summary[m].get("partial") or []})
        if partial:
            lines += ["", f"The summary includes partial datasets ({', '.join(partial)}): see the notes."]
        if any(d.startswith("realworld/") or self.datasets_info[d].get("preprocess") for d in self.datasets):
            lines += ["", "Preprocessed sets go through the classifier's preprocessing; an image it refuses "
                      "counts as an error, except where no digit is shown (label -1, e.g. realworld/empty), "
                      "where refusing is right. ECE: expected calibration error over the answered digits, "
                      "15 bins."]
        if "realworld/numbers" in self.datasets:
            lines += ["", "realworld/numbers: whole numbers read with Classifier.read; a number is right only when "
                      "read exactly (every digit, none missing or extra), refused when no ink was found."]
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
        self._tick_labels(ax)
        ax.set_ylabel("test error % (95 % Wilson interval)")
        ax.set_ylim(0, max(1.0, top * 1.2))
        ax.set_title(title or "handdigits benchmark")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return path

    def _tick_labels(self, ax) -> None:
        """One label per dataset under its bar group; unavailable and partial sets say so."""
        labels = []
        for j, dataset in enumerate(self.datasets):
            info = self.datasets_info[dataset]
            if info["status"] == "unavailable":
                labels.append(f"{dataset}\n(unavailable)")
                ax.text(j, 0, "n/a", ha="center", va="bottom", fontsize=8, color="grey")
            elif info["status"] == "partial":
                labels.append(f"{info.get('label', dataset)}*\n(partial, n={info['n']:,})")
            else:
                labels.append(info.get("label", dataset).replace("robustness/", "robust./"))
        wide = len(labels) > 6
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=30 if wide else 0, ha="right" if wide else "center", fontsize=8)


def _pct(value) -> str:
    return "–" if value is None else f"{value:.2f}"


def _fmt_row(row) -> str:
    lo, hi = row["ci95_pct"]
    refused = row.get("refused")
    refused = "–" if refused is None else f"{refused} ({row['refused_pct']:.1f} %)"
    return (f"{row['n']} | {row['errors']} | {row['error_pct']:.2f} | [{lo:.2f}, {hi:.2f}] "
            f"| {_pct(row.get('ece_pct'))} | {refused}")


__all__ = ["FORMAT", "BenchmarkResult"]

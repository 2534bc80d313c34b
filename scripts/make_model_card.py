"""Write docs/model-card.md for the bundled model from its metadata and a fresh benchmark run.

Every number in the card comes from ``<weights>/metadata.json`` (written by
``handdigits.train``) or from :func:`handdigits.benchmark` run here; nothing is
typed by hand.  Re-run it whenever the bundled model changes::

    python scripts/make_model_card.py --data-dir ../shared/data [--no-download]
        [--weights src/handdigits/weights] [--output docs/model-card.md]
        [--json docs/model-card.json] [--plot docs/benchmark.png]
        [--candidate NAME=DIR ...]

With ``--candidate`` (a training output directory holding ``model.keras`` and
``metadata.json``), the card also shows how the bundled model was chosen:
every candidate's error on the validation hold-out (clean and augmented with
the fixed seed), the choice by the lowest maximum validation error, and, for
information only, the test-set benchmark of all candidates.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _fmt_seconds(s) -> str:
    if s is None:
        return "unknown"
    s = float(s)
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min" if s < 7200 else f"{s / 3600:.1f} h"


def _pct(summary) -> str:
    lo, hi = summary["ci95_pct"]
    return f"{summary['error_pct']:.2f} % [{lo:.2f}, {hi:.2f}] ({summary['errors']}/{summary['n']})"


def validation_errors(model_path: Path, data_dir, seed: int, download: bool) -> dict:
    """Error on the training recipe's validation hold-out: clean and under ``augment_fixed(seed)``."""
    import keras

    import numpy as np

    from handdigits.metrics import error_summary
    from handdigits.train import load_training_data, split_validation
    from handdigits.transforms import augment_fixed

    meta = json.loads((model_path.parent / "metadata.json").read_text())
    data = meta.get("data", {})
    x, y, _ = load_training_data(data.get("requested", "both"), data_dir, download, data.get("limit"))
    recipe = meta.get("recipe", {})
    _, (xv, yv) = split_validation(x, y, data.get("validation_n", 5000), recipe.get("validation_split_seed", 0))
    model = keras.saving.load_model(model_path, compile=False, safe_mode=True)
    result = {}
    for name, images in (("clean", xv), ("augmented", augment_fixed(xv, seed=seed))):
        proba = np.concatenate([np.asarray(model.predict_on_batch(images[i : i + 1024, ..., None].astype(np.float32)))
                                for i in range(0, len(images), 1024)])
        result[name] = error_summary(proba.argmax(axis=1), yv)
        result[f"nll_{name}"] = float(-np.log(np.clip(proba[np.arange(len(yv)), yv], 1e-12, 1.0)).mean())
    return {
        **result,
        "architecture": meta.get("architecture", {}).get("name"),
        "parameters": meta.get("architecture", {}).get("parameters"),
        "wall_seconds": meta.get("wall_seconds"),
        "size_bytes": model_path.stat().st_size,
    }


def selection_key(v: dict) -> tuple[float, float]:
    """Rank: the lower maximum validation error, then the lower mean validation cross-entropy."""
    return max(v["clean"]["error_pct"], v["augmented"]["error_pct"]), (v["nll_clean"] + v["nll_augmented"]) / 2


def render_selection(selection: dict, result, bundled_name: str) -> list[str]:
    """Markdown lines for the "how the model was chosen" section."""
    out = ["## How this model was chosen\n",
           "Each candidate was trained by `handdigits.train` on the same data and validation hold-out. "
           "The choice uses the validation hold-out only (never the test sets): the error on the clean "
           "hold-out and on the hold-out under `augment_fixed` (seed 0); the lowest maximum of the two wins. "
           "Error counts out of 5,000 tie easily, so ties are broken by the lower mean cross-entropy on the "
           "two hold-outs (a proper scoring rule that uses every prediction, not only the few errors).\n",
           "| candidate | architecture | parameters | file size | training wall time | validation error | "
           "augmented validation error | max | cross-entropy (clean / augmented) |",
           "|---|---|---|---|---|---|---|---|---|"]
    ranked = sorted(selection.items(), key=lambda kv: selection_key(kv[1]))
    for name, v in ranked:
        worst = max(v["clean"]["error_pct"], v["augmented"]["error_pct"])
        params = f"{v['parameters']:,}" if isinstance(v["parameters"], int) else "?"
        out.append(f"| {name} | `{v['architecture']}` | {params} | {v['size_bytes'] / 1e6:.1f} MB | "
                   f"{_fmt_seconds(v['wall_seconds'])} | {_pct(v['clean'])} | {_pct(v['augmented'])} | {worst:.2f} % | "
                   f"{v['nll_clean']:.4f} / {v['nll_augmented']:.4f} |")
    chosen = ranked[0][0]
    out.append("")
    out.append(f"Chosen by validation: **{chosen}**" + (" (the bundled model)." if chosen == bundled_name else
                                                         f"; the bundled model is **{bundled_name}**."))
    if len(result.models) > 1:
        out.append(f"By the benchmark's rule on the test sets (lowest maximum test error) the best is "
                   f"**{result.best}**; shown for information, not used for the choice.\n")
        out.append("| candidate | max test error | min | range | mean |\n|---|---|---|---|---|")
        for name in result.models:
            s = result.summary[name]
            if s["max"] is not None:
                out.append(f"| {name} | {s['max']:.2f} % | {s['min']:.2f} % | {s['range']:.2f} | {s['mean']:.2f} % |")
    out.append("")
    return out


def render(meta: dict, result, *, weights: Path, bench_seconds: float, command: str, selection=None) -> str:
    """The model card as Markdown (``meta``: metadata.json; ``result``: a BenchmarkResult)."""
    arch = meta.get("architecture", {})
    data = meta.get("data", {})
    recipe = meta.get("recipe", {})
    env = meta.get("environment", {})
    model = "bundled"
    s = result.summary[model]
    out = []
    w = out.append
    w("# Model card: the bundled handdigits model\n")
    w(f"_Generated by `{command}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC from "
      f"`{weights.relative_to(REPO) if weights.is_relative_to(REPO) else weights}/metadata.json` and a benchmark "
      "run; do not edit by hand._\n")

    w("## Model\n")
    w(f"- Architecture: `{arch.get('name')}`: {arch.get('description')}")
    w(f"- Parameters: {arch.get('parameters', 'unknown'):,}" if isinstance(arch.get("parameters"), int)
      else f"- Parameters: {arch.get('parameters', 'unknown')}")
    w(f"- Input: {arch.get('input')}; output: softmax over the digits 0-9")
    w(f"- File: `{meta.get('file')}`, sha256 `{meta.get('sha256')}`")
    w(f"- Format: `{meta.get('format')}`\n")

    w("## Intended use\n")
    w("Recognising single handwritten digits (0-9) in images: scans, photos or drawings, through "
      "`handdigits.Classifier`, which first converts any image to the MNIST format (28×28, white ink on "
      "black, centred by mass). Suitable for teaching, demos, form fields with one digit per box and as a "
      "baseline for research. Not for decisions about people without human review.\n")

    w("## Limits\n")
    w("- One digit per image: it always answers one of 0-9; it cannot say \"not a digit\" (look at the "
      "probability, and reject low-confidence answers yourself).")
    w("- Trained on Western Arabic digits written by (mostly) US writers: other scripts and digit styles "
      "are out of distribution.")
    w("- Multi-digit numbers must be segmented first; touching digits are not handled.")
    w("- Accuracy depends on preprocessing: very low contrast, cluttered backgrounds or strong "
      "perspective hurt (see the robustness rows below).")
    emnist = data.get("emnist", {})
    if emnist and not emnist.get("available", True):
        w(f"- **EMNIST was not used in training**: {emnist.get('reason')}")
    if data.get("limit"):
        w(f"- **Trained on a subset**: `limit={data['limit']}` images (a development model, not the release one).")
    w("")

    w("## Training data and recipe\n")
    w(f"- Datasets requested: `{data.get('requested')}`; used: {', '.join(data.get('used', [])) or 'none'}")
    if "mnist_train_n" in data:
        w(f"- MNIST train images: {data['mnist_train_n']:,}")
    if emnist.get("available"):
        w(f"- EMNIST digits train images: {emnist.get('train_n', 0):,}, of which "
          f"{emnist.get('dropped_duplicates_of_mnist_test', 0):,} duplicates of MNIST test images were dropped")
    w(f"- Training / validation split: {data.get('train_n', 0):,} / {data.get('validation_n', 0):,} images")
    for key, digest in (data.get("hashes") or {}).items():
        w(f"- sha256 of `{key}` arrays: `{digest}`")
    w(f"- Epochs: {recipe.get('epochs_completed')} of {recipe.get('epochs')}, batch size {recipe.get('batch_size')}, "
      f"{recipe.get('optimizer')} at learning rate {recipe.get('learning_rate')}, {recipe.get('schedule')}")
    w(f"- Augmentation: `default_augmentation(strength={recipe.get('augmentation_strength')})` "
      "(see `handdigits.transforms`)" if recipe.get("augmentation") else "- Augmentation: none")
    w(f"- Seed: {recipe.get('seed')}; distribution strategy: {recipe.get('strategy')}")
    if recipe.get("command"):
        w(f"- Command: `{recipe['command']}`")
    w(f"- Trained on: {env.get('cpu')} ({env.get('cpu_count')} CPUs), Python {env.get('python')}, "
      f"TensorFlow {env.get('tensorflow')}, Keras {env.get('keras')}")
    w(f"- Training wall time: {_fmt_seconds(meta.get('train_wall_seconds'))} "
      f"(including evaluation: {_fmt_seconds(meta.get('wall_seconds'))})")
    if "validation" in meta:
        w(f"- Validation error (hold-out of the training data): {_pct(meta['validation'])}")
    w("")

    if selection:
        out.extend(render_selection(selection, result, _bundled_candidate(selection, meta)))

    w("## Results\n")
    w("Test error with 95 % Wilson intervals, from `handdigits.benchmark` "
      f"(seed {result.meta.get('seed')}; robustness sets: MNIST test under one fixed corruption each).\n")
    w(result.to_markdown())
    if len(result.models) > 1:
        w("_All candidates are shown; the rows named `bundled` are the bundled model._\n")
    if s["max"] is not None:
        w(f"Worst case over the main test sets: **{s['max']:.2f} %** ({s['worst']}); best: {s['min']:.2f} % "
          f"({s['best_dataset']}); range {s['range']:.2f} percentage points.")
        if s.get("robustness_mean") is not None:
            w(f"Mean error over the {sum(d.startswith('robustness/') for d in result.datasets)} corruptions: "
              f"**{s['robustness_mean']:.2f} %** (worst {s['robustness_max']:.2f} %).")
        w("")
    corruptions = result.meta.get("corruptions") or {}
    if corruptions:
        w("Corruptions (one fixed severity each, deterministic given the seed):\n")
        w("| set | corruption |\n|---|---|")
        for name, desc in corruptions.items():
            w(f"| {name} | {desc} |")
        w("")
    timing = result.meta.get("models", {}).get(model, {})
    versions = result.meta.get("versions", {})
    w("## Benchmark run\n")
    w(f"- Wall time: {_fmt_seconds(bench_seconds)} in all (data loading, augmentation and corruption included); "
      f"inference {timing.get('seconds')} s for {timing.get('images', 0):,} images "
      f"({(timing.get('images_per_second') or 0):,.0f} images/s)")
    w(f"- Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
      + ", ".join(f"{k} {v}" for k, v in versions.items()))
    w(f"- Regenerate: `{command}`\n")
    return "\n".join(out) + "\n"


def _bundled_candidate(selection: dict, meta: dict) -> str:
    """The candidate whose validation numbers match the bundled model's architecture and file size."""
    for name, v in selection.items():
        if v["architecture"] == meta.get("architecture", {}).get("name") and v.get("sha256") == meta.get("sha256"):
            return name
    return "bundled"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="data directory (mnist/, emnist/ inside)")
    parser.add_argument("--weights", type=Path, default=REPO / "src" / "handdigits" / "weights",
                        help="directory with the model and metadata.json (default: the bundled weights)")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "model-card.md")
    parser.add_argument("--json", type=Path, default=None, help="also write the benchmark result as JSON")
    parser.add_argument("--plot", type=Path, default=None, help="also write the benchmark bar chart (PNG)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-download", dest="download", action="store_false")
    parser.add_argument("--candidate", action="append", default=[], metavar="NAME=DIR",
                        help="a candidate's training output directory (repeatable)")
    parser.add_argument("--no-robustness", dest="robustness", action="store_false",
                        help="skip the nine robustness sets")
    args = parser.parse_args(argv)

    from handdigits.benchmark import DEFAULT_DATASETS, benchmark

    meta_path = args.weights / "metadata.json"
    meta = json.loads(meta_path.read_text())
    model_path = args.weights / meta.get("file", "model.keras")
    datasets = DEFAULT_DATASETS + (("robustness",) if args.robustness else ())
    started = time.perf_counter()
    candidates = {}
    for spec in args.candidate:
        name, sep, directory = spec.partition("=")
        if not sep or not name or not directory:
            parser.error(f"--candidate expects NAME=DIR, got {spec!r}")
        candidates[name] = Path(directory) / "model.keras"
    models = {"bundled": str(model_path), **{n: str(p) for n, p in candidates.items()}}
    result = benchmark(models, datasets=datasets, data_dir=args.data_dir, seed=args.seed,
                       progress=True, download=args.download)
    selection = {}
    for name, path in candidates.items():
        print(f"validation errors of {name} ...", file=sys.stderr)
        selection[name] = validation_errors(path, args.data_dir, args.seed, args.download)
        selection[name]["sha256"] = json.loads((path.parent / "metadata.json").read_text()).get("sha256")
    elapsed = time.perf_counter() - started
    command = "python scripts/make_model_card.py " + " ".join(argv if argv is not None else sys.argv[1:])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(meta, result, weights=args.weights.resolve(), bench_seconds=elapsed,
                                  command=command.strip(), selection=selection))
    print(f"wrote {args.output} ({elapsed:.0f} s)", file=sys.stderr)
    if args.json:
        args.json.write_text(result.to_json())
    if args.plot:
        result.plot(args.plot, title="bundled model: test error by dataset")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

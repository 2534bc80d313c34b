"""Write docs/model-card.md for the bundled model from its metadata and fresh measurements.

Every number in the card comes from ``<weights>/metadata.json`` (written by
``handdigits.train``) or is measured here; nothing is typed by hand.  Re-run it
whenever the bundled model changes::

    python scripts/make_model_card.py --data-dir ../shared/data
        [--weights src/handdigits/weights] [--output docs/model-card.md]
        [--json docs/model-card.json] [--plot docs/images/benchmark.png]
        [--candidate NAME=DIR ...] [--ablation WITH=DIR,WITHOUT=DIR] [--kept-because TEXT]
        [--reading-seeds SEED ...]

``--candidate`` names training output directories (``model.keras`` +
``metadata.json``).  All candidates are measured on the bundled model's
validation hold-out (rebuilt with :func:`handdigits.assembly.training_sets`
from its metadata: MNIST, EMNIST, synthetic digits of held-out styles and
synthetic non-digits), and the card shows how the bundled one was chosen —
on validation data only.  ``--ablation`` names two runs of one recipe, with
and without the synthetic data, whose test results are shown side by side.
When the validation rule picks a candidate other than the bundled model, the
card says so, with ``--kept-because`` as the reason the bundled one is kept.
The reading model (``<weights>/reading``, what ``Classifier.read`` uses) gets a
section of its own: its metadata, and ``realworld/numbers`` read exactly per
seed (``--reading-seeds``), against the digit model reading the same numbers.
``--update-reading`` measures only that section again and replaces it in the
existing card (after a change to the reader; the rest of the card, and the
candidate runs it was made from, are left as they are), saying when and how;
``--update-realworld`` does the same for the bundled model's ``realworld/*``
rows of the results table (after a change to the preprocessing).
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
NONDIGIT_TEST_N = 3000
CURVE_THRESHOLDS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)


def _fmt_seconds(s) -> str:
    if s is None:
        return "unknown"
    s = float(s)
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min" if s < 7200 else f"{s / 3600:.1f} h"


def _pct(summary) -> str:
    lo, hi = summary["ci95_pct"]
    return f"{summary['error_pct']:.2f} % [{lo:.2f}, {hi:.2f}] ({summary['errors']}/{summary['n']})"


def _rel(path: Path) -> str:
    path = Path(path).resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


# --------------------------------------------------------------------------- measurements


def validation_set(meta: dict, data_dir, download: bool):
    """The bundled model's validation hold-out ``(images, labels, source)``, rebuilt from its metadata."""
    from handdigits.assembly import training_sets

    data, recipe = meta.get("data", {}), meta.get("recipe", {})
    synthetic, rendered = data.get("synthetic", {}), data.get("rendered", {})
    _, (xv, yv, source), _ = training_sets(
        data.get("requested", "both"), data_dir=data_dir, download=download, verify=data.get("verified", True),
        validation=recipe.get("validation", 5000) if "validation" in recipe else 5000,
        split_seed=recipe.get("validation_split_seed", 0), limit=data.get("limit"),
        synthetic=synthetic.get("digits", 0), nondigits=synthetic.get("nondigits", 0),
        photos=rendered.get("photos", 0), pairs=rendered.get("pairs", 0), numbers=rendered.get("numbers", 0),
        log=lambda msg: None,
    )
    return xv, yv, source


def raw_outputs(classifier, images) -> np.ndarray:
    """The model's raw outputs (10 or 11 columns) for MNIST-format images."""
    return classifier._raw(images, False, "raise")[0]


def validation_scores(classifier, xv, yv, source) -> dict:
    """Per-source validation errors, cross-entropy and the reject threshold's effect (validation only)."""
    from handdigits import decision
    from handdigits.assembly import NOT_A_DIGIT
    from handdigits.metrics import error_summary
    from handdigits.train import reject_record

    raw = raw_outputs(classifier, xv)
    digits = yv != NOT_A_DIGIT
    proba = decision.digit_proba(raw)
    pred = proba.argmax(axis=1)
    by_source = {name: error_summary(pred[(source == name) & digits], yv[(source == name) & digits])
                 for name in dict.fromkeys(source[digits])}
    nll = float(-np.log(np.clip(proba[digits, yv[digits]], 1e-12, 1.0)).mean())
    return {"overall": error_summary(pred[digits], yv[digits]), "by_source": by_source, "nll": nll,
            "max": max(v["error_pct"] for v in by_source.values()), "reject": reject_record(raw, yv, source)}


def nondigit_test(classifier, rule: dict, seed: int = 0) -> dict:
    """Held-out non-digits (the synthetic generator's ``test`` split: letters N-Z, shapes never trained on)
    rejected by ``rule`` (``{"min_confidence", "max_not_digit"}``, see :func:`handdigits.decision.decide`)."""
    from handdigits import decision
    from handdigits.datasets import load_synthetic

    x, _ = load_synthetic(NONDIGIT_TEST_N, kind="nondigits", split="test", seed=seed)
    labels = decision.decide(raw_outputs(classifier, x), rule["min_confidence"], rule.get("max_not_digit"))
    return {"n": int(len(x)), "rejected_pct": 100.0 * float((labels == decision.REJECTED).mean())}


def coverage(raw, labels) -> tuple[np.ndarray, np.ndarray]:
    """Confidence and correctness of every image from raw outputs (unreadable ones: confidence -1, wrong)."""
    from handdigits import decision

    return np.nan_to_num(decision.confidence(raw), nan=-1.0), decision.decide(raw) == np.asarray(labels)


# --------------------------------------------------------------------------- rendering


def reading_scores(bundled, seeds, data_dir) -> dict:
    """``realworld/numbers`` read by the bundled reading model and by the digit model (the ``Classifier()``
    ``bundled`` reading with its own model): one benchmark row per seed."""
    from handdigits import Classifier
    from handdigits.benchmark import benchmark

    models = {"reading model": bundled, "without pairs": Classifier(pair_model=False),
              "digit model": Classifier(reading_model="same")}
    rows = {}
    for seed in seeds:
        result = benchmark(models, datasets=("realworld/numbers",), data_dir=data_dir, seed=seed, progress=True)
        rows[seed] = {name: result.results[name]["realworld/numbers"] for name in models}
    return rows


def render_reading(meta: dict, scores: dict, pair_meta: dict | None = None) -> list:
    """The card's section on the bundled reading model (``weights/reading``) and pair model (``weights/pairs``),
    from their metadata and ``scores``."""
    recipe, data = meta.get("recipe", {}), meta.get("data", {})
    test = (meta.get("test") or {}).get("mnist_test") or {}
    init = recipe.get("init_from") or {}
    out = ["## The reading model\n",
           "`Classifier.read` classifies the candidate digits it cuts from a number with a second bundled model "
           "(`weights/reading/`; `Classifier.reader`): the model above fine-tuned on the reader's own candidates "
           "(`--numbers`: crops cut from generated numbers of MNIST *train* digits, labelled with their digit or "
           "\"not a digit\" where two digits are merged). `predict` never uses it.\n",
           f"- File: `{meta.get('file')}`, sha256 `{meta.get('sha256')}`; same architecture "
           f"(`{meta.get('architecture', {}).get('name')}`)",
           f"- Fine-tuned from: sha256 `{str(init.get('sha256'))[:12]}…`, {recipe.get('epochs_completed')} epochs, "
           f"learning rate {recipe.get('learning_rate')}, {data.get('rendered', {}).get('numbers', 0):,} reader "
           f"candidates, seed {recipe.get('seed')}",
           f"- Command: `{recipe.get('command')}`"]
    if test:
        out.append(f"- MNIST test through `predict` with this model (recorded at training): {_pct(test)}; "
                   "the digit model keeps single digits")
    if pair_meta:
        out += _render_pairs(pair_meta)
    out += ["", "Numbers of `realworld/numbers` (generated from MNIST *test* and scikit-learn digits, about 20 % "
            "with touching neighbours) read exactly, per seed (`handdigits.benchmark`, "
            "`datasets=(\"realworld/numbers\",)`):\n",
            "| seed | n | reading model and pair model: read exactly | without the pair model (`pair_model=False`) "
            "| digit model and pair model (`reading_model=\"same\"`) |",
            "|---:|---:|---:|---:|---:|"]
    for seed, row in scores.items():
        a, p, b = row["reading model"], row["without pairs"], row["digit model"]
        out.append(f"| {seed} | {a['n']} | {100 - a['error_pct']:.1f} % | {100 - p['error_pct']:.1f} % "
                   f"| {100 - b['error_pct']:.1f} % |")
    out.append("")
    return out


def render(meta, result, *, selection, chosen, reject, curves, ablation, command, seconds, suite=None,
           kept_because=None, reading=None) -> str:
    from handdigits import decision

    arch, data, recipe, env = (meta.get(k, {}) for k in ("architecture", "data", "recipe", "environment"))
    out = []
    w = out.append
    w("# Model card: the bundled handdigits model\n")
    w(f"_Generated by `{command}` on {_stamp()} from "
      "`src/handdigits/weights/metadata.json` and fresh measurements; do not edit by hand._\n")

    w("## Model\n")
    w(f"- Architecture: `{arch.get('name')}`: {arch.get('description')}")
    w(f"- Parameters: {arch.get('parameters', 0):,}")
    classes = arch.get("classes", 10)
    w(f"- Input: {arch.get('input')}; output: softmax over "
      + ("the digits 0-9 and \"not a digit\" (11 classes)" if classes == 11 else "the digits 0-9"))
    w(f"- File: `{meta.get('file')}`, sha256 `{meta.get('sha256')}`")
    for key in ("tflite", "onnx"):
        value = meta.get(key)
        if isinstance(value, dict) and value.get("sha256"):
            w(f"- Derived `{value.get('file', key)}` (generated by `scripts/bundle_model.py`): sha256 `{value['sha256']}`")
    wise = meta.get("recipe", {}).get("wise_ft")
    if wise:
        w(f"- Weights: WiSE-FT mix, {wise['alpha']:g} × fine-tuned (`{wise['tuned']['run']}`) + "
          f"{1 - wise['alpha']:g} × the model it started from (sha256 `{wise['init_from']['sha256'][:12]}…`)")
    cal = meta.get("calibration") or {}
    if cal:
        w(f"- Calibration: temperature {cal['temperature']} fitted on the validation hold-out "
          f"({'applied: baked into the weights' if cal.get('applied', True) else 'not applied: it did not lower the ECE'}); "
          f"validation ECE {cal['ece_pct_before']:.2f} % → {cal['ece_pct_after']:.2f} %")
    w("")

    w("## Intended use\n")
    w("Recognising handwritten digits (0-9) in images — scans, photos, drawings — through "
      "`handdigits.Classifier`, which first converts any image to the MNIST format, and whole numbers "
      "through `Classifier.read`. Teaching, demos, form fields, meter readings, research baselines. "
      "Not for decisions about people without human review.\n")
    w("## Limits\n")
    w("- Western Arabic digits only. Styles beyond MNIST's (European 1, 7 with a bar, closed 4, …) were "
      "learnt from synthetic handwriting, not from real writers of those styles.")
    w("- By default it always answers a digit; `Classifier(min_confidence=\"auto\")` answers -1 for images "
      "it judges not to be digits or is unsure about (see below). Digit look-alike letters (O, I, l, S, Z, B, "
      "G, q) are read as digits.")
    emnist = data.get("emnist", {})
    if emnist.get("partial"):
        w(f"- EMNIST was used only in part: {emnist.get('train_n', 0):,} real training images "
          f"(indices {emnist.get('indices')}) of {emnist.get('of', 240000):,}.")
    elif emnist and not emnist.get("available", True):
        w(f"- **EMNIST was not used in training**: {emnist.get('reason')}")
    w("")

    w("## Training data and recipe\n")
    w("| source | training images | validation images |\n|---|---:|---:|")
    for name, counts in (data.get("sources") or {}).items():
        w(f"| {name} | {counts['train_n']:,} | {counts['validation_n']:,} |")
    w("")
    syn = data.get("synthetic") or {}
    if syn:
        splits = syn.get("splits", {})
        held = {d: [s for s in splits.get("validation", {}).get("digits", {}).get(d, [])] for d in map(str, range(10))}
        w(f"Synthetic data: `{syn.get('generator')}` version {syn.get('version')}. Validation uses digit styles, "
          "letters and shapes that training never sees:\n")
        w("- held-out digit styles: " + "; ".join(f"{d}: {', '.join(v)}" for d, v in held.items() if v))
        nd = splits.get("validation", {}).get("nondigits", {})
        w(f"- held-out non-digits: letters {''.join(nd.get('letters', []))}; shapes {', '.join(nd.get('shapes', []))}")
        for font in syn.get("fonts", []):
            w(f"- font {font['name']} ({font['licence']}; {font['source']}), training only")
        w("")
    rendered = data.get("rendered") or {}
    if rendered:
        w(f"Rendered data (`handdigits.datasets.rendered` version {rendered.get('version')}): `photos` are MNIST "
          f"*train* digits drawn in the real-world conditions ({', '.join(rendered.get('kinds', []))}) and "
          f"preprocessed back ({rendered.get('photos_kept', 0):,} of {rendered.get('photos', 0):,} kept; the "
          "others were refused by preprocessing); `pairs` are two touching MNIST train digits labelled \"not a "
          "digit\"; `numbers` are the candidates `Classifier.read` cuts from generated numbers of MNIST train "
          "digits, labelled with their digit or \"not a digit\" when they merge two. Their validation images "
          "are renders of MNIST's held-out digits. **The `realworld/*` rows "
          "below use the same renderer** (on MNIST *test* and scikit-learn digits), so for this model they "
          "measure the rendered conditions, not conditions nobody rendered.\n")
    init = recipe.get("init_from") or {}
    if init:
        w(f"- Fine-tuned from `{init.get('architecture') or init.get('file')}` (sha256 `{init.get('sha256')}`), "
          "member *i* from member *i*")
    w(f"- Epochs: {recipe.get('epochs_completed')} of {recipe.get('epochs')}, batch size {recipe.get('batch_size')}, "
      f"{recipe.get('optimizer')} at learning rate {recipe.get('learning_rate')}, {recipe.get('schedule')}")
    w(f"- Augmentation: `default_augmentation(strength={recipe.get('augmentation_strength')})`; "
      f"low-resolution views with probability {recipe.get('lowres', 0)}")
    w(f"- Seeds: {recipe.get('member_seeds', recipe.get('seed'))}; validation split seed "
      f"{recipe.get('validation_split_seed')}")
    if recipe.get("command"):
        w(f"- Command: `{recipe['command']}`")
    if wise and wise.get("command"):
        w(f"- Then: `{wise['command']}`")
    w(f"- Trained on: {env.get('cpu')} ({env.get('cpu_count')} CPUs), Python {env.get('python')}, "
      f"TensorFlow {env.get('tensorflow')}, Keras {env.get('keras')}")
    w(f"- Training wall time: {_fmt_seconds(meta.get('train_wall_seconds'))} "
      f"(including evaluation: {_fmt_seconds(meta.get('wall_seconds'))})\n")

    if selection:
        w("## How this model was chosen\n")
        w("Every candidate is measured on the same validation hold-out (never on test sets): MNIST's 5,000 "
          "held-out training images, the held-out part of EMNIST, synthetic digits in held-out styles"
          + (", and renders of MNIST's held-out digits as photos (`photos`)" if data.get("rendered") else "") + ". "
          "As in the project's first comparisons, the lowest **maximum** error over these sources wins; ties "
          "go to the lower cross-entropy. The non-digit column is the share of held-out validation non-digits "
          "rejected at the threshold that answers 99.5 % of MNIST validation digits.\n")
        sources = list(dict.fromkeys(s for v in selection.values() for s in v["by_source"]))
        w("| candidate | " + " | ".join(f"{s} validation error" for s in sources)
          + " | max | cross-entropy | non-digits rejected |")
        w("|---|" + "---|" * len(sources) + "---:|---:|---:|")
        for name, v in sorted(selection.items(), key=lambda kv: (kv[1]["max"], kv[1]["nll"])):
            cells = " | ".join(_pct(v["by_source"][s]) if s in v["by_source"] else "–" for s in sources)
            rej = v["reject"].get("nondigits_rejected_pct")
            w(f"| {name} | {cells} | {v['max']:.2f} % | {v['nll']:.4f} | {'–' if rej is None else f'{rej:.1f} %'} |")
        if chosen == "bundled":
            w(f"\nChosen by validation: **{chosen}**.\n")
        else:
            def brief(v):
                rej = v["reject"].get("nondigits_rejected_pct")
                return f"max {v['max']:.2f} %" + ("" if rej is None else f", non-digits rejected {rej:.1f} %")

            w(f"\nThe rule picks **{chosen}** ({brief(selection[chosen])}) over the bundled model "
              f"({brief(selection['bundled'])})" + (f"; the bundled model is kept: {kept_because}\n" if kept_because
                                                    else ", which is not the one bundled.\n"))

    w("## Results on the test sets\n")
    w("Error with 95 % Wilson intervals and expected calibration error (ECE, 15 bins) from "
      f"`handdigits.benchmark` (seed {result.meta.get('seed')}). The `realworld/*` rows are generated photos "
      "and scans of digits no training run has seen (MNIST test, scikit-learn's digits), through the "
      "classifier's preprocessing; refusals count as errors, except on `realworld/empty` where refusing is "
      "right.\n")
    w(result.to_markdown())
    w("")
    if suite:
        w(f"Over the whole real-world suite ({suite['families']} digit families pooled, {suite['n']:,} images read) "
          f"the ECE is **{suite['ece_pct']:.2f} %**.\n")
    if ablation:
        with_name, without_name = ablation
        w("## Effect of the synthetic data\n")
        w(f"The same recipe (one member, same seed, same fine-tuning) with (`{with_name}`) and without "
          f"(`{without_name}`) the synthetic digits and non-digits:\n")
        w("| dataset | with synthetic | without |\n|---|---:|---:|")
        for dataset in result.datasets:
            a, b = result.results[with_name][dataset], result.results[without_name][dataset]
            if a.get("error_pct") is not None and b.get("error_pct") is not None:
                w(f"| {result.datasets_info[dataset].get('label', dataset)} | {a['error_pct']:.2f} % | {b['error_pct']:.2f} % |")
        w("")

    w("## Not a digit: the reject option\n")
    rule = reject["rule"]
    nd_limit = "none" if rule["max_not_digit"] is None else f"{rule['max_not_digit']:.4f}"
    w("`Classifier(min_confidence=\"auto\")` answers -1 when the model's \"not a digit\" probability is above "
      f"**{nd_limit}** or its confidence (the probability that its top digit is right) is below "
      f"**{rule['min_confidence']:.4f}**: the rule that answers {100 * decision.AUTO_COVERAGE:.1f} % of MNIST "
      f"*validation* digits, the confidence limit alone {100 * decision.AUTO_CONFIDENCE_COVERAGE:.1f} % "
      "(`handdigits.decision.reject_rule`, validation data only).\n")
    w("| model | max. not a digit | min. confidence | MNIST test answered | held-out non-digits rejected "
      "| rejected by the same kind of rule answering 99 % of MNIST test ¹ |")
    w("|---|---:|---:|---:|---:|---:|")
    for name, r in reject["models"].items():
        nd = "—" if r["max_not_digit"] is None else f"{r['max_not_digit']:.4f}"
        w(f"| {name} | {nd} | {r['min_confidence']:.4f} | {r['mnist_answered_pct']:.2f} % | {r['nondigits']['rejected_pct']:.1f} % "
          f"(of {r['nondigits']['n']:,}) | {r['nondigits_at_test_99']['rejected_pct']:.1f} % |")
    w("\n¹ A threshold chosen on the test set itself, shown only to compare with targets stated that way.")
    w("\nHeld-out non-digits: the synthetic generator's `test` split (letters N-Z and n-z without the digit "
      "look-alikes, stars, smileys, hearts, asterisks, suns), never used in training or for the threshold. "
      "A model without a \"not a digit\" output is thresholded on its top probability at the same MNIST "
      "coverage.\n")
    w("Coverage and error among the answered images (selective classification), bundled model:\n")
    w("| threshold | " + " | ".join(f"{name}: answered / error" for name in curves) + " |")
    w("|---:|" + "---|" * len(curves))
    for i, t in enumerate(CURVE_THRESHOLDS):
        cells = " | ".join(f"{rows[i]['coverage_pct']:.1f} % / {rows[i]['error_pct']:.2f} %" for rows in curves.values())
        w(f"| {t:.2f} | {cells} |")
    w("")

    if reading:
        out += render_reading(*reading)

    versions = result.meta.get("versions", {})
    w("## Measurement run\n")
    w(f"- Wall time: {_fmt_seconds(seconds)} in all")
    w(f"- Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
      + ", ".join(f"{k} {v}" for k, v in versions.items()))
    w(f"- Regenerate: `{command}`\n")
    return "\n".join(out) + "\n"


def measure_reading(args, bundled) -> tuple[dict, dict, dict]:
    """The reading model's metadata, its ``realworld/numbers`` scores (:func:`reading_scores`) and the pair
    model's metadata."""
    print("reading realworld/numbers ...", file=sys.stderr)
    return (json.loads((args.weights / "reading" / "metadata.json").read_text()),
            reading_scores(bundled, args.reading_seeds, args.data_dir),
            json.loads((args.weights / "pairs" / "metadata.json").read_text()))


def _render_pairs(meta: dict) -> list:
    """The pair model's lines of the reading section, from its metadata."""
    recipe, data, val = meta.get("recipe", {}), meta.get("data", {}), meta.get("validation", {})
    init = recipe.get("init_from") or {}
    return ["",
            "Touching digits that no cut parts well are also read as one pair by a third bundled model "
            "(`weights/pairs/`; `Classifier.pair_reader`, see `handdigits.reading.pairs`): 101 outputs, the "
            "pairs 00-99 and \"not a pair\", on a 28×48 crop.\n",
            f"- File: `{meta.get('file')}`, sha256 `{meta.get('sha256')}`; architecture "
            f"`{meta.get('architecture', {}).get('name')}` ({meta.get('architecture', {}).get('parameters', 0):,} "
            "parameters): bn_cnn's convolutions, flattened, one softmax layer",
            f"- Data: {data.get('pairs', 0):,} generated crops (`{data.get('generator')}`, seed {data.get('seed')}) "
            f"from {data.get('digits')}; about a quarter \"not a pair\" (one digit, three, a digit and a half)",
            f"- Trained: {recipe.get('epochs')} epochs, batch {recipe.get('batch_size')}, Adam at "
            f"{recipe.get('learning_rate')} with {recipe.get('schedule')}, convolutions started from sha256 "
            f"`{str(init.get('sha256'))[:12]}…` (the reading model's member 0); "
            f"{meta.get('train_wall_seconds', 0) / 60:.0f} min on {meta.get('environment', {}).get('cpu_count')} CPUs",
            f"- Validation ({val.get('n', 0):,} crops from the MNIST hold-out's digits): {val.get('accuracy', 0):.1%} "
            f"right; pairs read right {val.get('pair_accuracy', 0):.1%} of {val.get('pairs', 0):,}; the rest called "
            f"\"not a pair\" {val.get('not_a_pair_recall', 0):.1%}",
            f"- Command: `{meta.get('command')}`"]


def _command(argv) -> str:
    """The command line that made the card (repository-relative), for the card itself."""
    return ("python scripts/make_model_card.py " + shlex.join(argv if argv is not None else sys.argv[1:])).strip()


def _stamp() -> str:
    """Now, as the card states when it (or a part of it) was measured."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def update_reading(args, argv) -> int:
    """``--update-reading``: the card's section on the reading model measured again, the rest kept."""
    from handdigits import Classifier

    card = args.output.read_text()
    start = card.find("## The reading model\n")
    end = card.find("\n## ", start + 1)
    if start < 0 or end < 0 or not args.reading_seeds:
        raise SystemExit(f"{args.output} has no reading model section to update (or no --reading-seeds given)")
    section = render_reading(*measure_reading(args, Classifier()))
    section.append(f"_This section was measured again on {_stamp()} with `{_command(argv)}` after a change to the "
                   "reader; the rest of the card is as generated above._\n")
    args.output.write_text(card[:start] + "\n".join(section) + card[end:])
    print(f"updated the reading model's section of {args.output}", file=sys.stderr)
    return 0


def realworld_rows(seed: int, data_dir) -> dict:
    """The bundled model's ``realworld/*`` rows of the results table (``handdigits.benchmark``), by dataset."""
    from handdigits import Classifier
    from handdigits.benchmark import benchmark

    print("realworld/* ...", file=sys.stderr)
    table = benchmark({"bundled": Classifier()}, datasets=("realworld",), data_dir=data_dir, seed=seed,
                      progress=True, download=False).to_markdown()
    return {_dataset(row): row for row in table.splitlines() if row.startswith(_BUNDLED_REALWORLD)}


_BUNDLED_REALWORLD = "| bundled | realworld/"  # how the bundled model's realworld/* rows of the results table start


def _dataset(row: str) -> str:
    """The dataset named in a row of the results table (its second cell)."""
    return row.split("|")[2].strip()


def update_realworld(args, argv) -> int:
    """``--update-realworld``: the bundled model's ``realworld/*`` rows measured again, the rest of the card kept."""
    card = args.output.read_text()
    lines = card.split("\n")
    old = [i for i, line in enumerate(lines) if line.startswith(_BUNDLED_REALWORLD)]
    if not old:
        raise SystemExit(f"{args.output} has no realworld rows of the bundled model to update")
    rows = realworld_rows(args.seed, args.data_dir)
    for i in old:
        name = _dataset(lines[i])
        if name not in rows:
            raise SystemExit(f"{name} was not measured again; the card is left as it was")
        lines[i] = rows[name]
    end = next((i for i in range(old[-1], len(lines)) if not lines[i].startswith("|")), len(lines))
    start = "_The bundled model's `realworld/*` rows were measured again on "
    if end + 1 < len(lines) and lines[end + 1].startswith(start):
        del lines[end : end + 2]  # an earlier update's note
    lines[end:end] = ["", f"{start}{_stamp()} with `{_command(argv)}` after a change to the preprocessing; the other "
                          "rows, the summary below and the pooled ECE are as generated above._"]
    args.output.write_text("\n".join(lines))
    print(f"updated the bundled model's realworld rows of {args.output}", file=sys.stderr)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="data directory (mnist/, emnist-partial/ inside)")
    parser.add_argument("--weights", type=Path, default=REPO / "src" / "handdigits" / "weights")
    parser.add_argument("--reading-seeds", type=int, nargs="*", default=[0, 1, 2], metavar="SEED",
                        help="seeds of realworld/numbers read for the reading model's section (none: no section)")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "model-card.md")
    parser.add_argument("--json", type=Path, default=None, help="also write the measurements as JSON")
    parser.add_argument("--plot", type=Path, default=None, help="also write the benchmark bar chart (PNG)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-download", dest="download", action="store_false")
    parser.add_argument("--candidate", action="append", default=[], metavar="NAME=DIR")
    parser.add_argument("--kept-because", default=None, metavar="TEXT",
                        help="why the bundled model is kept when the validation rule picks another candidate")
    parser.add_argument("--ablation", default=None, metavar="WITH=DIR,WITHOUT=DIR",
                        help="two runs of one recipe, with and without synthetic data")
    parser.add_argument("--update-reading", action="store_true",
                        help="measure only the reading model's section and replace it in the existing card")
    parser.add_argument("--update-realworld", action="store_true",
                        help="measure only the bundled model's realworld/* rows and replace them in the existing card")
    args = parser.parse_args(argv)
    if args.update_reading:
        return update_reading(args, argv)
    if args.update_realworld:
        return update_realworld(args, argv)

    from handdigits import Classifier
    from handdigits.benchmark import DEFAULT_DATASETS, benchmark
    from handdigits.datasets import load_mnist

    started = time.perf_counter()
    meta = json.loads((args.weights / "metadata.json").read_text())
    bundled = Classifier()
    candidates = {}
    for spec in args.candidate:
        name, sep, directory = spec.partition("=")
        if not sep or not name or not directory:
            parser.error(f"--candidate expects NAME=DIR, got {spec!r}")
        candidates[name] = Classifier.load(Path(directory) / "model.keras")
    ablation = None
    if args.ablation:
        pairs = [p.partition("=") for p in args.ablation.split(",")]
        if len(pairs) != 2 or not all(sep for _, sep, _ in pairs):
            parser.error(f"--ablation expects WITH=DIR,WITHOUT=DIR, got {args.ablation!r}")
        ablation = tuple(name for name, _, _ in pairs)
        for name, _, directory in pairs:
            candidates.setdefault(name, Classifier.load(Path(directory) / "model.keras"))

    print("validation hold-out ...", file=sys.stderr)
    xv, yv, source = validation_set(meta, args.data_dir, args.download)
    selection = {name: validation_scores(clf, xv, yv, source) for name, clf in {"bundled": bundled, **candidates}.items()}
    chosen = min(selection, key=lambda n: (selection[n]["max"], selection[n]["nll"]))

    models = {"bundled": bundled, **{n: c for n, c in candidates.items() if n in (ablation or ()) or n == "previous"}}
    result = benchmark(models, datasets=(*DEFAULT_DATASETS, "realworld"), data_dir=args.data_dir, seed=args.seed,
                       progress=True, download=args.download)

    from handdigits import decision

    tx, ty = load_mnist("test", data_dir=args.data_dir, download=args.download)
    recorded = meta.get("reject") or selection["bundled"]["reject"]
    reject = {"rule": {"min_confidence": recorded["min_confidence"], "max_not_digit": recorded.get("max_not_digit")},
              "models": {}}
    mnist_raw = {}  # raw outputs on MNIST test, per model (used twice below)
    for name, clf in {"bundled": bundled, **({"previous": candidates["previous"]} if "previous" in candidates else {})}.items():
        rule = reject["rule"] if name == "bundled" else selection[name]["reject"]
        rule = {"min_confidence": rule["min_confidence"], "max_not_digit": rule.get("max_not_digit")}
        mnist_raw[name] = raw_outputs(clf, tx)
        # the same kind of rule chosen on the test set itself: for information only
        at99 = decision.reject_rule(mnist_raw[name], coverage=0.99, confidence_coverage=decision.AUTO_CONFIDENCE_COVERAGE)
        answered = decision.decide(mnist_raw[name], rule["min_confidence"], rule["max_not_digit"]) >= 0
        reject["models"][name] = {**rule, "mnist_answered_pct": 100.0 * float(answered.mean()),
                                  "nondigits": nondigit_test(clf, rule, seed=args.seed),
                                  "nondigits_at_test_99": nondigit_test(clf, at99, seed=args.seed)}
    from handdigits.metrics import expected_calibration_error
    from handdigits.testsets import TestSets

    suite = None
    curves = {"MNIST test": decision.coverage_curve(*coverage(mnist_raw["bundled"], ty), CURVE_THRESHOLDS)}
    sets = TestSets(data_dir=args.data_dir, download=args.download, seed=args.seed)
    real = [sets.load(n) for n in result.datasets if n.startswith("realworld/") and n != "realworld/empty"]
    if real:
        images = [im for s in real for im in s.images]
        labels = np.concatenate([s.labels for s in real])
        raw, _ = bundled._raw(images, True, "mark")
        curves["real-world suite"] = decision.coverage_curve(*coverage(raw, labels), CURVE_THRESHOLDS)
        read = ~np.isnan(raw).any(axis=1)
        suite = {"n": int(read.sum()), "families": len(real),
                 "ece_pct": expected_calibration_error(decision.digit_proba(raw)[read], labels[read])}
    reading = measure_reading(args, bundled) if args.reading_seeds else None
    seconds = time.perf_counter() - started
    args.output.write_text(render(meta, result, selection=selection, chosen=chosen, reject=reject, curves=curves,
                                  ablation=ablation, command=_command(argv), seconds=seconds, suite=suite,
                                  kept_because=args.kept_because, reading=reading))
    print(f"wrote {args.output} ({seconds:.0f} s)", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"benchmark": result.to_dict(), "selection": selection, "reject": reject,
                                         "curves": curves, "realworld_suite": suite,
                                         "reading": None if reading is None else reading[1]},
                                        indent=2, default=float) + "\n")
    if args.plot:
        result.plot(args.plot, title="bundled model: test error by dataset")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

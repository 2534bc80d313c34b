"""How well ``Classifier.read`` reads the generated numbers of ``realworld/numbers``.

Prints, per seed, the share of numbers read exactly (all, with touching digits,
with digits apart, per rendering style) and sorts the failures by cause:

* ``raised``: the reader raised (e.g. "no ink found" on a faint photo);
* ``no correct candidate``: no split of the candidate digits into runs whose
  classifier reading spells the true number exists (a cut is missing, or a
  digit is misread in its crop): candidate generation or the model is at fault;
* ``decoder``: such a split exists, but the decoder chose another one.

    python scripts/reading_eval.py [--seeds 0 1] [-n 500] [--data-dir DIR] [--list] [--empty 300] [--model M]
                                   [--pair-model P] [--validation]

With ``--empty N`` it also reads N empty pages of ``realworld/empty`` per
seed: how many are refused, and what share of them and of the numbers read
exactly reach a reading confidence of 0.1, 0.5 and 0.9.  ``--model`` reads with
another ``.keras`` model (a training run's, to compare it with the bundled
reading model), or with the bundled digit model (``--model digits``);
``--pair-model`` reads touching pairs with another pair model's ``.keras``
(``none``: single digits only, as before the pair model).
``--validation`` lays the numbers out from MNIST's validation hold-out instead
of MNIST test (no scikit-learn digits): the set the reading model was chosen
on (``--validation --seeds 100 101`` with ``-n 600`` and ``-n 900``).

The data directory holds ``mnist/t10k-images-idx3-ubyte[.gz]``; default:
``$HANDDIGITS_DATA``, else ``../shared/data`` next to the repository.  About
0.3 s per number on one core.
"""

from __future__ import annotations

import argparse
import collections
import os
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def has_correct_split(plan, digits: np.ndarray, text: str, pairs: np.ndarray | None = None) -> bool:
    """Whether the atoms can be covered by candidate runs (fragments may be skipped) reading ``text``.

    ``digits``: each run's top digit; ``pairs``: each pair candidate's (``plan.pair_runs``) top pair ``10 a + b``.
    """
    A, L = plan.n_atoms, len(text)
    reach = np.zeros((A + 1, L + 1), bool)
    reach[0, 0] = True
    by_end = collections.defaultdict(list)
    for r, run in enumerate(plan.runs):
        by_end[run.j].append((run.i, f"{int(digits[r])}"))
    for r, ab in zip(plan.pair_runs, () if pairs is None else pairs):
        by_end[plan.runs[r].j].append((plan.runs[r].i, f"{int(ab) // 10}{int(ab) % 10}"))
    for j in range(1, A + 1):
        if plan.fragment[j - 1] > 0:
            reach[j] |= reach[j - 1]
        for i, d in by_end[j]:
            for k in range(len(d), L + 1):
                if reach[i, k - len(d)] and d == text[k - len(d) : k]:
                    reach[j, k] = True
    return bool(reach[A, L])


def evaluate(clf, samples) -> list[dict]:
    """One row per sample: truth, text read, touching, style and the failure cause (``None`` when read exactly)."""
    from tqdm import tqdm

    from handdigits.reading import _segment, classify
    from handdigits.reading.decode import _decode
    from handdigits.reading.pairs import NOT_A_PAIR

    rows = []
    for s in tqdm(samples, desc="reading", leave=False):
        row = {"truth": s.text, "touching": s.touching, "style": s.style, "text": None, "cause": "raised"}
        try:
            plan = _segment(np.asarray(s.image), with_pairs=clf.pair_reader is not None)
            proba, conf, pair_proba = classify(clf.reader, [plan], clf.pair_reader)[0]  # what Classifier.read does
            reading = _decode(plan, proba, conf, None, None, pair_proba)
            row["text"], row["confidence"] = reading.text, reading.confidence
        except ValueError:
            rows.append(row)
            continue
        if row["text"] == s.text:
            row["cause"] = None
        else:
            best_pairs = None if pair_proba is None else pair_proba[:, :NOT_A_PAIR].argmax(1)
            ok = has_correct_split(plan, proba.argmax(1), s.text, best_pairs)
            row["cause"] = "decoder" if ok else "no correct candidate"
        rows.append(row)
    return rows


def report(seed: int, rows: list[dict], listing: bool = False) -> None:
    ok = np.array([r["cause"] is None for r in rows])
    touching = np.array([r["touching"] for r in rows])
    print(f"seed {seed}: {len(rows)} numbers, read exactly {ok.mean():.1%}; touching {ok[touching].mean():.1%} "
          f"of {touching.sum()}; apart {ok[~touching].mean():.1%}")
    for style in sorted({r["style"] for r in rows}):
        m = np.array([r["style"] == style for r in rows])
        print(f"  {style}: {ok[m].mean():.1%} of {m.sum()}")
    causes = collections.Counter((r["cause"], r["touching"]) for r in rows if r["cause"])
    for cause in ("raised", "no correct candidate", "decoder"):
        print(f"  failures, {cause}: {causes[(cause, False)] + causes[(cause, True)]} "
              f"({causes[(cause, True)]} touching)")
    if listing:
        for i, r in enumerate(rows):
            if r["cause"]:
                print(f"    {i}: true {r['truth']} read {r['text']} ({r['cause']}, {r['style']}"
                      f"{', touching' if r['touching'] else ''})")


def validation_digits(data_dir):
    """MNIST's validation hold-out as training draws it by default (``split_validation``: 5,000 images, seed 0)."""
    from handdigits.assembly import DataSpec, split_validation
    from handdigits.datasets import load_mnist

    spec = DataSpec()
    x, y = load_mnist("train", data_dir=data_dir, download=False)
    return split_validation(x, y, spec.validation, spec.split_seed)[1]


def empty_pages(clf, images) -> list[float | None]:
    """``Classifier.read``'s confidence on each empty page, None where it refuses (raises)."""
    return [None if r.error is not None else r.confidence for r in clf.read_batch(list(images), errors="mark")]


def report_empty(rows: list[dict], empty: list[float | None]) -> None:
    """How many empty pages are refused, and how a confidence threshold splits false reads from right ones."""
    read = np.array([c for c in empty if c is not None])
    right = np.array([r["confidence"] for r in rows if r["cause"] is None])
    print(f"  empty pages: {len(empty) - len(read)} of {len(empty)} refused")
    for t in (0.1, 0.5, 0.9):
        print(f"    reading confidence >= {t}: {(read >= t).sum() / len(empty):.1%} of the empty pages, "
              f"{np.mean(right >= t):.1%} of the numbers read exactly")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("HANDDIGITS_DATA") or str(REPO.parent / "shared" / "data"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("-n", type=int, default=500, help="numbers per seed (default: 500)")
    parser.add_argument("--list", action="store_true", help="list every failure")
    parser.add_argument("--empty", type=int, default=0, metavar="N",
                        help="also read N empty pages of realworld/empty per seed (should all be refused)")
    parser.add_argument("--validation", action="store_true",
                        help="lay the numbers out from MNIST's validation hold-out (the training runs' "
                             "split_validation(5000, seed 0)) instead of MNIST test: the set to choose models on")
    parser.add_argument("--model", metavar="MODEL.keras",
                        help="read with this model (default: the bundled reading model; 'digits': the bundled "
                             "digit model, as Classifier(reading_model='same') reads)")
    parser.add_argument("--pair-model", metavar="MODEL.keras",
                        help="read touching pairs with this model (default: the bundled pair model; 'none': "
                             "single digits only, as Classifier(pair_model=False) reads)")
    args = parser.parse_args(argv)

    from handdigits import Classifier
    from handdigits.realworld import load
    from handdigits.realworld.numbers import generate

    pair_model = {None: None, "none": False}.get(args.pair_model, args.pair_model)
    clf = {None: lambda: Classifier(pair_model=pair_model),
           "digits": lambda: Classifier(reading_model="same", pair_model=pair_model)}.get(
        args.model, lambda: Classifier.load(args.model, pair_model=pair_model))()
    digits = validation_digits(args.data_dir) if args.validation else None
    for seed in args.seeds:
        rows = evaluate(clf, generate(args.n, seed=seed, data_dir=args.data_dir, digits=digits))
        report(seed, rows, args.list)
        if args.empty:
            images, _ = load("realworld/empty", n=args.empty, seed=seed, data_dir=args.data_dir)
            report_empty(rows, empty_pages(clf, images))


if __name__ == "__main__":
    main()

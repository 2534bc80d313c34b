"""The ``handdigits`` command (also ``python -m handdigits``).

Sub-commands::

    handdigits predict IMG... [--top-k K] [--json] [--model PATH]
    handdigits demo                                      (classify the bundled samples)
    handdigits train [--model NAME] [--epochs N] ...     (see handdigits.train)
    handdigits benchmark [--model PATH ...] [--datasets ...] [--plot out.png] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import __version__


def _add_predict(sub):
    p = sub.add_parser("predict", help="classify image files", description="Classify image files (any size, photo or scan).")
    p.add_argument("images", nargs="+", help="image files (PNG, JPEG, ...)")
    p.add_argument("--top-k", type=int, default=1, metavar="K", help="show the K most likely digits (default: 1)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--model", default=None, help="a .keras model to use instead of the bundled one")
    p.set_defaults(func=_run_predict)


def _run_predict(args, parser) -> int:
    from .classifier import Classifier

    if not 1 <= args.top_k <= 10:
        parser.error(f"--top-k must be between 1 and 10, got {args.top_k}")
    clf = Classifier.load(args.model) if args.model else Classifier()
    results = []
    status = 0
    for path in args.images:
        try:
            top = clf.top_k(path, k=args.top_k)
        except (FileNotFoundError, ValueError, TypeError) as exc:
            print(f"handdigits predict: {path}: {exc}", file=sys.stderr)
            status = 1
            continue
        results.append({"image": path, "digit": top[0][0], "top_k": [{"digit": d, "probability": p} for d, p in top]})
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            alts = ", ".join(f"{t['digit']} ({t['probability']:.1%})" for t in r["top_k"][1:])
            line = f"{r['image']}: {r['digit']} ({r['top_k'][0]['probability']:.1%})"
            print(line + (f"  next: {alts}" if alts else ""))
    return status


def _add_demo(sub):
    p = sub.add_parser("demo", help="classify the sample images bundled with the package")
    p.add_argument("--model", default=None, help="a .keras model to use instead of the bundled one")
    p.set_defaults(func=_run_demo)


def _run_demo(args, parser) -> int:
    from pathlib import Path

    from .classifier import Classifier
    from .samples import list_samples, true_digit

    clf = Classifier.load(args.model) if args.model else Classifier()
    samples = list_samples()
    correct = 0
    print(f"Classifying {len(samples)} bundled sample images (file names start with the true digit):")
    for path in samples:
        name = Path(str(path)).name
        digit, prob = clf.top_k(path, k=1)[0]
        expected = true_digit(path)
        ok = expected == digit
        correct += ok
        mark = "ok" if ok else f"WRONG (expected {expected})"
        print(f"  {name:<32} -> {digit}  ({prob:6.1%})  {mark}")
    print(f"{correct}/{len(samples)} correct")
    return 0 if correct == len(samples) else 1


def _add_train(sub):
    from . import train

    p = sub.add_parser("train", help="train a model (see python -m handdigits.train --help)")
    train.build_parser(p)
    p.set_defaults(func=lambda args, parser: train.run_from_args(args, p))


def _add_benchmark(sub):
    p = sub.add_parser("benchmark", help="evaluate models on MNIST, EMNIST, combined and augmented sets")
    p.add_argument("--model", action="append", default=None, metavar="[NAME=]PATH",
                   help="a .keras model, optionally named (repeatable; default: the bundled model)")
    p.add_argument("--datasets", nargs="+", default=None, metavar="NAME", help="datasets to evaluate (default: all)")
    p.add_argument("--data-dir", default=None, help="data directory (default: $HANDDIGITS_DATA or ~/.cache/handdigits)")
    p.add_argument("--seed", type=int, default=0, help="seed of the augmented set (default: 0)")
    p.add_argument("--strict", action="store_true", help="fail when a dataset cannot be loaded")
    p.add_argument("--no-download", dest="download", action="store_false", help="use local files only")
    p.add_argument("--no-verify", dest="verify", action="store_false",
                   help="skip the sha256 check of the data files (for your own files under the canonical names)")
    p.add_argument("--plot", default=None, metavar="PNG", help="write a bar chart")
    p.add_argument("--json", default=None, metavar="FILE", help="write the results as JSON")
    p.set_defaults(func=_run_benchmark)


def _run_benchmark(args, parser) -> int:
    from .benchmark import DATASETS, benchmark

    kwargs = {"data_dir": args.data_dir, "seed": args.seed, "strict": args.strict, "progress": True,
              "download": args.download, "verify": args.verify}
    if args.datasets:
        unknown = sorted(set(args.datasets) - set(DATASETS))
        if unknown:
            parser.error(f"unknown dataset(s) {', '.join(unknown)}; choose from {', '.join(DATASETS)}")
        kwargs["datasets"] = tuple(args.datasets)
    if args.model:
        models = dict(_named_path(m) for m in args.model)
        if len(models) != len(args.model):
            parser.error("--model names must be unique")
        kwargs["models"] = models
    result = benchmark(**kwargs)
    print(result.to_markdown())
    if args.json:
        with open(args.json, "w") as fh:
            fh.write(result.to_json())
    if args.plot:
        result.plot(args.plot)
    return 0


def _named_path(spec: str) -> tuple[str, str]:
    """``"NAME=PATH"`` -> ``(NAME, PATH)``; a plain path names itself."""
    name, sep, path = spec.partition("=")
    if sep and name and "/" not in name and path:
        return name, path
    return spec, spec


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="handdigits", description="Handwritten digit recognition.")
    parser.add_argument("--version", action="version", version=f"handdigits {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    _add_predict(sub)
    _add_demo(sub)
    _add_train(sub)
    _add_benchmark(sub)
    return parser


def main(argv=None) -> int:
    # TensorFlow's C++ start-up chatter (CPU features, oneDNN, no CUDA) is noise on a command line
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args, parser)


if __name__ == "__main__":
    sys.exit(main())

"""The ``handdigits`` command (also ``python -m handdigits``).

Sub-commands::

    handdigits predict IMG... [--top-k K] [--json] [--model PATH] [--show OUT]   (IMG "-": standard input)
    handdigits read IMG... [--json] [--digits N] [--max-digits N] [--model PATH]   (whole numbers)
    handdigits demo [--model PATH]                                  (classify the bundled samples)
    handdigits train [--model NAME] [--epochs N] ...                (see handdigits.train)
    handdigits benchmark [--model [NAME=]PATH ...] [--datasets ...] [--data NAME=DIR ...] [--download]
                         [--plot PNG] [--json FILE]
    handdigits serve [--host 127.0.0.1] [--port 8000] [--model PATH]   (draw-a-digit page + JSON API)

Exit status: 0 on success; 1 when the work failed (an image could not be
classified, a sample was misclassified, data or a model could not be loaded);
2 for invalid usage (unknown command or option, bad value, a file named on the
command line that does not exist), reported before any long work starts.
Every expected failure is one line on stderr, ``handdigits <command>: error:
<what went wrong and how to fix it>``; set ``HANDDIGITS_DEBUG=1`` to get the
Python traceback instead.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from . import __version__

#: exceptions reported as one line and exit status 1 (anything else is a bug: traceback)
EXPECTED_ERRORS = (OSError, ValueError, ImportError)
#: the name under which standard input ("-") appears in messages and output
STDIN_NAME = "<stdin>"


class CommandError(Exception):
    """A failure of a sub-command: reported as ``handdigits <command>: error: <message>``, exit status 1."""


def _one_line(exc: BaseException) -> str:
    """The exception's message on one line (Keras and TensorFlow errors can span many)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."


# --------------------------------------------------------------------------- predict


def _add_predict(sub):
    p = sub.add_parser(
        "predict",
        help="classify image files",
        description="Classify image files (any size, photo or scan; '-' reads one image from standard input). "
        "Prints one line per file, FILE: DIGIT (PROBABILITY); files that cannot be classified are "
        "reported on stderr, one line each, the others are still classified, and the exit status is 1.",
    )
    p.add_argument("images", nargs="+", metavar="IMG", help="image files (PNG, JPEG, ...); '-' for standard input")
    p.add_argument("--top-k", type=int, default=1, metavar="K", help="show the K most likely digits (default: 1)")
    p.add_argument("--json", action="store_true",
                   help="print a JSON list with one record per file, failures included (with an 'error' field)")
    p.add_argument("--model", default=None, metavar="PATH", help="a .keras model to use instead of the bundled one")
    p.add_argument("--show", default=None, metavar="OUT",
                   help="save what the model saw: the input with the kept box, the ink mask and the 28x28 image "
                        "side by side, as the PNG file OUT (one image) or as OUT/<name>.show.png for each image "
                        "(OUT an existing directory)")
    p.set_defaults(func=_run_predict)


def _check_model_option(parser, path) -> None:
    if path is not None and not Path(path).is_file():
        parser.error(f"--model: model file not found: {path!r}")


def _load_classifier(path):
    from .classifier import Classifier

    return Classifier.load(path) if path else Classifier()


def _read_input(arg: str):
    """``(display name, image source, None)`` or ``(display name, None, reason)`` for one IMG argument."""
    if arg == "-":
        data = sys.stdin.buffer.read()
        return STDIN_NAME, data, (None if data else "no data on standard input")
    path = Path(arg)
    if not path.exists():
        return arg, None, "file not found"
    if path.is_dir():
        return arg, None, "is a directory, not an image file"
    return arg, path, None


_PREFIX = re.compile(r"^image(?:\[\d+\]| \d+ of \d+)?: ")
_DETAIL = re.compile(r"\((\w+(?:Error|Exception)): [^()]*\)")


def _reason(message: str, source) -> str:
    """Why one image failed, on one line and without the file name (the caller names it once)."""
    text = _PREFIX.sub("", " ".join(str(message).split()))
    if isinstance(source, Path) and repr(str(source)) in text:
        text = _DETAIL.sub(r"(\1)", text).replace(repr(str(source)), "the file")
    elif "<_io.BytesIO object" in text:  # Pillow's message for standard input names a Python object
        text = _DETAIL.sub(r"(\1)", text)
    return text


def _show_paths(parser, out, names) -> list:
    """Where ``--show`` writes each image's picture: ``out`` itself for one image, ``out/<stem>.png`` for several."""
    if out is None:
        return [None] * len(names)
    out = Path(out)
    if len(names) == 1 and not out.is_dir():
        if not out.resolve().parent.is_dir():
            parser.error(f"--show: the directory of {str(out)!r} does not exist")
        paths = [out]
    elif not out.is_dir():
        parser.error(f"--show: with several images, give an existing directory for the pictures, got {str(out)!r}")
    else:
        paths, used = [], set()
        for i, name in enumerate(names):
            stem = "stdin" if name == "-" else Path(name).stem or f"image{i}"
            file = f"{stem}.show.png" if f"{stem}.show.png" not in used else f"{stem}-{i}.show.png"
            used.add(file)
            paths.append(out / file)
    inputs = {Path(name).resolve() for name in names if name != "-"}
    clash = [str(p) for p in paths if p.resolve() in inputs]
    if clash:
        parser.error(f"--show would overwrite the input image {clash[0]!r}")
    return paths


#: images converted and classified together (bounded memory, steady output over many files)
PREDICT_CHUNK = 64


def _run_predict(args, parser) -> int:
    if not 1 <= args.top_k <= 10:
        parser.error(f"--top-k must be between 1 and 10, got {args.top_k}")
    if args.images.count("-") > 1:
        parser.error("'-' (standard input) can be given only once")
    _check_model_option(parser, args.model)
    shows = _show_paths(parser, args.show, args.images)

    from .preprocess import to_mnist_batch, trace

    inputs = [_read_input(arg) for arg in args.images]
    clf = _load_classifier(args.model) if any(reason is None for *_, reason in inputs) else None
    records = []
    for start in range(0, len(inputs), PREDICT_CHUNK):
        chunk = inputs[start : start + PREDICT_CHUNK]
        readable = [i for i, (_, _, reason) in enumerate(chunk) if reason is None]
        reasons = [reason for *_, reason in chunk]
        tops: dict = {}
        if readable:
            prepared = to_mnist_batch([chunk[i][1] for i in readable], errors="mark")
            for i, why in zip(readable, prepared.reasons):
                reasons[i] = None if why is None else _reason(why, chunk[i][1])
            if prepared.ok.any():
                found = clf.top_k(prepared.images[prepared.ok], k=args.top_k, preprocess=False)
                tops = dict(zip([i for i, ok in zip(readable, prepared.ok) if ok], found))
        for i, (name, source, _) in enumerate(chunk):
            record = _record(name, tops.get(i), reasons[i])
            show = shows[start + i]
            if show is not None and source is not None:
                try:
                    trace(source).save(show)
                    record["show"] = str(show)
                except (OSError, ValueError):
                    pass  # undecodable: the failure is reported below already
            records.append(record)
            if record["error"] is not None:
                print(f"handdigits predict: error: {name}: {record['error']}", file=sys.stderr, flush=True)
            elif not args.json:
                print(_text_line(record), flush=True)
    if args.json:
        print(json.dumps(records, indent=2))
    return 1 if any(r["error"] is not None for r in records) else 0


def _record(name: str, top, reason) -> dict:
    if top is None:
        return {"image": name, "digit": None, "top_k": [], "error": reason or "not classified"}
    return {"image": name, "digit": top[0][0], "top_k": [{"digit": d, "probability": p} for d, p in top],
            "error": None}


def _text_line(record: dict) -> str:
    first, *rest = record["top_k"]
    line = f"{record['image']}: {first['digit']} ({first['probability']:.1%})"
    if rest:
        line += "  next: " + ", ".join(f"{t['digit']} ({t['probability']:.1%})" for t in rest)
    return line


# --------------------------------------------------------------------------- read


def _add_read(sub):
    p = sub.add_parser(
        "read",
        help="read whole numbers (one line of handwritten digits) from image files",
        description="Read the number written in each image file (one line of handwritten digits; '-' reads one "
        "image from standard input).  Prints one line per file, FILE: NUMBER (CONFIDENCE); files that cannot "
        "be read are reported on stderr, one line each, the others are still read, and the exit status is 1.",
    )
    p.add_argument("images", nargs="+", metavar="IMG", help="image files (PNG, JPEG, ...); '-' for standard input")
    p.add_argument("--json", action="store_true",
                   help="print a JSON list with one record per file: text, confidence, digits with their boxes "
                        "(x0, y0, x1, y1 in image pixels) and probabilities; failures have an 'error' field")
    p.add_argument("--digits", type=int, default=None, metavar="N", help="read exactly N digits")
    p.add_argument("--max-digits", type=int, default=None, metavar="N", help="read at most N digits")
    p.add_argument("--model", default=None, metavar="PATH", help="a .keras model to use instead of the bundled one")
    p.set_defaults(func=_run_read)


def _run_read(args, parser) -> int:
    for option, value in (("--digits", args.digits), ("--max-digits", args.max_digits)):
        if value is not None and value < 1:
            parser.error(f"{option} must be a positive integer, got {value}")
    if args.digits is not None and args.max_digits is not None and args.digits > args.max_digits:
        parser.error(f"--digits ({args.digits}) must not exceed --max-digits ({args.max_digits})")
    if args.images.count("-") > 1:
        parser.error("'-' (standard input) can be given only once")
    _check_model_option(parser, args.model)

    inputs = [_read_input(arg) for arg in args.images]
    clf = _load_classifier(args.model) if any(reason is None for *_, reason in inputs) else None
    records = []
    for name, source, reason in inputs:
        reading = None
        if reason is None:
            try:
                reading = clf.read(source, max_digits=args.max_digits, expected_length=args.digits)
            except (OSError, ValueError) as exc:
                reason = _reason(str(exc), source)
        if reading is None:
            records.append({"image": name, "text": None, "confidence": None, "digits": [], "error": reason})
            print(f"handdigits read: error: {name}: {reason}", file=sys.stderr, flush=True)
            continue
        records.append({"image": name, **reading.to_dict(), "error": None})
        if not args.json:
            print(f"{name}: {reading.text} ({reading.confidence:.1%})", flush=True)
    if args.json:
        print(json.dumps(records, indent=2))
    return 1 if any(r["error"] is not None for r in records) else 0


# --------------------------------------------------------------------------- demo


def _add_demo(sub):
    p = sub.add_parser(
        "demo",
        help="classify the sample images bundled with the package",
        description="Classify the ten sample images bundled with the package (photos, scans and screenshots of "
        "real handwritten digits; each file name starts with the true digit).  Exit status 1 when one is "
        "misclassified.",
    )
    p.add_argument("--model", default=None, metavar="PATH", help="a .keras model to use instead of the bundled one")
    p.set_defaults(func=_run_demo)


def _run_demo(args, parser) -> int:
    _check_model_option(parser, args.model)
    from .samples import list_samples, true_digit

    clf = _load_classifier(args.model)
    samples = list_samples()
    correct = 0
    print(f"Classifying {len(samples)} bundled sample images (file names start with the true digit):")
    for path in samples:
        digit, prob = clf.top_k(path, k=1)[0]
        expected = true_digit(path)
        ok = expected == digit
        correct += ok
        mark = "ok" if ok else f"WRONG (expected {expected})"
        print(f"  {path.name:<32} -> {digit}  ({prob:6.1%})  {mark}")
    print(f"{correct}/{len(samples)} correct")
    return 0 if correct == len(samples) else 1


# --------------------------------------------------------------------------- train


def _add_train(sub):
    from . import train

    p = sub.add_parser(
        "train",
        help="train a model (see python -m handdigits.train --help)",
        description="Train a model from the command line (same options as python -m handdigits.train).",
    )
    train.build_parser(p)
    p.set_defaults(func=lambda args, parser: train.run_from_args(args, parser))


# --------------------------------------------------------------------------- benchmark


def _add_benchmark(sub):
    from .benchmark import DATASETS, DEFAULT_DATASETS

    p = sub.add_parser(
        "benchmark",
        help="evaluate models on MNIST, EMNIST, combined, augmented and corrupted test sets",
        description="Evaluate models on the test sets and print error rates with 95 %% intervals.  Data is "
        "read from --data-dir ($HANDDIGITS_DATA, else ~/.cache/handdigits); nothing is downloaded unless "
        "--download is given (EMNIST is a 562 MB archive).  Get MNIST with: python -c "
        "\"import handdigits.datasets as d; d.load_mnist('test', download=True)\"",
    )
    p.add_argument("--model", action="append", default=None, metavar="[NAME=]PATH",
                   help="a .keras model, optionally named (repeatable; default: the bundled model)")
    p.add_argument("--datasets", nargs="+", default=None, metavar="NAME", choices=DATASETS,
                   help=f"datasets to evaluate, from: {', '.join(DATASETS)} "
                        f"(default: {' '.join(DEFAULT_DATASETS)})")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="data directory (default: $HANDDIGITS_DATA or ~/.cache/handdigits)")
    p.add_argument("--seed", type=int, default=0, help="seed of the augmented and corrupted sets (default: 0)")
    p.add_argument("--strict", action="store_true", help="fail when a dataset cannot be loaded")
    p.add_argument("--download", dest="download", action="store_true", default=False,
                   help="download missing data files (MNIST 11 MB; EMNIST 562 MB)")
    p.add_argument("--no-download", dest="download", action="store_false",
                   help="use local files only (the default)")
    p.add_argument("--no-verify", dest="verify", action="store_false",
                   help="skip the sha256 check of the data files (for your own files under the canonical names)")
    p.add_argument("--data", action="append", default=None, metavar="NAME=DIR",
                   help="your labelled images: a folder with sub-folders 0-9, evaluated through preprocessing "
                        "(repeatable; with --data and no --datasets only your data is evaluated)")
    p.add_argument("--preprocess", action="store_true",
                   help="also preprocess the MNIST-format named sets (default: fed raw)")
    p.add_argument("--plot", default=None, metavar="PNG", help="write a bar chart (needs matplotlib)")
    p.add_argument("--json", default=None, metavar="FILE", help="write the results as JSON")
    p.set_defaults(func=_run_benchmark)


def _run_benchmark(args, parser) -> int:
    if args.seed < 0:
        parser.error(f"--seed must be a non-negative integer, got {args.seed}")
    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        parser.error(f"--data-dir: not a directory: {args.data_dir!r}")
    models = None
    if args.model:
        models = dict(_named_path(m) for m in args.model)
        if len(models) != len(args.model):
            parser.error("--model names must be unique")
        for path in models.values():
            _check_model_option(parser, path)
    for option, out in (("--plot", args.plot), ("--json", args.json)):
        if out is not None and not Path(out).resolve().parent.is_dir():
            parser.error(f"{option}: the directory of {out!r} does not exist")
    if args.plot:
        import importlib.util

        if importlib.util.find_spec("matplotlib") is None:
            raise CommandError("--plot needs matplotlib, which is not installed: pip install 'handdigits[plot]'")

    from .benchmark import benchmark

    kwargs = {"data_dir": args.data_dir, "seed": args.seed, "strict": args.strict, "progress": True,
              "download": args.download, "verify": args.verify, "preprocess": args.preprocess}
    if args.data:
        kwargs["data"] = _data_folders(parser, args.data)
        kwargs["datasets"] = ()
    if args.datasets:
        kwargs["datasets"] = tuple(dict.fromkeys(args.datasets))
    if models is not None:
        kwargs["models"] = models
    result = benchmark(**kwargs)
    print(result.to_markdown())
    if args.json:
        with open(args.json, "w") as fh:
            fh.write(result.to_json())
    if args.plot:
        result.plot(args.plot)
    return 0


def _data_folders(parser, specs) -> dict:
    """``--data NAME=DIR`` options -> ``{NAME: DIR}`` (names unique, folders existing)."""
    data = {}
    for spec in specs:
        name, sep, folder = spec.partition("=")
        if not (sep and name and folder):
            parser.error(f"--data expects NAME=DIR, got {spec!r}")
        if name in data:
            parser.error(f"--data names must be unique; {name!r} is given twice")
        if not Path(folder).is_dir():
            parser.error(f"--data {name}: not a directory: {folder!r}")
        data[name] = folder
    return data


def _named_path(spec: str) -> tuple[str, str]:
    """``"NAME=PATH"`` -> ``(NAME, PATH)``; a plain path names itself."""
    name, sep, path = spec.partition("=")
    if sep and name and "/" not in name and path:
        return name, path
    return spec, spec


# --------------------------------------------------------------------------- serve


def _add_serve(sub):
    p = sub.add_parser(
        "serve",
        help="a draw-a-digit web page and JSON API (needs the serve extra)",
        description="Serve a page where you draw a digit (mouse, finger or pen) or drop a photo and see the "
        "answer, and a JSON API (POST /api/predict, GET /healthz; OpenAPI docs at /docs).  Needs: "
        "pip install 'handdigits[serve]'.  Stop with Ctrl+C.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    p.add_argument("--model", default=None, metavar="PATH", help="a .keras model to use instead of the bundled one")
    p.set_defaults(func=_run_serve)


def _run_serve(args, parser) -> int:
    _check_model_option(parser, args.model)
    if not 1 <= args.port <= 65535:
        parser.error(f"--port must be between 1 and 65535, got {args.port}")
    try:
        from .serve import run
    except ImportError as exc:
        raise CommandError(
            f"the web app needs the serve extra ({exc}); install it: pip install 'handdigits[serve]'"
        ) from None
    return run(host=args.host, port=args.port, model=args.model)


# --------------------------------------------------------------------------- entry point


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="handdigits",
        description="Handwritten digit recognition.  Exit status: 0 success, 1 failure, 2 invalid usage.",
    )
    parser.add_argument("--version", action="version", version=f"handdigits {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    _add_predict(sub)
    _add_read(sub)
    _add_demo(sub)
    _add_train(sub)
    _add_benchmark(sub)
    _add_serve(sub)
    return parser


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The parser of one sub-command, so usage errors show that sub-command's usage."""
    for action in parser._actions:  # argparse has no public accessor for the sub-parsers
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[command]
    raise LookupError(command)  # pragma: no cover - build_parser always adds sub-commands


def main(argv=None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    # Older TensorFlow honours this; newer TensorFlow logs before reading it (see _native_log).
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    command = _subparser(parser, args.command)
    if extra:
        command.error(f"unrecognized arguments: {' '.join(extra)}")
    from ._native_log import quiet_native_logs

    with quiet_native_logs():
        try:
            return args.func(args, command)
        except (CommandError, *EXPECTED_ERRORS) as exc:
            if os.environ.get("HANDDIGITS_DEBUG"):
                raise
            print(f"{command.prog}: error: {_one_line(exc)}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print(f"{command.prog}: interrupted", file=sys.stderr)
            return 130


if __name__ == "__main__":
    sys.exit(main())

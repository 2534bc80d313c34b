"""``handdigits predict``: classify image files, one line (or JSON record) per file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ._common import add_image_command, check_images, read_inputs, reason

#: images converted and classified together (bounded memory, steady output over many files)
PREDICT_CHUNK = 64


def add_predict(sub):
    p = add_image_command(
        sub,
        "predict",
        help="classify image files",
        description="Classify image files (any size, photo or scan; '-' reads one image from standard input). "
        "Prints one line per file, FILE: DIGIT (PROBABILITY); files that cannot be classified are "
        "reported on stderr, one line each, the others are still classified, and the exit status is 1.",
        json_help="print a JSON list with one record per file, failures included (with an 'error' field)",
    )
    p.add_argument("--top-k", type=int, default=1, metavar="K", help="show the K most likely digits (default: 1)")
    p.add_argument("--min-confidence", type=min_confidence_option, default=None, metavar="P",
                   help="answer 'not sure' where the model doubts the image is a digit: 'auto' takes the limits "
                        "recorded with the model (as handdigits serve does; it refuses most empty pages the blank "
                        "test lets through), a number in [0, 1] is the least confidence answered (default: always "
                        "answer a digit)")
    p.add_argument("--show", default=None, metavar="OUT",
                   help="save what the model saw: the input with the kept box, the ink mask and the 28x28 image "
                        "side by side, as the PNG file OUT (one image) or as OUT/<name>.show.png for each image "
                        "(OUT an existing directory)")
    p.set_defaults(func=run_predict)


def min_confidence_option(text: str):
    """``--min-confidence``: ``"auto"``, or a number checked as ``Classifier(min_confidence=...)`` checks it
    (:func:`handdigits.validation.check_probability`; argparse type)."""
    import argparse

    from ..validation import check_probability

    if text == "auto":
        return text
    try:
        return check_probability(float(text), "min_confidence")
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a number from 0 to 1, got {text!r}") from None


def show_paths(parser, out, names) -> list:
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


def run_predict(args, parser) -> int:
    if not 1 <= args.top_k <= 10:
        parser.error(f"--top-k must be between 1 and 10, got {args.top_k}")
    check_images(parser, args)
    shows = show_paths(parser, args.show, args.images)

    inputs, clf = read_inputs(args, args.min_confidence)
    records = []
    bar = _progress(len(inputs))
    for start in range(0, len(inputs), PREDICT_CHUNK):
        chunk = inputs[start : start + PREDICT_CHUNK]
        answers, reasons = _classify_chunk(clf, chunk, args.top_k)
        for i, (name, source, _) in enumerate(chunk):
            record = _record(name, answers.get(i), reasons[i])
            _save_show(record, source, shows[start + i])
            records.append(record)
            if record["error"] is not None:
                print(f"handdigits predict: error: {name}: {record['error']}", file=sys.stderr, flush=True)
            elif not args.json:
                print(_text_line(record), flush=True)
        bar.update(len(chunk))
    bar.close()
    if args.json:
        print(json.dumps(records, indent=2))
    return 1 if any(r["error"] is not None for r in records) else 0


def _progress(total: int):
    """A tqdm bar on stderr for runs of more than one chunk (shown only on a terminal)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="img", file=sys.stderr, disable=None if total > PREDICT_CHUNK else True,
                desc="handdigits predict")


def _classify_chunk(clf, chunk, k: int):
    """``({index in chunk: (label, top-k list)}, [reason or None per item])`` for one chunk of inputs; the
    label is -1 where the classifier's ``min_confidence`` doubts the image."""
    from ..decision import top_k
    from ..preprocess import to_mnist_batch

    readable = [i for i, (_, _, why) in enumerate(chunk) if why is None]
    reasons = [why for *_, why in chunk]
    if not readable:
        return {}, reasons
    prepared = to_mnist_batch([chunk[i][1] for i in readable], errors="mark")
    for i, why in zip(readable, prepared.reasons):
        reasons[i] = None if why is None else reason(why, chunk[i][1])
    if not prepared.ok.any():
        return {}, reasons
    answer = clf.answer(prepared.images[prepared.ok], preprocess=False)
    found = zip(answer.labels.tolist(), top_k(answer.proba, k))
    return dict(zip([i for i, ok in zip(readable, prepared.ok) if ok], found)), reasons


def _save_show(record: dict, source, show) -> None:
    """Write the ``--show`` picture of one input (when asked and decodable) and note it in ``record``."""
    if show is None or source is None:
        return
    from ..preprocess import trace

    try:
        trace(source).save(show)
        record["show"] = str(show)
    except (OSError, ValueError):
        pass  # undecodable: the failure is reported already


def _record(name: str, answer, why) -> dict:
    """One file's JSON record: ``sure`` is false, with ``digit`` null, for a failure or a doubted image."""
    if answer is None:
        return {"image": name, "digit": None, "sure": False, "top_k": [], "error": why or "not classified"}
    label, top = answer
    return {"image": name, "digit": label if label >= 0 else None, "sure": label >= 0,
            "top_k": [{"digit": d, "probability": p} for d, p in top], "error": None}


def _text_line(record: dict) -> str:
    first, *rest = record["top_k"]
    answer = first["digit"] if record["sure"] else f"not sure, most likely {first['digit']}"
    line = f"{record['image']}: {answer} ({first['probability']:.1%})"
    if rest:
        line += "  next: " + ", ".join(f"{t['digit']} ({t['probability']:.1%})" for t in rest)
    return line

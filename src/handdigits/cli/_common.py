"""What every ``handdigits`` sub-command shares: errors, image arguments, the model option."""

from __future__ import annotations

import re
import sys
from pathlib import Path

#: the name under which standard input ("-") appears in messages and output
STDIN_NAME = "<stdin>"


class CommandError(Exception):
    """A failure of a sub-command: reported as ``handdigits <command>: error: <message>``, exit status 1."""


def one_line(exc: BaseException) -> str:
    """The exception's message on one line (Keras and TensorFlow errors can span many)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."


def add_model_option(parser) -> None:
    parser.add_argument("--model", default=None, metavar="PATH",
                        help="a .keras model to use instead of the bundled one")


def add_image_command(sub, name: str, *, help: str, description: str, json_help: str):
    """A sub-command over image files: ``IMG...`` ('-' for standard input), ``--json`` and ``--model``."""
    p = sub.add_parser(name, help=help, description=description)
    p.add_argument("images", nargs="+", metavar="IMG",
                   help="image files (PNG, JPEG, ...) or directories of them (searched recursively); '-' for standard input")
    p.add_argument("--json", action="store_true", help=json_help)
    add_model_option(p)
    add_runtime_options(p)
    return p


def add_runtime_options(parser) -> None:
    """``--threads N`` and ``--no-quantized``: how the model runs (``Classifier(threads=..., quantized=...)``)."""
    parser.add_argument("--threads", type=threads_option, default=None, metavar="N",
                        help="LiteRT threads per call (default: two for a single image, one where only one CPU "
                             "is usable; every CPU for several)")
    parser.add_argument("--no-quantized", dest="quantized", action="store_false",
                        help="run the float32 model (the Keras model's exact answers) instead of its quantized "
                             "twin, about 4x slower per image (models without a quantized file always run float32)")


def threads_option(text: str) -> int:
    """``--threads``: an integer checked by :func:`handdigits.runtime.check_threads` (argparse type)."""
    import argparse

    from ..runtime import MAX_THREADS, check_threads

    try:
        return check_threads(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {MAX_THREADS}, got {text!r}") from None


def check_model_option(parser, path) -> None:
    if path is not None and not Path(path).is_file():
        parser.error(f"--model: model file not found: {path!r}")


def check_images(parser, args) -> None:
    """Usage checks shared by the image commands (before any long work); directories become their images."""
    if args.images.count("-") > 1:
        parser.error("'-' (standard input) can be given only once")
    check_model_option(parser, args.model)
    args.images = expand_directories(args.images)


def expand_directories(names: list) -> list:
    """Each directory among ``names`` replaced by the image files below it, sorted.

    Image files are those with an extension of a format Pillow can open;
    hidden files and folders are skipped.  A directory without any stays as it
    is and is reported by :func:`read_input`.
    """
    from PIL import Image

    readable = {ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN}
    out = []
    for name in names:
        path = Path(name)
        if name == "-" or not path.is_dir():
            out.append(name)
            continue
        found = sorted(str(p) for p in path.rglob("*") if p.suffix.lower() in readable and p.is_file()
                       and not any(part.startswith(".") for part in p.relative_to(path).parts))
        out.extend(found or [name])
    return out


def load_classifier(path, threads: int | None = None, quantized: bool = True, min_confidence=None):
    from ..classifier import Classifier

    options = {"threads": threads, "quantized": quantized, "min_confidence": min_confidence}
    return Classifier.load(path, **options) if path else Classifier(**options)


def read_input(arg: str):
    """``(display name, image source, None)`` or ``(display name, None, reason)`` for one IMG argument."""
    if arg == "-":
        data = sys.stdin.buffer.read()
        return STDIN_NAME, data, (None if data else "no data on standard input")
    path = Path(arg)
    if not path.exists():
        return arg, None, "file not found"
    if path.is_dir():
        return arg, None, "is a directory without image files"
    return arg, path, None


def read_inputs(args, min_confidence=None):
    """``(inputs, classifier)``: every IMG argument read, the classifier (with ``min_confidence``) loaded only
    if one is usable."""
    inputs = [read_input(arg) for arg in args.images]
    usable = any(reason is None for *_, reason in inputs)
    clf = (load_classifier(args.model, args.threads, quantized=args.quantized, min_confidence=min_confidence)
           if usable else None)
    return inputs, clf


_PREFIX = re.compile(r"^image(?:\[\d+\]| \d+ of \d+)?: ")
_DETAIL = re.compile(r"\((\w+(?:Error|Exception)): [^()]*\)")


def reason(message: str, source) -> str:
    """Why one image failed, on one line and without the file name (the caller names it once)."""
    text = _PREFIX.sub("", " ".join(str(message).split()))
    if isinstance(source, Path) and repr(str(source)) in text:
        text = _DETAIL.sub(r"(\1)", text).replace(repr(str(source)), "the file")
    elif "<_io.BytesIO object" in text:  # Pillow's message for standard input names a Python object
        text = _DETAIL.sub(r"(\1)", text)
    return text

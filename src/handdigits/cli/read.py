"""``handdigits read``: read whole numbers (one line of handwritten digits) from image files."""

from __future__ import annotations

import json
import sys

from ._common import add_image_command, check_images, read_inputs, reason


def add_read(sub):
    p = add_image_command(
        sub,
        "read",
        help="read whole numbers (one line of handwritten digits) from image files",
        description="Read the number written in each image file (one line of handwritten digits; '-' reads one "
        "image from standard input).  Prints one line per file, FILE: NUMBER (CONFIDENCE); files that cannot "
        "be read are reported on stderr, one line each, the others are still read, and the exit status is 1.",
        json_help="print a JSON list with one record per file: text, confidence, digits with their boxes "
        "(x0, y0, x1, y1 in image pixels) and probabilities; failures have an 'error' field",
    )
    p.add_argument("--digits", type=int, default=None, metavar="N", help="read exactly N digits")
    p.add_argument("--max-digits", type=int, default=None, metavar="N", help="read at most N digits")
    p.set_defaults(func=run_read)


def run_read(args, parser) -> int:
    for option, value in (("--digits", args.digits), ("--max-digits", args.max_digits)):
        if value is not None and value < 1:
            parser.error(f"{option} must be a positive integer, got {value}")
    if args.digits is not None and args.max_digits is not None and args.digits > args.max_digits:
        parser.error(f"--digits ({args.digits}) must not exceed --max-digits ({args.max_digits})")
    check_images(parser, args)

    from ..reading import Reading

    inputs, clf = read_inputs(args)
    records = []
    for name, source, why in inputs:
        if why is None:
            try:
                reading = clf.read(source, max_digits=args.max_digits, expected_length=args.digits)
            except (OSError, ValueError) as exc:
                reading = Reading.failed(reason(str(exc), source))
        else:
            reading = Reading.failed(why)
        records.append({"image": name, **reading.to_dict()})
        if reading.error is not None:
            print(f"handdigits read: error: {name}: {reading.error}", file=sys.stderr, flush=True)
        elif not args.json:
            print(f"{name}: {reading.text} ({reading.confidence:.1%})", flush=True)
    if args.json:
        print(json.dumps(records, indent=2))
    return 1 if any(r["error"] is not None for r in records) else 0

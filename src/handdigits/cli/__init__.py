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
import os
import sys

from .. import __version__
from ._common import STDIN_NAME, CommandError, one_line
from .benchmark import add_benchmark, named_path
from .demo import add_demo
from .predict import add_predict
from .read import add_read
from .serve import add_serve
from .train import add_train

__all__ = ["EXPECTED_ERRORS", "STDIN_NAME", "CommandError", "build_parser", "main"]

#: exceptions reported as one line and exit status 1 (anything else is a bug: traceback)
EXPECTED_ERRORS = (OSError, ValueError, ImportError)

_named_path = named_path  # the name tests and older callers use


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="handdigits",
        description="Handwritten digit recognition.  Exit status: 0 success, 1 failure, 2 invalid usage.",
    )
    parser.add_argument("--version", action="version", version=f"handdigits {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for add in (add_predict, add_read, add_demo, add_train, add_benchmark, add_serve):
        add(sub)
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
    from .._native_log import quiet_native_logs

    with quiet_native_logs():
        try:
            return args.func(args, command)
        except (CommandError, *EXPECTED_ERRORS) as exc:
            if os.environ.get("HANDDIGITS_DEBUG"):
                raise
            print(f"{command.prog}: error: {one_line(exc)}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print(f"{command.prog}: interrupted", file=sys.stderr)
            return 130

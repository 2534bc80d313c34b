"""``handdigits train``: the options and work of ``python -m handdigits.train``."""

from __future__ import annotations


def add_train(sub):
    from .. import train

    p = sub.add_parser(
        "train",
        help="train a model (see python -m handdigits.train --help)",
        description="Train a model from the command line (same options as python -m handdigits.train).",
    )
    train.build_parser(p)
    p.set_defaults(func=lambda args, parser: train.run_from_args(args, parser))

"""The command line of training: ``python -m handdigits.train`` and ``handdigits train``."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from .. import models
from ..assembly import DATASET_ALIASES, DATASETS
from .ensemble import MULTI_WORKER_MEMBERS, interpolate_run, train_ensemble
from .loop import train
from .settings import STRATEGIES, RunConfigError
from .strategy import ClusterError
from ..validation import check_int, check_number

DESCRIPTION = "Reproducible training entry point: ``python -m handdigits.train`` / ``handdigits train``."


def _checked(convert, what: str, check, **bounds):
    """An argparse type: ``convert`` the text (``int`` or ``float``), then apply a :mod:`handdigits.validation`
    check, so a flag and the matching ``train()`` argument obey one rule with one message."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        try:
            return check(value, "value", **bounds)
        except (TypeError, ValueError) as exc:
            raise argparse.ArgumentTypeError(str(exc).removeprefix("value ")) from None

    return parse


def _number_type(low: float, high: float | None = None, *, low_open: bool = False):
    """An argparse type for a finite number in ``[low, high]`` (``(low, high]`` if ``low_open``)."""
    return _checked(float, "a number", check_number, low=low, high=high, low_open=low_open)


_positive_int = _checked(int, "a positive integer", check_int, low=1)
_non_negative_int = _checked(int, "a non-negative integer", check_int, low=0)
_seed = _checked(int, "an integer", check_int, low=0, high=2**32 - 1)
_non_negative_float = _number_type(0.0)


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(prog="python -m handdigits.train", description=DESCRIPTION)
    parser.add_argument("--model", default="bn_cnn", choices=[*models.available(), *models.ALIASES],
                        help="architecture (default: bn_cnn; 'seed' is the old name of 'baseline')")
    parser.add_argument("--datasets", default="combined", choices=[*DATASETS, *DATASET_ALIASES],
                        help="training data (default: combined = MNIST + EMNIST, EMNIST when available; 'both' is its old name)")
    parser.add_argument("--epochs", type=_positive_int, help="epochs (default: the model's recipe)")
    parser.add_argument("--batch-size", type=_positive_int, help="batch size (default: the model's recipe)")
    parser.add_argument("--augment", type=_number_type(0.0, 2.0), default=1.0, help="augmentation strength in [0, 2], 0 disables (default: 1)")
    parser.add_argument("--seed", type=_seed, default=0, help="random seed in [0, 2**32 - 1] (default: 0)")
    parser.add_argument("--members", type=_positive_int, default=1, help="train N models with seeds SEED..SEED+N-1 and average them (default: 1)")
    parser.add_argument("--split-seed", type=_seed, default=0, help="seed of the validation hold-out, shared by runs of any --seed (default: 0)")
    parser.add_argument("--output", default=None, help="output directory (default: runs/<model>)")
    parser.add_argument("--data-dir", default=None, help="data directory (default: $HANDDIGITS_DATA or ~/.cache/handdigits)")
    parser.add_argument("--no-download", action="store_true", help="never download; use local files only")
    parser.add_argument("--no-verify", action="store_true", help="skip the sha256 checks of the data files (custom or test files)")
    parser.add_argument("--strategy", default="default", choices=STRATEGIES, help="tf.distribute strategy")
    parser.add_argument("--validation", type=_non_negative_float, default=5000, help="validation hold-out: a fraction < 1 or a count (default: 5000)")
    parser.add_argument("--learning-rate", type=_number_type(0.0, low_open=True), default=1e-3, help="peak learning rate (default: 0.001)")
    parser.add_argument("--limit", type=_positive_int, help="use only the first N training images (smoke tests)")
    parser.add_argument("--no-eval", action="store_true", help="skip the test-set evaluation")
    parser.add_argument("--synthetic", type=_non_negative_int, default=0, metavar="N", help="add N synthetic handwritten digits of many styles (default: 0)")
    parser.add_argument("--nondigits", type=_non_negative_int, default=0, metavar="N", help="add N synthetic non-digits as an 11th class, 'not a digit' (default: 0)")
    parser.add_argument("--photos", type=_non_negative_int, default=0, metavar="N", help="add N MNIST train digits rendered as photos and scans (notebook paper, inks, tight crops...) and preprocessed back (default: 0)")
    parser.add_argument("--pairs", type=_non_negative_int, default=0, metavar="N", help="add N touching pairs of MNIST train digits as 'not a digit' (helps Classifier.read; default: 0)")
    parser.add_argument("--numbers", type=_non_negative_int, default=0, metavar="N", help="add N candidates that Classifier.read cuts from generated numbers of MNIST train digits, labelled digit or 'not a digit' (helps Classifier.read; default: 0)")
    parser.add_argument("--extra-data", action="append", default=[], metavar="DIR_OR_IDX_PAIR", help="more labelled data: an image folder (sub-folders 0-9) or IMAGES.idx,LABELS.idx; repeatable")
    parser.add_argument("--init-from", metavar="MODEL.keras", help="fine-tune: start from this model's weights (member i of an ensemble for member i)")
    parser.add_argument("--lowres", type=_number_type(0.0, 1.0), default=0.0, metavar="P", help="probability of showing a training image at 8-16 px resolution (default: 0)")
    parser.add_argument("--no-calibrate", action="store_true", help="do not fit a temperature on the validation set")
    parser.add_argument("--overwrite", action="store_true", help="replace a finished run in --output (default: refuse)")
    parser.add_argument("--interpolate", metavar="RUN_DIR", help="train nothing: mix a finished fine-tuning run with --init-from's weights (WiSE-FT) into --output")
    parser.add_argument("--refit-not-a-digit", action="store_true", help="train nothing: refit only the 'not a digit' output of --init-from (an 11-output model) on the data, leaving each member's digit outputs as they are, into --output")
    parser.add_argument("--alpha", type=_number_type(0.0, 1.0), default=0.5, help="with --interpolate: weight of the fine-tuned weights (default: 0.5)")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=None, help="Keras verbosity (default: progress bar on a terminal, one line per epoch otherwise)")
    return parser


def run_from_args(args, parser) -> int:
    """Run :func:`train` from parsed arguments; missing or corrupt data files exit with status 1."""
    from ..datasets import ChecksumError, DatasetUnavailable

    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        parser.error(f"--data-dir {args.data_dir!r} is not a directory")
    if args.init_from is not None and not Path(args.init_from).is_file():
        parser.error(f"--init-from {args.init_from!r} is not a file")
    if args.interpolate and (args.init_from is None or args.output is None or not Path(args.interpolate, "metadata.json").is_file()):
        parser.error("--interpolate RUN_DIR needs a finished run (RUN_DIR/metadata.json), --init-from (the model it started from) and --output")
    if args.refit_not_a_digit and (args.init_from is None or args.output is None or args.interpolate):
        parser.error("--refit-not-a-digit needs --init-from (the model to refit) and --output, and no --interpolate")
    if args.refit_not_a_digit and not Path(args.init_from).with_name("metadata.json").is_file():
        parser.error(f"--refit-not-a-digit: {args.init_from!r} has no metadata.json beside it (written by handdigits.train)")
    if args.members > 1 and args.strategy == "multi-worker":
        parser.error(f"--members: {MULTI_WORKER_MEMBERS}")
    verbose = args.verbose if args.verbose is not None else (1 if sys.stdout.isatty() else 2)
    try:
        _train_from_args(args, verbose)
    except (DatasetUnavailable, ChecksumError, FileExistsError, RunConfigError, ClusterError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _train_from_args(args, verbose) -> dict:
    if args.interpolate:
        return interpolate_run(
            args.interpolate, args.init_from, args.alpha, output=args.output, data_dir=args.data_dir,
            download=not args.no_download, verify=not args.no_verify, evaluate=not args.no_eval,
            overwrite=args.overwrite, command=command_line(sys.argv),
        )
    if args.refit_not_a_digit:
        from .not_a_digit import refit_run
        from .settings import split_settings

        _, data, options = split_settings(args.model, _common_kwargs(args, verbose))
        return refit_run(args.init_from, data, output=args.output, evaluate=options.evaluate,
                         overwrite=options.overwrite, command=options.command)
    if args.members > 1:
        return train_ensemble(
            args.model,
            args.members,
            output=args.output or f"runs/{args.model}_x{args.members}",
            seed=args.seed,
            **_common_kwargs(args, verbose),
        )
    return train(
        args.model,
        seed=args.seed,
        output=args.output or f"runs/{args.model}",
        **_common_kwargs(args, verbose),
    )


def command_line(argv) -> str:
    """The command as a user would type it (``python -m handdigits.train ...`` or ``handdigits train ...``)."""
    argv = list(argv)
    if argv and argv[0].replace("\\", "/").endswith(("handdigits/train.py", "handdigits/train/__main__.py")):
        argv[0:1] = ["python", "-m", "handdigits.train"]
    elif argv and Path(argv[0]).name in ("handdigits", "__main__.py"):
        argv[0] = "handdigits"
    return shlex.join(argv)


def _common_kwargs(args, verbose) -> dict:
    return dict(
        datasets=args.datasets,
        epochs=args.epochs,
        batch_size=args.batch_size,
        augment=args.augment,
        split_seed=args.split_seed,
        data_dir=args.data_dir,
        download=not args.no_download,
        strategy=args.strategy,
        validation=args.validation,
        learning_rate=args.learning_rate,
        limit=args.limit,
        evaluate=not args.no_eval,
        verbose=verbose,
        verify=not args.no_verify,
        command=command_line(sys.argv),
        synthetic=args.synthetic,
        nondigits=args.nondigits,
        photos=args.photos,
        pairs=args.pairs,
        numbers=args.numbers,
        extra_data=tuple(args.extra_data),
        init_from=args.init_from,
        lowres=args.lowres,
        calibrate=not args.no_calibrate,
        overwrite=args.overwrite,
    )


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_from_args(args, parser)


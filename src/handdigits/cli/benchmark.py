"""``handdigits benchmark``: evaluate models on the test sets and print error rates."""

from __future__ import annotations

from pathlib import Path

from ._common import CommandError, check_model_option


def add_benchmark(sub):
    from ..benchmark import DATASETS, DEFAULT_DATASETS

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
    p.set_defaults(func=run_benchmark)


def run_benchmark(args, parser) -> int:
    kwargs = _benchmark_kwargs(args, parser)
    if args.plot:
        import importlib.util

        if importlib.util.find_spec("matplotlib") is None:
            raise CommandError("--plot needs matplotlib, which is not installed: pip install 'handdigits[plot]'")

    from ..benchmark import benchmark

    result = benchmark(**kwargs)
    print(result.to_markdown())
    if args.json:
        with open(args.json, "w") as fh:
            fh.write(result.to_json())
    if args.plot:
        result.plot(args.plot)
    return 0


def _benchmark_kwargs(args, parser) -> dict:
    """The keyword arguments of :func:`handdigits.benchmark.benchmark`, after every usage check."""
    if args.seed < 0:
        parser.error(f"--seed must be a non-negative integer, got {args.seed}")
    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        parser.error(f"--data-dir: not a directory: {args.data_dir!r}")
    models = None
    if args.model:
        models = dict(named_path(m) for m in args.model)
        if len(models) != len(args.model):
            parser.error("--model names must be unique")
        for path in models.values():
            check_model_option(parser, path)
    for option, out in (("--plot", args.plot), ("--json", args.json)):
        if out is not None and not Path(out).resolve().parent.is_dir():
            parser.error(f"{option}: the directory of {out!r} does not exist")
    kwargs = {"data_dir": args.data_dir, "seed": args.seed, "strict": args.strict, "progress": True,
              "download": args.download, "verify": args.verify, "preprocess": args.preprocess}
    if args.data:
        kwargs["data"] = data_folders(parser, args.data)
        kwargs["datasets"] = ()
    if args.datasets:
        kwargs["datasets"] = tuple(dict.fromkeys(args.datasets))
    if models is not None:
        kwargs["models"] = models
    return kwargs


def data_folders(parser, specs) -> dict:
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


def named_path(spec: str) -> tuple[str, str]:
    """``"NAME=PATH"`` -> ``(NAME, PATH)``; a plain path names itself."""
    name, sep, path = spec.partition("=")
    if sep and name and "/" not in name and path:
        return name, path
    return spec, spec

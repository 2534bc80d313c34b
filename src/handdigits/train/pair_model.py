"""Train the reader's pair model: ``python -m handdigits.train.pair_model``.

The pair model reads two touching digits as one ``(28, 48)`` crop
(:mod:`handdigits.reading.pairs`; architecture
:func:`handdigits.models.build_pair_model`).  Its data are generated:
:func:`handdigits.datasets.rendered.touching_pairs` of MNIST *train* digits,
less the validation hold-out that every training run keeps
(:func:`handdigits.assembly.split_validation`, 5,000 images, split seed 0),
whose own pairs measure the run.  ``--init-from`` starts the convolutions from
a trained bn_cnn's (member 0 of an ensemble), which the pair model shares
layer for layer; the bundled one started from the bundled reading model's.

Example (the bundled pair model's command)::

    python -m handdigits.train.pair_model --data-dir ../shared/data \\
        --init-from src/handdigits/weights/reading/model.keras --output runs/pairs

Writes ``model.keras`` and ``metadata.json`` into ``--output`` (bundle them
with ``scripts/bundle_model.py RUN_DIR --dest src/handdigits/weights/pairs``);
after each epoch the model (with its optimizer) is saved in ``backup/``, and
a killed run started again with the same command goes on from the last one.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from .provenance import FORMAT, environment, finish, log

DEFAULTS = {"pairs": 115_000, "validation_pairs": 5_000, "epochs": 5, "batch_size": 128, "learning_rate": 1e-3}
PAIR_INPUT = "28x48x1 float in [0, 255], white ink on black: two touching digits (handdigits.reading.pairs)"


def train_pair_model(*, output, data_dir=None, download: bool = True, init_from=None, seed: int = 0,
                     pairs: int = DEFAULTS["pairs"], validation_pairs: int = DEFAULTS["validation_pairs"],
                     epochs: int = DEFAULTS["epochs"], batch_size: int = DEFAULTS["batch_size"],
                     learning_rate: float = DEFAULTS["learning_rate"], limit: int | None = None,
                     verbose: int = 2, command: str | None = None) -> dict:
    """Train a pair model into ``output`` (``model.keras`` + ``metadata.json``); returns the metadata.

    ``limit`` keeps only the first N training digits (smoke tests).  Pairs are
    made with ``seed`` (validation pairs with ``seed + 1``), and the weights
    start from ``seed``.
    """
    import keras

    from .. import models
    from ..assembly import split_validation
    from ..datasets import load_mnist
    from ..datasets.checksums import file_digest
    from ..datasets.rendered import touching_pairs

    started = time.time()
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    x, y = load_mnist("train", data_dir=data_dir, download=download)
    (xt, yt), (xv, yv) = split_validation(x, y, 5000, 0)
    if limit is not None:
        xt, yt = xt[:limit], yt[:limit]
    log(f"making {pairs:,} training pairs from {len(yt):,} MNIST train digits, {validation_pairs:,} from the hold-out")
    px, py = touching_pairs(xt, yt, pairs, seed=seed, progress=None if verbose else False)
    vx, vy = touching_pairs(xv, yv, validation_pairs, seed=seed + 1, progress=None if verbose else False)

    backups = output / "backup"
    done = sorted(backups.glob("epoch-*.keras"), key=lambda p: int(p.stem.split("-")[1]))
    if done:
        net = keras.saving.load_model(done[-1], compile=True)
        initial = int(done[-1].stem.split("-")[1])
        log(f"resuming after epoch {initial} ({done[-1].name})")
    else:
        net, initial = _new_model(models, seed, init_from, pairs, epochs, batch_size, learning_rate), 0
    backups.mkdir(exist_ok=True)
    save = keras.callbacks.ModelCheckpoint(str(backups / "epoch-{epoch}.keras"))
    fit_started = time.time()
    net.fit(px[..., None], py, batch_size=batch_size, epochs=epochs, initial_epoch=initial,
            validation_data=(vx[..., None], vy), callbacks=[save], verbose=verbose)
    net = keras.Model(net.input, net.output, name=net.name)  # uncompiled: no optimizer state is saved
    metadata = {
        "format": FORMAT,
        "architecture": {"name": net.name, "description": models.build_pair_model.__doc__.split("\n\n")[0],
                         "parameters": int(net.count_params()), "input": PAIR_INPUT, "classes": models.PAIR_CLASSES},
        "data": {"digits": "MNIST train less the validation hold-out (split_validation: 5,000 images, seed 0)",
                 "generator": "handdigits.datasets.rendered.touching_pairs", "pairs": pairs, "seed": seed,
                 "validation_pairs": validation_pairs, "validation_seed": seed + 1, "limit": limit},
        "recipe": {"epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate,
                   "schedule": "cosine decay to 0", "optimizer": "adam",
                   "init_from": None if init_from is None else {"file": Path(init_from).name,
                                                                "sha256": file_digest(Path(init_from))}},
        "environment": environment(),
        "validation": _validation(net, vx, vy),
        "train_wall_seconds": round(time.time() - fit_started, 1),
        "command": command,
    }
    log(f"validation pairs: {json.dumps(metadata['validation'])}")
    return finish(metadata, net, output / "model.keras", started, None, False)


def _new_model(models, seed: int, init_from, pairs: int, epochs: int, batch_size: int, learning_rate: float):
    """The pair model, compiled, its convolutions from ``init_from``'s (member 0 of an ensemble) when given."""
    import keras

    net = models.build_pair_model(seed=seed)
    if init_from is not None:
        from ..model_files import load_keras

        source = load_keras(Path(init_from), repr(str(init_from)))
        members = models.members_of(source)
        copied = models.transfer_features(members[0], net)
        log(f"convolutions from {init_from} ({copied} layers)")
    steps = int(np.ceil(pairs / batch_size)) * epochs
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps)
    net.compile(keras.optimizers.Adam(schedule), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return net


def _validation(net, x: np.ndarray, y: np.ndarray) -> dict:
    """Accuracy on the validation pairs: all, on pairs (both digits right), on the rest (called not a pair)."""
    from ..reading.pairs import NOT_A_PAIR

    got = np.asarray(net.predict(x[..., None].astype(np.float32), batch_size=512, verbose=0)).argmax(1)
    pair = y != NOT_A_PAIR
    return {"n": int(len(y)), "accuracy": round(float((got == y).mean()), 4),
            "pairs": int(pair.sum()), "pair_accuracy": round(float((got[pair] == y[pair]).mean()), 4),
            "not_a_pair_recall": round(float((got[~pair] == NOT_A_PAIR).mean()), 4)}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m handdigits.train.pair_model",
                                     description="Train the reader's pair model (two touching digits as one crop).")
    from .cli import _positive_int, _seed

    parser.add_argument("--output", default="runs/pairs", help="output directory (default: runs/pairs)")
    parser.add_argument("--data-dir", default=None, help="data directory (default: $HANDDIGITS_DATA or ~/.cache/handdigits)")
    parser.add_argument("--no-download", action="store_true", help="never download; use local files only")
    parser.add_argument("--init-from", metavar="MODEL.keras", help="start the convolutions from this bn_cnn's (member 0 of an ensemble)")
    parser.add_argument("--seed", type=_seed, default=0, help="seed of the pairs and the weights (default: 0)")
    parser.add_argument("--pairs", type=_positive_int, default=DEFAULTS["pairs"], help=f"training pairs (default: {DEFAULTS['pairs']})")
    parser.add_argument("--validation-pairs", type=_positive_int, default=DEFAULTS["validation_pairs"],
                        help=f"validation pairs, from the hold-out (default: {DEFAULTS['validation_pairs']})")
    parser.add_argument("--epochs", type=_positive_int, default=DEFAULTS["epochs"], help=f"epochs (default: {DEFAULTS['epochs']})")
    parser.add_argument("--batch-size", type=_positive_int, default=DEFAULTS["batch_size"],
                        help=f"batch size (default: {DEFAULTS['batch_size']})")
    parser.add_argument("--limit", type=_positive_int, help="use only the first N training digits (smoke tests)")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=None,
                        help="Keras verbosity (default: progress bar on a terminal, one line per epoch otherwise)")
    return parser


def main(argv=None) -> int:
    from ..datasets import ChecksumError, DatasetUnavailable
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        parser.error(f"--data-dir {args.data_dir!r} is not a directory")
    if args.init_from is not None and not Path(args.init_from).is_file():
        parser.error(f"--init-from {args.init_from!r} is not a file")
    verbose = args.verbose if args.verbose is not None else (1 if sys.stdout.isatty() else 2)
    try:
        train_pair_model(output=args.output, data_dir=args.data_dir, download=not args.no_download,
                         init_from=args.init_from, seed=args.seed, pairs=args.pairs,
                         validation_pairs=args.validation_pairs, epochs=args.epochs, batch_size=args.batch_size,
                         limit=args.limit, verbose=verbose,
                         command=shlex.join(["python", "-m", "handdigits.train.pair_model",
                                             *(sys.argv[1:] if argv is None else argv)]))
    except (DatasetUnavailable, ChecksumError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

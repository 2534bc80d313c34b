"""Training and validation sets assembled from named sources, with a hold-out per source.

One place builds what :mod:`handdigits.train` trains on:

- ``mnist``: MNIST train; the validation hold-out is drawn exactly as in
  every earlier version (``split_validation`` over the 60,000 images with
  ``split_seed``), so a model fine-tuned from an earlier bundled one never
  validates on images it was trained on;
- ``emnist``: EMNIST digits train (the full files, or the partial real files
  when only those exist), without images that duplicate MNIST test images;
  the same *fraction* as MNIST's is held out;
- ``synthetic``: :func:`handdigits.datasets.load_synthetic` digits; the
  hold-out is the generator's ``"validation"`` split, drawn from style
  families kept out of training;
- ``nondigits``: synthetic non-digits, labelled :data:`NOT_A_DIGIT` (10),
  held out the same way; a model trained with them has 11 outputs;
- ``extra``: the user's labelled data (``--extra-data``), same fraction held out;
- ``photos``: MNIST train digits rendered in real-world conditions and preprocessed back
  (:func:`handdigits.datasets.rendered.render_photos`); the hold-out renders MNIST's
  validation digits, so no image of MNIST's hold-out is trained on in any form;
- ``pairs``: two touching MNIST train digits, labelled :data:`NOT_A_DIGIT`
  (:func:`handdigits.datasets.rendered.merged_pairs`), held out the same way;
- ``numbers``: the candidates :meth:`Classifier.read` cuts from numbers of MNIST train
  digits, labelled with their digit or :data:`NOT_A_DIGIT`
  (:func:`handdigits.datasets.rendered.number_candidates`), held out the same way.

Every array used is recorded by SHA-256 in the returned ``info``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .datasets.checksums import sha256_arrays  # noqa: F401  (re-exported for train)

NOT_A_DIGIT = 10  # class index of the synthetic non-digits
DATASETS = ("mnist", "emnist", "combined")
DATASET_ALIASES = {"both": "combined"}  # training's earlier name for MNIST + EMNIST (benchmark's "combined")
MIN_SYNTHETIC_VALIDATION = 500


def split_validation(x, y, validation: float, seed: int, log=None):
    """Seeded random hold-out: ``validation`` is a fraction (<1) or a count (capped at 20 %)."""
    n = len(x)
    n_val = int(round(validation * n)) if validation < 1 else int(validation)
    if n_val > n // 5:
        if log:
            log(f"validation hold-out of {n_val} capped at 20 % of {n} images")
        n_val = n // 5
    n_val = max(n_val, 1)
    order = np.random.default_rng(seed).permutation(n)
    val, train = order[:n_val], order[n_val:]
    return (x[train], y[train]), (x[val], y[val])


@dataclass(frozen=True)
class DataSpec:
    """What a run trains and validates on: :func:`training_sets`' arguments as one value.

    Example::

        spec = DataSpec("mnist", data_dir="data", limit=1000)
        (xt, yt), (xv, yv, source), info = spec.load(log=print)
    """

    datasets: str = "combined"
    data_dir: str | os.PathLike | None = None
    download: bool = True
    verify: bool = True
    validation: float = 5000
    split_seed: int = 0
    limit: int | None = None
    synthetic: int = 0
    nondigits: int = 0
    extra_data: tuple = ()
    photos: int = 0
    pairs: int = 0
    numbers: int = 0

    @property
    def classes(self) -> int:
        """10, or 11 when a source labels images "not a digit" (:data:`NOT_A_DIGIT`)."""
        return 11 if self.nondigits or self.pairs or self.numbers else 10

    def load(self, log=print):
        """:func:`training_sets` of this specification."""
        return training_sets(
            self.datasets, data_dir=self.data_dir, download=self.download, verify=self.verify,
            validation=self.validation, split_seed=self.split_seed, limit=self.limit, synthetic=self.synthetic,
            nondigits=self.nondigits, extra=self.extra_data, photos=self.photos, pairs=self.pairs,
            numbers=self.numbers, log=log,
        )


def training_sets(
    datasets: str = "combined",
    *,
    data_dir=None,
    download: bool = True,
    verify: bool = True,
    validation: float = 5000,
    split_seed: int = 0,
    limit: int | None = None,
    synthetic: int = 0,
    nondigits: int = 0,
    extra=(),
    photos: int = 0,
    pairs: int = 0,
    numbers: int = 0,
    log=print,
):
    """``(x_train, y_train), (x_val, y_val, val_source), info`` from the named sources.

    ``val_source`` names the source of each validation image (for per-source
    validation errors).  ``limit`` keeps the first N images of each real
    source (smoke tests).  EMNIST is skipped, and ``info["emnist"]`` says why,
    when its files are unavailable and ``datasets="combined"`` (``"both"``, its
    earlier name, is still accepted).
    """
    datasets = DATASET_ALIASES.get(datasets, datasets)
    files = _Files(data_dir, download, verify)
    info: dict = {"requested": datasets, "used": [], "hashes": {}}
    parts = []  # (name, (xt, yt), (xv, yv))
    fraction = None  # MNIST's hold-out fraction, which the other real sources follow
    if datasets in ("mnist", "combined"):
        part = _mnist_part(files, info, validation, split_seed, limit, log)
        fraction = len(part[2][0]) / (len(part[1][0]) + len(part[2][0]))
        parts.append(part)
    if photos or pairs or numbers:
        if fraction is None:
            raise ValueError("photos, pairs and numbers are rendered from MNIST train digits: "
                             "they need datasets 'mnist' or 'combined'")
        parts += _rendered_parts(photos, pairs, numbers, parts[0], info, fraction, split_seed, log)
    if datasets in ("emnist", "combined"):
        part = _emnist_part(files, info, fraction if fraction else validation, split_seed, limit, log,
                            required=datasets == "emnist")
        parts += [part] if part else []
    parts += _extra_parts(extra, info, fraction or 0.1, split_seed, limit, log)
    parts += _synthetic_parts(synthetic, nondigits, info, fraction or 0.1, split_seed)
    if not parts:
        raise ValueError(f"no training data: datasets={datasets!r} gave no usable source")
    return _joined(parts, info)


@dataclass(frozen=True)
class _Files:
    """Where and how the real datasets' files are read."""

    data_dir: object
    download: bool
    verify: bool

    def load(self, loader, split: str, **kwargs):
        return loader(split, data_dir=self.data_dir, download=self.download, verify=self.verify, **kwargs)


def _first(x, y, limit):
    return (x[:limit], y[:limit]) if limit else (x, y)


def _mnist_part(files, info, validation, split_seed, limit, log):
    from . import datasets as ds

    x, y = files.load(ds.load_mnist, "train")
    info["hashes"]["mnist_train"] = sha256_arrays(x, y)
    info["mnist_train_n"] = int(len(x))
    x, y = _first(x, y, limit)
    return ("mnist", *split_validation(x, y, validation, split_seed, log))


def _emnist_part(files, info, validation, split_seed, limit, log, *, required: bool):
    """EMNIST digits train without the duplicates of MNIST test images, or None when unavailable."""
    from . import datasets as ds

    try:
        ex, ey, einfo = files.load(ds.load_emnist, "train", with_info=True)
    except ds.DatasetUnavailable as exc:  # absent; a corrupt file is an error
        reason = f"{type(exc).__name__}: {exc}"
        info["emnist"] = {"available": False, "reason": reason}
        log(f"EMNIST unavailable, training without it ({reason})")
        if required:
            raise
        return None
    tx, _ = files.load(ds.load_mnist, "test")
    from .preprocess import reframe

    dup = ds.find_duplicates(ex, tx)
    keep = np.ones(len(ex), bool)
    keep[np.unique(dup["a_index"])] = False
    exact = np.unique(dup["a_index"][dup["kind"] == "exact"])
    # EMNIST frames its digits differently: compare again once both are in MNIST's frame
    reframed = np.unique(ds.find_duplicates(reframe(ex), reframe(tx))["a_index"])
    reframed = reframed[keep[reframed]]
    keep[reframed] = False
    info["emnist"] = {
        "available": True,
        "train_n": int(len(ex)),
        "dropped_duplicates_of_mnist_test": int((~keep).sum()),
        "dropped_exact_duplicates": int(len(exact)),
        "dropped_reframed_duplicates": int(len(reframed)),
        **{k: einfo[k] for k in ("name", "partial", "of", "indices", "parts", "labels_checked") if k in einfo},
    }
    log(f"EMNIST ({einfo.get('name', 'emnist')}): {len(ex)} images, dropped {(~keep).sum()} duplicates of MNIST test images")
    info["hashes"]["emnist_train"] = sha256_arrays(ex, ey)
    ex, ey = _first(np.asarray(ex)[keep], np.asarray(ey)[keep], limit)
    return ("emnist", *split_validation(ex, ey, validation, split_seed, log))


def _extra_parts(extra, info, fraction, split_seed, limit, log) -> list:
    from . import datasets as ds

    parts = []
    for spec in extra:
        x, y, extra_info = ds.load_labelled(spec)
        x, y = _first(x, y, limit)
        train, val = split_validation(x, y, fraction, split_seed, log)
        info.setdefault("extra", []).append({**extra_info, "train_n": len(train[0]), "validation_n": len(val[0])})
        parts.append((f"extra:{extra_info.get('name', spec)}", train, val))
    return parts


def _synthetic_parts(synthetic, nondigits, info, fraction, split_seed) -> list:
    from . import datasets as ds

    parts = []
    for kind, n in (("digits", synthetic), ("nondigits", nondigits)):
        if n:
            n_val = max(MIN_SYNTHETIC_VALIDATION, int(round(n * fraction)))
            train = ds.load_synthetic(n, kind=kind, split="train", seed=split_seed)
            val = ds.load_synthetic(n_val, kind=kind, split="validation", seed=split_seed)
            name = "synthetic" if kind == "digits" else "nondigits"
            info["hashes"][f"{name}_train"] = sha256_arrays(*train)
            parts.append((name, train, val))
    if synthetic or nondigits:
        info["synthetic"] = {"digits": int(synthetic), "nondigits": int(nondigits), **ds.synthetic_info()}
    return parts


def _rendered_parts(photos, pairs, numbers, mnist, info, fraction, split_seed, log) -> list:
    """Photos of MNIST train digits, touching pairs and number candidates; their hold-outs come from MNIST's."""
    from .datasets import rendered

    _, (xt, yt), (xv, yv) = mnist
    parts = []
    sources = (("photos", photos, rendered.render_photos), ("pairs", pairs, rendered.merged_pairs),
               ("numbers", numbers, rendered.number_candidates))
    for name, n, make in sources:
        if n:
            n_val = max(MIN_SYNTHETIC_VALIDATION, int(round(n * fraction)))
            log(f"rendering {n} + {n_val} {name} from MNIST train digits")
            train = rendered.cached(make, xt, yt, n, seed=split_seed)
            val = rendered.cached(make, xv, yv, n_val, seed=split_seed + 1)
            info["hashes"][f"{name}_train"] = sha256_arrays(*train)
            parts.append((name, train, val))
    if photos or pairs or numbers:
        info["rendered"] = {"photos": int(photos), "pairs": int(pairs), **({"numbers": int(numbers)} if numbers else {}),
                            "kinds": list(rendered.KINDS),
                            "version": rendered.VERSION, "photos_kept": int(len(parts[0][1][0])) if photos else 0}
    return parts


def _joined(parts, info):
    """The parts concatenated, with what was used recorded in ``info``."""
    info["used"] = [name for name, _, _ in parts]
    info["sources"] = {name: {"train_n": int(len(t[0])), "validation_n": int(len(v[0]))} for name, t, v in parts}
    xt = np.concatenate([t[0] for _, t, _ in parts])
    yt = np.concatenate([t[1] for _, t, _ in parts]).astype(np.int64)
    xv = np.concatenate([v[0] for _, _, v in parts])
    yv = np.concatenate([v[1] for _, _, v in parts]).astype(np.int64)
    source = np.concatenate([np.full(len(v[0]), name) for name, _, v in parts])
    return (xt, yt), (xv, yv, source), info

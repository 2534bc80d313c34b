"""The named test sets, built once and shared by :func:`handdigits.benchmark`, training's test
errors and the model card, so one name always means the same images.

``"mnist"``            MNIST test (10,000 images)
``"emnist"``           EMNIST digits test (40,000 images), or the real part of it that is available
                       (``emnist-partial``: 833 images; reported as partial, with its indices)
``"combined"``         MNIST test followed by the EMNIST set above (also reported per source)
``"augmented"``        the combined set under ``transforms.augment_fixed(images, seed=seed)``; its MNIST
                       part is MNIST test under the same augmentation (training's ``mnist_test_augmented``)
``"robustness/<c>"``   MNIST test under one fixed corruption of :mod:`handdigits.corruptions`
``"realworld/<name>"`` a real-world suite of :mod:`handdigits.realworld` (raw images, preprocessed by the
                       classifier; label -1 = no digit, must be refused); ``"realworld/numbers"``: whole
                       numbers, labelled with strings and read with ``Classifier.read``

The MNIST-format sets are evaluated without preprocessing unless asked; the real-world sets and
the user's own data (:func:`user_set`) go through the classifier's preprocessing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .corruptions import CORRUPTIONS

SOURCES = ("mnist", "emnist")
NAMED = ("mnist", "emnist", "combined", "augmented")
ROBUSTNESS = tuple(f"robustness/{name}" for name in CORRUPTIONS)
_LOAD_ERRORS = (OSError, ValueError)  # FileNotFoundError / DatasetUnavailable are OSErrors


def realworld_names(*, numbers: bool = False) -> tuple[str, ...]:
    """``handdigits.realworld.NAMES`` (``NUMBERS`` with ``numbers=True``), or ``()`` while that package does not
    provide it."""
    try:
        from . import realworld
    except ImportError:
        return ()
    return tuple(getattr(realworld, "NUMBERS" if numbers else "NAMES", ()))


@dataclass
class TestSet:
    """One evaluation set.

    ``images``: uint8 (N, 28, 28) or a list of raw images (``None`` when unavailable);
    ``labels`` int64 (N,), -1 where the right answer is a refusal (strings such as ``"2024"`` for
    the whole numbers of ``realworld/numbers``, read with ``Classifier.read``); ``source`` uint8 (N,) index into
    :data:`SOURCES` for the MNIST/EMNIST sets, else ``None``; ``parts`` the sources loaded;
    ``note`` what is missing or partial and why; ``preprocess`` whether the images must go
    through the classifier's preprocessing; ``info`` provenance (e.g. EMNIST's ``load_emnist`` info).
    """

    __test__ = False  # not a pytest class

    images: object
    labels: np.ndarray | None
    source: np.ndarray | None = None
    parts: tuple = ()
    note: str | None = None
    preprocess: bool = False
    info: dict = field(default_factory=dict)

    @property
    def status(self) -> str:
        if self.images is None:
            return "unavailable"
        return "partial" if self.note else "ok"

    @property
    def n(self) -> int:
        return 0 if self.images is None else int(len(self.labels))


def emnist_note(info: dict) -> str:
    """How a partial EMNIST split is reported, e.g. ``"emnist-partial: 833 of 40,000 test images (...)"``."""
    return (f"emnist-partial: {info['n']:,} of {info['of']:,} EMNIST {info['subset']} {info['split']} images "
            f"(indices {info['indices']})")


class TestSets:
    """Loads each underlying test split once and derives the named sets from it."""

    __test__ = False

    def __init__(self, data_dir=None, *, download: bool = True, verify: bool = True, seed: int = 0,
                 strict: bool = False, log=None):
        self.data_dir, self.download, self.verify, self.seed, self.strict = data_dir, download, verify, seed, strict
        self.log = log or (lambda text: None)
        self._cache: dict = {}

    def _reason(self, name: str, exc: Exception) -> str:
        """``"<NAME> unavailable: ..."`` for a load error (re-raised when ``strict``)."""
        if self.strict:
            raise exc
        reason = str(exc) if isinstance(exc, FileNotFoundError) else f"{type(exc).__name__}: {exc}"
        label = name.upper() if name in SOURCES else name
        return reason if reason.lower().startswith(f"{name} unavailable") else f"{label} unavailable: {reason}"

    def _single(self, name: str) -> TestSet:
        """MNIST test or EMNIST digits test alone (the latter maybe partial)."""
        if name not in self._cache:
            from . import datasets as ds

            self.log(f"loading {name.upper()} test")
            kwargs = {"data_dir": self.data_dir, "download": self.download, "verify": self.verify}
            try:
                if name == "mnist":
                    x, y = ds.load_mnist("test", **kwargs)
                    info = {"name": "mnist", "partial": False, "n": int(len(y)), "of": int(len(y))}
                else:
                    x, y, info = ds.load_emnist("test", with_info=True, **kwargs)
            except _LOAD_ERRORS as exc:
                self._cache[name] = TestSet(None, None, note=self._reason(name, exc))
            else:
                note = emnist_note(info) if info["partial"] else None
                source = np.full(len(y), SOURCES.index(name), np.uint8)
                self._cache[name] = TestSet(x, y.astype(np.int64), source, (name,), note, info={name: info})
        return self._cache[name]

    def _combined(self) -> TestSet:
        """MNIST test followed by EMNIST test, assembled by :func:`handdigits.datasets.load_combined`."""
        if "combined" not in self._cache:
            from .datasets import load_combined

            self.log("loading MNIST + EMNIST test")
            try:
                c = load_combined("test", data_dir=self.data_dir, download=self.download, verify=self.verify,
                                  require_emnist=self.strict)
            except _LOAD_ERRORS as exc:
                self._cache["combined"] = TestSet(None, None, note=self._reason("mnist", exc))
            else:
                info = {"mnist": {"name": "mnist", "partial": False, "n": int((c.source == 0).sum())}}
                if c.emnist_available:
                    info["emnist"] = c.emnist_info
                    note = emnist_note(c.emnist_info) if c.emnist_info["partial"] else None
                else:
                    note = f"MNIST part only: {c.emnist_reason}"
                parts = ("mnist", "emnist") if c.emnist_available else ("mnist",)
                self._cache["combined"] = TestSet(c.images, c.labels.astype(np.int64), c.source, parts, note,
                                                  info=info)
        return self._cache["combined"]

    def load(self, name: str) -> TestSet:
        """The named set (see the module docstring); unavailable sets carry the reason in ``note``."""
        if name in SOURCES:
            return self._single(name)
        if name == "combined":
            return self._combined()
        if name == "augmented":
            return augmented(self._combined(), self.seed, self.log)
        if name.startswith("robustness/"):
            corruption = name.split("/", 1)[1]
            base = self._single("mnist")
            if base.images is None:
                return base
            from .corruptions import corrupt

            self.log(f"corrupting MNIST test: {corruption}")
            return TestSet(corrupt(base.images, corruption, seed=self.seed), base.labels, base.source, base.parts,
                           info=base.info)
        if name.startswith("realworld/"):
            return self._realworld(name)
        raise ValueError(f"unknown test set {name!r}")

    def _realworld(self, name: str) -> TestSet:
        from . import realworld

        self.log(f"building {name}")
        try:
            images, labels = realworld.load(name, seed=self.seed, data_dir=self.data_dir)
        except _LOAD_ERRORS as exc:
            return TestSet(None, None, note=self._reason(name, exc))
        labels = np.asarray(labels) if name in realworld.NUMBERS else np.asarray(labels, dtype=np.int64)
        return TestSet(images, labels, parts=(name,), preprocess=True)


def augmented(base: TestSet, seed: int, log=None) -> TestSet:
    """``base`` under ``transforms.augment_fixed(images, seed=seed)`` (the ``"augmented"`` sets)."""
    if base.images is None:
        return base
    from .transforms import augment_fixed

    if log:
        log(f"augmenting {len(base.images)} images (seed {seed})")
    return TestSet(augment_fixed(base.images, seed=seed), base.labels, base.source, base.parts, base.note,
                   info=base.info)


def user_set(name: str, spec, *, progress: bool = False) -> TestSet:
    """The user's labelled data as a :class:`TestSet` (always preprocessed, like real images).

    ``spec`` is ``(images, labels)`` (an array ``(N, H, W[, C])`` or a list of images, and N
    labels 0-9), or a folder in the layout of :func:`handdigits.datasets.load_image_folder`.
    """
    from .validation import check_images, describe

    if isinstance(spec, (str, os.PathLike)):
        from .datasets import load_image_folder

        images, labels = load_image_folder(spec, progress=progress)
        return TestSet(images, labels, parts=(name,), preprocess=True,
                       info={"kind": "folder", "folder": os.path.basename(os.path.normpath(os.fspath(spec)))})
    if isinstance(spec, Mapping) or not isinstance(spec, (tuple, list)) or len(spec) != 2:
        raise TypeError(f"data {name!r}: expected (images, labels) or a folder path, got {describe(spec)}")
    images, _ = check_images(spec[0], name=f"data {name!r} images")
    labels = np.asarray(spec[1])
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"data {name!r}: labels must be a 1-D integer array, got {describe(labels)}")
    if len(labels) != len(images):
        raise ValueError(f"data {name!r}: {len(images)} images but {len(labels)} labels")
    if len(labels) and (labels.min() < -1 or labels.max() > 9):
        raise ValueError(f"data {name!r}: labels must be digits 0-9 (or -1 for 'must be refused'), "
                         f"got values {labels.min()}..{labels.max()}")
    return TestSet(images, labels.astype(np.int64), parts=(name,), preprocess=True, info={"kind": "arrays"})


__all__ = ["NAMED", "ROBUSTNESS", "SOURCES", "TestSet", "TestSets", "augmented", "emnist_note", "realworld_names",
           "user_set"]

"""The model adapter: a digit model loaded once, checked once, run by the right runtime, and picklable.

:class:`ModelAdapter` is what a :class:`handdigits.Classifier` holds.  It takes
the model as the user gave it (``None`` for the bundled model, a ``.keras``
path, or a live ``keras.Model``), checks it once (file hashes, shapes, finite
outputs, probabilities or logits) and turns MNIST-format batches into
probabilities with one of the runtimes of :mod:`handdigits.runtime`:

- a verified shipped ``.tflite`` runs on LiteRT for every batch size: its
  dynamic-range quantized twin (``"tflite_quantized"`` in ``metadata.json``)
  when one is recorded and ``quantized`` is true (the default), else the
  float32 one;
- another ``.keras`` file runs through a compiled ``tf.function`` for batches
  and through a cached TFLite conversion (:mod:`handdigits.tflite_cache`) for
  up to :data:`SMALL_BATCH` images;
- a live ``keras.Model`` always runs through TensorFlow, reading its current
  weights.

Pickling carries the model by reference where one exists, by bytes where not:

- the bundled model and ``.keras`` files: their path and SHA-256; unpickling
  (in a worker process) loads the file again and refuses it with a
  ``ValueError`` when its SHA-256 differs;
- a live ``keras.Model``: the bytes of its ``.keras`` file (its current weights).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from .model_files import check_keras_model, keras_bytes, keras_from_bytes, load_keras, model_path, verified_tflite
from .runtime import check_kind, check_threads, convert_to_tflite, from_keras, from_tflite, litert_available
from .validation import check_bool

SMALL_BATCH = 16  # up to this many images go through the TFLite runtime when the Keras model runs the rest


class ModelAdapter:
    """One digit model and its runtimes: ``adapter.forward(batch)`` -> ``(N, C)`` probabilities.

    Args:
        model: ``None`` (the bundled model), a path to a ``.keras`` file, or a
            built ``keras.Model``.
        fast_path: ``False`` runs everything through TensorFlow.
        sha256: when given (unpickling), the SHA-256 the model file must have.
        threads: LiteRT threads (see :class:`handdigits.runtime.LiteRTRuntime`);
            ``None``: two for single images (one where one CPU is usable), every usable CPU for batches.
        quantized: run the quantized ``.tflite`` when the metadata records one
            and LiteRT is installed; ignored by other models.
        bundle: which bundled model ``model=None`` means (a key of
            :data:`handdigits.weights.BUNDLES`: ``"digits"``, ``"reading"`` or ``"pairs"``).
        kind: what the model maps (a key of :data:`handdigits.runtime.KINDS`):
            ``"digits"`` (28×28 images to 10 or 11 scores) or ``"pairs"`` (the
            reader's 28×48 crops of two touching digits to 101 scores).

    Attributes:
        runs_quantized: whether LiteRT runs the quantized ``.tflite``.
    """

    def __init__(self, model=None, *, fast_path: bool = True, sha256: str | None = None, threads: int | None = None,
                 quantized: bool = True, bundle: str = "digits", kind: str = "digits"):
        self.metadata = None
        check_kind(kind)
        self.kind = kind
        self.threads = check_threads(threads)
        self.quantized = check_bool(quantized, "quantized")
        self.runs_quantized = False
        self.what = "the Keras model"
        self.live = False  # True: the keras.Model is the caller's; always run it, never a snapshot
        self._fast_path = fast_path
        self._bundled = bundle if model is None else None  # the bundled model's name, or None
        self._keras = None  # the keras.Model; loaded on demand when LiteRT runs a shipped .tflite
        self._file = None  # the model file (Path or Traversable) it is loaded from
        self._directory = None  # the directory of the model file and its metadata.json
        self._sha256 = None  # the model file's SHA-256: key of the TFLite cache, checked when unpickling
        self._lite = None if fast_path else False  # LiteRT runtime; None: not built yet; False: not used
        self._lite_only = False  # True: LiteRT runs every batch (a shipped .tflite)
        self._tf = None  # the TensorFlow runtime, built on first use
        self._lock = threading.Lock()
        if model is None:
            from .weights import bundled, verified_model_file

            directory = bundled(bundle)
            self._file, self.metadata = verified_model_file(directory)
            self._open(directory, "the bundled model" if bundle == "digits" else f"the bundled {bundle} model", sha256)
        elif isinstance(model, (str, os.PathLike)):
            self._file, self.metadata, self._sha256 = model_path(model)
            self._open(Path(model).parent, repr(str(model)), sha256)
        else:
            self._keras = check_keras_model(model, kind)
            self.live = True
            self._lite = False
            self.compiled()  # checks the weights and outputs now

    def _open(self, directory, what: str, expected: str | None) -> None:
        """Set up a model file: LiteRT on its verified ``.tflite`` when there is one, else load the Keras model."""
        self.what = what
        if self._sha256 is None:
            self._sha256 = (self.metadata or {}).get("sha256")
        if expected is not None and (self._sha256 or "").lower() != expected.lower():
            raise ValueError(
                f"{what} has SHA-256 {self._sha256}, not {expected} as when the classifier was pickled: "
                "the model file differs in this process (another version or a replaced file)"
            )
        self._directory = directory
        if self._fast_path and litert_available():
            quantized = verified_tflite(directory, self.metadata, "tflite_quantized") if self.quantized else None
            lite = quantized if quantized is not None else verified_tflite(directory, self.metadata)
            if lite is not None:
                kind = "TFLite" if quantized is None else "quantized TFLite"
                self._lite = from_tflite(lite, source=f"{what} ({kind})", threads=self.threads, kind=self.kind)  # checked
                self._lite_only, self.runs_quantized = True, quantized is not None
                return
        lite = verified_tflite(directory, self.metadata) if self._fast_path else None
        self._keras = check_keras_model(load_keras(self._file, what), self.kind)
        if lite is not None:  # no LiteRT: TensorFlow's interpreter runs the shipped .tflite for small batches
            self._lite = from_tflite(lite, source=f"{what} (TFLite)", threads=self.threads, kind=self.kind)
        self.compiled()

    def __reduce__(self):
        if self.live:
            return (_from_keras_bytes, (keras_bytes(self.keras_model()), self.what, self.kind))
        path = None if self._bundled else str(self._file)
        return (_reopen, (path, self._fast_path, self._sha256, self.threads, self.quantized, self._bundled or "digits",
                          self.kind))

    # ------------------------------------------------------------------ running

    @property
    def options(self) -> dict:
        """``fast_path``, ``threads`` and ``quantized`` as given: to open another model the same way."""
        return {"fast_path": self._fast_path, "threads": self.threads, "quantized": self.quantized}

    @property
    def name(self) -> str:
        """The architecture's name (metadata), else the Keras model's name, else what the model is."""
        name = (self.metadata or {}).get("architecture", {}).get("name")
        if name is None:
            name = self._keras.name if self._keras is not None else self.what
        return name

    def forward(self, batch: np.ndarray) -> np.ndarray:
        """float32 (N, 28, 28, 1) -> float32 (N, C) probabilities over the model's C outputs (rows sum to 1).

        ``C`` is 10, or 11 for a model with a "not a digit" output; a pair model
        takes (N, 28, 48, 1) crops and gives 101.
        """
        runtime = self.runtime(len(batch))
        scores = runtime(batch)
        if not np.isfinite(scores).all():
            bad = np.flatnonzero(~np.isfinite(scores).all(axis=1))
            raise ValueError(
                f"the model gave non-finite scores (NaN or inf) for {len(bad)} of {len(batch)} image(s) "
                f"(first: {bad[:5].tolist()}); its weights are probably corrupt"
            )
        if not runtime.probabilities:
            scores = np.exp(scores - scores.max(axis=1, keepdims=True))  # logits -> softmax
        return scores / scores.sum(axis=1, keepdims=True)

    def runtime(self, n: int):
        """The runtime for a batch of ``n`` images."""
        if not self.live:
            lite = self.lite_runner()
            if lite is not None and (self._lite_only or n <= SMALL_BATCH):
                return lite
        return self.compiled()

    def _once(self, attribute: str, build):
        """``self.<attribute>``, built by ``build()`` under the lock the first time it is ``None``."""
        if getattr(self, attribute) is None:
            with self._lock:
                if getattr(self, attribute) is None:
                    setattr(self, attribute, build())
        return getattr(self, attribute)

    def _load_checked(self):
        model = check_keras_model(load_keras(self._file, self.what), self.kind)
        lite = self._lite
        if self.runs_quantized:  # the float32 twin must be the Keras model's exact conversion
            data = verified_tflite(self._directory, self.metadata)
            lite = None if data is None else from_tflite(data, source=f"{self.what} (TFLite)", threads=1, kind=self.kind)
        if lite:
            from .tflite_cache import check_agreement

            check_agreement(model, lite, self.what)
        return model

    def keras_model(self):
        """The ``keras.Model``, loaded (and checked) on first use when LiteRT runs a shipped ``.tflite``."""
        return self._once("_keras", self._load_checked)

    def compiled(self):
        """The TensorFlow runtime (the model as a ``tf.function``, traced once, thread-safe)."""
        model = self.keras_model() if self._tf is None else None
        return self._once("_tf", lambda: from_keras(model, source=self.what, kind=self.kind))

    def lite_runner(self):
        """The LiteRT runtime: shipped, or a (cached) conversion built on first use; ``None`` when not used."""
        if self._lite is None:
            from .tflite_cache import converted_tflite

            model = self.keras_model()
            self._once("_lite", lambda: converted_tflite(model, self._sha256, self.what, self.threads, self.kind) or False)
        return self._lite or None

    def tflite_bytes(self) -> bytes:
        """The model as a float32 TFLite flat buffer: the verified shipped or cached one, else a fresh conversion.

        Never the quantized one, even when that runs: an export gives the model's exact answers.
        """
        if self.runs_quantized and not self.live:
            data = verified_tflite(self._directory, self.metadata)
            if data is not None:
                return data
        lite = None if self.live or self.runs_quantized else self.lite_runner()
        return lite.data if lite is not None else convert_to_tflite(self.keras_model())


def _reopen(path, fast_path: bool, sha256: str | None, threads: int | None = None, quantized: bool = True,
            bundle: str = "digits", kind: str = "digits") -> ModelAdapter:
    """Unpickle a model carried by reference: a bundled model (``path`` None) or a ``.keras`` file."""
    return ModelAdapter(path, fast_path=fast_path, sha256=sha256, threads=threads, quantized=quantized, bundle=bundle,
                        kind=kind)


def _from_keras_bytes(data: bytes, what: str, kind: str = "digits") -> ModelAdapter:
    """Unpickle a live ``keras.Model`` carried by the bytes of its ``.keras`` file."""
    adapter = ModelAdapter(keras_from_bytes(data, what, kind), kind=kind)
    adapter.what = what
    return adapter

"""``Classifier``: load a digit model, predict digits from any image, export it.

>>> from handdigits import Classifier
>>> from handdigits.samples import list_samples
>>> clf = Classifier()                        # bundled model, checked against its SHA-256
>>> clf.predict(list_samples()[0])            # doctest: +SKIP
0
>>> clf.top_k(list_samples()[0], k=2)         # doctest: +SKIP
[(0, 0.9993), (6, 0.0004)]

The model is loaded, checked and run by a :class:`handdigits.adapter.ModelAdapter`:

- the bundled model, and any model with a ``.tflite`` beside it recorded (with
  its SHA-256) in ``metadata.json``, runs on LiteRT for every batch size, so
  predicting never imports TensorFlow and nothing is converted at first use;
  its dynamic-range quantized ``.tflite`` where one is recorded too (the
  bundled model's: about 4× faster), unless ``quantized=False``;
- other ``.keras`` files run through a compiled ``tf.function`` for batches and
  through a TFLite conversion of the model for single images and small batches
  (up to 16).  The conversion (seconds) is cached in
  ``$XDG_CACHE_HOME/handdigits/tflite`` under the model file's SHA-256, with the
  conversion's own SHA-256 beside it; a cached file that fails that check or
  disagrees with the Keras model on probe images (truncated, empty, another
  model's) is rebuilt, and an unwritable cache is reported once by a warning
  (:mod:`handdigits.tflite_cache`);
- a live ``keras.Model`` (passed to ``Classifier(net)``, or handed out by
  :attr:`Classifier.model`) always runs through TensorFlow, reading its current
  weights, so ``net.set_weights(...)`` is seen by every later call.

The model is checked once, when the ``Classifier`` is built: file hashes,
shapes, finite outputs (NaN weights are an error) and whether it outputs
probabilities or logits.  All float32 paths give the same probabilities to
about 1e-6 (the quantized model to about 0.02).

A ``Classifier`` is safe to share between threads, and can be pickled to run
in other processes (multiprocessing, Spark, Ray, Dask): the bundled model and
model files travel as their path and SHA-256 (checked again when unpickled),
a live ``keras.Model`` as the bytes of its ``.keras`` file.  Every prediction
method takes iterables and generators of images too, and runs any input in
chunks of :data:`handdigits.inputs.CHUNK` images, so memory stays bounded.
"""

from __future__ import annotations

import copy
import os

import numpy as np

from . import decision
from .adapter import SMALL_BATCH, ModelAdapter  # noqa: F401  (SMALL_BATCH kept importable)
from .export import EXPORT_FORMATS, export_model  # noqa: F401  (EXPORT_FORMATS kept importable)
from .inputs import check_preprocess, chunks, located, prepare, progress_bar
from .model_files import load_keras as _load_keras  # noqa: F401  (kept importable for scripts)
from .runtime import CHUNK as _CHUNK  # noqa: F401  (kept importable)
from .runtime import OUTPUTS
from .validation import check_bool, check_choice, check_int, describe

NUM_CLASSES = OUTPUTS[0]


class Classifier:
    """A digit classifier around a Keras model with MNIST-format inputs.

    Args:
        model: ``None`` for the bundled model (loaded offline from the package with
            :mod:`importlib.resources`; its SHA-256 is checked against
            ``metadata.json``), a path to a ``.keras`` file (as :meth:`load`), or a
            ``keras.Model`` taking ``(N, 28, 28, 1)`` (or ``(N, 28, 28)``) floats
            in [0, 255], white ink on black, and returning ``(N, 10)`` scores
            (or ``(N, 11)``: the digits and "not a digit").  A ``keras.Model`` is
            used live: later changes to its weights are seen by every call.
        preprocess: default for every method's ``preprocess`` argument.  ``True``
            converts each image with :func:`handdigits.preprocess.to_mnist`;
            ``False`` expects MNIST-format images (28×28, white on black, values in
            [0, 255]) and feeds them as they are.
        fast_path: ``False`` runs everything through the Keras model in
            TensorFlow (no LiteRT, no TFLite conversion).
        min_confidence: the reject option of :meth:`predict`: ``None`` (default)
            always answers a digit; a number in [0, 1] answers -1 where the
            :meth:`confidence` (the probability that the top digit is right,
            "not a digit" included for models that have it) is below it;
            ``"auto"`` takes the limits recorded in the model's metadata
            (chosen on validation data to answer 99.5 % of digits).
        threads: LiteRT threads per call: ``None`` (default) runs single images
            on two threads (one where only one CPU is usable) and batches on
            every usable CPU; an integer >= 1 uses that many for both.  Two
            threads cut a single image's latency by about a quarter where a core
            is idle; ``threads=1`` spends the least CPU per image and keeps
            latency steadiest on a machine whose cores are all busy.  Answers
            do not depend on it; the TensorFlow path ignores it.
        quantized: ``True`` (default) runs the dynamic-range quantized ``.tflite``
            (int8 weights: about 4× faster per image, probabilities within about
            0.02 of float32) where ``metadata.json`` records one (the bundled
            model does) and LiteRT is installed; ``False`` runs the float32 one
            (the Keras model's answers to 1e-5).  Other models ignore it.
        reading_model: the model :meth:`read` classifies candidate digits with
            (:attr:`reader`).  ``None`` (default): the bundled *reading* model
            when ``model`` is ``None`` (the bundled model fine-tuned on the
            reader's own candidate cuts, which reads numbers better; see
            :mod:`handdigits.reading`), else ``model`` itself; ``"same"``: this
            classifier's model; or a ``.keras`` path or ``keras.Model`` as for
            ``model`` (a file named ``same``: ``"./same"``).  ``fast_path``,
            ``threads`` and ``quantized`` apply to it too.
        pair_model: the model :meth:`read` reads two touching digits with, as
            one crop (:attr:`pair_reader`; see :mod:`handdigits.reading.pairs`):
            ``None`` (default) the bundled pair model, loaded by the first
            reading that has such a candidate; ``False`` reads single digits
            only; or a ``.keras`` path or ``keras.Model`` mapping
            ``(N, 28, 48, 1)`` crops to 101 scores.

    Raises:
        FileNotFoundError: the model file is missing.
        ValueError: the model file is corrupt, fails its SHA-256 check, has the
            wrong input/output shape or gives non-finite outputs (NaN weights).
        TypeError: ``model`` is none of the accepted types.
    """

    def __init__(self, model=None, *, preprocess: bool = True, fast_path: bool = True, min_confidence=None,
                 threads: int | None = None, quantized: bool = True, reading_model=None, pair_model=None):
        check_bool(preprocess, "preprocess"), check_bool(fast_path, "fast_path")  # threads, quantized: by the adapter
        _check_model(model, "model")
        same = isinstance(reading_model, str) and reading_model == "same"
        if not same:
            _check_model(reading_model, "reading_model", "'same', ")
        if pair_model is not False:
            _check_model(pair_model, "pair_model", "False, ")
        self._preprocess = preprocess
        self._model = ModelAdapter(model, fast_path=fast_path, threads=threads, quantized=quantized)
        self._pairs = pair_model  # None: the bundled pair model, opened by the first read that needs it
        if pair_model is not None and pair_model is not False:
            self._pairs = ModelAdapter(pair_model, kind="pairs", **self._model.options)
        self._min_confidence, self._max_not_digit = _reject_limits(min_confidence, self._model.metadata)
        if reading_model is None and model is None:
            self._reader = None  # the bundled reading model, loaded by the first read()
        elif reading_model is None or same:
            self._reader = self
        else:
            self._reader = Classifier(reading_model, preprocess=False, reading_model="same", **self._model.options)

    @classmethod
    def load(cls, path, *, preprocess: bool = True, fast_path: bool = True, min_confidence=None,
             threads: int | None = None, quantized: bool = True, reading_model=None,
             pair_model=None) -> "Classifier":
        """A classifier for a ``.keras`` model file (loaded with ``safe_mode=True``, never pickle).

        If a ``metadata.json`` written by ``handdigits.train`` sits next to the
        file and names it, it becomes :attr:`metadata` and the file's SHA-256 is
        checked against it; a malformed ``metadata.json`` is an error.  When that
        metadata also records a ``.tflite`` (as ``scripts/bundle_model.py``
        writes), its SHA-256 is checked and LiteRT runs it; when it records a
        quantized ``.tflite`` too, that one runs unless ``quantized=False``.
        """
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {describe(path)}")
        return cls(path, preprocess=preprocess, fast_path=fast_path, min_confidence=min_confidence, threads=threads,
                   quantized=quantized, reading_model=reading_model, pair_model=pair_model)

    # ------------------------------------------------------------------ properties

    @property
    def model(self):
        """The underlying ``keras.Model`` (loaded on first access when LiteRT runs the model).

        Handing the model out makes it live: from then on this classifier runs
        it through TensorFlow, so changes to its weights are seen by every call
        (never a stale fast path), and pickling carries its current weights.
        """
        model = self._model.keras_model()
        self._model.live = True
        return model

    @property
    def metadata(self) -> dict | None:
        """Training metadata (``metadata.json``) when known, else ``None``."""
        return self._model.metadata

    @property
    def backend(self) -> str:
        """The runtime that answers single images: ``"litert"`` or ``"tensorflow"``."""
        return self._model.runtime(1).backend

    @property
    def threads(self) -> int | None:
        """The LiteRT thread count given to the constructor (``None``: the runtime's defaults, two for single
        images where two CPUs are usable and every usable CPU for batches)."""
        return self._model.threads

    @property
    def quantized(self) -> bool:
        """The ``quantized`` option given to the constructor (models without a quantized ``.tflite`` ignore it)."""
        return self._model.quantized

    @property
    def min_confidence(self) -> float | None:
        """The confidence limit of :meth:`predict` (``None``: none)."""
        return self._min_confidence

    max_not_digit = property(lambda self: self._max_not_digit,
                             doc='The "not a digit" limit of :meth:`predict` (``None``: none; set by "auto").')

    def __repr__(self) -> str:
        return f"Classifier(model={self._model.name!r}, preprocess={self._preprocess})"

    # ------------------------------------------------------------------ prediction

    def predict_proba(self, x, *, preprocess: bool | None = None, errors: str = "raise", progress: bool = False) -> np.ndarray:
        """Digit probabilities: which digit it is, if it is one.

        For a model with a "not a digit" output the ten digit probabilities are
        renormalised to sum to 1; how likely the image is not a digit at all is
        :meth:`not_digit_proba`.

        Args:
            x: one image or several (see :func:`handdigits.validation.check_images`):
                a path, encoded image bytes, a PIL image, an array ``(H, W)``,
                ``(H, W, 1|3|4)``, a batch ``(N, H, W[, C])``, a list of these,
                or any iterable of single images (a generator: read in chunks).
            preprocess: ``None`` uses the instance default.
            errors: ``"raise"`` (default): an image that cannot be read (no ink
                found, undecodable file in a list) raises ``ValueError`` naming it;
                ``"mark"``: its row is all NaN and the other images are answered
                (the reasons: :func:`handdigits.preprocess.to_mnist_batch`).
            progress: show a progress bar (tqdm, on stderr) while the chunks run.

        Returns:
            float32 ``(10,)`` for one image, ``(N, 10)`` for several; rows sum to 1.

        >>> clf.predict_proba(np.zeros((3, 28, 28), np.uint8), preprocess=False).shape   # doctest: +SKIP
        (3, 10)
        """
        raw, single = self._raw(x, preprocess, errors, progress)
        proba = decision.digit_proba(raw).astype(np.float32)
        return proba[0] if single else proba

    def not_digit_proba(self, x, *, preprocess: bool | None = None, errors: str = "raise"):
        """The probability that each image is not a digit at all (letters, shapes, scribbles).

        A ``float`` for one image, ``(N,)`` for several; 0 for models without a
        "not a digit" output (they cannot tell), NaN for unreadable images
        (``errors="mark"``).
        """
        raw, single = self._raw(x, preprocess, errors)
        p = decision.not_digit_proba(raw)
        return float(p[0]) if single else p

    def confidence(self, x, *, preprocess: bool | None = None, errors: str = "raise"):
        """The probability that :meth:`predict`'s digit is right: ``P(digit) × P(top digit | digit)``.

        The score that ``min_confidence`` is compared with.  A ``float`` for one
        image, ``(N,)`` for several (NaN for unreadable images).
        """
        raw, single = self._raw(x, preprocess, errors)
        c = decision.confidence(raw)
        return float(c[0]) if single else c

    def answer(self, x, *, preprocess: bool | None = None, errors: str = "raise",
               progress: bool = False) -> "decision.Answers":
        """Labels, digit probabilities, confidence and "not a digit" at once, from one forward pass.

        What :meth:`predict`, :meth:`predict_proba`, :meth:`confidence` and
        :meth:`not_digit_proba` give, for callers that need several of them (a
        web service answering one request): always in batch form, ``N`` rows
        even for one image.  See :class:`handdigits.decision.Answers`.
        """
        raw, _ = self._raw(x, preprocess, errors, progress)
        return decision.answers(raw, self._min_confidence, self._max_not_digit)

    def predict(self, x, *, preprocess: bool | None = None, errors: str = "raise", progress: bool = False):
        """The most likely digit: an ``int`` for one image, an int64 array ``(N,)`` for several.

        Takes what :meth:`predict_proba` takes, generators included (run in
        chunks, so 200,000 images never make one large copy), and
        ``progress=True`` for a progress bar.  With ``errors="mark"`` an image
        that cannot be read gets -1 instead of raising; with ``min_confidence``
        set, so does an image whose :meth:`confidence` is below it (not a
        digit, or too unsure).

        >>> clf.predict([digit_image, blank_page], errors="mark")   # doctest: +SKIP
        array([ 7, -1])
        >>> clf.predict(Image.open(p) for p in paths)               # doctest: +SKIP
        array([3, 1, 4, ...])
        """
        raw, single = self._raw(x, preprocess, errors, progress)
        labels = decision.decide(raw, self._min_confidence, self._max_not_digit)
        return int(labels[0]) if single else labels

    def top_k(self, x, k: int = 3, *, preprocess: bool | None = None, errors: str = "raise"):
        """The ``k`` most likely digits with their probabilities, most likely first.

        Returns ``[(digit, probability), ...]`` for one image, a list of such lists
        for several.  ``k`` is an integer in 1..10.  With ``errors="mark"`` an
        image that cannot be read gets ``[]``.
        """
        k = check_int(k, "k", low=1, high=NUM_CLASSES)
        raw, single = self._raw(x, preprocess, errors)
        result = decision.top_k(decision.digit_proba(raw), k)
        return result[0] if single else result

    # ------------------------------------------------------------------ the forward pass

    def _raw(self, x, preprocess, errors, progress: bool = False) -> tuple[np.ndarray, bool]:
        """The model's outputs ``(N, C)`` for any accepted input (NaN rows for marked failures), chunk by chunk."""
        check_choice(errors, "errors", ("raise", "mark"))
        preprocess = check_preprocess(preprocess, self._preprocess)
        check_bool(progress, "progress")
        parts, total = chunks(x)
        outs, start, single = [], 0, False
        with progress_bar(total, progress) as bar:
            for part in parts:
                try:
                    batch, single, reasons = prepare(part, preprocess, errors)
                except (ValueError, TypeError, FileNotFoundError) as exc:
                    if start == 0:
                        raise
                    raise located(exc, f"in images {start}..{start + len(part) - 1}") from exc
                outs.append(self._forward_marked(batch, reasons))
                start += len(batch)
                bar.update(len(batch))
        return (outs[0] if len(outs) == 1 else np.concatenate(outs)), single

    def _forward_marked(self, batch: np.ndarray, reasons) -> np.ndarray:
        """:meth:`_forward` on the images that were read; NaN rows for the others (``reasons`` not None)."""
        ok = None if reasons is None else np.array([r is None for r in reasons], bool)
        if ok is None or ok.all():
            return self._forward(batch)
        if not ok.any():
            return np.full((len(batch), NUM_CLASSES), np.nan, np.float32)
        part = self._forward(batch[ok])
        out = np.full((len(batch), part.shape[1]), np.nan, np.float32)
        out[ok] = part
        return out

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        """float32 (N, 28, 28, 1) -> float32 (N, C) probabilities (see :meth:`ModelAdapter.forward`)."""
        return self._model.forward(batch)

    # ------------------------------------------------------------------ export

    def export(self, path, format: str = "keras", *, overwrite: bool = False):
        """Write the model to ``path`` and return it as a ``Path``.

        Formats: ``"keras"`` (a ``.keras`` file, loadable with :meth:`load`),
        ``"saved_model"`` (a TensorFlow SavedModel directory with a ``serve``
        endpoint taking ``(N, 28, 28, 1)`` float32), ``"tflite"`` (a flat buffer
        for LiteRT, float32, same input; the verified shipped or cached one when
        there is one), ``"onnx"`` (Keras' ONNX exporter; needs ``tf2onnx``; run
        it with onnxruntime).  Inputs of every format are MNIST-format images:
        preprocess first with :func:`handdigits.preprocess.to_mnist`.  The
        outputs are the model's raw scores.

        Raises:
            ValueError: unknown format, or a ``.keras`` export to another suffix.
            FileExistsError: ``path`` exists and ``overwrite`` is False.
            FileNotFoundError: the directory ``path`` goes into does not exist.
        """
        return export_model(self._model, path, format, overwrite=overwrite)

    # ------------------------------------------------------------------ numbers

    @property
    def reader(self) -> "Classifier":
        """The classifier :meth:`read` classifies candidate digits with (see ``reading_model``).

        For ``Classifier()`` it is the bundled reading model, loaded (and checked
        against its SHA-256) on first use; otherwise this classifier itself
        unless ``reading_model`` named another model.
        """
        if self._reader is None:
            reader = copy.copy(self)  # the same options, another model
            reader._model = ModelAdapter(None, bundle="reading", **self._model.options)
            reader._reader = reader
            self._reader = reader
        return self._reader

    @property
    def pair_reader(self):
        """The :class:`~handdigits.adapter.ModelAdapter` :meth:`read` reads two touching digits with (see
        ``pair_model``), opened on first use; ``None`` with ``pair_model=False``."""
        if self._pairs is None:
            self._pairs = ModelAdapter(None, bundle="pairs", kind="pairs", **self._model.options)
        return self._pairs or None

    def read(self, image, *, max_digits: int | None = None, expected_length: int | None = None):
        """Read a whole number (one line of handwritten digits) from one image.

        The line is segmented into digits (touching ones are cut apart), each is
        converted like a single digit and all are classified in one batched
        call (see :mod:`handdigits.reading` for the method) by :attr:`reader`:
        for ``Classifier()`` the bundled reading model, fine-tuned on such cuts.
        Touching digits that no cut parts well may also be read as one pair
        by :attr:`pair_reader`.

        Args:
            image: one image, as for :meth:`predict` (path, bytes, PIL image, array).
            max_digits: read at most this many digits.
            expected_length: read exactly this many digits (e.g. 4 for a year);
                ``ValueError`` when the ink cannot be split into that many.

        Returns:
            a :class:`handdigits.reading.Reading`: ``text`` (``"2024"``), ``digits``
            (each with ``digit``, ``box`` ``(x0, y0, x1, y1)`` in input pixels,
            ``probabilities``, ``confidence``), ``confidence``; ``to_dict()`` for JSON.

        Raises:
            handdigits.preprocess.BlankImageError: (a ``ValueError``) no ink found,
                as :meth:`predict` raises for a blank image.

        >>> Classifier().read("meter.jpg").text          # doctest: +SKIP
        '2024'
        """
        from .reading import read

        return read(self.reader, image, max_digits=max_digits, expected_length=expected_length,
                    pair_model=self._lazy_pairs())

    def read_batch(self, images, *, max_digits: int | None = None, expected_length: int | None = None,
                   errors: str = "raise") -> list:
        """:meth:`read` for several images (a list, or a batch array): one :class:`~handdigits.reading.Reading` each.

        All candidate digits of all images go through the model in one batched
        call.  ``errors`` as for :meth:`predict`: ``"raise"`` (default) raises
        for the first image that cannot be read, naming it; ``"mark"`` gives
        that image a reading whose ``error`` says why (``text`` ``""``) and
        reads the others.

        >>> [r.text or r.error for r in clf.read_batch(["2024.jpg", "blank.png"], errors="mark")]  # doctest: +SKIP
        ['2024', 'no ink found in image (blank or near-blank: ...)']
        """
        from .reading import read_batch

        return read_batch(self.reader, images, max_digits=max_digits, expected_length=expected_length, errors=errors,
                          pair_model=self._lazy_pairs())

    def _lazy_pairs(self):
        """What ``read`` reads pairs with: :attr:`pair_reader`, opened when a reading first has a pair candidate;
        ``None`` with ``pair_model=False``."""
        return None if self._pairs is False else _Pairs(self)


class _Pairs:
    """A classifier's :attr:`~Classifier.pair_reader`, opened only when a reading has pair candidates."""

    def __init__(self, classifier: Classifier):
        self._classifier = classifier

    def forward(self, batch):
        return self._classifier.pair_reader.forward(batch)


def _check_model(model, name: str, extra: str = "") -> None:
    """``model`` must be ``None``, a path or a ``keras.Model`` (``TypeError`` naming ``name`` otherwise)."""
    if model is not None and not isinstance(model, (str, os.PathLike)):
        import keras

        if not isinstance(model, keras.Model):
            raise TypeError(f"{name} must be None (bundled model), {extra}a path to a .keras file or a keras.Model, "
                            f"got {describe(model)}")


def _reject_limits(value, metadata) -> tuple[float | None, float | None]:
    """``(min_confidence, max_not_digit)`` for ``min_confidence``: ``None``, a number in [0, 1], or ``"auto"``.

    ``"auto"`` reads both limits recorded in the model's metadata
    (``metadata["reject"]``; ``max_not_digit`` may be absent: no such limit).
    """
    from .validation import check_number

    if value is None:
        return None, None
    if isinstance(value, str):
        if value != "auto":
            raise ValueError(f"min_confidence must be None, a number in [0, 1] or 'auto', got {value!r}")
        recorded = (metadata or {}).get("reject") or {}
        if recorded.get("min_confidence") is None:
            raise ValueError("min_confidence='auto' needs a threshold recorded in the model's metadata "
                             "(metadata['reject']['min_confidence']); this model has none: pass a number")
        limit = recorded.get("max_not_digit")
        return float(recorded["min_confidence"]), None if limit is None else float(limit)
    return float(check_number(value, "min_confidence", low=0.0, high=1.0)), None

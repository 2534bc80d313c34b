"""``Classifier``: load a digit model, predict digits from any image, export it.

>>> from handdigits import Classifier
>>> from handdigits.samples import list_samples
>>> clf = Classifier()                        # bundled model, checked against its SHA-256
>>> clf.predict(list_samples()[0])            # doctest: +SKIP
0
>>> clf.top_k(list_samples()[0], k=2)         # doctest: +SKIP
[(0, 0.9993), (6, 0.0004)]

The model runs through one of the runtimes of :mod:`handdigits.runtime`:

- the bundled model, and any model with a ``.tflite`` beside it recorded (with
  its SHA-256) in ``metadata.json``, runs on LiteRT for every batch size, so
  predicting never imports TensorFlow and nothing is converted at first use;
- other ``.keras`` files run through a compiled ``tf.function`` for batches and
  through a TFLite conversion of the model for single images and small batches
  (up to 16).  The conversion (seconds) is cached in
  ``$XDG_CACHE_HOME/handdigits/tflite`` under the model file's SHA-256, with the
  conversion's own SHA-256 beside it; a cached file that fails that check or
  disagrees with the Keras model on probe images (truncated, empty, another
  model's) is rebuilt, and an unwritable cache is reported once by a warning;
- a live ``keras.Model`` (passed to ``Classifier(net)``, or handed out by
  :attr:`Classifier.model`) always runs through TensorFlow, reading its current
  weights, so ``net.set_weights(...)`` is seen by every later call.

The model is checked once, when the ``Classifier`` is built: file hashes,
shapes, finite outputs (NaN weights are an error) and whether it outputs
probabilities or logits.  All paths give the same probabilities to about 1e-6.
A ``Classifier`` is safe to share between threads.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import warnings
from pathlib import Path

import numpy as np

from . import decision
from .preprocess import MNIST_SIZE, mnist_from_array
from .runtime import CHUNK as _CHUNK  # noqa: F401  (kept importable)
from .runtime import OUTPUTS, convert_to_tflite, from_keras, from_tflite, litert_available, probe_images
from .validation import check_images, check_mnist_batch, describe

NUM_CLASSES = 10
EXPORT_FORMATS = ("keras", "saved_model", "tflite", "onnx")
SMALL_BATCH = 16  # up to this many images go through the TFLite runtime when the Keras model runs the rest


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
            ``"auto"`` takes the threshold recorded in the model's metadata
            (chosen on validation data to answer 99.5 % of digits).

    Raises:
        FileNotFoundError: the model file is missing.
        ValueError: the model file is corrupt, fails its SHA-256 check, has the
            wrong input/output shape or gives non-finite outputs (NaN weights).
        TypeError: ``model`` is none of the accepted types.
    """

    def __init__(self, model=None, *, preprocess: bool = True, fast_path: bool = True, min_confidence=None):
        if not isinstance(preprocess, bool):
            raise TypeError(f"preprocess must be True or False, got {preprocess!r}")
        if not isinstance(fast_path, bool):
            raise TypeError(f"fast_path must be True or False, got {fast_path!r}")
        self._preprocess = preprocess
        self._metadata = None
        self._keras = None  # the keras.Model; loaded on demand when LiteRT runs a shipped .tflite
        self._file = None  # the model file (Path or Traversable) it is loaded from
        self._sha256 = None  # the model file's SHA-256: key of the TFLite cache
        self._what = "the Keras model"
        self._lite = None if fast_path else False  # LiteRT runtime; None: not built yet; False: not used
        self._lite_only = False  # True: LiteRT runs every batch (a shipped .tflite)
        self._tf = None  # the TensorFlow runtime, built on first use
        self._live = False  # True: the keras.Model is the caller's; always run it, never a snapshot
        self._lock = threading.Lock()
        if model is None:
            from .weights import bundled, verified_model_file

            self._file, self._metadata = verified_model_file()
            self._open(bundled(), "the bundled model", fast_path)
        elif isinstance(model, (str, os.PathLike)):
            self._file, self._metadata, self._sha256 = _model_path(model)
            self._open(Path(model).parent, repr(str(model)), fast_path)
        else:
            import keras

            if not isinstance(model, keras.Model):
                raise TypeError(
                    f"model must be None (bundled model), a path to a .keras file or a keras.Model, got {describe(model)}"
                )
            self._keras = _check_model(model)
            self._live = True
            self._lite = False
            self._compiled()  # checks the weights and outputs now
        self._min_confidence = _min_confidence(min_confidence, self._metadata)

    def _open(self, directory, what: str, fast_path: bool) -> None:
        """Set up a model file: LiteRT on its verified ``.tflite`` when there is one, else load the Keras model."""
        self._what = what
        if self._sha256 is None:
            self._sha256 = (self._metadata or {}).get("sha256")
        lite = _verified_tflite(directory, self._metadata) if fast_path else None
        if lite is not None and litert_available():
            self._lite = from_tflite(lite, source=f"{what} (TFLite)")  # checked: shapes, finite outputs
            self._lite_only = True
        else:
            self._keras = _check_model(_load_keras(self._file, what))
            if lite is not None:  # no LiteRT: TensorFlow's interpreter runs the shipped .tflite for small batches
                self._lite = from_tflite(lite, source=f"{what} (TFLite)")
            self._compiled()

    @classmethod
    def load(cls, path, *, preprocess: bool = True, fast_path: bool = True, min_confidence=None) -> "Classifier":
        """A classifier for a ``.keras`` model file (loaded with ``safe_mode=True``, never pickle).

        If a ``metadata.json`` written by ``handdigits.train`` sits next to the
        file and names it, it becomes :attr:`metadata` and the file's SHA-256 is
        checked against it; a malformed ``metadata.json`` is an error.  When that
        metadata also records a ``.tflite`` (as ``scripts/bundle_model.py``
        writes), its SHA-256 is checked and LiteRT runs it.
        """
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {describe(path)}")
        return cls(path, preprocess=preprocess, fast_path=fast_path, min_confidence=min_confidence)

    # ------------------------------------------------------------------ properties

    @property
    def model(self):
        """The underlying ``keras.Model`` (loaded on first access when LiteRT runs the model).

        Handing the model out makes it live: from then on this classifier runs
        it through TensorFlow, so changes to its weights are seen by every call
        (never a stale fast path).
        """
        model = self._keras_model()
        self._live = True
        return model

    @property
    def metadata(self) -> dict | None:
        """Training metadata (``metadata.json``) when known, else ``None``."""
        return self._metadata

    @property
    def backend(self) -> str:
        """The runtime that answers single images: ``"litert"`` or ``"tensorflow"``."""
        return self._runtime(1).backend

    def __repr__(self) -> str:
        name = (self._metadata or {}).get("architecture", {}).get("name")
        if name is None:
            name = self._keras.name if self._keras is not None else self._what
        return f"Classifier(model={name!r}, preprocess={self._preprocess})"

    # ------------------------------------------------------------------ prediction

    def predict_proba(self, x, *, preprocess: bool | None = None, errors: str = "raise") -> np.ndarray:
        """Digit probabilities: which digit it is, if it is one.

        For a model with a "not a digit" output the ten digit probabilities are
        renormalised to sum to 1; how likely the image is not a digit at all is
        :meth:`not_digit_proba`.

        Args:
            x: one image or several (see :func:`handdigits.validation.check_images`):
                a path, encoded image bytes, a PIL image, an array ``(H, W)``,
                ``(H, W, 1|3|4)``, a batch ``(N, H, W[, C])``, or a list of these.
            preprocess: ``None`` uses the instance default.
            errors: ``"raise"`` (default): an image that cannot be read (no ink
                found, undecodable file in a list) raises ``ValueError`` naming it;
                ``"mark"``: its row is all NaN and the other images are answered
                (the reasons: :func:`handdigits.preprocess.to_mnist_batch`).

        Returns:
            float32 ``(10,)`` for one image, ``(N, 10)`` for several; rows sum to 1.
        """
        raw, single = self._raw(x, preprocess, errors)
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

    def answer(self, x, *, preprocess: bool | None = None, errors: str = "raise") -> "decision.Answers":
        """Labels, digit probabilities, confidence and "not a digit" at once, from one forward pass.

        What :meth:`predict`, :meth:`predict_proba`, :meth:`confidence` and
        :meth:`not_digit_proba` give, for callers that need several of them (a
        web service answering one request): always in batch form, ``N`` rows
        even for one image.  See :class:`handdigits.decision.Answers`.
        """
        raw, _ = self._raw(x, preprocess, errors)
        return decision.answers(raw, self._min_confidence)

    @property
    def min_confidence(self) -> float | None:
        """The reject threshold of :meth:`predict` (``None``: never reject)."""
        return self._min_confidence

    def predict(self, x, *, preprocess: bool | None = None, errors: str = "raise"):
        """The most likely digit: an ``int`` for one image, an int64 array ``(N,)`` for several.

        With ``errors="mark"`` an image that cannot be read gets -1 instead of raising;
        with ``min_confidence`` set, so does an image whose :meth:`confidence` is
        below it (not a digit, or too unsure).

        >>> clf.predict([digit_image, blank_page], errors="mark")   # doctest: +SKIP
        array([ 7, -1])
        """
        raw, single = self._raw(x, preprocess, errors)
        labels = decision.decide(raw, self._min_confidence)
        return int(labels[0]) if single else labels

    def top_k(self, x, k: int = 3, *, preprocess: bool | None = None, errors: str = "raise"):
        """The ``k`` most likely digits with their probabilities, most likely first.

        Returns ``[(digit, probability), ...]`` for one image, a list of such lists
        for several.  ``k`` is an integer in 1..10.  With ``errors="mark"`` an
        image that cannot be read gets ``[]``.
        """
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= NUM_CLASSES:
            raise ValueError(f"k must be an integer between 1 and {NUM_CLASSES}, got {k!r}")
        raw, single = self._raw(x, preprocess, errors)
        proba = decision.digit_proba(raw)
        order = np.argsort(-np.nan_to_num(proba, nan=-1.0), axis=1, kind="stable")[:, : int(k)]
        result = [[] if np.isnan(row).any() else [(int(d), float(row[d])) for d in idx] for idx, row in zip(order, proba)]
        return result[0] if single else result

    def _raw(self, x, preprocess, errors) -> tuple[np.ndarray, bool]:
        """The model's outputs ``(N, C)`` for any accepted input (NaN rows for marked failures)."""
        batch, single, reasons = self._batch(x, preprocess, errors)
        return self._forward_marked(batch, reasons), single

    def _forward_marked(self, batch: np.ndarray, reasons) -> np.ndarray:
        """:meth:`_forward` on the images that were read; NaN rows for the others (``reasons`` not None)."""
        if reasons is None:
            return self._forward(batch)
        ok = np.array([r is None for r in reasons], bool)
        if ok.all():
            return self._forward(batch)
        out = None
        if ok.any():
            part = self._forward(batch[ok])
            out = np.full((len(batch), part.shape[1]), np.nan, np.float32)
            out[ok] = part
        else:
            out = np.full((len(batch), NUM_CLASSES), np.nan, np.float32)
        return out

    def _batch(self, x, preprocess, errors: str = "raise") -> tuple[np.ndarray, bool, list | None]:
        """Any accepted input -> float32 (N, 28, 28, 1) in [0, 255], whether it was one image, and the
        reasons images failed (``errors="mark"``; ``None`` when none was marked)."""
        from .preprocess import to_mnist_batch
        from .validation import check_choice

        check_choice(errors, "errors", ("raise", "mark"))
        if preprocess is None:
            preprocess = self._preprocess
        elif not isinstance(preprocess, bool):
            raise TypeError(f"preprocess must be True, False or None, got {preprocess!r}")
        if preprocess and errors == "mark":
            if isinstance(x, (list, tuple)):
                prepared, single = to_mnist_batch(x, errors="mark"), False
            else:
                images, single = check_images(x)
                prepared = to_mnist_batch(images if isinstance(images, list) else list(images), errors="mark")
            return prepared.images[..., None].astype(np.float32), single, prepared.reasons
        images, single = check_images(x)
        if preprocess:
            out = np.empty((len(images), MNIST_SIZE, MNIST_SIZE, 1), np.float32)
            for i, image in enumerate(images):
                try:
                    out[i, :, :, 0] = mnist_from_array(image)
                except ValueError as exc:
                    raise type(exc)(exc.args[0] if single else f"image {i} of {len(images)}: {exc}") from None
            return out, single, None
        if isinstance(images, list):
            images = [_mnist_shaped(a, i, single) for i, a in enumerate(images)]
            return check_mnist_batch(np.stack(images)), single, None
        if images.ndim == 3:
            images = images[..., None]
        if images.shape[1:] != (MNIST_SIZE, MNIST_SIZE, 1):
            raise ValueError(
                f"preprocess=False needs MNIST-format images (28, 28) or (28, 28, 1), got {describe(images)}; "
                "use preprocess=True for other images"
            )
        return check_mnist_batch(images), single, None

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        """float32 (N, 28, 28, 1) -> float32 (N, C) probabilities over the model's C outputs (rows sum to 1).

        ``C`` is 10, or 11 for a model with a "not a digit" output.
        """
        runtime = self._runtime(len(batch))
        scores = runtime(batch)
        finite = np.isfinite(scores).all(axis=1)
        if not finite.all():
            bad = np.flatnonzero(~finite)
            raise ValueError(
                f"the model gave non-finite scores (NaN or inf) for {len(bad)} of {len(batch)} image(s) "
                f"(first: {bad[:5].tolist()}); its weights are probably corrupt"
            )
        if not runtime.probabilities:
            scores = np.exp(scores - scores.max(axis=1, keepdims=True))  # logits -> softmax
        return scores / scores.sum(axis=1, keepdims=True)

    def _runtime(self, n: int):
        """The runtime for a batch of ``n`` images."""
        if not self._live:
            lite = self._lite_runner()
            if lite is not None and (self._lite_only or n <= SMALL_BATCH):
                return lite
        return self._compiled()

    def _keras_model(self):
        """The ``keras.Model``, loaded (and checked) on first use when LiteRT runs a shipped ``.tflite``."""
        if self._keras is None:
            with self._lock:
                if self._keras is None:
                    model = _check_model(_load_keras(self._file, self._what))
                    if self._lite:
                        _check_agreement(model, self._lite, self._what)
                    self._keras = model
        return self._keras

    def _compiled(self):
        """The TensorFlow runtime (the model as a ``tf.function``, traced once, thread-safe)."""
        if self._tf is None:
            model = self._keras_model()
            with self._lock:
                if self._tf is None:
                    self._tf = from_keras(model, source=self._what)
        return self._tf

    def _lite_runner(self):
        """The LiteRT runtime: shipped, or a (cached) conversion built on first use; ``None`` when not used."""
        if self._lite is None:
            model = self._keras_model()
            with self._lock:
                if self._lite is None:
                    self._lite = _converted_tflite(model, self._sha256, self._what) or False
        return self._lite or None

    # ------------------------------------------------------------------ export

    def export(self, path, format: str = "keras", *, overwrite: bool = False) -> Path:
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
        if format not in EXPORT_FORMATS:
            raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}, got {format!r}")
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {describe(path)}")
        if not isinstance(overwrite, bool):
            raise TypeError(f"overwrite must be True or False, got {overwrite!r}")
        path = Path(path)
        if format == "keras" and path.suffix != ".keras":
            raise ValueError(f"a Keras model file must end in .keras, got {str(path)!r}")
        if not path.parent.is_dir():
            raise FileNotFoundError(f"cannot export to {str(path)!r}: directory {str(path.parent)!r} does not exist")
        if path.exists() or path.is_symlink():
            if not overwrite:
                raise FileExistsError(f"{str(path)!r} exists; pass overwrite=True to replace it")
            if path.is_dir() and not (format == "saved_model" and (path / "saved_model.pb").is_file()):
                raise FileExistsError(f"{str(path)!r} is a directory that is not a SavedModel; not replacing it")
        suffix = ".keras" if format == "keras" else ""
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp{suffix}")
        try:
            if format == "keras":
                self._keras_model().save(tmp)
            elif format == "saved_model":
                self._keras_model().export(str(tmp), format="tf_saved_model", verbose=False)
            elif format == "onnx":
                self._keras_model().export(str(tmp), format="onnx", verbose=False)
            else:
                lite = None if self._live else self._lite_runner()
                tmp.write_bytes(lite.data if lite is not None else convert_to_tflite(self._keras_model()))
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            os.replace(tmp, path)
        finally:
            if tmp.is_dir():
                shutil.rmtree(tmp, ignore_errors=True)
            elif tmp.exists():
                tmp.unlink()
        return path

    # ------------------------------------------------------------------ numbers

    def read(self, image, *, max_digits: int | None = None, expected_length: int | None = None):
        """Read a whole number (one line of handwritten digits) from one image.

        The line is segmented into digits (touching ones are cut apart), each is
        converted like a single digit and all are classified in one batched
        call (see :mod:`handdigits.reading` for the method).

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

        return read(self, image, max_digits=max_digits, expected_length=expected_length)

    def read_batch(self, images, *, max_digits: int | None = None, expected_length: int | None = None) -> list:
        """:meth:`read` for several images (a list, or a batch array): one :class:`~handdigits.reading.Reading` each.

        All candidate digits of all images go through the model in one batched call.
        """
        from .reading import read_batch

        return read_batch(self, images, max_digits=max_digits, expected_length=expected_length)


# ---------------------------------------------------------------------- TFLite

AGREEMENT = 1e-4  # a TFLite conversion must match its Keras model this closely on the probe images


def _verified_tflite(directory, metadata) -> bytes | None:
    """The ``.tflite`` recorded in ``metadata`` (``{"tflite": {"file", "sha256"}}``), checked; ``None`` if none."""
    entry = (metadata or {}).get("tflite")
    if entry is None:
        return None
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("file", "sha256")):
        raise ValueError(f"metadata.json in {directory}: 'tflite' must be an object with string 'file' and 'sha256'")
    name = entry["file"]
    if "/" in name or "\\" in name or name in ("", ".", ".."):
        raise ValueError(f"metadata.json in {directory}: 'tflite' file must be a plain file name, got {name!r}")
    source = directory / name
    if not source.is_file():
        raise FileNotFoundError(f"TFLite model not found: {source} (recorded in metadata.json; reinstall or re-bundle)")
    from .weights import read_verified

    return read_verified(source, entry["sha256"], "TFLite model")


def _check_agreement(model, lite, what: str) -> None:
    """Raise ValueError unless the LiteRT runtime ``lite`` and the Keras ``model`` agree on the probe images."""
    probe = probe_images()
    expected = np.asarray(model(probe if len(model.input_shape) == 4 else probe[..., 0], training=False))
    got = lite(probe)
    if got.shape != expected.shape or not np.allclose(got, expected, rtol=AGREEMENT, atol=AGREEMENT):
        raise ValueError(f"the TFLite model of {what} disagrees with its Keras model: it is another model's")


def _converted_tflite(model, sha256: str | None, what: str):
    """A LiteRT runtime for ``model``: the cached conversion when it checks out, else a fresh (cached) one.

    A cache entry is ``<model sha256>.tflite`` plus ``<model sha256>.json``
    recording the model's and the conversion's SHA-256; it is used only when
    both hashes match and it agrees with ``model`` on the probe images, and is
    rebuilt otherwise (truncated, empty, foreign or tampered files).
    Returns ``None`` when the conversion fails (the TensorFlow runtime answers).
    """
    from .datasets.paths import cache_home

    cached = cache_home() / "tflite" / f"{sha256}.tflite" if sha256 else None
    if cached is not None and cached.is_file():
        try:
            record = json.loads(cached.with_suffix(".json").read_text(encoding="utf-8"))
            data = cached.read_bytes()
            if record.get("model_sha256") == sha256 and record.get("sha256") == hashlib.sha256(data).hexdigest():
                lite = from_tflite(data, source=f"{what} (cached TFLite)")
                _check_agreement(model, lite, what)
                return lite
        except (OSError, ValueError, AttributeError, RuntimeError):
            pass  # a bad cache entry: rebuild it
    try:
        data = convert_to_tflite(model)
        lite = from_tflite(data, source=f"{what} (TFLite)")
        _check_agreement(model, lite, what)
    except Exception as exc:  # noqa: BLE001 - any converter failure: TensorFlow answers instead
        warnings.warn(f"TFLite conversion of {what} failed, TensorFlow answers every call ({exc})", RuntimeWarning, stacklevel=4)
        return None
    if cached is not None:
        _write_cache(cached, data, sha256)
    return lite


def _write_cache(cached: Path, data: bytes, sha256: str) -> None:
    """Write a cache entry atomically (temporary files, then renames); warn once if the cache is unwritable."""
    record = {"model_sha256": sha256, "sha256": hashlib.sha256(data).hexdigest()}
    tag = f"{os.getpid()}.{threading.get_ident()}.tmp"
    tmps = [cached.with_name(f"{cached.name}.{tag}"), cached.with_name(f"{cached.stem}.json.{tag}")]
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmps[0].write_bytes(data)
        tmps[1].write_text(json.dumps(record), encoding="utf-8")
        os.replace(tmps[0], cached)
        os.replace(tmps[1], cached.with_suffix(".json"))
    except OSError as exc:
        warnings.warn(
            f"cannot write the TFLite cache in {cached.parent} ({type(exc).__name__}); every new process converts "
            "the model again (set XDG_CACHE_HOME to a writable directory)",
            RuntimeWarning,
            stacklevel=5,
        )
    finally:
        for tmp in tmps:
            try:
                tmp.unlink()
            except OSError:
                pass


# ---------------------------------------------------------------------- loading


def _load_keras(model_file, what: str):
    """Load a .keras file (Path or Traversable) with safe_mode=True."""
    import zipfile
    from importlib.resources import as_file

    import keras

    with as_file(model_file) as local:
        try:
            return keras.saving.load_model(local, compile=False, safe_mode=True)
        except (ValueError, TypeError, OSError, KeyError, zipfile.BadZipFile) as exc:
            raise ValueError(f"cannot load {what} ({local}): {type(exc).__name__}: {exc}") from exc


def _model_path(path) -> tuple[Path, dict | None, str]:
    """``(model file, metadata or None, the file's SHA-256)`` for a ``.keras`` path, checked."""
    from .weights import METADATA, read_metadata, verified_model_file

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {str(path)!r}")
    if path.suffix != ".keras":
        raise ValueError(f"expected a Keras 3 model file ending in .keras, got {str(path)!r}")
    metadata = None
    if (path.parent / METADATA).is_file():
        try:
            names_this_file = read_metadata(path.parent).get("file") == path.name
        except ValueError as exc:
            raise ValueError(f"{path.parent / METADATA} is malformed, so {path.name} cannot be checked: {exc}") from exc
        if names_this_file:
            _, metadata = verified_model_file(path.parent)
    sha256 = metadata["sha256"].lower() if metadata else hashlib.sha256(path.read_bytes()).hexdigest()
    return path, metadata, sha256


def _check_model(model):
    try:
        in_shape, out_shape = tuple(model.input_shape), tuple(model.output_shape)
    except (AttributeError, ValueError, TypeError) as exc:
        raise ValueError(f"model must be a built keras.Model with one input and one output ({exc})") from exc
    if in_shape[1:] not in ((MNIST_SIZE, MNIST_SIZE, 1), (MNIST_SIZE, MNIST_SIZE)) or out_shape[1:] not in (
        (n,) for n in OUTPUTS
    ):
        raise ValueError(
            f"model must map (N, 28, 28, 1) or (N, 28, 28) images to (N, 10) or (N, 11) scores, "
            f"got input {in_shape} and output {out_shape}"
        )
    return model



def _mnist_shaped(a: np.ndarray, i: int, single: bool) -> np.ndarray:
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.shape != (MNIST_SIZE, MNIST_SIZE):
        where = "" if single else f"image {i}: "
        raise ValueError(
            f"{where}preprocess=False needs MNIST-format images (28, 28) or (28, 28, 1), got {describe(a)}; "
            "use preprocess=True for other images"
        )
    return a[..., None]


def _min_confidence(value, metadata) -> float | None:
    """Check ``min_confidence``: ``None``, a number in [0, 1], or ``"auto"`` (from the metadata)."""
    from .validation import check_number

    if value is None:
        return None
    if isinstance(value, str):
        if value != "auto":
            raise ValueError(f"min_confidence must be None, a number in [0, 1] or 'auto', got {value!r}")
        recorded = ((metadata or {}).get("reject") or {}).get("min_confidence")
        if recorded is None:
            raise ValueError("min_confidence='auto' needs a threshold recorded in the model's metadata "
                             "(metadata['reject']['min_confidence']); this model has none: pass a number")
        return float(recorded)
    return float(check_number(value, "min_confidence", low=0.0, high=1.0))

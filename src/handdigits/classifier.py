"""``Classifier``: load a digit model, predict digits from any image, export it.

>>> from handdigits import Classifier
>>> from handdigits.samples import list_samples
>>> clf = Classifier()                        # bundled model, checked against its SHA-256
>>> clf.predict(list_samples()[0])            # doctest: +SKIP
0
>>> clf.top_k(list_samples()[0], k=2)         # doctest: +SKIP
[(0, 0.9993), (6, 0.0004)]

The model is loaded when the ``Classifier`` is built (so a missing or corrupt
file fails early).  Two inference paths are prepared lazily: batches run
through a ``tf.function`` with a fixed input signature; single images and
small batches (up to 16) run through a TFLite interpreter, which answers one
image in a fraction of a millisecond where a TensorFlow call costs one to two.
The TFLite conversion (about 2 s) happens on the first small call and is
cached on disk for models with a known SHA-256 (the bundled one, or any with
a ``metadata.json``), in ``$XDG_CACHE_HOME/handdigits/tflite``.  Both paths
give the same probabilities to about 1e-6.  A ``Classifier`` is safe to share
between threads.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from .preprocess import MNIST_SIZE, mnist_from_array
from .validation import check_images, describe

NUM_CLASSES = 10
EXPORT_FORMATS = ("keras", "saved_model", "tflite")
_CHUNK = 256  # images per call of the compiled function (fastest measured on CPU)
SMALL_BATCH = 16  # up to this many images go through the TFLite interpreter


class Classifier:
    """A digit classifier around a Keras model with MNIST-format inputs.

    Args:
        model: ``None`` for the bundled model (loaded offline from the package with
            :mod:`importlib.resources`; its SHA-256 is checked against
            ``metadata.json``), a path to a ``.keras`` file (as :meth:`load`), or a
            ``keras.Model`` taking ``(N, 28, 28, 1)`` (or ``(N, 28, 28)``) floats
            in [0, 255], white ink on black, and returning ``(N, 10)`` scores.
        preprocess: default for every method's ``preprocess`` argument.  ``True``
            converts each image with :func:`handdigits.preprocess.to_mnist`;
            ``False`` expects MNIST-format images (28×28, white on black, values in
            [0, 255]) and feeds them as they are.

    Raises:
        FileNotFoundError: the model file is missing.
        ValueError: the model file is corrupt, fails its SHA-256 check, or has the
            wrong input/output shape.
        TypeError: ``model`` is none of the accepted types.
    """

    def __init__(self, model=None, *, preprocess: bool = True, fast_path: bool = True):
        if not isinstance(preprocess, bool):
            raise TypeError(f"preprocess must be True or False, got {preprocess!r}")
        self._preprocess = preprocess
        self._metadata = None
        if model is None:
            from .weights import verified_model_file

            model_file, self._metadata = verified_model_file()
            model = _load_keras(model_file, "the bundled model")
        elif isinstance(model, (str, os.PathLike)):
            model, self._metadata = _load_path(model)
        else:
            import keras

            if not isinstance(model, keras.Model):
                raise TypeError(
                    f"model must be None (bundled model), a path to a .keras file or a keras.Model, got {describe(model)}"
                )
        self._model = _check_model(model)
        if not isinstance(fast_path, bool):
            raise TypeError(f"fast_path must be True or False, got {fast_path!r}")
        self._lock = threading.Lock()
        self._fn = None
        self._lite = None if fast_path else False  # None: not built yet; False: not used

    @classmethod
    def load(cls, path, *, preprocess: bool = True, fast_path: bool = True) -> "Classifier":
        """A classifier for a ``.keras`` model file (loaded with ``safe_mode=True``, never pickle).

        If a ``metadata.json`` written by ``handdigits.train`` sits next to the
        file and names it, it becomes :attr:`metadata` and the file's SHA-256 is
        checked against it.
        """
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {describe(path)}")
        return cls(path, preprocess=preprocess, fast_path=fast_path)

    # ------------------------------------------------------------------ properties

    @property
    def model(self):
        """The underlying ``keras.Model``."""
        return self._model

    @property
    def metadata(self) -> dict | None:
        """Training metadata (``metadata.json``) when known, else ``None``."""
        return self._metadata

    def __repr__(self) -> str:
        name = (self._metadata or {}).get("architecture", {}).get("name", self._model.name)
        return f"Classifier(model={name!r}, preprocess={self._preprocess})"

    # ------------------------------------------------------------------ prediction

    def predict_proba(self, x, *, preprocess: bool | None = None) -> np.ndarray:
        """Digit probabilities.

        Args:
            x: one image or several (see :func:`handdigits.validation.check_images`):
                a path, encoded image bytes, a PIL image, an array ``(H, W)``,
                ``(H, W, 1|3|4)``, a batch ``(N, H, W[, C])``, or a list of these.
            preprocess: ``None`` uses the instance default.

        Returns:
            float32 ``(10,)`` for one image, ``(N, 10)`` for several; rows sum to 1.
        """
        batch, single = self._batch(x, preprocess)
        proba = self._forward(batch)
        return proba[0] if single else proba

    def predict(self, x, *, preprocess: bool | None = None):
        """The most likely digit: an ``int`` for one image, an int64 array ``(N,)`` for several."""
        batch, single = self._batch(x, preprocess)
        labels = self._forward(batch).argmax(axis=1).astype(np.int64)
        return int(labels[0]) if single else labels

    def top_k(self, x, k: int = 3, *, preprocess: bool | None = None):
        """The ``k`` most likely digits with their probabilities, most likely first.

        Returns ``[(digit, probability), ...]`` for one image, a list of such lists
        for several.  ``k`` is an integer in 1..10.
        """
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= NUM_CLASSES:
            raise ValueError(f"k must be an integer between 1 and {NUM_CLASSES}, got {k!r}")
        batch, single = self._batch(x, preprocess)
        proba = self._forward(batch)
        order = np.argsort(-proba, axis=1, kind="stable")[:, : int(k)]
        result = [[(int(d), float(row[d])) for d in idx] for idx, row in zip(order, proba)]
        return result[0] if single else result

    def _batch(self, x, preprocess) -> tuple[np.ndarray, bool]:
        """Any accepted input -> float32 (N, 28, 28, 1) in [0, 255], and whether it was one image."""
        if preprocess is None:
            preprocess = self._preprocess
        elif not isinstance(preprocess, bool):
            raise TypeError(f"preprocess must be True, False or None, got {preprocess!r}")
        images, single = check_images(x)
        if preprocess:
            out = np.empty((len(images), MNIST_SIZE, MNIST_SIZE, 1), np.float32)
            for i, image in enumerate(images):
                try:
                    out[i, :, :, 0] = mnist_from_array(image)
                except ValueError as exc:
                    raise ValueError(exc.args[0] if single else f"image {i} of {len(images)}: {exc}") from None
            return out, single
        if isinstance(images, list):
            images = [_mnist_shaped(a, i, single) for i, a in enumerate(images)]
            return np.stack(images).astype(np.float32, copy=False), single
        if images.ndim == 3:
            images = images[..., None]
        if images.shape[1:] != (MNIST_SIZE, MNIST_SIZE, 1):
            raise ValueError(
                f"preprocess=False needs MNIST-format images (28, 28) or (28, 28, 1), got {describe(images)}; "
                "use preprocess=True for other images"
            )
        return images.astype(np.float32, copy=False), single

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        """float32 (N, 28, 28, 1) -> float32 (N, 10) probabilities (rows sum to 1)."""
        lite = self._lite_runner() if len(batch) <= SMALL_BATCH else None
        if lite is not None:
            scores = lite(batch)
        else:
            fn = self._compiled()
            parts = [fn(batch[i : i + _CHUNK]).numpy() for i in range(0, len(batch), _CHUNK)]
            scores = np.concatenate(parts).astype(np.float32, copy=False)
        if (scores < 0).any() or not np.allclose(scores.sum(axis=1), 1.0, atol=1e-3):
            scores = np.exp(scores - scores.max(axis=1, keepdims=True))  # logits -> softmax
        return scores / scores.sum(axis=1, keepdims=True)

    def _compiled(self):
        """The model as a ``tf.function`` with a fixed input signature (traced once, thread-safe)."""
        if self._fn is None:
            with self._lock:
                if self._fn is None:
                    import tensorflow as tf

                    model = self._model
                    spec = tf.TensorSpec([None, MNIST_SIZE, MNIST_SIZE, 1], tf.float32, name="image")
                    reshape = len(model.input_shape) == 3

                    @tf.autograph.experimental.do_not_convert
                    def forward(images):
                        if reshape:
                            images = tf.reshape(images, [-1, MNIST_SIZE, MNIST_SIZE])
                        return model(images, training=False)

                    fn = tf.function(forward, input_signature=[spec], reduce_retracing=True)
                    fn.get_concrete_function()
                    self._fn = fn
        return self._fn

    def _lite_runner(self):
        """The TFLite runner for small batches, built on first use; ``None`` when not used."""
        if self._lite is None:
            with self._lock:
                if self._lite is None:
                    sha = (self._metadata or {}).get("sha256")
                    self._lite = _LiteRunner(_tflite_model(self._model, sha))
        return self._lite or None

    # ------------------------------------------------------------------ export

    def export(self, path, format: str = "keras") -> Path:
        """Write the model to ``path`` and return it as a ``Path``.

        Formats: ``"keras"`` (a ``.keras`` file, loadable with :meth:`load`),
        ``"saved_model"`` (a TensorFlow SavedModel directory with a ``serve``
        endpoint taking ``(N, 28, 28, 1)`` float32), ``"tflite"`` (a flat buffer
        made by TensorFlow's own TFLite converter, float32, same input).  Inputs
        of every format are MNIST-format images: preprocess first with
        :func:`handdigits.preprocess.to_mnist`.
        """
        if format not in EXPORT_FORMATS:
            raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}, got {format!r}")
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {describe(path)}")
        path = Path(path)
        if format == "keras":
            if path.suffix != ".keras":
                raise ValueError(f"a Keras model file must end in .keras, got {str(path)!r}")
            self._model.save(path)
        elif format == "saved_model":
            self._model.export(str(path), format="tf_saved_model", verbose=False)
        else:
            path.write_bytes(_tflite_model(self._model, (self._metadata or {}).get("sha256")))
        return path


# ---------------------------------------------------------------------- TFLite


def _tflite_model(model, sha256: str | None) -> bytes:
    """The model as a TFLite flat buffer (TensorFlow's converter), cached by the model's SHA-256."""
    from .datasets.paths import cache_home

    cached = cache_home() / "tflite" / f"{sha256}.tflite" if sha256 else None
    if cached is not None and cached.is_file():
        return cached.read_bytes()
    import contextlib
    import io

    import tensorflow as tf

    with contextlib.redirect_stdout(io.StringIO()):  # Keras prints its export summary
        data = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    if cached is not None:
        try:  # atomic: write a temporary file, then rename
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_name(f"{cached.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, cached)
        except OSError:
            pass  # a read-only cache only costs the conversion next time
    return data


def _interpreter(data: bytes):
    """A TFLite interpreter: LiteRT's when installed, else TensorFlow's (deprecated, still shipped)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import warnings

        import tensorflow as tf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the deprecation notice pointing to LiteRT
            return tf.lite.Interpreter(model_content=data, num_threads=1)
    return Interpreter(model_content=data, num_threads=1)


class _LiteRunner:
    """Runs a one-image TFLite model image by image; a lock makes it thread-safe."""

    def __init__(self, data: bytes):
        self._interpreter = _interpreter(data)
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._shape = [1, *self._interpreter.get_input_details()[0]["shape"][1:]]  # (1, 28, 28[, 1])
        self._lock = threading.Lock()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        out = np.empty((len(batch), NUM_CLASSES), np.float32)
        with self._lock:
            for i in range(len(batch)):
                self._interpreter.set_tensor(self._input, batch[i : i + 1].reshape(self._shape))
                self._interpreter.invoke()
                out[i] = self._interpreter.get_tensor(self._output)[0]
        return out


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


def _load_path(path) -> tuple[object, dict | None]:
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
        except ValueError:
            names_this_file = False  # an unrelated or foreign metadata.json
        if names_this_file:
            _, metadata = verified_model_file(path.parent)
    return _load_keras(path, repr(str(path))), metadata


def _check_model(model):
    try:
        in_shape, out_shape = tuple(model.input_shape), tuple(model.output_shape)
    except (AttributeError, ValueError, TypeError) as exc:
        raise ValueError(f"model must be a built keras.Model with one input and one output ({exc})") from exc
    if in_shape[1:] not in ((MNIST_SIZE, MNIST_SIZE, 1), (MNIST_SIZE, MNIST_SIZE)) or out_shape[1:] != (NUM_CLASSES,):
        raise ValueError(
            f"model must map (N, 28, 28, 1) or (N, 28, 28) images to (N, 10) scores, "
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

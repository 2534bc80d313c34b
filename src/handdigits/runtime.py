"""Model runtimes: one adapter that runs a digit model on MNIST-format batches.

A runtime takes a float32 batch ``(N, 28, 28, 1)`` of MNIST-format images
(values in [0, 255], white ink on black) and returns the model's **raw**
``(N, C)`` outputs, float32, where ``C`` is the model's number of outputs
(10 digits, or 11 with a "not a digit" output).  What the outputs mean is the
caller's business (:class:`handdigits.Classifier` maps them to digits).
Those are *digit* models; the reader's *pair* model (:data:`KINDS`) takes
``(N, 28, 48, 1)`` crops of two touching digits and gives 101 outputs
(``10 a + b`` for the pair "ab", and "not a pair").

Two backends:

``"litert"``
    a TFLite flat buffer run by LiteRT (``ai_edge_litert.interpreter``), which
    imports in a fraction of a second and never loads TensorFlow.  Used for the
    bundled model and any model with a verified ``.tflite`` beside it.
``"tensorflow"``
    a Keras model compiled once as a ``tf.function`` with a fixed input
    signature.  Used for user-supplied Keras models and where LiteRT is not
    installed (it has wheels for Linux x86-64/aarch64, macOS arm64 and
    Windows x86-64).

The model is checked once, when the runtime is built: input and output shapes,
finite outputs on a few probe images (so NaN or infinite weights are a clear
error at load, not a silent ``0`` at predict time), and whether the outputs
are probabilities (non-negative rows summing to 1) or logits
(:attr:`Runtime.probabilities`).

>>> import numpy as np
>>> from handdigits.runtime import from_tflite
>>> rt = from_tflite(open("model.tflite", "rb").read(), source="model.tflite")  # doctest: +SKIP
>>> rt.backend, rt.outputs, rt.probabilities                                   # doctest: +SKIP
('litert', 10, True)
>>> rt(np.zeros((3, 28, 28, 1), np.float32)).shape                              # doctest: +SKIP
(3, 10)
"""

from __future__ import annotations

import importlib.util
import os
import threading

import numpy as np

SIZE = 28
OUTPUTS = (10, 11)  # digits, or digits + "not a digit"
PAIR_SHAPE, PAIR_OUTPUTS = (28, 48), 101  # two touching digits: the pairs "00".."99" and "not a pair"
#: model kind -> (image shape, the output counts it may have)
KINDS = {"digits": ((SIZE, SIZE), OUTPUTS), "pairs": (PAIR_SHAPE, (PAIR_OUTPUTS,))}
CHUNK = 256  # images per call of the compiled TensorFlow function (fastest measured on CPU)
LITE_CHUNK = 64  # images per LiteRT invocation for batches
MAX_THREADS = 256  # the most LiteRT threads the ``threads`` option accepts
SINGLE_THREADS = 2  # LiteRT threads for single images by default (where two CPUs are usable)
QUANTIZED_METHOD = "dynamic-range int8 weights (TFLite Optimize.DEFAULT)"  # recorded in metadata.json


def litert_available() -> bool:
    """Whether LiteRT (the ``ai-edge-litert`` package) is installed; imports nothing."""
    return importlib.util.find_spec("ai_edge_litert") is not None


def probe_images(shape: tuple[int, int] = (SIZE, SIZE)) -> np.ndarray:
    """A fixed float32 ``(3, *shape, 1)`` batch: blank, a vertical stroke, seeded noise (all in [0, 255])."""
    probe = np.zeros((3, *shape, 1), np.float32)
    probe[1, 6:22, 12:16] = 255.0
    probe[2] = np.random.default_rng(0).random((*shape, 1), dtype=np.float32) * 255.0
    return probe


def check_kind(kind: str) -> tuple[tuple[int, int], tuple[int, ...]]:
    """``(image shape, output counts)`` of a model kind (a key of :data:`KINDS`)."""
    from .validation import check_choice

    return KINDS[check_choice(kind, "model kind", tuple(KINDS))]


def outputs_text(outputs) -> str:
    """``(N, 10) or (N, 11)``: the output shapes a model kind allows, for messages."""
    return " or ".join(f"(N, {n})" for n in outputs)


class Runtime:
    """Base class: ``runtime(batch)`` -> float32 ``(N, C)`` raw model outputs.

    Attributes:
        backend: ``"litert"`` or ``"tensorflow"``.
        outputs: ``C``, the number of model outputs (10 or 11).
        probabilities: ``True`` when the outputs are probabilities (rows are
            non-negative and sum to 1), ``False`` for logits; decided at load.
        source: a description of the model, for messages.
    """

    backend = ""

    def __init__(self, source: str, kind: str = "digits"):
        self.source = source
        self.kind = kind
        self.image_shape, self._allowed = check_kind(kind)
        self.outputs = 0
        self.probabilities = False

    def _run(self, batch: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = np.asarray(batch)
        if batch.dtype != np.float32 or batch.ndim != 4 or batch.shape[1:] != (*self.image_shape, 1):
            raise ValueError(f"a runtime takes float32 (N, {self.image_shape[0]}, {self.image_shape[1]}, 1) batches, "
                             f"got {batch.dtype} {batch.shape}")
        if len(batch) == 0:
            return np.zeros((0, self.outputs), np.float32)
        return self._run(np.ascontiguousarray(batch))

    def _probe(self, probe: np.ndarray) -> np.ndarray:
        return self._run(probe)

    def _check(self) -> None:
        """Run the probe images once: set :attr:`outputs` and :attr:`probabilities`, refuse non-finite outputs."""
        out = np.asarray(self._probe(probe_images(self.image_shape)), np.float32)
        if out.ndim != 2 or out.shape[1] not in self._allowed:
            raise ValueError(f"{self.source}: the model must output {outputs_text(self._allowed)} scores, "
                             f"got {out.shape[1:]} per image")
        if not np.isfinite(out).all():
            raise ValueError(
                f"{self.source}: the model gives non-finite outputs (NaN or inf) on ordinary images; "
                "its weights are probably corrupt (NaN or inf)"
            )
        self.outputs = int(out.shape[1])
        self.probabilities = bool((out >= 0).all() and np.allclose(out.sum(axis=1), 1.0, atol=1e-3))

    def __repr__(self) -> str:
        kind = "probabilities" if self.probabilities else "logits"
        return f"<{type(self).__name__} {self.backend}: {self.source}, {self.outputs} {kind}>"


# ---------------------------------------------------------------------- LiteRT


def _interpreter(data: bytes, threads: int):
    """A TFLite interpreter: LiteRT's when installed, else TensorFlow's (deprecated, still shipped)."""
    if litert_available():
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter(model_content=data, num_threads=threads)
    import warnings

    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecation notice pointing to LiteRT
        return tf.lite.Interpreter(model_content=data, num_threads=threads)


class _Engine:
    """One interpreter with its tensor indices and a lock (interpreters are not thread-safe)."""

    def __init__(self, data: bytes, threads: int, shape: tuple[int, int] = (SIZE, SIZE)):
        self.interpreter = _interpreter(data, threads)
        self.interpreter.allocate_tensors()
        inp = self.interpreter.get_input_details()
        out = self.interpreter.get_output_details()
        if len(inp) != 1 or len(out) != 1:
            raise ValueError(f"expected one input and one output, got {len(inp)} and {len(out)}")
        self.input, self.output = inp[0]["index"], out[0]["index"]
        self.image_shape = tuple(int(d) for d in inp[0]["shape"][1:])
        if self.image_shape not in ((*shape, 1), shape) or inp[0]["dtype"] != np.float32:
            raise ValueError(f"expected a float32 (N, {shape[0]}, {shape[1]}, 1) or (N, {shape[0]}, {shape[1]}) input, "
                             f"got {inp[0]['dtype']} {inp[0]['shape']}")
        self.rows = 1
        self.lock = threading.Lock()

    def run(self, batch: np.ndarray) -> np.ndarray:
        """``batch`` (n, h, w, 1) -> (n, C); the caller holds :attr:`lock`."""
        n = len(batch)
        if n != self.rows:
            self.interpreter.resize_tensor_input(self.input, [n, *self.image_shape])
            self.interpreter.allocate_tensors()
            self.rows = n
        self.interpreter.set_tensor(self.input, batch.reshape(n, *self.image_shape))
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output)  # a copy already: later calls leave it as it is


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the platform has one), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS and Windows have no sched_getaffinity
        return max(1, os.cpu_count() or 1)


def check_threads(threads) -> int | None:
    """The ``threads`` option: ``None`` (the defaults of :class:`LiteRTRuntime`) or an integer >= 1."""
    from .validation import check_int

    return None if threads is None else check_int(threads, "threads", low=1, high=MAX_THREADS)


class LiteRTRuntime(Runtime):
    """A TFLite flat buffer run by LiteRT (TensorFlow's interpreter when LiteRT is missing).

    Single images run on one interpreter, batches on a second one whose input
    is resized to ``LITE_CHUNK`` images.  ``threads=None`` (default) gives the
    single-image interpreter :data:`SINGLE_THREADS` threads (fewer where the
    process may use fewer CPUs: :func:`usable_cpus`) and the batch interpreter
    every usable CPU; an integer gives both that many threads.  A second thread
    cuts a single image's latency by about a quarter where a core is idle, and
    costs about 40 % more CPU time per image; ``threads=1`` gives the least CPU
    time and the steadiest latency where other processes keep every core busy,
    as a pool of one worker per core does (``benchmarks/single_predict.py``
    measures both).  The thread count never
    changes the outputs.
    """

    backend = "litert"

    def __init__(self, data: bytes, *, source: str, threads: int | None = None, kind: str = "digits"):
        super().__init__(source, kind)
        if not isinstance(data, (bytes, bytearray)) or len(data) < 8:
            raise ValueError(f"{source}: not a TFLite model ({len(data) if data else 0} bytes)")
        self.data = bytes(data)
        self.threads = check_threads(threads)
        try:
            self._single = _Engine(self.data, threads=self.threads or min(SINGLE_THREADS, usable_cpus()),
                                   shape=self.image_shape)
        except (ValueError, RuntimeError) as exc:
            raise ValueError(f"cannot load the TFLite model {source}: {exc}") from exc
        self._batch = None
        self._batch_lock = threading.Lock()
        self._check()

    def _batch_engine(self) -> _Engine:
        if self._batch is None:
            with self._batch_lock:
                if self._batch is None:
                    self._batch = _Engine(self.data, threads=self.threads or usable_cpus(), shape=self.image_shape)
        return self._batch

    def _probe(self, probe: np.ndarray) -> np.ndarray:
        with self._single.lock:  # image by image: the batch interpreter is built only when batches come
            return np.concatenate([self._single.run(probe[i : i + 1]) for i in range(len(probe))])

    def _run(self, batch: np.ndarray) -> np.ndarray:
        if len(batch) == 1:
            engine = self._single
            with engine.lock:
                return engine.run(batch)
        engine = self._batch_engine()
        with engine.lock:
            return np.concatenate([engine.run(batch[i : i + LITE_CHUNK]) for i in range(0, len(batch), LITE_CHUNK)])


def from_tflite(data: bytes, *, source: str = "a TFLite model", threads: int | None = None,
                kind: str = "digits") -> LiteRTRuntime:
    """A :class:`LiteRTRuntime` for a TFLite flat buffer (checked on probe images); ``threads`` as there,
    ``kind`` a key of :data:`KINDS`."""
    return LiteRTRuntime(data, source=source, threads=threads, kind=kind)


# ---------------------------------------------------------------------- TensorFlow


class KerasRuntime(Runtime):
    """A Keras model compiled once as a ``tf.function`` (fixed input signature, no retracing).

    The function reads the model's variables when it runs, so later changes to
    the weights (``model.set_weights``) are seen by every call.
    """

    backend = "tensorflow"

    def __init__(self, model, *, source: str = "the Keras model", kind: str = "digits"):
        super().__init__(source, kind)
        self.model = model
        bad = [w.path for w in model.weights if not np.isfinite(np.asarray(w.numpy(), dtype=np.float64)).all()]
        if bad:
            raise ValueError(f"{source}: weights {', '.join(bad[:3])}{' ...' if len(bad) > 3 else ''} hold NaN or inf values")
        self._fn = None
        self._lock = threading.Lock()
        self._check()

    def _compiled(self):
        if self._fn is None:
            with self._lock:
                if self._fn is None:
                    import tensorflow as tf

                    model = self.model
                    h, w = self.image_shape
                    spec = tf.TensorSpec([None, h, w, 1], tf.float32, name="image")
                    reshape = len(model.input_shape) == 3

                    @tf.autograph.experimental.do_not_convert
                    def forward(images):
                        if reshape:
                            images = tf.reshape(images, [-1, h, w])
                        return model(images, training=False)

                    fn = tf.function(forward, input_signature=[spec], reduce_retracing=True)
                    fn.get_concrete_function()
                    self._fn = fn
        return self._fn

    def _probe(self, probe: np.ndarray) -> np.ndarray:
        model = self.model  # eager: checking the model should not cost a trace
        return np.asarray(model(probe if len(model.input_shape) == 4 else probe[..., 0], training=False))

    def _run(self, batch: np.ndarray) -> np.ndarray:
        fn = self._compiled()
        parts = [np.asarray(fn(batch[i : i + CHUNK])) for i in range(0, len(batch), CHUNK)]
        return np.concatenate(parts).astype(np.float32, copy=False)


def from_keras(model, *, source: str = "the Keras model", kind: str = "digits") -> KerasRuntime:
    """A :class:`KerasRuntime` for a built ``keras.Model`` (weights and outputs checked once); ``kind`` a key of
    :data:`KINDS`."""
    return KerasRuntime(model, source=source, kind=kind)


def convert_to_tflite(model, *, quantized: bool = False) -> bytes:
    """A Keras model as a TFLite flat buffer (TensorFlow's converter; takes seconds).

    ``quantized=False``: float32, the model's exact answers.  ``quantized=True``:
    dynamic-range quantization (``tf.lite.Optimize.DEFAULT`` without a
    representative dataset): weights stored as int8, activations quantized per
    call by LiteRT, input and output still float32; about a quarter of the size
    and several times faster on CPU, with probabilities that differ slightly
    (:data:`QUANTIZED_METHOD`).  Both conversions are deterministic: the same
    model gives the same bytes.  The result takes the model's own input shape
    with any batch size, so :class:`LiteRTRuntime` can resize it for batches.
    """
    import contextlib
    import io

    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantized:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    with contextlib.redirect_stdout(io.StringIO()):  # Keras prints its export summary
        return converter.convert()

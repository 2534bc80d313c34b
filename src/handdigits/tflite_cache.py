"""The cache of TFLite conversions of user models (``$XDG_CACHE_HOME/handdigits/tflite``).

A Keras model without a shipped ``.tflite`` is converted once (seconds) so
single images and small batches run on LiteRT.  A cache entry is
``<model sha256>.tflite`` plus ``<model sha256>.json`` recording the model's and
the conversion's SHA-256.  An entry is used only when both hashes match and the
conversion agrees with the Keras model on probe images; otherwise (truncated,
empty, another model's, tampered) it is rebuilt.  An unwritable cache is
reported once by a ``RuntimeWarning``.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import warnings
from pathlib import Path

import numpy as np

from .runtime import convert_to_tflite, from_tflite, probe_images

AGREEMENT = 1e-4  # a TFLite conversion must match its Keras model this closely on the probe images


def check_agreement(model, lite, what: str) -> None:
    """Raise ValueError unless the LiteRT runtime ``lite`` and the Keras ``model`` agree on the probe images."""
    probe = probe_images(lite.image_shape)
    expected = np.asarray(model(probe if len(model.input_shape) == 4 else probe[..., 0], training=False))
    got = lite(probe)
    if got.shape != expected.shape or not np.allclose(got, expected, rtol=AGREEMENT, atol=AGREEMENT):
        raise ValueError(f"the TFLite model of {what} disagrees with its Keras model: it is another model's")


def _cached(model, cached: Path, sha256: str, what: str, threads: int | None, kind: str = "digits"):
    """The LiteRT runtime of a cache entry that checks out, else ``None``."""
    try:
        record = json.loads(cached.with_suffix(".json").read_text(encoding="utf-8"))
        data = cached.read_bytes()
        if record.get("model_sha256") == sha256 and record.get("sha256") == hashlib.sha256(data).hexdigest():
            lite = from_tflite(data, source=f"{what} (cached TFLite)", threads=threads, kind=kind)
            check_agreement(model, lite, what)
            return lite
    except (OSError, ValueError, AttributeError, RuntimeError):
        pass  # a bad cache entry: rebuild it
    return None


def converted_tflite(model, sha256: str | None, what: str, threads: int | None = None, kind: str = "digits"):
    """A LiteRT runtime for ``model``: the cached conversion when it checks out, else a fresh (cached) one.

    ``threads`` as in :class:`handdigits.runtime.LiteRTRuntime`, ``kind`` a key of
    :data:`handdigits.runtime.KINDS`.  Returns
    ``None`` when the conversion fails (the TensorFlow runtime answers).
    """
    from .datasets.paths import cache_home

    cached = cache_home() / "tflite" / f"{sha256}.tflite" if sha256 else None
    if cached is not None and cached.is_file():
        lite = _cached(model, cached, sha256, what, threads, kind)
        if lite is not None:
            return lite
    try:
        data = convert_to_tflite(model)
        lite = from_tflite(data, source=f"{what} (TFLite)", threads=threads, kind=kind)
        check_agreement(model, lite, what)
    except Exception as exc:  # noqa: BLE001 - any converter failure: TensorFlow answers instead
        warnings.warn(f"TFLite conversion of {what} failed, TensorFlow answers every call ({exc})", RuntimeWarning, stacklevel=5)
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
            stacklevel=6,
        )
    finally:
        for tmp in tmps:
            try:
                tmp.unlink()
            except OSError:
                pass

"""The one evaluator: predictions, error with a 95 % Wilson interval, calibration and refusals.

:func:`handdigits.benchmark`, training's test errors (``train.evaluate_model``) and the model card
all call :func:`evaluate`, which runs the model through :class:`handdigits.Classifier` (its
preprocessing when asked, its forward pass always), so a number means the same wherever it appears.

>>> from handdigits.evaluation import evaluate                      # doctest: +SKIP
>>> row = evaluate(classifier, images, labels)                       # doctest: +SKIP
>>> row["error_pct"], row["ci95_pct"], row["ece_pct"], row["refused"]  # doctest: +SKIP
(0.42, [0.31, 0.57], 0.18, 0)
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from .metrics import error_summary, expected_calibration_error
from .validation import describe

#: the label of a refused image (no digit found, or "not a digit"), as :meth:`Classifier.predict` gives it
REFUSED = -1
NUM_DIGITS = 10


def as_classifier(model, name: str = "model"):
    """A :class:`handdigits.Classifier` (or anything with ``predict_proba``) for ``model``.

    Accepts a Classifier (returned as is), a ``keras.Model`` (wrapped; no TFLite fast path) or a
    path to a ``.keras`` file.  Raises ``TypeError`` naming ``name`` for anything else.
    """
    if callable(getattr(model, "predict_proba", None)):
        return model
    from .classifier import Classifier

    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if not os.path.exists(path):
            raise FileNotFoundError(f"model {name!r}: no such file {path!r}")
        return Classifier.load(path)
    import keras

    if isinstance(model, keras.Model):
        return Classifier(model, fast_path=False)
    raise TypeError(f"model {name!r}: expected a handdigits Classifier, a keras.Model or a path to a .keras file, "
                    f"got {describe(model)}")


def predict(classifier, images, *, preprocess: bool = False, batch_size: int = 1024, progress=None):
    """``(labels int64 (N,), proba float32 (N, C))`` for ``images`` in batches of ``batch_size``.

    With ``preprocess=True`` images go through the classifier's preprocessing with
    ``errors="mark"``: an image it refuses gets label :data:`REFUSED` and a row of NaN.  The label
    is the top digit, as :meth:`Classifier.predict` answers; a classifier with a reject threshold
    (``min_confidence``) decides itself, so its rejections count as :data:`REFUSED` too.  A
    classifier with ``answer`` (:meth:`Classifier.answer`) gives labels and probabilities from one
    pass; any other object needs ``predict_proba`` (and ``predict`` when it rejects).
    ``progress`` is anything with ``update(n)`` (a tqdm bar), or ``None``.
    """
    kwargs = {"preprocess": True, "errors": "mark"} if preprocess else {"preprocess": False}
    # a classifier with a reject threshold decides in predict(); otherwise the answer is the top digit
    rejects = getattr(classifier, "min_confidence", None) is not None
    chunks, decided = [], []
    with warnings.catch_warnings():
        # raw MNIST-format sets are fed as they are on purpose (e.g. corrupted ones with light borders)
        warnings.filterwarnings("ignore", message="preprocess=False: ", category=UserWarning)
        for start in range(0, len(images), batch_size):
            chunk = images[start : start + batch_size]
            p, labels = _chunk_answers(classifier, chunk, kwargs, rejects)
            chunks.append(p)
            decided.append(labels)
            if progress is not None:
                progress.update(len(chunk))
    proba = np.concatenate(chunks)
    refused = np.isnan(proba).any(axis=1)
    labels = np.where(refused, 0, np.nan_to_num(proba, nan=-1.0).argmax(axis=1)).astype(np.int64)
    labels[refused | (labels >= NUM_DIGITS)] = REFUSED
    if rejects:
        labels = np.concatenate(decided)
    return labels, proba


def _chunk_answers(classifier, chunk, kwargs: dict, rejects: bool):
    """``(proba float32 (n, C), the classifier's own labels or None)`` for one chunk of images."""
    if hasattr(classifier, "answer"):  # one forward pass for both
        answers = classifier.answer(chunk, **kwargs)
        return np.asarray(answers.proba, np.float32), answers.labels.astype(np.int64) if rejects else None
    proba = np.asarray(classifier.predict_proba(chunk, **kwargs), dtype=np.float32).reshape(len(chunk), -1)
    return proba, np.asarray(classifier.predict(chunk, **kwargs), dtype=np.int64).reshape(-1) if rejects else None


def evaluate(model, images, labels, *, preprocess: bool = False, batch_size: int = 1024, progress=None,
             bins: int = 15) -> dict:
    """Evaluate ``model`` on labelled images.

    ``labels`` are digits 0-9, or -1 where the right answer is a refusal (an image with no digit).
    A refusal counts as an error on a digit and as correct on a -1.  Returns
    ``{"n", "errors", "error_pct", "ci95_pct", "refused", "refused_pct", "ece_pct"}``: the error
    with its 95 % Wilson interval (percent), the refusals, and the expected calibration error
    (percent, ``bins`` equal-width confidence bins) over the answered digit images (``None``
    when there are none).  See :func:`predict` for the other arguments.
    """
    labels = np.asarray(labels).astype(np.int64).reshape(-1)
    pred, proba = predict(as_classifier(model), images, preprocess=preprocess, batch_size=batch_size,
                          progress=progress)
    return summarise(pred, proba, labels, bins=bins)


def summarise(pred, proba, labels, *, bins: int = 15) -> dict:
    """The row of :func:`evaluate` from predictions already made (e.g. for a subset of them)."""
    row = error_summary(pred, labels)
    refused = pred == REFUSED
    row["refused"] = int(refused.sum())
    row["refused_pct"] = 100.0 * row["refused"] / row["n"]
    scored = ~refused & (labels >= 0)
    ece = expected_calibration_error(proba[scored], labels[scored], bins=bins) if scored.any() else None
    row["ece_pct"] = None if ece is None else float(ece)
    return row


__all__ = ["REFUSED", "as_classifier", "evaluate", "predict", "summarise"]

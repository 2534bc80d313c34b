"""From a model's raw outputs to answers: digit probabilities, "not a digit", confidence, rejection.

A model outputs softmax probabilities over 10 digits, or over 11 classes
whose last one means "not a digit" (trained on synthetic letters, shapes and
scribbles; see :mod:`handdigits.assembly`).  The public answers are the same
for both kinds:

- :func:`digit_proba`: ten digit probabilities summing to 1 (for an 11-class
  model, the digits' share renormalised: *which digit, if it is one*);
- :func:`not_digit_proba`: the probability that the image is not a digit at
  all (0 for a 10-class model, which cannot say);
- :func:`confidence`: the probability that the top digit is the right
  answer, ``P(digit) × P(top digit | digit)`` — the raw top digit output;
- :func:`decide`: the top digit, or :data:`REJECTED` (-1) where the
  confidence is below a threshold or the "not a digit" probability above
  one;
- :func:`reject_rule`: those two thresholds chosen on digits that should be
  answered (the ``"auto"`` rule recorded with a trained model).

The two thresholds do different jobs.  ``max_not_digit`` catches things
that are no digit at all (letters, shapes, scribbles): on held-out synthetic
non-digits it rejects far more than a confidence threshold that answers as
many real digits.  ``min_confidence`` catches digits the model finds
ambiguous, where it would otherwise be wrong most often.

Rows of NaN (images that could not be read, see ``errors="mark"``) stay NaN
and decide to -1.

>>> import numpy as np
>>> raw = np.array([[0.9, 0.05, 0, 0, 0, 0, 0, 0, 0, 0, 0.05], [0.1, 0.1, 0, 0, 0, 0, 0, 0, 0, 0, 0.8]])
>>> decide(raw, min_confidence=0.5).tolist()
[0, -1]
>>> not_digit_proba(raw).round(2).tolist()
[0.05, 0.8]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NUM_DIGITS = 10
REJECTED = -1  # the label given to unreadable, rejected and "not a digit" images
AUTO_COVERAGE = 0.995  # the "auto" rule answers this share of validation digits ...
AUTO_CONFIDENCE_COVERAGE = 0.999  # ... and its confidence limit alone this share (see reject_rule)


def _raw(raw) -> np.ndarray:
    raw = np.asarray(raw, dtype=np.float64)
    if raw.ndim != 2 or raw.shape[1] not in (NUM_DIGITS, NUM_DIGITS + 1):
        raise ValueError(f"expected model outputs of shape (N, 10) or (N, 11), got {raw.shape}")
    return raw


def digit_proba(raw) -> np.ndarray:
    """``(N, 10)`` digit probabilities summing to 1 (NaN rows stay NaN)."""
    digits = _raw(raw)[:, :NUM_DIGITS]
    total = digits.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = digits / total
    # a model sure the image is no digit at all leaves (almost) nothing to share: uniform
    return np.where(total > 1e-12, out, np.where(np.isnan(total), np.nan, 1.0 / NUM_DIGITS))


def not_digit_proba(raw) -> np.ndarray:
    """``(N,)`` probability of "not a digit" (0 for a 10-class model)."""
    raw = _raw(raw)
    if raw.shape[1] == NUM_DIGITS:
        return np.where(np.isnan(raw).any(axis=1), np.nan, 0.0)
    return raw[:, NUM_DIGITS].copy()


def confidence(raw) -> np.ndarray:
    """``(N,)`` probability that the top digit is right: the largest digit output of the model."""
    digits = _raw(raw)[:, :NUM_DIGITS]
    out = np.full(len(digits), np.nan)
    ok = ~np.isnan(digits).any(axis=1)
    out[ok] = digits[ok].max(axis=1)
    return out


def decide(raw, min_confidence: float | None = None, max_not_digit: float | None = None) -> np.ndarray:
    """``(N,)`` int64: the top digit, or :data:`REJECTED` where unreadable, below
    ``min_confidence`` or above ``max_not_digit`` (either may be ``None``: no limit)."""
    raw = _raw(raw)
    labels = raw[:, :NUM_DIGITS].argmax(axis=1).astype(np.int64, copy=False)  # NaN rows: replaced below
    rejected = np.isnan(raw).any(axis=1)
    if min_confidence is not None:
        rejected |= ~(confidence(raw) >= min_confidence)
    if max_not_digit is not None:
        rejected |= ~(not_digit_proba(raw) <= max_not_digit)
    labels[rejected] = REJECTED
    return labels


@dataclass(frozen=True)
class Answers:
    """Every answer for a batch, from one forward pass (see :meth:`handdigits.Classifier.answer`).

    ``labels`` int64 ``(N,)`` (:data:`REJECTED` where unreadable or below the
    threshold), ``proba`` float32 ``(N, 10)`` digit probabilities,
    ``confidence`` and ``not_digit`` float64 ``(N,)``.
    """

    labels: np.ndarray
    proba: np.ndarray
    confidence: np.ndarray
    not_digit: np.ndarray


def answers(raw, min_confidence: float | None = None, max_not_digit: float | None = None) -> Answers:
    """:class:`Answers` from the model's raw outputs (thresholds as in :func:`decide`)."""
    raw = _raw(raw)
    return Answers(decide(raw, min_confidence, max_not_digit), digit_proba(raw).astype(np.float32),
                   confidence(raw), not_digit_proba(raw))


def top_k(proba, k: int) -> list[list[tuple[int, float]]]:
    """The ``k`` most likely digits of each row of ``(N, 10)`` digit probabilities, most likely first (ties: the
    smaller digit), as ``[(digit, probability), ...]``; ``[]`` for a NaN row (an unreadable image)."""
    proba = np.asarray(proba)
    order = np.argsort(-np.nan_to_num(proba, nan=-1.0), axis=1, kind="stable")[:, : int(k)]
    return [[] if np.isnan(row).any() else [(int(d), float(row[d])) for d in idx] for idx, row in zip(order, proba)]


def threshold_for_coverage(conf, coverage: float) -> float:
    """The largest confidence threshold that still answers ``coverage`` of the images.

    ``conf`` are the confidences of images that should all be answered (e.g.
    validation digits); the result ``t`` answers every image with confidence
    ``>= t``, at least ``ceil(coverage * N)`` of them.
    """
    conf = np.sort(np.asarray(conf, dtype=np.float64))[::-1]
    if conf.size == 0 or not 0 < coverage <= 1:
        raise ValueError(f"need confidences and a coverage in (0, 1], got {conf.size} values and {coverage!r}")
    k = int(np.ceil(coverage * conf.size))
    return float(conf[k - 1])


def reject_rule(raw, coverage: float = AUTO_COVERAGE, confidence_coverage: float = AUTO_CONFIDENCE_COVERAGE) -> dict:
    """The ``"auto"`` thresholds: answer ``coverage`` of these digits, most of the budget for "not a digit".

    ``raw`` are model outputs for digits that should all be answered (e.g.
    MNIST validation digits).  ``min_confidence`` alone would answer
    ``confidence_coverage`` of them; ``max_not_digit`` is then the smallest
    "not a digit" limit that, together with it, still answers ``coverage``
    of them.  For a 10-class model (no "not a digit" output) only
    ``min_confidence`` is set, at ``coverage``.  Returns
    ``{"min_confidence": float, "max_not_digit": float | None}``.

    >>> raw = np.array([[0.9, 0.1] + [0.0] * 8 + [0.0]] * 3 + [[0.6, 0.0] + [0.0] * 8 + [0.4]])
    >>> reject_rule(raw, coverage=0.75, confidence_coverage=1.0)
    {'min_confidence': 0.6, 'max_not_digit': 0.0}
    """
    raw = _raw(raw)
    if not 0 < coverage <= confidence_coverage <= 1:
        raise ValueError(f"need 0 < coverage <= confidence_coverage <= 1, got {coverage!r} and {confidence_coverage!r}")
    conf = confidence(raw)
    if raw.shape[1] == NUM_DIGITS:
        return {"min_confidence": threshold_for_coverage(conf, coverage), "max_not_digit": None}
    t = threshold_for_coverage(conf, confidence_coverage)
    kept = np.sort(not_digit_proba(raw)[conf >= t])
    k = int(np.ceil(coverage * len(raw)))
    return {"min_confidence": t, "max_not_digit": float(kept[min(k, kept.size) - 1])}


def coverage_curve(conf, correct, thresholds=None) -> list[dict]:
    """Selective classification: for each threshold, the fraction answered and the error among answered.

    ``conf`` ``(N,)`` confidences, ``correct`` ``(N,)`` booleans (for digits:
    was the top digit right).  Returns ``[{"threshold", "coverage_pct",
    "error_pct"}]``, one per threshold (default: 0 and 0.5 to 0.99).
    """
    conf, correct = np.asarray(conf, dtype=np.float64), np.asarray(correct, dtype=bool)
    if thresholds is None:
        thresholds = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)
    rows = []
    for t in thresholds:
        answered = conf >= t
        n = int(answered.sum())
        rows.append({
            "threshold": float(t),
            "coverage_pct": 100.0 * n / max(conf.size, 1),
            "error_pct": 100.0 * float((~correct[answered]).mean()) if n else 0.0,
        })
    return rows

"""What :meth:`handdigits.Classifier.read` returns: a :class:`Reading` of :class:`DigitReading` s."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DigitReading:
    """One digit of a :class:`Reading`.

    Attributes:
        digit: 0-9.
        box: ``(x0, y0, x1, y1)`` of the digit's ink in input pixels (``x1``, ``y1`` exclusive).
        probabilities: float ``(10,)`` digit probabilities of the classifier for this segment
            (summing to 1, as :meth:`handdigits.Classifier.predict_proba`).
        confidence: the probability that ``digit`` is right, as
            :meth:`handdigits.Classifier.confidence` (``P(a digit) × P(digit | a digit)``).
    """

    digit: int
    box: tuple[int, int, int, int]
    probabilities: np.ndarray
    confidence: float

    def to_dict(self) -> dict:
        return {"digit": self.digit, "box": list(self.box), "confidence": round(self.confidence, 6),
                "probabilities": [round(float(p), 6) for p in self.probabilities]}


@dataclass(frozen=True)
class Reading:
    """The number read from one image.

    Attributes:
        text: the digits in reading order, e.g. ``"2024"`` (leading zeros kept).
        digits: one :class:`DigitReading` per character of ``text``.
        confidence: the product of the digits' confidences (the probability that
            every digit is right, if the segmentation is).
        error: ``None``; for an image that could not be read in
            ``read_batch(..., errors="mark")``, why (``text`` is then ``""``,
            ``digits`` empty and ``confidence`` NaN).
    """

    text: str
    digits: tuple[DigitReading, ...]
    confidence: float
    error: str | None = None

    @classmethod
    def failed(cls, error: str) -> "Reading":
        """The reading of an image that could not be read, and why."""
        return cls(text="", digits=(), confidence=float("nan"), error=str(error))

    def __str__(self) -> str:
        return self.text

    def __len__(self) -> int:
        return len(self.digits)

    def to_dict(self) -> dict:
        """A JSON-friendly dict: ``{"text", "confidence", "digits": [{"digit", "box", "confidence",
        "probabilities"}], "error"}``; ``text`` and ``confidence`` are null where ``error`` is set."""
        if self.error is not None:
            return {"text": None, "confidence": None, "digits": [], "error": self.error}
        return {"text": self.text, "confidence": round(self.confidence, 6),
                "digits": [d.to_dict() for d in self.digits], "error": None}

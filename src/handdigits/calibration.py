"""Temperature scaling of a trained model, baked into its weights.

A classifier is *calibrated* when, among the answers it gives with confidence
``p``, a fraction ``p`` is right.  Temperature scaling (Guo et al., 2017)
divides the logits by one number ``T`` fitted on held-out data by minimising
the negative log-likelihood; it changes no prediction, only how sure the
model says it is.

Our models end in a ``Dense(..., activation="softmax", name="probabilities")``
layer, so dividing that layer's kernel and bias by ``T`` applies the
temperature inside the model: the saved ``.keras`` file, its ``.tflite`` and
every runtime give calibrated probabilities with no extra step.  For an
ensemble, every member is scaled by the same ``T`` before the average.

>>> import numpy as np
>>> from handdigits.calibration import fit_temperature
>>> logits = np.array([[[4.0, 0.0], [0.0, 4.0], [4.0, 0.0], [0.0, 4.0]]])  # 1 member, 4 images
>>> round(fit_temperature(logits, np.array([0, 1, 1, 0])), 1) > 4   # half wrong: soften a lot
True
"""

from __future__ import annotations

import numpy as np

from .metrics import expected_calibration_error

TEMPERATURES = np.geomspace(0.5, 8.0, 201)  # the grid searched (ratio ~1.4 % between neighbours);
# not below 0.5: with almost no validation errors the NLL keeps falling as T -> 0, sharpening for nothing


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Softmax over the last axis of ``logits / temperature`` (numerically stable)."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def ensemble_proba(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Mean over members of the softmax of ``(members, N, C)`` logits at ``temperature``."""
    return softmax(logits, temperature).mean(axis=0)


def negative_log_likelihood(proba: np.ndarray, labels: np.ndarray) -> float:
    """Mean ``-log p(true class)`` (probabilities floored at 1e-12)."""
    p = proba[np.arange(len(labels)), labels]
    return float(-np.log(np.maximum(p, 1e-12)).mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature in :data:`TEMPERATURES` minimising the NLL of the averaged softmax.

    Args:
        logits: ``(members, N, C)`` (or ``(N, C)`` for one model) pre-softmax outputs.
        labels: ``(N,)`` integer classes in ``[0, C)``.
    """
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim == 2:
        logits = logits[None]
    labels = np.asarray(labels)
    if logits.ndim != 3 or labels.shape != (logits.shape[1],) or len(labels) == 0:
        raise ValueError(f"expected logits (members, N, C) and labels (N,), got {logits.shape} and {labels.shape}")
    nll = [negative_log_likelihood(ensemble_proba(logits, t), labels) for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(nll))])


def member_logits(model, images: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """``(members, N, C)`` logits of each member of ``model`` (see :func:`handdigits.models.members_of`)."""
    import keras

    from .models import members_of

    out = []
    x = np.asarray(images, dtype=np.float32)
    x = x[..., None] if x.ndim == 3 else x
    for member in members_of(model):
        head = member.get_layer("probabilities")
        features = keras.Model(member.input, head.input).predict(x, batch_size=batch_size, verbose=0)
        kernel, bias = head.get_weights()
        out.append(features.astype(np.float64) @ kernel + bias)
    return np.stack(out)


def apply_temperature(model, temperature: float) -> None:
    """Divide every member's ``probabilities`` layer (kernel and bias) by ``temperature``, in place."""
    from .models import members_of

    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be a finite number > 0, got {temperature!r}")
    for member in members_of(model):
        head = member.get_layer("probabilities")
        head.set_weights([w / temperature for w in head.get_weights()])


def calibrate(model, images: np.ndarray, labels: np.ndarray) -> dict:
    """Fit a temperature on ``(images, labels)``, apply it to ``model`` and say what changed.

    The temperature is kept only when it also lowers the expected
    calibration error on that data (on a small or nearly error-free
    validation set the NLL optimum can overshoot); otherwise the model is
    left as it was (``"applied": false``).  Returns a dict for the model's
    metadata: the fitted temperature, whether it was applied, and the NLL
    and ECE (15 bins, %) before and after, all on the given (validation) data.
    """
    logits = member_logits(model, images)
    labels = np.asarray(labels)
    t = fit_temperature(logits, labels)
    before, after = ensemble_proba(logits), ensemble_proba(logits, t)
    ece_before, ece_after = expected_calibration_error(before, labels), expected_calibration_error(after, labels)
    applied = ece_after <= ece_before
    if applied:
        apply_temperature(model, t)
    else:
        after, ece_after = before, ece_before
    return {
        "temperature": round(t, 4),
        "applied": bool(applied),
        "fitted_on": "validation",
        "n": int(len(labels)),
        "nll_before": round(negative_log_likelihood(before, labels), 5),
        "nll_after": round(negative_log_likelihood(after, labels), 5),
        "ece_pct_before": round(ece_before, 3),
        "ece_pct_after": round(ece_after, 3),
    }

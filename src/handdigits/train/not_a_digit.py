"""Refit a trained model's "not a digit" output on frozen features; each member's digit outputs stay as they were.

An 11-output model's last output, "not a digit", does two jobs: it lets
:meth:`handdigits.Classifier.predict` reject letters and scribbles, and it
lets :meth:`handdigits.Classifier.read` score low a candidate that holds two
merged digits.  New non-digit examples (``--numbers``: the reader's own
candidates, merged pairs among them) can teach it without retraining the
network and without changing a single digit answer: for each member only the
last layer's "not a digit" column (weights ``w`` and bias ``b``) is refitted,
by logistic regression on the member's penultimate features ``f(x)`` with the
digit logits ``z(x)`` as a fixed offset,

    P(not a digit | x) = sigmoid(w·f(x) + b - logsumexp(z(x))),

which is exactly the member's softmax output for the 11th class.  Each
member's digit logits, hence its digit probabilities renormalised over the
digits (:func:`handdigits.decision.digit_proba`), and the baked-in
temperature are unchanged.  An ensemble averages its members' probabilities,
so it weighs each member by how much that member calls the image a digit:
where members disagree, a digit answer can still change (3 of MNIST's 10,000
test digits for the bundled model).  The fit is Newton's method from the
current column with an L2 pull toward it (:func:`fit_column`).

    python -m handdigits.train --refit-not-a-digit --init-from MODEL.keras --numbers 30000 \\
        --synthetic 30000 --nondigits 12000 --output runs/refit

The reject rule (``metadata.json``'s ``"reject"``) is chosen afresh on the
validation hold-out, as after training.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .. import models
from ..assembly import NOT_A_DIGIT, DataSpec
from ..datasets.checksums import file_digest as sha256_file
from ..validation import check_number
from . import provenance
from .provenance import log
from .settings import claim_output

L2 = 1e-3  # pull of the refitted column toward the one it starts from (beside the mean log loss)
_MAX_NEWTON = 50


def fit_column(features, offset, target, w0, b0: float, *, l2: float = L2, weights=None,
               tol: float = 1e-7) -> tuple[np.ndarray, float, dict]:
    """Weights ``w`` and bias ``b`` minimising the mean log loss of ``sigmoid(features @ w + b + offset)`` vs ``target``.

    Plus ``l2 / 2 * |(w, b) - (w0, b0)|²``.  ``features`` ``(N, F)``,
    ``offset`` and ``target`` (0/1) ``(N,)``; ``weights`` ``(N,)`` weigh the
    examples' losses (scaled to mean 1; default: equal).  Newton's method, each
    step halved until the loss goes down (the loss is convex).  Returns ``(w, b, record)``
    with the loss before and after and the number of steps.

    >>> f = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> w, b, rec = fit_column(f, np.zeros(4), np.array([0, 0, 1, 1]), np.zeros(1), 0.0, l2=1e-2)
    >>> bool(w[0] > 0) and rec["loss_after"] < rec["loss_before"]
    True
    """
    check_number(l2, "l2", low=0.0)
    a = np.hstack([np.asarray(features, np.float64), np.ones((len(features), 1))])
    offset, target = np.asarray(offset, np.float64), np.asarray(target, np.float64)
    v0 = np.concatenate([np.asarray(w0, np.float64), [float(b0)]])
    c = np.ones(len(a)) if weights is None else np.asarray(weights, np.float64) / np.mean(weights)

    def loss(v):
        z = a @ v + offset
        return float((c * (np.logaddexp(0.0, z) - target * z)).mean() + 0.5 * l2 * ((v - v0) ** 2).sum())

    v, current, steps = v0.copy(), loss(v0), 0
    before = current
    for steps in range(1, _MAX_NEWTON + 1):
        p = 0.5 * (1.0 + np.tanh(0.5 * (a @ v + offset)))  # the logistic function, without overflow
        grad = a.T @ (c * (p - target)) / len(a) + l2 * (v - v0)
        hess = (a * (c * p * (1.0 - p))[:, None]).T @ a / len(a) + l2 * np.eye(len(v))
        step = np.linalg.solve(hess + 1e-9 * np.eye(len(v)), grad)
        t = 1.0
        while t > 1e-4 and loss(v - t * step) > current:
            t /= 2
        new = loss(v - t * step)
        if new > current:
            break
        v -= t * step
        done = current - new < tol
        current = new
        if done:
            break
    return v[:-1], float(v[-1]), {"loss_before": round(before, 6), "loss_after": round(current, 6), "steps": steps}


def refit_not_a_digit(net, images, labels, *, l2: float = L2, batch_size: int = 1024) -> list[dict]:
    """Refit every member's "not a digit" column of ``net`` (in place) on ``images`` (labels 0-9 or 10).

    Returns one :func:`fit_column` record per member.  Raises ``ValueError``
    for a 10-output model (it has no "not a digit" output to refit).
    """
    import keras

    labels = np.asarray(labels)
    target = (labels == NOT_A_DIGIT).astype(np.float64)
    x = np.asarray(images, np.float32)[..., None]
    records = []
    for member in models.members_of(net):
        head = member.get_layer("probabilities")
        kernel, bias = head.get_weights()
        if kernel.shape[1] != NOT_A_DIGIT + 1:
            raise ValueError(f"the model has {kernel.shape[1]} outputs: there is no 'not a digit' output to refit")
        features = keras.Model(member.inputs, head.input).predict(x, batch_size=batch_size, verbose=0).astype(np.float64)
        digits = features @ kernel[:, :NOT_A_DIGIT] + bias[:NOT_A_DIGIT]
        offset = -np.logaddexp.reduce(digits, axis=1)  # -logsumexp of the digit logits
        w, b, record = fit_column(features, offset, target, kernel[:, NOT_A_DIGIT], float(bias[NOT_A_DIGIT]), l2=l2)
        kernel[:, NOT_A_DIGIT], bias[NOT_A_DIGIT] = w, b
        head.set_weights([kernel, bias])
        records.append(record)
        log(f"{member.name}: 'not a digit' refitted, log loss {record['loss_before']:.4f} -> {record['loss_after']:.4f}")
    return records


def refit_run(init_from, data: DataSpec, *, output, l2: float = L2, evaluate: bool = True, overwrite: bool = False,
              command: str | None = None) -> dict:
    """:func:`refit_not_a_digit` of the model ``init_from`` on ``data``'s training part, saved with its metadata.

    ``init_from`` must have the ``metadata.json`` of ``handdigits.train`` beside it
    (its architecture and calibration are carried over).  Validation errors and the
    reject rule are measured afresh on ``data``'s hold-out; ``output`` gets
    ``model.keras`` + ``metadata.json``.
    """
    import keras

    init_from = Path(init_from)
    meta_path = init_from.parent / "metadata.json"
    if not meta_path.is_file():
        raise FileNotFoundError(f"{init_from} has no metadata.json beside it (written by handdigits.train)")
    init_meta = json.loads(meta_path.read_text())
    record = {"file": init_from.name, "sha256": sha256_file(init_from)}
    output = Path(output)
    claim_output(output, {"refit_not_a_digit": record, "l2": l2, "data": {k: str(v) for k, v in asdict(data).items()}},
                 overwrite)
    started = time.time()
    (xt, yt), validation, info = data.load(log)
    net = keras.saving.load_model(init_from, safe_mode=True)
    records = refit_not_a_digit(net, xt, yt, l2=l2)
    metadata = {
        **{k: init_meta[k] for k in ("format", "architecture") if k in init_meta},
        "data": info,
        "recipe": {**init_meta.get("recipe", {}),
                   "refit_not_a_digit": {"init_from": record, "l2": l2, "members": records, "command": command}},
        **({"members": init_meta["members"]} if "members" in init_meta else {}),
        **provenance.assessed(net, validation, False),
        "calibration": init_meta.get("calibration"),
        "train_wall_seconds": init_meta.get("train_wall_seconds"),
    }
    return provenance.finish(metadata, net, output / "model.keras", started, data, evaluate,
                             earlier_seconds=init_meta.get("wall_seconds", 0))

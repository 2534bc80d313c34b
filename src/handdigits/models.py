"""Named Keras 3 architectures for 28×28 digit classification.

Every model takes ``(28, 28, 1)`` float inputs in ``[0, 255]`` (MNIST
polarity: white ink on black), rescales internally, and outputs softmax
probabilities over the 10 digits (or 11 classes, the last one "not a digit",
when built with ``classes=11``).  Build one with :func:`build`.  The reader's
pair model (two touching digits in one ``(28, 48, 1)`` crop) is built by
:func:`build_pair_model`.
"""

from __future__ import annotations

from .runtime import OUTPUTS, PAIR_OUTPUTS, PAIR_SHAPE, SIZE

INPUT_SHAPE = (SIZE, SIZE, 1)
CLASS_COUNTS = OUTPUTS  # digits only, or digits + "not a digit" (index 10)
NUM_CLASSES = CLASS_COUNTS[0]
PAIR_INPUT_SHAPE = (*PAIR_SHAPE, 1)  # the reader's crops of two touching digits (build_pair_model)
PAIR_CLASSES = PAIR_OUTPUTS  # "00".."99" (10 a + b) and "not a pair" (index 100)

# name -> (builder function name, one-line description, recipe defaults)
_REGISTRY = {
    "baseline": (
        "_baseline",
        "plain CNN like the original coursework model: conv/pool x2, dense 128, dropout",
        {"epochs": 50, "batch_size": 32},
    ),
    "bn_cnn": (
        "_bn_cnn",
        "batch-norm CNN (32-32-32s2 / 64-64-64s2 / 128 conv, dropout), ~330k parameters",
        {"epochs": 30, "batch_size": 128},
    ),
    "resnet_small": (
        "_resnet_small",
        "small residual net: 3 stages (32/64/128) of pre-activation blocks, global pooling",
        {"epochs": 30, "batch_size": 128},
    ),
}


# earlier names still accepted (and found in saved metadata): "seed" collided with every seed= argument
ALIASES = {"seed": "baseline"}


def available() -> list[str]:
    """Names accepted by :func:`build` (besides the old names in :data:`ALIASES`)."""
    return sorted(_REGISTRY)


def canonical_name(name: str) -> str:
    """The architecture's current name (``"seed"`` → ``"baseline"``); unknown names raise ``ValueError``."""
    return _check(name)


def description(name: str) -> str:
    """One line saying what the named architecture is."""
    return _REGISTRY[_check(name)][1]


describe = description  # the earlier name (validation.describe describes values, not architectures)


def recipe_defaults(name: str) -> dict:
    """Default training epochs and batch size of a named architecture."""
    return dict(_REGISTRY[_check(name)][2])


def _check(name: str) -> str:
    name = ALIASES.get(name, name) if isinstance(name, str) else name
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; available: {', '.join(available())}")
    return name


def build(name: str = "bn_cnn", *, seed: int | None = None, classes: int = NUM_CLASSES):
    """Build the named (uncompiled) Keras model.

    Args:
        name: one of :func:`available`.
        seed: seeds weight initialisation (``keras.utils.set_random_seed``).
        classes: 10 (digits) or 11 (digits + "not a digit" at index 10).
    """
    name = _check(name)
    if classes not in CLASS_COUNTS:
        raise ValueError(f"classes must be one of {CLASS_COUNTS}, got {classes!r}")
    import keras

    if seed is not None:
        keras.utils.set_random_seed(seed)
    return globals()[_REGISTRY[name][0]](keras, classes)


def _inputs(keras, shape=INPUT_SHAPE):
    inputs = keras.Input(shape, name="image")
    return inputs, keras.layers.Rescaling(1.0 / 255.0, name="rescale")(inputs)


def _baseline(keras, classes):
    L = keras.layers
    inputs, x = _inputs(keras)
    x = L.Conv2D(32, 3, activation="relu")(x)
    x = L.MaxPooling2D()(x)
    x = L.Conv2D(64, 3, activation="relu")(x)
    x = L.MaxPooling2D()(x)
    x = L.Flatten()(x)
    x = L.Dense(128, activation="relu")(x)
    x = L.Dropout(0.5)(x)
    outputs = L.Dense(classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="baseline")


def _conv_bn(keras, x, filters, kernel, strides=1, padding="valid"):
    L = keras.layers
    x = L.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False)(x)
    x = L.BatchNormalization()(x)
    return L.Activation("relu")(x)


def _bn_cnn(keras, classes):
    L = keras.layers
    inputs, x = _inputs(keras)
    x = _bn_cnn_features(keras, x)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dropout(0.3)(x)
    outputs = L.Dense(classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="bn_cnn")


def _bn_cnn_features(keras, x):
    """bn_cnn's convolutions (a 28×28 input ends as 1×1×128, a 28×48 one as 1×6×128)."""
    L = keras.layers
    x = _conv_bn(keras, x, 32, 3)
    x = _conv_bn(keras, x, 32, 3)
    x = _conv_bn(keras, x, 32, 5, strides=2, padding="same")
    x = L.Dropout(0.3)(x)
    x = _conv_bn(keras, x, 64, 3)
    x = _conv_bn(keras, x, 64, 3)
    x = _conv_bn(keras, x, 64, 5, strides=2, padding="same")
    x = L.Dropout(0.3)(x)
    return _conv_bn(keras, x, 128, 4)


def build_pair_model(*, seed: int | None = None):
    """The reader's pair model: bn_cnn's convolutions on a ``(28, 48, 1)`` crop of two touching digits.

    The six columns of features left are flattened (not averaged, as bn_cnn
    does: the order of the two digits is in their place), then one softmax
    layer gives :data:`PAIR_CLASSES` probabilities: ``10 a + b`` for the pair
    "ab" and the last one for "not a pair" (one digit, three, or a cut in the
    wrong place).  Same layer shapes as bn_cnn's up to the last, so a trained
    bn_cnn's convolutions can start it (:func:`transfer_features`).
    """
    import keras

    if seed is not None:
        keras.utils.set_random_seed(seed)
    L = keras.layers
    inputs, x = _inputs(keras, PAIR_INPUT_SHAPE)
    x = _bn_cnn_features(keras, x)
    x = L.Flatten()(x)
    x = L.Dropout(0.3)(x)
    outputs = L.Dense(PAIR_CLASSES, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="pair_cnn")


def _res_block(keras, x, filters, strides):
    L = keras.layers
    shortcut = x
    y = L.BatchNormalization()(x)
    y = L.Activation("relu")(y)
    if strides != 1 or x.shape[-1] != filters:
        shortcut = L.Conv2D(filters, 1, strides=strides, use_bias=False)(y)
    y = L.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(y)
    y = L.BatchNormalization()(y)
    y = L.Activation("relu")(y)
    y = L.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    return L.Add()([shortcut, y])


def _resnet_small(keras, classes):
    L = keras.layers
    inputs, x = _inputs(keras)
    x = L.Conv2D(32, 3, padding="same", use_bias=False)(x)
    x = _res_block(keras, x, 32, 1)
    x = _res_block(keras, x, 64, 2)
    x = _res_block(keras, x, 128, 2)
    x = L.BatchNormalization()(x)
    x = L.Activation("relu")(x)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dropout(0.3)(x)
    outputs = L.Dense(classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="resnet_small")


def ensemble(members, name: str = "ensemble"):
    """Average the softmax outputs of trained ``members`` into one Keras model.

    ``members`` are Keras models with this module's input/output convention
    (``(28, 28, 1)`` in ``[0, 255]`` → 10 or 11 probabilities, the same for
    all).  The result is a plain functional model (saved and loaded like any
    ``.keras`` file, safe mode included) whose output is the mean of the
    members' probabilities.
    """
    import keras

    members = list(members)
    if not members:
        raise ValueError("ensemble needs at least one member model")
    shape = getattr(members[0], "output_shape", None)
    for m in members:
        if not isinstance(m, keras.Model) or tuple(m.output_shape) not in ((None, c) for c in CLASS_COUNTS) or m.output_shape != shape:
            raise ValueError(f"ensemble members must be Keras models with one output shape, (None, 10) or (None, 11), got {m!r}")
    inputs = keras.Input(INPUT_SHAPE, name="image")
    # re-wrap each member under a unique name (members trained alone share one name)
    outputs = [keras.Model(m.input, m.output, name=f"member_{i}")(inputs) for i, m in enumerate(members)]
    if len(outputs) == 1:
        return keras.Model(inputs, outputs[0], name=name)
    return keras.Model(inputs, keras.layers.Average(name="probabilities")(outputs), name=name)


def members_of(model) -> list:
    """The member networks of an :func:`ensemble` (``[model]`` for a single network)."""
    members = [layer for layer in model.layers if layer.name.startswith("member_") and hasattr(layer, "layers")]
    return sorted(members, key=lambda m: int(m.name.split("_")[1])) or [model]


def transfer_weights(source, target) -> int:
    """Initialise ``target`` from ``source`` (same architecture), for fine-tuning.

    Layers are matched in order.  The final ``probabilities`` layer may grow
    from 10 to 11 classes: the digits' columns are copied and the new class
    starts at zero weights and bias.  Returns the number of layers copied.

    Raises:
        ValueError: the architectures differ (layer count or a weight shape).
    """
    return _combine(source, target, "initialise", lambda x, y: x, lambda y: y * 0.0)


def transfer_features(source, target) -> int:
    """Initialise every layer of ``target`` but its last from ``source``'s (same shapes), e.g. a
    :func:`build_pair_model` from a trained bn_cnn, whose convolutions it shares; returns the layers copied.

    Raises:
        ValueError: the layers before the last differ (count or a weight shape).
    """
    return _combine(source, target, "initialise", lambda x, y: x, lambda y: y * 0.0, head=False)


def interpolate_weights(init, tuned, alpha: float) -> None:
    """WiSE-FT (Wortsman et al., 2022): set ``tuned``'s weights to ``(1 - alpha) * init + alpha * tuned``.

    ``init`` is the model ``tuned`` was fine-tuned from (same architecture;
    see :func:`transfer_weights`).  Classes that only ``tuned`` has (the
    "not a digit" output added by fine-tuning) keep their fine-tuned weights:
    ``init`` has nothing to say about them.  ``alpha=1`` leaves ``tuned`` as it
    is, ``alpha=0`` gives back ``init``'s digits.  Changes ``tuned`` in place.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")
    _combine(init, tuned, "interpolate", lambda x, y: (1.0 - alpha) * x + alpha * y, lambda y: y.copy())


def _combine(source, target, verb: str, shared, grown, *, head: bool = True) -> int:
    """Set each weight of ``target`` to ``shared(source weight, target weight)``, layer by layer.

    A target weight with more classes than the source's (a head grown from 10
    to 11 outputs) starts as ``grown(target weight)`` and gets ``shared(...)``
    in the source's classes.  ``head=False`` leaves both models' last layer
    out.  Returns the number of layers set.
    """
    src = [layer for layer in source.layers if layer.weights][: None if head else -1]
    dst = [layer for layer in target.layers if layer.weights][: None if head else -1]
    if len(src) != len(dst):
        raise ValueError(f"cannot {verb} {target.name} from {source.name}: {len(dst)} vs {len(src)} layers with weights")
    for a, b in zip(src, dst):
        wa, wb = a.get_weights(), b.get_weights()
        out = []
        for x, y in zip(wa, wb) if len(wa) == len(wb) else ():
            if x.shape == y.shape:
                out.append(shared(x, y))
            elif x.ndim == y.ndim and x.shape[:-1] == y.shape[:-1] and x.shape[-1] < y.shape[-1]:
                z = grown(y)
                z[..., : x.shape[-1]] = shared(x, y[..., : x.shape[-1]])
                out.append(z)
            else:
                break
        if len(out) != len(wb):
            raise ValueError(f"cannot {verb} layer {b.name} {[w.shape for w in wb]} from {a.name} {[w.shape for w in wa]}")
        b.set_weights(out)
    return len(dst)

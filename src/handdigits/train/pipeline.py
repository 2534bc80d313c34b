"""The input pipeline: ``tf.data`` batches of (augmented, optionally low-resolution) float images."""

from __future__ import annotations

LOWRES_SIZES = (8, 16)  # smallest and largest side of the low-resolution views (``lowres``)


def make_dataset(x, y, batch_size: int, seed: int, augmentation=None, shuffle: bool = True, lowres: float = 0.0,
                 repeat: bool = False):
    """Batches of ``(float32 (N, 28, 28, 1) images, labels)`` from uint8 ``x`` and integer ``y``.

    Shuffled each epoch with ``seed``; ``augmentation`` (a Keras layer such as
    :func:`handdigits.transforms.default_augmentation`) is applied per batch,
    then :func:`low_resolution` with probability ``lowres``.  ``repeat``
    makes it endless (a custom loop then takes a fixed number of steps).
    """
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x[..., None], y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.batch(batch_size)
    if augmentation is not None:
        ds = ds.map(lambda a, b: (augmentation(a), b))
    ds = ds.map(lambda a, b: (tf.cast(a, tf.float32), b))
    if lowres > 0:
        ds = ds.enumerate().map(lambda i, ab: (low_resolution(ab[0], lowres, (seed, i)), ab[1]))
    return ds.prefetch(tf.data.AUTOTUNE)


def low_resolution(images, p: float, seed):
    """Show each image of a float ``(N, 28, 28, 1)`` batch with probability ``p`` at low resolution.

    The chosen images are reduced (area average) to ``s × s`` pixels, ``s``
    drawn from :data:`LOWRES_SIZES` once per batch, and enlarged back to
    28 × 28 bilinearly: the blur and grey levels of an 8×8 or 16×16 scan.
    ``seed`` is a stateless seed pair, so a batch's views are reproducible.
    """
    import tensorflow as tf

    seed = tf.cast(tf.stack(seed), tf.int64)
    size = tf.random.stateless_uniform((), seed, LOWRES_SIZES[0], LOWRES_SIZES[1] + 1, dtype=tf.int32)
    small = tf.image.resize(images, tf.stack([size, size]), method="area")
    views = tf.clip_by_value(tf.image.resize(small, tf.shape(images)[1:3], method="bilinear"), 0.0, 255.0)
    chosen = tf.random.stateless_uniform(tf.shape(images)[:1], seed + 1) < p
    return tf.where(chosen[:, None, None, None], views, images)

"""Pure, deterministic image functions behind the random transforms.

Every function takes a float32 batch ``(N, H, W, 1)`` with values in
``[0, 1]`` (white ink on black) plus per-image parameters of shape ``(N,)``,
and returns a batch of the same shape.  They are TensorFlow graph-compatible,
so they run eagerly on numpy data and inside ``tf.data`` pipelines alike.
Call them directly for deterministic edits (like ``torchvision``'s
``functional`` module).
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from ._affine import inverse_affine


def _per_image(value, n):
    value = tf.convert_to_tensor(value, dtype=tf.float32)
    return tf.broadcast_to(value, [n])


def affine_matrices(height, width, angle=0.0, translate=(0.0, 0.0), scale=1.0, shear=0.0):
    """Inverse-mapping matrices ``(N, 8)`` for :func:`keras.ops.image.affine_transform`.

    The forward map, about the image centre ``c``, is
    ``p_out = c + R(angle) @ Shear(shear) @ (scale * (p_in - c)) + translate``;
    angles are in degrees (counter-clockwise), ``translate`` in pixels
    ``(dx, dy)``.  Each argument is a scalar or a per-image vector.
    """
    n = tf.shape(tf.reshape(tf.convert_to_tensor(angle, tf.float32), [-1]))[0]
    for v in (scale, shear, translate[0], translate[1]):
        n = tf.maximum(n, tf.size(tf.convert_to_tensor(v, tf.float32)))
    theta = _per_image(angle, n) * (math.pi / 180.0)
    phi = _per_image(shear, n) * (math.pi / 180.0)
    s = _per_image(scale, n)
    tx = _per_image(translate[0], n)
    ty = _per_image(translate[1], n)
    cx = (tf.cast(width, tf.float32) - 1.0) / 2.0
    cy = (tf.cast(height, tf.float32) - 1.0) / 2.0
    parts = inverse_affine(tf.cos(theta), tf.sin(theta), tf.tan(phi), s, tx, ty, cx, cy)
    zeros = tf.zeros_like(parts[0])
    return tf.stack([*parts, zeros, zeros], axis=1)


def affine(images, angle=0.0, translate=(0.0, 0.0), scale=1.0, shear=0.0, interpolation="bilinear"):
    """Rotate, translate, scale and shear a batch in one resampling step."""
    images = tf.convert_to_tensor(images, tf.float32)
    shape = tf.shape(images)
    matrices = affine_matrices(shape[1], shape[2], angle, translate, scale, shear)
    matrices = tf.broadcast_to(matrices, [shape[0], 8])
    return keras.ops.image.affine_transform(
        images, matrices, interpolation=interpolation, fill_mode="constant", fill_value=0.0
    )


def _gaussian_kernel(sigma: float):
    radius = max(1, int(math.ceil(3.0 * sigma)))
    x = tf.range(-radius, radius + 1, dtype=tf.float32)
    k = tf.exp(-0.5 * tf.square(x / sigma))
    return k / tf.reduce_sum(k)


def gaussian_blur(images, sigma: float):
    """Separable Gaussian blur with a fixed ``sigma`` (pixels); zero padding."""
    if sigma <= 0:
        return tf.convert_to_tensor(images, tf.float32)
    images = tf.convert_to_tensor(images, tf.float32)
    shape = tf.shape(images)
    # fold channels into the batch so one single-channel kernel serves any C
    x = tf.reshape(tf.transpose(images, [0, 3, 1, 2]), [-1, shape[1], shape[2], 1])
    k = _gaussian_kernel(sigma)
    x = tf.nn.conv2d(x, tf.reshape(k, [1, -1, 1, 1]), strides=1, padding="SAME")
    x = tf.nn.conv2d(x, tf.reshape(k, [-1, 1, 1, 1]), strides=1, padding="SAME")
    return tf.transpose(tf.reshape(x, [shape[0], shape[3], shape[1], shape[2]]), [0, 2, 3, 1])


def displace(images, dx, dy):
    """Resample ``images`` at ``(x + dx, y + dy)`` (bilinear, zero outside).

    ``dx`` and ``dy`` are displacement fields of shape ``(N, H, W)`` in pixels.
    Works with unknown batch size (``keras.ops.image.map_coordinates`` needs
    static shapes, which ``tf.data`` batches do not have).
    """
    images = tf.convert_to_tensor(images, tf.float32)
    shape = tf.shape(images)
    n, h, w = shape[0], shape[1], shape[2]
    ys, xs = tf.meshgrid(tf.range(h, dtype=tf.float32), tf.range(w, dtype=tf.float32), indexing="ij")
    x = xs[None] + dx
    y = ys[None] + dy
    x0 = tf.floor(x)
    y0 = tf.floor(y)
    fx = x - x0
    fy = y - y0
    # pad by one pixel of zeros so every corner index is valid after clipping
    padded = tf.pad(images[..., 0], [[0, 0], [1, 1], [1, 1]])
    flat = tf.reshape(padded, [-1])
    base = tf.reshape(tf.range(n) * (h + 2) * (w + 2), [-1, 1, 1])

    def corner(yy, xx):
        yi = tf.cast(tf.clip_by_value(yy + 1.0, 0.0, tf.cast(h + 1, tf.float32)), tf.int32)
        xi = tf.cast(tf.clip_by_value(xx + 1.0, 0.0, tf.cast(w + 1, tf.float32)), tf.int32)
        return tf.gather(flat, base + yi * (w + 2) + xi)

    out = (
        corner(y0, x0) * (1 - fx) * (1 - fy)
        + corner(y0, x0 + 1) * fx * (1 - fy)
        + corner(y0 + 1, x0) * (1 - fx) * fy
        + corner(y0 + 1, x0 + 1) * fx * fy
    )
    return out[..., None]


def elastic(images, dx_noise, dy_noise, alpha, sigma: float):
    """Elastic distortion (Simard et al., 2003).

    ``dx_noise`` / ``dy_noise`` are uniform(-1, 1) fields ``(N, H, W)``; they are
    smoothed by a Gaussian of ``sigma`` pixels, normalised to a root-mean-square
    of 1 per image and scaled by ``alpha / 3`` (``alpha`` per image, pixels)
    before resampling.  So ``alpha`` is about the largest displacement (3 RMS),
    whatever ``sigma``; unlike Simard et al.'s ``alpha``, which multiplies the
    smoothed field directly and so depends on ``sigma`` (their 34 at sigma 4 is
    displacements of a few pixels).
    """
    images = tf.convert_to_tensor(images, tf.float32)
    n = tf.shape(images)[0]
    alpha = tf.reshape(_per_image(alpha, n), [-1, 1, 1])
    fields = gaussian_blur(tf.stack([dx_noise, dy_noise], axis=-1), sigma)
    # renormalise to RMS 1, so alpha / 3 is the RMS displacement whatever sigma is
    norm = tf.sqrt(tf.reduce_mean(tf.square(fields), axis=[1, 2, 3], keepdims=True)) + 1e-8
    fields = fields / norm
    return displace(images, alpha * fields[..., 0] / 3.0, alpha * fields[..., 1] / 3.0)


def dilate(images):
    """Grey-level dilation with a 3×3 square (thicker strokes)."""
    return tf.nn.max_pool2d(images, ksize=3, strides=1, padding="SAME")


def erode(images):
    """Grey-level erosion with a 3×3 square (thinner strokes)."""
    return -tf.nn.max_pool2d(-images, ksize=3, strides=1, padding="SAME")


def stroke(images, amount):
    """Change stroke thickness: ``amount`` in [-1, 1] per image; > 0 thickens, < 0 thins, 0 is identity."""
    images = tf.convert_to_tensor(images, tf.float32)
    amount = tf.reshape(_per_image(amount, tf.shape(images)[0]), [-1, 1, 1, 1])
    thick = images + tf.maximum(amount, 0.0) * (dilate(images) - images)
    return thick + tf.minimum(amount, 0.0) * (images - erode(images))


def gaussian_noise(images, noise, sigma):
    """Add ``sigma * noise`` (``noise`` standard normal, same shape as ``images``)."""
    sigma = tf.reshape(_per_image(sigma, tf.shape(images)[0]), [-1, 1, 1, 1])
    return images + sigma * noise


def salt_and_pepper(images, uniform, amount):
    """Set a fraction ``amount`` of pixels to 0 or 1 (half each), chosen where ``uniform < amount``."""
    amount = tf.reshape(_per_image(amount, tf.shape(images)[0]), [-1, 1, 1, 1])
    pepper = uniform < amount / 2.0
    salt = (uniform >= amount / 2.0) & (uniform < amount)
    out = tf.where(pepper, 0.0, images)
    return tf.where(salt, 1.0, out)

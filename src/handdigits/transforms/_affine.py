"""The inverse of the affine map, written once for the TensorFlow and the numpy functions.

Only arithmetic operators, so the same lines run on TensorFlow tensors
(:mod:`handdigits.transforms.functional`), numpy arrays and numpy float32
scalars (:mod:`handdigits.transforms.numpy_functional`), with the same
float32 operations in the same order.
"""

from __future__ import annotations


def inverse_affine(cos, sin, tan, s, tx, ty, cx, cy) -> tuple:
    """``(i00, i01, b0, i10, i11, b1)``: the map ``p_out -> p_in`` of an affine warp about ``(cx, cy)``.

    The forward linear part is ``A = R(-theta) @ [[1, tan(phi)], [0, 1]] * s`` (the
    image y axis points down, so a counter-clockwise rotation on screen is a
    negative angle in pixel coordinates), given by ``cos``/``sin`` of the
    rotation ``theta``, ``tan`` of the shear ``phi`` and the scale ``s``; the
    inverse is ``p_in = c + A^-1 (p_out - c - t)``.

    >>> import numpy as np
    >>> one, zero = np.float32(1), np.float32(0)
    >>> [float(v) for v in inverse_affine(one, zero, zero, np.float32(2), one, zero, zero, zero)]
    [0.5, 0.0, -0.5, 0.0, 0.5, 0.0]
    """
    a00 = s * cos
    a01 = s * (cos * tan + sin)
    a10 = s * (-sin)
    a11 = s * (-sin * tan + cos)
    det = a00 * a11 - a01 * a10
    i00, i01, i10, i11 = a11 / det, -a01 / det, -a10 / det, a00 / det
    ox, oy = cx + tx, cy + ty
    b0 = cx - (i00 * ox + i01 * oy)
    b1 = cy - (i10 * ox + i11 * oy)
    return i00, i01, b0, i10, i11, b1

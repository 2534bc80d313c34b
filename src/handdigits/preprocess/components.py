"""Connected components of an ink mask: labelling, and the digit's blob with its sizeable neighbours."""

from __future__ import annotations

import numpy as np

_LABEL_MAX = 128  # longer side of the mask used for connected components
_DETACHED_AREA = 0.1  # a part drawn apart from the digit has at least this share of its largest blob's pixels


def _block_any(mask: np.ndarray, g: int) -> np.ndarray:
    """A bool mask reduced by ``g`` (a block is True when any of its pixels is)."""
    if g <= 1:
        return mask
    h, w = mask.shape
    ph, pw = -h % g, -w % g
    return np.pad(mask, ((0, ph), (0, pw))).reshape((h + ph) // g, g, (w + pw) // g, g).any(axis=(1, 3))


def _block_expand(mask: np.ndarray, g: int, shape: tuple[int, ...]) -> np.ndarray:
    """A mask reduced by :func:`_block_any` back at full size ``shape`` (each block's value on all its pixels)."""
    if g <= 1:
        return mask
    return np.repeat(np.repeat(mask, g, 0), g, 1)[: shape[0], : shape[1]]


def _label(mask: np.ndarray) -> np.ndarray:
    """8-connected component labels (min pixel index per component; -1 = background)."""
    h, w = mask.shape
    big = h * w
    lab = np.where(mask, np.arange(big).reshape(h, w), big)
    while True:
        p = np.pad(lab, 1, constant_values=big)
        new = lab.copy()
        for dy in range(3):
            for dx in range(3):
                np.minimum(new, p[dy : dy + h, dx : dx + w], out=new)
        new[~mask] = big
        flat = new.ravel()
        fg = flat < big
        for _ in range(4):  # pointer jumping
            flat[fg] = flat[flat[fg]]
        if np.array_equal(new, lab):
            break
        lab = new
    lab[~mask] = -1
    return lab


def _keep_components(mask: np.ndarray, far: float = 0.0) -> tuple[np.ndarray, int]:
    """Mask of the digit's components (largest + sizeable neighbours) and the largest's extent.

    A neighbour joins when it has 5 % of the largest one's pixels and lies
    within a quarter of the digit's size (its box so far) of it.  With
    ``far`` > 0, a neighbour with ``_DETACHED_AREA`` of the pixels also joins
    within ``far`` × the size when it lies above or below the digit (or beside
    it) with half of its own width (height) within the digit's columns (rows)
    and is no larger than the digit: a 5's top bar drawn apart, a 2's base
    cut off by a shadow's edge.
    """
    lab = _label(mask)
    ids, areas = np.unique(lab[lab >= 0], return_counts=True)
    order = np.argsort(-areas)[:64]
    ids, areas = ids[order], areas[order]
    boxes = []
    for i in ids:
        ys, xs = np.nonzero(lab == i)
        boxes.append((ys.min(), xs.min(), ys.max(), xs.max()))
    y0, x0, y1, x1 = boxes[0]
    largest_extent = int(max(y1 - y0, x1 - x0) + 1)
    keep = [ids[0]]
    pending = list(range(1, len(ids)))
    changed = True
    while changed:
        changed = False
        size = max(y1 - y0, x1 - x0) + 1
        for j in list(pending):
            if areas[j] < 0.05 * areas[0]:
                continue
            by0, bx0, by1, bx1 = boxes[j]
            gap = max(by0 - y1, y0 - by1, bx0 - x1, x0 - bx1, 0)
            if gap <= 0.25 * size or (far > 0 and gap <= far * size and areas[j] >= _DETACHED_AREA * areas[0]
                                      and _in_line(boxes[j], (y0, x0, y1, x1), size)):
                keep.append(ids[j])
                pending.remove(j)
                y0, x0, y1, x1 = min(y0, by0), min(x0, bx0), max(y1, by1), max(x1, bx1)
                changed = True
    return np.isin(lab, keep), largest_extent


def _in_line(part: tuple, digit: tuple, size: int) -> bool:
    """Whether box ``part`` (y0, x0, y1, x1) lies above or below box ``digit`` with half its width in the
    digit's columns (beside it: half its height in its rows), and is no larger than ``size``."""
    (py0, px0, py1, px1), (y0, x0, y1, x1) = part, digit
    if max(py0 - y1, y0 - py1) > 0:  # above or below
        a0, a1, b0, b1 = px0, px1, x0, x1
    else:
        a0, a1, b0, b1 = py0, py1, y0, y1
    return min(a1, b1) - max(a0, b0) + 1 >= 0.5 * (a1 - a0 + 1) and a1 - a0 + 1 <= size


def _label_scale(shape) -> int:
    """The block size that brings an image of ``shape`` to at most ``_LABEL_MAX`` px a side for labelling."""
    return int(np.ceil(max(shape) / _LABEL_MAX))


def _digit_blob(mask: np.ndarray, far: float = 0.0) -> tuple[np.ndarray, int]:
    """The largest component of a mask with its sizeable neighbours, and the largest one's extent in pixels.

    Components are found on the mask reduced to at most ``_LABEL_MAX`` px (block "any").  ``far``: see
    :func:`_keep_components`.
    """
    g = _label_scale(mask.shape)
    kept, extent = _keep_components(_block_any(mask, g), far)
    return _block_expand(kept, g, mask.shape) & mask, extent * g


def _main_blob(mask: np.ndarray) -> np.ndarray:
    """The largest component of a mask with its sizeable neighbours (see :func:`_digit_blob`)."""
    return _digit_blob(mask)[0] if mask.any() else mask

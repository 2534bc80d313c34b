"""Make the sample images bundled in ``src/handdigits/samples/``.

Each sample is a real handwritten digit from the MNIST *test* set (never used
for training) -- for each digit the test image closest to that digit's mean
image, i.e. a typical one -- re-rendered as a photo, scan or screenshot: scaled
up, dark ink on light paper or light on dark, paper texture, uneven lighting,
noise, placed off-centre in a larger canvas, some saved as JPEG.  The file name
starts with the true digit (``7-paper-photo.jpg``).

MNIST (Y. LeCun, C. Cortes, C. J. C. Burges) is available under CC BY-SA 3.0.

Usage::

    python scripts/make_samples.py [--data-dir ../shared/data] [--output src/handdigits/samples]

Deterministic (fixed seed); total size stays well under 300 KB.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from handdigits.datasets import load_mnist

REPO = Path(__file__).resolve().parents[1]


def typical_digits(images: np.ndarray, labels: np.ndarray) -> dict[int, np.ndarray]:
    """For each digit, the test image nearest (L2) to the mean image of that digit; float [0, 1]."""
    x = images.astype(np.float64) / 255.0
    chosen = {}
    for d in range(10):
        xs = x[labels == d]
        chosen[d] = xs[np.argmin(((xs - xs.mean(0)) ** 2).sum((1, 2)))]
    return chosen


def render(digit: np.ndarray, height: int, sharpness: float = 0.5) -> np.ndarray:
    """Upscale a 28×28 [0, 1] digit so that the 28-px field becomes ``height`` px; ink map in [0, 1]."""
    img = Image.fromarray((digit * 255).astype(np.uint8)).resize((height, height), Image.Resampling.BICUBIC)
    v = np.asarray(img, dtype=np.float64) / 255.0
    return np.clip((v - 0.5 + sharpness / 2) / sharpness, 0.0, 1.0)


def place(ink: np.ndarray, size: tuple[int, int], top: int, left: int) -> np.ndarray:
    """Put an ink map into an empty (h, w) canvas at (top, left)."""
    canvas = np.zeros(size)
    h, w = ink.shape
    canvas[top : top + h, left : left + w] = ink
    return canvas


def smooth_noise(rng, size, scale: int) -> np.ndarray:
    """Low-frequency noise in about [-1, 1] (paper texture, blotches)."""
    h, w = size
    small = rng.normal(size=(max(2, h // scale), max(2, w // scale))).astype(np.float32)
    return np.asarray(Image.fromarray(small, mode="F").resize((w, h), Image.Resampling.BICUBIC), dtype=np.float64)


def gradient(size, start: float, end: float, angle: float) -> np.ndarray:
    """Linear lighting gradient from ``start`` to ``end`` along ``angle`` (radians)."""
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    t = (xx / max(w - 1, 1)) * np.cos(angle) + (yy / max(h - 1, 1)) * np.sin(angle)
    t = (t - t.min()) / (t.max() - t.min())
    return start + (end - start) * t


def to_u8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x * 255), 0, 255).astype(np.uint8)


def make(chosen: dict[int, np.ndarray], out: Path, seed: int = 2024) -> list[Path]:
    rng = np.random.default_rng(seed)
    written = []

    def save(name: str, array: np.ndarray, mode: str | None = None, **kw):
        path = out / name
        Image.fromarray(array, mode=mode).save(path, **kw)
        written.append(path)

    # 0: screenshot, light ink on a dark grey screen, clean
    ink = place(render(chosen[0], 120), (140, 140), 10, 10)
    save("0-screen-white-on-black.png", to_u8(0.12 + 0.83 * ink), optimize=True)

    # 1: phone photo of paper: texture, lighting gradient, noise, off-centre, JPEG
    size = (240, 320)
    ink = place(render(chosen[1], 150), size, 40, 30)
    paper = gradient(size, 0.62, 0.92, 0.4) + 0.03 * smooth_noise(rng, size, 16)
    img = paper * (1 - 0.85 * ink) + 0.02 * rng.normal(size=size)
    save("1-paper-photo.jpg", to_u8(img), quality=70)

    # 2: small scan, dark on white
    ink = place(render(chosen[2], 44, 0.7), (48, 52), 2, 6)
    save("2-scan-small.png", to_u8(1.0 - 0.9 * ink), optimize=True)

    # 3: uneven lighting: a shadow across the page
    size = (300, 300)
    ink = place(render(chosen[3], 220), size, 50, 30)
    yy, xx = np.mgrid[0:300, 0:300]
    shadow = 1.0 - 0.45 / (1 + np.exp(-(xx + 0.6 * yy - 260) / 25))
    paper = 0.9 * shadow + 0.02 * smooth_noise(rng, size, 10)
    img = paper * (1 - 0.75 * ink) + 0.015 * rng.normal(size=size)
    save("3-uneven-lighting.jpg", to_u8(img), quality=75)

    # 4: small digit off-centre on a big black canvas (light on dark)
    ink = place(render(chosen[4], 70), (192, 256), 20, 150)
    save("4-offcentre-canvas.png", to_u8(ink), optimize=True)

    # 5: blue ballpoint on cream paper, RGB JPEG
    size = (260, 200)
    ink = place(render(chosen[5], 170, 0.6), size, 50, 10)
    paper = np.stack([0.96, 0.93, 0.82]) * (1 + 0.03 * smooth_noise(rng, size, 20))[..., None]
    blue = np.array([0.10, 0.15, 0.55])
    img = paper * (1 - ink[..., None]) + blue * ink[..., None] + 0.015 * rng.normal(size=(*size, 3))
    save("5-blue-ink.jpg", to_u8(img), quality=80)

    # 6: transparent PNG, black ink with alpha (as exported by a drawing app)
    ink = render(chosen[6], 112)
    rgba = np.zeros((112, 112, 4))
    rgba[..., 3] = ink
    save("6-transparent.png", to_u8(rgba), mode="RGBA", optimize=True)

    # 7: photo of paper with a dark corner (vignette) and noise, larger, JPEG
    size = (300, 400)
    ink = place(render(chosen[7], 200), size, 60, 170)
    yy, xx = np.mgrid[0:300, 0:400]
    vignette = 0.95 - 0.4 * np.sqrt(((yy - 80) / 300) ** 2 + ((xx - 300) / 400) ** 2)
    paper = vignette + 0.03 * smooth_noise(rng, size, 12)
    img = paper * (1 - 0.8 * ink) + 0.025 * rng.normal(size=size)
    save("7-paper-photo.jpg", to_u8(img), quality=65)

    # 8: low contrast: grey pencil on grey paper
    size = (96, 96)
    ink = place(render(chosen[8], 84), size, 4, 8)
    img = 0.68 - 0.22 * ink + 0.01 * rng.normal(size=size)
    save("8-low-contrast.png", to_u8(img), optimize=True)

    # 9: noisy screenshot / camera of a screen: light on dark with noise, JPEG
    size = (200, 200)
    ink = place(render(chosen[9], 160), size, 30, 20)
    img = 0.15 + 0.7 * ink + 0.05 * rng.normal(size=size)
    save("9-noisy-screen.jpg", to_u8(img), quality=80)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--output", default=str(REPO / "src" / "handdigits" / "samples"))
    args = parser.parse_args(argv)
    images, labels = load_mnist("test", data_dir=args.data_dir, download=False)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    written = make(typical_digits(images, labels), out)
    total = sum(p.stat().st_size for p in written)
    for p in written:
        print(f"{p.name:32s} {p.stat().st_size / 1024:6.1f} KB")
    print(f"total {total / 1024:.1f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

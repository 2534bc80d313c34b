"""scripts/render_fidelity.py: the same digits drawn raw, brushed and with a pen, and the errors of each."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def script():
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        spec = importlib.util.spec_from_file_location("render_fidelity", REPO / "scripts" / "render_fidelity.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(REPO / "scripts"))


def ring(radius: float = 7.0, width: float = 2.0) -> np.ndarray:
    """A 28×28 white-on-black "0" as MNIST stores it."""
    yy, xx = np.mgrid[:28, :28]
    r = np.hypot(yy - 13.5, xx - 13.5)
    return np.where(np.abs(r - radius) <= width, 255, 0).astype(np.uint8)


def test_on_canvas_is_black_ink_on_white_with_the_margin(script):
    ink = np.array([[1.0, 0.5, 0.0], [2.0, -1.0, 1.0]])
    out = script.on_canvas(ink)
    m = script.MARGIN
    assert out.shape == (2 + 2 * m, 3 + 2 * m) and out.dtype == np.uint8
    assert out[m : m + 2, m : m + 3].tolist() == [[0, 128, 255], [0, 255, 0]]  # clipped to [0, 1], inverted
    inside = np.zeros(out.shape, bool)
    inside[m : m + 2, m : m + 3] = True
    assert (out[~inside] == 255).all()


def test_drawings_draw_every_digit_both_ways_at_the_height(script):
    digits = np.stack([ring(), ring(5.0, 1.5)])
    out = script.drawings(digits, height=40, pen=1.2)
    assert sorted(out) == ["brush", "pen"]
    m = script.MARGIN
    for name, images in out.items():
        assert len(images) == 2
        for img in images:
            assert img.dtype == np.uint8 and (img[:m] == 255).all() and (img[-m:] == 255).all()
            rows = np.flatnonzero((img < 128).any(axis=1))
            tall = rows[-1] - rows[0] + 1
            # the brush fills the 40 px; the pen follows the centre lines, a stroke's width inside the ink's box
            assert (37 <= tall <= 41) if name == "brush" else (26 <= tall <= 40), (name, tall)
    # the pen draws thin lines: far less ink than the ring's own strokes (4 px of 28 -> about 6 px of 40)
    brush_ink, pen_ink = ((255 - out[k][0].astype(int)).sum() for k in ("brush", "pen"))
    assert pen_ink < 0.6 * brush_ink


def test_main_counts_each_drawing_s_errors_against_the_labels(script, monkeypatch, capsys, tmp_path):
    import reading_eval

    import handdigits

    digits = np.stack([ring()] * 6)
    labels = np.array([0, 7, 7, 3, 0, 0])
    monkeypatch.setattr(reading_eval, "validation_digits", lambda data_dir: (digits, labels))

    class Sevens:  # answers 7 to every image: the errors are the labels that are not 7
        def predict(self, images, errors="raise"):
            assert errors == "mark"
            return np.full(len(images), 7)

    monkeypatch.setattr(handdigits, "Classifier", Sevens)
    sheet = tmp_path / "sheet.png"
    script.main(["-n", "6", "--sheet", str(sheet)])
    out = capsys.readouterr().out
    for name in ("raw", "brush", "pen"):
        assert f"{name}:    4 wrong (66.67%)" in out
    assert "wrong only when redrawn with the pen: 0;" in out and "pen / brush errors: 1.0" in out
    assert sheet.exists()


def test_save_sheet_lays_pairs_out_in_rows(script, tmp_path):
    from PIL import Image

    digits = np.stack([ring()] * 9)
    pens = [np.full((50, 40), 255, np.uint8)] * 9
    path = tmp_path / "s.png"
    script.save_sheet(str(path), digits, pens, [0] * 9, [6] * 9, columns=4)
    assert Image.open(path).size == (4 * 170, 3 * 95)

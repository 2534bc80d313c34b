"""scripts/make_model_card.py --update-reading: the reading model's section replaced, the rest of the card kept."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def card_script(monkeypatch):
    spec = importlib.util.spec_from_file_location("make_model_card", REPO / "scripts" / "make_model_card.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    seen = []

    def fake_scores(bundled, seeds, data_dir):  # what benchmark() would measure, without reading 900 numbers
        seen.append(list(seeds))
        return {s: {"reading model": {"n": 300, "error_pct": 10.0 + s}, "digit model": {"n": 300, "error_pct": 20.0}}
                for s in seeds}

    monkeypatch.setattr(module, "reading_scores", fake_scores)
    return module, seen


CARD = """# Model card

## Results

| a | b |

## The reading model

old text
| 0 | 300 | 84.0 % | 80.0 % |

## Measurement run

- Wall time: 10.3 min
"""


def test_update_reading_replaces_only_the_reading_section(card_script, tmp_path):
    module, seen = card_script
    card = tmp_path / "card.md"
    card.write_text(CARD)
    assert module.main(["--update-reading", "--output", str(card), "--reading-seeds", "0", "2"]) == 0
    text = card.read_text()
    assert seen == [[0, 2]]
    assert text.startswith("# Model card\n\n## Results\n\n| a | b |\n\n## The reading model\n")
    assert text.endswith("\n\n## Measurement run\n\n- Wall time: 10.3 min\n")
    assert "old text" not in text and "84.0 %" not in text
    assert "| 0 | 300 | 90.0 % | 80.0 % |" in text and "| 2 | 300 | 88.0 % | 80.0 % |" in text
    assert "measured again on " in text and "`python scripts/make_model_card.py --update-reading --output" in text
    assert text.count("## The reading model") == 1


def test_update_reading_needs_a_reading_section(card_script, tmp_path):
    module, seen = card_script
    card = tmp_path / "card.md"
    card.write_text("# Model card\n\n## Results\n")
    with pytest.raises(SystemExit, match="no reading model section"):
        module.main(["--update-reading", "--output", str(card)])
    assert card.read_text() == "# Model card\n\n## Results\n" and seen == []

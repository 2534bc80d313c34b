"""scripts/make_model_card.py --update-reading / --update-realworld: one part of the card measured again, the rest kept."""

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
        return {s: {"reading model": {"n": 300, "error_pct": 10.0 + s}, "without pairs": {"n": 300, "error_pct": 15.0},
                    "digit model": {"n": 300, "error_pct": 20.0}} for s in seeds}

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
    assert "| 0 | 300 | 90.0 % | 85.0 % | 80.0 % |" in text and "| 2 | 300 | 88.0 % | 85.0 % | 80.0 % |" in text
    assert "`weights/pairs/`" in text and "python -m handdigits.train.pair_model" in text  # the pair model's facts
    assert "measured again on " in text and "`python scripts/make_model_card.py --update-reading --output" in text
    assert text.count("## The reading model") == 1


def test_update_reading_needs_a_reading_section(card_script, tmp_path):
    module, seen = card_script
    card = tmp_path / "card.md"
    card.write_text("# Model card\n\n## Results\n")
    with pytest.raises(SystemExit, match="no reading model section"):
        module.main(["--update-reading", "--output", str(card)])
    assert card.read_text() == "# Model card\n\n## Results\n" and seen == []


RESULTS = """## Results on the test sets

| model | dataset | n |
|---|---|---:|
| bundled | mnist | 10000 |
| bundled | realworld/notebook | 300 |
| bundled | realworld/empty | 300 |
| previous | realworld/notebook | 300 |

| model | mean % |
"""


def test_update_realworld_replaces_the_bundled_models_realworld_rows(card_script, monkeypatch, tmp_path):
    module, _ = card_script
    seen = []

    def fake_rows(seed, data_dir):
        seen.append(seed)
        return {"realworld/notebook": "| bundled | realworld/notebook | 299 |", "realworld/empty": "| bundled | realworld/empty | 298 |"}

    monkeypatch.setattr(module, "realworld_rows", fake_rows)
    card = tmp_path / "card.md"
    card.write_text(RESULTS)
    for _ in range(2):  # a second update replaces the first one's note
        assert module.main(["--update-realworld", "--output", str(card), "--seed", "3"]) == 0
    lines = card.read_text().split("\n")
    assert seen == [3, 3]
    assert lines[4:8] == ["| bundled | mnist | 10000 |", "| bundled | realworld/notebook | 299 |",
                          "| bundled | realworld/empty | 298 |", "| previous | realworld/notebook | 300 |"]
    assert lines[8] == "" and lines[9].startswith("_The bundled model's `realworld/*` rows were measured again on ")
    assert "`python scripts/make_model_card.py --update-realworld --output" in lines[9]
    assert lines[10:] == ["", "| model | mean % |", ""]


def test_update_realworld_leaves_the_card_when_a_row_was_not_measured(card_script, monkeypatch, tmp_path):
    module, _ = card_script
    monkeypatch.setattr(module, "realworld_rows", lambda seed, data_dir: {"realworld/notebook": "| bundled | x |"})
    card = tmp_path / "card.md"
    card.write_text(RESULTS)
    with pytest.raises(SystemExit, match="realworld/empty was not measured again"):
        module.main(["--update-realworld", "--output", str(card)])
    assert card.read_text() == RESULTS
    card.write_text("# Model card\n")
    with pytest.raises(SystemExit, match="no realworld rows"):
        module.main(["--update-realworld", "--output", str(card)])

"""scripts/docs_block.py: generated text written between a docs page's markers, the rest kept."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- t:begin -->", "<!-- t:end -->"


@pytest.fixture
def write_between():
    spec = importlib.util.spec_from_file_location("docs_block", REPO / "scripts" / "docs_block.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_between


def test_replaces_only_what_lies_between_the_markers(write_between, tmp_path):
    page = tmp_path / "page.md"
    page.write_text(f"# Title\n\nbefore\n{BEGIN}\nold\ntable\n{END}\nafter ü\n", encoding="utf-8")
    write_between(page, BEGIN, END, "| a |\n| 1 |")
    assert page.read_text(encoding="utf-8") == f"# Title\n\nbefore\n{BEGIN}\n| a |\n| 1 |\n{END}\nafter ü\n"
    write_between(page, BEGIN, END, "x")  # again: the markers are found where it left them
    assert page.read_text(encoding="utf-8") == f"# Title\n\nbefore\n{BEGIN}\nx\n{END}\nafter ü\n"


@pytest.mark.parametrize("text", ["no markers\n", f"{BEGIN}\nonly the first\n", f"{END}\n{BEGIN}\n",
                                  f"{BEGIN}\n{BEGIN}\n{END}\n"])
def test_missing_doubled_or_swapped_markers_write_nothing(write_between, tmp_path, text):
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit, match="page.md"):
        write_between(page, BEGIN, END, "new")
    assert page.read_text(encoding="utf-8") == text

"""scripts/suite_calibration.py: an older version's answers from a second process, scored and set against issue #10's."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]

FAKE = '''
import numpy as np

class Classifier:
    def predict(self, image):
        a = np.asarray(image)
        if a.max() == 0:
            raise ValueError("no ink found")
        return np.array([int(a.max()) % 10])
'''


@pytest.fixture
def script():
    spec = importlib.util.spec_from_file_location("suite_calibration", REPO / "scripts" / "suite_calibration.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_version(root: Path, code: str = FAKE) -> Path:
    package = root / "src" / "handdigits"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(code)
    return root / "src"


def test_score_counts_refusals_as_errors_except_on_empty_pages(script):
    assert script.score([1, None, 3, 4], [1, 2, 9, 4], empty=False) == (2, 1)
    assert script.score([1, 2], [1, 2], empty=False) == (0, 0)
    # on empty pages every answer is wrong, whatever digit it names
    assert script.score([None, 5, None, 0], [-1, -1, -1, -1], empty=True) == (2, 2)


def test_table_sets_the_suite_against_the_unshared_errors(script):
    results = {
        "notebook": {"n": 100, "old": (30, 2), "new": (1, 0)},
        "small-faint": {"n": 100, "old": (10, 5), "new": (2, 1)},
        "plain-photo": {"n": 200, "old": (6, 2), "new": (2, 0)},
        "empty": {"n": 50, "old": (5, 45), "new": (4, 46)},
    }
    lines = script.table(results, "abc1234", 100, [3, 0])
    assert "`abc1234`" in lines[0] and "seeds 3, 0" in lines[0]
    rows = {line.split(" | ")[0]: line for line in lines if line.startswith("| ") and "---" not in line}
    # notebook and small-faint pooled: 40 of 200 = 20 %, against 7.7 % unshared -> 2.6 times as often
    photos = next(r for k, r in rows.items() if "(notebook, small-faint)" in k)
    # today's 3 of 200 (1.5 %) divided by that ratio: 1.5 / (20 / 7.7) = 0.58 %
    assert ("| 7.70 % (77 of 1000) | 20.00 % (40; 7 refused) | 2.6× | 1.50 % (3; 1 refused) | 0.58 % | ≤ 1.50 % |"
            in photos)
    plain = next(r for k, r in rows.items() if "(plain-photo)" in k)
    assert "| 0.30 % (3 of 1000) | 3.00 % (6; 2 refused) | 10.0× | 1.00 % (2; 0 refused) | 0.10 % | ≤ 0.30 % |" in plain
    empty = next(r for k, r in rows.items() if "(empty)" in k)
    assert "| – | 10.00 % (5; 45 refused) | – | 8.00 % (4; 46 refused) | – | – |" in empty
    # kinds whose datasets were not run get no row
    assert not any("grey8" in k or "canvas" in k for k in rows)


def test_table_has_no_estimate_where_the_first_version_made_no_error(script):
    results = {"plain-photo": {"n": 5, "old": (0, 0), "new": (1, 0)}}
    (row,) = [line for line in script.table(results, "abc1234", 5, [0]) if "(plain-photo)" in line]
    assert row.endswith("| 0.00 % (0; 0 refused) | 0.0× | 20.00 % (1; 0 refused) | – | ≤ 0.30 % |")


def test_baseline_answers_from_its_own_source_and_marks_what_raised(script, tmp_path):
    src = fake_version(tmp_path)
    images = [np.zeros((5, 5), np.uint8), np.full((3, 3), 17, np.uint8), np.full((2, 2), 4, np.uint8)]
    with script.Baseline(src) as old:
        assert old.predict(images) == [None, 7, 4]
        assert old.predict([]) == []  # the process keeps answering


def test_baseline_that_cannot_start_says_why(script, tmp_path):
    src = fake_version(tmp_path, "raise ImportError('this version needs something missing')\n")
    with pytest.raises(RuntimeError, match="needs something missing"):
        script.Baseline(src)


def test_baseline_refuses_a_folder_that_does_not_hold_handdigits(script, tmp_path):
    (tmp_path / "src").mkdir()  # nothing there: the installed handdigits would answer instead
    with pytest.raises(RuntimeError, match="not from"):
        script.Baseline(tmp_path / "src")


def test_extract_writes_the_commits_src(script, tmp_path):
    if subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True).returncode:
        pytest.skip("not a git checkout: suite_calibration.py takes the older version from git")
    src = script.extract("HEAD", tmp_path)
    committed = subprocess.run(["git", "-C", str(REPO), "show", "HEAD:src/handdigits/__init__.py"],
                               check=True, capture_output=True).stdout
    assert src == tmp_path / "src" and (src / "handdigits" / "__init__.py").read_bytes() == committed
    assert not (tmp_path / "tests").exists()  # only src/


def test_main_needs_the_markers_to_write_docs(script):
    text = script.DOCS.read_text()
    assert text.count(script.START) == 1 and text.count(script.END) == 1
    assert text.index(script.START) < text.index(script.END)

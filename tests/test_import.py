"""The package's import surface: cheap imports, lazy public names, version, API reference."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import handdigits

REPO = Path(__file__).resolve().parents[1]
LIGHT_MODULES = ("handdigits", "handdigits.datasets", "handdigits.transforms", "handdigits.models", "handdigits.cli")
HEAVY = ("tensorflow", "keras")


def _run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter and return its stdout (fails the test on a non-zero exit)."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"subprocess failed ({proc.returncode}):\n{proc.stderr}"
    return proc.stdout


@pytest.mark.parametrize("module", LIGHT_MODULES)
def test_import_does_not_load_tensorflow(module):
    out = _run_python(
        f"import json, sys, {module}\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))"
    )
    loaded = json.loads(out.strip().splitlines()[-1])
    assert loaded == [], f"import {module} loaded {loaded[:5]} ..."


def test_light_modules_together_and_dir_do_not_load_tensorflow():
    out = _run_python(
        "import json, sys\n"
        f"for m in {LIGHT_MODULES!r}: __import__(m)\n"
        "import handdigits\n"
        "names = dir(handdigits)\n"
        "print(json.dumps({'dir': names, 'heavy': sorted(m for m in sys.modules"
        f" if m.split('.')[0] in {HEAVY!r})}}))"
    )
    result = json.loads(out.strip().splitlines()[-1])
    assert result["heavy"] == []
    assert set(handdigits.__all__) <= set(result["dir"])


def test_all_is_sorted_unique_and_public():
    names = handdigits.__all__
    assert names == sorted(set(names)), "__all__ should be sorted and free of duplicates"
    assert "__version__" in names
    assert all(n == "__version__" or not n.startswith("_") for n in names)


def test_dir_lists_every_public_name():
    listed = dir(handdigits)
    for name in handdigits.__all__:
        assert name in listed


@pytest.mark.parametrize("name", handdigits.__all__)
def test_public_name_resolves(name):
    value = getattr(handdigits, name)
    assert value is not None
    # a second access returns the same object (cached, not rebuilt)
    assert getattr(handdigits, name) is value


def test_submodule_attributes_are_the_modules():
    for name in ("datasets", "transforms", "models"):
        assert getattr(handdigits, name) is importlib.import_module(f"handdigits.{name}")


def test_unknown_attribute_raises_attribute_error_naming_it():
    with pytest.raises(AttributeError, match="no_such_name"):
        handdigits.no_such_name  # noqa: B018


def test_version_matches_installed_metadata():
    try:
        installed = importlib.metadata.version("handdigits")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("handdigits is not installed (running from a source tree)")
    assert handdigits.__version__ == installed


def test_version_matches_pyproject():
    text = (REPO / "pyproject.toml").read_text()
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    assert match, "no version in pyproject.toml"
    assert handdigits.__version__ == match.group(1)


def _subpackage_all(module: str) -> list[str]:
    return list(importlib.import_module(module).__all__)


@pytest.mark.parametrize(
    "names",
    [
        pytest.param([n for n in handdigits.__all__ if not n.startswith("_")], id="handdigits"),
        pytest.param(_subpackage_all("handdigits.datasets"), id="datasets"),
        pytest.param(_subpackage_all("handdigits.transforms"), id="transforms"),
        pytest.param(["available", "build", "describe", "recipe_defaults"], id="models"),
    ],
)
def test_api_reference_mentions_every_public_name(names):
    """docs/api.md is hand-written: it must name everything the package exports."""
    api = (REPO / "docs" / "api.md").read_text()
    missing = [n for n in names if not re.search(rf"\b{re.escape(n)}\b", api)]
    assert missing == [], f"docs/api.md does not mention {missing}"

"""The package's import surface: cheap imports, lazy public names, version, API reference."""

from __future__ import annotations

import importlib
import importlib.metadata
import re
from pathlib import Path

import pytest

import handdigits

REPO = Path(__file__).resolve().parents[1]
LIGHT_MODULES = ("handdigits", "handdigits.datasets", "handdigits.transforms", "handdigits.models", "handdigits.cli")
HEAVY = ("tensorflow", "keras")


@pytest.mark.parametrize("module", LIGHT_MODULES)
def test_import_does_not_load_tensorflow(module, fresh_python):
    loaded = fresh_python(
        f"import json, sys, {module}\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))"
    )
    assert loaded == [], f"import {module} loaded {loaded[:5]} ..."


def test_light_modules_together_and_dir_do_not_load_tensorflow(fresh_python):
    result = fresh_python(
        "import json, sys\n"
        f"for m in {LIGHT_MODULES!r}: __import__(m)\n"
        "import handdigits\n"
        "names = dir(handdigits)\n"
        "print(json.dumps({'dir': names, 'heavy': sorted(m for m in sys.modules"
        f" if m.split('.')[0] in {HEAVY!r})}}))"
    )
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


# --------------------------------------------------------------------------- README (the package index page)


def _readme_quickstart() -> str:
    """The ```python blocks under README's "## Quickstart" (what .ci/dist-check runs in a fresh venv)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Quickstart\n(.*?)(?=^## )", text, re.S | re.M)
    assert section, "README.md has no '## Quickstart' section"
    blocks = re.findall(r"^```python\n(.*?)^```", section.group(1), re.S | re.M)
    assert blocks, "README's Quickstart has no ```python block"
    return "\n".join(blocks)


def test_readme_links_are_absolute():
    """Relative links break on the package index page, which shows README.md without the repository."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert links
    assert [link for link in links if not link.startswith("https://")] == []


def test_readme_quickstart_defines_every_name_it_uses():
    """A quickstart that runs as written: no undefined names (such as a missing 'images'), no missing files."""
    import ast
    import builtins

    tree = ast.parse(_readme_quickstart())
    defined = set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    assert sorted(used - defined) == []
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert [s for s in strings if re.search(r"\.(png|jpe?g)$", s)] == [], "use the bundled samples, not files"


def test_tests_look_for_mnist_in_the_default_data_directory_and_say_how_to_get_it():
    import conftest

    assert conftest.USER_DATA_DIR.name == "handdigits"  # datasets.paths.cache_home(), read before the tests
    assert conftest._data_dir_candidates()[-1] == conftest.USER_DATA_DIR
    reason = conftest.MISSING_MNIST.format(user=conftest.USER_DATA_DIR)
    assert "load_mnist('test', download=True)" in reason and "HANDDIGITS_DATA" in reason
    assert str(conftest.USER_DATA_DIR) in reason

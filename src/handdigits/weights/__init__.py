"""The bundled models: ``model.keras`` plus ``metadata.json`` (written by ``handdigits.train``).

Three models ship: the digit model in this directory (what ``Classifier()``
predicts with), the reading model in ``reading/`` (what
``Classifier().read`` classifies candidate digits with) and the pair model
in ``pairs/`` (what it reads two touching digits with as one crop; see
:data:`BUNDLES`).  Each directory holds its own ``metadata.json``.

Helpers here locate the files with :mod:`importlib.resources` (so they work
from an installed wheel), and check the model file's SHA-256 against the
``"sha256"`` recorded in the metadata before anything is deserialised.
"""

from __future__ import annotations

import hashlib
import json
from importlib.resources import files

METADATA = "metadata.json"
BUNDLES = {"digits": "", "reading": "reading", "pairs": "pairs"}  # bundled model -> its directory under this package


def bundled(name: str = "digits"):
    """The ``importlib.resources`` Traversable of a bundled model's directory (a key of :data:`BUNDLES`)."""
    from ..validation import check_choice

    check_choice(name, "bundled model", tuple(BUNDLES))
    root = files(__name__)
    return root / BUNDLES[name] if BUNDLES[name] else root


def read_metadata(directory=None) -> dict:
    """Parse ``metadata.json`` in ``directory`` (a Path or Traversable; default: the bundled one).

    Raises:
        FileNotFoundError: no ``metadata.json``.
        ValueError: not a JSON object with string ``"file"`` and ``"sha256"`` keys.
    """
    directory = bundled() if directory is None else directory
    source = directory / METADATA
    if not source.is_file():
        raise FileNotFoundError(f"model metadata not found: {source} (reinstall handdigits to restore the bundled model)")
    try:
        metadata = json.loads(source.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{source}: not valid JSON ({exc})") from exc
    if not isinstance(metadata, dict) or not all(isinstance(metadata.get(k), str) for k in ("file", "sha256")):
        raise ValueError(f"{source}: expected a JSON object with string 'file' and 'sha256' entries")
    return metadata


def verified_model_file(directory=None) -> tuple[object, dict]:
    """Return ``(model file, metadata)`` after checking the file's SHA-256.

    ``directory`` is a Path or Traversable holding ``metadata.json`` and the model
    file it names (default: the bundled weights).

    Raises:
        FileNotFoundError: a file is missing.
        ValueError: the model's SHA-256 differs from the metadata (corrupt or
            replaced file), or the metadata is malformed.
    """
    directory = bundled() if directory is None else directory
    metadata = read_metadata(directory)
    model_file = recorded_file(directory, metadata, "file", "model file")
    read_verified(model_file, metadata["sha256"], "model file",
                  " (reinstall handdigits, or load your own model with Classifier.load)")
    return model_file, metadata


def recorded_file(directory, entry: dict, key: str, what: str):
    """The file that ``metadata.json`` in ``directory`` names in ``entry["file"]``: a plain name of an existing file.

    ``key`` is where the entry sits in ``metadata.json`` (for messages), ``what``
    names the file (``"model file"``, ``"TFLite model"``).

    Raises:
        ValueError: the name is not a plain file name (a path, ``..``, empty).
        FileNotFoundError: no such file in ``directory``.
    """
    name = entry["file"]
    if "/" in name or "\\" in name or name in ("", ".", ".."):
        raise ValueError(f"{directory / METADATA}: '{key}' must name a plain file, got {name!r}")
    path = directory / name
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path} (recorded in {METADATA}; reinstall handdigits or re-bundle the model)")
    return path


def read_verified(path, sha256: str, what: str, advice: str = "") -> bytes:
    """The bytes of ``path``, checked against the SHA-256 recorded in ``metadata.json``.

    Raises ``ValueError`` ("<what> <path> has SHA-256 ... but metadata.json
    records ...: the file is corrupt or was replaced<advice>") on a mismatch.
    """
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256.lower():
        raise ValueError(
            f"{what} {path} has SHA-256 {digest} but {METADATA} records {sha256}: "
            f"the file is corrupt or was replaced{advice}"
        )
    return data

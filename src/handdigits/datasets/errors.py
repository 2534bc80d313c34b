"""Exceptions raised by the dataset loaders."""

from __future__ import annotations


class DatasetUnavailable(FileNotFoundError):
    """A dataset cannot be had: its files are absent and downloading is disabled or failed.

    The message names the directory searched, the files expected, the mirrors
    tried (if any) and how to supply the files by hand.
    """


class ChecksumError(ValueError):
    """A file's hash matches none of the known hashes (corrupt or different file)."""

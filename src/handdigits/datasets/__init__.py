"""Dataset loaders: MNIST, EMNIST, the two combined, and duplicate detection.

Files live in ``<data home>/mnist/`` and ``<data home>/emnist/`` (see :func:`data_home`);
missing ones are downloaded by :func:`download_file` (mirrors, hash check, atomic write).
Importing this package needs numpy only.
"""

from .combined import SOURCES, Combined, load_combined
from .download import download_file
from .duplicates import Duplicates, find_duplicates
from .emnist import load_emnist
from .errors import ChecksumError, DatasetUnavailable
from .idx import read_idx, write_idx
from .mnist import load_mnist
from .paths import data_home

__all__ = [
    "SOURCES",
    "ChecksumError",
    "Combined",
    "DatasetUnavailable",
    "Duplicates",
    "data_home",
    "download_file",
    "find_duplicates",
    "load_combined",
    "load_emnist",
    "load_mnist",
    "read_idx",
    "write_idx",
]

"""Dataset loaders: MNIST, EMNIST (full or partial), the two combined, the user's labelled images
(:func:`load_image_folder`, :func:`load_labelled`) and duplicate detection.

Files live in ``<data home>/mnist/`` and ``<data home>/emnist/`` (see :func:`data_home`);
missing ones are downloaded by :func:`download_file` (mirrors, hash check, atomic write).
Importing this package needs numpy only.
"""

from .combined import SOURCES, Combined, load_combined
from .download import download_file
from .duplicates import Duplicates, find_duplicates
from .emnist import load_emnist
from .errors import ChecksumError, DatasetUnavailable
from .folder import load_image_folder
from .idx import read_idx, write_idx
from .labelled import load_labelled
from .mnist import load_mnist
from .paths import data_home
from .synthetic import NOT_A_DIGIT, load_synthetic, synthetic_info

__all__ = [
    "SOURCES",
    "ChecksumError",
    "Combined",
    "DatasetUnavailable",
    "NOT_A_DIGIT",
    "Duplicates",
    "data_home",
    "download_file",
    "find_duplicates",
    "load_combined",
    "load_emnist",
    "load_image_folder",
    "load_labelled",
    "load_mnist",
    "load_synthetic",
    "read_idx",
    "synthetic_info",
    "write_idx",
]

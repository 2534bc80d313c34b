"""Dataset loaders: MNIST, EMNIST and the combined evaluation sets."""

from .idx import read_idx, write_idx
from .emnist import load_emnist
from .mnist import load_mnist
from .paths import data_home

__all__ = ["data_home", "load_emnist", "load_mnist", "read_idx", "write_idx"]

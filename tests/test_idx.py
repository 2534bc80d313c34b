"""Strict IDX reader/writer: malformed files are rejected with the file named; round trips are exact."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from handdigits.datasets import read_idx, write_idx
from handdigits.datasets.idx import parse_idx, to_idx_bytes


def _header(code: int, shape) -> bytes:
    return bytes([0, 0, code, len(shape)]) + np.asarray(shape, ">u4").tobytes()


def test_reads_a_hand_built_file(tmp_path):
    # header and payload written by hand, independently of write_idx
    payload = bytes(range(6))
    path = tmp_path / "x-idx2-ubyte"
    path.write_bytes(_header(0x08, (2, 3)) + payload)
    np.testing.assert_array_equal(read_idx(path), np.arange(6, dtype=np.uint8).reshape(2, 3))


def test_big_endian_int32(tmp_path):
    path = tmp_path / "ints"
    path.write_bytes(_header(0x0C, (2,)) + (1).to_bytes(4, "big") + (258).to_bytes(4, "big", signed=True))
    np.testing.assert_array_equal(read_idx(path), [1, 258])


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x01\x00\x08\x01" + (3).to_bytes(4, "big") + b"abc", "magic"),
        (b"\x00\x00\x07\x01" + (3).to_bytes(4, "big") + b"abc", "magic"),
        (b"\x00\x00", "not an IDX file"),
        (_header(0x08, (4,)) + b"abc", "truncated payload"),
        (_header(0x08, (2,)) + b"abc", "oversized payload"),
        (b"\x00\x00\x08\x03" + (2).to_bytes(4, "big"), "truncated header"),
    ],
)
def test_malformed_files_name_the_file(tmp_path, data, message):
    path = tmp_path / "bad-idx-ubyte"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_wrong_number_of_dimensions(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(_header(0x08, (3,)) + b"abc")
    with pytest.raises(ValueError, match=r"expected 3 dimensions, the header says 1") as info:
        read_idx(path, ndim=3)
    assert str(path) in str(info.value)


def test_truncated_gzip_names_the_file(tmp_path):
    full = gzip.compress(_header(0x08, (1000,)) + bytes(1000))
    path = tmp_path / "t-idx1-ubyte.gz"
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(ValueError, match="gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_not_gzip_at_all(tmp_path):
    path = tmp_path / "t-idx1-ubyte.gz"
    path.write_bytes(_header(0x08, (3,)) + b"abc")  # plain IDX under a .gz name
    with pytest.raises(ValueError, match=str(path)):
        read_idx(path)


def test_unsupported_dtype_is_refused():
    with pytest.raises(TypeError, match="cannot be stored in IDX"):
        to_idx_bytes(np.zeros(3, np.uint16))


DTYPES = st.sampled_from([np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
ARRAYS = DTYPES.flatmap(
    lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
                          elements={"allow_nan": False} if np.dtype(dt).kind == "f" else None)
)


@settings(max_examples=60, deadline=None)
@given(array=ARRAYS, compressed=st.booleans())
def test_round_trip_through_a_file(array, compressed):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / ("a.idx.gz" if compressed else "a.idx")
        write_idx(path, array)
        back = read_idx(path, ndim=array.ndim)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


@settings(max_examples=60, deadline=None)
@given(array=ARRAYS)
def test_encoded_size_matches_header(array):
    data = to_idx_bytes(array)
    assert len(data) == 4 + 4 * array.ndim + array.size * array.dtype.itemsize
    assert parse_idx(data).shape == array.shape

"""Strict IDX reader/writer: malformed files are rejected with the file named; round trips are exact."""

from __future__ import annotations

import gzip
import re
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


# --- every type code, byte order, paths and exact messages (issue 19) ----------------------


def _exact(message: str) -> str:
    return "^" + re.escape(message) + "$"


# (code, payload written by hand in big-endian, expected native array)
TYPE_CASES = [
    (0x08, bytes([0, 1, 255]), np.array([0, 1, 255], np.uint8)),
    (0x09, bytes([0x80, 0xFF, 0x7F]), np.array([-128, -1, 127], np.int8)),
    (0x0B, b"\x01\x02\xff\xfe\x00\x05", np.array([258, -2, 5], np.int16)),
    (0x0C, b"\x00\x00\x01\x00\xff\xff\xff\xff\x7f\xff\xff\xff", np.array([256, -1, 2**31 - 1], np.int32)),
    (0x0D, b"\x3f\x80\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x00", np.array([1.0, -2.0, 0.0], np.float32)),
    (0x0E, b"\x3f\xf0" + bytes(6) + b"\x40\x09\x21\xfb\x54\x44\x2d\x18" + b"\xbf\xe0" + bytes(6),
     np.array([1.0, 3.141592653589793, -0.5], np.float64)),
]


@pytest.mark.parametrize("code, payload, expected", TYPE_CASES, ids=[hex(c[0]) for c in TYPE_CASES])
def test_every_type_code_reads_big_endian_into_native_order(code, payload, expected):
    out = parse_idx(_header(code, (3,)) + payload)
    assert out.dtype == expected.dtype and out.dtype.isnative
    np.testing.assert_array_equal(out, expected)
    out[0] = 0  # a writable copy, not a view of the bytes


@pytest.mark.parametrize("code, payload, expected", TYPE_CASES, ids=[hex(c[0]) for c in TYPE_CASES])
def test_writer_emits_the_right_code_and_big_endian_payload(code, payload, expected):
    # checked against the hand-written bytes, not against the reader (which shares the type table)
    assert to_idx_bytes(expected) == _header(code, (3,)) + payload
    assert to_idx_bytes(expected.astype(expected.dtype.newbyteorder(">"))) == _header(code, (3,)) + payload
    assert to_idx_bytes(expected.astype(expected.dtype.newbyteorder("<"))) == _header(code, (3,)) + payload


def test_writer_header_for_several_dimensions():
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    assert to_idx_bytes(a) == b"\x00\x00\x08\x03" + b"\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x04" + bytes(range(24))
    # non-contiguous input is written in C order
    assert to_idx_bytes(a.T)[16:] == np.ascontiguousarray(a.T).tobytes()
    assert to_idx_bytes(np.uint8(7)) == b"\x00\x00\x08\x00\x07"  # 0-d


@pytest.mark.parametrize("dtype", [np.uint16, np.uint32, np.int64, np.float16, np.bool_, np.complex64])
def test_writer_refuses_types_idx_cannot_hold(dtype):
    supported = "['float32', 'float64', 'int16', 'int32', 'int8', 'uint8']"
    message = f"dtype {np.dtype(dtype)} cannot be stored in IDX (supported: {supported})"
    with pytest.raises(TypeError, match=_exact(message)):
        to_idx_bytes(np.zeros(2, dtype))


def test_writer_refuses_big_endian_unsupported_type():
    with pytest.raises(TypeError, match=_exact(
            "dtype >u2 cannot be stored in IDX (supported: ['float32', 'float64', 'int16', 'int32', 'int8', 'uint8'])")):
        to_idx_bytes(np.zeros(2, ">u2"))


@pytest.mark.parametrize("code", [0x00, 0x07, 0x0A, 0x0F, 0xFF])
def test_unknown_type_codes(code):
    data = _header(code, (1,)) + b"\x00" * 8
    message = (
        f"x: bad IDX magic number 0000{code:02x}01 (expected 0000 followed by a type code in "
        "['0x8', '0x9', '0xb', '0xc', '0xd', '0xe'])"
    )
    with pytest.raises(ValueError, match=_exact(message)):
        parse_idx(data, name="x")


def test_nonzero_second_magic_byte():
    with pytest.raises(ValueError, match=r"^<bytes>: bad IDX magic number 00010801 "):
        parse_idx(b"\x00\x01\x08\x01" + (1).to_bytes(4, "big") + b"a")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "x: not an IDX file (0 bytes, header needs at least 4)"),
        (b"\x00\x00\x08", "x: not an IDX file (3 bytes, header needs at least 4)"),
        (b"\x00\x00\x08\x02" + bytes(7), "x: truncated header (11 bytes, expected 12)"),
        (_header(0x0B, (2, 2)) + bytes(7), "x: truncated payload (7 bytes, shape (2, 2) needs 8)"),
        (_header(0x0B, (2, 2)) + bytes(9), "x: oversized payload (9 bytes, shape (2, 2) needs 8)"),
        (_header(0x08, (2, 3)), "x: truncated payload (0 bytes, shape (2, 3) needs 6)"),
    ],
)
def test_exact_messages(data, message):
    with pytest.raises(ValueError, match=_exact(message)):
        parse_idx(data, name="x")


def test_boundaries_that_are_valid():
    assert parse_idx(b"\x00\x00\x08\x00" + b"\x05").tolist() == 5  # 0-d: header of exactly 4 bytes
    assert parse_idx(_header(0x08, (0,))).shape == (0,)  # empty payload is exactly right
    assert parse_idx(_header(0x0C, (2, 0, 3))).shape == (2, 0, 3)
    assert parse_idx(_header(0x08, (2, 2)) + bytes(4), ndim=2).shape == (2, 2)
    assert parse_idx(b"\x00\x00\x08\x00" + b"\x05", ndim=0).shape == ()
    np.testing.assert_array_equal(parse_idx(_header(0x08, (1, 2)) + b"\x01\x02", ndim=2), [[1, 2]])


def test_missing_and_directory_paths(tmp_path):
    missing = tmp_path / "missing-idx1-ubyte"
    with pytest.raises(FileNotFoundError) as info:
        read_idx(missing)
    assert not isinstance(info.value, ValueError) and info.value.filename == str(missing)
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "missing-idx1-ubyte.gz")
    with pytest.raises(ValueError, match="^" + re.escape(f"{tmp_path}: cannot be read ([Errno 21] Is a directory")):
        read_idx(tmp_path)


def test_read_file_returns_disk_bytes_and_content(tmp_path):
    from handdigits.datasets.idx import read_bytes, read_file

    data = _header(0x08, (3,)) + b"abc"
    plain = tmp_path / "a"
    plain.write_bytes(data)
    raw, content = read_file(plain)
    assert raw == data and content is raw
    packed = tmp_path / "a.gz"
    packed.write_bytes(gzip.compress(data))
    raw, content = read_file(str(packed))
    assert raw == packed.read_bytes() and content == data
    assert read_bytes(packed) == data and read_bytes(plain) == data
    # only a ".gz" suffix means gzip: "gz" inside the name does not
    odd = tmp_path / "a.gzip"
    odd.write_bytes(data)
    assert read_bytes(odd) == data


def test_gunzip_message():
    from handdigits.datasets.idx import gunzip

    assert gunzip(gzip.compress(b"xyz")) == b"xyz"
    with pytest.raises(ValueError, match=r"^f\.gz: not a valid gzip file, truncated or corrupt \(.+\)$"):
        gunzip(b"not gzip", name="f.gz")
    with pytest.raises(ValueError, match=r"^<bytes>: not a valid gzip file, truncated or corrupt \(.+\)$"):
        gunzip(gzip.compress(b"x" * 100)[:-10])
    with pytest.raises(ValueError, match=r"^<bytes>: not a valid gzip file"):
        gunzip(gzip.compress(b"xyz")[:-4] + b"\x00\x00\x00\x00")  # wrong length in the trailer


def test_write_idx_compresses_only_gz(tmp_path):
    a = np.arange(4, dtype=np.int16)
    p = write_idx(tmp_path / "a.gz", a)
    assert p == tmp_path / "a.gz" and p.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(p.read_bytes()) == to_idx_bytes(a)
    q = write_idx(str(tmp_path / "b"), a)
    assert q == tmp_path / "b" and q.read_bytes() == to_idx_bytes(a)


def test_four_bytes_is_a_header_not_a_file_too_short():
    # exactly 4 bytes is a complete 0-d header; what is missing is the payload
    with pytest.raises(ValueError, match=_exact("x: truncated payload (0 bytes, shape () needs 1)")):
        parse_idx(b"\x00\x00\x08\x00", name="x")
    with pytest.raises(ValueError, match=_exact("x: truncated header (4 bytes, expected 8)")):
        parse_idx(b"\x00\x00\x08\x01", name="x")

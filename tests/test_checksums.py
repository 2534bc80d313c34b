"""handdigits.datasets.checksums: hash checks of dataset files, with the exact messages."""

from __future__ import annotations

import gzip
import hashlib
import io
import re

import numpy as np
import pytest

from handdigits.datasets import ChecksumError
from handdigits.datasets.checksums import check_content, check_pair, hexdigest, parse_checked, read_checked
from handdigits.datasets.idx import to_idx_bytes

LABELS = np.array([3, 1, 4, 1, 5], np.uint8)
RAW = to_idx_bytes(LABELS)
GZ = gzip.compress(RAW, mtime=0)
OTHER = to_idx_bytes(np.array([2, 7, 1, 8, 2], np.uint8))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def exact(message: str) -> str:
    return "^" + re.escape(message) + "$"


ADVICE = (
    "The file is corrupt or not the expected one: delete it to download it again, "
    "or pass verify=False to skip the check."
)


def test_hexdigest():
    assert hexdigest(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert hexdigest(b"abc", "md5") == "900150983cd24fb0d6963f7d28e17f72"


def test_check_content_accepts_the_file_hash_or_the_content_hash():
    check_content("f", RAW, RAW, [sha(RAW)])  # uncompressed
    check_content("f.gz", GZ, RAW, [sha(GZ)])  # the .gz as published
    check_content("f.gz", GZ, RAW, {sha(RAW)})  # a recompressed .gz with the same content
    check_content("f", RAW, RAW, [sha(OTHER), sha(RAW).upper()])  # any of several, any case


def test_uncompressed_mismatch_names_the_file_hash_only():
    accepted = [sha(OTHER).upper(), sha(GZ)]
    message = f"data/f: sha256 mismatch (file {sha(RAW)}; expected one of {sorted([sha(OTHER), sha(GZ)])}). {ADVICE}"
    with pytest.raises(ChecksumError, match=exact(message)) as info:
        check_content("data/f", RAW, RAW, accepted)
    assert isinstance(info.value, ValueError)


def test_uncompressed_mismatch_with_an_equal_copy_of_the_bytes():
    # content equal to but not the same object as file_bytes: both hashes are reported
    copy = bytes(bytearray(RAW))
    message = f"f: sha256 mismatch (file {sha(RAW)}, decompressed content {sha(RAW)}; expected one of {[sha(OTHER)]}). {ADVICE}"
    with pytest.raises(ChecksumError, match=exact(message)):
        check_content("f", RAW, copy, [sha(OTHER)])


def test_compressed_mismatch_names_both_hashes():
    message = (
        f"f.gz: sha256 mismatch (file {sha(GZ)}, decompressed content {sha(RAW)}; "
        f"expected one of {[sha(OTHER)]}). {ADVICE}"
    )
    with pytest.raises(ChecksumError, match=exact(message)):
        check_content("f.gz", GZ, RAW, [sha(OTHER)])


def test_parse_checked():
    np.testing.assert_array_equal(parse_checked("f", RAW, gz=False, accepted=[sha(RAW)], ndim=1), LABELS)
    np.testing.assert_array_equal(parse_checked("f.gz", GZ, gz=True, accepted=[sha(GZ)], ndim=1), LABELS)
    np.testing.assert_array_equal(parse_checked("f.gz", GZ, gz=True, accepted=[sha(RAW)], ndim=1), LABELS)
    # accepted=None skips the check
    np.testing.assert_array_equal(parse_checked("f", OTHER, gz=False, accepted=None, ndim=1), [2, 7, 1, 8, 2])
    with pytest.raises(ChecksumError, match=r"^f: sha256 mismatch \(file "):
        parse_checked("f", OTHER, gz=False, accepted=[sha(RAW)], ndim=1)
    with pytest.raises(ValueError, match=exact("f: expected 3 dimensions, the header says 1")):
        parse_checked("f", RAW, gz=False, accepted=[sha(RAW)], ndim=3)
    with pytest.raises(ValueError, match=r"^f\.gz: not a valid gzip file"):
        parse_checked("f.gz", RAW, gz=True, accepted=[sha(RAW)], ndim=1)


def test_read_checked(tmp_path):
    plain, packed = tmp_path / "l-idx1-ubyte", tmp_path / "l-idx1-ubyte.gz"
    plain.write_bytes(RAW)
    packed.write_bytes(GZ)
    np.testing.assert_array_equal(read_checked(plain, accepted=[sha(RAW)], ndim=1), LABELS)
    np.testing.assert_array_equal(read_checked(packed, accepted=[sha(GZ)], ndim=1), LABELS)
    np.testing.assert_array_equal(read_checked(packed, accepted=None, ndim=1), LABELS)
    with pytest.raises(ChecksumError, match="^" + re.escape(f"{plain}: sha256 mismatch (file {sha(RAW)}; ")):
        read_checked(plain, accepted=[sha(OTHER)], ndim=1)
    with pytest.raises(ValueError, match=exact(f"{plain}: expected 2 dimensions, the header says 1")):
        read_checked(plain, accepted=None, ndim=2)
    missing = tmp_path / "missing"
    with pytest.raises(ValueError, match="^" + re.escape(f"{missing}: cannot be read ([Errno 2] No such file")):
        read_checked(missing, accepted=None, ndim=1)
    with pytest.raises(ValueError, match="^" + re.escape(f"{tmp_path}: cannot be read ([Errno 21] Is a directory")):
        read_checked(tmp_path, accepted=None, ndim=1)


def test_check_pair():
    images, labels = np.zeros((3, 28, 28), np.uint8), np.zeros(3, np.uint8)
    check_pair(images, labels, "d", "test")  # no error
    with pytest.raises(ValueError, match=exact("d: 3 images but 2 labels for train")):
        check_pair(images, labels[:2], "d", "train")
    with pytest.raises(ValueError, match=exact("d: expected uint8 IDX files, got int32 images and uint8 labels")):
        check_pair(images.astype(np.int32), labels, "d", "test")
    with pytest.raises(ValueError, match=exact("d: expected uint8 IDX files, got uint8 images and float64 labels")):
        check_pair(images, labels.astype(np.float64), "d", "test")


def test_sha256_arrays_hashes_c_order_bytes_in_turn():
    from handdigits.datasets.checksums import sha256_arrays

    a = np.arange(6, dtype=np.uint8).reshape(2, 3)
    b = np.array([7, 8], np.int16)
    assert sha256_arrays(a, b) == sha(bytes(range(6)) + np.array([7, 8], np.int16).tobytes())
    assert sha256_arrays(a.T) == sha(bytes([0, 3, 1, 4, 2, 5]))  # the view's C order, not memory order
    assert sha256_arrays(np.asfortranarray(a)) == sha256_arrays(a)
    assert sha256_arrays(b, a) != sha256_arrays(a, b)
    assert sha256_arrays() == sha(b"")


def test_gunzip_digest_streams_the_content_hash():
    from handdigits.datasets.checksums import gunzip_digest

    assert gunzip_digest(GZ) == sha(RAW)
    assert gunzip_digest(GZ + gzip.compress(b"more")) == sha(RAW + b"more")  # multi-member gzip
    with pytest.raises(ValueError, match=r"^f\.gz: not a valid gzip file, truncated or corrupt \(.+\)$"):
        gunzip_digest(GZ[:-6], name="f.gz")
    with pytest.raises(ValueError, match=r"^<bytes>: not a valid gzip file"):
        gunzip_digest(RAW)


def test_corrupt_gzip_with_a_wrong_hash_is_a_gzip_error():
    with pytest.raises(ValueError, match=r"^f\.gz: not a valid gzip file"):
        parse_checked("f.gz", GZ[:-6], gz=True, accepted=[sha(OTHER)], ndim=1)


def test_a_gzip_bomb_is_refused_without_decompressing_it_into_memory():
    import tracemalloc

    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=1, mtime=0) as fh:
        zeros = bytes(1 << 20)
        for _ in range(64):  # 64 MB of content in a file of about 64 KB
            fh.write(zeros)
    bomb = buf.getvalue()
    assert len(bomb) < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(ChecksumError, match=r"^bomb\.gz: sha256 mismatch \(file [0-9a-f]{64}, decompressed content "):
            parse_checked("bomb.gz", bomb, gz=True, accepted=[sha(GZ)], ndim=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"{peak / 1e6:.0f} MB allocated while checking a 64 MB gzip bomb"

"""handdigits.datasets.checksums.file_digest: known digests (so a wrong algorithm, a lost chunk or a
wrong read loop gives a different answer), including a file of several read pieces."""

from __future__ import annotations

import hashlib

import pytest

from handdigits.datasets.checksums import file_digest

ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # FIPS 180-2 example
ABC_MD5 = "900150983cd24fb0d6963f7d28e17f72"  # RFC 1321 example
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_known_digests(tmp_path):
    p = tmp_path / "abc"
    p.write_bytes(b"abc")
    assert file_digest(p) == ABC_SHA256
    assert file_digest(str(p), "md5") == ABC_MD5
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert file_digest(empty) == EMPTY_SHA256


def test_file_of_several_pieces(tmp_path):
    data = bytes(range(256)) * (3 * 4096 + 7)  # about 3 MB: several 1 MB reads, the last one short
    p = tmp_path / "big"
    p.write_bytes(data)
    assert file_digest(p) == hashlib.sha256(data).hexdigest()
    assert file_digest(p, "sha1") == hashlib.sha1(data).hexdigest()


def test_missing_file_and_unknown_algorithm(tmp_path):
    with pytest.raises(FileNotFoundError):
        file_digest(tmp_path / "absent")
    (tmp_path / "x").write_bytes(b"x")
    with pytest.raises(ValueError):
        file_digest(tmp_path / "x", "no-such-hash")

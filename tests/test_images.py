"""handdigits.images: decoding one encoded image; only regular files are opened."""

from __future__ import annotations

import io
import os
import socket
import threading

import numpy as np
import pytest
from PIL import Image

from handdigits.images import decode, is_image_source, open_regular_file
from handdigits.validation import check_images


def _png(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    return buf.getvalue()


def _in_thread(fn, timeout: float = 10.0):
    """Run ``fn`` in a daemon thread: ``(finished, result or exception)`` after at most ``timeout`` s."""
    out = {}

    def target():
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            out["value"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    return not thread.is_alive(), out.get("value")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="os.mkfifo is POSIX only")
def test_a_fifo_is_refused_at_once_not_read(tmp_path):
    fifo = tmp_path / "digit.png"
    os.mkfifo(fifo)
    finished, result = _in_thread(lambda: check_images(str(fifo)))
    if not finished:  # unblock the reader so the test process can end, then fail
        with open(fifo, "wb"):
            pass
        pytest.fail("decoding a FIFO blocked (it waits for a writer)")
    assert isinstance(result, ValueError)
    assert str(result) == f"image: {str(fifo)!r} is a FIFO (named pipe), not a regular file; expected an image file"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="os.mkfifo is POSIX only")
def test_a_fifo_inside_a_list_is_named_by_its_index(tmp_path):
    good = tmp_path / "ok.png"
    good.write_bytes(_png(np.zeros((8, 8), np.uint8)))
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    finished, result = _in_thread(lambda: check_images([good, fifo]))
    assert finished, "decoding a FIFO in a list blocked"
    assert isinstance(result, ValueError) and str(result).startswith(f"image[1]: {str(fifo)!r} is a FIFO")


def test_a_unix_socket_and_a_device_are_refused(tmp_path):
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix sockets here")
    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as server:
        try:
            server.bind(str(path))
        except OSError as exc:  # e.g. a path too long for sun_path
            pytest.skip(f"cannot bind a Unix socket here: {exc}")
        with pytest.raises(ValueError, match=r"is a socket, not a regular file"):
            decode(str(path))
    if os.path.exists("/dev/null"):
        with pytest.raises(ValueError, match=r"'/dev/null' is a character device, not a regular file"):
            decode("/dev/null")


def test_directories_and_missing_files(tmp_path):
    with pytest.raises(ValueError, match=r"is a directory; expected an image file$"):
        decode(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"^image: image file not found: "):
        open_regular_file(str(tmp_path / "none.png"))


def test_a_regular_file_opens_blocking_and_decodes(tmp_path):
    a = np.arange(64, dtype=np.uint8).reshape(8, 8)
    path = tmp_path / "a.png"
    path.write_bytes(_png(a))
    with open_regular_file(str(path)) as f:
        assert os.get_blocking(f.fileno()) is True  # O_NONBLOCK only while checking the file type
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    np.testing.assert_array_equal(decode(path), a)
    np.testing.assert_array_equal(decode(os.fsencode(str(path)).decode()), a)


def test_bytes_pil_images_and_sources():
    a = np.full((5, 7), 200, np.uint8)
    np.testing.assert_array_equal(decode(_png(a)), a)
    np.testing.assert_array_equal(decode(Image.fromarray(a)), a)
    with pytest.raises(ValueError, match="got empty bytes"):
        decode(b"")
    with pytest.raises(ValueError, match=r"^image: cannot decode 4 bytes as an image"):
        decode(b"nope")
    assert is_image_source("x.png") and is_image_source(b"..") and is_image_source(Image.fromarray(a))
    assert not is_image_source(a) and not is_image_source([a])

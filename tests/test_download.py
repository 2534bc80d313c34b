"""The download helper and the loaders' download paths, against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import os
import socket
import struct
import threading
import time
import zipfile

import numpy as np
import pytest

from handdigits.datasets import DatasetUnavailable, download_file, load_emnist, load_mnist, write_idx
from handdigits.datasets import download as download_module
from handdigits.datasets.idx import to_idx_bytes


class Server:
    """Serves ``files`` (path -> bytes) over HTTP in a thread; 404 for anything else; logs requests."""

    def __init__(self, files: dict[str, bytes]):
        self.files, self.requests = files, []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server API
                owner.requests.append(self.path)
                body = owner.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve():
    servers = []

    def start(files):
        servers.append(Server(files))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


@pytest.fixture
def dead_mirror():
    """A URL on a port nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


GOOD = gzip.compress(b"the real file" * 1000)
BAD = gzip.compress(b"a tampered file" * 1000)


def test_mirrors_tried_in_order_until_one_verifies(tmp_path, serve, dead_mirror):
    missing = serve({})                       # 404 for everything
    corrupt = serve({"/m/f.gz": BAD})         # serves, wrong checksum
    good = serve({"/m/f.gz": GOOD})
    mirrors = [dead_mirror, missing.url + "/m/", corrupt.url + "/m", good.url + "/m/"]
    path = download_file("f.gz", tmp_path / "d", mirrors, sha(GOOD), progress=False)
    assert path == tmp_path / "d" / "f.gz"
    assert path.read_bytes() == GOOD
    assert missing.requests == ["/m/f.gz"] and corrupt.requests == ["/m/f.gz"] and good.requests == ["/m/f.gz"]
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["f.gz"]  # no temp files left
    # cached: a second call needs no network at all
    again = download_file("f.gz", tmp_path / "d", [dead_mirror], sha(GOOD), progress=False)
    assert again == path and good.requests == ["/m/f.gz"]


def test_all_mirrors_bad_leaves_nothing_and_explains(tmp_path, serve, dead_mirror):
    missing = serve({})
    corrupt = serve({"/f.gz": BAD})
    mirrors = [dead_mirror, missing.url, corrupt.url]
    with pytest.raises(DatasetUnavailable) as info:
        download_file("f.gz", tmp_path, mirrors, sha(GOOD), progress=False)
    message = str(info.value)
    assert str(tmp_path) in message and "f.gz" in message
    assert dead_mirror + "f.gz" in message and missing.url + "/f.gz" in message and corrupt.url + "/f.gz" in message
    assert "404" in message and "sha256 mismatch" in message and sha(BAD) in message
    assert list(tmp_path.iterdir()) == []
    assert isinstance(info.value, FileNotFoundError)


def test_corrupt_existing_file_is_replaced_by_a_verified_download(tmp_path, serve):
    (tmp_path / "f.gz").write_bytes(b"half a fi")
    good = serve({"/f.gz": GOOD})
    download_file("f.gz", tmp_path, [good.url], sha(GOOD), progress=False)
    assert (tmp_path / "f.gz").read_bytes() == GOOD and good.requests == ["/f.gz"]


def test_md5_and_progress_bar(tmp_path, serve):
    good = serve({"/a.zip": GOOD})
    bar = io.StringIO()
    download_file("a.zip", tmp_path, [good.url], hashlib.md5(GOOD).hexdigest(), algorithm="md5", progress=bar)
    assert (tmp_path / "a.zip").read_bytes() == GOOD
    assert "a.zip" in bar.getvalue() and "100%" in bar.getvalue()


def test_downloads_are_always_verified(tmp_path, serve):
    good = serve({"/f.gz": GOOD})
    with pytest.raises(ValueError, match="no checksum"):
        download_file("f.gz", tmp_path, [good.url], [], progress=False)
    assert good.requests == []


# --- loaders -------------------------------------------------------------------------------

def mnist_files(n=5, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    return images, labels, {
        "t10k-images-idx3-ubyte": gzip.compress(to_idx_bytes(images)),
        "t10k-labels-idx1-ubyte": gzip.compress(to_idx_bytes(labels)),
    }


def test_load_mnist_downloads_verifies_and_caches(tmp_path, serve, dead_mirror):
    images, labels, files = mnist_files()
    server = serve({f"/mnist/{k}.gz": v for k, v in files.items()})
    checksums = {k: [sha(v)] for k, v in files.items()}
    x, y = load_mnist("test", tmp_path, mirrors=[dead_mirror, server.url + "/mnist/"], checksums=checksums, progress=False)
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(f"{k}.gz" for k in files)
    n = len(server.requests)
    load_mnist("test", tmp_path, mirrors=[server.url + "/mnist/"], checksums=checksums)
    assert len(server.requests) == n == 2  # second load read the cache


def test_load_mnist_offline_error_says_how_to_supply(tmp_path, serve, dead_mirror):
    _, _, files = mnist_files()
    corrupt = serve({f"/{k}.gz": b"junk" for k in files})
    checksums = {k: [sha(v)] for k, v in files.items()}
    with pytest.raises(DatasetUnavailable) as info:
        load_mnist("test", tmp_path, mirrors=[dead_mirror, corrupt.url], checksums=checksums, progress=False)
    message = str(info.value)
    assert message.startswith("MNIST unavailable:")
    for needle in (str(tmp_path / "mnist"), "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
                   dead_mirror, corrupt.url, "HANDDIGITS_DATA"):
        assert needle in message
    assert list((tmp_path / "mnist").iterdir()) == []


def test_load_mnist_download_false_does_not_touch_the_network(tmp_path, serve):
    server = serve({})
    with pytest.raises(DatasetUnavailable, match="download=False") as info:
        load_mnist("train", tmp_path, download=False, mirrors=[server.url])
    assert "train-images-idx3-ubyte" in str(info.value) and "HANDDIGITS_DATA" in str(info.value)
    assert server.requests == [] and not (tmp_path / "mnist").exists()


def emnist_zip(images_mnist_layout, labels):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("gzip/emnist-digits-test-images-idx3-ubyte.gz",
                    gzip.compress(to_idx_bytes(images_mnist_layout.transpose(0, 2, 1))))
        zf.writestr("gzip/emnist-digits-test-labels-idx1-ubyte.gz", gzip.compress(to_idx_bytes(labels)))
    return buf.getvalue()


def test_load_emnist_downloads_the_nist_archive(tmp_path, serve, dead_mirror):
    images, labels, _ = mnist_files(seed=1)
    archive = emnist_zip(images, labels)
    server = serve({"/EMNIST/gzip.zip": archive})
    x, y = load_emnist("test", data_dir=tmp_path, mirrors=[dead_mirror, server.url + "/EMNIST/"],
                       archive_md5=hashlib.md5(archive).hexdigest(), verify=False, progress=False)
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    assert (tmp_path / "emnist" / "gzip.zip").read_bytes() == archive


def test_load_emnist_failed_download(tmp_path, serve):
    server = serve({"/gzip.zip": b"not the archive"})
    with pytest.raises(DatasetUnavailable) as info:
        load_emnist("train", data_dir=tmp_path, mirrors=[server.url], progress=False)
    message = str(info.value)
    assert message.startswith("EMNIST unavailable:") and "download failed" in message
    # the default md5 comes with NIST's size: a 15-byte answer is refused on its header, before hashing
    assert "announces 15 bytes, but gzip.zip has 561753746 bytes" in message
    assert list((tmp_path / "emnist").iterdir()) == []


def test_unwritable_directory_is_reported(tmp_path, serve):
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod does not prevent writing")
    good = serve({"/f.gz": GOOD})
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(DatasetUnavailable, match="Permission denied"):
            download_file("f.gz", tmp_path, [good.url], sha(GOOD), progress=False)
    finally:
        tmp_path.chmod(0o700)
    assert list(tmp_path.iterdir()) == []


def test_files_written_by_write_idx_load_plain_or_gz(tmp_path):
    images, labels, _ = mnist_files()
    (tmp_path / "mnist").mkdir()
    write_idx(tmp_path / "mnist" / "t10k-images-idx3-ubyte", images)
    write_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz", labels)
    x, y = load_mnist("test", tmp_path, download=False, verify=False)
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)


# --- mirrors that misbehave below HTTP (issue 17): each fails with a reason, the next is tried ----



class RawServer:
    """A TCP server on 127.0.0.1 that reads one request and then runs ``script(conn)``.

    Lets a test send exactly the bytes a broken mirror sends: a cut chunked body,
    a non-HTTP banner, nothing at all, a reset, a trickle.
    """

    def __init__(self, script):
        self.script, self.requests, self.stop = script, 0, threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        with conn:
            conn.settimeout(5)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    part = conn.recv(4096)
                    if not part:
                        return
                    data += part
                self.requests += 1
                self.script(conn, self.stop)
            except OSError:
                pass

    def close(self):
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def raw():
    servers = []

    def start(script):
        servers.append(RawServer(script))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def cut_chunked(conn, stop):
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + b"x" * 100)


def not_http(conn, stop):
    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")


def no_answer_then_close(conn, stop):
    pass  # closes right after reading the request


def reset(conn, stop):
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST


def silent(conn, stop):
    stop.wait(5)  # holds the connection open, sends nothing


def cut_content_length(conn, stop):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 300)


def trickle(conn, stop):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    while not stop.wait(0.05):
        conn.sendall(b"x")


def endless(conn, stop):
    conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
    while not stop.is_set():
        conn.sendall(b"x" * 65536)


def too_big(conn, stop):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n")
    stop.wait(5)


BROKEN = {
    "cut_chunked": (cut_chunked, "connection closed in the middle of the response after 100 bytes (IncompleteRead"),
    "not_http": (not_http, "did not answer in HTTP (BadStatusLine: 'SSH-2.0-OpenSSH_9.6')"),
    "no_answer": (no_answer_then_close, "closed the connection without an HTTP response (RemoteDisconnected"),
    "silent": (silent, "timed out: no data for 0.5 s (TimeoutError"),
    "cut_content_length": (cut_content_length, "response cut short: 300 of the 1000 bytes announced"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_mirror_fails_over_to_the_next(tmp_path, raw, serve, case):
    script, reason = BROKEN[case]
    broken = raw(script)
    good = serve({"/f.gz": GOOD})
    path = download_file("f.gz", tmp_path, [broken.url, good.url], sha(GOOD), timeout=0.5, progress=False)
    assert path.read_bytes() == GOOD and broken.requests == 1 and good.requests == ["/f.gz"]
    assert os.listdir(tmp_path) == ["f.gz"]
    # alone, the same mirror gives a DatasetUnavailable with its reason (and leaves nothing)
    (tmp_path / "f.gz").unlink()
    with pytest.raises(DatasetUnavailable) as info:
        download_file("f.gz", tmp_path, [broken.url], sha(GOOD), timeout=0.5, progress=False)
    assert f"  {broken.url}/f.gz: {reason}" in str(info.value)
    assert os.listdir(tmp_path) == []


def test_reset_connection_fails_over(tmp_path, raw, serve):
    broken = raw(reset)
    good = serve({"/f.gz": GOOD})
    with pytest.raises(DatasetUnavailable) as info:
        download_file("f.gz", tmp_path, [broken.url], sha(GOOD), timeout=2, progress=False)
    # depending on timing the client sees the RST as a reset or as a close without answer
    assert ("connection reset by the server (ConnectionResetError" in str(info.value)
            or "closed the connection without an HTTP response" in str(info.value))
    assert download_file("f.gz", tmp_path, [broken.url, good.url], sha(GOOD), progress=False).read_bytes() == GOOD


def test_all_broken_mirrors_are_listed_in_one_error(tmp_path, raw, serve):
    servers = [raw(BROKEN[c][0]) for c in ("cut_chunked", "not_http", "silent")]
    missing = serve({})
    mirrors = [s.url for s in servers] + [missing.url]
    t0 = time.monotonic()
    with pytest.raises(DatasetUnavailable) as info:
        download_file("f.gz", tmp_path, mirrors, sha(GOOD), timeout=0.5, progress=False)
    assert time.monotonic() - t0 < 10
    lines = str(info.value).splitlines()
    assert lines[0] == f"could not download f.gz into {tmp_path}; mirrors tried in order:"
    assert [line.split(": ", 1)[0].strip() for line in lines[1:]] == [m + "/f.gz" for m in mirrors]
    assert "IncompleteRead" in lines[1] and "BadStatusLine" in lines[2] and "timed out" in lines[3]
    assert lines[4].endswith("HTTP error 404 (Not Found)")
    assert os.listdir(tmp_path) == []


def test_a_trickling_mirror_is_abandoned_at_the_deadline(tmp_path, raw, serve):
    slow = raw(trickle)
    good = serve({"/f.gz": GOOD})
    t0 = time.monotonic()
    path = download_file("f.gz", tmp_path, [slow.url, good.url], sha(GOOD), timeout=3, deadline=1.0, progress=False)
    assert 1.0 <= time.monotonic() - t0 < 5
    assert path.read_bytes() == GOOD and os.listdir(tmp_path) == ["f.gz"]
    with pytest.raises(DatasetUnavailable, match=r"too slow: \d+ bytes in 1 s \(the deadline for one file"):
        download_file("g.gz", tmp_path, [slow.url], sha(GOOD), timeout=3, deadline=1.0, progress=False)


def test_an_endless_response_is_cut_at_the_known_size(tmp_path, raw, serve):
    flood = raw(endless)
    good = serve({"/f.gz": GOOD})
    path = download_file("f.gz", tmp_path, [flood.url, good.url], sha(GOOD), size=len(GOOD), progress=False)
    assert path.read_bytes() == GOOD
    with pytest.raises(DatasetUnavailable) as info:
        download_file("g.gz", tmp_path, [flood.url], sha(GOOD), size=len(GOOD), progress=False)
    assert f"sent more than the {len(GOOD)} bytes of g.gz" in str(info.value)
    assert os.listdir(tmp_path) == ["f.gz"]


def test_a_wrong_announced_size_fails_before_reading(tmp_path, raw):
    big = raw(too_big)
    t0 = time.monotonic()
    with pytest.raises(DatasetUnavailable, match=f"announces 99999999 bytes, but f.gz has {len(GOOD)} bytes"):
        download_file("f.gz", tmp_path, [big.url], sha(GOOD), size=len(GOOD), timeout=3, progress=False)
    assert time.monotonic() - t0 < 2.5  # did not wait for the body
    assert os.listdir(tmp_path) == []


def test_stale_part_files_are_removed_and_live_ones_kept(tmp_path, serve):
    stale, live, other = tmp_path / ".f.gz.dead1.part", tmp_path / ".f.gz.live1.part", tmp_path / ".g.gz.x.part"
    for p in (stale, live, other):
        p.write_bytes(b"partial")
    old = time.time() - download_module.STALE_PART_SECONDS - 60
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    good = serve({"/f.gz": GOOD})
    download_file("f.gz", tmp_path, [good.url], sha(GOOD), progress=False)
    assert sorted(os.listdir(tmp_path)) == sorted([".f.gz.live1.part", ".g.gz.x.part", "f.gz"])


def test_downloaded_files_are_readable_by_everyone(tmp_path, serve):
    good = serve({"/f.gz": GOOD})
    path = download_file("f.gz", tmp_path, [good.url], sha(GOOD), progress=False)
    assert path.stat().st_mode & 0o777 == 0o644


def test_progress_bar_is_finished_when_a_mirror_fails(tmp_path, raw, serve):
    broken = raw(cut_content_length)
    good = serve({"/f.gz": GOOD})
    bar = io.StringIO()
    download_file("f.gz", tmp_path, [broken.url, good.url], sha(GOOD), progress=bar)
    assert bar.getvalue().count("\n") == 2 and bar.getvalue().endswith("\n")


def test_mnist_sizes_match_the_published_files(real_data_dir):
    from handdigits.datasets.mnist import CHECKSUMS, SIZES

    found = 0
    for name, size in SIZES.items():
        path = real_data_dir / "mnist" / f"{name}.gz"
        if path.is_file() and sha(path.read_bytes()) == CHECKSUMS[name][0]:  # the published .gz
            assert path.stat().st_size == size, name
            found += 1
    if not found:
        pytest.skip("no published MNIST .gz in the data directory (set HANDDIGITS_DATA)")


def test_load_mnist_passes_the_known_size(tmp_path, raw):
    flood = raw(endless)
    with pytest.raises(DatasetUnavailable, match="sent more than the 1648877 bytes of t10k-images-idx3-ubyte.gz"):
        load_mnist("test", tmp_path, mirrors=[flood.url], progress=False)
    assert list((tmp_path / "mnist").iterdir()) == []


def test_load_emnist_passes_the_known_archive_size(tmp_path, raw):
    from handdigits.datasets.emnist import ARCHIVE_SIZE

    assert ARCHIVE_SIZE == 561_753_746  # NIST's gzip.zip (md5 58c8d27c...), "about 562 MB"
    big = raw(too_big)
    t0 = time.monotonic()
    with pytest.raises(DatasetUnavailable, match=f"announces 99999999 bytes, but gzip.zip has {ARCHIVE_SIZE} bytes"):
        load_emnist("test", data_dir=tmp_path, mirrors=[big.url], progress=False, allow_partial=False)
    assert time.monotonic() - t0 < 2.5  # refused on the header, before any body
    assert list((tmp_path / "emnist").iterdir()) == []


def test_load_emnist_endless_mirror_is_cut_at_the_archive_size(tmp_path, raw, serve, monkeypatch):
    from handdigits.datasets import emnist

    images, labels, _ = mnist_files(seed=2)
    archive = emnist_zip(images, labels)
    monkeypatch.setattr(emnist, "ARCHIVE_MD5", hashlib.md5(archive).hexdigest())  # the default md5 -> its size
    monkeypatch.setattr(emnist, "ARCHIVE_SIZE", len(archive))
    flood, good = raw(endless), serve({"/gzip.zip": archive})
    with pytest.raises(DatasetUnavailable, match=f"sent more than the {len(archive)} bytes of gzip.zip"):
        emnist.load_emnist("test", data_dir=tmp_path, mirrors=[flood.url], archive_md5=emnist.ARCHIVE_MD5,
                           progress=False, verify=False, allow_partial=False)
    x, y = emnist.load_emnist("test", data_dir=tmp_path, mirrors=[flood.url, good.url],
                              archive_md5=emnist.ARCHIVE_MD5, progress=False, verify=False, allow_partial=False)
    np.testing.assert_array_equal(y, labels)

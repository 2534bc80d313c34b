"""The download helper and the loaders' download paths, against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import socket
import threading
import zipfile

import numpy as np
import pytest

from handdigits.datasets import DatasetUnavailable, download_file, load_emnist, load_mnist, write_idx
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
    assert message.startswith("EMNIST unavailable:") and "download failed" in message and "md5 mismatch" in message
    assert list((tmp_path / "emnist").iterdir()) == []


def test_unwritable_directory_is_reported(tmp_path, serve):
    import os

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

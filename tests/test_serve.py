"""The web API (handdigits.serve) through FastAPI's TestClient: good, bad, huge and blank inputs."""

from __future__ import annotations

import base64
import dataclasses
import io
import re
import threading
import time
from importlib.resources import files

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install 'handdigits[serve]'")
pytest.importorskip("python_multipart", reason="the serve extra is not installed: pip install 'handdigits[serve]'")
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from PIL import Image  # noqa: E402

from handdigits.preprocess import to_mnist  # noqa: E402
from handdigits.samples import list_samples, true_digit  # noqa: E402
from handdigits.serve import create_app  # noqa: E402
from handdigits.serve.upload import _multipart_file  # noqa: E402
from handdigits.validation import check_images  # noqa: E402

CAP = 256 * 1024


@pytest.fixture(scope="module")
def classifier():
    from handdigits import Classifier

    return Classifier()


@pytest.fixture(scope="module")
def client(classifier):
    with TestClient(create_app(classifier, max_upload_bytes=CAP, max_concurrency=2)) as c:
        yield c


def png(image: np.ndarray | Image.Image) -> bytes:
    img = image if isinstance(image, Image.Image) else Image.fromarray(image)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return buffer.getvalue()


def decode_png(b64: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))))


class Wrapped:
    """A real classifier seen through a narrower interface (no ``read``), optionally abstaining."""

    def __init__(self, clf, *, abstain=False, delay=0.0):
        self.clf, self.abstain, self.delay = clf, abstain, delay
        self.active = self.peak = 0
        self.lock = threading.Lock()

    def predict_proba(self, x, *, preprocess=None):
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            time.sleep(self.delay)
            return self.clf.predict_proba(x, preprocess=preprocess)
        finally:
            with self.lock:
                self.active -= 1

    def predict(self, x, *, preprocess=None):
        return -1 if self.abstain else self.clf.predict(x, preprocess=preprocess)


# ---------------------------------------------------------------------- good inputs


@pytest.mark.parametrize("sample", list_samples(), ids=lambda p: p.name)
def test_each_bundled_sample_is_read_and_the_28x28_is_what_to_mnist_gives(client, sample):
    data = sample.read_bytes()
    r = client.post("/api/predict", content=data, headers={"Content-Type": "image/png"})
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["found"] and p["sure"] and p["message"] is None
    assert p["digit"] == true_digit(sample)
    proba = np.array(p["probabilities"])
    assert proba.shape == (10,) and abs(proba.sum() - 1) < 1e-4 and proba.argmax() == p["digit"]
    top = [c["digit"] for c in p["top_k"]]
    assert len(set(top)) == 3 and [c["probability"] for c in p["top_k"]] == [p["probabilities"][d] for d in top]
    assert min(proba[top]) >= max(np.delete(proba, top))
    assert [c["probability"] for c in p["top_k"]] == sorted((c["probability"] for c in p["top_k"]), reverse=True)
    seen = decode_png(p["image_png"])
    assert seen.shape == (28, 28) and seen.dtype == np.uint8
    np.testing.assert_array_equal(seen, to_mnist(data))
    width, height = Image.open(io.BytesIO(data)).size
    assert p["input_size"] == [width, height]
    t = p["timing"]
    assert min(t.values()) >= 0 and t["total_ms"] >= t["decode_ms"] + t["preprocess_ms"] + t["predict_ms"] - 0.01


def test_probabilities_are_the_classifiers(client, classifier):
    data = list_samples()[5].read_bytes()
    p = client.post("/api/predict", content=data).json()
    expected = classifier.predict_proba(to_mnist(data), preprocess=False)
    np.testing.assert_allclose(p["probabilities"], expected, atol=2e-6)


def test_multipart_upload_gives_the_same_answer_as_a_raw_body(client):
    data = list_samples()[3].read_bytes()
    raw = client.post("/api/predict", content=data).json()
    form = client.post("/api/predict", files={"file": ("three.jpg", data, "image/jpeg")})
    assert form.status_code == 200, form.text
    assert form.json()["digit"] == raw["digit"] == 3
    assert form.json()["probabilities"] == raw["probabilities"]
    # another field name works when it carries a file name; extra text fields are ignored
    other = client.post("/api/predict", files={"image": ("x.jpg", data, "image/jpeg")}, data={"note": "hi"})
    assert other.status_code == 200 and other.json()["digit"] == 3


# ---------------------------------------------------------------------- blank, not sure


def test_blank_drawing_is_200_with_found_false_and_the_librarys_message(client):
    blank = png(np.full((280, 280), 255, np.uint8))
    r = client.post("/api/predict", content=blank, headers={"Content-Type": "image/png"})
    assert r.status_code == 200
    p = r.json()
    assert p["found"] is False and p["sure"] is False and p["digit"] is None
    assert p["probabilities"] is None and p["top_k"] == [] and p["image_png"] is None
    assert p["message"].startswith("no ink found")
    assert p["input_size"] == [280, 280]


def test_a_faint_speck_is_no_digit_either(client):
    canvas = np.full((280, 280), 255, np.uint8)
    canvas[140, 140] = 250  # far below any ink contrast
    p = client.post("/api/predict", content=png(canvas)).json()
    assert p["found"] is False and "no ink found" in p["message"]


def test_abstaining_classifier_is_shown_as_not_sure(classifier):
    with TestClient(create_app(Wrapped(classifier, abstain=True))) as c:
        p = c.post("/api/predict", content=list_samples()[2].read_bytes()).json()
    assert p["found"] is True and p["sure"] is False and p["digit"] is None
    assert p["message"].startswith("not sure")
    assert len(p["probabilities"]) == 10 and p["top_k"][0]["digit"] == 2 and p["image_png"]


# ---------------------------------------------------------------------- bad and huge inputs


def test_non_image_is_400_with_the_librarys_message(client):
    body = b"this is not an image"
    r = client.post("/api/predict", content=body, headers={"Content-Type": "image/png"})
    assert r.status_code == 400
    with pytest.raises(ValueError) as info:
        check_images(body)
    expected = re.sub(r" at 0x[0-9a-f]+", "", str(info.value))
    assert re.sub(r" at 0x[0-9a-f]+", "", r.json()["detail"]) == expected


def test_truncated_png_is_400(client):
    data = png(np.random.default_rng(0).integers(0, 255, (64, 64), np.uint8))
    r = client.post("/api/predict", content=data[: len(data) // 2])
    assert r.status_code == 400 and "cannot decode" in r.json()["detail"]


def test_empty_body_and_empty_file_are_400(client):
    r = client.post("/api/predict", content=b"")
    assert r.status_code == 400 and "empty" in r.json()["detail"]
    r = client.post("/api/predict", files={"file": ("x.png", b"", "image/png")})
    assert r.status_code == 400 and "empty" in r.json()["detail"]


def test_multipart_without_a_file_or_malformed_is_400(client):
    r = client.post("/api/predict", data={"text": "7"}, files={"other": (None, b"no file name")})
    assert r.status_code == 400 and "'file'" in r.json()["detail"]
    bad = b"--XYZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n--WRONG--\r\n"
    r = client.post("/api/predict", content=bad, headers={"Content-Type": "multipart/form-data; boundary=XYZ"})
    assert r.status_code == 400
    r = client.post("/api/predict", content=b"abc", headers={"Content-Type": "multipart/form-data"})
    assert r.status_code == 400 and "boundary" in r.json()["detail"]


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded", "text/plain", None])
def test_any_content_type_is_read_as_image_bytes(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    r = client.post("/api/predict", content=list_samples()[6].read_bytes(), headers=headers)
    assert r.status_code == 200 and r.json()["digit"] == 6  # curl --data-binary sends form-urlencoded
    r = client.post("/api/predict", content=b'{"image": "7"}', headers=headers)
    assert r.status_code == 400 and "cannot decode" in r.json()["detail"]


def test_upload_over_the_cap_is_413_by_content_length(client):
    r = client.post("/api/predict", content=b"\0" * (CAP + 1), headers={"Content-Type": "image/png"})
    assert r.status_code == 413
    assert f"Content-Length is {CAP + 1} bytes" in r.json()["detail"] and str(CAP) in r.json()["detail"]
    # exactly at the cap is read (and then refused as not an image)
    assert client.post("/api/predict", content=b"\0" * CAP).status_code == 400


def test_upload_over_the_cap_is_413_when_streamed_without_content_length(client):
    sent = []

    def chunks():
        for _ in range(64):
            sent.append(8192)
            yield b"\0" * 8192  # 512 KiB in all, twice the cap

    r = client.post("/api/predict", content=chunks(), headers={"Content-Type": "image/png"})
    assert r.status_code == 413 and "more than" in r.json()["detail"]


def test_multipart_file_over_the_cap_is_413(client):
    r = client.post("/api/predict", files={"file": ("big.png", b"\0" * CAP, "image/png")})
    assert r.status_code == 413


def test_decompression_bomb_is_413_before_decoding(client):
    bomb = png(Image.new("1", (8000, 7000), 1))  # 56 megapixels in a few kB
    assert len(bomb) < CAP
    r = client.post("/api/predict", content=bomb)
    assert r.status_code == 413 and "8000x7000" in r.json()["detail"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(min_size=1, max_size=4000))
def test_any_bytes_get_an_answer_never_a_server_error(client, body):
    r = client.post("/api/predict", content=body, headers={"Content-Type": "application/octet-stream"})
    assert r.status_code in (200, 400, 413)
    assert ("detail" in r.json()) == (r.status_code != 200)


# ---------------------------------------------------------------------- multipart parsing (pure)


@settings(max_examples=100, deadline=None)
@given(
    payload=st.binary(min_size=1, max_size=3000),
    boundary=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=8, max_size=40),
    before=st.booleans(),
)
def test_multipart_parser_returns_the_file_bytes_exactly(payload, boundary, before):
    marker = f"\r\n--{boundary}".encode()
    if marker in b"\r\n" + payload:
        return  # a body cannot contain its own boundary
    text_part = f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n'.encode()
    file_part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode() + payload + b"\r\n"
    body = (text_part + file_part if before else file_part + text_part) + f"--{boundary}--\r\n".encode()
    assert _multipart_file(body, f"multipart/form-data; boundary={boundary}") == payload


def test_multipart_upload_writes_nothing_to_disk(client, monkeypatch):
    import tempfile

    import starlette.formparsers

    def refuse(*args, **kwargs):
        raise AssertionError("a temporary file was created")

    for name in ("SpooledTemporaryFile", "NamedTemporaryFile", "TemporaryFile", "mkstemp"):
        monkeypatch.setattr(tempfile, name, refuse)
    monkeypatch.setattr(starlette.formparsers, "SpooledTemporaryFile", refuse)
    noise = np.random.default_rng(1).integers(0, 256, (300, 300), np.uint8)  # ~90 kB: a real upload size
    r = client.post("/api/predict", files={"file": ("noise.png", png(noise), "image/png")})
    assert r.status_code == 200


# ---------------------------------------------------------------------- numbers mode


def test_read_is_501_when_the_classifier_has_no_read(classifier):
    with TestClient(create_app(Wrapped(classifier))) as c:
        r = c.post("/api/read", content=list_samples()[0].read_bytes())
        assert c.get("/healthz").json()["read"] is False
    assert r.status_code == 501 and "Classifier.read" in r.json()["detail"]


def test_read_returns_what_classifier_read_returns(classifier):
    @dataclasses.dataclass
    class Result:
        text: str
        confidence: np.float32
        boxes: np.ndarray

    class Reader(Wrapped):
        def read(self, image):
            self.seen = image
            return Result("42", np.float32(0.5), np.array([[1, 2, 3, 4]]))

    reader = Reader(classifier)
    data = list_samples()[4].read_bytes()
    with TestClient(create_app(reader)) as c:
        assert c.get("/healthz").json()["read"] is True
        r = c.post("/api/read", files={"file": ("n.png", data, "image/png")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["found"] is True and body["text"] == "42"
    assert body["result"] == {"text": "42", "confidence": 0.5, "boxes": [[1, 2, 3, 4]]}
    np.testing.assert_array_equal(reader.seen, check_images(data)[0][0])


def _number_image(digits) -> np.ndarray:
    """Digits written side by side on white paper: bundled samples, preprocessed, inverted, padded."""
    by_digit = {true_digit(p): p for p in list_samples()}
    tiles = [255 - np.pad(to_mnist(by_digit[d]), 6) for d in digits]
    return np.hstack(tiles)


@pytest.mark.skipif(not hasattr(__import__("handdigits").Classifier, "read"), reason="Classifier.read does not exist")
def test_read_with_the_real_classifier_reads_a_number_and_finds_nothing_in_a_blank(client, classifier):
    image = _number_image([4, 0, 7])
    r = client.post("/api/read", files={"file": ("n.png", png(image), "image/png")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["found"] is True and body["text"] == classifier.read(image).text == "407"
    assert body["result"]["text"] == "407" and len(body["result"]["digits"]) == 3
    assert body["input_size"] == [image.shape[1], image.shape[0]]
    blank = client.post("/api/read", content=png(np.full((60, 200), 255, np.uint8))).json()
    assert blank["found"] is False and blank["text"] == "" and blank["message"].startswith("no ink found")
    assert client.post("/api/read", content=b"not an image").status_code == 400
    assert client.get("/healthz").json()["read"] is True


# ---------------------------------------------------------------------- service


def test_importing_the_app_does_not_load_tensorflow(fresh_python):
    code = ("import json, sys, handdigits.serve; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))))")
    assert fresh_python(code) == []


def test_healthz_reports_model_and_limits(client):
    h = client.get("/healthz").json()
    assert h["status"] == "ok" and h["max_upload_bytes"] == CAP and h["max_concurrency"] == 2
    assert "Classifier" in h["model"]


def test_concurrency_is_bounded(classifier):
    slow = Wrapped(classifier, delay=0.05)
    data = list_samples()[1].read_bytes()
    with TestClient(create_app(slow, max_concurrency=2)) as c:
        codes = []
        threads = [threading.Thread(target=lambda: codes.append(c.post("/api/predict", content=data).status_code))
                   for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert codes == [200] * 8
    assert slow.peak == 2  # 8 requests at once, never more than 2 in the model, and they did overlap


def test_model_is_loaded_once_at_start_not_per_request(monkeypatch, classifier):
    from handdigits import classifier as classifier_module

    made = []

    class Counting:
        def __init__(self, **kwargs):
            # the bundled model answers "not sure" for non-digits; the runtime options keep their defaults
            assert kwargs == {"min_confidence": "auto", "threads": None, "quantized": True}
            made.append(self)

        def __getattr__(self, name):
            return getattr(classifier, name)

    monkeypatch.setattr(classifier_module, "Classifier", Counting)
    app = create_app()
    assert made == [] and TestClient(app).post("/api/predict", content=b"x").status_code == 503
    with TestClient(app) as c:
        assert len(made) == 1
        for sample in list_samples()[:3]:
            assert c.post("/api/predict", content=sample.read_bytes()).status_code == 200
    assert len(made) == 1


def test_a_model_path_is_loaded_with_classifier_load_at_start(monkeypatch, classifier, tmp_path):
    from handdigits import classifier as classifier_module

    loaded = []

    class Loading:
        @classmethod
        def load(cls, path, **options):
            loaded.append((path, options))
            return classifier

    monkeypatch.setattr(classifier_module, "Classifier", Loading)
    app = create_app(tmp_path / "model.keras", threads=1, quantized=False)
    assert loaded == []
    with TestClient(app) as c:
        assert loaded == [(tmp_path / "model.keras", {"threads": 1, "quantized": False})]
        assert c.post("/api/predict", content=list_samples()[9].read_bytes()).json()["digit"] == 9


@pytest.mark.parametrize("options", [{"threads": 1}, {"quantized": False}])
def test_runtime_options_with_a_ready_classifier_are_refused(classifier, options):
    with pytest.raises(ValueError, match="threads and quantized apply to a model the app loads"):
        create_app(classifier, **options)


def test_cli_serve_passes_threads_and_quantized_to_run(monkeypatch):
    import handdigits.serve as serve
    from handdigits.cli import main

    seen = []
    monkeypatch.setattr(serve, "run", lambda **kwargs: seen.append(kwargs) or 0)
    assert main(["serve", "--port", "8123", "--threads", "1", "--no-quantized"]) == 0
    assert main(["serve"]) == 0
    assert seen == [
        {"host": "127.0.0.1", "port": 8123, "model": None, "threads": 1, "quantized": False},
        {"host": "127.0.0.1", "port": 8000, "model": None, "threads": None, "quantized": True},
    ]


def test_page_and_static_files_are_served_from_the_package_without_external_urls(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<canvas id="canvas"' in page.text
    for name, kind in (("app.js", "javascript"), ("style.css", "text/css")):
        r = client.get(f"/{name}")
        assert r.status_code == 200 and kind in r.headers["content-type"]
    static = files("handdigits.serve") / "static"
    for f in static.iterdir():
        text = f.read_text().replace('xmlns="http://www.w3.org/2000/svg"', "")  # a namespace name, not a link
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text), f"{f.name} links outside"


def test_openapi_documents_both_body_kinds_and_the_docs_page(client):
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/api/predict"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "image/png"} <= set(body)
    assert "413" in spec["paths"]["/api/predict"]["post"]["responses"]
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"max_upload_bytes": 0}, ValueError, "max_upload_bytes must be >= 1, got 0"),
        ({"max_upload_bytes": 1.5}, TypeError, "max_upload_bytes must be an integer, got 1.5"),
        ({"max_concurrency": True}, TypeError, "max_concurrency must be an integer, got True"),
        ({"max_concurrency": "4"}, TypeError, "max_concurrency must be an integer, got '4'"),
        ({"threads": 0}, ValueError, "threads must be in [1, 256], got 0"),
        ({"quantized": "yes"}, TypeError, "quantized must be"),
    ],
)
def test_create_app_checks_its_limits(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        create_app(None if {"threads", "quantized"} & set(kwargs) else object(), **kwargs)


def test_cli_serve_binds_localhost_answers_and_stops_on_ctrl_c():
    import json
    import os
    import signal
    import socket
    import subprocess
    import sys
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "handdigits", "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert json.loads(r.read())["status"] == "ok"
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read() if proc.poll() else ""
                time.sleep(0.3)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/predict", data=list_samples()[8].read_bytes())
        with urllib.request.urlopen(request, timeout=30) as r:
            assert json.loads(r.read())["digit"] == 8
    finally:
        proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=60)[0]
    assert proc.returncode == 0, out
    assert f"http://127.0.0.1:{port}" in out  # bound to localhost by default


def test_cli_serve_refuses_a_bad_port(capsys):
    from handdigits import cli

    with pytest.raises(SystemExit) as info:
        cli.main(["serve", "--port", "70000"])
    assert info.value.code == 2 and "--port must be between 1 and 65535" in capsys.readouterr().err

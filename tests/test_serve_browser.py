"""The draw-a-digit page end to end, in real headless Chromium (Debian's package) driven by Playwright.

Skipped when Playwright's Python package or the browser is missing; ``.ci/run``
installs Debian's ``chromium`` when it can.  Deselect with ``-m "not browser"``.
Set ``HANDDIGITS_CHROMIUM`` to use another Chromium binary.
"""

from __future__ import annotations

import base64
import io
import math
import os
import shutil
import urllib.request

import numpy as np
import pytest

pytestmark = pytest.mark.browser

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install 'handdigits[serve]'")
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright's Python package is not installed (pip install playwright)"
)
CHROMIUM = os.environ.get("HANDDIGITS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; or set HANDDIGITS_CHROMIUM)",
                allow_module_level=True)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

from PIL import Image  # noqa: E402

from handdigits.samples import list_samples, true_digit  # noqa: E402
from handdigits.serve import create_app, running  # noqa: E402


def _ellipse(cx, cy, rx, ry, start=0, end=360, n=24):
    angles = np.radians(np.linspace(start, end, n))
    return [(cx + rx * math.sin(a), cy - ry * math.cos(a)) for a in angles]


# digits as pen strokes in a unit box (x right, y down), drawn the way people draw them
STROKES = {
    0: [_ellipse(0.5, 0.5, 0.28, 0.4)],
    1: [[(0.42, 0.2), (0.55, 0.1), (0.55, 0.9)]],
    2: [[(0.22, 0.3), (0.3, 0.16), (0.5, 0.1), (0.7, 0.16), (0.76, 0.32), (0.68, 0.48), (0.22, 0.9), (0.8, 0.9)]],
    3: [[(0.22, 0.16), (0.5, 0.1), (0.74, 0.2), (0.72, 0.38), (0.45, 0.5), (0.74, 0.6), (0.78, 0.8), (0.5, 0.92),
         (0.2, 0.84)]],
    4: [[(0.62, 0.9), (0.62, 0.1), (0.15, 0.64), (0.85, 0.64)]],
    5: [[(0.75, 0.12), (0.3, 0.12), (0.26, 0.46), (0.5, 0.4), (0.72, 0.5), (0.76, 0.72), (0.6, 0.9), (0.4, 0.92),
         (0.22, 0.84)]],
    6: [[(0.7, 0.12), (0.45, 0.25), (0.3, 0.5), (0.28, 0.72), (0.4, 0.9), (0.6, 0.9), (0.72, 0.72), (0.62, 0.55),
         (0.42, 0.55), (0.3, 0.66)]],
    7: [[(0.2, 0.14), (0.8, 0.14), (0.42, 0.9)]],
    8: [_ellipse(0.5, 0.3, 0.2, 0.2, 180, 540) + _ellipse(0.5, 0.7, 0.24, 0.2)[::-1]],
    9: [_ellipse(0.5, 0.32, 0.22, 0.22, 90, 450), [(0.72, 0.32), (0.68, 0.6), (0.6, 0.9)]],
}
FULL = (0.0, 0.0, 1.0, 1.0)
TIMEOUT_MS = 90_000  # generous: answers take milliseconds, but CI machines can be very busy
SMALL_OFF_CENTRE = ((0.05, 0.05, 0.4, 0.4), (0.55, 0.5, 0.95, 0.95))


def traced(image: np.ndarray, threshold: int = 100) -> list[list[tuple[float, float]]]:
    """An MNIST digit as pen strokes: one horizontal stroke per run of ink pixels in each row."""
    strokes = []
    for y, row in enumerate(image >= threshold):
        x = 0
        while x < len(row):
            if row[x]:
                end = x
                while end + 1 < len(row) and row[end + 1]:
                    end += 1
                strokes.append([((x + 0.5) / 28, (y + 0.5) / 28), ((end + 0.5) / 28, (y + 0.5) / 28)])
                x = end + 1
            else:
                x += 1
    return strokes


# ---------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def classifier():
    from handdigits import Classifier

    return Classifier()


@pytest.fixture(scope="module")
def server(classifier):
    with running(create_app(classifier)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, url, **context_options):
    context = browser.new_context(viewport={"width": 1000, "height": 760}, **context_options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.requests, page.errors = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.goto(url + "/")
    page.wait_for_function("document.getElementById('version').textContent !== ''")  # /healthz answered
    return page


@pytest.fixture
def page(browser, server):
    page = open_page(browser, server)
    yield page
    # offline: every request went to our server, and the page raised no error
    assert all(u.startswith(server) or u.startswith(("data:", "blob:")) for u in page.requests), page.requests
    assert page.errors == []
    page.context.close()


def shown(page) -> int:
    """How many answers the page has shown so far (body[data-shown])."""
    return int(page.get_attribute("body", "data-shown"))


def settle(page, before: int, strokes: int | None = None):
    """Wait for the page's answer to an action started when ``shown(page)`` was ``before``; (text, state)."""
    page.wait_for_function(
        """([before, strokes]) => {
            const d = document.body.dataset;
            return d.busy === "0" && Number(d.shown) > before && (strokes === null || d.strokes === String(strokes));
        }""",
        arg=[before, strokes],
        timeout=TIMEOUT_MS,
    )
    return page.inner_text("#answer"), page.get_attribute("#answer", "data-state")


def act(page, action, *args, **kwargs):
    """Run ``action`` (e.g. ``page.click``) and wait for the answer it brings."""
    before = shown(page)
    action(*args, **kwargs)
    return settle(page, before)


def draw(page, strokes, box=FULL, steps=3):
    canvas = page.locator("#canvas").bounding_box()
    x0, y0, x1, y1 = box
    before, total = shown(page), int(page.get_attribute("body", "data-strokes")) + len(strokes)

    def at(p):
        x, y = x0 + (x1 - x0) * p[0], y0 + (y1 - y0) * p[1]
        return canvas["x"] + canvas["width"] * x, canvas["y"] + canvas["height"] * y

    for stroke in strokes:
        page.mouse.move(*at(stroke[0]))
        page.mouse.down()
        for p in stroke[1:]:
            page.mouse.move(*at(p), steps=steps)
        page.mouse.up()
    return settle(page, before, total)


def canvas_png(page) -> bytes:
    url = page.evaluate("document.getElementById('canvas').toDataURL('image/png')")
    return base64.b64decode(url.split(",", 1)[1])


def api_predict(server, data: bytes) -> dict:
    import json

    request = urllib.request.Request(server + "/api/predict", data=data, headers={"Content-Type": "image/png"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_MS / 1000) as response:
        return json.loads(response.read())


# ---------------------------------------------------------------------- drawing


@pytest.mark.parametrize("digit", sorted(STROKES))
def test_drawn_digit_is_recognised(page, digit):
    assert draw(page, STROKES[digit]) == (str(digit), "digit")
    assert page.inner_text("#status").startswith(f"It's a {digit} (")


@pytest.mark.parametrize("box", SMALL_OFF_CENTRE, ids=["small-top-left", "small-bottom-right"])
@pytest.mark.parametrize("digit", [1, 4, 7, 9])
def test_small_off_centre_digit_is_recognised(page, digit, box):
    assert draw(page, STROKES[digit], box) == (str(digit), "digit")


def test_page_shows_top3_and_the_28x28_image_the_model_saw(page, server):
    draw(page, STROKES[4])
    answer = api_predict(server, canvas_png(page))  # the same drawing through the API
    assert answer["digit"] == 4
    src = page.get_attribute("#mnist", "src")
    assert src == "data:image/png;base64," + answer["image_png"]
    assert page.is_visible("#seen") and page.evaluate("document.getElementById('mnist').naturalWidth") == 28
    digits = page.locator("#bars .digit").all_inner_texts()
    assert digits == [str(c["digit"]) for c in answer["top_k"]]
    styles = page.locator("#bars .fill").evaluate_all("els => els.map(e => e.style.width)")
    widths = [float(w.rstrip("%")) for w in styles]
    assert widths == sorted(widths, reverse=True) and abs(widths[0] - 100 * answer["top_k"][0]["probability"]) < 0.06
    assert "server" in page.inner_text("#timing") and "ms" in page.inner_text("#timing")


def test_undo_and_clear(page):
    assert draw(page, STROKES[1]) == ("1", "digit")
    draw(page, [[(0.1, 0.5), (0.9, 0.5)]])  # a cross bar: no longer a clean 1
    assert act(page, page.click, "#undo") == ("1", "digit")
    assert act(page, page.click, "#undo") == ("?", "idle") and not page.is_visible("#seen")
    draw(page, STROKES[7])
    assert act(page, page.keyboard.press, "Escape") == ("?", "idle") and page.inner_text("#bars") == ""


def test_touch_and_pen_input_draw(browser, server):
    page = open_page(browser, server, has_touch=True)
    try:
        cdp = page.context.new_cdp_session(page)
        canvas = page.locator("#canvas").bounding_box()

        def at(p):
            return canvas["x"] + canvas["width"] * p[0], canvas["y"] + canvas["height"] * p[1]

        before = shown(page)
        (stroke,) = STROKES[7]
        points = [stroke[0]] + [tuple(np.add(a, (np.subtract(b, a)) * t)) for a, b in zip(stroke, stroke[1:])
                                for t in np.linspace(0.1, 1, 10)]
        for i, p in enumerate(points):  # a finger
            kind = "touchStart" if i == 0 else "touchMove"
            x, y = at(p)
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        assert settle(page, before, 1) == ("7", "digit")
        act(page, page.click, "#clear")
        before = shown(page)
        for stroke in STROKES[4]:  # a pen
            for i, p in enumerate(stroke):
                x, y = at(p)
                kind = "mousePressed" if i == 0 else "mouseMoved"
                cdp.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "buttons": 1,
                                                      "clickCount": 1, "pointerType": "pen", "force": 0.5})
            cdp.send("Input.dispatchMouseEvent", {"type": "mouseReleased", "x": x, "y": y, "button": "left",
                                                  "clickCount": 1, "pointerType": "pen"})
        assert settle(page, before, len(STROKES[4])) == ("4", "digit")
        assert page.errors == []
    finally:
        page.context.close()


def test_mnist_test_digits_traced_with_the_mouse(page, mnist_test):
    images, labels = mnist_test
    firsts = [int(np.flatnonzero(labels == d)[0]) for d in range(10)]
    answers = []
    for i in firsts:
        act(page, page.click, "#clear")
        answers.append(draw(page, traced(images[i]), steps=1)[0])
    correct = sum(s == str(int(labels[i])) for s, i in zip(answers, firsts))
    assert correct >= 9, f"page showed {answers} for MNIST test digits {[int(labels[i]) for i in firsts]}"


# ---------------------------------------------------------------------- photos and blank


@pytest.mark.parametrize("sample", [list_samples()[i] for i in (1, 5, 9)], ids=lambda p: p.name)
def test_upload_a_bundled_sample(page, sample):
    answer, state = act(page, page.set_input_files, "#file", str(sample))
    assert (answer, state) == (str(true_digit(sample)), "digit")
    assert page.is_visible("#photo") and page.is_visible("#seen")


def test_blank_upload_shows_no_digit_found_then_drawing_replaces_the_photo(page):
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (250, 250, 245)).save(buffer, format="PNG")
    blank = {"name": "blank.png", "mimeType": "image/png", "buffer": buffer.getvalue()}
    answer, state = act(page, page.set_input_files, "#file", files=[blank])
    assert state == "blank" and page.inner_text("#status").startswith("No digit found.")
    assert not page.is_visible("#seen") and page.inner_text("#bars") == ""
    assert draw(page, STROKES[7]) == ("7", "digit") and not page.is_visible("#photo")


def test_not_an_image_shows_the_servers_message(page):
    text = {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}
    answer, state = act(page, page.set_input_files, "#file", files=[text])
    assert state == "error" and "cannot decode" in page.inner_text("#status")
    page.errors.clear()  # the browser logs the 400 response as a console error


def test_abstaining_model_shows_not_sure(browser, classifier):
    from test_serve import Wrapped

    with running(create_app(Wrapped(classifier, abstain=True))) as url:
        page = open_page(browser, url)
        try:
            assert draw(page, STROKES[7]) == ("not sure", "unsure")
            assert page.inner_text("#status").startswith("Not sure: maybe 7")
            assert page.is_visible("#seen")
        finally:
            page.context.close()


@pytest.mark.skipif(not hasattr(__import__("handdigits").Classifier, "read"), reason="Classifier.read does not exist")
def test_numbers_mode_reads_two_digits(page):
    assert page.is_visible("#numbers-toggle")  # /healthz says read: true
    act(page, page.check, "#numbers")
    assert page.evaluate("document.getElementById('canvas').width") == 560
    draw(page, STROKES[4], (0.06, 0.1, 0.44, 0.9))
    assert draw(page, STROKES[7], (0.56, 0.1, 0.94, 0.9)) == ("47", "digit")
    assert page.inner_text("#status").startswith("Read: 47")
    assert any(u.endswith("/api/read") for u in page.requests)
    act(page, page.uncheck, "#numbers")
    assert page.evaluate("document.getElementById('canvas').width") == 280
    assert draw(page, STROKES[7]) == ("7", "digit")


def test_numbers_toggle_is_hidden_without_classifier_read(browser, classifier):
    from test_serve import Wrapped

    with running(create_app(Wrapped(classifier))) as url:
        page = open_page(browser, url)
        try:
            assert not page.is_visible("#numbers-toggle")
        finally:
            page.context.close()

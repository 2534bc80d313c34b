"""Screenshot of the draw-a-digit page (``handdigits serve``): docs/images/serve.png.

Starts the app on a free 127.0.0.1 port, draws a small, off-centre "3" with the
mouse in headless Chromium (Debian's ``chromium`` package, driven by
Playwright; no browser download) and saves the page once the answer is shown.

    python scripts/serve_screenshot.py [--output docs/images/serve.png] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import math
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def three(x0=0.2, y0=0.12, size=0.62, n=14):
    """A hand-drawn 3 (two arcs) as one stroke of points in [0, 1] canvas units."""
    def arc(cx, cy, r, start, end):
        return [(x0 + size * (cx + r * math.sin(math.radians(a))), y0 + size * (cy - r * math.cos(math.radians(a))))
                for a in (start + (end - start) * i / (n - 1) for i in range(n))]
    return arc(0.45, 0.27, 0.25, -70, 180) + arc(0.45, 0.72, 0.28, 0, 240)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(REPO / "docs" / "images" / "serve.png"))
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from handdigits.serve import create_app, running

    with running(create_app()) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 900, "height": 560}, device_scale_factor=1)
        page.goto(url + "/")
        page.wait_for_function("document.getElementById('version').textContent !== ''")
        box = page.locator("#canvas").bounding_box()
        points = [(box["x"] + box["width"] * x, box["y"] + box["height"] * y) for x, y in three()]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=3)
        page.mouse.up()
        page.wait_for_function("document.body.dataset.busy === '0' && document.body.dataset.strokes === '1' "
                               "&& document.getElementById('answer').dataset.state !== 'idle'")
        print(f"page shows: {page.inner_text('#answer')!r}; {page.inner_text('#status')}")
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=args.output, full_page=True)
        browser.close()
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

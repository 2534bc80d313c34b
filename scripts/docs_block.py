"""Generated text in a docs page: the part between two HTML comment markers, written by the scripts and benchmarks."""

from __future__ import annotations

from pathlib import Path


def write_between(page, begin: str, end: str, text: str) -> None:
    """Replace what lies between the markers ``begin`` and ``end`` in ``page`` with ``text``.

    The markers stay, each on a line of its own around ``text``; the rest of
    the page is kept byte for byte.  Raises ``SystemExit`` naming the page when
    a marker is missing, doubled or out of order (nothing is written then).
    """
    page = Path(page)
    doc = page.read_text(encoding="utf-8")
    if doc.count(begin) != 1 or doc.count(end) != 1 or doc.index(begin) > doc.index(end):
        raise SystemExit(f"{page}: need one {begin} and, after it, one {end}")
    head, rest = doc.split(begin, 1)
    page.write_text(f"{head}{begin}\n{text}\n{end}{rest.split(end, 1)[1]}", encoding="utf-8")

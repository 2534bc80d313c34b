"""``handdigits serve``: a draw-a-digit web page and a JSON API (the ``serve`` extra).

Install with ``pip install "handdigits[serve]"``, then run ``handdigits serve``
and open http://127.0.0.1:8000/ .  The app is a FastAPI application built by
:func:`create_app`; see ``docs/serve.md``.

>>> from handdigits.serve import create_app      # doctest: +SKIP
>>> app = create_app(max_upload_bytes=2**20)       # doctest: +SKIP
"""

from __future__ import annotations

from .app import DEFAULT_MAX_CONCURRENCY, DEFAULT_MAX_UPLOAD_BYTES, Settings, create_app, run, running

__all__ = ["DEFAULT_MAX_CONCURRENCY", "DEFAULT_MAX_UPLOAD_BYTES", "Settings", "create_app", "run", "running"]

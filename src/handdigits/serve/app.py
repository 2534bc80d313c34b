"""The application factory and ``run`` (what ``handdigits serve`` calls)."""

from __future__ import annotations

import os
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from functools import partial

import anyio
import numpy as np
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..runtime import check_threads
from ..validation import check_bool, check_int
from . import routes

DEFAULT_MAX_UPLOAD_BYTES = 10 * 2**20  # a phone photo fits; the page itself sends small PNGs
DEFAULT_MAX_CONCURRENCY = 4  # requests decoding / preprocessing / classifying at once
DEFAULT_MAX_CONNECTIONS = 64  # uvicorn answers 503 beyond this many open connections (handdigits serve)


@dataclass(frozen=True)
class Settings:
    """The limits of one app (``app.state.settings``)."""

    max_upload_bytes: int
    max_concurrency: int


def create_app(
    classifier=None,
    *,
    threads: int | None = None,
    quantized: bool = True,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
) -> FastAPI:
    """The draw-a-digit web app and its JSON API, as a FastAPI application.

    Args:
        classifier: a :class:`handdigits.Classifier` (or anything with its
            ``predict`` / ``predict_proba`` taking ``preprocess=False``), a path
            to a ``.keras`` model (:meth:`Classifier.load`), or ``None`` for the
            bundled model with ``min_confidence="auto"`` (letters, shapes and
            scribbles answer "not sure").  A path or ``None`` is loaded when the app starts (its
            lifespan), never per request; every classifier is warmed up then
            with one prediction.
        threads, quantized: the :class:`~handdigits.Classifier` options for a
            model the app loads (``None`` or a path); a classifier passed in
            keeps its own, and giving them with one is a ``ValueError``.
            ``threads=1`` spends the least CPU per request when the server's
            cores have other work.
        max_upload_bytes: request bodies larger than this are refused with 413.
        max_concurrency: how many requests may decode, preprocess and classify
            at the same time; the others wait.

    Returns:
        A FastAPI app: ``GET /`` (the page), ``POST /api/predict``,
        ``POST /api/read``, ``GET /healthz``, OpenAPI docs at ``/docs``.

    Example:
        >>> from fastapi.testclient import TestClient
        >>> from handdigits.serve import create_app
        >>> from handdigits.samples import list_samples
        >>> with TestClient(create_app()) as client:             # doctest: +SKIP
        ...     client.post("/api/predict", content=list_samples()[7].read_bytes()).json()["digit"]
        7
    """
    settings = Settings(
        max_upload_bytes=check_int(max_upload_bytes, "max_upload_bytes", low=1),
        max_concurrency=check_int(max_concurrency, "max_concurrency", low=1),
    )
    options = {"threads": check_threads(threads), "quantized": check_bool(quantized, "quantized")}
    loads = classifier is None or isinstance(classifier, (str, os.PathLike))
    if not loads and (threads is not None or not quantized):
        raise ValueError(
            "threads and quantized apply to a model the app loads (classifier=None or a path); "
            "set them on the Classifier you pass instead"
        )

    app = FastAPI(
        title="handdigits",
        version=__version__,
        description="Handwritten digit recognition: draw a digit at `/`, or POST an image to `/api/predict`.",
        lifespan=_lifespan(classifier, settings, options),
    )
    app.state.settings = settings
    app.state.classifier = None
    app.include_router(routes.router)
    # the page (plain HTML/CSS/JS from the package, no CDN); mounted last so the API routes win
    app.mount("/", StaticFiles(packages=[("handdigits.serve", "static")], html=True), name="page")
    return app


def _lifespan(classifier, settings: Settings, options: dict):
    """The app's start and stop: load (a path or ``None``, with ``options``) and warm up the classifier in a
    thread, once."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        clf = classifier
        if clf is None or isinstance(clf, (str, os.PathLike)):
            from ..classifier import Classifier

            # the bundled model answers "not sure" for non-digits (its recorded reject threshold)
            clf = await anyio.to_thread.run_sync(
                partial(Classifier, min_confidence="auto", **options) if clf is None
                else partial(Classifier.load, clf, **options)
            )
        await anyio.to_thread.run_sync(_warm_up, clf)
        app.state.classifier = clf
        app.state.limiter = anyio.CapacityLimiter(settings.max_concurrency)
        try:
            yield
        finally:
            app.state.classifier = None

    return lifespan


def run(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    model=None,
    threads: int | None = None,
    quantized: bool = True,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    log_level: str = "info",
) -> int:
    """Serve the app with uvicorn until interrupted (``handdigits serve``); returns 0.

    ``model`` is ``None`` (bundled) or a path to a ``.keras`` file, loaded
    with ``threads`` and ``quantized`` (see :func:`create_app`).  Binds to
    127.0.0.1 unless ``host`` says otherwise.
    """
    import uvicorn

    port = check_int(port, "port", low=0, high=65535)
    max_connections = check_int(max_connections, "max_connections", low=1)
    app = create_app(model, threads=threads, quantized=quantized, max_upload_bytes=max_upload_bytes,
                     max_concurrency=max_concurrency)
    uvicorn.run(app, host=host, port=port, limit_concurrency=max_connections, log_level=log_level)
    return 0


@contextmanager
def running(app: FastAPI, *, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"):
    """Serve ``app`` with uvicorn in a background thread; yields its base URL.

    ``port=0`` takes a free port.  The server has started (and the app's
    lifespan has loaded the model) when the ``with`` block is entered, and is
    stopped when it is left.  For notebooks, tests and scripts::

        >>> with running(create_app()) as url:          # doctest: +SKIP
        ...     print(url)
        http://127.0.0.1:43117
    """
    import socket
    import threading

    import uvicorn

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, check_int(port, "port", low=0, high=65535)))
    server = uvicorn.Server(uvicorn.Config(app, log_level=log_level, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="handdigits-serve")
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server stopped while starting (see its log above)")
            thread.join(0.02)
        netloc = f"[{host}]" if ":" in host else host
        yield f"http://{netloc}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def _warm_up(classifier) -> None:
    """One prediction, so the first request does not pay for building the inference path."""
    classifier.predict_proba(np.zeros((28, 28), np.uint8), preprocess=False)

"""The web API: ``POST /api/predict``, ``POST /api/read``, ``GET /healthz``.

Each request body is read with :func:`~handdigits.serve.upload.read_image_bytes`
(size cap, in memory), then decoded, preprocessed and classified in a worker
thread; at most ``max_concurrency`` requests do that at once (an
:class:`anyio.CapacityLimiter`), the others wait their turn.
"""

from __future__ import annotations

import base64
import dataclasses
import io
from functools import partial
from time import perf_counter

import anyio
import numpy as np
from fastapi import APIRouter, HTTPException, Request

from .. import __version__
from .schemas import Candidate, Error, Health, Prediction, Reading, Timing
from .upload import UPLOAD_BODY, read_image_bytes

router = APIRouter()

MAX_PIXELS = 50_000_000  # larger images (e.g. a small, highly compressed PNG of 20000x20000) are refused: 413
TOP_K = 3
_ERRORS = {
    400: {"model": Error, "description": "not an image the library can read"},
    413: {"model": Error, "description": "upload over the size cap, or an image with too many pixels"},
    503: {"model": Error, "description": "the model is not loaded (the app was started without its lifespan)"},
}


def _state(request: Request):
    state = request.app.state
    if getattr(state, "classifier", None) is None:
        raise HTTPException(503, "the model is not loaded yet; the app loads it at start-up (lifespan)")
    return state.classifier, state.limiter, state.settings


@router.get("/healthz", response_model=Health, tags=["service"], summary="Liveness and configuration")
async def healthz(request: Request) -> Health:
    clf, _, settings = _state(request)
    return Health(
        status="ok",
        version=__version__,
        model=repr(clf),
        read=_can_read(clf),
        max_upload_bytes=settings.max_upload_bytes,
        max_concurrency=settings.max_concurrency,
    )


@router.post(
    "/api/predict",
    response_model=Prediction,
    responses=_ERRORS,
    openapi_extra=UPLOAD_BODY,
    tags=["digits"],
    summary="Classify one digit image",
)
async def predict(request: Request) -> Prediction:
    """The digit in an image, with probabilities, top 3, timing and the 28x28 image the model saw.

    A blank or near-blank image is not an error: the answer has ``found: false``
    and the library's message (HTTP 200), so a drawing page can show "no digit
    found" instead of a guess.
    """
    clf, limiter, settings = _state(request)
    data = await read_image_bytes(request, settings.max_upload_bytes)
    start = perf_counter()
    return await anyio.to_thread.run_sync(partial(_predict, clf, data, start), limiter=limiter)


@router.post(
    "/api/read",
    response_model=Reading,
    responses={**_ERRORS, 501: {"model": Error, "description": "Classifier.read is not available"}},
    openapi_extra=UPLOAD_BODY,
    tags=["digits"],
    summary="Read a number (several digits)",
)
async def read(request: Request) -> Reading:
    """The number in an image, through ``Classifier.read`` (501 when the classifier has none).

    ``timing.predict_ms`` covers all of ``read`` (segmentation, preprocessing and
    the model).  A blank image answers 200 with ``found: false``, as for predict.
    """
    clf, limiter, settings = _state(request)
    if not _can_read(clf):
        raise HTTPException(
            501,
            f"numbers mode needs Classifier.read(), which {clf!r} does not have in handdigits {__version__}; "
            "use POST /api/predict for single digits",
        )
    data = await read_image_bytes(request, settings.max_upload_bytes)
    start = perf_counter()
    return await anyio.to_thread.run_sync(partial(_read, clf, data, start), limiter=limiter)


# --------------------------------------------------------------------------- work (in a worker thread)


def _can_read(clf) -> bool:
    return callable(getattr(clf, "read", None))


def _decode(data: bytes) -> np.ndarray:
    """Encoded image bytes -> array, through the library's one input check; 400/413 on failure."""
    from PIL import Image

    from ..validation import check_images

    try:  # the header alone gives the size: refuse decompression bombs before decoding
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
    except Exception:  # noqa: BLE001 - undecodable input gets the library's message below
        width = height = 0
    if width * height > MAX_PIXELS:
        raise HTTPException(413, f"image too large: {width}x{height} pixels; the limit is {MAX_PIXELS:,} pixels")
    try:
        images, _ = check_images(data)
    except (ValueError, TypeError) as exc:
        raise HTTPException(400, str(exc)) from None
    return images[0]


def _is_blank(exc: ValueError) -> bool:
    from .. import preprocess

    blank = getattr(preprocess, "BlankImageError", None)  # helper P's contract; older versions: the message
    return (blank is not None and isinstance(exc, blank)) or str(exc).startswith("no ink found")


def _png_base64(image: np.ndarray) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image, mode="L").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)


def _predict(clf, data: bytes, start: float) -> Prediction:
    from ..preprocess import mnist_from_array

    t0 = perf_counter()
    image = _decode(data)
    t1 = perf_counter()
    size = (int(image.shape[1]), int(image.shape[0]))
    try:
        mnist = mnist_from_array(image)
    except ValueError as exc:
        if not _is_blank(exc):
            raise HTTPException(400, str(exc)) from None
        t2 = perf_counter()
        timing = Timing(decode_ms=_ms(t1 - t0), preprocess_ms=_ms(t2 - t1), predict_ms=0.0, total_ms=_ms(t2 - start))
        return Prediction(found=False, sure=False, message=str(exc), input_size=size, timing=timing)
    t2 = perf_counter()
    if hasattr(clf, "answer"):  # a handdigits Classifier: everything from one forward pass
        answer = clf.answer(mnist, preprocess=False)
        proba, label = np.asarray(answer.proba[0], dtype=np.float64), int(answer.labels[0])
    else:  # anything with the scikit-learn-style pair
        proba = np.asarray(clf.predict_proba(mnist, preprocess=False), dtype=np.float64)
        label = int(clf.predict(mnist, preprocess=False))  # -1 when the classifier abstains
    t3 = perf_counter()
    order = np.argsort(-proba, kind="stable")[:TOP_K]
    sure = label >= 0
    return Prediction(
        found=True,
        sure=sure,
        digit=label if sure else None,
        message=None if sure else "not sure: the classifier abstained",
        probabilities=[round(float(p), 6) for p in proba],
        top_k=[Candidate(digit=int(d), probability=round(float(proba[d]), 6)) for d in order],
        image_png=_png_base64(mnist),
        input_size=size,
        timing=Timing(
            decode_ms=_ms(t1 - t0), preprocess_ms=_ms(t2 - t1), predict_ms=_ms(t3 - t2), total_ms=_ms(t3 - start)
        ),
    )


def _read(clf, data: bytes, start: float) -> Reading:
    t0 = perf_counter()
    image = _decode(data)
    t1 = perf_counter()
    size = (int(image.shape[1]), int(image.shape[0]))
    try:
        result = clf.read(image)
    except ValueError as exc:
        if not _is_blank(exc):
            raise HTTPException(400, str(exc)) from None
        result, message = None, str(exc)
    t2 = perf_counter()
    timing = Timing(decode_ms=_ms(t1 - t0), preprocess_ms=0.0, predict_ms=_ms(t2 - t1), total_ms=_ms(t2 - start))
    if result is None:
        return Reading(found=False, text="", message=message, result={}, input_size=size, timing=timing)
    text = getattr(result, "text", result if isinstance(result, str) else "")
    payload = _jsonable(result)
    return Reading(
        found=bool(text),
        text=str(text),
        result=payload if isinstance(payload, dict) else {"value": payload},
        input_size=size,
        timing=timing,
    )


def _jsonable(value):
    """Whatever ``Classifier.read`` returns, as JSON-compatible data."""
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)

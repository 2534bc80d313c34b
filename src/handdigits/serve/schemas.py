"""Response models of the web API (pydantic; they also document the API at ``/docs``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Candidate(BaseModel):
    """One digit and its probability."""

    digit: int = Field(ge=0, le=9, examples=[7])
    probability: float = Field(ge=0.0, le=1.0, examples=[0.981])


class Timing(BaseModel):
    """Server-side time spent on a request, in milliseconds."""

    decode_ms: float = Field(description="decoding the image file")
    preprocess_ms: float = Field(description="finding the digit and converting it to 28x28 (MNIST format)")
    predict_ms: float = Field(description="running the model")
    total_ms: float = Field(description="all of the above, plus waiting for a free worker")


class Prediction(BaseModel):
    """The answer of ``POST /api/predict``.

    Three outcomes share this shape (all with HTTP status 200):

    * a digit: ``found`` and ``sure`` are true, ``digit`` is 0-9;
    * not sure: ``found`` is true, ``sure`` is false and ``digit`` is null (the
      classifier abstained: its ``predict`` returned -1); probabilities are given;
    * no digit found (blank or near-blank image): ``found`` is false, ``digit``,
      ``probabilities`` and ``image_png`` are null, ``message`` says why.
    """

    found: bool = Field(description="false when the image holds no digit (blank or near-blank)")
    sure: bool = Field(description="false when no digit was found or the classifier abstained")
    digit: int | None = Field(None, ge=0, le=9, description="the digit, or null (not found / not sure)")
    message: str | None = Field(None, description="why there is no digit (the library's message), else null")
    probabilities: list[float] | None = Field(None, description="probability of each digit 0-9")
    top_k: list[Candidate] = Field(default_factory=list, description="the most likely digits, most likely first")
    image_png: str | None = Field(
        None, description="the 28x28 image the model saw (white on black), base64-encoded PNG"
    )
    input_size: tuple[int, int] = Field(description="width and height of the decoded input image, in pixels")
    timing: Timing


class Reading(BaseModel):
    """The answer of ``POST /api/read`` (numbers mode, when ``Classifier.read`` exists)."""

    found: bool = Field(description="false when the image holds no digit (blank or near-blank)")
    text: str = Field(description="the number read, digits in reading order ('' when none)")
    message: str | None = Field(None, description="why nothing was read (the library's message), else null")
    result: dict = Field(description="everything Classifier.read returned, as JSON ({} when nothing was found)")
    input_size: tuple[int, int]
    timing: Timing


class Health(BaseModel):
    """The answer of ``GET /healthz``."""

    status: str = Field(examples=["ok"])
    version: str = Field(description="handdigits version")
    model: str = Field(description="the classifier in use")
    read: bool = Field(description="whether numbers mode (POST /api/read) is available")
    max_upload_bytes: int
    max_concurrency: int


class Error(BaseModel):
    """Every error answer (4xx, 5xx): a sentence saying what was wrong."""

    detail: str

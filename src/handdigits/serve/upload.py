"""Reading an uploaded image from a request: size cap, multipart or raw bytes, all in memory.

The body is read from the stream chunk by chunk and refused with 413 as soon
as it passes the cap (a ``Content-Length`` above the cap is refused before
reading anything).  ``multipart/form-data`` bodies are parsed in memory with
python-multipart's streaming parser (Starlette's form parser would spool
large files to a temporary file); any other body is taken as the image
file's bytes, whatever its content type (``curl --data-binary`` and
``urllib`` label them ``application/x-www-form-urlencoded``).  Nothing is written to disk.
"""

from __future__ import annotations

from fastapi import HTTPException, Request

# the request bodies POST /api/predict and /api/read accept, for the OpenAPI document
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "an image file (PNG, JPEG, ... anything Pillow reads): as the multipart/form-data "
        "field 'file', or as the raw request body",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "image/png": {"schema": {"type": "string", "format": "binary"}},
            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
FIELD = "file"  # the multipart field that holds the image


def _too_large(size: str, limit: int) -> HTTPException:
    return HTTPException(413, f"upload too large: {size}; the limit is {limit} bytes ({limit / 2**20:.1f} MiB)")


async def read_image_bytes(request: Request, limit: int) -> bytes:
    """The encoded image sent with ``request`` (at most ``limit`` bytes of body).

    Raises:
        HTTPException: 413 when the body is larger than ``limit``; 400 for an
            empty body, a bad ``Content-Length`` or a malformed multipart body.
    """
    length = request.headers.get("content-length")
    if length is not None:
        if not length.strip().isdigit():
            raise HTTPException(400, f"invalid Content-Length header {length!r}; expected a number of bytes")
        if int(length) > limit:
            raise _too_large(f"Content-Length is {int(length)} bytes", limit)
    content_type = request.headers.get("content-type", "").strip().lower()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(f"more than {limit} bytes received", limit)
    if content_type.startswith("multipart/form-data"):
        return _multipart_file(bytes(body), request.headers["content-type"])
    if not body:
        raise HTTPException(400, "empty request body; send an image file (PNG, JPEG, ...) as the body")
    return bytes(body)


def _multipart_file(body: bytes, content_type: str) -> bytes:
    """The bytes of the image part of a multipart/form-data body, parsed in memory."""
    from python_multipart.exceptions import FormParserError
    from python_multipart.multipart import MultipartParser, parse_options_header

    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise HTTPException(400, "multipart/form-data body without a boundary in its Content-Type header")
    parts: list[dict] = []
    header = {"field": bytearray(), "value": bytearray()}

    def on_part_begin():
        parts.append({"headers": {}, "data": bytearray()})

    def on_header_field(data, start, end):
        header["field"] += data[start:end]

    def on_header_value(data, start, end):
        header["value"] += data[start:end]

    def on_header_end():
        parts[-1]["headers"][bytes(header["field"]).lower()] = bytes(header["value"])
        header["field"], header["value"] = bytearray(), bytearray()

    def on_part_data(data, start, end):
        parts[-1]["data"] += data[start:end]

    callbacks = {
        "on_part_begin": on_part_begin,
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_part_data": on_part_data,
    }
    try:
        parser = MultipartParser(boundary, callbacks)
        parser.write(body)
        parser.finalize()
    except FormParserError as exc:  # MultipartParseError is a subclass
        raise HTTPException(400, f"malformed multipart/form-data body: {exc}") from None
    named, with_filename = None, None
    for part in parts:
        _, disposition = parse_options_header(part["headers"].get(b"content-disposition", b""))
        if disposition.get(b"name") == FIELD.encode() and named is None:
            named = part
        if b"filename" in disposition and with_filename is None:
            with_filename = part
    part = named or with_filename
    if part is None:
        raise HTTPException(400, f"multipart/form-data body without a file; send the image in the field {FIELD!r}")
    if not part["data"]:
        raise HTTPException(400, f"the multipart field {FIELD!r} is empty; send an image file (PNG, JPEG, ...)")
    return bytes(part["data"])

"""Refuse a request body larger than MAX_REQUEST_BYTES before anything reads it.

Two layers, because Django's ASGI handler reads the whole body (into a temporary file)
before any middleware runs: the ASGI wrapper answers 413 from the Content-Length
header without receiving the body, and the Django middleware does the same under WSGI
and the test client, before CSRF checking would parse a multipart upload.

Under /api/ both answer as the API does (its error body, and its message with the
limit of the address: what a client splits its batches by), not with the page's.

A body sent chunked (Transfer-Encoding, no Content-Length) is refused with 411 by both:
its size is unknown until all of it is read, and DRF takes a body without a length as
empty, so a chunked API write would otherwise answer 200 having changed nothing.
Browsers always send a length.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

MESSAGE = (
    "This request is {size:.1f} MB; at most {limit:g} MB is accepted. "
    "Split the file, or send the figures through the API in batches."
)


def _limit() -> int:
    return int(settings.MAX_REQUEST_BYTES)


CHUNKED = (
    "Send the body with a Content-Length header: a chunked body (Transfer-Encoding) is "
    "not accepted."
)


def refusal(size: int) -> str:
    return MESSAGE.format(size=size / 1_000_000, limit=_limit() / 1_000_000)


def too_large(size: int, limit: int) -> str:
    """The API's 413 message, from whichever layer refuses the body."""
    return f"This request body is {size:,} bytes; at most {limit:,} are accepted."


def api_limit(own: int | None = None) -> int:
    """The most an API view reads: its own limit (an ApiViewSet's `max_body_bytes`), else
    API_MAX_BODY_BYTES; never more than a layer in front of it takes: this module's
    site-wide limit, or DATA_UPLOAD_MAX_MEMORY_SIZE, through which DRF reads a JSON body
    (`request.body`), which would answer 400 "could not be read" (HTML under DEBUG)."""
    return min(
        int(own or settings.API_MAX_BODY_BYTES),
        int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
        _limit(),
    )


def api_limit_at(path: str) -> int:
    """api_limit() of the view at an address under /api/."""
    try:
        view = resolve(path).func
    except Resolver404:
        view = None
    return api_limit(getattr(getattr(view, "cls", None), "max_body_bytes", None))


def _refused(path: str, length: str | bytes | None, chunked: bool) -> tuple[int, str, bytes]:
    """(status, content type, body) when the body must not be read, else (0, "", b"").

    The API's error body under /api/, plain text elsewhere.
    """
    size = _length(length)
    api = path.startswith("/api/")
    if chunked and not length:
        status, code, message = 411, "length_required", CHUNKED
    elif size > _limit():
        status, code = 413, "too_large"
        message = too_large(size, api_limit_at(path)) if api else refusal(size)
    else:
        return 0, "", b""
    if api:
        body = {"code": code, "message": message, "errors": {}}
        return status, "application/json", json.dumps(body).encode()
    return status, "text/plain; charset=utf-8", message.encode()


def _length(value: str | bytes | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


class BodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        status, content_type, body = _refused(
            request.path_info,
            meta.get("CONTENT_LENGTH"),
            bool(meta.get("HTTP_TRANSFER_ENCODING")),
        )
        if status:
            response = HttpResponse(body, status=status, content_type=content_type)
            response["Connection"] = "close"
            return response
        return self.get_response(request)


# As Django's handler takes them: the events received and sent are read-only mappings.
ASGIApp = Callable[
    [
        dict[str, Any],
        Callable[[], Awaitable[Mapping[str, Any]]],
        Callable[[Mapping[str, Any]], Awaitable[None]],
    ],
    Any,
]


def limit_body(app: ASGIApp) -> ASGIApp:
    """Wrap an ASGI app: an HTTP request announcing too large a body gets 413 at once,
    one sent chunked 411."""

    async def wrapped(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            status, content_type, body = _refused(
                scope.get("path", ""),
                headers.get(b"content-length"),
                b"transfer-encoding" in headers,
            )
            if status:
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [
                            (b"content-type", content_type.encode()),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return wrapped

"""Refuse a request body larger than MAX_REQUEST_BYTES before anything reads it.

Two layers, because Django's ASGI handler reads the whole body (into a temporary file)
before any middleware runs: the ASGI wrapper answers 413 from the Content-Length
header without receiving the body, and the Django middleware does the same under WSGI
and the test client, before CSRF checking would parse a multipart upload.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

MESSAGE = (
    "This request is {size:.1f} MB; at most {limit:g} MB is accepted. "
    "Split the file, or send the figures through the API in batches."
)


def _limit() -> int:
    return int(settings.MAX_REQUEST_BYTES)


def refusal(size: int) -> str:
    return MESSAGE.format(size=size / 1_000_000, limit=_limit() / 1_000_000)


def _answer(path: str, size: int) -> tuple[str, bytes]:
    """The 413's content type and body: the API's error body under /api/, else text."""
    if path.startswith("/api/"):
        body = {"code": "too_large", "message": refusal(size), "errors": {}}
        return "application/json", json.dumps(body).encode()
    return "text/plain; charset=utf-8", refusal(size).encode()


def _length(value: str | bytes | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


class BodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        size = _length(request.META.get("CONTENT_LENGTH"))
        if size > _limit():
            content_type, body = _answer(request.path, size)
            response = HttpResponse(body, status=413, content_type=content_type)
            response["Connection"] = "close"
            return response
        return self.get_response(request)


ASGIApp = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Any]


def limit_body(app: ASGIApp) -> ASGIApp:
    """Wrap an ASGI app: an HTTP request announcing too large a body gets 413 at once."""

    async def wrapped(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            size = _length(headers.get(b"content-length"))
            if size > _limit():
                content_type, body = _answer(scope.get("path", ""), size)
                await send(
                    {
                        "type": "http.response.start",
                        "status": 413,
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

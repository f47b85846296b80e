from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from synchrony.api.services import token_create
from tests.performance.conftest import perf  # noqa: F401  (the same project, 30 days in)


class Api:
    """A JSON client for /api/v1/, as an integration calls it (a token, or a session)."""

    def __init__(self, token: str | None = None, client: Client | None = None) -> None:
        self.client = client or Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, body: Any = None, if_match: Any = None, **headers: Any):
        extra = {**self.headers, **headers}
        if if_match is not None:
            extra["HTTP_IF_MATCH"] = f'"{if_match}"' if isinstance(if_match, int) else if_match
        kwargs: dict[str, Any] = {}
        if body is not None:
            kwargs["data"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
            kwargs["content_type"] = extra.pop("content_type", "application/json")
        return getattr(self.client, method)(path, **kwargs, **extra)

    def get(self, path: str, params: dict | None = None, **headers: Any):
        return self.client.get(path, params or {}, **{**self.headers, **headers})

    def post(self, path: str, body: Any = None, **kw: Any):
        return self._call("post", path, {} if body is None else body, **kw)

    def put(self, path: str, body: Any, **kw: Any):
        return self._call("put", path, body, **kw)

    def patch(self, path: str, body: Any, **kw: Any):
        return self._call("patch", path, body, **kw)

    def delete(self, path: str, **kw: Any):
        return self._call("delete", path, **kw)


@dataclass
class Clients:
    """One API client per role on the cast's project, each with a read-write token."""

    manager: Api
    contributor: Api
    viewer: Api
    outsider: Api
    read_only: Api  # the manager's read-only token
    anonymous: Api


@pytest.fixture
def api(cast) -> Clients:
    def token(user, read_only=False) -> Api:
        return Api(token_create(actor=user, name="t", read_only=read_only)[1])

    return Clients(
        manager=token(cast.manager),
        contributor=token(cast.contributor),
        viewer=token(cast.viewer),
        outsider=token(cast.outsider),
        read_only=token(cast.manager, read_only=True),
        anonymous=Api(),
    )


def assert_error(response, status: int, code: str | None = None, field: str | None = None):
    """The one error body, with the status, code and (optionally) the field at fault."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) >= {"code", "message", "errors"}, body
    assert body["message"], body
    if code is not None:
        assert body["code"] == code, body
    if field is not None:
        assert field in body["errors"], body
    return body

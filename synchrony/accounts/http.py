from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django_htmx.middleware import HtmxDetails

from synchrony.accounts.models import User


class AuthedRequest(HttpRequest):
    """A request past LoginRequiredMiddleware and HtmxMiddleware, for type checking."""

    user: User
    htmx: HtmxDetails


def see_other(to: str, *args: Any, **kwargs: Any) -> HttpResponseRedirect:
    """303 See Other: after a POST that changed something, the browser GETs the result,
    so reloading that page (or going back to it) does not post the change again."""
    response = redirect(to, *args, **kwargs)
    response.status_code = 303
    return response


# Session keys of what is shown once, under one prefix so they are easy to tell apart.
_ONCE = "shown-once:"


def show_once(request: HttpRequest, key: str, value: dict[str, Any]) -> None:
    """Keep `value` for the next page that takes it (after a redirect): a secret made by
    a POST is shown by the GET that follows, and by no later one."""
    request.session[_ONCE + key] = value


def take_shown_once(request: HttpRequest, key: str) -> dict[str, Any] | None:
    """What show_once kept under `key`, gone from the session as it is taken."""
    value = request.session.pop(_ONCE + key, None)
    return value if isinstance(value, dict) else None

from __future__ import annotations

import secrets
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
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


def back_to_next(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    """Back to the page a form came from (its posted `next`, if it is on this site)."""
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(back if back and safe else fallback)


# What is shown once waits in the cache (Redis), never in the session's database row: a
# new API token's secret must not rest in PostgreSQL, even when its page is never opened.
# The session holds only a random name for it under one prefix.
_ONCE = "shown-once:"
SHOWN_ONCE_SECONDS = 600


def show_once(request: HttpRequest, key: str, value: dict[str, Any]) -> None:
    """Keep `value` for the next page that takes it (after a redirect): a secret made by
    a POST is shown by the GET that follows, and by no later one, within ten minutes."""
    name = _ONCE + secrets.token_urlsafe(24)
    cache.set(name, value, timeout=SHOWN_ONCE_SECONDS)
    request.session[_ONCE + key] = name


def take_shown_once(request: HttpRequest, key: str) -> dict[str, Any] | None:
    """What show_once kept under `key`, gone from the session and the cache as it is taken."""
    name = request.session.pop(_ONCE + key, None)
    if not isinstance(name, str):
        return None
    value = cache.get(name)
    cache.delete(name)
    return value if isinstance(value, dict) else None

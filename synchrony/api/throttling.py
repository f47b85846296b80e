"""Request limits per API token and per user (all their tokens and their session together).

Rates come from settings (API_THROTTLE_TOKEN, API_THROTTLE_USER); the request history
lives in the default cache, which is Redis, so every web process counts the same calls.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from synchrony.api.models import ApiToken


class _Throttle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        # Read on every request (DRF reads its rates once, at import), so a changed
        # setting applies at once.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class TokenRateThrottle(_Throttle):
    """Each personal token on its own: one busy integration cannot starve the others."""

    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        token = request.auth
        if not isinstance(token, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}


class UserRateThrottle(_Throttle):
    """Everything one person sends: their tokens and their browser session together."""

    scope = "user"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from synchrony.accounts.models import User


class AuthedRequest(HttpRequest):
    """A request past LoginRequiredMiddleware and HtmxMiddleware, for type checking."""

    user: User
    htmx: HtmxDetails

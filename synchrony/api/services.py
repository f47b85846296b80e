"""Creating, revoking and checking personal API tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils import timezone

from synchrony.api.models import TOKEN_PREFIX, ApiToken
from synchrony.lib.tokens import hash_token, new_token

if TYPE_CHECKING:
    from synchrony.accounts.models import User

# Touching last_used_at on every request would write on every call of a busy client.
LAST_USED_RESOLUTION_SECONDS = 60


def token_create(*, actor: User, name: str, read_only: bool = False) -> tuple[ApiToken, str]:
    """A new token for the actor; the plain token is returned once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the token after what uses it."})
    # The prefix lets secret scanners (and people) recognise a leaked token.
    token = new_token(TOKEN_PREFIX)
    api_token = ApiToken.objects.create(
        user=actor,
        name=name[:80],
        token_hash=hash_token(token),
        hint=token[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 6],
        read_only=read_only,
    )
    return api_token, token


def token_revoke(*, actor: User, token: ApiToken) -> None:
    if token.user_id != actor.pk:
        raise ValidationError("Only the token's owner revokes it.")
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def token_authenticate(token: str) -> ApiToken | None:
    """The active token with this value and an active owner, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    found = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )
    if found is None or not found.user.is_active:
        return None
    now = timezone.now()
    if (
        found.last_used_at is None
        or (now - found.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS
    ):
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        found.last_used_at = now
    return found

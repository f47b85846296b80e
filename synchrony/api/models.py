"""Personal API tokens. Only a token's SHA-256 is stored; the token is shown once."""

from __future__ import annotations

from django.conf import settings
from django.db import models

TOKEN_PREFIX = "syn_"


class ApiToken(models.Model):
    """A person's token: it acts as that person, with their project roles, or less.

    A read-only token may read but never write, whatever its owner may do.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80)
    token_hash = models.CharField(max_length=64, unique=True)
    # The first characters after the prefix, to tell tokens apart in the list.
    hint = models.CharField(max_length=12)
    read_only = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

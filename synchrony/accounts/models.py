from __future__ import annotations

import zoneinfo
from functools import cache

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models


@cache
def time_zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError("“%(value)s” is not a known time zone.", params={"value": value})


class Team(models.Model):
    """A department people belong to: sign-off requests can be addressed to a whole team."""

    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Digest(models.TextChoices):
    OFF = "off", "No digest"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly (on Mondays)"


class User(AbstractUser):
    email = models.EmailField("email address", blank=False)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    teams = models.ManyToManyField(Team, blank=True, related_name="members")
    # Notification kinds this user does not want by email (in-app always shows them).
    email_opt_out = models.JSONField(default=list, blank=True)
    digest = models.CharField(
        "e-mail digest",
        max_length=10,
        choices=Digest.choices,
        default=Digest.OFF,
        help_text="What changed in your projects: launches, failures, goals, stages.",
    )
    # The period ("2026-11-23" or "2026-W48") whose digest this user was last sent (or
    # found nothing to say for): the digest job claims a period by a conditional UPDATE.
    digest_period = models.CharField(max_length=10, blank=True, editable=False)

    class Meta:
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def wants_email(self, kind: str) -> bool:
        return bool(self.email) and self.is_active and kind not in self.email_opt_out

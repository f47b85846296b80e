from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

KINDS = [
    ("launch", "Launches"),
    ("milestone", "Milestones"),
    ("task", "Task deadlines"),
    ("stage", "Stage deadlines"),
    ("standup", "Stand-ups"),
]


class SavedFilter(models.Model):
    """A named calendar view: which channels, projects, teams and kinds it shows."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    name = models.CharField(max_length=100)
    channels = models.ManyToManyField("launches.Channel", blank=True)
    projects = models.ManyToManyField("projects.Project", blank=True)
    teams = models.ManyToManyField("accounts.Team", blank=True)
    kinds = models.JSONField(default=list, blank=True)
    # Subscribed filters tell their owner when a launch in them moves within 7 days,
    # because calendar apps refresh subscribed feeds only every 8 to 24 hours.
    notify_moves = models.BooleanField("tell me when a launch in it moves", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ShareLink(models.Model):
    """A read-only link to a saved filter's calendar. Only the token's hash is stored."""

    saved_filter = models.ForeignKey(SavedFilter, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Link to {self.saved_filter}"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class FeedToken(models.Model):
    """A person's token for ICS feeds; the feed shows what that person may see."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Feed token of {self.user}"

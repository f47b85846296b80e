from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ActivityEvent(models.Model):
    """One change, as it happened: who, what, when, and each field before → after.

    Targets are kept by label and id rather than a foreign key, so the record of a
    deleted task still reads well in the project's history.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, null=True, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    verb = models.CharField(max_length=40)
    target_type = models.CharField(max_length=60)
    target_id = models.BigIntegerField(null=True)
    target_label = models.CharField(max_length=300)
    # The target's version after this change; a stale edit looks up what came since.
    target_version = models.PositiveIntegerField(null=True)
    changes = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "target_version"]),
            models.Index(fields=["project", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.actor} {self.verb} {self.target_label}"


class NotificationKind(models.TextChoices):
    SIGNOFF_REQUESTED = "signoff_requested", "Input or sign-off requested from me"
    SIGNOFF_ANSWERED = "signoff_answered", "My input request was answered"
    TASK_ASSIGNED = "task_assigned", "A task was assigned to me"
    TASK_DUE = "task_due", "My task is due soon or overdue"
    CONTENT_REVIEW = "content_review", "Content waits for my review"
    CONTENT_REVIEWED = "content_reviewed", "My content was reviewed or commented on"
    STAGE_CHANGED = "stage_changed", "A project I am in changed stage"
    MEMBERSHIP = "membership", "I was added to a project"
    LAUNCH_MOVED = "launch_moved", "A launch in my saved calendars moved within 7 days"
    LAUNCH_PROBLEM = "launch_problem", "A launch or channel I answer for has a problem"
    LAUNCH_STEP = "launch_step", "A launch needs a manual step from me"
    STANDUP_AGENDA = "standup_agenda", "A stand-up I attend has its agenda (or is skipped)"
    STANDUP_SUMMARY = "standup_summary", "The summary of a stand-up I attend"
    GOAL_OFF_TRACK = "goal_off_track", "A goal of my project fell behind its trajectory"
    WEBHOOK_DISABLED = "webhook_disabled", "A webhook endpoint I own was disabled"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def email_unsent(self) -> NotificationQuerySet:
        """Those whose e-mail has not gone out, with attempts left."""
        return self.filter(
            emailed_at__isnull=True,
            email_attempts__lt=settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS,
        )


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=40, choices=NotificationKind.choices)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    # Set for notifications that must go out once only (a reminder per task and due date).
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # The e-mail goes out at least once (synchrony/activity/services.py). Set when one is
    # owed: when a worker's message for it is next due, past which the sweep prompts again.
    # None when the recipient does not get this kind by e-mail.
    email_due_at = models.DateTimeField(null=True, blank=True)
    # A worker took the send then; the claim lapses after NOTIFICATION_EMAIL_LEASE_SECONDS,
    # so a worker killed mid-send does not keep it.
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    # Set only once the mail server accepted the message.
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            # The sweep's look-up: the few e-mails owed and not sent.
            models.Index(
                fields=["email_due_at"],
                condition=Q(emailed_at__isnull=True, email_due_at__isnull=False),
                name="notification_email_owed",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_once_per_key",
            )
        ]

    def __str__(self) -> str:
        return self.title

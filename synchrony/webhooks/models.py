"""Outbound event webhooks: endpoints, the events they subscribe to, and the outbox.

An Event is written in the transaction of the change it describes, with one Delivery
per subscribed endpoint; a rolled-back change leaves neither. Its id is the Standard
Webhooks `webhook-id`, the same on every attempt and every replay, and its body is
stored as the exact bytes sent, so every attempt carries the same signature input.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from synchrony.launches.models import RotatingSecret, new_idempotency_key, new_signing_secret


class EventType(models.TextChoices):
    LAUNCH_SCHEDULED = "launch.scheduled", "Launch scheduled (or released from a hold)"
    LAUNCH_HELD = "launch.held", "Launch held (by a manager, not ready, or missed its moment)"
    LAUNCH_FIRED = "launch.fired", "Launch fired (its moment came, channels are sending)"
    LAUNCH_LAUNCHED = "launch.launched", "Launch launched (every channel went out)"
    LAUNCH_PARTLY_LAUNCHED = "launch.partly_launched", "Launch partly launched"
    LAUNCH_FAILED = "launch.failed", "Launch failed (no channel went out)"
    LAUNCH_CANCELLED = "launch.cancelled", "Launch cancelled"
    PROJECT_STAGE_CHANGED = "project.stage_changed", "Project stage changed"
    TASK_CHANGED = "task.changed", "Task created, changed or deleted"
    GOAL_AT_RISK = "goal.at_risk", "Goal at risk or off track"
    STANDUP_AGENDA_READY = "standup.agenda_ready", "Stand-up agenda ready"
    # Sent on demand from the delivery log; nobody subscribes to it.
    TEST = "webhook.test", "Test event"


SUBSCRIBABLE = [(value, label) for value, label in EventType.choices if value != EventType.TEST]


class Endpoint(RotatingSecret, models.Model):
    """A URL another system listens on, and the events it wants.

    Its owner is told when it is disabled after repeated failures. The signing secret is
    kept as it is (it signs every delivery), like a launch channel's, and shown once.
    """

    url = models.CharField("URL", max_length=500)
    description = models.CharField(max_length=300, blank=True)
    # Checked in clean(): at least one, all known.
    event_types = models.JSONField("events", default=list, blank=True)
    enabled = models.BooleanField(default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="webhook_endpoints"
    )
    signing_secret = models.CharField(max_length=100, default=new_signing_secret)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    # Deliveries that failed for good since the last one that got through.
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["url", "id"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.description or self.url

    def get_absolute_url(self) -> str:
        return reverse("webhooks:deliveries", args=[self.pk])

    def clean(self) -> None:
        from synchrony.lib.outbound import UnsafeURL, check_url

        errors: dict[str, str] = {}
        try:
            check_url(self.url)
        except UnsafeURL as error:
            errors["url"] = str(error)
        known = {value for value, _ in SUBSCRIBABLE}
        if not isinstance(self.event_types, list) or not self.event_types:
            errors["event_types"] = "Choose at least one event to send."
        elif set(self.event_types) - known:
            errors["event_types"] = "Unknown event: " + ", ".join(
                sorted(str(t) for t in set(self.event_types) - known)
            )
        if self.owner_id and not (self.owner.is_staff and self.owner.is_active):
            errors["owner"] = "The owner must be an active admin: they answer for the endpoint."
        if errors:
            raise ValidationError(errors)

    @property
    def events(self) -> list[tuple[str, str]]:
        """(type, label) of each event it subscribes to, in the order of EventType (a
        launch's lifecycle first), as the form lists them; an unknown type last."""
        chosen = set(self.event_types)
        known = [(str(value), str(label)) for value, label in SUBSCRIBABLE if value in chosen]
        unknown = sorted(chosen - {value for value, _ in known})
        return known + [(str(t), str(t)) for t in unknown]


class Event(models.Model):
    """Something happened that endpoints may want: written once, sent to each subscriber."""

    id = models.CharField(primary_key=True, max_length=40, default=new_idempotency_key)
    type = models.CharField(max_length=40, choices=EventType.choices)
    # Order is kept per object ("task", 12) and endpoint.
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    # The JSON body exactly as sent: {"type", "timestamp", "data"}.
    payload = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.object_type} {self.object_id}"

    @property
    def pretty_payload(self) -> str:
        try:
            return json.dumps(json.loads(self.payload), indent=2, ensure_ascii=False)
        except ValueError:
            return self.payload


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Retrying"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Not sent (endpoint disabled)"


# Until a delivery is in one of these, later ones for its object and endpoint wait.
UNSETTLED_STATES = (DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.RETRYING)


class Delivery(models.Model):
    """One event on its way to one endpoint; every attempt is in its attempt log."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    # A copy of the event's object ("task:12"), so the order check reads one table.
    object_key = models.CharField(max_length=60)
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When its task was last put on the queue; the sweeper re-enqueues lost ones.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    replay_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replays"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(
                fields=["endpoint", "object_key", "id"],
                condition=Q(state__in=["pending", "sending", "retrying"]),
                name="webhook_delivery_in_line",
            ),
            models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint}"

    @property
    def settled(self) -> bool:
        return self.state not in UNSETTLED_STATES

    @property
    def is_test(self) -> bool:
        return self.event.type == EventType.TEST


class AttemptOutcome(models.TextChoices):
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    RETRY = "retry", "Failed, will retry"
    FAILED = "failed", "Failed"
    LOST = "lost", "Lost (worker stopped mid-send)"


class Attempt(models.Model):
    """One try at sending a delivery: what came back and how long it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(
        max_length=10, choices=AttemptOutcome.choices, default=AttemptOutcome.SENDING
    )
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="one_webhook_attempt_per_number"
            )
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery}"

    @property
    def duration_ms(self) -> int | None:
        if self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds() * 1000)

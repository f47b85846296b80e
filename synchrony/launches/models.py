from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse


class ChannelKind(models.TextChoices):
    EMAIL = "email", "Email"
    SOCIAL = "social", "Social"
    PAID_ADS = "paid_ads", "Paid ads"
    WEB = "web", "Web"
    PR = "pr", "PR"
    EVENTS = "events", "Events"
    SALES_ENABLEMENT = "sales_enablement", "Sales enablement"
    CUSTOMER_SUCCESS = "customer_success", "Customer success"
    OTHER = "other", "Other"


class Channel(models.Model):
    """A place a launch goes out on. Its owner is accountable when an activation fails."""

    name = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=30, choices=ChannelKind.choices, default=ChannelKind.OTHER)
    colour = models.CharField(
        max_length=7,
        default="#4f6bed",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a hex colour such as #4f6bed.")],
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_channels"
    )
    description = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)
    # Two launches on this channel closer than this collide: warned, or refused if
    # the channel does not allow collisions.
    collision_window_hours = models.PositiveIntegerField(
        default=24, validators=[MinValueValidator(1)]
    )
    allow_collisions = models.BooleanField(
        default=True, help_text="Off: a colliding launch is refused, not just flagged."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Blackout(models.Model):
    """Dates on which nothing may launch on a channel (a holiday, a freeze)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="blackouts")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["starts_on"]

    def __str__(self) -> str:
        return f"{self.channel}: {self.reason}"

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "A blackout cannot end before it starts."})


class LaunchStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    LAUNCHED = "launched", "Launched"
    PARTLY_LAUNCHED = "partly_launched", "Partly launched"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# A launch in these states is history: its moment can no longer move.
FINAL_STATUSES = (
    LaunchStatus.LAUNCHED,
    LaunchStatus.PARTLY_LAUNCHED,
    LaunchStatus.FAILED,
    LaunchStatus.CANCELLED,
)


class Launch(models.Model):
    """A coordinated launch: every activation goes live at one moment.

    The moment is stored in UTC (`go_live`), and the wall time and zone it was planned
    in are kept, so a launch planned for 09:00 in Berlin stays 09:00 in Berlin.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="launches"
    )
    name = models.CharField(max_length=200)
    go_live = models.DateTimeField(db_index=True)
    # The wall time as planned, in `time_zone`: a date and a time, no zone semantics.
    local_date = models.DateField("go-live date")
    local_time = models.TimeField("go-live time")
    time_zone = models.CharField(max_length=64)
    status = models.CharField(
        max_length=20, choices=LaunchStatus.choices, default=LaunchStatus.DRAFT
    )
    notes = models.TextField(blank=True, max_length=5000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["go_live", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("launches:detail", args=[self.pk])

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def local_go_live(self) -> dt.datetime:
        return dt.datetime.combine(self.local_date, self.local_time)


class Activation(models.Model):
    """What goes out on one channel when its launch goes live."""

    launch = models.ForeignKey(Launch, on_delete=models.CASCADE, related_name="activations")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="activations")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True, max_length=20000)
    link = models.URLField(blank=True, max_length=500)
    audience = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["channel__name"]
        constraints = [
            models.UniqueConstraint(fields=["launch", "channel"], name="one_activation_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.launch} on {self.channel}"


class GateStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    READY = "ready", "Ready"
    WAIVED = "waived", "Waived"


class ReadinessGate(models.Model):
    """Something that must be true before go-live: product shipped, sales briefed…"""

    launch = models.ForeignKey(Launch, on_delete=models.CASCADE, related_name="gates")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_gates",
    )
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="gates"
    )
    due_date = models.DateField(null=True, blank=True)
    required = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=GateStatus.choices, default=GateStatus.PENDING)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.owner_id is None and self.team_id is None:
            raise ValidationError({"owner": "A gate needs an owner or a team."})


class Milestone(models.Model):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(max_length=200)
    date = models.DateField(db_index=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return self.title

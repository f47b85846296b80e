from __future__ import annotations

import base64
import datetime as dt
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import formats, timezone

from synchrony.lib.text import short_span


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


class AdapterKind(models.TextChoices):
    MANUAL = "manual", "Manual (a person does it)"
    WEBHOOK = "webhook", "Outbound webhook"
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack incoming webhook"


def new_signing_secret() -> str:
    """A Standard Webhooks secret: whsec_ and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def new_idempotency_key() -> str:
    return "msg_" + secrets.token_urlsafe(18)


class RotatingSecret:
    """A Standard Webhooks signing secret that can be rotated: the previous one stays
    valid for SECRET_GRACE, and meanwhile every delivery carries both signatures, so the
    receiver switches over without dropping one. For a versioned model with
    `signing_secret`, `previous_secret` and `previous_secret_until`."""

    SECRET_GRACE = dt.timedelta(hours=24)
    signing_secret: str
    previous_secret: str
    previous_secret_until: dt.datetime | None
    version: int

    def signing_secrets(self, now: dt.datetime) -> list[str]:
        """The current secret, and the previous one while its grace lasts."""
        keep_previous = self.previous_secret and (
            self.previous_secret_until is None or self.previous_secret_until > now
        )
        return [self.signing_secret] + ([self.previous_secret] if keep_previous else [])

    def previous_secret_works(self, now: dt.datetime) -> bool:
        """Whether the secret the last rotation replaced still verifies deliveries."""
        return len(self.signing_secrets(now)) > 1

    @property
    def rotated_at(self) -> dt.datetime | None:
        """When the current secret was made by a rotation; None if it came with the row."""
        if self.previous_secret_until is None:
            return None
        return self.previous_secret_until - self.SECRET_GRACE

    @property
    def secret_hint(self) -> str:
        """Enough of the secret to tell which one a receiver has, not enough to sign."""
        return self.signing_secret[:10] + "…"

    @property
    def previous_secret_hint(self) -> str:
        return self.previous_secret[:10] + "…" if self.previous_secret else ""

    def rotate_secret(self, now: dt.datetime, *, end_previous: bool) -> str:
        """A new secret, saved; the one it replaces stays valid for SECRET_GRACE.

        Only one previous secret is kept: rotating again while it still works ends it at
        once, and a receiver still on it fails every delivery from then on. That is
        refused unless the caller says it means it (`end_previous`). Returns the hint of
        the previous secret it ended so, or "".
        """
        ended = self.previous_secret_hint if self.previous_secret_works(now) else ""
        if ended and not end_previous:
            until = formats.date_format(
                timezone.localtime(self.previous_secret_until or now), "j M Y, H:i"
            )
            raise ValidationError(
                f"Not rotated: the previous secret ({self.previous_secret_hint}) still works "
                f"until {until}, and rotating again would end it at once. Confirm that "
                "receivers no longer use it.",
                code="previous_secret_works",
            )
        self.previous_secret = self.signing_secret
        self.previous_secret_until = now + self.SECRET_GRACE
        self.signing_secret = new_signing_secret()
        # What the row shows changed (previous_secret_until): its ETag moves on. The
        # caller holds the row's lock.
        self.version += 1
        self.save(  # type: ignore[attr-defined]
            update_fields=["signing_secret", "previous_secret", "previous_secret_until", "version"]
        )
        return ended

    @staticmethod
    def rotation_note(ended: str) -> str:
        """The history's note on a rotation (never a secret, only a hint of one)."""
        note = "The previous secret stays valid for 24 hours."
        if ended:
            note += f" The one before it ({ended}) stopped working at once."
        return note


class Channel(RotatingSecret, models.Model):
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
    # How an activation goes out (synchrony/launches/adapters.py).
    adapter = models.CharField(
        max_length=20, choices=AdapterKind.choices, default=AdapterKind.MANUAL
    )
    endpoint_url = models.CharField(
        "endpoint URL", max_length=500, blank=True, help_text="Webhook and Slack channels."
    )
    recipients = models.CharField(
        max_length=1000, blank=True, help_text="Email channels: addresses, comma-separated."
    )
    # Signs webhook deliveries (HMAC-SHA256). Rotating keeps the previous secret valid
    # for a day, and deliveries carry both signatures meanwhile.
    signing_secret = models.CharField(max_length=100, default=new_signing_secret)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    timeout_seconds = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    max_attempts = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    # Set when the endpoint answered 410 Gone: nothing is sent until someone re-enables it.
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # Bumped by every settings change (services.channel_update): the form's and the
    # API's If-Match check against it, so one editor never silently undoes another.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from synchrony.lib.outbound import UnsafeURL, check_url

        if self.endpoint_url:
            try:
                check_url(self.endpoint_url)
            except UnsafeURL as error:
                raise ValidationError({"endpoint_url": str(error)}) from None
        if self.adapter in (AdapterKind.WEBHOOK, AdapterKind.SLACK) and not self.endpoint_url:
            raise ValidationError({"endpoint_url": "A webhook or Slack channel needs a URL."})
        if self.adapter == AdapterKind.EMAIL and not self.recipients.strip():
            raise ValidationError({"recipients": "An e-mail channel needs recipients."})


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
    ARMED = "armed", "Armed"  # the engine took it: go-live is seconds away
    FIRING = "firing", "Firing"
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
# The engine holds these: nobody edits a launch that is going out.
ENGINE_STATUSES = (LaunchStatus.ARMED, LaunchStatus.FIRING)
# A manager may hold these by hand (engine.hold): up to the moment firing starts.
HOLDABLE_STATUSES = (LaunchStatus.SCHEDULED, LaunchStatus.ARMED)


class LaunchPolicy(models.TextChoices):
    HOLD = "hold", "Hold the whole launch when a channel is not ready"
    DROP = "drop", "Drop the failing channel and go"


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
    policy = models.CharField(
        "when a channel is not ready",
        max_length=10,
        choices=LaunchPolicy.choices,
        default=LaunchPolicy.HOLD,
    )
    hold_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The engine's bookkeeping (synchrony/launches/engine.py).
    next_check_at = models.DateTimeField(null=True, blank=True)  # next preflight
    armed_at = models.DateTimeField(null=True, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # First send minus go-live, and last minus first send, over automated channels.
    lateness_ms = models.IntegerField(null=True, blank=True)
    skew_ms = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["go_live", "id"]
        indexes = [models.Index(fields=["status", "go_live"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("launches:detail", args=[self.pk])

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_going_out(self) -> bool:
        return self.status in ENGINE_STATUSES

    @property
    def is_holdable(self) -> bool:
        return self.status in HOLDABLE_STATUSES

    @property
    def local_go_live(self) -> dt.datetime:
        return dt.datetime.combine(self.local_date, self.local_time)


class ActivationState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Retrying"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    # Caught mid-send by a crash, on a channel that cannot deduplicate: its owner decides.
    UNKNOWN = "unknown", "Unknown (check by hand)"
    WAITING = "waiting", "Waiting for its owner"
    DONE = "done", "Done by hand"
    OVERDUE = "overdue", "Overdue"
    DROPPED = "dropped", "Dropped at preflight"
    CANCELLED = "cancelled", "Cancelled"


# An activation in one of these has its fate decided; a launch settles when all have.
SETTLED_STATES = frozenset(
    {
        ActivationState.DELIVERED,
        ActivationState.FAILED,
        ActivationState.UNKNOWN,
        ActivationState.DONE,
        ActivationState.OVERDUE,
        ActivationState.DROPPED,
        ActivationState.CANCELLED,
    }
)
SUCCESS_STATES = frozenset({ActivationState.DELIVERED, ActivationState.DONE})


class ActivationQuerySet(models.QuerySet["Activation"]):
    def change(self, **fields: object) -> int:
        """update() as every change to an activation is made: its version (its ETag) goes
        up, so an edit opened before the engine or a person moved it is refused as stale."""
        return self.update(version=models.F("version") + 1, **fields)


class Activation(models.Model):
    """What goes out on one channel when its launch goes live, and what became of it."""

    launch = models.ForeignKey(Launch, on_delete=models.CASCADE, related_name="activations")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="activations")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True, max_length=20000)
    link = models.URLField(blank=True, max_length=500)
    audience = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)
    # Sent as webhook-id with every attempt: receivers deduplicate by it.
    idempotency_key = models.CharField(max_length=40, unique=True, default=new_idempotency_key)
    state = models.CharField(
        max_length=10, choices=ActivationState.choices, default=ActivationState.PENDING
    )
    due_at = models.DateTimeField(null=True, blank=True)
    first_sent_at = models.DateTimeField(null=True, blank=True)  # attempt 1 left
    sent_at = models.DateTimeField(null=True, blank=True)  # the latest attempt left
    answered_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    retry_armed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    owner_notified_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    manual_task = models.ForeignKey(
        "planning.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ActivationQuerySet.as_manager()

    class Meta:
        ordering = ["channel__name"]
        constraints = [
            models.UniqueConstraint(fields=["launch", "channel"], name="one_activation_per_channel")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.launch} on {self.channel}"

    @property
    def recovered(self) -> bool:
        """Delivered, but only after a failed attempt: counted, never hidden."""
        return self.state == ActivationState.DELIVERED and self.attempts > 1

    @property
    def settled(self) -> bool:
        return self.state in SETTLED_STATES


class AttemptOutcome(models.TextChoices):
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    RETRY = "retry", "Failed, will retry"
    FAILED = "failed", "Failed"
    LOST = "lost", "Lost (worker stopped mid-send)"


class DeliveryAttempt(models.Model):
    """One try at sending an activation: every attempt is kept."""

    activation = models.ForeignKey(Activation, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(
        max_length=10, choices=AttemptOutcome.choices, default=AttemptOutcome.SENDING
    )
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activation", "number"], name="one_attempt_per_number")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} at {self.activation}"

    @property
    def duration_ms(self) -> int | None:
        if self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds() * 1000)


class CheckOccasion(models.TextChoices):
    # At one of LAUNCH_PREFLIGHT_OFFSETS before go-live (or as soon as the dispatcher
    # could, after a move).
    PLANNED = "planned", "Before go-live"
    # Scheduled or released after a check's moment had passed: that check, run at once.
    SCHEDULING = "scheduling", "On scheduling"
    # The dispatcher's last word as it arms the launch, seconds before go-live.
    ARMING = "arming", "At arming"


class PreflightCheck(models.Model):
    """One run of the checks before go-live: gates, content, channels."""

    launch = models.ForeignKey(Launch, on_delete=models.CASCADE, related_name="preflights")
    ran_at = models.DateTimeField()
    go_live = models.DateTimeField()  # the moment it checked for
    # Failing it holds the launch (or drops channels): the check at the last offset, and
    # the one at arming. Earlier checks only warn.
    final = models.BooleanField(default=False)
    occasion = models.CharField(
        max_length=12, choices=CheckOccasion.choices, default=CheckOccasion.PLANNED
    )
    # [{"kind": "gate" | "content" | "channel", "subject": str, "message": str}]
    problems = models.JSONField(default=list, blank=True)
    action = models.CharField(max_length=200, blank=True)  # held, channels dropped…

    class Meta:
        ordering = ["-ran_at", "-id"]

    def __str__(self) -> str:
        return f"preflight of {self.launch} at {self.ran_at:%Y-%m-%d %H:%M}"

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def label(self) -> str:
        """What this check was. A launch that passes the check at its last offset is
        checked once more at arming, and failing either holds it: both used to read
        "final check"."""
        before = f"{short_span((self.go_live - self.ran_at).total_seconds())} before go-live"
        if self.occasion == CheckOccasion.ARMING:
            return f"at arming, {before}: must pass, the last word"
        # A final check's problems hold the launch, or drop channels by its policy.
        what = "must pass" if self.final else "early warning"
        if self.occasion == CheckOccasion.SCHEDULING:
            return f"on scheduling, {before}: {what}"
        return f"{before}: {what}"


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

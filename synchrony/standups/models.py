"""Stand-ups: a series that meets on a schedule, its meetings, their agendas and records.

A meeting's agenda is a snapshot of what the project data said when it was written;
notes, decisions, action items and attendance are rows of their own, so two
facilitators never overwrite each other, and the record outlives the data it was about.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from synchrony.accounts.models import validate_time_zone
from synchrony.standups.schedule import Occurrence, Rule, describe, occurrence_on


class Cadence(models.IntegerChoices):
    WEEKLY = 1, "Weekly"
    BIWEEKLY = 2, "Every two weeks"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


# How long a stand-up may be planned for: the one rule the form, the API and the services
# share (the form's input shows it as its min and max).
DURATION_MIN = 5
DURATION_MAX = 240


class StandupSeries(models.Model):
    """A recurring stand-up of one or more projects, or of a team."""

    name = models.CharField(max_length=120)
    projects = models.ManyToManyField("projects.Project", blank=True, related_name="standup_series")
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="standup_series",
        help_text="A team's stand-up: its members see it and can attend.",
    )
    cadence_weeks = models.PositiveSmallIntegerField(
        "cadence", choices=Cadence.choices, default=Cadence.WEEKLY
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)
    local_time = models.TimeField("time", default=dt.time(9, 30))
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    duration_minutes = models.PositiveSmallIntegerField(
        "duration (minutes)",
        default=30,
        validators=[MinValueValidator(DURATION_MIN), MaxValueValidator(DURATION_MAX)],
    )
    starts_on = models.DateField(
        "first meeting on or after", help_text="Every-two-weeks series count from this date."
    )
    shift_gap = models.BooleanField(
        "on days the clocks jump forward, meet just after the jump (for times such as 02:30)",
        default=False,
    )
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="facilitated_standups"
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="standup_series"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "stand-up series"
        verbose_name_plural = "stand-up series"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("standups:series", args=[self.pk])

    @property
    def rule(self) -> Rule:
        return Rule(
            weekday=self.weekday,
            cadence_weeks=self.cadence_weeks,
            local_time=self.local_time,
            time_zone=self.time_zone,
            duration_minutes=self.duration_minutes,
            starts_on=self.starts_on,
            shift_gap=self.shift_gap,
        )

    @property
    def schedule_text(self) -> str:
        return describe(self.rule)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def occurrence(self, day: dt.date) -> Occurrence:
        return occurrence_on(self.rule, day)


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    RUNNING = "running", "Running"
    ENDED = "ended", "Held"
    SKIPPED = "skipped", "Skipped"


class Meeting(models.Model):
    """One meeting of a series, made when its agenda is due or someone opens it."""

    series = models.ForeignKey(StandupSeries, on_delete=models.CASCADE, related_name="meetings")
    local_date = models.DateField("date")
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    time_note = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    skip_reason = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The record in words (notes, decisions, action items, attendance), written when the
    # meeting ends: e-mailed to attendees and searched in the history.
    summary = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "local_date"], name="one_meeting_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.series} on {self.local_date:%-d %b %Y}"

    def get_absolute_url(self) -> str:
        return reverse("standups:meeting", args=[self.pk])

    @property
    def duration(self) -> dt.timedelta | None:
        if self.started_at and self.ended_at:
            return self.ended_at - self.started_at
        return None

    @property
    def duration_minutes(self) -> int | None:
        duration = self.duration
        return None if duration is None else max(1, round(duration.total_seconds() / 60))

    @property
    def is_open(self) -> bool:
        """Notes, action items and attendance can still change."""
        return self.status == MeetingStatus.RUNNING

    @property
    def not_held(self) -> bool:
        return self.status == MeetingStatus.SCHEDULED and self.ends_at < timezone.now()


class AgendaState(models.TextChoices):
    WRITING = "writing", "Being written"
    READY = "ready", "Ready"


class Agenda(models.Model):
    """What the data said before a meeting: one per meeting, rewritten in place on demand."""

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="agenda")
    state = models.CharField(
        max_length=10, choices=AgendaState.choices, default=AgendaState.WRITING
    )
    written_at = models.DateTimeField(null=True, blank=True)
    # None: written by the scheduler.
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    since = models.DateTimeField(null=True, blank=True)  # the last stand-up
    until = models.DateTimeField(null=True, blank=True)  # the next one
    data = models.JSONField(default=dict, blank=True)
    revision = models.PositiveIntegerField(default=0)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "agenda"

    def __str__(self) -> str:
        return f"agenda of {self.meeting}"

    @property
    def is_ready(self) -> bool:
        return self.state == AgendaState.READY and self.revision > 0


class NoteKind(models.TextChoices):
    NOTE = "note", "Note"
    DECISION = "decision", "Decision"


class MeetingNote(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="notes")
    section = models.CharField(max_length=60)
    # The agenda item it is about, if any ("task-12"), and how that item read.
    item_key = models.CharField(max_length=60, blank=True)
    item_label = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=10, choices=NoteKind.choices, default=NoteKind.NOTE)
    body = models.TextField(max_length=5000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "note"

    def __str__(self) -> str:
        return self.body[:60]

    def clean(self) -> None:
        if not self.body.strip():
            raise ValidationError({"body": "Write the note first."})


class ActionItem(models.Model):
    """Something someone agreed to do; on a project it is a planning task from the start."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="action_items")
    series = models.ForeignKey(StandupSeries, on_delete=models.CASCADE, related_name="action_items")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="standup_action_items",
    )
    due_date = models.DateField(null=True, blank=True)
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="standup_action_items",
    )
    task = models.ForeignKey(
        "planning.Task",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="standup_action_items",
    )
    section = models.CharField(max_length=60, blank=True)
    item_key = models.CharField(max_length=60, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Action items of a team stand-up without a project have no task: closed here.
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "action item"
        indexes = [models.Index(fields=["series", "closed_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def state(self) -> str:
        """open, done, or gone (its task was deleted)."""
        if self.task_id is not None:
            return "done" if self.task.status == "done" else "open"  # type: ignore[union-attr]
        if self.project_id is not None or self.closed_at is not None:
            # A project's action item without its task: the task was deleted.
            return "done" if self.closed_at else "gone"
        return "open"

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    @property
    def status_label(self) -> str:
        if self.task_id is not None:
            return self.task.get_status_display()  # type: ignore[union-attr]
        return {"done": "Done", "gone": "Task deleted", "open": "Open"}[self.state]


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="standup_attendance"
    )
    present = models.BooleanField(default=False)
    # Not on the series' attendee list: came along this time.
    guest = models.BooleanField(default=False)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    marked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user__first_name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="one_attendance_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.meeting}"


class DiscussedItem(models.Model):
    """An agenda item the meeting got through. Marking is idempotent: one row per item."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="discussed")
    key = models.CharField(max_length=60)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "key"], name="discussed_once"),
            models.CheckConstraint(condition=~Q(key=""), name="discussed_item_has_key"),
        ]

    def __str__(self) -> str:
        return self.key

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


class Stage(models.TextChoices):
    DEVELOPMENT = "development", "Development"
    PLANNING = "planning", "Planning"
    ACTIVATION = "activation", "Activation"
    PERFORMANCE = "performance", "Performance"
    REVIEW = "review", "Review"
    CLOSED = "closed", "Closed"


STAGE_ORDER: list[str] = list(Stage.values)
WORK_STAGES: list[str] = STAGE_ORDER[:-1]

# The practice that keeps people in step during each stage (see DESIGN.md).
PRACTICES: dict[str, tuple[str, str]] = {
    Stage.DEVELOPMENT: (
        "Collaboration",
        "Goals, scope and channels are set with input and sign-off from sales, IT, "
        "customer success and accounting.",
    ),
    Stage.PLANNING: (
        "Visibility",
        "One view of every task, deadline, piece of content and budget line, "
        "and of everyone's progress.",
    ),
    Stage.ACTIVATION: (
        "Regular stand-ups",
        "The team meets weekly or every two weeks so everyone sees how their part "
        "affects the whole launch.",
    ),
    Stage.PERFORMANCE: (
        "Monitoring and shared reports",
        "Channel results are watched against the goals and shared as they happen.",
    ),
    Stage.REVIEW: (
        "No-fault transparency",
        "A blameless look at what worked and what needs work, so lessons reach the next project.",
    ),
    Stage.CLOSED: ("Archive", "The project is closed and kept as history."),
}


class Role(models.TextChoices):
    MANAGER = "manager", "Manager"
    CONTRIBUTOR = "contributor", "Contributor"
    VIEWER = "viewer", "Viewer"


class Project(models.Model):
    name = models.CharField(max_length=120)
    summary = models.CharField(max_length=500, blank=True)
    scope = models.TextField(blank=True, max_length=5000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_projects"
    )
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.DEVELOPMENT)
    promotion_start = models.DateField("promotion starts", null=True, blank=True)
    promotion_end = models.DateField("promotion ends", null=True, blank=True)
    # Planned stage deadlines: shown on calendars and as the timeline's future bands.
    development_due = models.DateField("Development ends", null=True, blank=True)
    planning_due = models.DateField("Planning ends", null=True, blank=True)
    activation_due = models.DateField("Activation ends", null=True, blank=True)
    performance_due = models.DateField("Performance ends", null=True, blank=True)
    review_due = models.DateField("Review ends", null=True, blank=True)
    channels = models.ManyToManyField("launches.Channel", blank=True, related_name="projects")
    budget = models.DecimalField(
        "total budget",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    # Bumped by every budget-line change: an approval names the budget it saw.
    budget_version = models.PositiveIntegerField(default=1)
    budget_approved_at = models.DateTimeField(null=True, blank=True)
    budget_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="projects"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Annotated by projects_for_user(): the viewer's role on this project.
    user_role: str | None

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.pk])

    def clean(self) -> None:
        if (
            self.promotion_start
            and self.promotion_end
            and self.promotion_end < self.promotion_start
        ):
            raise ValidationError({"promotion_end": "The promotion cannot end before it starts."})
        previous: tuple[str, dt.date] | None = None
        for stage, due in self.stage_deadlines():
            if previous and due < previous[1]:
                raise ValidationError(
                    {
                        f"{stage}_due": f"{Stage(stage).label} cannot end before "
                        f"{Stage(previous[0]).label} ({previous[1]:%-d %b %Y})."
                    }
                )
            previous = (stage, due)

    def stage_deadlines(self) -> list[tuple[str, dt.date]]:
        """The planned end of each work stage that has one, in stage order."""
        return [
            (stage, due)
            for stage in WORK_STAGES
            if (due := getattr(self, f"{stage}_due")) is not None
        ]

    @property
    def is_closed(self) -> bool:
        return self.stage == Stage.CLOSED

    @property
    def stage_index(self) -> int:
        return STAGE_ORDER.index(self.stage)

    @property
    def next_stage(self) -> str | None:
        i = self.stage_index
        return STAGE_ORDER[i + 1] if i + 1 < len(STAGE_ORDER) else None

    @property
    def previous_stage(self) -> str | None:
        i = self.stage_index
        return STAGE_ORDER[i - 1] if i > 0 else None


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CONTRIBUTOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role", "user__first_name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) in {self.project}"


class Goal(models.Model):
    """A measurable aim set in Development: from baseline to target by a date."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="goals")
    metric = models.CharField(max_length=120)
    baseline = models.DecimalField(max_digits=14, decimal_places=2)
    target = models.DecimalField(max_digits=14, decimal_places=2)
    unit = models.CharField(max_length=30, blank=True)
    due_date = models.DateField()
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.metric

    def clean(self) -> None:
        if self.baseline is not None and self.target is not None and self.baseline == self.target:
            raise ValidationError({"target": "The target must differ from the baseline."})
        start = self.project.promotion_start if self.project_id else None
        if self.due_date and start and self.due_date < start:
            raise ValidationError(
                {
                    "due_date": "A goal cannot be due before the promotion starts "
                    f"({start:%d %b %Y})."
                }
            )


class RequestKind(models.TextChoices):
    SIGNOFF = "signoff", "Sign-off"
    INPUT = "input", "Input"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Signed off"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    ANSWERED = "answered", "Answered"


class InputRequest(models.Model):
    """Development's collaboration: a question or a sign-off asked of a person or a team."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="input_requests")
    kind = models.CharField(max_length=10, choices=RequestKind.choices, default=RequestKind.SIGNOFF)
    title = models.CharField("what is asked", max_length=200)
    details = models.TextField(blank=True, max_length=5000)
    requested_from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="person",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="input_requests",
    )
    requested_from_team = models.ForeignKey(
        "accounts.Team",
        verbose_name="team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="input_requests",
    )
    required = models.BooleanField(
        "required to leave Development",
        default=True,
        help_text="A required sign-off must be given before the project leaves Development.",
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    response = models.TextField(blank=True, max_length=5000)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    answerable: bool  # set by the stage page for the viewing user

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(requested_from_user__isnull=False, requested_from_team__isnull=True)
                | Q(requested_from_user__isnull=True, requested_from_team__isnull=False),
                name="input_request_one_addressee",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:request", args=[self.pk])

    def clean(self) -> None:
        if bool(self.requested_from_user_id) == bool(self.requested_from_team_id):
            raise ValidationError({"requested_from_user": "Ask either one person or one team."})

    @property
    def addressee(self) -> object:
        return self.requested_from_user or self.requested_from_team

    @property
    def is_open(self) -> bool:
        return self.status == RequestStatus.PENDING

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_date is not None and self.due_date < timezone.localdate()

    @property
    def blocks_development(self) -> bool:
        return (
            self.kind == RequestKind.SIGNOFF
            and self.required
            and self.status != RequestStatus.APPROVED
        )

    def is_addressed_to(self, user: object) -> bool:
        pk = getattr(user, "pk", None)
        if self.requested_from_user_id is not None:
            return self.requested_from_user_id == pk
        # Reads prefetched members when the caller prefetched them (the stage page does).
        return any(m.pk == pk for m in self.requested_from_team.members.all())  # type: ignore[union-attr]


class StageTransition(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="transitions")
    from_stage = models.CharField(max_length=20, choices=Stage.choices)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    # Set when a manager moved on although exit criteria were missing; lists them.
    overridden = models.BooleanField(default=False)
    missing = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.project}: {self.from_stage} → {self.to_stage}"

    @property
    def is_forward(self) -> bool:
        return STAGE_ORDER.index(self.to_stage) > STAGE_ORDER.index(self.from_stage)

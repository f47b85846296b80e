from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from synchrony.projects.models import WORK_STAGES, Membership, Project, Role, Stage

if TYPE_CHECKING:
    from synchrony.accounts.models import User

ASSIGNABLE_ROLES = (Role.MANAGER, Role.CONTRIBUTOR)


PERSON_FIELDS = ("owner", "reviewer")


def check_assignable(project: Project, user: User | None, field: str) -> None:
    """A new owner must be someone who can work on the project, not a viewer or a stranger.

    Checked only when the person is given the work: someone who later leaves the project
    must not make the rows they own unsavable.
    """
    if user is None:
        return
    if not Membership.objects.filter(
        project=project, user=user, role__in=ASSIGNABLE_ROLES
    ).exists():
        raise ValidationError({field: f"{user} is not a manager or contributor on this project."})


class TaskStatus(models.TextChoices):
    TODO = "todo", "To do"
    DOING = "doing", "Doing"
    BLOCKED = "blocked", "Blocked"
    DONE = "done", "Done"


class Task(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    stage = models.CharField(
        max_length=20,
        choices=[(s, Stage(s).label) for s in WORK_STAGES],
        default=Stage.PLANNING,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_tasks",
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.TODO)
    blocked_reason = models.CharField("why blocked", max_length=300, blank=True)
    depends_on = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="dependents",
        verbose_name="depends on",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    editable: bool  # set by the stage page for the viewing user
    status_error: str  # set by the stage page after a refused status change

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["owner", "status", "due_date"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:stage", args=[self.project_id, self.stage]) + f"#task-{self.pk}"

    def clean(self) -> None:
        if self.status == TaskStatus.BLOCKED and not self.blocked_reason.strip():
            raise ValidationError({"blocked_reason": "Say why the task is blocked."})

    @property
    def is_overdue(self) -> bool:
        return (
            self.due_date is not None
            and self.status != TaskStatus.DONE
            and self.due_date < timezone.localdate()
        )

    @property
    def is_ready_for_planning(self) -> bool:
        return self.owner_id is not None and self.due_date is not None

    def find_cycle(self, depends_on: Iterable[Task]) -> list[Task] | None:
        """The path back to this task if it depended on `depends_on`, else None.

        Reads all dependency edges of the project in one query and walks them.
        """
        Edge = Task.depends_on.through
        edges: dict[int, list[int]] = {}
        for src, dst in Edge.objects.filter(from_task__project_id=self.project_id).values_list(
            "from_task_id", "to_task_id"
        ):
            if src != self.pk:
                edges.setdefault(src, []).append(dst)
        start = [t.pk for t in depends_on]
        edges[self.pk] = start
        path: list[int] = []
        seen: set[int] = set()

        def walk(node: int) -> bool:
            if node == self.pk and path:
                return True
            if node in seen:
                return False
            seen.add(node)
            path.append(node)
            for nxt in edges.get(node, []):
                if walk(nxt):
                    return True
            path.pop()
            return False

        if self.pk is None or not walk(self.pk):
            return None
        names = dict(Task.objects.filter(pk__in=path).values_list("pk", "title"))
        return [Task(pk=pk, title=names.get(pk, "?")) for pk in [*path, self.pk]]


class ContentKind(models.TextChoices):
    BLOG_POST = "blog_post", "Blog post"
    EMAIL = "email", "Email"
    SOCIAL_POST = "social_post", "Social post"
    AD = "ad", "Ad"
    LANDING_PAGE = "landing_page", "Landing page"
    VIDEO = "video", "Video"
    SALES_COLLATERAL = "sales_collateral", "Sales collateral"
    OTHER = "other", "Other"


class ContentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"


class ContentItem(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="content_items")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ContentKind.choices, default=ContentKind.OTHER)
    channel = models.ForeignKey(
        "launches.Channel", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_content",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="content_to_review",
        help_text="Left empty, the project's managers review it.",
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=ContentStatus.choices, default=ContentStatus.DRAFT
    )
    body = models.TextField(blank=True, max_length=20000)
    link = models.URLField(blank=True, max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("planning:content", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        return (
            self.due_date is not None
            and self.status != ContentStatus.APPROVED
            and self.due_date < timezone.localdate()
        )

    @property
    def can_submit(self) -> bool:
        return self.status in (ContentStatus.DRAFT, ContentStatus.CHANGES_REQUESTED)


class ContentComment(models.Model):
    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(max_length=2000)
    # The review decision this comment came with, if any.
    decision = models.CharField(max_length=20, choices=ContentStatus.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:60]


class BudgetCategory(models.TextChoices):
    CONTENT_CREATION = "content_creation", "Content creation"
    DESIGN = "design", "Design"
    MEDIA = "media", "Media"
    OTHER = "other", "Other"


class BudgetLine(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="budget_lines")
    category = models.CharField(max_length=20, choices=BudgetCategory.choices)
    description = models.CharField(max_length=200)
    planned = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    actual = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_budget_lines",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    editable: bool  # set by the stage page for the viewing user

    class Meta:
        ordering = ["category", "id"]

    def __str__(self) -> str:
        return self.description

    @property
    def is_over(self) -> bool:
        return self.actual > self.planned

"""Permission rules for tasks, content and budget lines, and the reads of the Planning views."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from synchrony.planning.models import (
    BudgetCategory,
    BudgetLine,
    ContentItem,
    ContentStatus,
    Task,
    TaskStatus,
)
from synchrony.projects.models import Project, Role, Stage
from synchrony.projects.selectors import get_project_for_user, projects_for_user

if TYPE_CHECKING:
    from synchrony.accounts.models import User

M = TypeVar("M", bound=Model)


def can_edit_task(user: User, task: Task) -> bool:
    """Managers edit every task; contributors the ones they own or created."""
    role = task.project.user_role
    if task.project.is_closed:
        return False
    return role == Role.MANAGER or (
        role == Role.CONTRIBUTOR and user.pk in (task.owner_id, task.created_by_id)
    )


def can_edit_content(user: User, item: ContentItem) -> bool:
    role = item.project.user_role
    if item.project.is_closed:
        return False
    return role == Role.MANAGER or (
        role == Role.CONTRIBUTOR and user.pk in (item.owner_id, item.created_by_id)
    )


def can_review_content(user: User, item: ContentItem) -> bool:
    """Managers review; a named reviewer too, while they can still work on the project."""
    role = item.project.user_role
    if item.project.is_closed or item.status != ContentStatus.IN_REVIEW:
        return False
    return role == Role.MANAGER or (item.reviewer_id == user.pk and role == Role.CONTRIBUTOR)


def can_comment_content(user: User, item: ContentItem) -> bool:
    return not item.project.is_closed and item.project.user_role in (
        Role.MANAGER,
        Role.CONTRIBUTOR,
    )


def can_edit_budget_line(user: User, line: BudgetLine) -> bool:
    role = line.project.user_role
    if line.project.is_closed:
        return False
    return role == Role.MANAGER or (role == Role.CONTRIBUTOR and line.owner_id == user.pk)


def _get_for_user(user: User, model: type[M], pk: int, related: tuple[str, ...]) -> M:
    obj = (
        model._default_manager.select_related("project", *related)
        .filter(pk=pk, project__in=projects_for_user(user))
        .first()
    )
    if obj is None:
        raise Http404(f"No such {model._meta.verbose_name}.")
    obj.project = get_project_for_user(user, obj.project_id)  # type: ignore[attr-defined]
    return obj


def get_task_for_user(user: User, pk: int, *, write: bool = False) -> Task:
    task = _get_for_user(user, Task, pk, ("owner",))
    if write and not can_edit_task(user, task):
        raise PermissionDenied("You can edit tasks you own or created; managers edit all.")
    return task


def get_content_for_user(user: User, pk: int, *, write: bool = False) -> ContentItem:
    item = _get_for_user(user, ContentItem, pk, ("owner", "reviewer", "channel"))
    if write and not can_edit_content(user, item):
        raise PermissionDenied("You can edit content you own or created; managers edit all.")
    return item


def get_budget_line_for_user(user: User, pk: int, *, write: bool = False) -> BudgetLine:
    line = _get_for_user(user, BudgetLine, pk, ("owner",))
    if write and not can_edit_budget_line(user, line):
        raise PermissionDenied("Only managers and the line's owner edit a budget line.")
    return line


def project_tasks(project: Project) -> QuerySet[Task]:
    return project.tasks.select_related("owner").prefetch_related("depends_on")


@dataclass
class BudgetSummary:
    lines: list[BudgetLine]
    by_category: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)
    planned: Decimal = Decimal(0)
    actual: Decimal = Decimal(0)
    warnings: list[str] = field(default_factory=list)


def budget_summary(project: Project) -> BudgetSummary:
    lines = list(project.budget_lines.select_related("owner"))
    summary = BudgetSummary(lines=lines)
    for value, label in BudgetCategory.choices:
        in_cat = [line for line in lines if line.category == value]
        planned = sum((line.planned for line in in_cat), Decimal(0))
        actual = sum((line.actual for line in in_cat), Decimal(0))
        summary.by_category.append((label, planned, actual))
        summary.planned += planned
        summary.actual += actual
    over = [line for line in lines if line.is_over]
    if over:
        summary.warnings.append(
            "Over plan: "
            + ", ".join(f"{line} (+{line.actual - line.planned:,.2f})" for line in over)
        )
    if project.budget is not None and summary.planned > project.budget:
        summary.warnings.append(
            f"Planned spend {summary.planned:,.2f} exceeds the total budget {project.budget:,.2f}."
        )
    if project.budget is not None and summary.actual > project.budget:
        summary.warnings.append(
            f"Actual spend {summary.actual:,.2f} exceeds the total budget {project.budget:,.2f}."
        )
    return summary


@dataclass
class MyWork:
    overdue: list[Task]
    due_soon: list[Task]
    blocked: list[Task]
    content: list[ContentItem]
    to_review: list[ContentItem]


def my_work(user: User, *, days: int = 7) -> MyWork:
    """What the user owns that needs them: overdue, due within `days`, blocked, to review.

    Blocked tasks are a group of their own whatever their date; "due soon" holds only
    what falls due within `days`, blocked or not.
    """
    today = timezone.localdate()
    horizon = today + dt.timedelta(days=days)
    visible = projects_for_user(user).exclude(stage=Stage.CLOSED)
    tasks = list(
        Task.objects.filter(owner=user, project__in=visible)
        .exclude(status=TaskStatus.DONE)
        .filter(Q(due_date__lte=horizon) | Q(status=TaskStatus.BLOCKED))
        .select_related("project")
        .order_by("due_date", "id")
    )
    content = list(
        ContentItem.objects.filter(owner=user, project__in=visible)
        .exclude(status=ContentStatus.APPROVED)
        .select_related("project")
        .order_by("due_date", "id")[:20]
    )
    managed = projects_for_user(user).filter(user_role=Role.MANAGER)
    to_review = list(
        ContentItem.objects.filter(status=ContentStatus.IN_REVIEW, project__in=visible)
        .filter(Q(reviewer=user) | Q(reviewer__isnull=True, project__in=managed))
        .select_related("project", "owner")
        .order_by("due_date", "id")[:20]
    )
    return MyWork(
        overdue=[t for t in tasks if t.due_date and t.due_date < today],
        due_soon=[t for t in tasks if t.due_date and today <= t.due_date <= horizon],
        blocked=[t for t in tasks if t.status == TaskStatus.BLOCKED],
        content=content,
        to_review=to_review,
    )

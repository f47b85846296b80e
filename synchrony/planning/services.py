"""Writes for tasks, content items (with their review flow) and budget lines."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from synchrony.activity.models import NotificationKind
from synchrony.activity.services import (
    notify,
    record_created,
    record_deleted,
    record_event,
    update_versioned,
)
from synchrony.planning.models import (
    PERSON_FIELDS,
    BudgetLine,
    ContentComment,
    ContentItem,
    ContentStatus,
    Task,
    TaskStatus,
    check_assignable,
)
from synchrony.projects.models import Project, Role
from synchrony.projects.services import budget_changed
from synchrony.webhooks.events import EventType, emit

if TYPE_CHECKING:
    from synchrony.accounts.models import User


def _check_dependencies(task: Task, depends_on: Iterable[Task]) -> list[Task]:
    deps = list(depends_on)
    if any(d.project_id != task.project_id for d in deps):
        raise ValidationError({"depends_on": "A task can only depend on tasks of its project."})
    if any(d.pk == task.pk for d in deps):
        raise ValidationError({"depends_on": "A task cannot depend on itself."})
    cycle = task.find_cycle(deps)
    if cycle:
        raise ValidationError(
            {"depends_on": "That would make a cycle: " + " → ".join(t.title for t in cycle)}
        )
    return deps


def _check_done_after_dependencies(title: str, depends_on: Iterable[Task]) -> None:
    """A task is done only after the tasks it depends on ("Tasks that must be done first").

    Read from the database, not from the objects given: a dependency may have been
    reopened since the caller loaded it.
    """
    unfinished = list(
        Task.objects.filter(pk__in=[d.pk for d in depends_on])
        .exclude(status=TaskStatus.DONE)
        .order_by("due_date", "id")
        .values_list("title", flat=True)
    )
    if unfinished:
        names = ", ".join(f"“{title}”" for title in unfinished)
        raise ValidationError({"status": f"“{title}” waits for {names}: finish those first."})


def _check_people(project: Project, fields: dict[str, Any], current: Any = None) -> None:
    """People given work must be able to do it; people already holding it stay."""
    for name in PERSON_FIELDS:
        if name in fields and (current is None or fields[name] != getattr(current, name)):
            check_assignable(project, fields[name], name)


def _notify_owner(task: Task, actor: User) -> None:
    if task.owner is not None:
        notify(
            recipients=[task.owner],
            kind=NotificationKind.TASK_ASSIGNED,
            title=f"{actor} gave you a task: {task.title}",
            body=f"Due {task.due_date:%d %b %Y}." if task.due_date else "",
            url=task.get_absolute_url(),
            project=task.project,
            actor=actor,
        )


def task_create(
    *, actor: User, project: Project, depends_on: Iterable[Task] = (), **fields: Any
) -> Task:
    _check_people(project, fields)
    task = Task(project=project, created_by=actor, **fields)
    if task.status != TaskStatus.BLOCKED:
        task.blocked_reason = ""
    if task.status == TaskStatus.DONE:
        task.completed_at = timezone.now()
    task.full_clean()
    deps = list(depends_on)
    if any(d.project_id != project.pk for d in deps):  # before "waits for", which names them
        raise ValidationError({"depends_on": "A task can only depend on tasks of its project."})
    if task.status == TaskStatus.DONE:
        _check_done_after_dependencies(task.title, deps)
    with transaction.atomic():
        task.save()
        if deps:
            task.depends_on.set(_check_dependencies(task, deps))
        record_created(actor=actor, project=project, target=task)
        emit(EventType.TASK_CHANGED, task, action="created")
        _notify_owner(task, actor)
    return task


def task_update(
    *,
    actor: User,
    task: Task,
    version: int,
    changes: dict[str, Any],
    depends_on: Iterable[Task] | None = None,
) -> Task:
    changes = dict(changes)
    with transaction.atomic():
        # Compare with the stored row, not `task`: a bound ModelForm has already written
        # its values onto the instance, which would hide a change of status or owner.
        stored = Task.objects.select_for_update().get(pk=task.pk)
        _check_people(task.project, changes, stored)
        status = changes.get("status", stored.status)
        if status != TaskStatus.BLOCKED:
            changes["blocked_reason"] = ""
        if status != stored.status:
            changes["completed_at"] = timezone.now() if status == TaskStatus.DONE else None
        deps = _check_dependencies(task, depends_on) if depends_on is not None else None
        if status == TaskStatus.DONE and stored.version == version:
            title = changes.get("title", stored.title)
            current = list(stored.depends_on.all())
            if status != stored.status:
                _check_done_after_dependencies(title, current if deps is None else deps)
            elif deps is not None:
                # Already done: only a newly added dependency must be done too, so a
                # dependency reopened later does not make the done task uneditable.
                _check_done_after_dependencies(title, [d for d in deps if d not in current])
        previous_owner = stored.owner_id
        updated, diff = update_versioned(
            actor=actor,
            project=task.project,
            instance=task,
            version=version,
            changes=changes,
            m2m={"depends_on": deps} if deps is not None else None,
        )
        emit(EventType.TASK_CHANGED if diff else None, updated, action="updated", changed=diff)
        if "owner" in diff and updated.owner_id != previous_owner:
            _notify_owner(updated, actor)
        if "status" in diff and updated.status == TaskStatus.DONE:
            # A manual launch step's task: ticking the task ticks the step off.
            from synchrony.launches.engine import manual_task_done

            manual_task_done(task=updated, actor=actor)
    return updated


def task_delete(*, actor: User, task: Task) -> None:
    with transaction.atomic():
        record_deleted(actor=actor, project=task.project, target=task)
        emit(EventType.TASK_CHANGED, task, action="deleted")
        task.delete()


def content_create(*, actor: User, project: Project, **fields: Any) -> ContentItem:
    _check_people(project, fields)
    item = ContentItem(project=project, created_by=actor, **fields)
    item.full_clean()
    with transaction.atomic():
        item.save()
        record_created(actor=actor, project=project, target=item)
    return item


def content_update(
    *, actor: User, item: ContentItem, version: int, changes: dict[str, Any]
) -> ContentItem:
    changes = dict(changes)
    _check_people(item.project, changes, item)
    # Approval is of what was reviewed: changing the words sends it back to draft.
    if item.status == ContentStatus.APPROVED and any(
        changes.get(f, getattr(item, f)) != getattr(item, f) for f in ("title", "body", "link")
    ):
        changes["status"] = ContentStatus.DRAFT
    updated, _ = update_versioned(
        actor=actor, project=item.project, instance=item, version=version, changes=changes
    )
    return updated


def content_submit(*, actor: User, item: ContentItem, version: int) -> ContentItem:
    if not item.can_submit:
        raise ValidationError(
            f"Content that is {item.get_status_display().lower()} cannot be submitted."
        )
    with transaction.atomic():
        updated, _ = update_versioned(
            actor=actor,
            project=item.project,
            instance=item,
            version=version,
            changes={"status": ContentStatus.IN_REVIEW},
            verb="submitted for review",
        )
        reviewers = (
            [updated.reviewer]
            if updated.reviewer
            else [
                m.user
                for m in item.project.memberships.filter(role=Role.MANAGER).select_related("user")
            ]
        )
        notify(
            recipients=reviewers,
            kind=NotificationKind.CONTENT_REVIEW,
            title=f"{actor} asks you to review “{item.title}”",
            url=item.get_absolute_url(),
            project=item.project,
            actor=actor,
        )
    return updated


def content_review(
    *, actor: User, item: ContentItem, version: int, decision: str, comment: str
) -> ContentItem:
    if item.status != ContentStatus.IN_REVIEW:
        raise ValidationError("Only content in review can be approved or sent back.")
    if decision not in (ContentStatus.APPROVED, ContentStatus.CHANGES_REQUESTED):
        raise ValidationError({"decision": "Approve it or request changes."})
    comment = comment.strip()
    if decision == ContentStatus.CHANGES_REQUESTED and not comment:
        raise ValidationError({"comment": "Say what needs to change."})
    with transaction.atomic():
        updated, _ = update_versioned(
            actor=actor,
            project=item.project,
            instance=item,
            version=version,
            changes={"status": decision},
            verb="reviewed",
            message=comment,
        )
        if comment:
            ContentComment.objects.create(item=item, author=actor, body=comment, decision=decision)
        notify(
            recipients=[p for p in (item.owner, item.created_by) if p],
            kind=NotificationKind.CONTENT_REVIEWED,
            title=f"{actor}: {updated.get_status_display()} — {item.title}",
            body=comment,
            url=item.get_absolute_url(),
            project=item.project,
            actor=actor,
        )
    return updated


def content_comment(*, actor: User, item: ContentItem, body: str) -> ContentComment:
    comment = ContentComment(item=item, author=actor, body=body.strip())
    comment.full_clean()
    with transaction.atomic():
        comment.save()
        record_event(
            actor=actor,
            project=item.project,
            verb="commented on",
            target=item,
            message=comment.body,
        )
        notify(
            recipients=[p for p in (item.owner, item.reviewer, item.created_by) if p],
            kind=NotificationKind.CONTENT_REVIEWED,
            title=f"{actor} commented on “{item.title}”",
            body=comment.body,
            url=item.get_absolute_url(),
            project=item.project,
            actor=actor,
        )
    return comment


def content_delete(*, actor: User, item: ContentItem) -> None:
    with transaction.atomic():
        record_deleted(actor=actor, project=item.project, target=item)
        item.delete()


def budget_line_create(*, actor: User, project: Project, **fields: Any) -> BudgetLine:
    _check_people(project, fields)
    line = BudgetLine(project=project, **fields)
    line.full_clean()
    with transaction.atomic():
        line.save()
        record_created(actor=actor, project=project, target=line)
        budget_changed(project=project, actor=actor, why=f"“{line}” was added")
    return line


def budget_line_update(
    *, actor: User, line: BudgetLine, version: int, changes: dict[str, Any]
) -> BudgetLine:
    _check_people(line.project, changes, line)
    with transaction.atomic():
        updated, diff = update_versioned(
            actor=actor, project=line.project, instance=line, version=version, changes=changes
        )
        # Actual spend is reported against the approved plan; only plan changes withdraw it.
        if set(diff) - {"actual", "owner"}:
            budget_changed(project=line.project, actor=actor, why=f"“{line}” changed")
    return updated


def budget_line_delete(*, actor: User, line: BudgetLine) -> None:
    with transaction.atomic():
        record_deleted(actor=actor, project=line.project, target=line)
        line.delete()
        budget_changed(project=line.project, actor=actor, why=f"“{line}” was removed")


def budget_approve(*, actor: User, project: Project, budget_version: int) -> Project:
    """Approve the budget exactly as the approver saw it (its lines at `budget_version`)."""
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.budget_version != budget_version:
            raise ValidationError(
                "The budget changed since you opened the page; review the lines and approve again."
            )
        if not locked.budget_lines.exists():
            raise ValidationError("Add at least one budget line before approving the budget.")
        updated, _ = update_versioned(
            actor=actor,
            project=locked,
            instance=locked,
            version=locked.version,
            changes={"budget_approved_at": timezone.now(), "budget_approved_by": actor},
            verb="approved the budget of",
        )
    return updated

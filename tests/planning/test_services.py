from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from synchrony.activity.models import ActivityEvent, Notification
from synchrony.activity.services import StaleEdit
from synchrony.planning import services
from synchrony.planning.models import ContentStatus, TaskStatus
from synchrony.projects.models import Stage
from synchrony.projects.stages import exit_criteria
from tests.factories import BudgetLineFactory, ContentItemFactory, TaskFactory


def test_dependencies_that_make_a_cycle_are_refused(cast):
    a, b, c = (TaskFactory(project=cast.project, title=t) for t in "ABC")
    services.task_update(actor=cast.manager, task=b, version=1, changes={}, depends_on=[a])
    services.task_update(actor=cast.manager, task=c, version=1, changes={}, depends_on=[b])
    with pytest.raises(ValidationError) as error:
        services.task_update(actor=cast.manager, task=a, version=1, changes={}, depends_on=[c])
    assert error.value.message_dict["depends_on"] == ["That would make a cycle: A → C → B → A"]
    assert list(a.depends_on.all()) == []


def test_a_task_cannot_depend_on_itself_or_another_project(cast):
    task = TaskFactory(project=cast.project)
    with pytest.raises(ValidationError, match="itself"):
        services.task_update(
            actor=cast.manager, task=task, version=1, changes={}, depends_on=[task]
        )
    with pytest.raises(ValidationError, match="its project"):
        services.task_update(
            actor=cast.manager, task=task, version=1, changes={}, depends_on=[TaskFactory()]
        )


def test_a_blocked_task_needs_a_reason_and_loses_it_when_unblocked(cast):
    with pytest.raises(ValidationError) as error:
        services.task_create(
            actor=cast.manager, project=cast.project, title="X", status=TaskStatus.BLOCKED
        )
    assert "blocked_reason" in error.value.message_dict
    task = services.task_create(
        actor=cast.manager,
        project=cast.project,
        title="X",
        status=TaskStatus.BLOCKED,
        blocked_reason="Waiting for legal",
    )
    task = services.task_update(
        actor=cast.manager, task=task, version=1, changes={"status": TaskStatus.DONE}
    )
    assert task.blocked_reason == ""
    assert task.completed_at is not None


def test_a_task_owner_must_be_able_to_work_on_the_project(cast):
    with pytest.raises(ValidationError) as error:
        services.task_create(actor=cast.manager, project=cast.project, title="X", owner=cast.viewer)
    assert "owner" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.task_create(
            actor=cast.manager, project=cast.project, title="X", owner=cast.outsider
        )


def test_assigning_a_task_tells_its_new_owner(cast):
    task = services.task_create(actor=cast.manager, project=cast.project, title="Landing page")
    services.task_update(
        actor=cast.manager, task=task, version=1, changes={"owner": cast.contributor}
    )
    notification = Notification.objects.get(recipient=cast.contributor)
    assert notification.kind == "task_assigned"
    assert "Landing page" in notification.title


def test_a_stale_task_edit_is_refused_and_nothing_is_saved(cast):
    task = TaskFactory(project=cast.project, title="Draft")
    services.task_update(actor=cast.contributor, task=task, version=1, changes={"title": "Final"})
    with pytest.raises(StaleEdit) as error:
        services.task_update(
            actor=cast.manager,
            task=task,
            version=1,
            changes={"due_date": dt.date(2026, 12, 1)},
            depends_on=[TaskFactory(project=cast.project)],
        )
    assert str(cast.contributor) in error.value.message
    assert "Title: Draft → Final" in error.value.message
    task.refresh_from_db()
    assert task.due_date is None and task.version == 2
    assert list(task.depends_on.all()) == []


def test_every_change_is_recorded_with_before_and_after(cast):
    task = TaskFactory(project=cast.project, title="Draft")
    services.task_update(
        actor=cast.manager,
        task=task,
        version=1,
        changes={"title": "Final", "status": TaskStatus.DOING, "owner": cast.contributor},
    )
    event = ActivityEvent.objects.get(verb="updated")
    assert event.actor == cast.manager
    # As people read them (the history), and as values (the API's 412).
    assert event.changes["title"] == {
        "label": "Title",
        "before": "Draft",
        "after": "Final",
        "before_value": "Draft",
        "after_value": "Final",
    }
    assert event.changes["status"] == {
        "label": "Status",
        "before": "To do",
        "after": "Doing",
        "before_value": "todo",
        "after_value": "doing",
    }
    assert event.changes["owner"]["after"] == str(cast.contributor)
    assert event.changes["owner"]["after_value"] == cast.contributor.pk


def test_planning_exit_needs_owned_dated_tasks_and_an_approved_budget(cast):
    project = cast.project
    project.stage = Stage.PLANNING
    project.save()
    loose = TaskFactory(project=project, title="Loose")
    TaskFactory(project=project, title="Later", stage=Stage.ACTIVATION)  # other stages don't count
    criteria = {c.label: c for c in exit_criteria(project)}
    assert not criteria["Every Planning task has an owner and a due date"].met
    assert "Loose" in criteria["Every Planning task has an owner and a due date"].missing
    services.task_update(
        actor=cast.manager,
        task=loose,
        version=1,
        changes={"owner": cast.contributor, "due_date": timezone.localdate()},
    )
    line = BudgetLineFactory(project=project)
    seen = project.budget_version
    # A line added after the page loaded: the approval the manager clicks must not cover it.
    services.budget_line_create(
        actor=cast.manager,
        project=project,
        category="design",
        description="Late",
        planned=Decimal(5),
    )
    with pytest.raises(ValidationError, match="budget changed since you opened"):
        services.budget_approve(actor=cast.manager, project=project, budget_version=seen)
    project.refresh_from_db()
    project = services.budget_approve(
        actor=cast.manager, project=project, budget_version=project.budget_version
    )
    assert all(c.met for c in exit_criteria(project))
    # A change to the plan withdraws the approval; spend reported against it does not.
    services.budget_line_update(
        actor=cast.manager, line=line, version=1, changes={"actual": Decimal(10)}
    )
    project.refresh_from_db()
    assert project.budget_approved_at is not None
    services.budget_line_update(
        actor=cast.manager, line=line, version=2, changes={"planned": Decimal(2000)}
    )
    project.refresh_from_db()
    assert project.budget_approved_at is None


def test_budget_approval_needs_lines(cast):
    with pytest.raises(ValidationError, match="at least one budget line"):
        services.budget_approve(actor=cast.manager, project=cast.project, budget_version=1)


def test_content_goes_through_review(cast):
    item = ContentItemFactory(
        project=cast.project, owner=cast.contributor, created_by=cast.contributor
    )
    item = services.content_submit(actor=cast.contributor, item=item, version=1)
    assert item.status == ContentStatus.IN_REVIEW
    assert Notification.objects.filter(recipient=cast.manager, kind="content_review").exists()
    with pytest.raises(ValidationError) as error:
        services.content_review(
            actor=cast.manager,
            item=item,
            version=item.version,
            decision=ContentStatus.CHANGES_REQUESTED,
            comment="",
        )
    assert "comment" in error.value.message_dict
    item = services.content_review(
        actor=cast.manager,
        item=item,
        version=item.version,
        decision=ContentStatus.CHANGES_REQUESTED,
        comment="Shorter headline",
    )
    assert item.comments.get().body == "Shorter headline"
    assert Notification.objects.filter(recipient=cast.contributor, kind="content_reviewed").exists()
    item = services.content_submit(actor=cast.contributor, item=item, version=item.version)
    item = services.content_review(
        actor=cast.manager,
        item=item,
        version=item.version,
        decision=ContentStatus.APPROVED,
        comment="",
    )
    assert item.status == ContentStatus.APPROVED
    with pytest.raises(ValidationError):
        services.content_submit(actor=cast.contributor, item=item, version=item.version)
    # Changing approved words sends it back to draft.
    item = services.content_update(
        actor=cast.contributor, item=item, version=item.version, changes={"body": "New"}
    )
    assert item.status == ContentStatus.DRAFT

"""A task is done only after the tasks it depends on: the service refuses, and the
status list, the edit form and the API all show why, where the status is set."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from synchrony.api.services import token_create
from synchrony.planning import services
from synchrony.planning.models import TaskStatus
from tests.api.conftest import Api, assert_error
from tests.conftest import client_for
from tests.factories import TaskFactory

WAITS = "“Publish” waits for “Draft”, “Legal check”: finish those first."


@pytest.fixture
def publish(cast):
    today = timezone.localdate()
    draft = TaskFactory(project=cast.project, title="Draft", due_date=today)
    legal = TaskFactory(
        project=cast.project, title="Legal check", due_date=today + dt.timedelta(days=1)
    )
    done = TaskFactory(project=cast.project, title="Brief", status=TaskStatus.DONE)
    task = TaskFactory(project=cast.project, title="Publish", owner=cast.contributor)
    task.depends_on.set([draft, legal, done])
    return task


def test_a_task_is_not_done_while_what_it_depends_on_is_not(cast, publish):
    with pytest.raises(ValidationError) as refused:
        services.task_update(
            actor=cast.manager, task=publish, version=1, changes={"status": TaskStatus.DONE}
        )
    assert refused.value.message_dict == {"status": [WAITS]}
    publish.refresh_from_db()
    assert (publish.status, publish.version) == (TaskStatus.TODO, 1)

    publish.depends_on.filter(title__in=["Draft", "Legal check"]).update(status=TaskStatus.DONE)
    done = services.task_update(
        actor=cast.manager, task=publish, version=1, changes={"status": TaskStatus.DONE}
    )
    assert done.status == TaskStatus.DONE and done.completed_at is not None


def test_a_new_task_is_not_created_done_before_its_dependencies(cast):
    draft = TaskFactory(project=cast.project, title="Draft")
    with pytest.raises(ValidationError) as refused:
        services.task_create(
            actor=cast.manager,
            project=cast.project,
            title="Publish",
            status=TaskStatus.DONE,
            depends_on=[draft],
        )
    assert refused.value.message_dict == {
        "status": ["“Publish” waits for “Draft”: finish those first."]
    }


def test_a_done_task_may_be_edited_after_a_dependency_reopened(cast):
    draft = TaskFactory(project=cast.project, title="Draft", status=TaskStatus.DONE)
    publish = TaskFactory(project=cast.project, title="Publish", status=TaskStatus.DONE)
    publish.depends_on.set([draft])
    draft.status = TaskStatus.DOING
    draft.save()
    renamed = services.task_update(
        actor=cast.manager,
        task=publish,
        version=1,
        changes={"title": "Publish it"},
        depends_on=[draft],
    )
    assert renamed.title == "Publish it"
    # ...but a dependency newly added to a done task must itself be done.
    legal = TaskFactory(project=cast.project, title="Legal check")
    with pytest.raises(ValidationError, match="waits for “Legal check”"):
        services.task_update(
            actor=cast.manager, task=renamed, version=2, changes={}, depends_on=[draft, legal]
        )


def test_the_status_list_explains_the_refusal_in_the_tasks_row(cast, publish):
    url = reverse("planning:task-status", args=[publish.pk])
    client = client_for(cast.contributor)
    data = {"version": 1, "status": "done", "blocked_reason": ""}
    row = client.post(url, data, headers={"HX-Request": "true"}).content.decode()
    assert f'id="status-error-{publish.pk}" role="alert">{WAITS}</p>' in row
    assert f'aria-describedby="status-error-{publish.pk}"' in row
    # Without JavaScript: the page again, the explanation in the same place.
    page = client.post(url, data)
    assert page.status_code == 422
    assert f'id="status-error-{publish.pk}" role="alert">{WAITS}</p>' in page.content.decode()
    publish.refresh_from_db()
    assert publish.status == TaskStatus.TODO


def test_the_edit_form_puts_the_refusal_at_the_status_field(cast, publish):
    url = reverse("planning:task-edit", args=[publish.pk])
    deps = list(publish.depends_on.values_list("pk", flat=True))
    response = client_for(cast.manager).post(
        url,
        {"version": 1, "title": "Publish", "stage": publish.stage, "status": "done"}
        | {"depends_on": deps},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["status"] == [WAITS]


def test_the_api_refuses_done_before_dependencies_at_the_status_field(cast, publish):
    api = Api(token_create(actor=cast.manager, name="t")[1])
    response = api.patch(f"/api/v1/tasks/{publish.pk}/", {"status": "done"}, if_match=1)
    body = assert_error(response, 400, "invalid", "status")
    assert body["errors"]["status"] == [WAITS]


def test_done_from_the_edit_form_records_when_it_was_done(cast):
    # The bound form writes "done" onto the instance before the service sees it; the
    # service compares with the stored row, so the completion time is still set.
    task = TaskFactory(project=cast.project, title="Draft")
    response = client_for(cast.manager).post(
        reverse("planning:task-edit", args=[task.pk]),
        {"version": 1, "title": "Draft", "stage": task.stage, "status": "done"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.completed_at is not None

"""Regressions found in review: reopening, departed owners, leaks, re-asking, races."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from synchrony.activity.models import Notification
from synchrony.planning import services as planning
from synchrony.planning.models import Task, TaskStatus
from synchrony.projects import services
from synchrony.projects.models import Membership, Project, RequestKind, RequestStatus, Stage
from tests.conftest import client_for
from tests.factories import (
    InputRequestFactory,
    ProjectFactory,
    TaskFactory,
    TeamFactory,
    UserFactory,
)


def test_a_closed_project_can_be_reopened_from_its_page(cast):
    Project.objects.filter(pk=cast.project.pk).update(stage=Stage.REVIEW)
    client = client_for(cast.manager)
    move = reverse("projects:move", args=[cast.project.pk])
    # No retrospective was held: closing overrides that exit criterion, with a reason.
    client.post(
        move,
        {"to_stage": "closed", "expected_stage": "review", "reason": "Done.", "override": "on"},
    )
    cast.project.refresh_from_db()
    assert cast.project.stage == Stage.CLOSED
    page = client.get(cast.project.get_absolute_url()).content.decode()
    assert "Reopen in Review…" in page
    response = client.post(
        move, {"to_stage": "review", "expected_stage": "closed", "reason": "Late results came in."}
    )
    assert response.status_code == 302
    cast.project.refresh_from_db()
    assert cast.project.stage == Stage.REVIEW


def test_work_of_someone_who_left_stays_editable(cast):
    task = TaskFactory(project=cast.project, owner=cast.contributor)
    membership = Membership.objects.get(project=cast.project, user=cast.contributor)
    services.member_remove(actor=cast.manager, project=cast.project, membership=membership)
    task = planning.task_update(
        actor=cast.manager, task=task, version=1, changes={"status": TaskStatus.DONE}
    )
    assert task.status == TaskStatus.DONE and task.owner == cast.contributor
    # The edit form still offers the current owner, so saving it keeps them.
    page = client_for(cast.manager).get(reverse("planning:task-edit", args=[task.pk]))
    assert f'<option value="{cast.contributor.pk}" selected>' in page.content.decode()
    # Giving the work to someone who cannot do it is still refused.
    with pytest.raises(ValidationError):
        planning.task_update(
            actor=cast.manager, task=task, version=2, changes={"owner": cast.outsider}
        )


def test_removing_someone_names_the_open_tasks_they_still_own(cast):
    TaskFactory(project=cast.project, owner=cast.contributor, title="Hero banner")
    TaskFactory(project=cast.project, owner=cast.contributor, title="FAQ")
    TaskFactory(project=cast.project, owner=cast.contributor, title="Old", status=TaskStatus.DONE)
    TaskFactory(project=cast.project, owner=cast.viewer, title="Not theirs")
    membership = Membership.objects.get(project=cast.project, user=cast.contributor)
    url = reverse("projects:member-remove", args=[cast.project.pk, membership.pk])
    page = client_for(cast.manager).post(url, follow=True).content.decode()
    assert f"{cast.contributor} left the project." in page
    assert f"{cast.contributor} still owns 2 open tasks: “Hero banner”, “FAQ”" in page
    assert "Old" not in page and "Not theirs" not in page

    # Someone with nothing open just leaves.
    membership = Membership.objects.get(project=cast.project, user=cast.viewer)
    Task.objects.filter(owner=cast.viewer).update(status=TaskStatus.DONE)
    url = reverse("projects:member-remove", args=[cast.project.pk, membership.pk])
    page = client_for(cast.manager).post(url, follow=True).content.decode()
    assert "still owns" not in page


def test_waiting_for_me_lists_only_projects_i_can_see(cast):
    sales = TeamFactory(name="Sales")
    secret = ProjectFactory(name="Secret launch")
    InputRequestFactory(
        project=secret, requested_from_user=None, requested_from_team=sales, title="Secret pricing"
    )
    sales.members.add(cast.outsider)
    page = client_for(cast.outsider).get("/").content.decode()
    assert "Secret pricing" not in page and "Secret launch" not in page


def test_changes_requested_can_be_asked_again(cast):
    request = services.request_create(
        actor=cast.manager,
        project=cast.project,
        kind=RequestKind.SIGNOFF,
        title="Pricing",
        user=cast.viewer,
    )
    request = services.request_answer(
        actor=cast.viewer,
        request=request,
        version=1,
        decision=RequestStatus.CHANGES_REQUESTED,
        response="Lower tier too expensive",
    )
    client = client_for(cast.manager)
    url = reverse("projects:request-reask", args=[request.pk])
    assert client.post(url, {"version": request.version, "note": ""}).status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.CHANGES_REQUESTED  # refused: no note
    client.post(url, {"version": request.version, "note": "Lower tier now 19 €"})
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING
    assert Notification.objects.filter(recipient=cast.viewer, title__contains="asks again").exists()
    assert (
        client_for(cast.viewer).post(url, {"version": request.version, "note": "x"}).status_code
        == 403
    )


def test_a_teammate_answering_second_is_told_who_answered(cast):
    sales = TeamFactory(name="Sales")
    first, second = UserFactory(first_name="Ana", last_name="First"), UserFactory()
    sales.members.add(first, second)
    request = services.request_create(
        actor=cast.manager, project=cast.project, kind=RequestKind.SIGNOFF, title="x", team=sales
    )
    url = reverse("projects:request", args=[request.pk])
    data = {"version": 1, "decision": "approved", "response": ""}
    assert client_for(first).post(url, data).status_code == 302
    response = client_for(second).post(url, {**data, "version": 2})
    assert response.status_code == 422
    assert "Already answered by Ana First" in response.content.decode()


def test_a_team_request_tells_each_person_once(cast):
    sales = TeamFactory(name="Sales")
    seller = UserFactory()
    sales.members.add(seller)
    services.request_create(
        actor=cast.manager, project=cast.project, kind=RequestKind.SIGNOFF, title="x", team=sales
    )
    assert Notification.objects.filter(recipient=seller).count() == 1


def test_htmx_sections_carry_messages_and_refresh_the_criteria(cast):
    task = TaskFactory(project=cast.project, owner=cast.manager)
    response = client_for(cast.manager).post(
        reverse("planning:task-status", args=[task.pk]),
        {"version": 7, "status": "done"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "criteria-changed" in response["HX-Trigger"]
    assert 'id="messages" class="messages floating" role="status" hx-swap-oob="true"' in body
    assert "Not saved: this task changed since you opened it." in body

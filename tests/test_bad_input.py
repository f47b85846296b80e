"""Bad input gets a clear message at the field, nothing is partly saved, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from synchrony.planning.models import BudgetLine, Task
from synchrony.projects.models import Project
from tests.conftest import client_for
from tests.factories import TaskFactory
from tests.test_permissions import snapshot, walked_urls

JUNK = [
    {
        "version": "abc",
        "due_date": "2026-13-45",
        "planned": "1e999",
        "actual": "-0",
        "baseline": "NaN",
    },
    {
        "version": "-1",
        "title": "x" * 10_000,
        "status": "exploded",
        "to_stage": "nowhere",
        "stage": "../",
    },
    {
        "owner": "999999",
        "depends_on": ["abc", "0"],
        "decision": "maybe",
        "role": "king",
        "user": "x",
    },
    {
        "promotion_start": "2026-12-10",
        "promotion_end": "2026-12-01",
        "budget": "-5",
        "name": "\x00",
    },
    {
        "title": "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        "body": "🚀" * 3000,
    },
]


@pytest.mark.parametrize("junk", JUNK)
def test_junk_posted_to_every_url_is_never_a_server_error(cast, junk):
    client = client_for(cast.manager)
    for name, url in walked_urls(cast):
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.post(url, junk, **headers)
            assert response.status_code < 500, (name, url, response.status_code)


def test_dates_out_of_order_are_refused_at_the_field(cast):
    client = client_for(cast.manager)
    response = client.post(
        reverse("projects:create"),
        {"name": "Late", "promotion_start": "2026-12-10", "promotion_end": "2026-12-01"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["promotion_end"] == [
        "The promotion cannot end before it starts."
    ]
    assert not Project.objects.filter(name="Late").exists()


def test_negative_amounts_are_refused(cast):
    client = client_for(cast.manager)
    response = client.post(
        reverse("planning:budget-create", args=[cast.project.pk]),
        {"category": "media", "description": "Ads", "planned": "-10", "actual": "0"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 0" in response.content.decode()
    assert not BudgetLine.objects.exists()


def test_unknown_users_and_viewers_cannot_own_tasks(cast):
    client = client_for(cast.manager)
    url = reverse("planning:task-create", args=[cast.project.pk])
    for owner in ("424242", str(cast.viewer.pk), str(cast.outsider.pk)):
        response = client.post(
            url,
            {"title": "T", "owner": owner, "stage": "planning", "status": "todo"},
            HTTP_HX_REQUEST="true",
        )
        assert "Select a valid choice" in response.content.decode(), owner
    assert not Task.objects.exists()


def test_a_cycle_in_the_edit_form_is_refused_at_the_field(cast):
    a = TaskFactory(project=cast.project, title="A")
    b = TaskFactory(project=cast.project, title="B")
    b.depends_on.add(a)
    response = client_for(cast.manager).post(
        reverse("planning:task-edit", args=[a.pk]),
        {"title": "A", "stage": "planning", "status": "todo", "depends_on": [b.pk], "version": 1},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["depends_on"] == ["That would make a cycle: A → B → A"]
    assert list(a.depends_on.all()) == []


def test_over_long_text_is_refused(cast):
    response = client_for(cast.manager).post(
        reverse("planning:task-create", args=[cast.project.pk]),
        {"title": "x" * 201, "stage": "planning", "status": "todo"},
    )
    assert response.status_code == 422
    assert "at most 200 characters" in response.content.decode()
    assert not Task.objects.exists()


def test_a_failed_move_explains_what_is_missing(cast):
    before = snapshot()
    response = client_for(cast.manager).post(
        reverse("projects:move", args=[cast.project.pk]),
        {"to_stage": "planning", "expected_stage": "development"},
    )
    assert response.status_code == 422
    assert "Exit criteria not met: At least one goal" in response.content.decode()
    assert snapshot() == before


def test_a_stale_edit_through_the_form_keeps_the_input_and_names_the_change(cast):
    task = TaskFactory(project=cast.project, title="Draft", owner=cast.contributor)
    client_for(cast.contributor).post(
        reverse("planning:task-edit", args=[task.pk]),
        {
            "title": "Final",
            "stage": "planning",
            "status": "todo",
            "owner": cast.contributor.pk,
            "version": 1,
        },
    )
    response = client_for(cast.manager).post(
        reverse("planning:task-edit", args=[task.pk]),
        {
            "title": "Draft",
            "stage": "planning",
            "status": "doing",
            "owner": cast.contributor.pk,
            "version": 1,
        },
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "Not saved: this task changed since you opened it." in body
    assert f"{cast.contributor}" in body and "Title: Draft → Final" in body
    assert response["HX-Retarget"] == f"#edit-tasks-{task.pk}"
    assert 'name="version" value="2"' in body  # a deliberate second save goes through
    # The field the other person changed shows their value, with the user's entry quoted.
    assert 'name="title" value="Final"' in body
    assert "Changed by someone else meanwhile. You had entered: “Draft”" in body
    assert '<option value="doing" selected>' in body  # the user's own change is kept
    task.refresh_from_db()
    assert (task.title, task.status) == ("Final", "todo")

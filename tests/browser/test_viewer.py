"""A viewer reads the Planning page but gets no controls to change it, and no way round."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from synchrony.planning.models import BudgetLine, Task
from synchrony.projects.models import Project
from tests.browser.conftest import assert_accessible, shot
from tests.factories import BudgetLineFactory, TaskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_viewer_sees_planning_without_edit_controls_and_cannot_post(live_server, page_for, cast):
    project = cast.project
    Project.objects.filter(pk=project.pk).update(stage="planning")
    task = TaskFactory(project=project, title="Book the webinar room", owner=cast.contributor)
    line = BudgetLineFactory(project=project, description="Room hire")

    page = page_for(cast.viewer)
    page.goto(f"{live_server.url}/projects/{project.pk}/stage/planning/")
    expect(page.locator(f"#task-{task.pk}")).to_have_text("Book the webinar room")
    expect(page.locator("#budget")).to_contain_text("Room hire")
    expect(page.locator(".subnav")).to_contain_text("Your role: Viewer")
    shot(page, "viewer-planning")

    main = page.locator("main")
    for control in ("Add a task", "Add content", "Add a budget line", "Advance to Activation…"):
        expect(main.get_by_text(control)).to_have_count(0)
    expect(main.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    expect(main.get_by_role("link", name="Edit project")).to_have_count(0)
    expect(main.get_by_role("button")).to_have_count(0)
    expect(main.locator("form")).to_have_count(0)
    expect(page.locator(f"#status-{task.pk}")).to_have_count(0)
    assert_accessible(page, "the Planning page as a viewer")

    # Going round the UI: well-formed posts with a valid CSRF token are refused.
    token = json.loads(page.locator("body").get_attribute("hx-headers"))["X-CSRFToken"]
    headers = {"X-CSRFToken": token, "HX-Request": "true"}
    attempts = {
        f"/projects/{project.pk}/tasks/new/": {
            "title": "Sneaky",
            "stage": "planning",
            "status": "todo",
            "section_stage": "planning",
        },
        f"/tasks/{task.pk}/edit/": {
            "title": "Renamed",
            "stage": "planning",
            "status": "todo",
            "version": "1",
        },
        f"/tasks/{task.pk}/status/": {"status": "done", "version": "1"},
        f"/tasks/{task.pk}/delete/": {},
        f"/projects/{project.pk}/budget/new/": {
            "category": "media",
            "description": "Sneaky",
            "planned": "1",
            "actual": "0",
        },
        f"/budget/{line.pk}/edit/": {
            "category": "media",
            "description": "Renamed",
            "planned": "1",
            "actual": "0",
            "version": "1",
        },
        f"/projects/{project.pk}/move/": {
            "to_stage": "activation",
            "expected_stage": "planning",
            "reason": "because",
            "override": "on",
        },
    }
    for path, form in attempts.items():
        response = page.request.post(f"{live_server.url}{path}", form=form, headers=headers)
        assert response.status == 403, (path, response.status)
    assert page.request.get(f"{live_server.url}/tasks/{task.pk}/edit/").status == 403

    # Through htmx in the page, the refusal is shown rather than failing silently.
    page.evaluate(
        "url => htmx.ajax('POST', url, {source: document.body, values: {title: 'Sneaky'}})",
        f"/tasks/{task.pk}/status/",
    )
    expect(page.locator(".toast")).to_have_text("Your role does not allow this.")

    task.refresh_from_db()
    line.refresh_from_db()
    assert (task.title, task.status, task.version) == ("Book the webinar room", "todo", 1)
    assert (line.description, line.version) == ("Room hire", 1)
    assert list(Task.objects.filter(project=project)) == [task]
    assert list(BudgetLine.objects.filter(project=project)) == [line]
    project.refresh_from_db()
    assert project.stage == "planning"
    assert not project.transitions.exists()

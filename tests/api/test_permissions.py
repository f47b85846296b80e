"""Every permission rule of the API, over every route (tests/api/walk.py).

The rules are the pages' (the selectors): a non-member gets 404 for everything in a
project; a viewer reads and never writes (403); a read-only token never writes (403),
whatever its owner may do; without credentials, or with a revoked token, 401. Every
refused write leaves the data as it was.
"""

from __future__ import annotations

from typing import Any

import pytest

from synchrony.activity.models import Notification
from synchrony.api.services import token_revoke
from synchrony.api.urls import router
from synchrony.planning.models import ContentItem, Task
from synchrony.projects.models import Goal, Project, Stage
from tests.api.conftest import Api, assert_error
from tests.api.walk import WORKSPACE_WIDE, Route, api_rows, create_bodies, routes
from tests.factories import (
    BudgetLineFactory,
    ContentItemFactory,
    GoalFactory,
    MilestoneFactory,
    TaskFactory,
)
from tests.test_permissions import snapshot

HIJACK = {"title": "Hijack", "name": "Hijack", "to_stage": "planning", "decision": "approved"}
PREFIXES = {basename: prefix for prefix, _, basename in router.registry}


def call(client: Api, route: Route, method: str, body: Any = None) -> Any:
    if method == "get":
        return client.get(route.url)
    if method == "delete":
        return client.delete(route.url, if_match=1)
    return getattr(client, method)(route.url, HIJACK if body is None else body, if_match=1)


def unread(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def test_the_walk_covers_every_route(cast):
    walked = {r.name for r in routes(api_rows(cast))}
    assert {
        "project-list",
        "project-detail",
        "project-transition",
        "task-detail",
        "content-item-review",
        "budget-line-list",
        "milestone-detail",
        "notification-mark-read",
    } <= walked


def test_without_credentials_every_route_is_401(cast, api):
    rows = api_rows(cast)
    before = snapshot()
    for route in routes(rows):
        for method in route.methods:
            response = call(api.anonymous, route, method)
            assert_error(response, 401, "not_authenticated")
    assert snapshot() == before


def test_a_revoked_token_is_401_everywhere(cast, api):
    rows = api_rows(cast)
    token = cast.manager.api_tokens.get(read_only=False)
    token_revoke(actor=cast.manager, token=token)
    before = snapshot()
    for route in routes(rows):
        for method in route.methods:
            assert_error(call(api.manager, route, method), 401, "authentication_failed")
    assert snapshot() == before


def test_a_read_only_token_reads_everything_and_writes_nothing(cast, api):
    rows = api_rows(cast)
    bodies = create_bodies(cast)
    before, unread_before = snapshot(), unread(cast.manager)
    for route in routes(rows):
        for method in route.methods:
            body = bodies.get(route.basename) if route.name.endswith("-list") else None
            response = call(api.read_only, route, method, body)
            if method == "get":
                assert response.status_code == 200, (route.url, response.status_code)
            else:
                body = assert_error(response, 403, "permission_denied")
                assert body["message"] == "This token is read-only.", route.url
    assert snapshot() == before
    assert unread(cast.manager) == unread_before
    assert Project.objects.count() == 1


def test_someone_outside_the_project_gets_404_for_everything_in_it(cast, api):
    rows = api_rows(cast)
    before = snapshot()
    for route in routes(rows):
        if not route.detail or route.basename in WORKSPACE_WIDE:
            continue
        for method in route.methods:
            body = assert_error(call(api.outsider, route, method), 404, "not_found")
            assert "Atlas" not in str(body)
    assert snapshot() == before


def test_lists_show_an_outsider_nothing_of_the_project(cast, api):
    rows = api_rows(cast)
    for route in routes(rows):
        if route.basename in WORKSPACE_WIDE:
            continue
        if route.name.endswith("-list") and "get" in route.methods:
            response = api.outsider.get(route.url)
            assert response.status_code == 200 and response.json()["count"] == 0, route.url
            assert api.manager.get(route.url).json()["count"] >= 1, route.url


def test_an_outsider_cannot_create_in_the_project_and_learns_nothing(cast, api):
    bodies = create_bodies(cast)
    before = snapshot()
    for basename, body in bodies.items():
        if "project" not in body:
            continue  # a new project is the caller's own
        url = f"/api/v1/{PREFIXES[basename]}/"
        response = api.outsider.post(url, body)
        errors = assert_error(response, 400, "invalid", "project")["errors"]
        assert errors["project"] == [f"No such project: {cast.project.pk}."]
        # The same as for a project that does not exist at all.
        missing = api.outsider.post(url, {**body, "project": 987654})
        assert missing.json()["errors"]["project"] == ["No such project: 987654."]
    assert snapshot() == before


def test_a_viewer_reads_everything_and_every_write_is_403(cast, api):
    rows = api_rows(cast)
    bodies = create_bodies(cast)
    before = snapshot()
    for route in routes(rows):
        for method in route.methods:
            if route.basename == "notification":
                continue  # personal: below
            body = bodies.get(route.basename) if route.name.endswith("-list") else None
            response = call(api.viewer, route, method, body)
            if method == "get":
                assert response.status_code == 200, (route.url, response.status_code)
            else:
                assert_error(response, 403, "permission_denied")
    assert snapshot() == before


def test_notifications_are_each_persons_own(cast, api):
    theirs = Notification.objects.create(recipient=cast.manager, kind="membership", title="M")
    mine = Notification.objects.create(recipient=cast.viewer, kind="membership", title="V")
    assert [n["id"] for n in api.viewer.get("/api/v1/notifications/").json()["results"]] == [
        mine.pk
    ]
    assert_error(api.viewer.get(f"/api/v1/notifications/{theirs.pk}/"), 404, "not_found")
    assert_error(api.viewer.post(f"/api/v1/notifications/{theirs.pk}/read/"), 404)
    response = api.viewer.post("/api/v1/notifications/mark-read/", {"ids": [mine.pk, theirs.pk]})
    assert_error(response, 400, "invalid", "ids")
    assert response.json()["errors"]["ids"] == [f"No such notification: {theirs.pk}."]
    assert unread(cast.viewer) == 1 and unread(cast.manager) == 1
    assert api.viewer.post("/api/v1/notifications/mark-read/").json() == {"marked": 1}
    assert unread(cast.viewer) == 0 and unread(cast.manager) == 1


# ── Roles ─────────────────────────────────────────────────────────────────────


def test_a_contributor_edits_only_the_tasks_and_content_they_own_or_created(cast, api):
    own = TaskFactory(project=cast.project, owner=cast.contributor)
    others = TaskFactory(project=cast.project)
    assert (
        api.contributor.patch(
            f"/api/v1/tasks/{own.pk}/", {"status": "doing"}, if_match=1
        ).status_code
        == 200
    )
    body = assert_error(
        api.contributor.patch(f"/api/v1/tasks/{others.pk}/", {"status": "doing"}, if_match=1),
        403,
        "permission_denied",
    )
    assert "own or created" in body["message"]
    assert_error(api.contributor.delete(f"/api/v1/tasks/{others.pk}/", if_match=1), 403)
    created = api.contributor.post("/api/v1/tasks/", {"project": cast.project.pk, "title": "N"})
    assert created.status_code == 201
    task = Task.objects.get(pk=created.json()["id"])
    assert api.contributor.delete(f"/api/v1/tasks/{task.pk}/", if_match=1).status_code == 204

    item = ContentItemFactory(project=cast.project)
    assert_error(
        api.contributor.patch(f"/api/v1/content-items/{item.pk}/", {"title": "x"}, if_match=1), 403
    )
    assert ContentItem.objects.get(pk=item.pk).title == item.title


def test_managers_alone_set_goals_milestones_budget_and_the_project(cast, api):
    goal = GoalFactory(project=cast.project)
    milestone = MilestoneFactory(project=cast.project)
    line = BudgetLineFactory(project=cast.project)
    bodies = create_bodies(cast)
    before = snapshot()
    for url in (
        f"/api/v1/goals/{goal.pk}/",
        f"/api/v1/milestones/{milestone.pk}/",
        f"/api/v1/budget-lines/{line.pk}/",
        f"/api/v1/projects/{cast.project.pk}/",
    ):
        assert_error(api.contributor.patch(url, {"title": "x"}, if_match=1), 403)
    for basename, prefix in (
        ("goal", "goals"),
        ("milestone", "milestones"),
        ("budget-line", "budget-lines"),
    ):
        assert_error(api.contributor.post(f"/api/v1/{prefix}/", bodies[basename]), 403)
    project = f"/api/v1/projects/{cast.project.pk}"
    assert_error(
        api.contributor.post(f"{project}/transition/", {"to_stage": "planning"}, if_match=1), 403
    )
    assert_error(api.contributor.post(f"{project}/approve-budget/", {"budget_version": 1}), 403)
    assert snapshot() == before
    for basename, prefix in (
        ("goal", "goals"),
        ("milestone", "milestones"),
        ("budget-line", "budget-lines"),
    ):
        assert api.manager.post(f"/api/v1/{prefix}/", bodies[basename]).status_code == 201


def test_the_owner_of_a_budget_line_reports_its_actual_spend(cast, api):
    line = BudgetLineFactory(project=cast.project, owner=cast.contributor)
    response = api.contributor.patch(
        f"/api/v1/budget-lines/{line.pk}/", {"actual": "12.50"}, if_match=1
    )
    assert response.status_code == 200 and response.json()["actual"] == "12.50"


def test_only_a_manager_or_the_named_reviewer_reviews_content(cast, api):
    item = ContentItemFactory(
        project=cast.project, owner=cast.contributor, reviewer=cast.contributor
    )
    url = f"/api/v1/content-items/{item.pk}"
    assert_error(
        api.contributor.post(f"{url}/review/", {"decision": "approved"}, if_match=1), 403
    )  # still a draft: nothing to review yet
    assert api.contributor.post(f"{url}/submit/", if_match=1).status_code == 200
    assert_error(api.viewer.post(f"{url}/review/", {"decision": "approved"}, if_match=2), 403)
    response = api.contributor.post(f"{url}/review/", {"decision": "approved"}, if_match=2)
    assert response.status_code == 200 and response.json()["status"] == "approved"


def test_a_closed_project_is_read_only_until_a_manager_moves_it_back(cast, api):
    task = TaskFactory(project=cast.project)
    Project.objects.filter(pk=cast.project.pk).update(stage=Stage.CLOSED)
    assert_error(api.manager.patch(f"/api/v1/tasks/{task.pk}/", {"title": "x"}, if_match=1), 403)
    assert_error(api.manager.post("/api/v1/goals/", create_bodies(cast)["goal"]), 403)
    project = f"/api/v1/projects/{cast.project.pk}"
    body = assert_error(api.manager.patch(f"{project}/", {"name": "x"}, if_match=1), 403)
    assert "closed" in body["message"]
    # Moving back (with a reason) is how it reopens; a viewer cannot.
    assert_error(
        api.viewer.post(
            f"{project}/transition/", {"to_stage": "review", "reason": "r"}, if_match=1
        ),
        403,
    )
    response = api.manager.post(
        f"{project}/transition/", {"to_stage": "review", "reason": "One more lesson"}, if_match=1
    )
    assert response.status_code == 200 and response.json()["stage"] == "review"
    assert not Goal.objects.exists()


@pytest.mark.parametrize("role", ["viewer", "contributor", "outsider"])
def test_no_one_but_a_manager_moves_the_stage(cast, api, role):
    response = getattr(api, role).post(
        f"/api/v1/projects/{cast.project.pk}/transition/",
        {"to_stage": "planning", "override": True, "reason": "x"},
        if_match=1,
    )
    assert response.status_code == (404 if role == "outsider" else 403)
    assert Project.objects.get().stage == Stage.DEVELOPMENT


def test_only_marketing_managers_and_admins_start_projects(cast, api):
    body = {"name": "Side project"}
    before = snapshot()
    for who in (api.contributor, api.viewer, api.outsider):
        response = who.post("/api/v1/projects/", {"name": 5})  # refused before the body
        assert "Marketing managers start projects" in assert_error(response, 403)["message"]
        assert_error(who.post("/api/v1/projects/", body), 403, "permission_denied")
    assert snapshot() == before
    response = api.manager.post("/api/v1/projects/", body)
    assert response.status_code == 201, response.content
    assert Project.objects.get(pk=response.json()["id"]).owner == cast.manager

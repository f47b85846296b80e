"""The /api/v1/ resources call the same services as the pages: their rules hold, their
refusals come back as 400 at the field, and nothing is partly saved."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from synchrony.activity.models import ActivityEvent, Notification
from synchrony.launches.models import Milestone
from synchrony.planning.models import BudgetLine, ContentItem, Task
from synchrony.projects import services as projects
from synchrony.projects.models import Goal, Membership, Project, Role, Stage, StageTransition
from tests.api.conftest import assert_error
from tests.factories import (
    ActivationFactory,
    BudgetLineFactory,
    ChannelFactory,
    ContentItemFactory,
    GoalFactory,
    LaunchFactory,
    ProjectFactory,
    TaskFactory,
    let_start_projects,
)
from tests.test_permissions import snapshot

SOON = (timezone.localdate() + dt.timedelta(days=30)).isoformat()


# ── Projects ──────────────────────────────────────────────────────────────────


def test_a_new_project_is_owned_and_managed_by_its_creator(cast, api):
    let_start_projects(cast.outsider)  # a marketing manager, of no project yet
    channel = ChannelFactory()
    response = api.outsider.post(
        "/api/v1/projects/",
        {
            "name": "Spring",
            "promotion_start": "2026-03-01",
            "promotion_end": "2026-03-31",
            "channels": [channel.pk],
            "budget": "5000.00",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["owner"] == cast.outsider.pk and body["your_role"] == "manager"
    assert body["stage"] == "development" and body["channels"] == [channel.pk]
    project = Project.objects.get(pk=body["id"])
    assert Membership.objects.get(project=project).role == Role.MANAGER
    assert ActivityEvent.objects.filter(project=project, verb="created").exists()


def test_project_dates_out_of_order_are_refused_at_the_field(cast, api):
    before = snapshot()
    response = api.manager.post(
        "/api/v1/projects/",
        {"name": "Late", "promotion_start": "2026-12-10", "promotion_end": "2026-12-01"},
    )
    body = assert_error(response, 400, "invalid", "promotion_end")
    assert body["errors"]["promotion_end"] == ["The promotion cannot end before it starts."]
    assert snapshot() == before


def test_the_owner_of_a_project_must_be_one_of_its_managers(cast, api):
    url = f"/api/v1/projects/{cast.project.pk}/"
    body = assert_error(
        api.manager.patch(url, {"owner": cast.contributor.pk}, if_match=1), 400, "invalid", "owner"
    )
    assert "must be a manager of the project first" in body["errors"]["owner"][0]
    Membership.objects.filter(user=cast.contributor).update(role=Role.MANAGER)
    response = api.manager.patch(url, {"owner": cast.contributor.pk}, if_match=1)
    assert response.status_code == 200 and response.json()["owner"] == cast.contributor.pk


def test_stage_is_changed_by_transition_only(cast, api):
    url = f"/api/v1/projects/{cast.project.pk}"
    assert_error(
        api.manager.patch(f"{url}/", {"stage": "planning"}, if_match=1), 400, "invalid", "stage"
    )
    # Exit criteria missing: refused, with what is missing.
    body = assert_error(
        api.manager.post(f"{url}/transition/", {"to_stage": "planning"}, if_match=1), 400, "invalid"
    )
    assert "Exit criteria not met: At least one goal" in body["message"]
    # Two stages at once: refused.
    assert_error(
        api.manager.post(
            f"{url}/transition/",
            {"to_stage": "activation", "override": True, "reason": "x"},
            if_match=1,
        ),
        400,
    )
    assert_error(
        api.manager.post(f"{url}/transition/", {"to_stage": "nowhere"}, if_match=1),
        400,
        "invalid",
        "to_stage",
    )
    assert not StageTransition.objects.exists()
    GoalFactory(project=cast.project)
    response = api.manager.post(f"{url}/transition/", {"to_stage": "planning"}, if_match=1)
    assert response.status_code == 200, response.json()
    assert response.json()["stage"] == "planning" and response["ETag"] == '"2"'
    # Back needs a reason; the old version is stale now.
    assert_error(
        api.manager.post(f"{url}/transition/", {"to_stage": "development"}, if_match=1),
        412,
        "stale",
    )
    body = assert_error(
        api.manager.post(f"{url}/transition/", {"to_stage": "development"}, if_match=2),
        400,
        "invalid",
        "reason",
    )
    transition = StageTransition.objects.get()
    assert (transition.from_stage, transition.to_stage, transition.actor) == (
        "development",
        "planning",
        cast.manager,
    )
    assert Notification.objects.filter(kind="stage_changed", recipient=cast.viewer).exists()


def test_a_manager_advances_without_the_criteria_with_a_reason_on_record(cast, api):
    url = f"/api/v1/projects/{cast.project.pk}/transition/"
    assert_error(
        api.manager.post(url, {"to_stage": "planning", "override": True}, if_match=1),
        400,
        "invalid",
        "reason",
    )
    response = api.manager.post(
        url,
        {"to_stage": "planning", "override": True, "reason": "Goals agreed by phone"},
        if_match=1,
    )
    assert response.status_code == 200
    transition = StageTransition.objects.get()
    assert transition.overridden and transition.missing


def test_the_budget_is_approved_as_reviewed(cast, api):
    line = BudgetLineFactory(project=cast.project)
    url = f"/api/v1/projects/{cast.project.pk}/approve-budget/"
    body = assert_error(api.manager.post(url, {"budget_version": 99}), 400)
    assert "changed since you opened" in body["message"]
    response = api.manager.post(url, {"budget_version": 1})
    assert response.status_code == 200 and response.json()["budget_approved_at"]
    # A change to the plan withdraws it.
    api.manager.patch(f"/api/v1/budget-lines/{line.pk}/", {"planned": "2000.00"}, if_match=1)
    assert (
        api.manager.get(f"/api/v1/projects/{cast.project.pk}/").json()["budget_approved_at"] is None
    )


def test_projects_filter_by_stage_and_update_time(cast, api):
    other = ProjectFactory(owner=cast.manager, stage=Stage.PLANNING, name="Beta")
    Project.objects.filter(pk=cast.project.pk).update(
        updated_at=timezone.now() - dt.timedelta(days=3)
    )

    def names(params):
        return [p["name"] for p in api.manager.get("/api/v1/projects/", params).json()["results"]]

    assert names({"stage": "planning"}) == ["Beta"]
    assert names({"stage": ["planning", "development"]}) == ["Atlas launch", "Beta"]
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert names({"updated_since": since}) == [other.name]
    assert names({"ordering": "-updated_at"}) == ["Beta", "Atlas launch"]


# ── Goals ─────────────────────────────────────────────────────────────────────


def test_goals_are_set_by_managers_with_the_model_rules(cast, api):
    body = {
        "project": cast.project.pk,
        "metric": "Leads",
        "baseline": "100",
        "target": "100",
        "due_date": SOON,
    }
    assert_error(api.manager.post("/api/v1/goals/", body), 400, "invalid", "target")
    for bad in (
        {"baseline": "NaN"},
        {"baseline": "1e999"},
        {"target": "abc"},
        {"due_date": "2026-13-01"},
        {"metric": ""},
    ):
        assert_error(
            api.manager.post("/api/v1/goals/", {**body, "target": "300", **bad}),
            400,
            "invalid",
            next(iter(bad)),
        )
    assert not Goal.objects.exists()
    response = api.manager.post("/api/v1/goals/", {**body, "target": "300"})
    assert response.status_code == 201
    assert response.json()["target"] == "300.00"
    goal = Goal.objects.get()
    assert goal.target == Decimal(300)
    response = api.manager.patch(f"/api/v1/goals/{goal.pk}/", {"target": "250"}, if_match=1)
    assert response.status_code == 200 and response.json()["version"] == 2
    assert api.manager.delete(f"/api/v1/goals/{goal.pk}/", if_match=2).status_code == 204
    assert not Goal.objects.exists()


# ── Tasks ─────────────────────────────────────────────────────────────────────


def test_a_task_is_created_with_owner_dates_and_dependencies(cast, api):
    first = TaskFactory(project=cast.project, title="Brief")
    response = api.manager.post(
        "/api/v1/tasks/",
        {
            "project": cast.project.pk,
            "title": "Design",
            "owner": cast.contributor.pk,
            "due_date": SOON,
            "status": "blocked",
            "blocked_reason": "Waiting for the brief",
            "depends_on": [first.pk],
            "stage": "planning",
        },
    )
    assert response.status_code == 201, response.json()
    task = Task.objects.get(title="Design")
    assert list(task.depends_on.all()) == [first]
    assert task.created_by == cast.manager and task.blocked_reason == "Waiting for the brief"
    assert Notification.objects.filter(recipient=cast.contributor, kind="task_assigned").exists()


def test_ids_from_another_project_are_refused_and_nothing_is_saved(cast, api):
    elsewhere = ProjectFactory(owner=cast.manager)
    foreign_task = TaskFactory(project=elsewhere)
    stranger = Membership.objects.create(
        project=elsewhere, user=ProjectFactory().owner, role=Role.CONTRIBUTOR
    ).user
    hidden = TaskFactory(project=ProjectFactory())  # in a project the caller is not in
    before = snapshot()
    base = {"project": cast.project.pk, "title": "T"}
    body = assert_error(
        api.manager.post("/api/v1/tasks/", {**base, "depends_on": [foreign_task.pk]}),
        400,
        "invalid",
        "depends_on",
    )
    assert body["errors"]["depends_on"] == ["A task can only depend on tasks of its project."]
    body = assert_error(
        api.manager.post("/api/v1/tasks/", {**base, "owner": stranger.pk}), 400, "invalid", "owner"
    )
    assert "is not a manager or contributor on this project" in body["errors"]["owner"][0]
    line = {"project": cast.project.pk, "category": "media", "description": "Ads", "planned": "1"}
    for resource, body, field in (
        ("content-items", base, "owner"),
        ("content-items", base, "reviewer"),
        ("budget-lines", line, "owner"),
    ):
        response = api.manager.post(f"/api/v1/{resource}/", {**body, field: stranger.pk})
        assert_error(response, 400, "invalid", field)
    # A task of a project the caller cannot see does not exist for them.
    body = assert_error(
        api.manager.post("/api/v1/tasks/", {**base, "depends_on": [hidden.pk]}),
        400,
        "invalid",
        "depends_on",
    )
    assert "does not exist" in body["errors"]["depends_on"][0]
    assert snapshot() == before
    assert Task.objects.count() == 2  # the foreign and the hidden task, nothing new


def test_a_dependency_cycle_is_refused_and_the_edit_leaves_nothing_behind(cast, api):
    a = TaskFactory(project=cast.project, title="A")
    b = TaskFactory(project=cast.project, title="B")
    b.depends_on.add(a)
    response = api.manager.patch(
        f"/api/v1/tasks/{a.pk}/", {"title": "A2", "depends_on": [b.pk]}, if_match=1
    )
    body = assert_error(response, 400, "invalid", "depends_on")
    assert body["errors"]["depends_on"] == ["That would make a cycle: A → B → A"]
    a.refresh_from_db()
    assert (a.title, a.version, list(a.depends_on.all())) == ("A", 1, [])


def test_a_blocked_task_needs_a_reason(cast, api):
    task = TaskFactory(project=cast.project)
    assert_error(
        api.manager.patch(f"/api/v1/tasks/{task.pk}/", {"status": "blocked"}, if_match=1),
        400,
        "invalid",
        "blocked_reason",
    )
    response = api.manager.patch(f"/api/v1/tasks/{task.pk}/", {"status": "done"}, if_match=1)
    assert response.json()["completed_at"] is not None


def test_a_put_replaces_the_editable_fields(cast, api):
    task = TaskFactory(project=cast.project, title="Old", description="Keep?")
    response = api.manager.put(f"/api/v1/tasks/{task.pk}/", {"title": "New"}, if_match=1)
    assert response.status_code == 200
    assert_error(
        api.manager.put(f"/api/v1/tasks/{task.pk}/", {"description": "x"}, if_match=2),
        400,
        "invalid",
        "title",
    )


def test_tasks_filter_by_project_status_owner_due_dates_and_update_time(cast, api):
    today = timezone.localdate()
    mine = TaskFactory(
        project=cast.project,
        owner=cast.contributor,
        status="doing",
        due_date=today + dt.timedelta(days=2),
    )
    TaskFactory(project=cast.project, status="todo", due_date=today + dt.timedelta(days=20))
    other = TaskFactory(project=ProjectFactory(owner=cast.manager), status="doing")

    def ids(params):
        return {t["id"] for t in api.manager.get("/api/v1/tasks/", params).json()["results"]}

    assert ids({"project": cast.project.pk, "status": "doing"}) == {mine.pk}
    assert ids({"owner": cast.contributor.pk}) == {mine.pk}
    assert ids(
        {"due_from": today.isoformat(), "due_to": (today + dt.timedelta(days=7)).isoformat()}
    ) == {mine.pk}
    assert other.pk in ids({"status": "doing"})
    Task.objects.filter(pk=mine.pk).update(updated_at=timezone.now() - dt.timedelta(days=2))
    assert mine.pk not in ids(
        {"updated_since": (timezone.now() - dt.timedelta(days=1)).isoformat()}
    )


# ── Content ───────────────────────────────────────────────────────────────────


def test_content_goes_through_its_review_flow(cast, api):
    channel = ChannelFactory()
    response = api.contributor.post(
        "/api/v1/content-items/",
        {
            "project": cast.project.pk,
            "title": "Launch post",
            "kind": "blog_post",
            "channel": channel.pk,
            "owner": cast.contributor.pk,
            "link": "https://example.com/p",
        },
    )
    assert response.status_code == 201, response.json()
    item = ContentItem.objects.get()
    url = f"/api/v1/content-items/{item.pk}"
    assert_error(
        api.contributor.patch(f"{url}/", {"status": "approved"}, if_match=1),
        400,
        "invalid",
        "status",
    )
    assert api.contributor.post(f"{url}/submit/", if_match=1).json()["status"] == "in_review"
    body = assert_error(
        api.manager.post(f"{url}/review/", {"decision": "changes_requested"}, if_match=2),
        400,
        "invalid",
        "comment",
    )
    assert body["errors"]["comment"] == ["Say what needs to change."]
    response = api.manager.post(
        f"{url}/review/",
        {"decision": "changes_requested", "comment": "Shorter, please"},
        if_match=2,
    )
    assert response.json()["status"] == "changes_requested"
    assert_error(
        api.contributor.post(f"{url}/submit/", {"extra": 1}, if_match=3), 400, "invalid", "extra"
    )


def test_a_bad_link_or_an_inactive_channel_is_refused(cast, api):
    retired = ChannelFactory(is_active=False)
    base = {"project": cast.project.pk, "title": "C"}
    assert_error(
        api.manager.post("/api/v1/content-items/", {**base, "link": "not a url"}),
        400,
        "invalid",
        "link",
    )
    assert_error(
        api.manager.post("/api/v1/content-items/", {**base, "channel": retired.pk}),
        400,
        "invalid",
        "channel",
    )
    assert_error(
        api.manager.post("/api/v1/content-items/", {**base, "kind": "poem"}), 400, "invalid", "kind"
    )
    assert not ContentItem.objects.exists()


# ── Budget lines and milestones ───────────────────────────────────────────────


def test_budget_lines_refuse_negative_and_over_precise_amounts(cast, api):
    base = {"project": cast.project.pk, "category": "media", "description": "Ads"}
    for planned in ("-10", "1.234", "12345678901.00", "NaN", "Infinity", 10):
        response = api.manager.post("/api/v1/budget-lines/", {**base, "planned": planned})
        if planned == 10:
            assert response.status_code == 201  # a JSON number is a fine amount
        else:
            assert_error(response, 400, "invalid", "planned")
    assert BudgetLine.objects.count() == 1
    assert Project.objects.get().budget_version == 2


def test_milestones_are_set_and_moved(cast, api):
    response = api.manager.post(
        "/api/v1/milestones/", {"project": cast.project.pk, "title": "Beta", "date": SOON}
    )
    assert response.status_code == 201
    milestone = Milestone.objects.get()
    response = api.manager.patch(
        f"/api/v1/milestones/{milestone.pk}/", {"date": "2026-02-29"}, if_match=1
    )
    assert_error(response, 400, "invalid", "date")
    response = api.manager.patch(
        f"/api/v1/milestones/{milestone.pk}/", {"date": "2028-02-29"}, if_match=1
    )
    assert response.status_code == 200 and response.json()["date"] == "2028-02-29"
    listed = api.manager.get("/api/v1/milestones/", {"date_from": "2028-01-01"}).json()
    assert [m["id"] for m in listed["results"]] == [milestone.pk]


def test_content_and_budget_lines_list_by_filter(cast, api):
    draft = ContentItemFactory(project=cast.project, kind="email")
    ContentItemFactory(project=cast.project, kind="ad", status="approved")
    rows = api.viewer.get("/api/v1/content-items/", {"status": "draft"}).json()["results"]
    assert [r["id"] for r in rows] == [draft.pk]
    BudgetLineFactory(project=cast.project, category="design")
    rows = api.viewer.get("/api/v1/budget-lines/", {"category": "design"}).json()["results"]
    assert [r["category"] for r in rows] == ["design"]


def test_a_switched_off_channel_may_stay_with_a_project_but_not_join_one(cast, api):
    project = cast.project
    email = ChannelFactory(name="Email", projects=[project])
    fax = ChannelFactory(name="Fax", projects=[project])
    ActivationFactory(launch=LaunchFactory(project=project), channel=fax)
    fax.is_active = False
    fax.save()
    telex = ChannelFactory(name="Telex", is_active=False)
    url = f"/api/v1/projects/{project.pk}/"

    kept = api.manager.patch(url, {"channels": [email.pk, fax.pk]}, if_match=1)
    assert kept.status_code == 200, kept.json()
    version = int(kept["ETag"].strip('"'))
    refused = api.manager.patch(url, {"channels": [email.pk, fax.pk, telex.pk]}, if_match=version)
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "channels": ["Telex is switched off: a project cannot take it on."]
    }
    with pytest.raises(ValidationError, match="Telex is switched off"):
        projects.project_create(actor=cast.manager, name="New", channels=[telex])
    assert set(project.channels.all()) == {email, fax}

"""Metric samples and the Review stage on the API core: the endpoints older than the core
keep their addresses and answers (tests/api/test_tokens.py, tests/reviews/test_api.py),
and gain the core's error body, filters and schema."""

from __future__ import annotations

import datetime as dt

from synchrony.performance.models import GoalTracking, MetricSample
from tests.api.conftest import assert_error
from tests.factories import GoalFactory, ItemFactory, LessonFactory, RetrospectiveFactory

SAMPLES = "/api/v1/metrics/samples/"


def sample(perf, days_ago: int = 1, **fields):
    return {
        "project": perf.project.pk,
        "channel": perf.ads.pk,
        "metric": "leads",
        "date": (perf.today - dt.timedelta(days=days_ago)).isoformat(),
        "value": 10,
        **fields,
    }


def test_members_list_their_projects_samples_filtered(cast, api, perf):
    rows = [
        sample(perf, 1),
        sample(perf, 2, metric="clicks"),
        sample(perf, 3, channel=perf.newsletter.pk),
        sample(perf, 20, source="crm"),
    ]
    assert api.contributor.post(SAMPLES, {"samples": rows}).json() == {"saved": 4}

    def listed(client=api.viewer, **params):
        response = client.get(SAMPLES, params)
        assert response.status_code == 200, response.json()
        return [(s["metric"], s["date"], s["value"]) for s in response.json()["results"]]

    assert len(listed()) == 4
    assert api.outsider.get(SAMPLES).json()["count"] == 0
    assert listed(channel=perf.newsletter.pk) == [
        ("leads", (perf.today - dt.timedelta(days=3)).isoformat(), "10.00")
    ]
    assert [m for m, _, _ in listed(metric="clicks")] == ["clicks"]
    assert len(listed(source="crm")) == 1
    recent = (perf.today - dt.timedelta(days=2)).isoformat()
    assert [d for _, d, _ in listed(date_from=recent)] == [
        recent,
        (perf.today - dt.timedelta(days=1)).isoformat(),
    ]
    assert len(listed(date_to=recent)) == 3
    # A goal: the metric that measures it (here guessed from its name: leads).
    assert {m for m, _, _ in listed(goal=perf.goal.pk)} == {"leads"}
    assert len(listed(goal=perf.goal.pk)) == 3
    GoalTracking.objects.create(goal=perf.goal, metric="clicks", aggregation="total")
    assert {m for m, _, _ in listed(goal=perf.goal.pk)} == {"clicks"}
    unmeasured = GoalFactory(project=perf.project, metric="Brand warmth", unit="%")
    assert listed(goal=unmeasured.pk) == []
    elsewhere = GoalFactory()  # another project's
    for params, field in (
        ({"goal": elsewhere.pk}, "goal"),
        ({"goal": "leads"}, "goal"),
        ({"date_from": "last week"}, "date_from"),
        ({"channel": "-1"}, "channel"),
        ({"ordering": "value"}, "ordering"),
    ):
        assert_error(api.viewer.get(SAMPLES, params), 400, "invalid", field)


def test_a_batch_naming_an_unknown_field_saves_nothing_and_names_it(cast, api, perf):
    response = api.manager.post(SAMPLES, {"samples": [sample(perf), sample(perf, 2, vlaue=3)]})
    body = assert_error(response, 400, "invalid")
    assert body["errors"] == [{"row": 2, "field": "vlaue", "message": "Unknown field."}]
    assert body["error_count"] == 1 and body["detail"] == body["message"]
    response = api.manager.post(SAMPLES, {"samples": [sample(perf)], "dry_run": True})
    assert assert_error(response, 400, "invalid", "dry_run")["detail"]
    assert not MetricSample.objects.exists()


def test_viewers_read_only_tokens_and_outsiders_add_no_figures(cast, api, perf):
    body = {"samples": [sample(perf)]}
    for client in (api.viewer, api.outsider):
        errors = assert_error(client.post(SAMPLES, body), 400, "invalid")["errors"]
        assert [e["field"] for e in errors] == ["project"]
    assert errors[0]["message"] == f"No project {perf.project.pk} that you can add figures to."
    assert_error(api.read_only.post(SAMPLES, body), 403, "permission_denied")
    assert_error(api.anonymous.post(SAMPLES, body), 401, "not_authenticated")
    assert not MetricSample.objects.exists()


def test_the_shapes_a_batch_cannot_have_are_refused_with_the_common_body(cast, api, perf):
    for raw, status in (('{"samples": [', 400), ("42", 400), ("[]", 400), ('["x"]', 400)):
        body = assert_error(api.manager.post(SAMPLES, raw), status)
        assert body["detail"]
    too_many = api.manager.post(SAMPLES, [{"metric": "leads"}] * 10_001)
    assert assert_error(too_many, 413, "too_large")["detail"].startswith("At most 10,000")
    assert not MetricSample.objects.exists()


# ── Review ────────────────────────────────────────────────────────────────────


def test_retrospectives_are_listed_and_read_by_members_only(cast, api):
    retro = RetrospectiveFactory(project=cast.project, facilitator=cast.manager)
    RetrospectiveFactory()  # another project's
    listed = api.viewer.get("/api/v1/retrospectives/").json()
    assert [r["id"] for r in listed["results"]] == [retro.pk]
    assert listed["results"][0]["phase"] == "write"
    assert api.outsider.get("/api/v1/retrospectives/").json()["count"] == 0
    assert api.viewer.get("/api/v1/retrospectives/", {"phase": "done"}).json()["count"] == 0
    data = api.viewer.get(f"/api/v1/retrospectives/{retro.pk}/").json()
    assert (data["id"], data["project"], data["phase"]) == (retro.pk, "Atlas launch", "Write")
    assert_error(api.outsider.get(f"/api/v1/retrospectives/{retro.pk}/"), 404, "not_found")
    assert_error(api.viewer.get("/api/v1/retrospectives/x/"), 404, "not_found")
    item = ItemFactory(retrospective=retro, author=cast.manager)
    url = f"/api/v1/retrospectives/{retro.pk}/items/{item.pk}/"
    assert api.manager.get(url).json()["author"] == str(cast.manager)
    # Hidden from everyone but its author until the reveal.
    assert_error(api.viewer.get(url), 404, "not_found")
    assert_error(api.outsider.get(url), 404, "not_found")


def test_lessons_are_searched_with_the_common_error_body(cast, api):
    LessonFactory(title="Brief sales first", do_differently="A sales gate.")
    data = api.outsider.get("/api/v1/lessons/", {"q": "sales"}).json()
    assert [x["title"] for x in data["lessons"]] == ["Brief sales first"]
    assert data["lessons"][0]["url"].startswith("http://testserver/")
    assert (data["query"], data["shortened"], data["more"]) == ("sales", False, False)
    body = assert_error(api.viewer.get("/api/v1/lessons/", {"kind": "rocket"}), 400, "invalid")
    assert list(body["errors"]) == ["kind"]
    assert_error(api.anonymous.get("/api/v1/lessons/"), 401)


def test_a_sample_on_a_day_that_does_not_exist_is_refused_as_such(cast, api, perf):
    rows = [sample(perf), sample(perf, date="2026-02-30"), sample(perf, date="30/01/2026")]
    body = assert_error(api.manager.post(SAMPLES, {"samples": rows}), 400, "invalid")
    assert body["errors"] == [
        {
            "row": 2,
            "field": "date",
            "message": "2026-02-30 is not a date: February 2026 has 28 days.",
        },
        {"row": 3, "field": "date", "message": "Give the date as YYYY-MM-DD."},
    ]
    assert not MetricSample.objects.exists()

"""Defects a new user's walkthrough found on the metrics pages: the API example's date, the
import's wording, the lag's label, and the top navigation on a project's pages."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

from django.urls import reverse

from synchrony.api.services import token_create
from synchrony.performance.ingest import example_sample
from synchrony.performance.models import ImportStatus, MetricImport, MetricSample
from synchrony.performance.templatetags.performance_tags import lag_side, unsigned
from tests.api.conftest import Api
from tests.conftest import client_for


def shown_example(page: str) -> dict:
    found = re.search(r'<code data-testid="api-example">(.*?)</code>', page, re.S)
    assert found, "no API example on the page"
    return json.loads(html.unescape(found.group(1)))


# ── 3. The example the page shows is one the API accepts ─────────────────────────


def test_the_api_example_on_the_metrics_in_page_is_accepted_as_shown(cast, perf):
    page = client_for(cast.manager).get(reverse("performance:data", args=[perf.project.pk]))
    example = shown_example(page.content.decode())
    (sample,) = example["samples"]
    assert sample["project"] == perf.project.pk
    assert perf.start <= dt.date.fromisoformat(sample["date"]) <= perf.today
    response = Api(token_create(actor=cast.manager, name="t")[1]).post(
        "/api/v1/metrics/samples/", example
    )
    assert response.status_code in (200, 201), response.content
    assert MetricSample.objects.filter(project=perf.project, metric="leads").count() == 1


def test_the_example_date_follows_a_promotion_that_ended_long_ago(cast, perf):
    project = perf.project
    project.promotion_start = dt.date(2024, 1, 1)
    project.promotion_end = dt.date(2024, 3, 1)
    project.save()
    # Measuring goes on for 90 days after the promotion: its last day is the latest taken.
    assert example_sample(project, perf.today)["date"] == "2024-05-30"


def test_no_example_is_offered_that_the_api_would_refuse(cast, perf):
    project = perf.project
    project.promotion_start = perf.today + dt.timedelta(days=5)
    project.promotion_end = perf.today + dt.timedelta(days=20)
    project.save()
    assert example_sample(project, perf.today) is None  # nothing is measured yet
    page = client_for(cast.manager).get(reverse("performance:data", args=[project.pk]))
    assert "api-example" not in page.content.decode()
    assert "once the project has a channel and its promotion has begun" in page.content.decode()
    project.promotion_start = perf.start
    project.save()
    project.channels.clear()
    assert example_sample(project, perf.today) is None  # a figure needs one of its channels


# ── 4. Wording ──────────────────────────────────────────────────────────────────


def test_one_imported_figure_is_one_figure(cast, perf):
    imp = MetricImport.objects.create(
        project=perf.project,
        created_by=cast.manager,
        file_name="one.csv",
        source="csv",
        rows=1,
        status=ImportStatus.DONE,
    )
    page = client_for(cast.manager).get(reverse("performance:import", args=[imp.pk]))
    text = page.content.decode()
    assert "Imported 1 figure " in text or "Imported 1 figure." in text
    assert "1 figures" not in text


def test_the_lag_is_named_by_its_sign():
    assert lag_side("12.5") == "Behind the line"
    assert lag_side("-73.7") == "Ahead of the line"
    assert lag_side("0.0") == "" and lag_side(None) == ""
    assert unsigned("-73.7") == "73.7" and unsigned("12.5") == "12.5"


def test_a_goal_ahead_of_its_line_is_not_said_to_be_behind_it(cast, perf):
    # 30 of 60 days in, 100 → 400 expects 250 today: 100 + 200 leads is ahead of that line.
    client = client_for(cast.manager)
    client.post(
        reverse("performance:sample-create", args=[perf.project.pk]),
        {
            "channel": f"c{perf.newsletter.pk}",
            "metric": "leads",
            "date": perf.today,
            "value": "200",
        },
    )
    page = client.get(reverse("performance:dashboard", args=[perf.project.pk]))
    goal = next(g for g in page.context["figures"]["goals"] if g["id"] == perf.goal.pk)
    assert goal["lag_pct"] and goal["lag_pct"].startswith("-"), {
        k: goal[k] for k in ("actual", "expected", "status", "lag_pct", "measure")
    }
    text = page.content.decode()
    assert "Behind the line" not in text
    assert f'<dt>Ahead of the line</dt><dd data-testid="lag">{goal["lag_pct"][1:]} %' in text


# ── 5. A project's pages are in Projects ────────────────────────────────────────


def current_section(page: str) -> list[str]:
    nav = page.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'aria-current="page">([^<]+)<', nav)


def test_every_project_page_highlights_projects(cast, perf):
    client = client_for(cast.manager)
    pk = perf.project.pk
    for name in (
        "performance:dashboard",
        "performance:data",
        "performance:report",
        "standups:project",
        "reviews:project",
        "launches:project",
        "timelines:project",
        "projects:detail",
    ):
        response = client.get(reverse(name, args=[pk]), follow=True)
        assert response.status_code == 200, name
        assert current_section(response.content.decode()) == ["Projects"], name


def test_the_other_sections_keep_their_highlight(cast, perf):
    client = client_for(cast.manager)
    for name, section in (
        ("projects:dashboard", "My work"),
        ("projects:list", "Projects"),
        ("standups:list", "Stand-ups"),
        ("timelines:portfolio", "Timelines"),
    ):
        page = client.get(reverse(name)).content.decode()
        assert current_section(page) == [section], name

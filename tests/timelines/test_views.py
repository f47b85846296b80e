"""The three timeline pages: who sees them, what they show, and bad input."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from synchrony.launches.models import LaunchStatus
from synchrony.planning.models import TaskStatus
from synchrony.projects.models import Membership, Project, Role, Stage
from tests.conftest import client_for
from tests.factories import (
    LaunchFactory,
    MilestoneFactory,
    ProjectFactory,
    TaskFactory,
    UserFactory,
)

# 09:00 in Berlin, where the factories' users live.
NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def planned(cast):
    project = cast.project
    Project.objects.filter(pk=project.pk).update(
        created_at=dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC),
        planning_due=dt.date(2026, 12, 10),
        activation_due=dt.date(2027, 1, 15),
    )
    MilestoneFactory(project=project, title="Pricing final", date=dt.date(2026, 12, 3))
    # 23:30 UTC on 14 December is 00:30 on the 15th in Berlin.
    LaunchFactory(
        project=project,
        name="Winter launch",
        go_live=dt.datetime(2026, 12, 14, 23, 30, tzinfo=dt.UTC),
        status=LaunchStatus.SCHEDULED,
    )
    brief = TaskFactory(
        project=project, title="Write brief", owner=cast.contributor, due_date=dt.date(2026, 12, 4)
    )
    design = TaskFactory(
        project=project,
        title="Design key visual",
        owner=cast.manager,
        due_date=dt.date(2026, 12, 9),
    )
    design.depends_on.add(brief)
    return project


def test_project_timeline_shows_stages_dates_and_dependencies(cast, planned):
    response = client_for(cast.manager).get(reverse("timelines:project", args=[planned.pk]))
    assert response.status_code == 200
    page = text(response)
    assert "Development, current stage: since 2 Nov 2026; no planned end" in page
    assert "Planning, planned: 1 Dec 2026 – 10 Dec 2026" in page
    assert "Milestone Pricing final: 3 Dec 2026" in page
    assert "Launch Winter launch: 15 Dec 2026, 00:30 CET (Scheduled)" in page
    assert "Design key visual: due 9 Dec 2026" in page
    assert "after Write brief" in page
    assert 'class="tl-today"' in page
    assert "Today is 1 Dec 2026" in page
    assert 'aria-current="true">Month<' in page


def test_zoom_changes_the_columns(cast, planned):
    client = client_for(cast.manager)
    url = reverse("timelines:project", args=[planned.pk])
    week = text(client.get(url, {"zoom": "week"}))
    assert 'class="tl tl-week"' in week and ">30 Nov<" in week
    quarter = text(client.get(url, {"zoom": "quarter"}))
    assert 'class="tl tl-quarter"' in quarter and ">Q4<" in quarter


@pytest.mark.parametrize("zoom", ["year", "", "0", "%00", "month'--", "x" * 500])
def test_bad_zoom_falls_back_to_month(cast, planned, zoom):
    for url in (reverse("timelines:project", args=[planned.pk]), reverse("timelines:portfolio")):
        response = client_for(cast.viewer).get(url, {"zoom": zoom})
        assert response.status_code == 200
        assert 'class="tl tl-month"' in text(response)


def test_earlier_and_later_page_through_time(cast, planned):
    client = client_for(cast.manager)
    url = reverse("timelines:project", args=[planned.pk])
    home = text(client.get(url))
    assert "1 Nov 2026 – 31 Jul 2027" in home
    assert f"{url}?zoom=month&amp;from=2027-03-01" in home
    later = text(client.get(url, {"zoom": "month", "from": "2027-03-01"}))
    assert "1 Mar 2027 – 30 Nov 2027" in later
    assert 'class="tl-today"' not in later
    # Everything lies before this window: three bands, two markers, two tasks.
    assert 'Earlier <span class="tl-hidden-count">7<' in later
    assert '<span aria-hidden="true">←</span> 3 Dec<span class="visually-hidden">, before' in later
    assert '<span aria-hidden="true">←</span> 4 Dec 2026<span class="visually-hidden">' in later


@pytest.mark.parametrize("start", ["", "soon", "2026-13-01", "9999-01-01", "2026-06-31", "1" * 300])
def test_unusable_from_falls_back_to_the_default_window(cast, planned, start):
    response = client_for(cast.manager).get(
        reverse("timelines:portfolio"), {"zoom": "month", "from": start}
    )
    assert response.status_code == 200
    assert 'aria-current="true">Today<' in text(response)


def test_charts_refresh_on_live_changes(cast, planned):
    client = client_for(cast.viewer)
    project = text(client.get(reverse("timelines:project", args=[planned.pk])))
    assert f"live-change[detail.project=={planned.pk}]" in project
    assert "live-resync from:body" in text(client.get(reverse("timelines:portfolio")))
    assert "live-resync from:body" in text(client.get(reverse("timelines:team")))


def test_outsider_gets_404_and_sees_nothing_in_the_portfolio(cast, planned):
    client = client_for(cast.outsider)
    assert client.get(reverse("timelines:project", args=[planned.pk])).status_code == 404
    assert client.get(reverse("timelines:project", args=[999999])).status_code == 404
    portfolio = text(client.get(reverse("timelines:portfolio")))
    assert "Atlas launch" not in portfolio
    assert "You are not a member of any project yet." in portfolio
    team = text(client.get(reverse("timelines:team")))
    assert "Write brief" not in team


def test_viewer_sees_the_timeline_without_edit_controls(cast, planned):
    client = client_for(cast.viewer)
    response = client.get(reverse("timelines:project", args=[planned.pk]))
    assert response.status_code == 200
    page = text(response)
    assert "Design key visual" in page and "Winter launch" in page
    chart = page.split('id="timeline"', 1)[1]
    assert "<form" not in chart and "<button" not in chart
    assert client.get(reverse("timelines:portfolio")).status_code == 200
    assert client.get(reverse("timelines:team")).status_code == 200


def test_pages_refuse_writes(cast, planned):
    client = client_for(cast.manager)
    assert client.post(reverse("timelines:project", args=[planned.pk])).status_code == 405
    assert client.post(reverse("timelines:portfolio")).status_code == 405


def test_htmx_zoom_returns_only_the_chart(cast, planned):
    response = client_for(cast.manager).get(
        reverse("timelines:project", args=[planned.pk]), {"zoom": "week"}, HTTP_HX_REQUEST="true"
    )
    page = text(response)
    assert page.lstrip().startswith('<div id="timeline"')
    assert "<html" not in page and 'aria-current="true">Week<' in page
    assert "HX-Request" in response["Vary"]


def test_portfolio_has_a_row_per_visible_project(cast, planned):
    other = ProjectFactory(name="Beacon", owner=cast.manager, stage=Stage.PLANNING)
    hidden = ProjectFactory(name="Hidden thing")
    LaunchFactory(project=hidden, name="Secret launch")
    response = client_for(cast.manager).get(reverse("timelines:portfolio"), {"zoom": "quarter"})
    page = text(response)
    assert "Atlas launch" in page and "Beacon" in page
    assert "Hidden thing" not in page and "Secret launch" not in page
    assert "Launch Winter launch: 15 Dec 2026, 00:30 CET (Scheduled)" in page
    assert "Milestone Pricing final: 3 Dec 2026" in page
    assert reverse("timelines:project", args=[other.pk]) + "?zoom=quarter" in page


def test_portfolio_escapes_what_it_draws(cast, planned):
    LaunchFactory(
        project=planned,
        name='<b>"Loud"</b> & co',
        go_live=dt.datetime(2026, 12, 20, 9, tzinfo=dt.UTC),
        status=LaunchStatus.SCHEDULED,
    )
    page = text(client_for(cast.manager).get(reverse("timelines:portfolio")))
    assert "Launch &lt;b&gt;&quot;Loud&quot;&lt;/b&gt; &amp; co: 20 Dec 2026, 10:00 CET" in page
    assert '<b>"Loud"' not in page
    assert 'class="band development current"' in page
    assert '<span class="band-name">Development</span>' in page


def test_team_progress_counts_what_each_person_owns(cast, planned):
    project = planned
    TaskFactory(
        project=project,
        title="Late copy",
        owner=cast.contributor,
        due_date=dt.date(2026, 11, 20),
    )
    TaskFactory(
        project=project,
        title="Waiting on legal",
        owner=cast.contributor,
        status=TaskStatus.BLOCKED,
        blocked_reason="Legal has not replied",
        due_date=dt.date(2027, 1, 10),
    )
    TaskFactory(project=project, owner=cast.contributor, status=TaskStatus.DONE)
    # Work in a project the manager cannot see never shows up.
    elsewhere = ProjectFactory()
    Membership.objects.create(project=elsewhere, user=cast.contributor, role=Role.CONTRIBUTOR)
    TaskFactory(project=elsewhere, title="Private task", owner=cast.contributor)

    response = client_for(cast.manager).get(reverse("timelines:team"))
    assert response.status_code == 200
    page = text(response)
    row = page.split(str(cast.contributor), 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r'class="count[^"]*">(\d+)', row)
    assert cells == ["3", "1", "1", "1"]  # open, due soon, overdue, blocked
    assert "Write brief" in row and "Late copy" in row
    assert "Legal has not replied" in row
    brief = project.tasks.get(title="Write brief")
    assert f'href="{brief.get_absolute_url()}"' in row
    assert "Private task" not in page
    assert str(cast.viewer) not in page  # viewers own nothing and are left out


def test_team_progress_lists_a_few_and_counts_the_rest(cast):
    for i in range(8):
        TaskFactory(
            project=cast.project,
            title=f"Overdue {i}",
            owner=cast.contributor,
            due_date=dt.date(2026, 11, 1 + i),
        )
    page = text(client_for(cast.viewer).get(reverse("timelines:team")))
    assert "Overdue 4" in page and "Overdue 5" not in page
    assert "and 3 more" in page


def test_someone_who_left_still_shows_with_their_open_work(cast):
    leaver = UserFactory(first_name="Lee", last_name="Left")
    TaskFactory(project=cast.project, title="Orphaned", owner=leaver, due_date=dt.date(2026, 12, 2))
    page = text(client_for(cast.manager).get(reverse("timelines:team")))
    assert "Lee Left" in page and "Orphaned" in page

"""Stand-ups on the shared calendars and in the ICS feeds, in each reader's zone."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
import vobject
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from synchrony.calendars import services as calendars
from synchrony.calendars.models import SavedFilter
from synchrony.projects.models import Membership, Role
from synchrony.standups import services
from tests.conftest import client_for
from tests.factories import ProjectFactory, TeamFactory, UserFactory
from tests.standups.conftest import make_series
from tests.standups.test_agenda import at


@pytest.fixture
def frozen():
    with time_machine.travel(at(2026, 3, 18, 10, 0), tick=False):
        yield


def test_the_month_shows_each_meeting_at_the_readers_time(cast, frozen):
    make_series(cast)
    cast.viewer.time_zone = "America/New_York"
    cast.viewer.save()
    berlin = client_for(cast.manager).get(reverse("calendars:calendar")).content.decode()
    assert berlin.count("<time>09:00</time> Atlas weekly") >= 5  # every Monday in March
    new_york = (
        client_for(cast.viewer)
        .get(reverse("calendars:calendar"), {"view": "agenda", "date": "2026-03-20"})
        .content.decode()
    )
    # New York is on summer time from 8 March, Berlin from 29 March.
    assert "<time>04:00</time> Atlas weekly" in new_york  # Monday 23 March
    assert "<time>03:00</time> Atlas weekly" in new_york  # Monday 30 March
    only_tasks = client_for(cast.manager).get(reverse("calendars:calendar"), {"kind": "task"})
    assert "Atlas weekly" not in only_tasks.content.decode()


def test_outsiders_do_not_see_a_projects_stand_up(cast, frozen):
    make_series(cast)
    ProjectFactory(owner=cast.outsider)
    page = client_for(cast.outsider).get(reverse("calendars:calendar")).content.decode()
    assert "Atlas weekly" not in page


def test_the_feed_has_each_meeting_in_utc_and_a_skipped_one_cancelled(cast, frozen):
    series = make_series(cast)
    url = reverse("calendars:feed", args=[calendars.feed_token_rotate(user=cast.contributor)])

    def events() -> dict[str, vobject.base.Component]:
        feed = vobject.readOne(Client().get(url).content.decode())
        return {
            e.uid.value.split("@")[0]: e
            for e in feed.vevent_list
            if e.uid.value.startswith("standup-")
        }

    found = events()
    before, after = found[f"standup-{series.pk}-20260323"], found[f"standup-{series.pk}-20260330"]
    assert before.summary.value == f"Atlas weekly · {cast.project.name}"
    assert before.dtstart.value == at(2026, 3, 23, 8, 0)  # 09:00 CET
    assert after.dtstart.value == at(2026, 3, 30, 7, 0)  # 09:00 CEST
    assert after.dtend.value - after.dtstart.value == dt.timedelta(minutes=30)
    assert after.status.value == "CONFIRMED"
    sequence = int(after.sequence.value)

    meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 30))
    services.meeting_skip(actor=cast.manager, meeting=meeting, reason="Easter")
    skipped = events()[f"standup-{series.pk}-20260330"]
    assert skipped.status.value == "CANCELLED"
    assert int(skipped.sequence.value) > sequence


def test_the_calendar_reads_as_many_queries_whatever_the_number_of_stand_ups(cast, frozen):
    client = client_for(cast.manager)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("calendars:calendar")).status_code == 200
        return len(ctx.captured_queries)

    make_series(cast)
    small = count()
    for n in range(4):
        series = make_series(cast, name=f"Sync {n}", weekday=n)
        services.meeting_open(series=series, local_date=dt.date(2026, 3, 23 + n))
    assert count() == small


# ── A team's stand-up without projects ─────────────────────────────────────────


def team_series(cast, team, name: str, **overrides):
    """A Monday 09:00 Berlin stand-up of `team`, on no project, made by the contributor."""
    fields = {
        "name": name,
        "projects": [],
        "team": team,
        "facilitator": cast.contributor,
        "attendees": [cast.contributor],
        "cadence_weeks": 1,
        "weekday": 0,
        "local_time": dt.time(9, 0),
        "time_zone": "Europe/Berlin",
        "duration_minutes": 30,
        "starts_on": dt.date(2026, 3, 2),
    }
    return services.series_create(actor=cast.contributor, **{**fields, **overrides})


def make_team_series(cast):
    """The Sales team's stand-up: the contributor (in Berlin) and a seller in New York."""
    team = TeamFactory(name="Sales")
    seller = UserFactory(username="seller", time_zone="America/New_York")
    team.members.add(seller, cast.contributor)
    return team_series(cast, team, "Sales sync", attendees=[cast.contributor, seller]), seller


def test_a_team_stand_up_is_on_its_members_calendars_in_their_own_zones(cast, frozen):
    series, seller = make_team_series(cast)
    berlin = client_for(cast.contributor).get(reverse("calendars:calendar")).content.decode()
    assert berlin.count("<time>09:00</time> Sales sync") == 5  # every Monday in March
    new_york = (
        client_for(seller)
        .get(reverse("calendars:calendar"), {"view": "agenda", "date": "2026-03-20"})
        .content.decode()
    )
    # New York is on summer time from 8 March, Berlin from 29 March.
    assert "<time>04:00</time> Sales sync" in new_york  # Monday 23 March
    assert "<time>03:00</time> Sales sync" in new_york  # Monday 30 March
    assert "· Sales</span>" in new_york  # the team stands where a project would
    assert f"/standups/{series.pk}/" in new_york
    # Not the project's readers (the project's manager, its viewer) nor outsiders.
    for other in (cast.manager, cast.viewer, cast.outsider):
        page = client_for(other).get(reverse("calendars:calendar")).content.decode()
        assert "Sales sync" not in page, other


def test_the_calendars_filters_decide_whether_a_team_stand_up_shows(cast, frozen):
    series, _ = make_team_series(cast)
    client = client_for(cast.contributor)

    def shown(**params) -> bool:
        page = client.get(reverse("calendars:calendar"), params).content.decode()
        return "Sales sync" in page

    assert shown(team=series.team.pk)
    assert shown(kind="standup")
    assert not shown(team=TeamFactory(name="Support").pk)
    assert not shown(project=cast.project.pk)  # it is on no project
    assert not shown(kind="launch")
    archived = services.series_archive(
        actor=cast.contributor, series=series, version=series.version, archive=True
    )
    assert archived.is_archived and not shown()


def test_the_personal_feed_has_a_team_stand_up_in_utc_across_the_dst_change(cast, frozen):
    series, seller = make_team_series(cast)
    found = {}
    for user in (cast.contributor, seller):
        url = reverse("calendars:feed", args=[calendars.feed_token_rotate(user=user)])
        feed = vobject.readOne(Client().get(url).content.decode())
        found[user.username] = {
            e.uid.value.split("@")[0]: e
            for e in feed.vevent_list
            if e.uid.value.startswith("standup-")
        }
    assert found["contributor"].keys() == found["seller"].keys()
    events = found["seller"]
    before, after = events[f"standup-{series.pk}-20260323"], events[f"standup-{series.pk}-20260330"]
    assert before.summary.value == "Sales sync · Sales"
    assert before.dtstart.value == at(2026, 3, 23, 8, 0)  # 09:00 CET
    assert after.dtstart.value == at(2026, 3, 30, 7, 0)  # 09:00 CEST
    assert after.dtend.value - after.dtstart.value == dt.timedelta(minutes=30)
    # The manager's feed (the project, no team) has none of it.
    url = reverse("calendars:feed", args=[calendars.feed_token_rotate(user=cast.manager)])
    assert "Sales sync" not in Client().get(url).content.decode()


def test_a_share_link_never_shows_a_team_stand_up(cast, frozen):
    make_series(cast)  # the project's own stand-up is shared with the project
    make_team_series(cast)
    Membership.objects.filter(user=cast.contributor).update(role=Role.MANAGER)
    client = client_for(cast.contributor)
    mine = client.get(reverse("calendars:calendar")).content.decode()
    assert "Sales sync" in mine and "Atlas weekly" in mine
    saved = SavedFilter.objects.create(owner=cast.contributor, name="For partners")
    _, token = calendars.share_link_create(
        actor=cast.contributor, saved_filter=saved, expires_at=None
    )
    shared = Client().get(reverse("calendars:shared", args=[token])).content.decode()
    assert "Atlas weekly" in shared
    assert "Sales sync" not in shared and "Sales" not in shared


def test_team_stand_ups_keep_the_calendars_query_count(cast, frozen):
    sales, _ = make_team_series(cast)
    client = client_for(cast.contributor)
    pages = [{}, {"view": "agenda"}, {"team": sales.team.pk}]
    feed = reverse("calendars:feed", args=[calendars.feed_token_rotate(user=cast.contributor)])

    def counts() -> list[int]:
        found = []
        for params in pages:
            with CaptureQueriesContext(connection) as ctx:
                page = client.get(reverse("calendars:calendar"), params)
                assert page.status_code == 200 and "Sync 3" in page.content.decode()
            found.append(len(ctx.captured_queries))
        with CaptureQueriesContext(connection) as ctx:
            assert "Sync 3" in Client().get(feed).content.decode()
        found.append(len(ctx.captured_queries))
        return found

    team_series(cast, sales.team, "Sync 3", weekday=3)
    small = counts()
    for n in range(4, 9):
        series = team_series(cast, sales.team, f"Sync {n}", weekday=n % 7)
        services.meeting_open(series=series, local_date=dt.date(2026, 3, 16 + n % 7))
    make_series(cast)  # and a project's
    assert counts() == small


def test_a_team_member_off_the_projects_sees_the_stand_up_under_the_teams_name(cast, frozen):
    team = TeamFactory(name="Sales")
    seller = UserFactory(username="seller")
    team.members.add(seller)
    make_series(cast, team=team, attendees=[cast.manager, seller])
    seen = (
        client_for(seller)
        .get(reverse("calendars:calendar"), {"view": "agenda", "date": "2026-03-20"})
        .content.decode()
    )
    assert "<time>09:00</time> Atlas weekly" in seen
    assert "· Sales</span>" in seen and cast.project.name not in seen
    url = reverse("calendars:feed", args=[calendars.feed_token_rotate(user=seller)])
    feed = Client().get(url).content.decode()
    assert "Atlas weekly · Sales" in feed and cast.project.name not in feed
    # The project's own readers see it under the project, once.
    theirs = (
        client_for(cast.viewer)
        .get(reverse("calendars:calendar"), {"view": "agenda", "date": "2026-03-20"})
        .content.decode()
    )
    assert theirs.count("<time>09:00</time> Atlas weekly") == 2  # 23 and 30 March
    assert f"· {cast.project.name}</span>" in theirs and "· Sales</span>" not in theirs

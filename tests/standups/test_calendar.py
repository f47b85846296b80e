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
from synchrony.standups import services
from tests.conftest import client_for
from tests.factories import ProjectFactory
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

"""When a series meets, resolved one meeting at a time in its zone."""

from __future__ import annotations

import datetime as dt

import pytest

from synchrony.lib.wall_time import NonexistentTime
from synchrony.standups.schedule import (
    Rule,
    dates_between,
    describe,
    first_gap,
    is_meeting_day,
    next_occurrence,
    occurrence_on,
    occurrences,
    previous_occurrence,
)

UTC = dt.UTC


def rule(**overrides) -> Rule:
    fields = {
        "weekday": 0,
        "cadence_weeks": 1,
        "local_time": dt.time(9, 0),
        "time_zone": "Europe/Berlin",
        "duration_minutes": 30,
        "starts_on": dt.date(2026, 3, 2),
    }
    fields.update(overrides)
    return Rule(**fields)


def test_a_weekly_berlin_meeting_keeps_its_wall_time_across_the_spring_change():
    found = occurrences(
        rule(),
        dt.datetime(2026, 3, 16, tzinfo=UTC),
        dt.datetime(2026, 4, 7, tzinfo=UTC),
    )
    # CET (UTC+1) until Sunday 29 March, CEST (UTC+2) from then on.
    assert [o.starts_at for o in found] == [
        dt.datetime(2026, 3, 16, 8, 0, tzinfo=UTC),
        dt.datetime(2026, 3, 23, 8, 0, tzinfo=UTC),
        dt.datetime(2026, 3, 30, 7, 0, tzinfo=UTC),
        dt.datetime(2026, 4, 6, 7, 0, tzinfo=UTC),
    ]
    assert all(o.ends_at - o.starts_at == dt.timedelta(minutes=30) for o in found)
    assert all(not o.note for o in found)


def test_attendees_in_new_york_see_it_move_when_only_one_zone_has_changed():
    # The US springs forward on 8 March, Europe on 29 March: three weeks in between
    # the meeting is an hour earlier for New York.
    new_york = [
        o.starts_at.astimezone(dt.timezone(dt.timedelta(hours=-4))).time()
        for o in occurrences(
            rule(), dt.datetime(2026, 3, 9, tzinfo=UTC), dt.datetime(2026, 4, 1, tzinfo=UTC)
        )
    ]
    assert new_york == [dt.time(4, 0), dt.time(4, 0), dt.time(4, 0), dt.time(3, 0)]


def test_every_other_week_counts_from_the_start_date():
    biweekly = rule(cadence_weeks=2, weekday=2, starts_on=dt.date(2026, 3, 5))  # a Thursday
    days = list(dates_between(biweekly, dt.date(2026, 3, 1), dt.date(2026, 4, 30)))
    assert days == [
        dt.date(2026, 3, 11),
        dt.date(2026, 3, 25),
        dt.date(2026, 4, 8),
        dt.date(2026, 4, 22),
    ]
    assert is_meeting_day(biweekly, dt.date(2026, 3, 25))
    assert not is_meeting_day(biweekly, dt.date(2026, 3, 18))
    assert not is_meeting_day(biweekly, dt.date(2026, 2, 25))  # before the series


def test_next_and_previous_meetings_across_the_change():
    r = rule()
    monday = dt.datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert previous_occurrence(r, monday).starts_at == dt.datetime(2026, 3, 23, 8, 0, tzinfo=UTC)
    assert next_occurrence(r, monday).starts_at == dt.datetime(2026, 4, 6, 7, 0, tzinfo=UTC)
    # Before the series starts, the next meeting is its first; the previous is one back.
    early = dt.datetime(2026, 1, 1, tzinfo=UTC)
    assert next_occurrence(r, early).local_date == dt.date(2026, 3, 2)
    assert previous_occurrence(r, dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)).local_date == (
        dt.date(2026, 2, 23)
    )


def test_a_time_in_the_spring_forward_gap_is_found_and_explained():
    sunday_night = rule(weekday=6, local_time=dt.time(2, 30))
    gap = first_gap(sunday_night, dt.date(2026, 3, 1))
    assert isinstance(gap, NonexistentTime)
    assert str(gap) == (
        "02:30 does not exist on 29 Mar 2026 in Europe/Berlin: the clocks jump forward. "
        "Choose 01:30 or 03:30."
    )
    with pytest.raises(NonexistentTime):
        occurrence_on(sunday_night, dt.date(2026, 3, 29), strict=True)


def test_a_series_that_chose_to_shift_meets_just_after_the_jump():
    shifting = rule(weekday=6, local_time=dt.time(2, 30), shift_gap=True)
    occurrence = occurrence_on(shifting, dt.date(2026, 3, 29), strict=True)
    assert occurrence.starts_at == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST
    assert "02:30 does not exist on 29 Mar 2026" in occurrence.note
    assert "this meeting is at 03:30" in occurrence.note
    # The week before and after are at 02:30 as planned.
    assert occurrence_on(shifting, dt.date(2026, 3, 22)).starts_at.hour == 1  # 02:30 CET
    assert occurrence_on(shifting, dt.date(2026, 4, 5)).starts_at.hour == 0  # 02:30 CEST


def test_a_time_that_happens_twice_takes_the_first_and_says_so():
    autumn = occurrence_on(rule(weekday=6, local_time=dt.time(2, 30)), dt.date(2026, 10, 25))
    assert autumn.starts_at == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    assert "happens twice" in autumn.note


def test_describe():
    assert describe(rule(cadence_weeks=2)) == ("Every other Monday at 09:00 Europe/Berlin, 30 min")

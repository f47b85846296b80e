from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from synchrony.standups import services
from synchrony.standups.models import StandupSeries


def make_series(cast, **overrides) -> StandupSeries:
    """A weekly Monday 09:00 Berlin stand-up of the cast's project, run by its manager."""
    fields = {
        "name": "Atlas weekly",
        "projects": [cast.project],
        "team": None,
        "facilitator": cast.manager,
        "attendees": [cast.manager, cast.contributor, cast.viewer],
        "cadence_weeks": 1,
        "weekday": 0,
        "local_time": dt.time(9, 0),
        "time_zone": "Europe/Berlin",
        "duration_minutes": 30,
        "starts_on": dt.date(2026, 3, 2),
        "shift_gap": False,
    }
    fields.update(overrides)
    return services.series_create(actor=cast.manager, **fields)


@pytest.fixture
def series_for():
    return make_series


# A Monday of the cast's series, 09:00 in Berlin: its meeting's start.
MONDAY = dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(MONDAY + dt.timedelta(minutes=3), tick=False):
        yield


@pytest.fixture
def running(cast, frozen):
    """That Monday's meeting of the cast's series, started by its manager."""
    series = make_series(cast)
    meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 30))
    services.meeting_start(actor=cast.manager, meeting=meeting)
    meeting.series = series
    return meeting

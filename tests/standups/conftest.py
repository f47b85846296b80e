from __future__ import annotations

import datetime as dt

import pytest

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

from __future__ import annotations

import pytest

from synchrony.lib.dates import why_not_a_date, why_not_a_moment, why_not_a_time


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("2026-02-30", "2026-02-30 is not a date: February 2026 has 28 days."),
        ("2028-02-30", "2028-02-30 is not a date: February 2028 has 29 days."),
        ("2026-04-31", "2026-04-31 is not a date: April 2026 has 30 days."),
        (
            "2026-13-01",
            "2026-13-01 is not a date: there is no month 13 (months run from 01 to 12).",
        ),
        ("2026-00-10", "2026-00-10 is not a date: there is no month 0 (months run from 01 to 12)."),
        ("2026-01-00", "2026-01-00 is not a date: days start at 01."),
        ("0000-01-01", "0000-01-01 is not a date: years start at 0001."),
        # Written as no date at all, or a real one: the caller says the format.
        ("tomorrow", None),
        ("2026/02/30", None),
        ("2026-02-28", None),
        ("2028-02-29", None),
    ],
)
def test_a_date_that_does_not_exist_is_said_not_to(text, said):
    assert why_not_a_date(text) == said


def test_a_time_or_a_moment_that_does_not_exist_is_said_not_to():
    assert (
        why_not_a_time("24:30")
        == "24:30 is not a time: there is no hour 24 (hours run from 00 to 23)."
    )
    assert (
        why_not_a_time("09:60")
        == "09:60 is not a time: there is no minute 60 (minutes run from 00 to 59)."
    )
    assert why_not_a_time("09:30") is None
    assert why_not_a_time("half past nine") is None
    assert why_not_a_moment("2026-02-30T10:00:00Z") == (
        "2026-02-30T10:00:00Z is not a date and time: February 2026 has 28 days."
    )
    assert why_not_a_moment("2026-01-01T25:00:00Z") == (
        "2026-01-01T25:00:00Z is not a date and time: there is no hour 25 "
        "(hours run from 00 to 23)."
    )
    assert why_not_a_moment("2026-01-01T10:00:00+25:00") == (
        "2026-01-01T10:00:00+25:00 is not a date and time: a UTC offset is less than 24 hours, "
        "not +25:00."
    )
    assert why_not_a_moment("2026-01-01T10:00:00.123456+01:00") is None
    assert why_not_a_moment("2026-01-01") is None

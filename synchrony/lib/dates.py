"""Why text written as a date, a time or a moment names none: February 30th, 25:00.

A parser that only says "wrong format" sends the writer to check a format they got
right. These say what does not exist, or None when the text is not written as one (or
names a real one), so the caller keeps its format message for that.
"""

from __future__ import annotations

import calendar
import re

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_DATE = r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
_TIME = r"(?P<hour>\d{1,2}):(?P<minute>\d{1,2})(?::(?P<second>\d{1,2})(?:[.,]\d{1,12})?)?"
_OFFSET = r"(?P<offset>Z|[+-](?P<off_hours>\d{2})(?::?(?P<off_minutes>\d{2}))?)"
DATE_RE = re.compile(_DATE)
TIME_RE = re.compile(_TIME)
MOMENT_RE = re.compile(rf"{_DATE}[T ]{_TIME}\s*{_OFFSET}?")


def why_not_a_date(text: str) -> str | None:
    """'2026-02-30 is not a date: February 2026 has 28 days.', for YYYY-MM-DD."""
    match = DATE_RE.fullmatch(text.strip())
    if match is None:
        return None
    reason = _date_reason(match)
    return f"{text.strip()} is not a date: {reason}" if reason else None


def why_not_a_time(text: str) -> str | None:
    """'24:30 is not a time: hours run from 00 to 23.', for HH:MM[:SS]."""
    match = TIME_RE.fullmatch(text.strip())
    if match is None:
        return None
    reason = _time_reason(match)
    return f"{text.strip()} is not a time: {reason}" if reason else None


def why_not_a_moment(text: str) -> str | None:
    """For an ISO 8601 date and time (with an optional offset): which part is no such."""
    match = MOMENT_RE.fullmatch(text.strip())
    if match is None:
        return None
    if reason := _date_reason(match):
        return f"{text.strip()} is not a date and time: {reason}"
    if reason := _time_reason(match) or _offset_reason(match):
        return f"{text.strip()} is not a date and time: {reason}"
    return None


def _date_reason(match: re.Match[str]) -> str | None:
    year, month, day = (int(match.group(name)) for name in ("year", "month", "day"))
    if year < 1:
        return "years start at 0001."
    if not 1 <= month <= 12:
        return f"there is no month {month} (months run from 01 to 12)."
    days = calendar.monthrange(year, month)[1]
    if day < 1:
        return "days start at 01."
    if day > days:
        return f"{MONTHS[month - 1]} {year} has {days} days."
    return None


def _time_reason(match: re.Match[str]) -> str | None:
    hour, minute = int(match.group("hour")), int(match.group("minute"))
    second = int(match.group("second") or 0)
    if hour > 23:
        return f"there is no hour {hour} (hours run from 00 to 23)."
    if minute > 59:
        return f"there is no minute {minute} (minutes run from 00 to 59)."
    if second > 59:
        return f"there is no second {second} (seconds run from 00 to 59)."
    return None


def _offset_reason(match: re.Match[str]) -> str | None:
    if match.group("off_hours") is None:
        return None
    hours, minutes = int(match.group("off_hours")), int(match.group("off_minutes") or 0)
    if minutes > 59:
        return f"an offset's minutes run from 00 to 59, not {minutes}."
    if hours > 23:
        return f"a UTC offset is less than 24 hours, not {match.group('offset')}."
    return None

"""When a stand-up series meets: a wall time in the series' zone, on a weekday, every one or
two weeks, resolved to UTC one meeting at a time so daylight-saving changes are honoured.

A weekly 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer; attendees in
other zones see it move by an hour for a week or two, as they would with any calendar.
A wall time that does not exist on a spring-forward day is refused when the series is
saved, unless the series says to meet just after the jump (as RFC 5545 clients do).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

from synchrony.lib.wall_time import NonexistentTime, resolve


@dataclass(frozen=True)
class Rule:
    weekday: int  # Monday is 0
    cadence_weeks: int  # 1 or 2
    local_time: dt.time
    time_zone: str
    duration_minutes: int
    starts_on: dt.date  # the first meeting is on the first `weekday` on or after it
    shift_gap: bool = False  # on a spring-forward day, meet just after the jump


@dataclass(frozen=True)
class Occurrence:
    local_date: dt.date  # in the series' zone
    starts_at: dt.datetime  # UTC
    ends_at: dt.datetime
    note: str = ""  # a daylight-saving adjustment, in plain words

    @property
    def key(self) -> str:
        return self.local_date.isoformat()


def _step(rule: Rule) -> int:
    return 7 * rule.cadence_weeks


def first_date(rule: Rule) -> dt.date:
    return rule.starts_on + dt.timedelta(days=(rule.weekday - rule.starts_on.weekday()) % 7)


def is_meeting_day(rule: Rule, day: dt.date) -> bool:
    first = first_date(rule)
    return day >= first and (day - first).days % _step(rule) == 0


def dates_between(rule: Rule, start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Meeting days from `start` to `end` inclusive."""
    step = _step(rule)
    first = first_date(rule)
    day = (
        first
        if start <= first
        else first + dt.timedelta(days=-(-(start - first).days // step) * step)
    )
    while day <= end:
        yield day
        day += dt.timedelta(days=step)


def occurrence_on(rule: Rule, day: dt.date, *, strict: bool = False) -> Occurrence:
    """The meeting on `day`. A time in a spring-forward gap moves just after the jump
    (15 minutes into a gap stays 15 minutes after it); with `strict`, unless the series
    chose that, the gap is an error."""
    local = dt.datetime.combine(day, rule.local_time)
    duration = dt.timedelta(minutes=rule.duration_minutes)
    try:
        resolved = resolve(local, rule.time_zone)
    except NonexistentTime as gap:
        if strict and not rule.shift_gap:
            raise
        starts = gap.after.astimezone(dt.UTC)
        note = (
            f"{local:%H:%M} does not exist on {day:%-d %b %Y} in {rule.time_zone} (the clocks "
            f"jump forward): this meeting is at {gap.after:%H:%M}."
        )
        return Occurrence(day, starts, starts + duration, note)
    note = ""
    if resolved.ambiguous:
        note = (
            f"{local:%H:%M} happens twice on {day:%-d %b %Y} in {rule.time_zone} as the clocks "
            "go back; the meeting is at the first."
        )
    return Occurrence(day, resolved.utc, resolved.utc + duration, note)


def occurrences(rule: Rule, start: dt.datetime, end: dt.datetime) -> list[Occurrence]:
    """Meetings starting in [start, end), two aware moments."""
    zone = zoneinfo.ZoneInfo(rule.time_zone)
    # A day's margin each side: the zone's date of a UTC moment can differ by one.
    lo = start.astimezone(zone).date() - dt.timedelta(days=1)
    hi = end.astimezone(zone).date() + dt.timedelta(days=1)
    found = (occurrence_on(rule, day) for day in dates_between(rule, lo, hi))
    return [o for o in found if start <= o.starts_at < end]


def next_occurrence(rule: Rule, after: dt.datetime) -> Occurrence:
    """The first meeting starting after `after`."""
    span = dt.timedelta(days=_step(rule) + 2)
    zone = zoneinfo.ZoneInfo(rule.time_zone)
    # Not before the series starts: look from its first day if that is still ahead.
    start = max(after, dt.datetime.combine(first_date(rule), dt.time.min, zone))
    for _ in range(3):
        found = [o for o in occurrences(rule, start, start + span) if o.starts_at > after]
        if found:
            return found[0]
        start += span
    raise AssertionError("unreachable: every cadence has a meeting day")


def previous_occurrence(rule: Rule, before: dt.datetime) -> Occurrence:
    """The last meeting by the rule starting before `before`, even before the series began
    (the first meeting's "since the last stand-up" is one cadence back)."""
    zone = zoneinfo.ZoneInfo(rule.time_zone)
    day = before.astimezone(zone).date()
    first = first_date(rule)
    step = _step(rule)
    # Step back along the series' days (extended before its start) to the one before.
    offset = (day - first).days % step
    candidate = day - dt.timedelta(days=offset)
    for _ in range(3):
        occurrence = occurrence_on(rule, candidate)
        if occurrence.starts_at < before:
            return occurrence
        candidate -= dt.timedelta(days=step)
    raise AssertionError("unreachable: a meeting three cadences back starts earlier")


def first_gap(rule: Rule, start: dt.date, *, years: int = 3) -> NonexistentTime | None:
    """The first meeting day from `start` whose wall time does not exist, if any."""
    end = start + dt.timedelta(days=365 * years)
    for day in dates_between(rule, start, end):
        try:
            resolve(dt.datetime.combine(day, rule.local_time), rule.time_zone)
        except NonexistentTime as gap:
            return gap
    return None


WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def describe(rule: Rule) -> str:
    every = "Every" if rule.cadence_weeks == 1 else "Every other"
    return (
        f"{every} {WEEKDAY_NAMES[rule.weekday]} at {rule.local_time:%H:%M} "
        f"{rule.time_zone.replace('_', ' ')}, {rule.duration_minutes} min"
    )

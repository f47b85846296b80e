"""Stand-ups on the shared calendars and in the ICS feeds.

Each meeting of a series, computed from the series' rule (so next month's meetings show
before anything is made), in the viewer's zone, with the state of any meeting already
made (skipped ones are shown cancelled). A fixed number of queries, whatever the number
of series or meetings.

Which calendars a series is on:
- a series on projects: the calendars and feeds that show those projects, under the
  first of them the calendar shows (so everyone who reads the project sees its stand-up);
- a team's stand-up without projects: the calendar and personal ICS feed of the team's
  members (and of its facilitator and attendees), beside their projects' items, under
  the team's name; picking projects in the calendar's filter leaves it out, picking
  teams keeps it only if its team is one of them. Never on a share link: that is read by
  people outside the team, and the meeting belongs to no project the link shares.
- a team's stand-up of projects, for a member of the team on none of them: as a team's
  stand-up without projects (the projects' names are not theirs to read).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.urls import reverse

from synchrony.lib.sql import AnyOf
from synchrony.standups.models import Meeting, MeetingStatus, StandupSeries
from synchrony.standups.schedule import occurrences
from synchrony.standups.selectors import team_series_for_calendar

if TYPE_CHECKING:
    from synchrony.accounts.models import User
    from synchrony.calendars.selectors import Filters, Item
    from synchrony.projects.models import Project

COLOUR = "#495057"  # a meeting, not a channel: grey beside the channels' colours
STATUS = {
    MeetingStatus.SKIPPED: "cancelled",
    MeetingStatus.ENDED: "done",
    MeetingStatus.RUNNING: "running",
}


def standup_items(
    projects: dict[int, Project],
    lo: dt.datetime,
    hi: dt.datetime,
    zone: zoneinfo.ZoneInfo,
    *,
    team_viewer: User | None = None,
    filters: Filters | None = None,
) -> list[Item]:
    """Meetings starting in [lo, hi) of the series on `projects` (by pk) and, for a
    `team_viewer` (a personal calendar or feed, not a share link), of the team stand-ups
    without projects that are theirs, within `filters`' teams (its projects exclude them)."""
    from synchrony.calendars.selectors import Item

    ids = list(projects)
    through = StandupSeries.projects.through
    # Plain queries (not array subqueries): the same on PostgreSQL and SQLite; the ids go
    # to PostgreSQL as one array (AnyOf), not one parameter each.
    wanted = Q(pk__in=through.objects.filter(AnyOf("project_id", ids)).values("standupseries_id"))
    if team_viewer is not None and not (filters and filters.projects):
        teams = filters.teams if filters else ()
        wanted |= Q(pk__in=team_series_for_calendar(team_viewer, teams=teams).values("pk"))
    rows: list[Any] = list(
        StandupSeries.objects.filter(wanted, archived_at__isnull=True).select_related("team")
    )
    if not rows:
        return []
    first_project: dict[int, int] = {}
    for series_id, project_id in (
        through.objects.filter(
            AnyOf("standupseries_id", [s.pk for s in rows]), AnyOf("project_id", ids)
        )
        .order_by("project_id")
        .values_list("standupseries_id", "project_id")
    ):
        first_project.setdefault(series_id, project_id)
    made: dict[tuple[int, dt.date], Any] = {
        (m.series_id, m.local_date): m
        for m in Meeting.objects.filter(
            series__in=rows,
            starts_at__gte=lo - dt.timedelta(days=1),
            starts_at__lt=hi + dt.timedelta(days=1),
        ).only("series_id", "local_date", "status", "version")
    }
    series_url = reverse("standups:series", args=[2147483647]).replace("2147483647", "{0}")
    meeting_url = reverse("standups:meeting", args=[2147483647]).replace("2147483647", "{0}")
    items = []
    for series in rows:
        first_id = first_project.get(series.pk)
        # A team's stand-up has no project: the team's name stands beside it instead.
        project = projects[first_id] if first_id is not None else None
        team = series.team.name if project is None and series.team else ""
        for occurrence in occurrences(series.rule, lo, hi):
            meeting = made.get((series.pk, occurrence.local_date))
            local = occurrence.starts_at.astimezone(zone)
            items.append(
                Item(
                    kind="standup",
                    title=series.name,
                    day=local.date(),
                    time=local.time(),
                    url=meeting_url.format(meeting.pk) if meeting else series_url.format(series.pk),
                    project=project,
                    team=team,
                    colour=COLOUR,
                    status=STATUS.get(meeting.status, "scheduled") if meeting else "scheduled",
                    # The series' edits and the meeting's (a skip) both raise SEQUENCE.
                    ref=(
                        f"{series.pk}-{occurrence.local_date:%Y%m%d}",
                        series.version + (meeting.version - 1 if meeting else 0),
                    ),
                    moment=(occurrence.starts_at, occurrence.ends_at),
                )
            )
    return items

"""Stand-ups on the shared calendars and in the ICS feeds.

Each meeting of a series on one of the calendar's projects, computed from the series'
rule (so next month's meetings show before anything is made), in the viewer's zone,
with the state of any meeting already made (skipped ones are shown cancelled). One
query, whatever the number of series or meetings. A team's stand-up without projects
has no place on these project calendars.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING, Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef
from django.db.models.functions import JSONObject
from django.urls import reverse

from synchrony.standups.models import Meeting, MeetingStatus, StandupSeries
from synchrony.standups.schedule import occurrences

if TYPE_CHECKING:
    from synchrony.calendars.selectors import Item
    from synchrony.projects.models import Project

COLOUR = "#495057"  # a meeting, not a channel: grey beside the channels' colours
STATUS = {
    MeetingStatus.SKIPPED: "cancelled",
    MeetingStatus.ENDED: "done",
    MeetingStatus.RUNNING: "running",
}


def standup_items(
    projects: dict[int, Project], lo: dt.datetime, hi: dt.datetime, zone: zoneinfo.ZoneInfo
) -> list[Item]:
    """Meetings starting in [lo, hi) of the series on `projects` (by pk)."""
    from synchrony.calendars.selectors import Item

    ids = list(projects)
    through = StandupSeries.projects.through
    made = Meeting.objects.filter(
        series=OuterRef("pk"),
        starts_at__gte=lo - dt.timedelta(days=1),
        starts_at__lt=hi + dt.timedelta(days=1),
    ).order_by()
    rows: list[Any] = list(
        StandupSeries.objects.filter(
            archived_at__isnull=True,
            pk__in=through.objects.filter(project_id__in=ids).values("standupseries_id"),
        ).annotate(
            project_ids=ArraySubquery(
                through.objects.filter(standupseries_id=OuterRef("pk"), project_id__in=ids)
                .order_by("project_id")
                .values("project_id")
            ),
            made=ArraySubquery(
                made.values(
                    json=JSONObject(day="local_date", pk="pk", status="status", version="version")
                )
            ),
        )
    )
    series_url = reverse("standups:series", args=[2147483647]).replace("2147483647", "{0}")
    meeting_url = reverse("standups:meeting", args=[2147483647]).replace("2147483647", "{0}")
    items = []
    for series in rows:
        meetings = {m["day"]: m for m in series.made}
        project = projects[series.project_ids[0]]
        for occurrence in occurrences(series.rule, lo, hi):
            meeting = meetings.get(occurrence.local_date.isoformat())
            local = occurrence.starts_at.astimezone(zone)
            items.append(
                Item(
                    kind="standup",
                    title=series.name,
                    day=local.date(),
                    time=local.time(),
                    url=meeting_url.format(meeting["pk"])
                    if meeting
                    else series_url.format(series.pk),
                    project=project,
                    colour=COLOUR,
                    status=STATUS.get(meeting["status"], "scheduled") if meeting else "scheduled",
                    # The series' edits and the meeting's (a skip) both raise SEQUENCE.
                    ref=(
                        f"{series.pk}-{occurrence.local_date:%Y%m%d}",
                        series.version + (meeting["version"] - 1 if meeting else 0),
                    ),
                    moment=(occurrence.starts_at, occurrence.ends_at),
                )
            )
    return items

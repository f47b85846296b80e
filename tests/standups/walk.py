"""Stand-ups' objects for tests/test_permissions.py's walk over every URL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from synchrony.standups import services
from synchrony.standups.models import (
    ActionItem,
    Agenda,
    Attendance,
    DiscussedItem,
    Meeting,
    MeetingNote,
    StandupSeries,
)
from tests.standups.conftest import make_series


def standup_objects(cast: Any) -> dict[str, Any]:
    """The cast's weekly stand-up, run by its manager, with a meeting running now: an
    agenda, a note and an action item (a task on the project)."""
    today = timezone.localdate()
    series = make_series(cast, weekday=today.weekday(), starts_on=today - dt.timedelta(days=7))
    meeting = services.upcoming_meeting(series=series, now=timezone.now())
    services.meeting_start(actor=cast.manager, meeting=meeting)
    note = services.note_create(
        actor=cast.manager, meeting=meeting, section="actions", kind="note", body="Noted"
    )
    action = services.action_item_create(
        actor=cast.manager,
        meeting=meeting,
        title="Follow up",
        owner=cast.contributor,
        due_date=None,
        project=cast.project,
    )
    return {
        "series_pk": series.pk,
        "meeting_pk": meeting.pk,
        "standup_note_pk": note.pk,
        "standup_action_pk": action.pk,
    }


def standup_snapshot() -> tuple:
    return (
        sorted(StandupSeries.objects.values_list("pk", "version", "archived_at")),
        sorted(Meeting.objects.values_list("pk", "version", "status")),
        sorted(Agenda.objects.values_list("pk", "revision")),
        sorted(MeetingNote.objects.values_list("pk", "version")),
        sorted(ActionItem.objects.values_list("pk", "closed_at")),
        sorted(Attendance.objects.values_list("pk", "present")),
        DiscussedItem.objects.count(),
    )

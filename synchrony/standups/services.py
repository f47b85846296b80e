"""Writes for stand-ups: series, meetings and their agendas, notes, action items, attendance.

A meeting's row lock orders everything that happens to it: writing its agenda, starting
and ending it, and every note, mark and action item taken while it runs. So an agenda
is never rewritten under a running meeting, and nothing is added to a meeting after it
ended: the late writer is told, and their text comes back to them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import formats, timezone

from synchrony.accounts.models import Team, time_zone_names
from synchrony.activity.live import publish_change
from synchrony.activity.models import NotificationKind
from synchrony.activity.services import (
    StaleEdit,
    notify,
    record_created,
    record_deleted,
    record_event,
    update_versioned,
)
from synchrony.planning import services as planning
from synchrony.projects.models import WORK_STAGES, Membership, Project, Role, Stage
from synchrony.standups import agenda as agendas
from synchrony.standups.live import publish_run
from synchrony.standups.models import (
    ActionItem,
    Agenda,
    AgendaState,
    Attendance,
    DiscussedItem,
    Meeting,
    MeetingNote,
    MeetingStatus,
    NoteKind,
    StandupSeries,
)
from synchrony.standups.schedule import (
    Rule,
    first_gap,
    is_meeting_day,
    next_occurrence,
    occurrence_on,
    previous_occurrence,
)
from synchrony.standups.selectors import (
    can_see_series,
    can_start_standup,
    eligible_people,
    scope_projects,
    visible_project_ids,
)
from synchrony.webhooks.events import EventType, emit

if TYPE_CHECKING:
    from synchrony.accounts.models import User

ABANDONED_AFTER = dt.timedelta(hours=12)  # a meeting still running this long after its end
SCHEDULE_FIELDS = frozenset(
    {"cadence_weeks", "weekday", "local_time", "time_zone", "duration_minutes", "starts_on"}
    | {"shift_gap"}
)


def agenda_lead() -> dt.timedelta:
    return dt.timedelta(hours=settings.STANDUP_AGENDA_LEAD_HOURS)


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return "an unknown time"
    return formats.date_format(timezone.localtime(moment), "D j M Y, H:i")


def _projects_of(series: StandupSeries) -> list[Project]:
    return list(series.projects.all())


def _history_project(series: StandupSeries) -> Project | None:
    """Where an event about the series is recorded (a team's stand-up has no project)."""
    return series.projects.order_by("pk").first()


def _record(
    *, actor: User | None, series: StandupSeries, verb: str, target: Any, message: str = ""
) -> None:
    """In the history of each of the series' projects (a team's stand-up has none)."""
    projects: list[Project | None] = [*_projects_of(series)] or [None]
    for project in projects:
        record_event(actor=actor, project=project, verb=verb, target=target, message=message)


def _publish(series: StandupSeries, kind: str, obj_id: int, actor: User | None) -> None:
    """Calendars show stand-ups, and facilitator mode shows the meeting's state: a
    schedule ("standup-series") or a meeting ("standup-meeting") changed."""
    projects: list[Project | None] = [*_projects_of(series)] or [None]
    for project in projects:
        publish_change(
            kind=kind,
            obj_id=obj_id,
            project_id=project.pk if project else None,
            actor=actor,
            team_id=series.team_id,
            series_id=series.pk,
        )


# ── Series ──────────────────────────────────────────────────────────────────────


def _check_series(
    *,
    actor: User,
    projects: list[Project],
    team: Team | None,
    facilitator: User | None,
    attendees: list[User],
    rule: Rule,
    existing: StandupSeries | None = None,
) -> None:
    errors: dict[str, list[str]] = {}

    def error(name: str, text: str) -> None:
        errors.setdefault(name, []).append(text)

    if not projects and team is None:
        error("projects", "Choose at least one project, or a team.")
    before = set(existing.projects.values_list("pk", flat=True)) if existing else set()
    roles = dict(
        Membership.objects.filter(user=actor, project__in=projects).values_list(
            "project_id", "role"
        )
    )
    for project in projects:
        if project.pk in before:
            continue  # kept as it was: the person who added it had the right
        if project.is_closed:
            error("projects", f"“{project}” is closed.")
        elif not actor.is_superuser and roles.get(project.pk) != Role.MANAGER:
            error("projects", f"Only managers of “{project}” add it to a stand-up.")
    if (
        team is not None
        and not projects
        and not actor.is_superuser
        and (existing is None or existing.team_id != team.pk)
    ):
        if not actor.teams.filter(pk=team.pk).exists():
            error("team", f"You are not in the team “{team}”.")
        elif not can_start_standup(actor):
            error(
                "team",
                "You read along in your projects, so you cannot start a team's stand-up: "
                "ask a manager or contributor to start it and invite you.",
            )
    eligible = set(eligible_people(projects, team).values_list("pk", flat=True))
    if facilitator is not None and facilitator.pk not in eligible:
        error(
            "facilitator",
            f"{facilitator} is not on these projects or in the team, so could not see the "
            "stand-up.",
        )
    outside = [str(a) for a in attendees if a.pk not in eligible]
    if outside:
        error(
            "attendees",
            f"Not on these projects or in the team, so they could not read the agenda: "
            f"{', '.join(outside)}.",
        )
    if not attendees:
        error("attendees", "Invite at least one person.")
    if rule.time_zone not in time_zone_names():
        error("time_zone", f"“{rule.time_zone}” is not a known time zone.")
        raise ValidationError(errors)
    today = timezone.localdate()
    if rule.starts_on > today + dt.timedelta(days=366):
        error("starts_on", "Start within a year from today.")
    elif rule.starts_on < today - dt.timedelta(days=3660):
        error("starts_on", "Start within the last ten years.")
    elif not rule.shift_gap:
        gap = first_gap(rule, max(rule.starts_on, today))
        if gap is not None:
            error(
                "local_time",
                f"{gap} Or tick “On days the clocks jump forward, meet just after the jump” "
                f"to meet at {gap.after:%H:%M} on such days.",
            )
    if errors:
        raise ValidationError(errors)


def series_create(
    *,
    actor: User,
    name: str,
    projects: Iterable[Project],
    team: Team | None,
    facilitator: User,
    attendees: Iterable[User],
    **schedule: Any,
) -> StandupSeries:
    projects, attendees = list(projects), list(attendees)
    series = StandupSeries(
        name=name, team=team, facilitator=facilitator, created_by=actor, **schedule
    )
    series.full_clean()
    _check_series(
        actor=actor,
        projects=projects,
        team=team,
        facilitator=facilitator,
        attendees=attendees,
        rule=series.rule,
    )
    with transaction.atomic():
        series.save()
        series.projects.set(projects)
        series.attendees.set(attendees)
        _record(actor=actor, series=series, verb="created", target=series)
        _publish(series, "standup-series", series.pk, actor)
    return series


def series_update(
    *,
    actor: User,
    series: StandupSeries,
    version: int,
    changes: dict[str, Any],
    projects: Iterable[Project],
    attendees: Iterable[User],
) -> StandupSeries:
    projects, attendees = list(projects), list(attendees)
    merged = StandupSeries(
        **{
            f.attname: getattr(series, f.attname)
            for f in StandupSeries._meta.concrete_fields
            if f.attname != "id"
        }
    )
    for name, value in changes.items():
        setattr(merged, name, value)
    # The model's own rules for what changes (duration, time zone), as series_create's
    # full_clean applies them, whichever way the change came in.
    merged.clean_fields(
        exclude=[f.name for f in StandupSeries._meta.concrete_fields if f.name not in changes]
    )
    _check_series(
        actor=actor,
        projects=projects,
        team=merged.team,
        facilitator=merged.facilitator,
        attendees=attendees,
        rule=merged.rule,
        existing=series,
    )
    with transaction.atomic():
        updated, diff = update_versioned(
            actor=actor,
            project=_history_project(series) or (projects[0] if projects else None),
            instance=series,
            version=version,
            changes=changes,
            m2m={"projects": projects, "attendees": attendees},
        )
        if SCHEDULE_FIELDS & set(diff):
            _reschedule(updated, timezone.now())
        if diff:
            _publish(updated, "standup-series", updated.pk, actor)
    return updated


def _reschedule(series: StandupSeries, now: dt.datetime) -> None:
    """Meetings not yet started follow the new schedule: re-timed if their day still
    has a meeting, else dropped (with their agenda, which is only ever derived data; the
    scheduler writes one for the new day)."""
    rule = series.rule
    for meeting in series.meetings.filter(status=MeetingStatus.SCHEDULED, starts_at__gt=now):
        if is_meeting_day(rule, meeting.local_date):
            occurrence = occurrence_on(rule, meeting.local_date)
            Meeting.objects.filter(pk=meeting.pk).update(
                starts_at=occurrence.starts_at,
                ends_at=occurrence.ends_at,
                time_note=occurrence.note,
            )
        else:
            meeting.delete()


def series_archive(
    *, actor: User, series: StandupSeries, version: int, archive: bool
) -> StandupSeries:
    """Archived series stop meeting and leave the calendars; their history stays."""
    with transaction.atomic():
        updated, _ = update_versioned(
            actor=actor,
            project=_history_project(series),
            instance=series,
            version=version,
            changes={"archived_at": timezone.now() if archive else None},
            verb="archived" if archive else "restored",
        )
        if archive:
            updated.meetings.filter(
                status=MeetingStatus.SCHEDULED, starts_at__gt=timezone.now()
            ).delete()
        _publish(updated, "standup-series", updated.pk, actor)
    return updated


# ── Meetings and agendas ───────────────────────────────────────────────────────


def meeting_open(*, series: StandupSeries, local_date: dt.date) -> Meeting:
    """The meeting of `series` on `local_date`, made if it does not exist yet."""
    rule = series.rule
    if not is_meeting_day(rule, local_date):
        raise ValidationError(f"“{series}” does not meet on {local_date:%-d %b %Y}.")
    occurrence = occurrence_on(rule, local_date)
    meeting, _ = Meeting.objects.get_or_create(
        series=series,
        local_date=local_date,
        defaults={
            "starts_at": occurrence.starts_at,
            "ends_at": occurrence.ends_at,
            "time_note": occurrence.note,
        },
    )
    return meeting


def upcoming_meeting(*, series: StandupSeries, now: dt.datetime) -> Meeting:
    """The meeting running now, or else the next one by the schedule (made if needed)."""
    running = series.meetings.filter(status=MeetingStatus.RUNNING).first()
    if running is not None:
        return running
    # A meeting within its scheduled time still counts as the next one; one held early
    # (or skipped) does not.
    after = now - dt.timedelta(minutes=series.duration_minutes)
    while True:
        occurrence = next_occurrence(series.rule, after)
        meeting = meeting_open(series=series, local_date=occurrence.local_date)
        if meeting.status in (MeetingStatus.SCHEDULED, MeetingStatus.RUNNING):
            return meeting
        after = occurrence.starts_at


def _locked(meeting: Meeting) -> Meeting:
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    locked.series = meeting.series
    return locked


def _why_closed(meeting: Meeting) -> str:
    if meeting.status == MeetingStatus.ENDED:
        who = f" by {meeting.ended_by}" if meeting.ended_by else ""
        return f"This meeting ended{who} at {_when(meeting.ended_at)}; its record stays as it was."
    if meeting.status == MeetingStatus.SKIPPED:
        return "This meeting was skipped; restore it to run it."
    if meeting.status == MeetingStatus.RUNNING:
        return (
            "This meeting is running: its agenda stays as it was when the meeting started, so "
            "notes stay beside what they are about. “What changed” shows the latest."
        )
    return "This meeting has not started yet: start it first."


def _lock_running(meeting: Meeting) -> Meeting:
    locked = _locked(meeting)
    if locked.status != MeetingStatus.RUNNING:
        raise ValidationError(_why_closed(locked))
    return locked


def agenda_write(
    *,
    meeting: Meeting,
    actor: User | None = None,
    now: dt.datetime | None = None,
    force: bool = False,
) -> Agenda | None:
    """Write the meeting's agenda once (the scheduler), or again (`force`, on demand).

    The meeting's row lock makes it idempotent: a second writer waits, then finds the
    agenda written. A meeting that started, ended or was skipped keeps its agenda.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(meeting)
        agenda = Agenda.objects.filter(meeting=locked).first()
        if locked.status != MeetingStatus.SCHEDULED:
            if force:
                raise ValidationError(_why_closed(locked))
            return agenda
        if agenda is not None and agenda.is_ready and not force:
            return agenda
        return _write(locked, agenda or Agenda(meeting=locked), actor=actor, now=now, send=True)


def _write(
    meeting: Meeting, agenda: Agenda, *, actor: User | None, now: dt.datetime, send: bool
) -> Agenda:
    win = agendas.window(meeting)
    agenda.data = agendas.build(meeting, now=now, win=win)
    agenda.since, agenda.until = win.since, win.until
    agenda.state = AgendaState.READY
    agenda.written_at = now
    agenda.written_by = actor
    agenda.revision += 1
    agenda.save()
    emit(EventType.STANDUP_AGENDA_READY, agenda)
    publish_run(meeting.pk, actor, state=True)
    if send and agenda.emailed_at is None:
        _send_agenda(meeting, agenda, actor=actor)
        agenda.emailed_at = now
        agenda.save(update_fields=["emailed_at"])
    return agenda


def _readers(meeting: Meeting, data: dict[str, Any]) -> list[User]:
    """Attendees and the facilitator who can still see the stand-up."""
    series = meeting.series
    people = agendas.people_to_send(series.attendees.all(), data)
    if series.facilitator not in people:
        people.append(series.facilitator)
    return [user for user in people if can_see_series(user, series)]


def _send_agenda(meeting: Meeting, agenda: Agenda, *, actor: User | None) -> None:
    series = meeting.series
    for user in _readers(meeting, agenda.data):
        data = agendas.for_viewer(agenda.data, visible_project_ids(user, series))
        with timezone.override(user.time_zone):
            body = render_to_string(
                "standups/email/agenda.txt",
                {
                    "meeting": meeting,
                    "series": series,
                    "agenda": agendas.hydrate(data),
                    "sections": agendas.sections(data, duration_minutes=series.duration_minutes),
                },
            )
            title = f"Agenda: {series} on {_when(meeting.starts_at)}"
        notify(
            recipients=[user],
            kind=NotificationKind.STANDUP_AGENDA,
            title=title,
            body=body,
            url=meeting.get_absolute_url(),
            project=_history_project(series),
            actor=actor,
            dedupe_key=f"standup-agenda:{meeting.pk}",
        )


def meeting_start(*, actor: User, meeting: Meeting, now: dt.datetime | None = None) -> Meeting:
    """Start the meeting (twice is once): its agenda is frozen, attendance is taken."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(meeting)
        if locked.status == MeetingStatus.RUNNING:
            return locked
        if locked.status != MeetingStatus.SCHEDULED:
            raise ValidationError(_why_closed(locked))
        # Any time once the meeting before it has begun: teams sometimes meet a day early.
        before = previous_occurrence(locked.series.rule, locked.starts_at)
        if now < before.starts_at:
            raise ValidationError(
                f"This meeting is on {_when(locked.starts_at)}; the one on "
                f"{_when(before.starts_at)} comes first."
            )
        other = (
            locked.series.meetings.filter(status=MeetingStatus.RUNNING)
            .exclude(pk=locked.pk)
            .first()
        )
        if other is not None:
            raise ValidationError(
                f"The meeting of {other.local_date:%-d %b} is still running: end it first."
            )
        agenda = Agenda.objects.filter(meeting=locked).first()
        if agenda is None or not agenda.is_ready:
            _write(locked, agenda or Agenda(meeting=locked), actor=actor, now=now, send=False)
        Attendance.objects.bulk_create(
            [Attendance(meeting=locked, user=u) for u in locked.series.attendees.all()],
            ignore_conflicts=True,
        )
        locked.status = MeetingStatus.RUNNING
        locked.started_at, locked.started_by = now, actor
        locked.version += 1
        locked.save()
        _record(actor=actor, series=locked.series, verb="started", target=locked)
        _publish(locked.series, "standup-meeting", locked.pk, actor)
        publish_run(locked.pk, actor, state=True)
    return locked


def meeting_end(*, actor: User | None, meeting: Meeting, now: dt.datetime | None = None) -> Meeting:
    """Store the record and send everyone the summary. A second "end" is told who ended it."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_running(meeting)
        locked.status = MeetingStatus.ENDED
        locked.ended_at, locked.ended_by = now, actor
        locked.version += 1
        with timezone.override(locked.series.time_zone):
            locked.summary = summary_text(locked, project_ids=None)
        locked.save()
        _record(
            actor=actor,
            series=locked.series,
            verb="ended" if actor else "ended (automatically)",
            target=locked,
        )
        _send_summary(locked)
        _publish(locked.series, "standup-meeting", locked.pk, actor)
        publish_run(locked.pk, actor, state=True)
    return locked


def summary_text(meeting: Meeting, *, project_ids: set[int] | None) -> str:
    """The record in words; with `project_ids`, only what a reader of those projects sees."""
    agenda = Agenda.objects.filter(meeting=meeting).first()
    index = agendas.item_index(agenda.data) if agenda else {}

    def visible(project_id: int | None) -> bool:
        return project_ids is None or project_id is None or project_id in project_ids

    notes = [
        n
        for n in meeting.notes.select_related("author")
        if visible(index.get(n.item_key, {}).get("project_id"))
    ]
    section_titles = {
        s.key: s.title
        for s in agendas.sections(
            agenda.data if agenda else {}, duration_minutes=meeting.series.duration_minutes
        )
    }
    items = [
        a
        for a in meeting.action_items.select_related("owner", "task", "project")
        if visible(a.project_id)
    ]
    attendance = list(meeting.attendance.select_related("user"))
    return render_to_string(
        "standups/email/summary.txt",
        {
            "meeting": meeting,
            "series": meeting.series,
            "decisions": [n for n in notes if n.kind == NoteKind.DECISION],
            "notes": [n for n in notes if n.kind == NoteKind.NOTE],
            "section_titles": section_titles,
            "action_items": items,
            "present": [a.user for a in attendance if a.present],
            "absent": [a.user for a in attendance if not a.present],
            "site_url": settings.SITE_URL,
        },
    ).strip()


def _send_summary(meeting: Meeting) -> None:
    series = meeting.series
    agenda = Agenda.objects.filter(meeting=meeting).first()
    readers = _readers(meeting, agenda.data if agenda else {})
    for user in readers:
        with timezone.override(user.time_zone):
            body = summary_text(meeting, project_ids=visible_project_ids(user, series))
            title = f"Summary: {series} on {_when(meeting.starts_at)}"
        # The summary is the record: the facilitator who ended the meeting gets it too.
        notify(
            recipients=[user],
            kind=NotificationKind.STANDUP_SUMMARY,
            title=title,
            body=body,
            url=meeting.get_absolute_url(),
            project=_history_project(series),
            actor=None,
            dedupe_key=f"standup-summary:{meeting.pk}",
        )


def meeting_skip(*, actor: User, meeting: Meeting, reason: str) -> Meeting:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why, for the attendees and the history."})
    with transaction.atomic():
        locked = _locked(meeting)
        if locked.status != MeetingStatus.SCHEDULED:
            raise ValidationError(_why_closed(locked))
        locked.status, locked.skip_reason = MeetingStatus.SKIPPED, reason[:300]
        locked.version += 1
        locked.save()
        _record(actor=actor, series=locked.series, verb="skipped", target=locked, message=reason)
        data = locked.agenda.data if hasattr(locked, "agenda") else {}
        with timezone.override(locked.series.time_zone):
            title = f"Skipped: {locked.series} on {_when(locked.starts_at)}"
        notify(
            recipients=_readers(locked, data),
            kind=NotificationKind.STANDUP_AGENDA,
            title=title,
            body=reason,
            url=locked.get_absolute_url(),
            project=_history_project(locked.series),
            actor=actor,
        )
        _publish(locked.series, "standup-meeting", locked.pk, actor)
        publish_run(locked.pk, actor, state=True)
    return locked


def meeting_restore(*, actor: User, meeting: Meeting) -> Meeting:
    with transaction.atomic():
        locked = _locked(meeting)
        if locked.status != MeetingStatus.SKIPPED:
            raise ValidationError("Only a skipped meeting can be restored.")
        if locked.ends_at < timezone.now():
            raise ValidationError("This meeting's time has passed; it stays skipped.")
        locked.status, locked.skip_reason = MeetingStatus.SCHEDULED, ""
        locked.version += 1
        locked.save()
        _record(actor=actor, series=locked.series, verb="restored", target=locked)
        _publish(locked.series, "standup-meeting", locked.pk, actor)
        publish_run(locked.pk, actor, state=True)
    return locked


# ── While the meeting runs ─────────────────────────────────────────────────────


def _agenda_data(meeting: Meeting) -> dict[str, Any]:
    agenda = Agenda.objects.filter(meeting=meeting).first()
    return agenda.data if agenda else {}


def attendance_set(*, actor: User, meeting: Meeting, user: User, present: bool) -> Attendance:
    with transaction.atomic():
        locked = _lock_running(meeting)
        series = locked.series
        invited = series.attendees.filter(pk=user.pk).exists()
        if not invited and not can_see_series(user, series):
            raise ValidationError(f"{user} is not on this stand-up's projects or team.")
        attendance, _ = Attendance.objects.update_or_create(
            meeting=locked,
            user=user,
            defaults={
                "present": present,
                "guest": not invited,
                "marked_by": actor,
                "marked_at": timezone.now(),
            },
        )
        publish_run(locked.pk, actor)
    return attendance


def discussed_set(*, actor: User, meeting: Meeting, key: str, discussed: bool) -> bool:
    with transaction.atomic():
        locked = _lock_running(meeting)
        if key not in agendas.item_index(_agenda_data(locked)):
            raise ValidationError("That item is not on this meeting's agenda.")
        if discussed:
            DiscussedItem.objects.get_or_create(meeting=locked, key=key, defaults={"by": actor})
        else:
            DiscussedItem.objects.filter(meeting=locked, key=key).delete()
        publish_run(locked.pk, actor)
    return discussed


def _section_keys(meeting: Meeting, data: dict[str, Any]) -> set[str]:
    return {s.key for s in agendas.sections(data, duration_minutes=meeting.series.duration_minutes)}


def note_create(
    *, actor: User, meeting: Meeting, section: str, kind: str, body: str, item_key: str = ""
) -> MeetingNote:
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write the note first."})
    with transaction.atomic():
        locked = _lock_running(meeting)
        data = _agenda_data(locked)
        index = agendas.item_index(data)
        if section not in _section_keys(locked, data):
            raise ValidationError("That section is not on this meeting's agenda.")
        if item_key and item_key not in index:
            raise ValidationError("That item is not on this meeting's agenda.")
        note = MeetingNote(
            meeting=locked,
            section=section,
            item_key=item_key,
            item_label=index[item_key]["label"][:300] if item_key else "",
            kind=kind,
            body=body,
            author=actor,
        )
        note.full_clean()
        note.save()
        record_created(actor=actor, project=_history_project(locked.series), target=note)
        publish_run(locked.pk, actor)
    return note


def note_update(
    *, actor: User, note: MeetingNote, version: int, body: str, kind: str
) -> MeetingNote:
    """Versioned: two facilitators editing one note never overwrite each other."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": "A note cannot be empty; delete it instead."})
    with transaction.atomic():
        locked = _lock_running(note.meeting)
        updated, _ = update_versioned(
            actor=actor,
            project=_history_project(note.meeting.series),
            instance=note,
            version=version,
            changes={"body": body, "kind": kind},
        )
        publish_run(locked.pk, actor)
    return updated


def note_delete(*, actor: User, note: MeetingNote, version: int) -> None:
    """Refused if the note changed since the person deleting it saw it."""
    with transaction.atomic():
        locked = _lock_running(note.meeting)
        current = MeetingNote.objects.select_for_update().get(pk=note.pk)
        if current.version != version:
            raise StaleEdit(current, since_version=version)
        record_deleted(actor=actor, project=_history_project(note.meeting.series), target=current)
        current.delete()
        publish_run(locked.pk, actor)


def action_item_create(
    *,
    actor: User,
    meeting: Meeting,
    title: str,
    owner: User | None,
    due_date: dt.date | None,
    project: Project | None,
    section: str = "",
    item_key: str = "",
) -> ActionItem:
    """An action item; on a project it is a planning task at once, owned and dated."""
    title = title.strip()
    if not title:
        raise ValidationError({"title": "Say what needs doing."})
    with transaction.atomic():
        locked = _lock_running(meeting)
        series = locked.series
        data = _agenda_data(locked)
        index = agendas.item_index(data)
        if item_key and item_key not in index:
            item_key = ""  # the agenda item went away: keep the action, drop the link
        scope = list(scope_projects(series))
        if project is None and series.projects.exists():
            raise ValidationError({"project": "Choose the project the task belongs to."})
        if due_date is not None and due_date < locked.local_date:
            raise ValidationError(
                {"due_date": "That date is before the meeting; choose the meeting day or later."}
            )
        task = None
        if project is not None:
            if project.pk not in {p.pk for p in scope}:
                raise ValidationError({"project": f"“{project}” is not on this stand-up."})
            if project.is_closed:
                raise ValidationError({"project": f"“{project}” is closed."})
            role = (
                Role.MANAGER
                if actor.is_superuser
                else Membership.objects.filter(project=project, user=actor)
                .values_list("role", flat=True)
                .first()
            )
            if role not in (Role.MANAGER, Role.CONTRIBUTOR):
                raise ValidationError(
                    {"project": f"You cannot add tasks to “{project}”: ask one of its managers."}
                )
            about = f" About {index[item_key]['label']}." if item_key else ""
            task = planning.task_create(
                actor=actor,
                project=project,
                title=title,
                owner=owner,
                due_date=due_date,
                stage=project.stage if project.stage in WORK_STAGES else Stage.ACTIVATION,
                description=f"Action item from the stand-up “{series}” on "
                f"{locked.local_date:%-d %b %Y}.{about}",
            )
        elif owner is not None and not can_see_series(owner, series):
            raise ValidationError({"owner": f"{owner} is not on this stand-up's team."})
        item = ActionItem(
            meeting=locked,
            series=series,
            title=title,
            owner=owner,
            due_date=due_date,
            project=project,
            task=task,
            section=section[:60],
            item_key=item_key,
            created_by=actor,
        )
        item.full_clean()
        item.save()
        publish_run(locked.pk, actor)
    return item


def action_item_close(*, actor: User, item: ActionItem, done: bool = True) -> ActionItem:
    """A team's action item without a task is closed here; a task is done on its project."""
    if item.task_id is not None or item.project_id is not None:
        raise ValidationError(
            "This action item is a task: mark the task done on its project, and it is done here."
        )
    with transaction.atomic():
        locked = ActionItem.objects.select_for_update().get(pk=item.pk)
        locked.closed_at = timezone.now() if done else None
        locked.closed_by = actor if done else None
        locked.save(update_fields=["closed_at", "closed_by"])
        _record(
            actor=actor,
            series=item.series,
            verb="closed" if done else "reopened",
            target=locked,
        )
        publish_run(item.meeting_id, actor)
    return locked


# ── The scheduler's work ───────────────────────────────────────────────────────


def agendas_due(now: dt.datetime) -> list[int]:
    """Make each active series' next meeting once its agenda is due, and return the ids
    of those whose agenda is not written yet."""
    lead = agenda_lead()
    due = []
    for series in StandupSeries.objects.filter(archived_at__isnull=True):
        occurrence = next_occurrence(series.rule, now)
        if occurrence.starts_at - lead > now:
            continue
        meeting = meeting_open(series=series, local_date=occurrence.local_date)
        if meeting.status != MeetingStatus.SCHEDULED:
            continue
        if not Agenda.objects.filter(
            meeting=meeting, state=AgendaState.READY, revision__gt=0
        ).exists():
            due.append(meeting.pk)
    return due


def end_abandoned(now: dt.datetime) -> int:
    """Meetings left running long after their time end on their own, and say so."""
    ended = 0
    for meeting in Meeting.objects.filter(
        status=MeetingStatus.RUNNING, ends_at__lt=now - ABANDONED_AFTER
    ).select_related("series"):
        try:
            meeting_end(actor=None, meeting=meeting, now=now)
        except ValidationError:
            continue  # someone ended it meanwhile
        ended += 1
    return ended

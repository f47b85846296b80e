"""Series rules, running a meeting, and the edge cases: gaps, stale notes, late writers,
people who left, agendas rewritten under a running meeting, meetings left running."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from synchrony.activity.services import StaleEdit
from synchrony.planning.models import Task, TaskStatus
from synchrony.projects import services as projects
from synchrony.projects.models import Membership, Role
from synchrony.standups import services, tasks
from synchrony.standups.models import ActionItem, Agenda, Meeting, MeetingNote, MeetingStatus
from synchrony.standups.selectors import get_series_for_user, series_for_user
from tests.factories import ProjectFactory, TaskFactory, TeamFactory, UserFactory
from tests.standups.conftest import make_series
from tests.standups.test_agenda import at, deliver_emails, person

MONDAY = at(2026, 3, 30, 7, 0)  # 09:00 in Berlin


@pytest.fixture
def running(cast):
    """The 30 March meeting, started on time by the manager."""
    series = make_series(cast)
    with time_machine.travel(MONDAY, tick=False):
        meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 30))
        services.meeting_start(actor=cast.manager, meeting=meeting)
    meeting.refresh_from_db()
    meeting.series = series
    return meeting


# ── Series ──────────────────────────────────────────────────────────────────────


def test_a_time_that_does_not_exist_is_refused_with_the_choices(cast):
    with (
        time_machine.travel(at(2026, 3, 1), tick=False),
        pytest.raises(ValidationError) as refused,
    ):
        make_series(cast, weekday=6, local_time=dt.time(2, 30))
    message = refused.value.message_dict["local_time"][0]
    assert message.startswith(
        "02:30 does not exist on 29 Mar 2026 in Europe/Berlin: the clocks jump forward. "
        "Choose 01:30 or 03:30."
    )
    assert "meet at 03:30 on such days" in message


def test_a_series_may_choose_to_meet_just_after_the_jump(cast):
    with time_machine.travel(at(2026, 3, 1), tick=False):
        series = make_series(cast, weekday=6, local_time=dt.time(2, 30), shift_gap=True)
    meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 29))
    assert meeting.starts_at == at(2026, 3, 29, 1, 30)  # 03:30 CEST
    assert "this meeting is at 03:30" in meeting.time_note


def test_who_may_be_on_a_series(cast):
    with pytest.raises(ValidationError) as refused:
        make_series(cast, attendees=[cast.contributor, cast.outsider])
    assert str(cast.outsider) in refused.value.message_dict["attendees"][0]
    with pytest.raises(ValidationError) as refused:
        make_series(cast, facilitator=cast.outsider)
    assert "could not see the stand-up" in refused.value.message_dict["facilitator"][0]
    with pytest.raises(ValidationError) as refused:
        make_series(cast, projects=[], team=None)
    assert refused.value.message_dict["projects"] == ["Choose at least one project, or a team."]
    with pytest.raises(ValidationError) as refused:
        services.series_create(
            actor=cast.contributor,
            name="Mine",
            projects=[cast.project],
            team=None,
            facilitator=cast.contributor,
            attendees=[cast.contributor],
            weekday=0,
            local_time=dt.time(9),
            time_zone="Europe/Berlin",
            starts_on=dt.date(2026, 3, 2),
        )
    assert refused.value.message_dict["projects"] == [
        f"Only managers of “{cast.project}” add it to a stand-up."
    ]


def test_a_team_stand_up_is_seen_by_the_team_and_its_items_are_closed_there(cast):
    team = TeamFactory(name="Sales")
    seller, other = UserFactory(), UserFactory()
    team.members.add(seller, cast.manager)
    series = services.series_create(
        actor=cast.manager,
        name="Sales sync",
        projects=[],
        team=team,
        facilitator=seller,
        attendees=[seller, cast.manager],
        weekday=0,
        local_time=dt.time(9),
        time_zone="Europe/Berlin",
        starts_on=dt.date(2026, 3, 2),
    )
    assert list(series_for_user(seller)) == [series]
    assert list(series_for_user(other)) == []
    assert get_series_for_user(seller, series.pk, write=True).runnable
    with time_machine.travel(MONDAY, tick=False):
        meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 30))
        services.meeting_start(actor=seller, meeting=meeting)
        item = services.action_item_create(
            actor=seller,
            meeting=meeting,
            title="Call the partner",
            owner=seller,
            due_date=None,
            project=None,
        )
    assert item.task is None and item.is_open
    closed = services.action_item_close(actor=seller, item=item)
    assert closed.state == "done"


def test_changing_the_day_moves_the_meetings_not_yet_held(cast):
    with time_machine.travel(at(2026, 3, 20), tick=False):
        series = make_series(cast)
        upcoming = services.upcoming_meeting(series=series, now=at(2026, 3, 20))
        assert upcoming.local_date == dt.date(2026, 3, 23)
        services.series_update(
            actor=cast.manager,
            series=series,
            version=series.version,
            changes={"local_time": dt.time(10, 30)},
            projects=[cast.project],
            attendees=series.attendees.all(),
        )
        upcoming.refresh_from_db()
        assert upcoming.starts_at == at(2026, 3, 23, 9, 30)  # 10:30 CET
        series.refresh_from_db()
        services.series_update(
            actor=cast.manager,
            series=series,
            version=series.version,
            changes={"weekday": 1},
            projects=[cast.project],
            attendees=series.attendees.all(),
        )
    assert not Meeting.objects.filter(pk=upcoming.pk).exists()  # no longer a meeting day


def test_a_stale_series_edit_is_refused(cast):
    series = make_series(cast)
    services.series_update(
        actor=cast.manager,
        series=series,
        version=1,
        changes={"name": "Atlas daily"},
        projects=[cast.project],
        attendees=series.attendees.all(),
    )
    with pytest.raises(StaleEdit):
        services.series_update(
            actor=cast.manager,
            series=series,
            version=1,
            changes={"duration_minutes": 15},
            projects=[cast.project],
            attendees=series.attendees.all(),
        )


# ── Running a meeting ──────────────────────────────────────────────────────────


def test_starting_takes_attendance_and_freezes_the_agenda(cast, running):
    assert running.status == MeetingStatus.RUNNING
    assert running.started_by == cast.manager
    assert Agenda.objects.get(meeting=running).is_ready
    assert sorted(running.attendance.values_list("user_id", flat=True)) == sorted(
        [cast.manager.pk, cast.contributor.pk, cast.viewer.pk]
    )
    # Twice is once.
    again = services.meeting_start(actor=cast.manager, meeting=running)
    assert again.version == running.version


def test_a_meeting_cannot_start_before_the_one_before_it(cast):
    series = make_series(cast)
    with time_machine.travel(at(2026, 3, 20), tick=False):
        later = services.meeting_open(series=series, local_date=dt.date(2026, 3, 30))
        with pytest.raises(ValidationError) as refused:
            services.meeting_start(actor=cast.manager, meeting=later)
    assert "comes first" in refused.value.messages[0]


def test_an_agenda_is_not_rewritten_while_its_meeting_runs(cast, running):
    agenda = Agenda.objects.get(meeting=running)
    TaskFactory(project=cast.project, owner=cast.contributor, status=TaskStatus.BLOCKED)
    with pytest.raises(ValidationError) as refused:
        services.agenda_write(meeting=running, actor=cast.manager, force=True)
    assert "This meeting is running: its agenda stays as it was" in refused.value.messages[0]
    assert Agenda.objects.get(meeting=running).data == agenda.data
    # The scheduler leaves it alone too.
    assert services.agenda_write(meeting=running).revision == agenda.revision


def test_two_facilitators_editing_one_note_never_overwrite_each_other(cast, running):
    Membership.objects.filter(user=cast.contributor).update(role=Role.MANAGER)
    note = services.note_create(
        actor=cast.manager, meeting=running, section="actions", kind="note", body="Draft"
    )
    services.note_update(
        actor=cast.contributor, note=note, version=1, body="Agreed: ship Friday", kind="decision"
    )
    with pytest.raises(StaleEdit) as refused:
        services.note_update(
            actor=cast.manager, note=note, version=1, body="Ship Monday", kind="note"
        )
    assert "Not saved: this note changed since you opened it." in refused.value.message
    assert str(cast.contributor) in refused.value.message
    note.refresh_from_db()
    assert (note.body, note.kind, note.version) == ("Agreed: ship Friday", "decision", 2)
    # Deleting what you have not seen is refused the same way.
    with pytest.raises(StaleEdit):
        services.note_delete(actor=cast.manager, note=note, version=1)
    assert MeetingNote.objects.filter(pk=note.pk).exists()


def test_a_note_after_the_end_is_refused_and_says_who_ended_it(cast, running):
    with time_machine.travel(MONDAY + dt.timedelta(minutes=25), tick=False):
        services.meeting_end(actor=cast.manager, meeting=running)
    with pytest.raises(ValidationError) as refused:
        services.note_create(
            actor=cast.manager, meeting=running, section="actions", kind="note", body="Late"
        )
    assert refused.value.messages[0].startswith(f"This meeting ended by {cast.manager} at")
    with pytest.raises(ValidationError):
        services.meeting_end(actor=cast.manager, meeting=running)  # a second end is told


def test_notes_and_marks_only_for_items_on_the_agenda(cast, running):
    with pytest.raises(ValidationError):
        services.discussed_set(actor=cast.manager, meeting=running, key="task-999", discussed=True)
    with pytest.raises(ValidationError):
        services.note_create(
            actor=cast.manager, meeting=running, section="nowhere", kind="note", body="x"
        )
    with pytest.raises(ValidationError) as refused:
        services.note_create(
            actor=cast.manager, meeting=running, section="actions", kind="note", body="   "
        )
    assert refused.value.message_dict == {"body": ["Write the note first."]}


def test_an_action_item_is_a_task_on_the_project_at_once(cast, running):
    item = services.action_item_create(
        actor=cast.manager,
        meeting=running,
        title="Brief the sales team",
        owner=cast.contributor,
        due_date=dt.date(2026, 4, 2),
        project=cast.project,
        section=f"person-{cast.contributor.pk}",
    )
    task = Task.objects.get(pk=item.task_id)
    assert (task.project, task.owner, task.due_date, task.title) == (
        cast.project,
        cast.contributor,
        dt.date(2026, 4, 2),
        "Brief the sales team",
    )
    assert "Action item from the stand-up “Atlas weekly” on 30 Mar 2026." in task.description
    assert task.created_by == cast.manager
    assert item.status_label == "To do"


def test_an_action_item_for_someone_who_cannot_own_tasks_is_refused(cast, running):
    for owner, field in ((cast.viewer, "owner"), (cast.outsider, "owner")):
        with pytest.raises(ValidationError) as refused:
            services.action_item_create(
                actor=cast.manager,
                meeting=running,
                title="Do it",
                owner=owner,
                due_date=None,
                project=cast.project,
            )
        assert field in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.action_item_create(
            actor=cast.manager,
            meeting=running,
            title="Do it",
            owner=cast.contributor,
            due_date=dt.date(2026, 3, 1),
            project=cast.project,
        )
    assert "before the meeting" in refused.value.message_dict["due_date"][0]
    with pytest.raises(ValidationError) as refused:
        services.action_item_create(
            actor=cast.manager,
            meeting=running,
            title="Do it",
            owner=cast.contributor,
            due_date=None,
            project=ProjectFactory(owner=cast.manager),
        )
    assert "is not on this stand-up" in refused.value.message_dict["project"][0]
    assert not ActionItem.objects.exists() and not Task.objects.exists()


def test_ending_stores_the_record_and_mails_the_summary(cast, running):
    with time_machine.travel(MONDAY + dt.timedelta(minutes=2), tick=False):
        services.attendance_set(
            actor=cast.manager, meeting=running, user=cast.manager, present=True
        )
        services.attendance_set(
            actor=cast.manager, meeting=running, user=cast.contributor, present=True
        )
        services.note_create(
            actor=cast.manager,
            meeting=running,
            section="launches",
            kind="decision",
            body="Move the webinar to May.",
        )
        services.action_item_create(
            actor=cast.manager,
            meeting=running,
            title="Tell the speakers",
            owner=cast.contributor,
            due_date=dt.date(2026, 4, 1),
            project=cast.project,
        )
    mail.outbox.clear()
    with time_machine.travel(MONDAY + dt.timedelta(minutes=21), tick=False):
        ended = services.meeting_end(actor=cast.manager, meeting=running)
    assert ended.status == MeetingStatus.ENDED and ended.duration_minutes == 21
    assert "Move the webinar to May." in ended.summary
    deliver_emails()
    summaries = [m for m in mail.outbox if m.subject.startswith("[Synchrony] Summary:")]
    # Everyone, the facilitator who ended it too: the summary is the record.
    assert sorted(m.to[0] for m in summaries) == sorted(
        u.email for u in (cast.manager, cast.contributor, cast.viewer)
    )
    body = summaries[0].body
    assert "Held 09:00–09:21 (21 min of 30 planned), ended by" in body
    assert f"Present: {cast.contributor}" in body or f"Present: {cast.manager}" in body
    assert f"Absent: {cast.viewer}" in body
    assert "DECISIONS\n- Move the webinar to May." in body
    task = Task.objects.get(title="Tell the speakers")
    assert f"- Tell the speakers — {cast.contributor}, due Wed 1 Apr 2026: task on " in body
    assert task.get_absolute_url() in body


def test_action_items_are_on_the_next_agenda_until_done(cast, running):
    with time_machine.travel(MONDAY + dt.timedelta(minutes=5), tick=False):
        first = services.action_item_create(
            actor=cast.manager,
            meeting=running,
            title="Fix the footer",
            owner=cast.contributor,
            due_date=dt.date(2026, 4, 8),
            project=cast.project,
        )
        services.action_item_create(
            actor=cast.manager,
            meeting=running,
            title="Order swag",
            owner=cast.manager,
            due_date=None,
            project=cast.project,
        )
        services.meeting_end(actor=cast.manager, meeting=running)
    with time_machine.travel(at(2026, 4, 5, 7, 0), tick=False):
        tasks.prepare_agendas()
        following = Meeting.objects.get(series=running.series, local_date=dt.date(2026, 4, 6))
        tasks.write_agenda(following.pk)
    data = Agenda.objects.get(meeting=following).data
    assert [(a["title"], a["status"]) for a in data["actions"]] == [
        ("Fix the footer", "open"),
        ("Order swag", "open"),
    ]
    # The task is also on its owner's list, due before the next stand-up.
    assert "Fix the footer" in [t["title"] for t in person(data, cast.contributor)["due"]]
    # Done on the project, it is done on the agenda; it is carried over no further.
    Task.objects.filter(pk=first.task_id).update(
        status=TaskStatus.DONE, completed_at=at(2026, 4, 8)
    )
    with time_machine.travel(at(2026, 4, 12, 7, 0), tick=False):
        tasks.prepare_agendas()
        third = Meeting.objects.get(series=running.series, local_date=dt.date(2026, 4, 13))
        tasks.write_agenda(third.pk)
    actions = {a["title"]: a for a in Agenda.objects.get(meeting=third).data["actions"]}
    assert actions["Fix the footer"]["done"] is True  # finished since the last agenda's window
    assert actions["Order swag"]["status"] == "open"


def test_someone_who_left_the_project_is_flagged_and_not_sent_the_agenda(cast):
    series = make_series(cast)
    projects.member_remove(
        actor=cast.manager,
        project=cast.project,
        membership=Membership.objects.get(user=cast.viewer),
    )
    with time_machine.travel(at(2026, 3, 29, 7, 0), tick=False):
        meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 30))
        agenda = services.agenda_write(meeting=meeting)
    gone = person(agenda.data, cast.viewer)
    assert gone["missing"].startswith(f"{cast.viewer} is no longer on this stand-up's projects")
    deliver_emails()
    assert cast.viewer.email not in [m.to[0] for m in mail.outbox]
    assert len(mail.outbox) == 2


def test_a_meeting_left_running_ends_on_its_own_and_says_so(cast, running):
    with time_machine.travel(MONDAY + dt.timedelta(hours=12, minutes=31), tick=False):
        assert tasks.prepare_agendas()["ended"] == 1
    running.refresh_from_db()
    assert running.status == MeetingStatus.ENDED and running.ended_by is None
    assert "ended automatically" in running.summary


def test_a_skipped_meeting_gets_no_agenda_and_the_attendees_are_told(cast):
    series = make_series(cast)
    with time_machine.travel(at(2026, 3, 27), tick=False):
        meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 30))
        services.meeting_skip(actor=cast.manager, meeting=meeting, reason="Easter break")
    with time_machine.travel(at(2026, 3, 29, 7, 0), tick=False):
        assert tasks.prepare_agendas()["agendas"] == 0
        with pytest.raises(ValidationError) as refused:
            services.agenda_write(meeting=meeting, actor=cast.manager, force=True)
    assert "skipped" in refused.value.messages[0]
    deliver_emails()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        u.email for u in (cast.contributor, cast.viewer)
    )
    assert mail.outbox[0].body.startswith("[Synchrony]") is False
    assert "Easter break" in mail.outbox[0].body

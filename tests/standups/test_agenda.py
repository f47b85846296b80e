"""Agendas written by the scheduler, with frozen time, across Europe's spring change.

The series meets on Mondays at 09:00 in Berlin: 08:00 UTC on 23 March (CET), 07:00 UTC
on 30 March (CEST). The agenda of 30 March is due 24 hours before, on Sunday 29 March
at 07:00 UTC, hours after the clocks changed; its content is checked item by item.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from synchrony.activity.models import Notification
from synchrony.activity.tasks import send_notification_email
from synchrony.launches.models import ActivationState, GateStatus, LaunchStatus, ReadinessGate
from synchrony.planning.models import TaskStatus
from synchrony.standups import agenda as agendas
from synchrony.standups import services, tasks
from synchrony.standups.models import Agenda, Meeting
from tests.factories import (
    ActivationFactory,
    ChannelFactory,
    GoalFactory,
    LaunchFactory,
    ProjectFactory,
    TaskFactory,
)
from tests.standups.conftest import make_series

UTC = dt.UTC


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def deliver_emails() -> None:
    """What the worker does with the e-mails enqueued on commit."""
    for pk in Notification.objects.filter(emailed_at__isnull=True).values_list("pk", flat=True):
        send_notification_email(pk)


@pytest.fixture
def world(cast):
    """The cast's project with a week of history, around the spring change of 2026."""
    cast.contributor.first_name, cast.contributor.last_name = "Cora", "Contributor"
    cast.contributor.save()
    p, who = cast.project, cast.contributor
    t = {
        "before_last": TaskFactory(
            project=p, owner=who, status=TaskStatus.DONE, completed_at=at(2026, 3, 23, 7, 59)
        ),
        "after_last": TaskFactory(
            project=p, owner=who, status=TaskStatus.DONE, completed_at=at(2026, 3, 23, 8, 1)
        ),
        "just_now": TaskFactory(
            project=p, owner=who, status=TaskStatus.DONE, completed_at=at(2026, 3, 29, 6, 59)
        ),
        "overdue": TaskFactory(project=p, owner=who, due_date=dt.date(2026, 3, 27)),
        "due": TaskFactory(
            project=p, owner=who, status=TaskStatus.DOING, due_date=dt.date(2026, 4, 5)
        ),
        "next_week": TaskFactory(project=p, owner=who, due_date=dt.date(2026, 4, 6)),
        "blocked": TaskFactory(
            project=p,
            owner=cast.manager,
            status=TaskStatus.BLOCKED,
            blocked_reason="Waiting for legal",
            due_date=dt.date(2026, 4, 20),
        ),
        "unowned": TaskFactory(project=p, due_date=dt.date(2026, 3, 20)),
        "elsewhere": TaskFactory(
            project=ProjectFactory(owner=cast.manager), owner=who, due_date=dt.date(2026, 3, 20)
        ),
    }
    soon = LaunchFactory(
        project=p,
        name="Spring launch",
        status=LaunchStatus.SCHEDULED,
        go_live=at(2026, 4, 10, 8, 0),
    )
    ActivationFactory(launch=soon, channel=ChannelFactory(name="Newsletter"))
    ReadinessGate.objects.create(
        launch=soon, title="Sales briefed", owner=cast.manager, due_date=dt.date(2026, 3, 27)
    )
    ReadinessGate.objects.create(
        launch=soon, title="FAQ", owner=who, required=False, status=GateStatus.READY
    )
    LaunchFactory(project=p, name="Too far", status=LaunchStatus.SCHEDULED, go_live=at(2026, 4, 20))
    LaunchFactory(
        project=p, name="Called off", status=LaunchStatus.CANCELLED, go_live=at(2026, 4, 2)
    )
    held = LaunchFactory(
        project=p,
        name="Held teaser",
        status=LaunchStatus.HELD,
        hold_reason="Required gate “Legal” was not ready.",
        go_live=at(2026, 3, 25, 9, 0),
    )
    ActivationFactory(launch=held, channel=ChannelFactory(name="Ads"))
    went = LaunchFactory(
        project=p,
        name="Webinar invite",
        status=LaunchStatus.PARTLY_LAUNCHED,
        go_live=at(2026, 3, 26, 9, 0),
    )
    webhook = ChannelFactory(name="In-app", owner=cast.contributor)
    failed = ActivationFactory(
        launch=went, channel=webhook, state=ActivationState.FAILED, last_error="HTTP 500"
    )
    ActivationFactory(launch=went, channel=ChannelFactory(), state=ActivationState.DELIVERED)
    return {"tasks": t, "soon": soon, "held": held, "failed": failed}


def hold_last_meeting(cast, series) -> Meeting:
    """23 March (CET): held on time, with one action item done since and one still open."""
    with time_machine.travel(at(2026, 3, 23, 8, 0), tick=False):
        last = services.meeting_open(series=series, local_date=dt.date(2026, 3, 23))
        services.meeting_start(actor=cast.manager, meeting=last)
        done = services.action_item_create(
            actor=cast.manager,
            meeting=last,
            title="Book the photographer",
            owner=cast.contributor,
            due_date=dt.date(2026, 3, 25),
            project=cast.project,
        )
        services.action_item_create(
            actor=cast.manager,
            meeting=last,
            title="Draft the FAQ",
            owner=cast.contributor,
            due_date=dt.date(2026, 4, 1),
            project=cast.project,
        )
    with time_machine.travel(at(2026, 3, 23, 8, 20), tick=False):
        services.meeting_end(actor=cast.manager, meeting=last)
    with time_machine.travel(at(2026, 3, 24, 12, 0), tick=False):
        done.task.status, done.task.completed_at = TaskStatus.DONE, at(2026, 3, 24, 12, 0)
        done.task.save()
    return last


def person(data: dict, user) -> dict:
    return next(p for p in data["people"] if p["id"] == user.pk)


def titles(tasks: list[dict]) -> list[str]:
    return [t["title"] for t in tasks]


def test_the_scheduler_writes_the_agenda_24_hours_ahead_across_the_dst_change(
    cast, world, django_capture_on_commit_callbacks
):
    series = make_series(cast)
    hold_last_meeting(cast, series)
    t = world["tasks"]

    # A minute early: 07:00 UTC on Monday 30 March minus 24 h is 07:00 UTC on Sunday,
    # not 08:00 (which a naive "same wall time the day before, in CET" would give).
    with time_machine.travel(at(2026, 3, 29, 6, 59), tick=False):
        with django_capture_on_commit_callbacks() as callbacks:
            assert tasks.prepare_agendas() == {"agendas": 0, "ended": 0}
        assert not callbacks
    assert not Meeting.objects.filter(series=series, local_date=dt.date(2026, 3, 30)).exists()

    with time_machine.travel(at(2026, 3, 29, 7, 0), tick=False):
        with django_capture_on_commit_callbacks() as callbacks:
            assert tasks.prepare_agendas() == {"agendas": 1, "ended": 0}
        assert len(callbacks) == 1  # write_agenda, enqueued after commit
        meeting = Meeting.objects.get(series=series, local_date=dt.date(2026, 3, 30))
        assert meeting.starts_at == at(2026, 3, 30, 7, 0)  # 09:00 CEST
        assert not Agenda.objects.filter(meeting=meeting).exists()
        assert tasks.write_agenda(meeting.pk)

    agenda = Agenda.objects.get(meeting=meeting)
    assert agenda.revision == 1 and agenda.written_by is None
    assert agenda.written_at == at(2026, 3, 29, 7, 0)
    assert agenda.since == at(2026, 3, 23, 8, 0)  # the last stand-up, 09:00 CET
    assert agenda.until == at(2026, 4, 6, 7, 0)  # the next, 09:00 CEST
    data = agenda.data
    assert (data["meeting_date"], data["next_date"]) == ("2026-03-30", "2026-04-06")

    people = {p["name"]: p for p in data["people"]}
    cora = people["Cora Contributor"]
    # Finished since the last stand-up (08:00 UTC on the 23rd), the action item's task too.
    assert titles(cora["finished"]) == [
        "Book the photographer",
        t["after_last"].title,
        t["just_now"].title,
    ]
    assert t["before_last"].title not in titles(cora["finished"])
    assert titles(cora["overdue"]) == [t["overdue"].title]
    assert titles(cora["due"]) == ["Draft the FAQ", t["due"].title]  # the action item is a task
    assert t["next_week"].title not in titles(cora["due"])
    assert t["elsewhere"].title not in str(data)  # another project's task
    assert cora["blocked"] == []
    manager = people[str(cast.manager)]
    assert [(x["title"], x["blocked_reason"]) for x in manager["blocked"]] == [
        (t["blocked"].title, "Waiting for legal")
    ]
    assert titles(data["others"]["overdue"]) == [t["unowned"].title]

    launches = {launch["name"]: launch for launch in data["launches"]}
    assert set(launches) == {"Spring launch", "Held teaser"}
    spring = launches["Spring launch"]
    assert spring["go_live"] == "2026-04-10T08:00:00+00:00"
    assert [(g["title"], g["status"], g["late"]) for g in spring["gates"]] == [
        ("Sales briefed", "pending", True),
        ("FAQ", "ready", False),
    ]
    assert spring["risks"] == ["Gate “Sales briefed” was due 27 Mar and is not ready."]
    assert launches["Held teaser"]["risks"] == ["Held: Required gate “Legal” was not ready."]

    assert [(c["name"], [a["state"] for a in c["activations"]]) for c in data["channels"]] == [
        ("In-app", ["failed"])
    ]
    assert data["channels"][0]["activations"][0]["error"] == "HTTP 500"
    assert data["goals"] == {"available": False, "items": []}  # no performance data yet

    actions = {a["title"]: a for a in data["actions"]}
    assert actions["Draft the FAQ"]["status"] == "open"
    assert actions["Book the photographer"]["done"] is True  # finished since last time
    assert actions["Draft the FAQ"]["task_id"] is not None
    assert data["empty"] is False


def test_without_a_held_meeting_the_window_starts_at_the_previous_one_by_the_schedule(cast, world):
    series = make_series(cast)
    with time_machine.travel(at(2026, 3, 29, 7, 0), tick=False):
        meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 30))
        agenda = services.agenda_write(meeting=meeting)
    # 23 March 09:00 CET, an hour later in UTC than the meeting itself.
    assert agenda.since == at(2026, 3, 23, 8, 0)
    finished = person(agenda.data, cast.contributor)["finished"]
    assert world["tasks"]["before_last"].title not in titles(finished)
    assert world["tasks"]["after_last"].title in titles(finished)


def test_writing_twice_keeps_one_agenda_and_sends_it_once(cast, world):
    series = make_series(cast)
    with time_machine.travel(at(2026, 3, 29, 7, 0), tick=False):
        meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 30))
        first = tasks.write_agenda(meeting.pk)
        again = tasks.write_agenda(meeting.pk)
        assert tasks.prepare_agendas() == {"agendas": 0, "ended": 0}
    assert first and again
    agenda = Agenda.objects.get(meeting=meeting)
    assert agenda.revision == 1
    assert Meeting.objects.filter(series=series).count() == 1
    deliver_emails()
    subjects = sorted((m.to[0], m.subject) for m in mail.outbox)
    # Each attendee once, in their own zone (all three are in Berlin here).
    assert [to for to, _ in subjects] == sorted(
        u.email for u in (cast.manager, cast.contributor, cast.viewer)
    )
    assert all(
        s == "[Synchrony] Agenda: Atlas weekly on Mon 30 Mar 2026, 09:00" for _, s in subjects
    )
    body = next(m.body for m in mail.outbox if m.to == [cast.contributor.email])
    assert "CORA CONTRIBUTOR" in body and "Overdue: " + world["tasks"]["overdue"].title in body
    assert "Spring launch" in body and "AT RISK: Gate “Sales briefed”" in body


def test_attendees_elsewhere_get_the_time_in_their_own_zone(cast, world):
    cast.viewer.time_zone = "America/New_York"
    cast.viewer.save()
    series = make_series(cast)
    with time_machine.travel(at(2026, 3, 29, 7, 0), tick=False):
        meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 30))
        services.agenda_write(meeting=meeting)
    deliver_emails()
    subject = next(m.subject for m in mail.outbox if m.to == [cast.viewer.email])
    assert subject.endswith("Mon 30 Mar 2026, 03:00")  # EDT, already on summer time


def test_regenerating_on_demand_rewrites_the_same_agenda_and_sends_nothing_new(cast, world):
    series = make_series(cast)
    with time_machine.travel(at(2026, 3, 29, 7, 0), tick=False):
        meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 30))
        services.agenda_write(meeting=meeting)
    world["tasks"]["overdue"].status = TaskStatus.DONE
    world["tasks"]["overdue"].completed_at = at(2026, 3, 29, 9, 0)
    world["tasks"]["overdue"].save()
    with time_machine.travel(at(2026, 3, 29, 10, 0), tick=False):
        agenda = services.agenda_write(meeting=meeting, actor=cast.manager, force=True)
    assert Agenda.objects.filter(meeting=meeting).count() == 1
    assert agenda.revision == 2 and agenda.written_by == cast.manager
    cora = person(agenda.data, cast.contributor)
    assert cora["overdue"] == []
    assert world["tasks"]["overdue"].title in titles(cora["finished"])
    assert Notification.objects.filter(kind="standup_agenda").count() == 3


def test_what_changed_since_it_was_written(cast, world):
    series = make_series(cast)
    with time_machine.travel(at(2026, 3, 29, 7, 0), tick=False):
        meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 30))
        agenda = services.agenda_write(meeting=meeting)
    t = world["tasks"]
    t["overdue"].status, t["overdue"].completed_at = TaskStatus.DONE, at(2026, 3, 29, 9, 0)
    t["overdue"].save()
    t["due"].status, t["due"].blocked_reason = TaskStatus.BLOCKED, "Printer down"
    t["due"].save()
    world["soon"].gates.filter(title="Sales briefed").update(status=GateStatus.READY)
    world["failed"].state = ActivationState.DELIVERED
    world["failed"].save()
    with time_machine.travel(at(2026, 3, 29, 12, 0), tick=False):
        fresh = agendas.build(meeting, now=dt.datetime.now(tz=UTC), win=agendas.window(meeting))
    found = {c.key: c for c in agendas.changes(agenda.data, fresh)}
    cora = f"person-{cast.contributor.pk}"
    done = found[f"task-{t['overdue'].pk}"]
    assert done.section == cora and done.kind == "changed"
    assert "status: To do → Done" in done.text and "list: overdue → finished" in done.text
    assert "why blocked: — → Printer down" in found[f"task-{t['due'].pk}"].text
    gate = ReadinessGate.objects.get(title="Sales briefed")
    assert "status: Pending → Ready" in found[f"gate-{gate.pk}"].text
    assert found[f"launch-{world['soon'].pk}"].text.endswith(
        "at risk: Gate “Sales briefed” was due 27 Mar and is not ready. → no"
    )
    failed = found[f"activation-{world['failed'].pk}"]
    assert failed.kind == "removed" and "is no longer failed or incomplete" in failed.text


def test_a_viewer_sees_only_the_projects_they_can_see(cast, world):
    other = ProjectFactory(owner=cast.manager, name="Secret")
    TaskFactory(project=other, owner=cast.contributor, due_date=dt.date(2026, 3, 20), title="Hush")
    from synchrony.projects.models import Membership

    Membership.objects.create(project=other, user=cast.contributor, role="contributor")
    series = make_series(cast, projects=[cast.project, other])
    with time_machine.travel(at(2026, 3, 29, 7, 0), tick=False):
        meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 30))
        agenda = services.agenda_write(meeting=meeting)
    assert "Hush" in str(agenda.data)
    seen = agendas.for_viewer(agenda.data, {cast.project.pk})
    assert "Hush" not in str(seen["people"]) and [p["name"] for p in seen["projects"]] == [
        cast.project.name
    ]
    deliver_emails()
    viewer_mail = next(m.body for m in mail.outbox if m.to == [cast.viewer.email])
    assert "Hush" not in viewer_mail
    contributor_mail = next(m.body for m in mail.outbox if m.to == [cast.contributor.email])
    assert "Hush" in contributor_mail


def test_an_empty_project_writes_an_empty_agenda_that_says_so(cast):
    series = make_series(cast)
    with time_machine.travel(at(2026, 3, 29, 7, 0), tick=False):
        meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 30))
        agenda = services.agenda_write(meeting=meeting)
    assert agenda.data["empty"] is True
    assert [s.kind for s in agendas.sections(agenda.data, duration_minutes=30)] == [
        "attendance",
        "actions",
        "person",
        "person",
        "person",
        "launches",
        "channels",
        "wrap-up",
    ]


def test_goals_below_their_trajectory_come_from_the_performance_figures(cast):
    from synchrony.performance.services import samples_record, tracking_set

    today = dt.date(2026, 3, 29)
    cast.project.promotion_start = today - dt.timedelta(days=30)
    cast.project.save()
    channel = ChannelFactory(name="Newsletter")
    cast.project.channels.add(channel)
    goal = GoalFactory(
        project=cast.project,
        metric="Qualified leads",
        baseline=Decimal(100),
        target=Decimal(400),
        due_date=today + dt.timedelta(days=30),
    )
    series = make_series(cast)
    with time_machine.travel(at(2026, 3, 29, 7, 0), tick=False):
        meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 30))
        unmeasured = agendas.build(meeting, now=dt.datetime.now(tz=UTC))
        # Measured, and far behind: halfway through, 20 leads where 150 were expected.
        tracking_set(actor=cast.manager, goal=goal, aggregation="total", metric="leads")
        samples_record(
            actor=cast.manager,
            project=cast.project,
            rows=[
                {"channel": "Newsletter", "metric": "leads", "date": "2026-03-28", "value": "20"}
            ],
        )
        agenda = services.agenda_write(meeting=meeting)
    assert unmeasured["goals"] == {"available": False, "items": []}
    goals = agenda.data["goals"]
    assert goals["available"] is True
    assert [(g["id"], g["value"], g["expected"], g["status"]) for g in goals["items"]] == [
        (goal.pk, "120.00", "250.00", "off_track")
    ]
    sections = [s.kind for s in agendas.sections(agenda.data, duration_minutes=30)]
    assert "goals" in sections

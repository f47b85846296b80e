"""Each place where something happens emits its event, with the body an integrator needs."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from synchrony.launches import engine
from synchrony.launches import services as launches
from synchrony.launches.models import LaunchStatus
from synchrony.performance import services as performance
from synchrony.planning import services as planning
from synchrony.projects import services as projects
from synchrony.standups import services as standups
from synchrony.webhooks.models import SUBSCRIBABLE, Delivery, Event
from tests.factories import ActivationFactory, LaunchFactory
from tests.launches.conftest import launch_with, webhook_channel
from tests.performance.conftest import perf  # noqa: F401 - a project with a measurable goal
from tests.standups.conftest import make_series
from tests.standups.test_agenda import at
from tests.webhooks.conftest import endpoint_at

EVERYTHING = [value for value, _ in SUBSCRIBABLE]


@pytest.fixture
def listening(admin, receiver):
    """An endpoint subscribed to every event: what is emitted is what it would get."""
    endpoint, _ = endpoint_at(receiver, "/all", admin, EVERYTHING)
    return endpoint


def bodies(event_type: str | None = None) -> list[dict]:
    events = Event.objects.order_by("created_at")
    if event_type:
        events = events.filter(type=event_type)
    return [json.loads(e.payload) for e in events]


def test_launch_status_changes_are_events_with_the_launch_and_its_channels(cast, listening):
    launch = LaunchFactory(
        project=cast.project, go_live=timezone.now() + dt.timedelta(days=2), name="Atlas"
    )
    activation = ActivationFactory(launch=launch)
    launch, _ = launches.launch_set_status(
        actor=cast.manager, launch=launch, version=launch.version, status=LaunchStatus.SCHEDULED
    )
    for status in (
        LaunchStatus.HELD,
        LaunchStatus.SCHEDULED,
        LaunchStatus.ARMED,  # the engine's own step: no event
        LaunchStatus.FIRING,
        LaunchStatus.PARTLY_LAUNCHED,
    ):
        launch.refresh_from_db()
        assert engine.transition(launch, status, message="test")
    launch.refresh_from_db()
    engine.transition(launch, LaunchStatus.FAILED)

    assert [b["type"] for b in bodies()] == [
        "launch.scheduled",
        "launch.held",
        "launch.scheduled",
        "launch.fired",
        "launch.partly_launched",
        "launch.failed",
    ]
    data = bodies("launch.held")[0]["data"]
    # Both absolute (SITE_URL): `url` reads the resource back, `link` opens its page.
    assert data["id"] == launch.pk
    assert data["url"] == f"{settings.SITE_URL}/api/v1/launches/{launch.pk}/"
    assert data["name"] == "Atlas" and data["status"] == "held"
    assert data["link"] == f"{settings.SITE_URL}/launches/{launch.pk}/"
    assert data["project"] == {
        "id": cast.project.pk,
        "url": f"{settings.SITE_URL}/api/v1/projects/{cast.project.pk}/",
        "name": cast.project.name,
        "stage": cast.project.stage,
    }
    assert data["activations"] == [
        {
            "id": activation.pk,
            "channel": {"id": activation.channel_id, "name": activation.channel.name},
            "state": "pending",
        }
    ]
    assert {d.object_key for d in Delivery.objects.all()} == {f"launch:{launch.pk}"}


def test_a_launch_cancelled_and_launched_are_events_too(cast, listening):
    launch = LaunchFactory(project=cast.project, status=LaunchStatus.FIRING)
    engine.transition(launch, LaunchStatus.LAUNCHED)
    other = LaunchFactory(project=cast.project, status=LaunchStatus.SCHEDULED)
    launches.launch_set_status(
        actor=cast.manager, launch=other, version=other.version, status=LaunchStatus.CANCELLED
    )
    assert [b["type"] for b in bodies()] == ["launch.launched", "launch.cancelled"]


def test_a_stage_move_is_an_event_with_who_why_and_what_was_missing(cast, listening):
    projects.project_move(
        actor=cast.manager,
        project=cast.project,
        to_stage="planning",
        expected_stage="development",
        reason="Sales asked for it",
        override=True,
    )
    (body,) = bodies("project.stage_changed")
    data = body["data"]
    assert (data["id"], data["from_stage"], data["to_stage"], data["stage"]) == (
        cast.project.pk,
        "development",
        "planning",
        "planning",
    )
    assert data["reason"] == "Sales asked for it" and data["overridden"] is True
    assert data["missing"] and data["moved_by"]["username"] == "manager"


def test_a_task_created_changed_and_deleted_is_one_event_each(cast, listening):
    task = planning.task_create(
        actor=cast.manager,
        project=cast.project,
        title="Brief sales",
        stage="planning",
        owner=cast.contributor,
        due_date=dt.date(2026, 5, 4),
    )
    planning.task_update(actor=cast.manager, task=task, version=1, changes={"status": "doing"})
    planning.task_update(actor=cast.manager, task=task, version=2, changes={"status": "doing"})
    task.refresh_from_db()
    planning.task_delete(actor=cast.manager, task=task)

    created, updated, deleted = (b["data"] for b in bodies("task.changed"))
    assert [created["action"], updated["action"], deleted["action"]] == [
        "created",
        "updated",
        "deleted",
    ]
    assert created["owner"]["username"] == "contributor"
    assert created["due_date"] == "2026-05-04"
    assert updated["status"] == "doing" and updated["changed"] == ["status"]
    assert deleted["id"] == created["id"]  # the same object, in order


def test_a_goal_falling_behind_is_an_event_once(cast, perf, listening):  # noqa: F811
    rows = [{"channel": perf.newsletter.pk, "metric": "leads", "date": perf.today, "value": 5}]
    performance.samples_record(actor=cast.manager, project=perf.project, rows=rows)
    performance.goals_evaluate(project=perf.project)
    performance.goals_evaluate(project=perf.project)  # the same status: no news
    (body,) = bodies("goal.at_risk")
    data = body["data"]
    assert data["id"] == perf.goal.pk
    assert data["url"] == f"{settings.SITE_URL}/api/v1/goals/{perf.goal.pk}/"
    assert data["status"] == "off_track" and data["metric"] == "Qualified leads"
    assert data["target"] == "400.00" and data["project"]["id"] == perf.project.pk


def test_a_stand_up_agenda_written_is_an_event(cast, listening):
    series = make_series(cast)
    with time_machine.travel(at(2026, 3, 29, 7, 0), tick=False):
        meeting = standups.meeting_open(series=series, local_date=dt.date(2026, 3, 30))
        standups.agenda_write(meeting=meeting)
    (body,) = bodies("standup.agenda_ready")
    data = body["data"]
    assert data["id"] == meeting.pk and data["series"]["name"] == series.name
    assert data["revision"] == 1 and [p["id"] for p in data["projects"]] == [cast.project.pk]
    assert data["link"].endswith(meeting.get_absolute_url())
    # Its address in the API.
    assert data["url"] == f"{settings.SITE_URL}/api/v1/standup-meetings/{meeting.pk}/"


def test_launch_fired_says_what_each_channel_is_doing_at_the_moment(cast, listening, receiver):
    from synchrony.launches.models import AdapterKind, Launch
    from tests.factories import ChannelFactory

    hook = ChannelFactory(
        name="Hook", adapter=AdapterKind.WEBHOOK, endpoint_url=receiver.url + "/channel"
    )
    manual = ChannelFactory(name="Press")  # a person sends it
    launch = launch_with(cast.project, [hook, manual])

    assert engine.fire(launch.pk)

    (fired,) = Event.objects.filter(type="launch.fired")
    body = json.loads(fired.payload)
    states = {a["channel"]["name"]: a["state"] for a in body["data"]["activations"]}
    # Not "pending": the webhook was being sent, the manual step waiting for its owner.
    assert states == {"Hook": "sending", "Press": "waiting"}
    assert body["data"]["status"] == "firing"
    assert fired.created_at >= Launch.objects.get(pk=launch.pk).go_live  # never ahead of it
    assert [b["type"] for b in bodies()] == ["launch.fired"]  # the manual step is to come


def test_a_firing_task_that_died_before_its_moment_still_has_launch_fired_said(cast, listening):
    """The task takes the launch armed → firing a second ahead and says launch.fired once
    every request is written; if it died in between, the sweeper says it, once."""
    fired_at = timezone.now() - dt.timedelta(minutes=2)
    launch = LaunchFactory(
        project=cast.project, status=LaunchStatus.FIRING, go_live=fired_at, fired_at=fired_at
    )
    activation = ActivationFactory(launch=launch, subject="Atlas", body="Is here.")

    found = engine.sweep()
    assert (found["unsent"], found["announced"]) == (1, 1)  # its send is taken over too
    (body,) = bodies("launch.fired")
    assert body["data"]["id"] == launch.pk and body["data"]["status"] == "firing"
    activation.refresh_from_db()
    assert activation.state == "waiting"  # its manual step started by the sweeper
    assert engine.sweep()["announced"] == 0
    assert len(bodies("launch.fired")) == 1


def test_a_launch_whose_task_said_launch_fired_is_not_announced_again(cast, listening, receiver):
    launch = launch_with(cast.project, [webhook_channel(receiver, "/channel")])
    assert engine.fire(launch.pk)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        assert engine.sweep()["announced"] == 0
    assert len(bodies("launch.fired")) == 1

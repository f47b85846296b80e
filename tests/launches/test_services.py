from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.exceptions import ValidationError

from synchrony.activity.live import channel_name, client
from synchrony.activity.models import Notification, NotificationKind
from synchrony.activity.services import StaleEdit
from synchrony.launches import services
from synchrony.launches.conflicts import conflicts_for
from synchrony.launches.models import (
    Activation,
    ActivationState,
    AdapterKind,
    Blackout,
    Channel,
    CheckOccasion,
    Launch,
    LaunchPolicy,
    LaunchStatus,
    PreflightCheck,
    ReadinessGate,
)
from tests.factories import ActivationFactory, ChannelFactory, LaunchFactory

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def create(cast, when: dt.datetime, channels=(), zone: str = "Europe/Berlin", name: str = "Launch"):
    return services.launch_create(
        actor=cast.manager,
        project=cast.project,
        name=name,
        local_go_live=when,
        time_zone=zone,
        channels=channels,
    )


def test_the_wall_time_and_zone_are_kept_and_the_moment_is_utc(cast, frozen):
    launch, conflicts = create(cast, dt.datetime(2026, 4, 1, 9, 0))
    assert launch.go_live == dt.datetime(2026, 4, 1, 7, 0, tzinfo=dt.UTC)  # CEST is UTC+2
    assert (launch.local_time.hour, launch.time_zone) == (9, "Europe/Berlin")
    assert conflicts == []


def test_a_time_that_does_not_exist_is_refused_with_the_alternatives(cast, frozen):
    with pytest.raises(ValidationError) as error:
        create(cast, dt.datetime(2026, 3, 29, 2, 30))
    assert error.value.message_dict["local_go_live"] == [
        "02:30 does not exist on 29 Mar 2026 in Europe/Berlin: the clocks jump forward. "
        "Choose 01:30 or 03:30."
    ]


def test_a_time_that_happens_twice_takes_the_first(cast, frozen):
    launch, _ = create(cast, dt.datetime(2026, 10, 25, 2, 30))
    assert launch.go_live == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)  # still CEST


def test_a_go_live_in_the_past_is_refused(cast, frozen):
    with pytest.raises(ValidationError, match="already passed"):
        create(cast, dt.datetime(2026, 2, 1, 9, 0))


def test_same_channel_launches_collide_and_a_strict_channel_refuses(cast, frozen):
    email = ChannelFactory(name="Email", collision_window_hours=48, projects=[cast.project])
    first, _ = create(cast, dt.datetime(2026, 4, 1, 9, 0), [email], name="First")
    _, conflicts = create(cast, dt.datetime(2026, 4, 2, 9, 0), [email], name="Second")
    assert [c.kind for c in conflicts] == ["collision"]
    assert "“First” goes live within 48 h" in conflicts[0].message
    assert [c.kind for c in conflicts_for([first])[first.pk]] == ["collision"]
    strict = ChannelFactory(name="Press", allow_collisions=False, projects=[cast.project])
    create(cast, dt.datetime(2026, 5, 1, 9, 0), [strict], name="Press one")
    with pytest.raises(ValidationError, match="“Press one” goes live within 24 h"):
        create(cast, dt.datetime(2026, 5, 1, 15, 0), [strict], name="Press two")


def test_blackouts_gates_and_promotion_window_are_flagged(cast, frozen):
    social = ChannelFactory(name="Social", projects=[cast.project])
    Blackout.objects.create(
        channel=social, starts_on=dt.date(2026, 4, 1), ends_on=dt.date(2026, 4, 3), reason="Easter"
    )
    cast.project.promotion_start = dt.date(2026, 4, 10)
    cast.project.save()
    launch, conflicts = create(cast, dt.datetime(2026, 4, 2, 9, 0), [social])
    assert {c.kind for c in conflicts} == {"blackout", "window"}
    services.gate_create(
        actor=cast.manager,
        launch=launch,
        title="Sales briefed",
        owner=cast.contributor,
        due_date=dt.date(2026, 4, 5),
    )
    assert {c.kind for c in conflicts_for([launch])[launch.pk]} == {"blackout", "window", "gate"}


def test_a_stale_move_is_refused_and_a_moved_launch_is_recorded(cast, frozen):
    launch, _ = create(cast, dt.datetime(2026, 4, 1, 9, 0))
    moved, _ = services.launch_update(
        actor=cast.manager,
        launch=launch,
        version=1,
        changes={"local_go_live": dt.datetime(2026, 4, 3, 9, 0)},
    )
    assert moved.go_live == dt.datetime(2026, 4, 3, 7, 0, tzinfo=dt.UTC)
    assert moved.version == 2
    with pytest.raises(StaleEdit, match="Go-live date: 1 Apr 2026 → 3 Apr 2026"):
        services.launch_update(
            actor=cast.manager, launch=launch, version=1, changes={"name": "Renamed"}
        )
    assert moved.project.events.filter(verb="moved").exists()


def test_final_launches_do_not_move(cast, frozen):
    launch = LaunchFactory(project=cast.project, status=LaunchStatus.LAUNCHED)
    with pytest.raises(ValidationError, match="launched launch cannot change"):
        services.launch_update(actor=cast.manager, launch=launch, version=1, changes={"name": "x"})


def test_scheduling_needs_a_channel(cast, frozen):
    launch, _ = create(cast, dt.datetime(2026, 4, 1, 9, 0))
    with pytest.raises(ValidationError, match="at least one channel"):
        services.launch_set_status(actor=cast.manager, launch=launch, version=1, status="scheduled")
    channel = ChannelFactory(projects=[cast.project])
    services.activation_set(actor=cast.manager, launch=launch, channel=channel)
    launch.refresh_from_db()
    launch, _ = services.launch_set_status(
        actor=cast.manager, launch=launch, version=launch.version, status="scheduled"
    )
    assert launch.status == LaunchStatus.SCHEDULED


@pytest.mark.django_db(transaction=True)
def test_a_change_is_published_to_redis_after_commit(frozen):
    from tests.conftest import Cast  # noqa: F401
    from tests.factories import ProjectFactory

    project = ProjectFactory()
    pubsub = client().pubsub()
    pubsub.subscribe(channel_name())
    pubsub.get_message(timeout=1)  # the subscribe confirmation
    launch, _ = services.launch_create(
        actor=project.owner,
        project=project,
        name="Live",
        local_go_live=dt.datetime(2026, 4, 1, 9),
        time_zone="UTC",
    )
    message = pubsub.get_message(timeout=2)
    pubsub.close()
    payload = json.loads(message["data"])
    assert (payload["kind"], payload["id"], payload["project"]) == ("launch", launch.pk, project.pk)
    assert payload["by"] == str(project.owner)


# ── Scheduling: checks due at once, moments that have passed ──────────────────


def hook(name: str, owner) -> Channel:
    """A webhook channel (loopback is allowed in the test settings)."""
    return ChannelFactory(
        name=name, owner=owner, adapter=AdapterKind.WEBHOOK, endpoint_url="http://127.0.0.1:9/"
    )


def soon(cast, minutes: float, *, body: str = "Is here.", **fields) -> Launch:
    """A draft going live `minutes` from now, on one channel whose owner is a contributor."""
    launch = LaunchFactory(
        project=cast.project, go_live=NOW + dt.timedelta(minutes=minutes), **fields
    )
    channel = hook("Website", cast.contributor)
    ActivationFactory(launch=launch, channel=channel, subject="Atlas", body=body)
    return launch


def schedule(cast, launch: Launch) -> Launch:
    scheduled, _ = services.launch_set_status(
        actor=cast.manager, launch=launch, version=launch.version, status=LaunchStatus.SCHEDULED
    )
    return scheduled


def test_scheduled_after_a_checks_moment_that_check_runs_at_once_and_tells_the_owners(cast, frozen):
    # 9 minutes before go-live: the 24-hour and 1-hour checks' moments have passed.
    launch = soon(cast, 9)
    ReadinessGate.objects.create(launch=launch, title="Sales briefed", owner=cast.contributor)

    launch = schedule(cast, launch)

    assert launch.status == LaunchStatus.SCHEDULED
    assert launch.next_check_at == launch.go_live - dt.timedelta(minutes=5)  # still ahead
    check = PreflightCheck.objects.get(launch=launch)
    assert (check.ran_at, check.final, check.occasion) == (NOW, False, CheckOccasion.SCHEDULING)
    assert check.label == "on scheduling, 9 min before go-live: early warning"
    assert [p["subject"] for p in check.problems] == ["Sales briefed"]
    told = Notification.objects.get(
        recipient=cast.contributor, kind=NotificationKind.LAUNCH_PROBLEM
    )
    assert "Readiness gate “Sales briefed” is not ready." in told.title
    assert LaunchStatus(Launch.objects.get(pk=launch.pk).status) == LaunchStatus.SCHEDULED


def test_scheduled_before_any_checks_moment_nothing_runs_yet(cast, frozen):
    launch = schedule(cast, soon(cast, 2 * 24 * 60))
    assert launch.next_check_at == launch.go_live - dt.timedelta(hours=24)
    assert not PreflightCheck.objects.exists()


def test_inside_the_last_checks_window_what_it_would_hold_is_not_scheduled(cast, frozen):
    launch = soon(cast, 3, body="")
    with pytest.raises(ValidationError) as refused:
        schedule(cast, launch)
    message = refused.value.messages[0]
    assert message.startswith("Not scheduled: its last check before go-live is due now")
    assert "Website content has no body. Fix that first" in message
    launch.refresh_from_db()
    assert (launch.status, launch.version) == (LaunchStatus.DRAFT, 1)
    assert not PreflightCheck.objects.exists() and not Notification.objects.exists()

    Activation.objects.filter(launch=launch).update(body="Is here.")
    launch = schedule(cast, launch)
    assert launch.status == LaunchStatus.SCHEDULED
    assert launch.next_check_at is None  # only arming's last word is left
    check = PreflightCheck.objects.get(launch=launch)
    assert check.final and check.ok and check.occasion == CheckOccasion.SCHEDULING


def test_inside_the_last_checks_window_the_drop_policy_drops_at_once(cast, frozen):
    launch = soon(cast, 3, policy=LaunchPolicy.DROP)
    blank = hook("Press", cast.contributor)
    ActivationFactory(launch=launch, channel=blank)
    launch = schedule(cast, launch)
    assert launch.status == LaunchStatus.SCHEDULED
    states = dict(Activation.objects.values_list("channel__name", "state"))
    assert states == {"Press": ActivationState.DROPPED, "Website": ActivationState.PENDING}
    assert PreflightCheck.objects.get().action.startswith("Dropped Press")


def test_released_after_the_check_that_held_it_that_check_does_not_run_twice(cast, frozen):
    launch = soon(cast, 3, status=LaunchStatus.HELD)
    PreflightCheck.objects.create(
        launch=launch, ran_at=launch.go_live - dt.timedelta(minutes=5), go_live=launch.go_live
    )
    launch = schedule(cast, launch)
    assert launch.status == LaunchStatus.SCHEDULED and launch.next_check_at is None
    assert PreflightCheck.objects.count() == 1


@pytest.mark.parametrize("status", [LaunchStatus.DRAFT, LaunchStatus.HELD])
def test_a_go_live_that_has_passed_is_refused_at_the_field_asking_for_a_new_one(
    cast, frozen, status
):
    launch = soon(cast, -1, status=status)
    with pytest.raises(ValidationError) as refused:
        schedule(cast, launch)
    verb = "release" if status == LaunchStatus.HELD else "schedule"
    assert refused.value.message_dict == {
        "local_go_live": [
            "The go-live moment has already passed: move the launch to a new go-live, "
            f"then {verb} it."
        ]
    }
    launch.refresh_from_db()
    assert (launch.status, launch.version) == (status, 1)
    assert not launch.project.events.filter(verb__in=["released", "updated"]).exists()


def test_a_launch_goes_out_only_on_its_projects_channels_that_are_switched_on(cast, frozen):
    off = ChannelFactory(name="Fax", is_active=False, projects=[cast.project])
    elsewhere = ChannelFactory(name="Billboard")  # another project's, or nobody's
    on = ChannelFactory(projects=[cast.project])
    with pytest.raises(ValidationError) as refused:
        create(cast, dt.datetime(2026, 4, 1, 9, 0), [on, off, elsewhere])
    assert refused.value.message_dict == {
        "channels": [
            "Fax is switched off: a launch cannot go out on it.",
            "Billboard is not one of this project's channels: add it to the project "
            "(Edit project, Channels) first.",
        ]
    }
    assert not Launch.objects.exists()
    launch, _ = create(cast, dt.datetime(2026, 4, 1, 9, 0))
    for channel in (off, elsewhere):
        with pytest.raises(ValidationError) as refused:
            services.activation_set(actor=cast.manager, launch=launch, channel=channel)
        assert list(refused.value.message_dict) == ["channel"]
    assert not Activation.objects.exists()
    services.activation_set(actor=cast.manager, launch=launch, channel=on)
    assert launch.activations.get().channel == on

"""Channels, launches, activations and readiness gates over /api/v1/: the pages' rules
(launches/selectors.py, launches/services.py) through the API core."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from synchrony.activity.models import ActivityEvent
from synchrony.api.services import token_create
from synchrony.launches.models import (
    Activation,
    AdapterKind,
    Blackout,
    Channel,
    Launch,
    LaunchStatus,
    ReadinessGate,
)
from tests.api.conftest import Api, assert_error
from tests.factories import (
    ActivationFactory,
    ChannelFactory,
    LaunchFactory,
    ProjectFactory,
    TeamFactory,
    UserFactory,
)

NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def launch_body(cast, **fields):
    return {
        "project": cast.project.pk,
        "name": "Atlas goes live",
        "local_date": "2026-04-01",
        "local_time": "09:00",
        "time_zone": "Europe/Berlin",
        **fields,
    }


def url(kind: str, pk: int | None = None, then: str = "") -> str:
    return f"/api/v1/{kind}/" + (f"{pk}/" if pk else "") + (f"{then}/" if then else "")


# ── Channels ──────────────────────────────────────────────────────────────────


def test_everyone_reads_channels_but_only_owner_and_admins_see_where_they_send(cast, api):
    channel = ChannelFactory(
        name="Hooks", owner=cast.manager, adapter=AdapterKind.WEBHOOK, endpoint_url="https://x.io/h"
    )
    Blackout.objects.create(
        channel=channel, starts_on=dt.date(2026, 4, 3), ends_on=dt.date(2026, 4, 6), reason="Easter"
    )
    mine = api.manager.get(url("channels", channel.pk)).json()
    assert mine["endpoint_url"] == "https://x.io/h" and mine["editable"] is True
    assert mine["blackouts"] == [
        {"starts_on": "2026-04-03", "ends_on": "2026-04-06", "reason": "Easter"}
    ]
    for client in (api.outsider, api.viewer, api.contributor):
        theirs = client.get(url("channels", channel.pk)).json()
        assert theirs["endpoint_url"] is None and theirs["editable"] is False
        assert theirs["name"] == "Hooks"
    listed = api.outsider.get(url("channels"), {"adapter": "webhook"}).json()
    assert [c["name"] for c in listed["results"]] == ["Hooks"]
    for response in (
        api.manager.get(url("channels")),
        api.manager.get(url("channels", channel.pk)),
    ):
        assert channel.signing_secret not in response.content.decode()
        assert "signing_secret" not in response.content.decode()
    assert_error(api.manager.get(url("channels", 999999)), 404, "not_found")


def test_only_admins_add_channels_and_the_secret_is_shown_that_once(cast, api):
    admin = UserFactory(is_staff=True)
    staff = Api(token_create(actor=admin, name="t")[1])
    body = {"name": "Press", "kind": "pr", "owner": cast.manager.pk}
    assert_error(api.manager.post(url("channels"), body), 403, "permission_denied")
    _, read_only = token_create(actor=admin, name="r", read_only=True)
    assert_error(Api(read_only).post(url("channels"), body), 403)
    assert not Channel.objects.exists()

    created = staff.post(url("channels"), body)
    assert created.status_code == 201, created.json()
    channel = Channel.objects.get()
    assert created.json()["signing_secret"] == channel.signing_secret
    assert created["Location"].endswith(url("channels", channel.pk))
    assert channel.owner == cast.manager and channel.adapter == AdapterKind.MANUAL
    again = staff.get(url("channels", channel.pk))
    assert channel.signing_secret not in again.content.decode()
    assert ActivityEvent.objects.filter(verb="created", target_id=channel.pk).exists()


def test_a_channel_that_could_not_send_is_refused_at_its_field(cast, api):
    staff = Api(token_create(actor=UserFactory(is_staff=True), name="t")[1])
    ChannelFactory(name="Taken")
    for body, field in (
        ({"name": "Hook", "owner": cast.manager.pk, "adapter": "webhook"}, "endpoint_url"),
        (
            {"name": "Hook", "owner": cast.manager.pk, "adapter": "webhook", "endpoint_url": "x"},
            "endpoint_url",
        ),
        (
            {
                "name": "Hook",
                "owner": cast.manager.pk,
                "adapter": "webhook",
                "endpoint_url": "http://169.254.169.254/hook",
            },
            "endpoint_url",
        ),
        ({"name": "Mail", "owner": cast.manager.pk, "adapter": "email"}, "recipients"),
        ({"name": "Taken", "owner": cast.manager.pk}, "name"),
        ({"name": "X", "owner": 999999}, "owner"),
        ({"name": "X", "owner": "me"}, "owner"),
        ({"name": "X", "owner": cast.manager.pk, "colour": "red"}, "colour"),
        ({"name": "X", "owner": cast.manager.pk, "signing_secret": "whsec_x"}, "signing_secret"),
        ({"name": "X", "owner": cast.manager.pk, "max_attempts": 11}, "max_attempts"),
        ({"name": 42, "owner": cast.manager.pk}, "name"),
    ):
        assert_error(staff.post(url("channels"), body), 400, "invalid", field)
    assert Channel.objects.count() == 1


def test_the_owner_sets_how_a_channel_goes_out_and_nobody_else(cast, api):
    channel = ChannelFactory(name="Hooks", owner=cast.contributor)
    change = {"adapter": "webhook", "endpoint_url": "http://127.0.0.1:9/in"}
    assert_error(api.manager.patch(url("channels", channel.pk), change), 403, "permission_denied")
    assert_error(api.viewer.patch(url("channels", channel.pk), change), 403)
    _, read_only = token_create(actor=cast.contributor, name="r", read_only=True)
    assert_error(Api(read_only).patch(url("channels", channel.pk), change), 403)
    channel.refresh_from_db()
    assert channel.adapter == AdapterKind.MANUAL

    # Half a change is no change: the URL is private, so the adapter stays too.
    bad = {"adapter": "webhook", "endpoint_url": "http://10.0.0.1/in"}
    assert_error(
        api.contributor.patch(url("channels", channel.pk), bad, if_match=1),
        400,
        "invalid",
        "endpoint_url",
    )
    assert_error(
        api.contributor.patch(url("channels", channel.pk), {"name": "Mine"}, if_match=1),
        400,
        "invalid",
        "name",
    )
    channel.refresh_from_db()
    assert (channel.adapter, channel.name) == (AdapterKind.MANUAL, "Hooks")

    response = api.contributor.patch(url("channels", channel.pk), change, if_match=1)
    assert response.status_code == 200, response.json()
    assert response.json()["endpoint_url"] == change["endpoint_url"]
    assert response.json()["version"] == 2 and response["ETag"] == '"2"'
    channel.refresh_from_db()
    assert (channel.adapter, channel.version) == (AdapterKind.WEBHOOK, 2)


def test_a_channel_change_needs_if_match_and_a_stale_one_gets_the_current_settings(cast, api):
    channel = ChannelFactory(name="Hooks", owner=cast.contributor)
    read = api.contributor.get(url("channels", channel.pk))
    assert read["ETag"] == '"1"' and read.json()["version"] == 1
    change = {"timeout_seconds": 4}
    assert_error(api.contributor.patch(url("channels", channel.pk), change), 428)
    staff = Api(token_create(actor=UserFactory(is_staff=True), name="s")[1])
    first = staff.patch(url("channels", channel.pk), {"max_attempts": 2}, if_match=1)
    assert first.status_code == 200

    stale = api.contributor.patch(url("channels", channel.pk), change, if_match=1)
    assert_error(stale, 412, "stale")
    body = stale.json()
    assert body["version"] == 2 and body["current"]["max_attempts"] == 2
    changed = body["changes"][0]["fields"]["max_attempts"]
    assert (changed["after"], changed["after_label"]) == (2, "2")  # the value, and as shown
    channel.refresh_from_db()
    assert (channel.timeout_seconds, channel.max_attempts, channel.version) == (10, 2, 2)

    # A change that changes nothing keeps the version.
    same = api.contributor.patch(url("channels", channel.pk), {"max_attempts": 2}, if_match=2)
    assert same["ETag"] == '"2"'


def test_rotating_the_secret_shows_the_new_one_once_and_keeps_the_old_a_day(cast, api):
    channel = ChannelFactory(owner=cast.manager)
    old = channel.signing_secret
    assert_error(api.contributor.post(url("channels", channel.pk, "rotate-secret")), 403)
    response = api.manager.post(url("channels", channel.pk, "rotate-secret"))
    assert response.status_code == 200
    channel.refresh_from_db()
    assert response.json()["signing_secret"] == channel.signing_secret != old
    assert channel.previous_secret == old
    assert response.json()["previous_secret_until"] == "2026-03-03T08:00:00Z"
    assert old not in response.content.decode()
    assert_error(
        api.manager.post(url("channels", channel.pk, "enable")), 400, "invalid"
    )  # it was never disabled

    # Again within the day: it would end `old` at once, so it takes a yes.
    rotated = channel.signing_secret
    again = url("channels", channel.pk, "rotate-secret")
    refused = assert_error(api.manager.post(again), 400)
    assert "the previous secret" in refused["message"] and old not in str(refused)
    channel.refresh_from_db()
    assert (channel.signing_secret, channel.previous_secret) == (rotated, old)
    response = api.manager.post(again, {"end_previous": True})
    assert response.status_code == 200
    channel.refresh_from_db()
    assert channel.previous_secret == rotated and channel.signing_secret not in (old, rotated)


# ── Launches ──────────────────────────────────────────────────────────────────


def test_a_manager_plans_a_launch_as_a_wall_time_in_a_zone(cast, api):
    email = ChannelFactory(name="Email", projects=[cast.project])
    social = ChannelFactory(name="Social", projects=[cast.project])
    body = launch_body(cast, channels=[social.pk, email.pk], policy="drop", notes="Big day")
    response = api.manager.post(url("launches"), body)
    assert response.status_code == 201, response.json()
    data = response.json()
    launch = Launch.objects.get()
    assert data["go_live"] == "2026-04-01T07:00:00Z"  # CEST is UTC+2
    assert (data["local_date"], data["local_time"], data["time_zone"]) == (
        "2026-04-01",
        "09:00:00",
        "Europe/Berlin",
    )
    assert data["status"] == "draft" and data["policy"] == "drop"
    assert [a["channel"] for a in data["activations"]] == [email.pk, social.pk]
    assert response["ETag"] == '"1"'
    assert response["Location"].endswith(url("launches", launch.pk))
    assert launch.created_by == cast.manager
    # A time that happens twice (the clocks go back) takes the first.
    late = api.manager.post(
        url("launches"), launch_body(cast, local_date="2026-10-25", local_time="02:30")
    )
    assert late.json()["go_live"] == "2026-10-25T00:30:00Z"


def test_only_managers_plan_launches_and_non_members_cannot_name_the_project(cast, api):
    for client in (api.contributor, api.viewer):
        assert_error(client.post(url("launches"), launch_body(cast)), 403, "permission_denied")
    assert_error(api.read_only.post(url("launches"), launch_body(cast)), 403)
    assert_error(api.anonymous.post(url("launches"), launch_body(cast)), 401)
    assert_error(api.outsider.post(url("launches"), launch_body(cast)), 400, "invalid", "project")
    assert not Launch.objects.exists()


def test_a_spring_forward_wall_time_is_refused_with_the_nearest_times(cast, api):
    response = api.manager.post(
        url("launches"), launch_body(cast, local_date="2026-03-29", local_time="02:30")
    )
    body = assert_error(response, 400, "invalid", "local_time")
    assert body["errors"]["local_time"] == [
        "02:30 does not exist on 29 Mar 2026 in Europe/Berlin: the clocks jump forward. "
        "Choose 01:30 or 03:30."
    ]
    launch = LaunchFactory(project=cast.project)
    moved = api.manager.patch(
        url("launches", launch.pk),
        {"local_date": "2026-03-29", "local_time": "02:15"},
        if_match=1,
    )
    assert_error(moved, 400, "invalid", "local_time")
    launch.refresh_from_db()
    assert launch.version == 1
    assert Launch.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"time_zone": 1}, "time_zone"),
        ({"local_date": "2026-02-30"}, "local_date"),
        ({"local_date": "tomorrow"}, "local_date"),
        ({"local_time": "25:00"}, "local_time"),
        ({"local_time": 900}, "local_time"),
        ({"local_time": "09:00:00.5"}, "local_time"),
        ({"local_time": "09:00+02:00"}, "local_time"),
        ({"local_date": "2026-03-01"}, "local_time"),  # already passed
        ({"name": 42}, "name"),
        ({"name": ""}, "name"),
        ({"policy": "pray"}, "policy"),
        ({"status": "launched"}, "status"),
        ({"go_live": "2026-04-01T07:00:00Z"}, "go_live"),
        ({"colour": "red"}, "colour"),
        ({"channels": [999999]}, "channels"),
        ({"channels": "1"}, "channels"),
        ({"channels": [True]}, "channels"),
        ({"project": "1.5"}, "project"),
        ({"project": None}, "project"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_saved(cast, api, fields, field):
    response = api.manager.post(url("launches"), launch_body(cast, **fields))
    assert_error(response, 400, "invalid", field)
    assert not Launch.objects.exists() and not Activation.objects.exists()


def test_inactive_outside_or_repeated_channels_are_refused_and_nothing_is_saved(cast, api):
    off = ChannelFactory(is_active=False, projects=[cast.project])
    on = ChannelFactory(projects=[cast.project])
    elsewhere = ChannelFactory(name="Billboard")
    for channels in ([on.pk, off.pk], [on.pk, on.pk], [on.pk, elsewhere.pk]):
        response = api.manager.post(url("launches"), launch_body(cast, channels=channels))
        assert_error(response, 400, "invalid", "channels")
    assert not Launch.objects.exists() and not Activation.objects.exists()


def test_a_strict_channel_refuses_a_colliding_launch_and_keeps_nothing(cast, api):
    strict = ChannelFactory(name="Press", allow_collisions=False, projects=[cast.project])
    first = api.manager.post(url("launches"), launch_body(cast, channels=[strict.pk]))
    assert first.status_code == 201
    second = api.manager.post(
        url("launches"), launch_body(cast, name="Two", local_time="15:00", channels=[strict.pk])
    )
    body = assert_error(second, 400, "invalid", "local_time")
    assert "goes live within 24 h" in body["message"]
    assert Launch.objects.count() == 1 and Activation.objects.count() == 1


def test_members_read_launches_and_non_members_get_404(cast, api):
    launch = LaunchFactory(project=cast.project)
    other = LaunchFactory()  # another project
    for client in (api.manager, api.contributor, api.viewer, api.read_only):
        response = client.get(url("launches", launch.pk))
        assert response.status_code == 200
        assert response["ETag"] == '"1"'
        assert_error(client.get(url("launches", other.pk)), 404, "not_found")
    assert_error(api.outsider.get(url("launches", launch.pk)), 404, "not_found")
    assert api.outsider.get(url("launches")).json()["results"] == []
    assert [x["id"] for x in api.viewer.get(url("launches")).json()["results"]] == [launch.pk]
    for junk in ("abc", "0", "-1", "1.5", "99999999999999999999999"):
        assert_error(api.manager.get(url("launches") + junk + "/"), 404)


def test_changing_a_launch_needs_the_etag_and_a_stale_one_is_412(cast, api):
    launch = LaunchFactory(project=cast.project, name="Atlas")
    detail = url("launches", launch.pk)
    assert_error(api.manager.patch(detail, {"name": "Atlas 2"}), 428, "precondition_required")
    moved = api.manager.patch(detail, {"local_time": "10:30"}, if_match=1)
    assert moved.status_code == 200, moved.json()
    assert moved["ETag"] == '"2"'
    assert moved.json()["local_time"] == "10:30:00"
    launch.refresh_from_db()
    assert launch.local_time == dt.time(10, 30) and launch.version == 2
    stale = api.manager.patch(detail, {"name": "Mine"}, if_match=1)
    body = assert_error(stale, 412, "stale")
    assert body["version"] == 2 and body["current"]["local_time"] == "10:30:00"
    assert stale["ETag"] == '"2"'
    launch.refresh_from_db()
    assert launch.name == "Atlas"
    for client in (api.contributor, api.viewer, api.read_only):
        assert_error(client.patch(detail, {"name": "Mine"}, if_match=2), 403)
    assert_error(api.outsider.patch(detail, {"name": "Mine"}, if_match=2), 404)
    assert_error(api.manager.patch(detail, {"status": "launched"}, if_match=2), 400, "invalid")
    assert_error(api.manager.patch(detail, {"channels": []}, if_match=2), 400, "invalid")
    assert_error(api.manager.delete(detail, if_match=2), 405)
    launch.refresh_from_db()
    assert (launch.name, launch.version, launch.status) == ("Atlas", 2, "draft")


def test_schedule_unschedule_and_cancel_are_actions_with_if_match(cast, api):
    launch = LaunchFactory(project=cast.project)
    schedule = url("launches", launch.pk, "schedule")
    assert_error(api.manager.post(schedule), 428)
    no_channels = assert_error(api.manager.post(schedule, if_match=1), 400, "invalid")
    assert "at least one channel" in no_channels["message"]
    ActivationFactory(launch=launch)
    assert_error(api.viewer.post(schedule, if_match=1), 403)
    assert_error(api.read_only.post(schedule, if_match=1), 403)
    assert_error(api.manager.post(schedule, {"when": "now"}, if_match=1), 400, "invalid", "when")
    launch.refresh_from_db()
    assert launch.status == LaunchStatus.DRAFT
    response = api.manager.post(schedule, if_match=1)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "scheduled" and response["ETag"] == '"2"'
    assert_error(api.manager.post(url("launches", launch.pk, "cancel"), if_match=1), 412)
    back = api.manager.post(url("launches", launch.pk, "unschedule"), if_match=2)
    assert back.json()["status"] == "draft"
    cancelled = api.manager.post(url("launches", launch.pk, "cancel"), if_match=3)
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["activations"][0]["state"] == "cancelled"
    again = api.manager.post(schedule, if_match=4)
    assert "cannot become scheduled" in assert_error(again, 400, "invalid")["message"]


def test_a_manager_holds_a_scheduled_launch_with_a_reason_and_releases_it(cast, api):
    launch = LaunchFactory(project=cast.project, status=LaunchStatus.SCHEDULED)
    ActivationFactory(launch=launch)
    hold = url("launches", launch.pk, "hold")
    reason = {"reason": "Legal has not approved the pricing page"}
    assert_error(api.manager.post(hold, reason), 428)
    assert_error(api.viewer.post(hold, reason, if_match=1), 403)
    assert_error(api.outsider.post(hold, reason, if_match=1), 404)
    assert_error(api.manager.post(hold, {}, if_match=1), 400, "invalid", "reason")
    assert_error(api.manager.post(hold, {"reason": "   "}, if_match=1), 400, "invalid", "reason")
    too_long = {"reason": "x" * 401}
    assert_error(api.manager.post(hold, too_long, if_match=1), 400, "invalid", "reason")
    assert_error(api.manager.post(hold, {**reason, "until": "May"}, if_match=1), 400)
    launch.refresh_from_db()
    assert (launch.status, launch.version) == (LaunchStatus.SCHEDULED, 1)

    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        held = api.manager.post(hold, reason, if_match=1)
    assert held.status_code == 200, held.json()
    # An integration polling for changes sees the hold.
    since = api.manager.get(url("launches"), {"updated_since": "2026-03-02T08:30:00Z"}).json()
    assert [x["id"] for x in since["results"]] == [launch.pk]
    assert held.json()["updated_at"] == "2026-03-02T09:00:00Z"
    assert held.json()["status"] == "held" and held["ETag"] == '"2"'
    assert held.json()["hold_reason"].startswith("Legal has not approved the pricing page (held")
    stale = assert_error(api.manager.post(hold, reason, if_match=1), 412, "stale")
    assert stale["current"]["status"] == "held"
    again = assert_error(api.manager.post(hold, reason, if_match=2), 400, "invalid")
    assert "this one is held" in again["message"]
    released = api.manager.post(url("launches", launch.pk, "schedule"), if_match=2)
    assert released.json()["status"] == "scheduled" and released.json()["hold_reason"] == ""


def test_conflicts_and_readiness_are_readable_by_members(cast, api):
    email = ChannelFactory(name="Email", collision_window_hours=48)
    first = LaunchFactory(project=cast.project, name="First")
    second = LaunchFactory(project=cast.project, name="Second", go_live=first.go_live)
    ActivationFactory(launch=first, channel=email)
    ActivationFactory(launch=second, channel=email)
    ReadinessGate.objects.create(launch=second, title="Sales briefed", owner=cast.viewer)
    conflicts = api.viewer.get(url("launches", second.pk, "conflicts"))
    assert conflicts.status_code == 200
    assert conflicts.json() == [
        {
            "kind": "collision",
            "message": "Email: “First” goes live within 48 h.",
            "blocking": False,
            "channel_id": email.pk,
            "other_launch_id": first.pk,
            "other_go_live": first.go_live.isoformat().replace("+00:00", "Z"),
            "starts_on": None,
            "ends_on": None,
            "due_on": None,
            "gate_ids": [],
        }
    ]
    readiness = api.viewer.get(url("launches", second.pk, "readiness")).json()
    assert readiness == [
        {
            "kind": "gate",
            "subject": "Sales briefed",
            "message": "Readiness gate “Sales briefed” is not ready.",
            "channel_id": None,
        }
    ]
    assert_error(api.outsider.get(url("launches", second.pk, "conflicts")), 404)


def test_launch_filters(cast, api):
    email = ChannelFactory()
    early = LaunchFactory(project=cast.project, go_live=NOW + dt.timedelta(days=3))
    late = LaunchFactory(
        project=cast.project, go_live=NOW + dt.timedelta(days=40), status="scheduled"
    )
    ActivationFactory(launch=late, channel=email)
    mine = ProjectFactory(owner=cast.manager)
    elsewhere = LaunchFactory(project=mine, go_live=NOW + dt.timedelta(days=4))

    def ids(**params):
        response = api.manager.get(url("launches"), params)
        assert response.status_code == 200, response.json()
        return [x["id"] for x in response.json()["results"]]

    assert ids() == [early.pk, elsewhere.pk, late.pk]
    assert ids(project=cast.project.pk) == [early.pk, late.pk]
    assert ids(channel=email.pk) == [late.pk]
    assert ids(status="scheduled") == [late.pk]
    assert ids(status=["draft", "scheduled"], ordering="-go_live") == [
        late.pk,
        elsewhere.pk,
        early.pk,
    ]
    assert ids(go_live_from="2026-03-10") == [late.pk]
    assert ids(go_live_to="2026-03-10", project=mine.pk) == [elsewhere.pk]
    assert ids(updated_since="2026-03-02T07:00:00Z") == [early.pk, elsewhere.pk, late.pk]
    assert ids(updated_since="2026-03-02T09:00:00Z") == []
    for params, field in (
        ({"status": "gone"}, "status"),
        ({"go_live_from": "soon"}, "go_live_from"),
        ({"project": "x"}, "project"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"ordering": "secret"}, "ordering"),
    ):
        assert_error(api.manager.get(url("launches"), params), 400, "invalid", field)


# ── Activations ───────────────────────────────────────────────────────────────


def test_managers_add_change_and_remove_a_launchs_channels(cast, api):
    launch = LaunchFactory(project=cast.project)
    email = ChannelFactory(name="Email", projects=[cast.project])
    body = {"launch": launch.pk, "channel": email.pk, "subject": "Atlas is here"}
    for client in (api.contributor, api.viewer, api.read_only):
        assert_error(client.post(url("activations"), body), 403)
    assert_error(api.outsider.post(url("activations"), body), 400, "invalid", "launch")
    created = api.manager.post(url("activations"), body)
    assert created.status_code == 201, created.json()
    activation = Activation.objects.get()
    assert (created.json()["subject"], created["ETag"]) == ("Atlas is here", '"2"')
    assert_error(api.manager.post(url("activations"), body), 400, "invalid", "channel")

    detail = url("activations", activation.pk)
    assert_error(api.manager.patch(detail, {"subject": "New"}), 428)
    assert_error(
        api.manager.patch(detail, {"link": "not a link"}, if_match=2), 400, "invalid", "link"
    )
    assert_error(api.manager.patch(detail, {"channel": email.pk}, if_match=2), 400, "invalid")
    assert_error(api.viewer.patch(detail, {"subject": "New"}, if_match=2), 403)
    changed = api.manager.patch(detail, {"subject": "New", "link": "https://x.io"}, if_match=2)
    assert changed.status_code == 200, changed.json()
    assert changed["ETag"] == '"3"'
    assert_error(api.manager.patch(detail, {"subject": "Old"}, if_match=2), 412, "stale")
    assert api.viewer.get(url("activations"), {"launch": launch.pk}).json()["count"] == 1
    assert_error(api.outsider.get(detail), 404)
    assert_error(api.manager.delete(detail), 428)
    assert_error(api.viewer.delete(detail, if_match=3), 403)
    assert api.manager.delete(detail, if_match=3).status_code == 204
    assert not Activation.objects.exists()


def test_an_activation_cannot_name_a_launch_the_caller_cannot_see(cast, api):
    hidden = LaunchFactory()  # another project
    email = ChannelFactory()
    for body, field in (
        ({"launch": hidden.pk, "channel": email.pk}, "launch"),
        ({"launch": 999999, "channel": email.pk}, "launch"),
        ({"launch": hidden.pk + 1000, "channel": "Email"}, "channel"),
        ({"launch": LaunchFactory(project=cast.project).pk, "channel": 999999}, "channel"),
    ):
        assert_error(api.manager.post(url("activations"), body), 400, "invalid", field)
    assert not Activation.objects.exists()


def test_nothing_changes_once_the_launch_is_going_out(cast, api):
    launch = LaunchFactory(project=cast.project, status=LaunchStatus.ARMED)
    activation = ActivationFactory(launch=launch)
    response = api.manager.patch(url("activations", activation.pk), {"subject": "x"}, if_match=1)
    assert "going out right now" in assert_error(response, 400, "invalid")["message"]
    response = api.manager.patch(url("launches", launch.pk), {"name": "x"}, if_match=1)
    assert_error(response, 400, "invalid")
    retry = api.manager.post(url("activations", activation.pk, "retry"))
    assert_error(retry, 400, "invalid")
    assert_error(api.viewer.post(url("activations", activation.pk, "retry")), 403)
    activation.refresh_from_db()
    assert (activation.subject, activation.version) == ("", 1)


# ── Readiness gates ───────────────────────────────────────────────────────────


def test_managers_set_up_gates_and_their_owner_or_team_says_ready(cast, api):
    launch = LaunchFactory(project=cast.project)
    team = TeamFactory(name="Sales")
    body = {
        "launch": launch.pk,
        "title": "Sales briefed",
        "team": team.pk,
        "due_date": "2026-03-20",
    }
    assert_error(api.contributor.post(url("readiness-gates"), body), 403)
    assert_error(api.manager.post(url("readiness-gates"), {**body, "team": None}), 400, "invalid")
    assert_error(
        api.manager.post(url("readiness-gates"), {**body, "status": "ready"}),
        400,
        "invalid",
        "status",
    )
    created = api.manager.post(url("readiness-gates"), body)
    assert created.status_code == 201, created.json()
    gate = ReadinessGate.objects.get()
    detail = url("readiness-gates", gate.pk)

    cast.viewer.teams.add(team)
    assert_error(api.contributor.patch(detail, {"status": "ready"}, if_match=1), 403)
    # In the team: they say it is ready, but what the gate is stays the managers'.
    assert_error(api.viewer.patch(detail, {"title": "Nothing"}, if_match=1), 403)
    assert_error(api.viewer.patch(detail, {"status": "done"}, if_match=1), 400, "invalid", "status")
    ready = api.viewer.patch(detail, {"status": "ready"}, if_match=1)
    assert ready.status_code == 200, ready.json()
    assert ready.json()["status"] == "ready" and ready["ETag"] == '"2"'
    assert_error(api.manager.patch(detail, {"required": False}, if_match=1), 412)
    renamed = api.manager.patch(detail, {"title": "Sales and CS briefed"}, if_match=2)
    assert renamed.json()["title"] == "Sales and CS briefed"
    listed = api.viewer.get(url("readiness-gates"), {"launch": launch.pk, "status": "ready"})
    assert listed.json()["count"] == 1
    assert_error(api.outsider.get(detail), 404)


def test_a_closed_project_is_read_only_over_the_api(cast, api):
    launch = LaunchFactory(project=cast.project)
    cast.project.stage = "closed"
    cast.project.save()
    assert api.manager.get(url("launches", launch.pk)).status_code == 200
    refused = assert_error(
        api.manager.patch(url("launches", launch.pk), {"name": "x"}, if_match=1), 403
    )
    assert refused["message"] == "The project is closed: its launches no longer change."
    assert_error(api.manager.post(url("launches"), launch_body(cast)), 403)


def test_the_channel_owner_ticks_off_a_manual_step_even_as_a_viewer(cast, api):
    launch = LaunchFactory(project=cast.project, status=LaunchStatus.FIRING)
    mine = ActivationFactory(launch=launch, channel=ChannelFactory(owner=cast.viewer))
    theirs = ActivationFactory(launch=launch, channel=ChannelFactory(owner=cast.manager))
    Activation.objects.update(state="waiting")
    assert_error(api.viewer.post(url("activations", theirs.pk, "done")), 403, "permission_denied")
    assert_error(api.contributor.post(url("activations", mine.pk, "done")), 403)
    assert_error(api.read_only.post(url("activations", theirs.pk, "done")), 403)
    done = api.viewer.post(url("activations", mine.pk, "done"))
    assert done.status_code == 200, done.json()
    assert done.json()["state"] == "done" and done.json()["done_by"] == cast.viewer.pk
    again = api.viewer.post(url("activations", mine.pk, "done"))
    assert "nothing to tick off" in assert_error(again, 400, "invalid")["message"]
    assert Activation.objects.get(pk=theirs.pk).state == "waiting"


def test_scheduling_answers_with_what_preflight_would_hold_it_for_and_the_next_check(cast, api):
    launch = LaunchFactory(project=cast.project, go_live=NOW + dt.timedelta(minutes=9))
    hook = ChannelFactory(
        name="In-app", adapter=AdapterKind.WEBHOOK, endpoint_url="http://127.0.0.1:9/"
    )
    ActivationFactory(launch=launch, channel=hook)
    readiness = api.manager.get(url("launches", launch.pk, "readiness")).json()
    response = api.manager.post(url("launches", launch.pk, "schedule"), if_match=1)
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert answer["status"] == "scheduled"
    assert (
        answer["problems"]
        == readiness
        == [
            {
                "kind": "content",
                "subject": "In-app",
                "message": "In-app content has no body.",
                "channel_id": hook.pk,
            }
        ]
    )
    assert answer["next_check_at"] == "2026-03-02T08:04:00Z"  # the 5-minute check
    # The 1-hour check's moment had passed: it ran at once, and its owner was told.
    assert launch.preflights.get().ran_at == NOW
    assert "problems" not in api.manager.get(url("launches", launch.pk)).json()


def test_a_go_live_that_has_passed_cannot_be_scheduled_or_released(cast, api):
    for status in (LaunchStatus.DRAFT, LaunchStatus.HELD):
        launch = LaunchFactory(
            project=cast.project, status=status, go_live=NOW - dt.timedelta(seconds=30)
        )
        ActivationFactory(launch=launch)
        response = api.manager.post(url("launches", launch.pk, "schedule"), if_match=1)
        body = assert_error(response, 400, "invalid", "local_time")
        verb = "release" if status == LaunchStatus.HELD else "schedule"
        assert body["errors"]["local_time"] == [
            "The go-live moment has already passed: move the launch to a new go-live, "
            f"then {verb} it."
        ]
        launch.refresh_from_db()
        assert (launch.status, launch.version) == (status, 1)


def test_ticking_off_and_retrying_raise_the_activations_version(cast, api):
    launch = LaunchFactory(project=cast.project, status=LaunchStatus.FIRING)
    manual = ActivationFactory(launch=launch, channel=ChannelFactory(owner=cast.viewer))
    Activation.objects.filter(pk=manual.pk).update(state="waiting")
    assert api.manager.get(url("activations", manual.pk))["ETag"] == '"1"'
    done = api.viewer.post(url("activations", manual.pk, "done"))
    assert done.status_code == 200, done.json()
    assert (done.json()["state"], done.json()["version"], done["ETag"]) == ("done", 2, '"2"')

    failed = LaunchFactory(project=cast.project, status=LaunchStatus.FAILED)
    hook = ChannelFactory(adapter=AdapterKind.WEBHOOK, endpoint_url="http://127.0.0.1:9/")
    activation = ActivationFactory(launch=failed, channel=hook, state="failed")
    retried = api.manager.post(url("activations", activation.pk, "retry"))
    assert retried.status_code == 200, retried.json()
    assert (retried.json()["state"], retried["ETag"]) == ("retrying", '"2"')


def test_each_conflict_names_what_it_is_about(cast, api):
    social = ChannelFactory(name="Social", projects=[cast.project])
    Blackout.objects.create(
        channel=social, starts_on=dt.date(2026, 4, 1), ends_on=dt.date(2026, 4, 3), reason="Easter"
    )
    cast.project.promotion_start = dt.date(2026, 4, 10)
    cast.project.promotion_end = None
    cast.project.save()
    launch = api.manager.post(
        url("launches"), launch_body(cast, local_date="2026-04-02", channels=[social.pk])
    ).json()
    late = ReadinessGate.objects.create(
        launch_id=launch["id"], title="FAQ", owner=cast.viewer, due_date=dt.date(2026, 4, 5)
    )
    ReadinessGate.objects.create(  # due in time: not part of it
        launch_id=launch["id"], title="Brief", owner=cast.viewer, due_date=dt.date(2026, 3, 20)
    )
    found = api.viewer.get(url("launches", launch["id"], "conflicts")).json()
    empty = {
        "channel_id": None,
        "other_launch_id": None,
        "other_go_live": None,
        "starts_on": None,
        "ends_on": None,
        "due_on": None,
        "gate_ids": [],
    }
    assert found == [
        {
            **empty,
            "kind": "blackout",
            "message": "Social is blacked out: Easter.",
            "blocking": False,
            "channel_id": social.pk,
            "starts_on": "2026-04-01",
            "ends_on": "2026-04-03",
        },
        {
            **empty,
            "kind": "gate",
            "message": "Goes live before a required gate is due (5 Apr).",
            "blocking": False,
            "due_on": "2026-04-05",
            "gate_ids": [late.pk],
        },
        {
            **empty,
            "kind": "window",
            "message": "Goes live outside the project's promotion window.",
            "blocking": False,
            "starts_on": "2026-04-10",
        },
    ]


def test_a_switched_off_channel_is_refused_by_name_as_the_form_refuses_it(cast, api):
    off = ChannelFactory(name="Fax", is_active=False)
    response = api.manager.post(url("launches"), launch_body(cast, channels=[off.pk]))
    body = assert_error(response, 400, "invalid", "channels")
    assert body["errors"]["channels"] == ["Fax is switched off: a launch cannot go out on it."]
    launch = LaunchFactory(project=cast.project)
    response = api.manager.post(url("activations"), {"launch": launch.pk, "channel": off.pk})
    assert "Fax is switched off" in assert_error(response, 400, "invalid", "channel")["message"]
    assert not Activation.objects.exists()

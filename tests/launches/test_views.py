"""The control room, the sync-health page and channel settings, through their views."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from synchrony.activity.models import ActivityEvent
from synchrony.launches import health
from synchrony.launches.models import (
    Activation,
    ActivationState,
    AdapterKind,
    AttemptOutcome,
    Channel,
    DeliveryAttempt,
    Launch,
    LaunchPolicy,
    LaunchStatus,
    PreflightCheck,
)
from tests.conftest import client_for
from tests.factories import (
    ActivationFactory,
    ChannelFactory,
    LaunchFactory,
    ProjectFactory,
    UserFactory,
)

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
HOOK_URL = "http://127.0.0.1:9/hook"  # loopback is allowed in the test settings


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def hook(name: str = "Newsletter", **fields: object) -> Channel:
    return ChannelFactory(name=name, adapter=AdapterKind.WEBHOOK, endpoint_url=HOOK_URL, **fields)


def control_room(user, launch: Launch, **headers: str) -> str:
    response = client_for(user).get(reverse("launches:detail", args=[launch.pk]), **headers)
    assert response.status_code == 200
    return response.content.decode()


def at(seconds: float) -> dt.datetime:
    return NOW + dt.timedelta(seconds=seconds)


# ── The control room, state by state ──────────────────────────────────────────


def test_a_scheduled_launch_counts_down_and_shows_its_policy(cast, frozen):
    launch = LaunchFactory(
        project=cast.project,
        status=LaunchStatus.SCHEDULED,
        go_live=at(4 * 60 + 12),
        policy=LaunchPolicy.DROP,
    )
    ActivationFactory(launch=launch, channel=hook(), subject="Atlas", body="Is here.")
    page = control_room(cast.viewer, launch)
    assert ">Scheduled</span>" in page
    assert "goes live in 4 min 12 s" in page
    assert 'hx-trigger="every 1s"' in page  # within the hour, it ticks each second
    assert "Drop the failing channel and go" in page
    assert "Lateness" not in page  # not settled
    assert "No check has run yet" in page

    far = LaunchFactory(
        project=cast.project, status=LaunchStatus.SCHEDULED, go_live=at(3 * 86400 + 3600)
    )
    page = control_room(cast.viewer, far)
    assert "goes live in 3 d 1 h" in page and 'hx-trigger="every 30s"' in page


def test_the_countdown_and_the_live_part_come_alone_to_htmx(cast, frozen):
    launch = LaunchFactory(project=cast.project, status=LaunchStatus.ARMED, go_live=at(5))
    ActivationFactory(launch=launch, channel=hook())
    countdown = control_room(
        cast.viewer, launch, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="countdown"
    )
    assert countdown.startswith('<span id="countdown"') and "goes live in 5 s" in countdown
    live = control_room(cast.viewer, launch, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="launch-live")
    assert "<html" not in live and 'id="launch-live"' not in live  # its content only
    assert ">Armed</span>" in live and "Newsletter" in live


def test_a_held_launch_shows_why_and_a_manager_can_release_it(cast, frozen):
    reason = "Readiness gate “Sales briefed” is not ready."
    launch = LaunchFactory(
        project=cast.project, status=LaunchStatus.HELD, go_live=at(120), hold_reason=reason
    )
    ActivationFactory(launch=launch, channel=hook(), subject="Atlas", body="Is here.")
    PreflightCheck.objects.create(
        launch=launch,
        ran_at=at(-180),
        go_live=launch.go_live,
        final=True,
        problems=[{"kind": "gate", "subject": "Sales briefed", "message": reason}],
        action="Held: nothing goes out until a manager releases or reschedules the launch.",
    )
    page = control_room(cast.manager, launch)
    assert ">Held</span>" in page and f"<strong>Held:</strong> {reason}" in page
    assert "5 min before go-live: must pass" in page and "1 problem" in page
    assert "Action taken:</strong> Held: nothing goes out" in page
    assert ">Release</button>" in page and ">Cancel launch</button>" in page
    assert ">Release</button>" not in control_room(cast.viewer, launch)

    url = reverse("launches:status", args=[launch.pk])
    data = {"version": launch.version, "status": "scheduled"}
    assert client_for(cast.viewer).post(url, data).status_code == 403
    assert client_for(cast.contributor).post(url, data).status_code == 403
    assert client_for(cast.outsider).post(url, data).status_code == 404
    response = client_for(cast.manager).post(url, data, follow=True)
    assert "Launch is now scheduled." in response.content.decode()
    launch.refresh_from_db()
    assert launch.status == LaunchStatus.SCHEDULED and launch.hold_reason == ""


def test_a_firing_launch_shows_each_attempt(cast, frozen):
    launch = LaunchFactory(
        project=cast.project, status=LaunchStatus.FIRING, go_live=at(-3), fired_at=at(-4)
    )
    flaky = ActivationFactory(
        launch=launch,
        channel=hook(),
        state=ActivationState.RETRYING,
        attempts=2,
        status_code=503,
        first_sent_at=at(-3),
        sent_at=at(-2),
        answered_at=at(-1.9),
        next_attempt_at=at(1),
        last_error="HTTP 503: busy",
    )
    DeliveryAttempt.objects.create(
        activation=flaky,
        number=1,
        started_at=at(-3),
        finished_at=at(-2.958),
        status_code=503,
        outcome=AttemptOutcome.RETRY,
        error="HTTP 503: busy",
    )
    DeliveryAttempt.objects.create(
        activation=flaky,
        number=2,
        started_at=at(-2),
        finished_at=at(-0.75),
        status_code=503,
        outcome=AttemptOutcome.RETRY,
        error="HTTP 503: busy",
    )
    page = control_room(cast.viewer, launch)
    assert ">Firing</span>" in page and "went live 3 s ago" in page
    assert ">Retrying</span>" in page and "HTTP 503" in page and "2 of at most 5" in page
    assert flaky.idempotency_key in page
    assert "Attempts on Newsletter" in page
    assert "<td>1</td>" in page and "42 ms" in page and "1.25 s" in page
    assert "Failed, will retry" in page
    assert ">Cancel launch</button>" not in page  # a viewer
    assert ">Cancel launch</button>" in control_room(cast.manager, launch)
    assert "Edit or move" not in control_room(cast.manager, launch)  # the engine has it


def test_a_partly_launched_launch_shows_the_failure_the_recovery_and_the_timing(cast, frozen):
    launch = LaunchFactory(
        project=cast.project,
        status=LaunchStatus.PARTLY_LAUNCHED,
        go_live=at(-60),
        lateness_ms=12,
        skew_ms=48,
    )
    ActivationFactory(
        launch=launch,
        channel=hook("Blog"),
        state=ActivationState.DELIVERED,
        attempts=2,
        status_code=200,
    )
    broken = ActivationFactory(
        launch=launch,
        channel=hook("Press"),
        state=ActivationState.FAILED,
        attempts=1,
        status_code=400,
        last_error="HTTP 400: bad request",
        failed_at=at(-59),
    )
    page = control_room(cast.manager, launch)
    assert ">Partly launched</span>" in page
    assert "1 of 2 channels went out." in page
    assert "Retried, then recovered" in page
    assert "HTTP 400: bad request" in page
    assert 'data-testid="lateness">12 ms' in page and 'data-testid="skew">48 ms' in page
    assert reverse("launches:activation-retry", args=[broken.pk]) in page
    viewer_page = control_room(cast.viewer, launch)
    assert reverse("launches:activation-retry", args=[broken.pk]) not in viewer_page
    assert "countdown" not in viewer_page


# ── Retry, tick, cancel: who may ──────────────────────────────────────────────


def test_only_managers_retry_a_failed_activation(cast):
    launch = LaunchFactory(
        project=cast.project, status=LaunchStatus.PARTLY_LAUNCHED, go_live=timezone.now()
    )
    ActivationFactory(launch=launch, channel=hook("Blog"), state=ActivationState.DELIVERED)
    failed = ActivationFactory(launch=launch, channel=hook("Press"), state=ActivationState.FAILED)
    url = reverse("launches:activation-retry", args=[failed.pk])
    assert client_for(cast.outsider).post(url).status_code == 404
    assert client_for(cast.viewer).post(url).status_code == 403
    assert client_for(cast.contributor).post(url).status_code == 403
    failed.refresh_from_db()
    assert failed.state == ActivationState.FAILED

    response = client_for(cast.manager).post(url, follow=True)
    assert "Press: one more attempt is on its way." in response.content.decode()
    failed.refresh_from_db()
    launch.refresh_from_db()
    assert failed.state == ActivationState.RETRYING and failed.next_attempt_at is not None
    assert launch.status == LaunchStatus.FIRING


def test_a_retry_the_engine_refuses_is_explained(cast):
    launch = LaunchFactory(project=cast.project, status=LaunchStatus.LAUNCHED)
    done = ActivationFactory(launch=launch, channel=hook(), state=ActivationState.DELIVERED)
    url = reverse("launches:activation-retry", args=[done.pk])
    response = client_for(cast.manager).post(url, follow=True)
    assert "Only a failed or unknown activation can be retried." in response.content.decode()


def test_the_channel_owner_and_managers_tick_off_a_manual_step(cast):
    owner = cast.viewer  # the owner is accountable, whatever their project role
    manual = ChannelFactory(name="Sales inbox", adapter=AdapterKind.MANUAL, owner=owner)
    launch = LaunchFactory(project=cast.project, status=LaunchStatus.FIRING)
    step = ActivationFactory(launch=launch, channel=manual, state=ActivationState.WAITING)
    url = reverse("launches:activation-done", args=[step.pk])

    assert ">Mark done" in control_room(owner, launch)
    assert ">Mark done" not in control_room(cast.contributor, launch)
    assert client_for(cast.outsider).post(url).status_code == 404
    assert client_for(cast.contributor).post(url).status_code == 403
    step.refresh_from_db()
    assert step.state == ActivationState.WAITING

    response = client_for(owner).post(url, follow=True)
    assert "Sales inbox: ticked off as gone out." in response.content.decode()
    step.refresh_from_db()
    launch.refresh_from_db()
    assert step.state == ActivationState.DONE and step.done_by == owner
    assert launch.status == LaunchStatus.LAUNCHED
    # Twice is harmless, and says so.
    response = client_for(cast.manager).post(url, follow=True)
    assert "There is nothing to tick off" in response.content.decode()


def test_an_unknown_activation_can_be_said_to_have_gone_out_or_retried(cast):
    email = ChannelFactory(
        name="Press list", adapter=AdapterKind.EMAIL, recipients="press@example.com"
    )
    launch = LaunchFactory(project=cast.project, status=LaunchStatus.PARTLY_LAUNCHED)
    unknown = ActivationFactory(launch=launch, channel=email, state=ActivationState.UNKNOWN)
    ActivationFactory(launch=launch, channel=hook(), state=ActivationState.DELIVERED)
    page = control_room(cast.manager, launch)
    assert ">It went out" in page and ">Retry" in page
    client_for(cast.manager).post(reverse("launches:activation-done", args=[unknown.pk]))
    unknown.refresh_from_db()
    launch.refresh_from_db()
    assert unknown.state == ActivationState.DONE and launch.status == LaunchStatus.LAUNCHED


def test_cancelling_an_armed_launch_goes_through_the_engine(cast):
    launch = LaunchFactory(project=cast.project, status=LaunchStatus.ARMED)
    pending = ActivationFactory(launch=launch, channel=hook())
    url = reverse("launches:status", args=[launch.pk])
    data = {"version": launch.version, "status": "cancelled"}
    assert client_for(cast.viewer).post(url, data).status_code == 403
    assert client_for(cast.outsider).post(url, data).status_code == 404
    response = client_for(cast.manager).post(url, data, follow=True)
    assert "Launch is now cancelled." in response.content.decode()
    launch.refresh_from_db()
    pending.refresh_from_db()
    assert launch.status == LaunchStatus.CANCELLED
    assert pending.state == ActivationState.CANCELLED


def test_a_manager_holds_a_scheduled_launch_from_the_control_room(cast):
    launch = LaunchFactory(project=cast.project, status=LaunchStatus.SCHEDULED)
    ActivationFactory(launch=launch, channel=hook())
    assert "Hold this launch" in control_room(cast.manager, launch)
    assert "Hold this launch" not in control_room(cast.viewer, launch)
    url = reverse("launches:hold", args=[launch.pk])
    data = {"version": launch.version, "reason": "Pricing page not approved"}
    assert client_for(cast.viewer).post(url, data).status_code == 403
    assert client_for(cast.outsider).post(url, data).status_code == 404

    refused = client_for(cast.manager).post(url, {**data, "reason": " "}, follow=True)
    assert "Not held. Say why it is held" in refused.content.decode()
    stale = client_for(cast.manager).post(url, {**data, "version": 7}, follow=True)
    assert "changed since you opened it" in stale.content.decode()
    launch.refresh_from_db()
    assert launch.status == LaunchStatus.SCHEDULED

    response = client_for(cast.manager).post(url, data, follow=True)
    page = response.content.decode()
    assert "Held: nothing goes out until a manager releases it." in page
    assert f"<strong>Held:</strong> Pricing page not approved (held by {cast.manager})." in page
    assert ">Release</button>" in page and "Hold this launch" not in page
    launch.refresh_from_db()
    assert launch.status == LaunchStatus.HELD


def test_cancelling_while_firing_stops_what_has_not_gone_out(cast):
    launch = LaunchFactory(project=cast.project, status=LaunchStatus.FIRING)
    sent = ActivationFactory(launch=launch, channel=hook("Blog"), state=ActivationState.DELIVERED)
    waiting = ActivationFactory(
        launch=launch, channel=hook("Press"), state=ActivationState.RETRYING
    )
    response = client_for(cast.manager).post(
        reverse("launches:status", args=[launch.pk]),
        {"version": launch.version, "status": "cancelled"},
        follow=True,
    )
    assert "Stopped: what had not gone out yet will not go out." in response.content.decode()
    waiting.refresh_from_db()
    sent.refresh_from_db()
    launch.refresh_from_db()
    assert (sent.state, waiting.state) == (ActivationState.DELIVERED, ActivationState.CANCELLED)
    assert launch.status == LaunchStatus.PARTLY_LAUNCHED  # never reported as a success


def test_the_launch_form_and_add_a_channel_offer_the_projects_channels(cast, frozen):
    page = reverse("launches:project", args=[cast.project.pk])
    empty = client_for(cast.manager).get(page).content.decode()
    assert "This project has no channels switched on" in empty
    ours, elsewhere = hook("Newsletter", projects=[cast.project]), hook("Billboard")
    html = client_for(cast.manager).get(page).content.decode()
    assert "Newsletter" in html and "Billboard" not in html
    launch = LaunchFactory(project=cast.project)
    html = control_room(cast.manager, launch)
    assert f'<option value="{ours.pk}">Newsletter</option>' in html and "Billboard" not in html

    add = reverse("launches:activation-add", args=[launch.pk])
    response = client_for(cast.manager).post(add, {"channel": elsewhere.pk}, follow=True)
    assert "Billboard is not one of this project&#x27;s channels" in response.content.decode()
    assert not launch.activations.exists()
    client_for(cast.manager).post(add, {"channel": ours.pk})
    html = control_room(cast.manager, launch)
    assert "Every switched-on channel of the project is on this launch" in html


def test_managers_choose_the_policy_in_the_launch_form(cast, frozen):
    channel = hook(projects=[cast.project])
    response = client_for(cast.manager).post(
        reverse("launches:create", args=[cast.project.pk]),
        {
            "name": "Atlas GA",
            "local_date": "2026-04-01",
            "local_time": "09:00",
            "time_zone": "Europe/Berlin",
            "policy": "drop",
            "channels": [channel.pk],
        },
    )
    assert response.status_code == 302
    launch = Launch.objects.get(name="Atlas GA")
    assert launch.policy == LaunchPolicy.DROP
    edit = reverse("launches:edit", args=[launch.pk])
    assert "Drop the failing channel and go" in client_for(cast.manager).get(edit).content.decode()
    client_for(cast.manager).post(
        edit,
        {
            "name": "Atlas GA",
            "local_date": "2026-04-01",
            "local_time": "09:00",
            "time_zone": "Europe/Berlin",
            "policy": "hold",
            "version": launch.version,
        },
    )
    launch.refresh_from_db()
    assert launch.policy == LaunchPolicy.HOLD


# ── Sync health ───────────────────────────────────────────────────────────────


def settled_launch(project, days_ago: float, status: str, lateness: int | None, skew: int | None):
    return LaunchFactory(
        project=project,
        status=status,
        go_live=NOW - dt.timedelta(days=days_ago),
        lateness_ms=lateness,
        skew_ms=skew,
    )


def activation(launch, state: str, *, attempts: int = 1, told_after: float | None = None):
    failed_at = launch.go_live + dt.timedelta(seconds=1) if told_after is not None else None
    return ActivationFactory(
        launch=launch,
        channel=hook(f"Channel {Activation.objects.count()}"),
        state=state,
        attempts=attempts,
        failed_at=failed_at,
        owner_notified_at=failed_at + dt.timedelta(seconds=told_after) if failed_at else None,
        last_error="HTTP 500" if told_after is not None else "",
    )


@pytest.fixture
def history(cast):
    """Ten sync operations in the window, and what must not be counted around them."""
    project = cast.project
    one = settled_launch(project, 1, LaunchStatus.LAUNCHED, 10, 4)
    activation(one, ActivationState.DELIVERED)
    activation(one, ActivationState.DELIVERED, attempts=3)  # recovered
    activation(one, ActivationState.DONE)
    two = settled_launch(project, 2, LaunchStatus.PARTLY_LAUNCHED, 30, 20)
    activation(two, ActivationState.DELIVERED)
    activation(two, ActivationState.FAILED, told_after=2)
    activation(two, ActivationState.OVERDUE, told_after=0)
    three = settled_launch(project, 3, LaunchStatus.FAILED, 50, 0)
    activation(three, ActivationState.UNKNOWN, told_after=10)
    activation(three, ActivationState.DROPPED)
    four = settled_launch(project, 0.001, LaunchStatus.FIRING, None, None)
    activation(four, ActivationState.RETRYING, attempts=2)
    activation(four, ActivationState.SENDING)
    # Not counted: not yet due, cancelled, too old, and a project the user is not in.
    activation(settled_launch(project, -2, LaunchStatus.SCHEDULED, None, None), "pending")
    activation(settled_launch(project, 4, LaunchStatus.CANCELLED, None, None), "cancelled")
    old = settled_launch(project, 31, LaunchStatus.FAILED, 1000, 1000)
    activation(old, ActivationState.FAILED, told_after=100)
    theirs = settled_launch(ProjectFactory(), 1, LaunchStatus.FAILED, 5000, 5000)
    activation(theirs, ActivationState.FAILED, told_after=100)
    return cast


def test_sync_health_numbers_on_a_known_history(history, frozen):
    result = health.sync_health(history.manager, now=NOW)
    assert (result.activations, result.succeeded, result.failed) == (10, 4, 4)
    assert (result.recovered, result.in_progress, result.open_failure_count) == (1, 2, 3)
    assert result.failed_share == 0.4 and result.recovered_share == 0.1
    assert result.failed_by_state == {"failed": 1, "unknown": 1, "overdue": 1, "dropped": 1}
    assert result.lateness_ms == health.Spread(3, 30, pytest.approx(48), 50)
    assert result.skew_ms == health.Spread(3, 4, pytest.approx(18.4), 20)
    assert result.detection_s == health.Spread(3, 2, pytest.approx(9.2), 10)
    # Oldest first: the longest-open failure leads.
    assert [a.state for a in result.open_failures] == ["unknown", "failed", "overdue"]

    page = client_for(history.manager).get(reverse("launches:sync-health")).content.decode()
    assert 'data-testid="failed-share">40.0 %' in page
    assert "4 of 10 activations" in page
    assert 'data-testid="recovered">1<' in page
    assert "48 ms" in page and "18 ms" in page and "9.20 s" in page
    assert page.count("HTTP 500") == 3  # the open failures, with their errors


def test_sync_health_only_counts_what_the_user_can_see(history, frozen):
    result = health.sync_health(history.outsider, now=NOW)
    assert result.activations == 0 and result.failed_share is None
    assert result.lateness_ms == health.Spread(0, None, None, None)
    page = client_for(history.outsider).get(reverse("launches:sync-health")).content.decode()
    assert "No open failures." in page


def test_sync_health_takes_the_same_number_of_queries_however_much_history(cast):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            health.sync_health(cast.manager)
        return len(captured)

    def page_queries() -> int:
        client = client_for(cast.manager)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("launches:sync-health")).status_code == 200
        return len(captured)

    def add_launches(count: int) -> None:
        for n in range(count):
            launch = LaunchFactory(
                project=cast.project,
                status=LaunchStatus.PARTLY_LAUNCHED,
                go_live=timezone.now() - dt.timedelta(hours=n + 1),
                lateness_ms=n,
                skew_ms=n,
            )
            activation(launch, ActivationState.DELIVERED, attempts=2)
            activation(launch, ActivationState.FAILED, told_after=n)

    add_launches(1)
    few, few_page = queries(), page_queries()
    add_launches(20)
    assert queries() == few == 4
    assert page_queries() == few_page


# ── Channel settings ──────────────────────────────────────────────────────────


def settings_url(channel: Channel) -> str:
    return reverse("launches:channel-edit", args=[channel.pk])


def form_data(**changes: object) -> dict[str, object]:
    return {
        "adapter": "webhook",
        "endpoint_url": HOOK_URL,
        "recipients": "",
        "timeout_seconds": 10,
        "max_attempts": 5,
        "version": 1,
        **changes,
    }


def test_only_the_owner_or_staff_open_a_channels_settings_and_see_its_secret(cast):
    channel = hook(owner=cast.contributor)
    page = client_for(cast.contributor).get(settings_url(channel))
    assert page.status_code == 200 and channel.signing_secret in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    assert "webhook-signature" in page.content.decode()
    staff = UserFactory(is_staff=True)
    assert client_for(staff).get(settings_url(channel)).status_code == 200
    for someone in (cast.manager, cast.viewer, cast.outsider):
        response = client_for(someone).get(settings_url(channel))
        assert response.status_code == 403
        assert channel.signing_secret not in response.content.decode()
    listing = client_for(cast.manager).get(reverse("launches:channels")).content.decode()
    assert settings_url(channel) not in listing
    listing = client_for(cast.contributor).get(reverse("launches:channels")).content.decode()
    assert settings_url(channel) in listing


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"endpoint_url": "ftp://127.0.0.1/hook"}, "endpoint_url", "Use an http:// or https://"),
        ({"endpoint_url": "http://10.0.0.1/hook"}, "endpoint_url", "private or reserved address"),
        ({"endpoint_url": "https://[fe80::1]/"}, "endpoint_url", "private or reserved address"),
        ({"endpoint_url": "http://"}, "endpoint_url", "has no host name"),
        ({"endpoint_url": ""}, "endpoint_url", "needs a URL"),
        ({"adapter": "slack", "endpoint_url": ""}, "endpoint_url", "needs a URL"),
        ({"adapter": "email", "recipients": ""}, "recipients", "needs recipients"),
        ({"adapter": "email", "recipients": "a@b.com, nope"}, "recipients", "invalid recipient"),
        ({"timeout_seconds": 0}, "timeout_seconds", "greater than or equal to 1"),
        ({"max_attempts": 11}, "max_attempts", "less than or equal to 10"),
        ({"adapter": "carrier pigeon"}, "adapter", "Select a valid choice"),
    ],
)
def test_bad_channel_settings_are_refused_at_the_field_and_nothing_is_saved(
    cast, changes, field, message
):
    channel = hook(owner=cast.manager, timeout_seconds=7)
    before = Channel.objects.filter(pk=channel.pk).values().get()
    # The timeout changes too: a refused save keeps none of it.
    response = client_for(cast.manager).post(
        settings_url(channel), form_data(**{"timeout_seconds": 3, **changes})
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert any(message in text for text in errors[field]), errors
    assert message in response.content.decode()
    assert Channel.objects.filter(pk=channel.pk).values().get() == before
    assert not ActivityEvent.objects.filter(target_type="launches.channel").exists()


def test_good_channel_settings_are_saved_and_logged(cast):
    channel = ChannelFactory(name="Press", owner=cast.manager)  # manual
    response = client_for(cast.manager).post(
        settings_url(channel), form_data(timeout_seconds=4, max_attempts=3)
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.adapter, channel.endpoint_url) == ("webhook", HOOK_URL)
    assert (channel.timeout_seconds, channel.max_attempts) == (4, 3)
    event = ActivityEvent.objects.get(target_type="launches.channel", target_id=channel.pk)
    assert event.actor == cast.manager and event.verb == "updated"
    assert event.changes["adapter"] == {
        "label": "Adapter",
        "before": "Manual (a person does it)",
        "after": "Outbound webhook",
        "before_value": "manual",
        "after_value": "webhook",
    }
    page = client_for(cast.manager).get(settings_url(channel)).content.decode()
    assert "Outbound webhook" in page  # in the recent changes

    email = ChannelFactory(name="List", owner=cast.manager)
    client_for(cast.manager).post(
        settings_url(email),
        form_data(adapter="email", endpoint_url="", recipients="a@example.com, b@example.com"),
    )
    email.refresh_from_db()
    assert email.recipients == "a@example.com, b@example.com"


def test_a_stale_channel_settings_save_is_refused_and_names_who_changed_what(cast):
    channel = hook(owner=cast.manager, timeout_seconds=10)
    staff = UserFactory(is_staff=True, first_name="Ada", last_name="Admin")
    # The admin saves first, from the same version the owner opened.
    first = client_for(staff).post(settings_url(channel), form_data(max_attempts=2))
    assert first.status_code == 302
    response = client_for(cast.manager).post(
        settings_url(channel), form_data(max_attempts=9, timeout_seconds=4)
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "changed since you opened it" in page and "Ada Admin" in page
    assert "You had entered: “9”" in page  # theirs is shown, mine is quoted
    channel.refresh_from_db()
    assert (channel.max_attempts, channel.timeout_seconds, channel.version) == (2, 10, 2)
    form = response.context["form"]
    assert form["version"].value() == "2" and form["timeout_seconds"].value() == "4"

    # Saving the refused form again is deliberate: it goes through at the new version.
    again = client_for(cast.manager).post(
        settings_url(channel), form_data(max_attempts=2, timeout_seconds=4, version=2)
    )
    assert again.status_code == 302
    channel.refresh_from_db()
    assert (channel.max_attempts, channel.timeout_seconds, channel.version) == (2, 4, 3)


def test_rotating_the_secret_keeps_the_previous_one_for_a_day(cast, frozen):
    channel = hook(owner=cast.manager)
    old = channel.signing_secret
    url = reverse("launches:channel-rotate", args=[channel.pk])
    assert client_for(cast.viewer).post(url).status_code == 403
    channel.refresh_from_db()
    assert channel.signing_secret == old

    response = client_for(cast.manager).post(url, follow=True)
    assert "The previous one stays valid for 24 hours" in response.content.decode()
    channel.refresh_from_db()
    assert channel.signing_secret.startswith("whsec_") and channel.signing_secret != old
    assert channel.previous_secret == old
    assert channel.previous_secret_until == NOW + dt.timedelta(hours=24)
    assert channel.signing_secrets(NOW) == [channel.signing_secret, old]
    assert channel.signing_secrets(NOW + dt.timedelta(hours=25)) == [channel.signing_secret]
    assert "valid until" in response.content.decode()
    event = ActivityEvent.objects.get(target_type="launches.channel", target_id=channel.pk)
    assert old not in str(event.__dict__) and channel.signing_secret not in str(event.__dict__)


def test_a_channels_second_rotation_within_the_day_needs_an_explicit_yes(cast, frozen):
    channel = hook(owner=cast.manager)
    first = channel.signing_secret
    url = reverse("launches:channel-rotate", args=[channel.pk])
    client = client_for(cast.manager)
    response = client.post(url)
    # Post, redirect (303), get: reloading the result page rotates nothing.
    assert response.status_code == 303 and response.url == settings_url(channel)
    channel.refresh_from_db()
    second = channel.signing_secret
    page = client.get(settings_url(channel)).content.decode()
    assert "Rotating again now ends the previous secret" in page
    assert 'name="end_previous" value="yes"' in page

    refused = client.post(url, follow=True).content.decode()
    assert "Not rotated: the previous secret" in refused
    channel.refresh_from_db()
    assert (channel.signing_secret, channel.previous_secret) == (second, first)

    client.post(url, {"end_previous": "yes"})
    channel.refresh_from_db()
    assert channel.previous_secret == second
    assert channel.signing_secrets(NOW) == [channel.signing_secret, second]
    notes = ActivityEvent.objects.filter(target_type="launches.channel", target_id=channel.pk)
    assert notes.filter(message__contains=f"The one before it ({first[:10]}…) stopped").exists()


def test_a_disabled_channel_is_re_enabled_by_its_owner(cast):
    channel = hook(
        owner=cast.manager,
        disabled_at=timezone.now(),
        disabled_reason="The endpoint answered 410 Gone (HTTP 410: )",
    )
    page = client_for(cast.manager).get(settings_url(channel)).content.decode()
    assert "410 Gone" in page and "Re-enable the channel" in page
    url = reverse("launches:channel-enable", args=[channel.pk])
    assert client_for(cast.contributor).post(url).status_code == 403
    client_for(cast.manager).post(url)
    channel.refresh_from_db()
    assert channel.disabled_at is None and channel.disabled_reason == ""
    response = client_for(cast.manager).post(url, follow=True)
    assert "This channel is not disabled." in response.content.decode()


def test_the_control_room_points_the_owner_to_a_disabled_channel(cast):
    channel = hook(owner=cast.manager, disabled_at=timezone.now(), disabled_reason="410 Gone")
    launch = LaunchFactory(project=cast.project, status=LaunchStatus.FAILED)
    ActivationFactory(launch=launch, channel=channel, state=ActivationState.FAILED)
    page = control_room(cast.manager, launch)
    assert "Channel disabled: 410 Gone" in page and settings_url(channel) in page
    assert settings_url(channel) not in control_room(cast.viewer, launch)


def test_scheduling_says_at_once_what_preflight_would_hold_the_launch_for(cast):
    from synchrony.launches.models import AdapterKind
    from tests.factories import ActivationFactory, ChannelFactory, LaunchFactory

    launch = LaunchFactory(project=cast.project)
    ActivationFactory(launch=launch, channel=ChannelFactory(adapter=AdapterKind.EMAIL))
    response = client_for(cast.manager).post(
        reverse("launches:status", args=[launch.pk]),
        {"status": "scheduled", "version": launch.version},
        follow=True,
    )
    text = response.content.decode()
    assert "Launch is now scheduled." in text
    assert "Not ready yet:" in text and "content has no body" in text
    assert "has no recipients" in text


# ── Preflight, as the control room tells it ───────────────────────────────────


def test_the_control_room_says_when_the_next_check_runs(cast, frozen):
    draft = LaunchFactory(project=cast.project, go_live=at(9 * 60))
    assert (
        "once it is scheduled, preflight checks it 24 h, 1 h and 5 min before go-live "
        "(a check whose moment has already passed runs at once), and once more as it is armed"
    ) in control_room(cast.viewer, draft)

    scheduled = LaunchFactory(
        project=cast.project,
        status=LaunchStatus.SCHEDULED,
        go_live=at(9 * 60),
        next_check_at=at(4 * 60),
    )
    page = control_room(cast.viewer, scheduled)
    assert "the first runs 24 hours before go-live" not in page
    assert "No check has run yet: the next runs <time" in page
    assert "Mon 2 Mar, 10:04:00</time>." in page  # in the viewer's zone, Europe/Berlin

    last = LaunchFactory(project=cast.project, status=LaunchStatus.SCHEDULED, go_live=at(60))
    page = control_room(cast.viewer, last)
    assert "No check has run yet: the last word comes as it is armed, seconds before go-live." in (
        page
    )


def test_the_check_at_the_last_offset_and_the_one_at_arming_are_told_apart(cast, frozen):
    from synchrony.launches import engine

    launch = LaunchFactory(
        project=cast.project, status=LaunchStatus.SCHEDULED, go_live=at(300), next_check_at=NOW
    )
    ActivationFactory(launch=launch, channel=hook(), subject="Atlas", body="Is here.")
    assert engine.dispatch(NOW)["preflights"] == 1
    assert engine.dispatch(at(290))["armed"] == 1
    checks = list(PreflightCheck.objects.order_by("ran_at"))
    assert [(c.final, c.occasion) for c in checks] == [(True, "planned"), (True, "arming")]
    page = control_room(cast.viewer, launch)
    assert "5 min before go-live: must pass" in page
    assert "at arming, 10 s before go-live: must pass, the last word" in page
    assert "final check" not in page


def test_a_held_launch_past_its_go_live_asks_for_a_new_one_and_is_not_released(cast, frozen):
    launch = LaunchFactory(
        project=cast.project, status=LaunchStatus.HELD, go_live=at(-60), hold_reason="Legal."
    )
    ActivationFactory(launch=launch, channel=hook(), subject="Atlas", body="Is here.")
    page = control_room(cast.manager, launch)
    assert ">Release</button>" not in page and ">Cancel launch</button>" in page
    assert "Its go-live has passed, so it cannot be released as it is" in page
    assert reverse("launches:edit", args=[launch.pk]) in page

    response = client_for(cast.manager).post(
        reverse("launches:status", args=[launch.pk]),
        {"version": launch.version, "status": "scheduled"},
        follow=True,
    )
    assert (
        "The go-live moment has already passed: move the launch to a new go-live, then release it."
    ) in response.content.decode()
    launch.refresh_from_db()
    assert launch.status == LaunchStatus.HELD

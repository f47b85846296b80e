"""The launch engine's steps, called directly, against the real database and a local receiver.

The same steps run under a real worker and beat in test_faults.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json

import pytest
import redis
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from synchrony.activity.models import Notification, NotificationKind
from synchrony.activity.services import StaleEdit
from synchrony.celery import app
from synchrony.launches import engine, services
from synchrony.launches.models import (
    Activation,
    ActivationState,
    AdapterKind,
    AttemptOutcome,
    DeliveryAttempt,
    GateStatus,
    Launch,
    LaunchPolicy,
    LaunchStatus,
    PreflightCheck,
    ReadinessGate,
)
from synchrony.lib.outbound import UnsafeURL, check_url
from synchrony.planning.models import Task, TaskStatus
from tests.factories import ChannelFactory, UserFactory
from tests.launches.conftest import launch_with, states, webhook_channel


def reload(launch: Launch) -> Launch:
    return Launch.objects.get(pk=launch.pk)


def test_a_launch_fires_every_channel_once_signed_per_standard_webhooks(cast, receiver):
    hooks = [webhook_channel(receiver, f"/{n}") for n in range(3)]
    launch = launch_with(cast.project, hooks)

    assert engine.fire(launch.pk) is True
    assert engine.fire(launch.pk) is False  # a duplicated message fires nothing

    launch = reload(launch)
    assert launch.status == LaunchStatus.LAUNCHED
    assert launch.lateness_ms is not None and launch.skew_ms is not None
    activations = {a.channel.endpoint_url: a for a in launch.activations.select_related("channel")}
    assert receiver.keys() == {a.idempotency_key: 1 for a in activations.values()}
    for hit in receiver.hits:
        activation = activations[receiver.url + hit.path]
        assert activation.state == ActivationState.DELIVERED
        assert activation.status_code == 200 and activation.attempts == 1
        assert activation.first_sent_at >= launch.go_live
        # Checked by hand, not by the library that signed it: HMAC-SHA256 over
        # "id.timestamp.body" with the secret's bytes, base64, prefixed "v1,".
        secret = base64.b64decode(activation.channel.signing_secret.removeprefix("whsec_"))
        signed = f"{hit.key}.{hit.headers['webhook-timestamp']}.".encode() + hit.body
        expected = base64.b64encode(hmac.new(secret, signed, hashlib.sha256).digest()).decode()
        assert hit.headers["webhook-signature"] == f"v1,{expected}"
        body = json.loads(hit.body)
        assert body["type"] == "launch.activation"
        assert body["data"]["activation"]["idempotency_key"] == hit.key
        assert body["data"]["activation"]["subject"] == "Atlas is here"


def test_a_rotated_secret_signs_with_both_until_it_expires(cast, receiver):
    hook = webhook_channel(
        receiver,
        "/rotating",
        previous_secret="whsec_" + base64.b64encode(b"o" * 24).decode(),
        previous_secret_until=timezone.now() + dt.timedelta(hours=1),
    )
    engine.fire(launch_with(cast.project, [hook]).pk)
    assert len(receiver.hits[0].headers["webhook-signature"].split(" ")) == 2


def test_500_then_200_is_delivered_and_counted_as_recovered(cast, receiver):
    receiver.script["/flaky"] = [500]
    launch = launch_with(cast.project, [webhook_channel(receiver, "/flaky")])
    engine.fire(launch.pk)
    activation = Activation.objects.get(launch=launch)
    assert activation.state == ActivationState.RETRYING
    assert activation.next_attempt_at > activation.answered_at
    assert reload(launch).status == LaunchStatus.FIRING

    assert engine.deliver(activation.pk) is True
    assert engine.deliver(activation.pk) is False  # taken once only

    activation.refresh_from_db()
    assert activation.state == ActivationState.DELIVERED and activation.recovered
    assert list(activation.attempt_log.values_list("number", "status_code", "outcome")) == [
        (1, 500, AttemptOutcome.RETRY),
        (2, 200, AttemptOutcome.DELIVERED),
    ]
    assert receiver.keys() == {activation.idempotency_key: 2}  # same webhook-id both times
    assert reload(launch).status == LaunchStatus.LAUNCHED


def test_retry_after_is_honoured(cast, receiver):
    receiver.script["/busy"] = [(429, {"Retry-After": "7"})]
    launch = launch_with(cast.project, [webhook_channel(receiver, "/busy")])
    engine.fire(launch.pk)
    activation = Activation.objects.get(launch=launch)
    assert activation.state == ActivationState.RETRYING
    wait = (activation.next_attempt_at - activation.answered_at).total_seconds()
    assert 7 <= wait < 8


def test_one_failed_channel_makes_the_launch_partly_launched_and_tells_its_owner(cast, receiver):
    receiver.script["/broken"] = [400]
    good, broken = webhook_channel(receiver, "/good"), webhook_channel(receiver, "/broken")
    launch = launch_with(cast.project, [good, broken])
    engine.fire(launch.pk)

    assert states(launch) == {good.name: "delivered", broken.name: "failed"}
    assert reload(launch).status == LaunchStatus.PARTLY_LAUNCHED
    failed = Activation.objects.get(launch=launch, channel=broken)
    assert failed.owner_notified_at is not None
    told = Notification.objects.filter(kind=NotificationKind.LAUNCH_PROBLEM)
    assert told.filter(recipient=broken.owner, title__contains="failed").exists()
    assert told.filter(recipient=cast.manager, title__contains="partly launched").exists()


def test_a_receiver_that_never_answers_fails_after_its_retries(cast, receiver):
    receiver.default = ("hang", 3)
    hook = webhook_channel(receiver, "/silent", timeout_seconds=1, max_attempts=2)
    launch = launch_with(cast.project, [hook])
    engine.fire(launch.pk)
    activation = Activation.objects.get(launch=launch)
    assert activation.state == ActivationState.RETRYING
    assert "No answer within 1 s" in activation.last_error
    engine.deliver(activation.pk)
    activation.refresh_from_db()
    assert activation.state == ActivationState.FAILED
    assert activation.attempt_log.count() == 2
    assert reload(launch).status == LaunchStatus.FAILED


def test_410_gone_fails_and_disables_the_endpoint(cast, receiver):
    receiver.script["/gone"] = [410]
    hook = webhook_channel(receiver, "/gone")
    engine.fire(launch_with(cast.project, [hook]).pk)
    hook.refresh_from_db()
    assert hook.disabled_at is not None and "410" in hook.disabled_reason


def test_email_and_slack_adapters_send(cast, receiver):
    email = ChannelFactory(adapter=AdapterKind.EMAIL, recipients="press@example.com, a@example.com")
    slack = ChannelFactory(adapter=AdapterKind.SLACK, endpoint_url=receiver.url + "/slack")
    launch = launch_with(cast.project, [email, slack])
    engine.fire(launch.pk)
    assert reload(launch).status == LaunchStatus.LAUNCHED
    assert mail.outbox[-1].subject == "Atlas is here"
    assert mail.outbox[-1].to == ["press@example.com", "a@example.com"]
    assert json.loads(receiver.for_path("/slack")[0].body) == {
        "text": "*Atlas is here*\nRead all about it."
    }


def test_a_manual_step_gives_its_owner_a_task_and_is_done_when_ticked(cast, receiver):
    manual = ChannelFactory(adapter=AdapterKind.MANUAL, name="Sales inbox")
    launch = launch_with(cast.project, [manual, webhook_channel(receiver, "/auto")])
    engine.fire(launch.pk)

    step = Activation.objects.get(launch=launch, channel=manual)
    assert step.state == ActivationState.WAITING
    assert step.manual_task.owner == manual.owner
    assert Notification.objects.filter(
        recipient=manual.owner, kind=NotificationKind.LAUNCH_STEP
    ).exists()
    assert reload(launch).status == LaunchStatus.FIRING  # not done until the person is

    from synchrony.planning import services as planning

    planning.task_update(
        actor=manual.owner,
        task=step.manual_task,
        version=step.manual_task.version,
        changes={"status": TaskStatus.DONE},
    )
    step.refresh_from_db()
    assert step.state == ActivationState.DONE and step.done_by == manual.owner
    assert reload(launch).status == LaunchStatus.LAUNCHED


def test_a_manual_step_not_ticked_in_time_is_overdue(cast, receiver):
    manual = ChannelFactory(adapter=AdapterKind.MANUAL)
    launch = launch_with(cast.project, [manual, webhook_channel(receiver, "/auto")])
    engine.fire(launch.pk)
    later = timezone.now() + dt.timedelta(seconds=settings.LAUNCH_MANUAL_GRACE_SECONDS + 1)
    assert engine.dispatch(later)["overdue"] == 1
    assert Activation.objects.get(launch=launch, channel=manual).state == ActivationState.OVERDUE
    assert reload(launch).status == LaunchStatus.PARTLY_LAUNCHED
    assert Task.objects.get(owner=manual.owner).status == TaskStatus.TODO


def test_the_last_preflight_holds_a_launch_whose_required_gate_is_not_ready(cast, receiver):
    launch = launch_with(
        cast.project,
        [webhook_channel(receiver, "/x")],
        status=LaunchStatus.SCHEDULED,
        in_seconds=120,
    )
    ReadinessGate.objects.create(launch=launch, title="Sales briefed", owner=cast.contributor)
    ReadinessGate.objects.create(
        launch=launch, title="Nice to have", owner=cast.contributor, required=False
    )
    Launch.objects.filter(pk=launch.pk).update(next_check_at=timezone.now())

    assert engine.dispatch()["preflights"] == 1
    launch = reload(launch)
    assert launch.status == LaunchStatus.HELD
    assert "Sales briefed" in launch.hold_reason and "Nice to have" not in launch.hold_reason
    check = PreflightCheck.objects.get(launch=launch)
    assert check.final and check.action.startswith("Held")
    for person in (cast.contributor, cast.manager):
        assert Notification.objects.filter(
            recipient=person, kind=NotificationKind.LAUNCH_PROBLEM
        ).exists()
    assert engine.dispatch()["armed"] == 0  # held means held

    # Released after the gate is ready, it goes out.
    ReadinessGate.objects.filter(launch=launch).update(status=GateStatus.READY)
    services.launch_set_status(
        actor=cast.manager, launch=launch, version=launch.version, status=LaunchStatus.SCHEDULED
    )
    assert reload(launch).hold_reason == ""


def test_an_early_preflight_warns_without_holding(cast, receiver):
    launch = launch_with(
        cast.project,
        [webhook_channel(receiver, "/x")],
        status=LaunchStatus.SCHEDULED,
        in_seconds=1800,
    )
    ReadinessGate.objects.create(launch=launch, title="FAQ ready", owner=cast.contributor)
    Launch.objects.filter(pk=launch.pk).update(next_check_at=timezone.now())
    engine.dispatch()
    launch = reload(launch)
    assert launch.status == LaunchStatus.SCHEDULED
    assert launch.next_check_at == launch.go_live - dt.timedelta(minutes=5)
    assert not PreflightCheck.objects.get(launch=launch).final
    assert Notification.objects.filter(recipient=cast.contributor).exists()


def test_the_drop_policy_drops_the_failing_channel_and_goes(cast, receiver):
    good = webhook_channel(receiver, "/good")
    broken = ChannelFactory(adapter=AdapterKind.WEBHOOK, endpoint_url="")
    launch = launch_with(
        cast.project,
        [good, broken],
        status=LaunchStatus.SCHEDULED,
        in_seconds=1,
        policy=LaunchPolicy.DROP,
    )
    assert engine.dispatch()["armed"] == 1
    assert states(launch)[broken.name] == ActivationState.DROPPED
    engine.fire(launch.pk)
    assert reload(launch).status == LaunchStatus.PARTLY_LAUNCHED
    assert len(receiver.hits) == 1


def queued(task_name: str) -> list[dict]:
    """Messages waiting in this test worker's real Redis queue for `task_name`."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    raw = broker.lrange(settings.CELERY_TASK_DEFAULT_QUEUE, 0, -1)
    return [m for m in map(json.loads, raw) if m["headers"]["task"].endswith(task_name)]


def test_dispatch_arms_a_due_launch_with_a_short_eta_only(
    cast, receiver, django_capture_on_commit_callbacks
):
    app.control.purge()
    soon = launch_with(
        cast.project, [webhook_channel(receiver, "/a")], status=LaunchStatus.SCHEDULED, in_seconds=5
    )
    later = launch_with(
        cast.project,
        [webhook_channel(receiver, "/b")],
        status=LaunchStatus.SCHEDULED,
        in_seconds=60,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert engine.dispatch()["armed"] == 1
    assert reload(soon).status == LaunchStatus.ARMED
    assert reload(later).status == LaunchStatus.SCHEDULED
    [message] = queued("fire_launch")
    eta = dt.datetime.fromisoformat(message["headers"]["eta"])
    assert eta == soon.go_live - dt.timedelta(seconds=settings.LAUNCH_FIRE_PREPARE_SECONDS)
    app.control.purge()


def test_a_launch_that_missed_its_moment_is_held_not_fired(cast, receiver):
    launch = launch_with(
        cast.project,
        [webhook_channel(receiver, "/a")],
        status=LaunchStatus.SCHEDULED,
        in_seconds=-3600,
    )
    engine.dispatch()
    launch = reload(launch)
    assert launch.status == LaunchStatus.HELD and "Missed its moment" in launch.hold_reason
    assert receiver.hits == []


def test_a_cancelled_armed_launch_does_not_fire(cast, receiver):
    launch = launch_with(cast.project, [webhook_channel(receiver, "/a")])
    services.launch_set_status(
        actor=cast.manager, launch=launch, version=launch.version, status=LaunchStatus.CANCELLED
    )
    assert engine.fire(launch.pk) is False
    assert reload(launch).status == LaunchStatus.CANCELLED
    assert receiver.hits == []


def test_a_manager_holds_an_armed_launch_at_the_last_second_and_nothing_goes_out(cast, receiver):
    owner = UserFactory(first_name="Owen", last_name="Owner")
    launch = launch_with(cast.project, [webhook_channel(receiver, "/a", owner=owner)], version=2)
    opened_at = 1  # the page was read before the engine armed it
    held = services.launch_hold(
        actor=cast.manager, launch=launch, version=opened_at, reason="  Legal said wait. "
    )
    assert engine.fire(launch.pk) is False  # the firing task finds it held
    assert receiver.hits == []
    launch = reload(launch)
    assert held.status == launch.status == LaunchStatus.HELD
    assert launch.hold_reason == f"Legal said wait (held by {cast.manager})."
    assert launch.armed_at is None and launch.activations.get().due_at is None
    told = Notification.objects.get(recipient=owner)
    assert told.kind == NotificationKind.LAUNCH_PROBLEM and "Legal said wait" in told.title
    assert not Notification.objects.filter(recipient=cast.manager).exists()  # who held it

    # Released, it is the engine's again: scheduled, and checked at once (its moment is due).
    services.launch_set_status(
        actor=cast.manager, launch=launch, version=launch.version, status=LaunchStatus.SCHEDULED
    )
    launch = reload(launch)
    assert (launch.status, launch.hold_reason) == (LaunchStatus.SCHEDULED, "")


def test_a_hold_needs_a_reason_a_current_version_and_a_launch_not_yet_going_out(cast, receiver):
    hook = webhook_channel(receiver, "/a")
    scheduled = launch_with(cast.project, [hook], status=LaunchStatus.SCHEDULED, in_seconds=3600)
    for reason in ("", "   ", "x" * (engine.HOLD_REASON_MAX + 1)):
        with pytest.raises(ValidationError) as refused:
            services.launch_hold(
                actor=cast.manager, launch=scheduled, version=scheduled.version, reason=reason
            )
        assert "reason" in refused.value.message_dict
    with pytest.raises(StaleEdit):
        services.launch_hold(
            actor=cast.manager, launch=scheduled, version=scheduled.version - 1, reason="Wait"
        )
    assert reload(scheduled).status == LaunchStatus.SCHEDULED

    for status, message in (
        (LaunchStatus.DRAFT, "Only a scheduled launch can be held; this one is draft"),
        (LaunchStatus.FIRING, "going out right now: cancel it"),
        (LaunchStatus.LAUNCHED, "this one is launched"),
    ):
        launch = launch_with(cast.project, [hook], status=status, in_seconds=3600)
        with pytest.raises(ValidationError, match=message):
            services.launch_hold(
                actor=cast.manager, launch=launch, version=launch.version, reason="Wait"
            )
        assert reload(launch).status == status


def test_a_launch_going_out_cannot_be_edited(cast, receiver):
    launch = launch_with(cast.project, [webhook_channel(receiver, "/a")])
    with pytest.raises(ValidationError, match="going out right now"):
        services.launch_update(
            actor=cast.manager, launch=launch, version=launch.version, changes={"name": "New"}
        )
    activation = launch.activations.get()
    with pytest.raises(ValidationError, match="going out right now"):
        services.activation_set(
            actor=cast.manager, launch=launch, channel=activation.channel, body="Changed"
        )
    assert reload(launch).name != "New"


@override_settings(LAUNCH_PAYLOAD_MAX_BYTES=2000)
def test_a_payload_over_the_size_limit_is_refused_on_the_body(cast):
    launch = launch_with(cast.project, [ChannelFactory()], status=LaunchStatus.DRAFT)
    activation = launch.activations.get()
    with pytest.raises(ValidationError) as error:
        services.activation_set(
            actor=cast.manager, launch=launch, channel=activation.channel, body="é" * 1500
        )
    assert "over the 2,000-byte limit" in error.value.message_dict["body"][0]
    activation.refresh_from_db()
    assert activation.body == "Read all about it."


def test_the_sweeper_refires_an_armed_launch_whose_message_was_lost(cast, receiver):
    launch = launch_with(cast.project, [webhook_channel(receiver, "/a")], in_seconds=-5)
    assert engine.sweep()["refired"] == 1
    engine.fire(launch.pk)  # what the re-sent message does
    assert reload(launch).status == LaunchStatus.LAUNCHED


def test_a_send_cut_off_is_resent_only_where_the_receiver_deduplicates(cast, receiver):
    hook = webhook_channel(receiver, "/hook")
    slack = ChannelFactory(adapter=AdapterKind.SLACK, endpoint_url=receiver.url + "/slack")
    launch = launch_with(cast.project, [hook, slack], in_seconds=-60)
    long_ago = timezone.now() - dt.timedelta(seconds=60)
    Launch.objects.filter(pk=launch.pk).update(status=LaunchStatus.FIRING, fired_at=long_ago)
    for activation in launch.activations.all():
        Activation.objects.filter(pk=activation.pk).update(
            state=ActivationState.SENDING, attempts=1
        )
        DeliveryAttempt.objects.create(activation=activation, number=1, started_at=long_ago)

    assert engine.sweep()["lost"] == 2
    assert states(launch) == {hook.name: "retrying", slack.name: "unknown"}
    assert Notification.objects.filter(recipient=slack.owner, title__contains="unknown").exists()
    assert DeliveryAttempt.objects.filter(outcome=AttemptOutcome.LOST).count() == 2

    engine.deliver(Activation.objects.get(launch=launch, channel=hook).pk)
    assert reload(launch).status == LaunchStatus.PARTLY_LAUNCHED  # unknown is not success

    # Its owner checked: it did go out.
    unknown = Activation.objects.select_related("launch__project").get(channel=slack)
    engine.manual_step_done(activation=unknown, actor=slack.owner)
    assert reload(launch).status == LaunchStatus.LAUNCHED


def test_a_failed_activation_can_be_retried_from_the_control_room(cast, receiver):
    receiver.script["/once"] = [400]
    launch = launch_with(cast.project, [webhook_channel(receiver, "/once")])
    engine.fire(launch.pk)
    assert reload(launch).status == LaunchStatus.FAILED
    activation = Activation.objects.select_related("channel", "launch__project").get()
    engine.retry_now(activation=activation, actor=cast.manager)
    assert reload(launch).status == LaunchStatus.FIRING
    engine.deliver(activation.pk)
    assert reload(launch).status == LaunchStatus.LAUNCHED


@override_settings(OUTBOUND_ALLOWED_NETWORKS=[])
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/x", "http:// or https://"),
        ("http://127.0.0.1:9/x", "private or reserved address"),
        ("http://10.1.2.3/x", "private or reserved address"),
        ("http://169.254.169.254/latest", "private or reserved address"),
        ("http://[::1]/x", "private or reserved address"),
        ("http://localhost/x", "private or reserved address"),
        ("http:///nohost", "no host"),
    ],
)
def test_outbound_urls_must_be_public_http(url, message):
    with pytest.raises(UnsafeURL, match=message):
        check_url(url)


def test_an_admin_can_allow_a_private_network():
    with override_settings(OUTBOUND_ALLOWED_NETWORKS=["10.0.0.0/8"]):
        check_url("http://10.1.2.3/x")
    check_url("http://93.184.215.14/x")  # a public address literal needs no DNS


def test_an_armed_launch_prompted_long_after_its_moment_is_held(cast, receiver):
    launch = launch_with(cast.project, [webhook_channel(receiver, "/a")], in_seconds=-3600)
    assert engine.fire(launch.pk) is False
    assert reload(launch).status == LaunchStatus.HELD
    assert receiver.hits == []


def test_the_sweeper_sends_what_a_dead_firing_task_never_marked(cast, receiver):
    manual = ChannelFactory(adapter=AdapterKind.MANUAL)
    launch = launch_with(cast.project, [webhook_channel(receiver, "/a"), manual], in_seconds=-60)
    Launch.objects.filter(pk=launch.pk).update(
        status=LaunchStatus.FIRING, fired_at=timezone.now() - dt.timedelta(seconds=60)
    )
    assert engine.sweep()["unsent"] == 2
    automated = Activation.objects.exclude(channel=manual).get(launch=launch)
    assert automated.state == ActivationState.RETRYING
    assert Activation.objects.get(channel=manual).state == ActivationState.WAITING
    engine.deliver(automated.pk)
    assert receiver.keys() == {automated.idempotency_key: 1}


def test_no_collection_while_any_launch_is_at_its_moment():
    """Launches overlapping in one worker: collection resumes only after the last."""
    import gc

    assert gc.isenabled()
    first, second = engine._no_collection(), engine._no_collection()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_hold_reason_reads_as_sentences_wherever_it_is_shown(cast, receiver):
    from synchrony.webhooks import services as webhooks
    from synchrony.webhooks.models import Event

    webhooks.endpoint_create(
        actor=cast.manager,
        url=receiver.url + "/events",
        event_types=["launch.held"],
        owner=UserFactory(is_staff=True),
    )
    blank = ChannelFactory(name="In-app messages", adapter=AdapterKind.WEBHOOK, endpoint_url="")
    launch = launch_with(
        cast.project, [webhook_channel(receiver, "/x")], status=LaunchStatus.SCHEDULED
    )
    Activation.objects.create(launch=launch, channel=blank)
    ReadinessGate.objects.create(launch=launch, title="Sales briefed", owner=cast.contributor)

    engine.run_preflight(launch, now=timezone.now(), final=True)

    reason = (
        "Readiness gate “Sales briefed” is not ready. In-app messages content has no body. "
        "Channel In-app messages has no endpoint URL."
    )
    assert reload(launch).hold_reason == reason
    (event,) = Event.objects.filter(type="launch.held")
    assert json.loads(event.payload)["data"]["hold_reason"] == reason
    title = Notification.objects.filter(recipient=cast.manager).latest("pk").title
    assert title.endswith(": " + reason) and ".;" not in title


def test_every_change_the_engine_makes_to_an_activation_raises_its_version(cast, receiver):
    receiver.script["/gone"] = [410]
    ok, gone = webhook_channel(receiver, "/ok"), webhook_channel(receiver, "/gone")
    launch = launch_with(cast.project, [ok, gone])
    engine.fire(launch.pk)
    # Sending, then delivered (or failed): two changes an integration reads.
    assert dict(launch.activations.values_list("channel__name", "version")) == {
        ok.name: 3,
        gone.name: 3,
    }
    gone.refresh_from_db()
    assert gone.disabled_at is not None and gone.version == 2  # its 410 shows on the channel
    assert services.channel_enable(actor=cast.manager, channel=gone).version == 3
    gone.refresh_from_db()
    assert gone.version == 3

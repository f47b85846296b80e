"""Fault tests: the reliability contract under a real worker, beat, Redis and PostgreSQL.

Each test schedules launches into the real engine (worker and beat as processes, see
EngineProcesses in tests/conftest.py), breaks something, and checks what the local
receiver got: every activation delivered, exactly once per idempotency key.
"""

from __future__ import annotations

import datetime as dt

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from synchrony.activity.models import Notification, NotificationKind
from synchrony.launches import engine
from synchrony.launches.engine import TICK_KEY
from synchrony.launches.models import Activation, ActivationState, Launch, LaunchStatus
from synchrony.launches.tasks import fire_launch
from tests.launches.conftest import launch_with, webhook_channel

pytestmark = pytest.mark.engine

SETTLED = (LaunchStatus.LAUNCHED, LaunchStatus.PARTLY_LAUNCHED, LaunchStatus.FAILED)


def settled(launch: Launch) -> Launch | None:
    launch = Launch.objects.get(pk=launch.pk)
    return launch if launch.status in SETTLED else None


def keys_of(launch: Launch) -> set[str]:
    return set(Activation.objects.filter(launch=launch).values_list("idempotency_key", flat=True))


def forget_everything_in_redis() -> None:
    """What a flush does to this test's engine: its queue, bindings, unacked messages, ticks."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    doomed = [k for k in broker.scan_iter(f"*{queue}*")] + [b"unacked", b"unacked_index"]
    broker.delete(*doomed)
    cache.delete(TICK_KEY)
    assert not broker.exists(queue)


def test_a_firing_message_delivered_twice_sends_each_channel_once(cast, receiver, engine_processes):
    hooks = [webhook_channel(receiver, f"/{n}") for n in range(4)]
    launch = launch_with(cast.project, hooks, in_seconds=2)  # armed, as the dispatcher leaves it
    eta = launch.go_live - dt.timedelta(seconds=1)
    fire_launch.apply_async((launch.pk,), eta=eta)
    fire_launch.apply_async((launch.pk,), eta=eta)

    launch = engine_processes.wait_for(lambda: settled(launch), what="settle the launch")
    assert launch.status == LaunchStatus.LAUNCHED
    assert receiver.keys() == {key: 1 for key in keys_of(launch)}


def test_a_worker_killed_mid_launch_ends_with_every_key_delivered_once(
    cast, receiver, engine_processes
):
    # The receiver sits on the first request of each channel; the worker dies meanwhile.
    hooks = [webhook_channel(receiver, f"/{n}", timeout_seconds=5) for n in range(3)]
    for hook in hooks:
        receiver.script[hook.endpoint_url.removeprefix(receiver.url)] = [("hang", 4)]
    launch = launch_with(cast.project, hooks, status=LaunchStatus.SCHEDULED, in_seconds=3)
    engine_processes.wait_for(lambda: len(receiver.hits) == 3, what="start sending")
    engine_processes.kill_worker()
    assert set(Activation.objects.filter(launch=launch).values_list("state", flat=True)) == {
        ActivationState.SENDING
    }

    engine_processes.start_worker()
    launch = engine_processes.wait_for(lambda: settled(launch), timeout=40, what="recover")
    assert launch.status == LaunchStatus.LAUNCHED
    received = receiver.keys()
    assert set(received) == keys_of(launch)  # nothing lost…
    assert all(count == 2 for count in received.values())  # …resent once, after the cut
    for activation in Activation.objects.filter(launch=launch):
        outcomes = list(activation.attempt_log.values_list("outcome", flat=True))
        assert outcomes == ["lost", "delivered"]  # the receiver dedupes by webhook-id


def test_redis_flushed_between_arming_and_go_live_still_fires(cast, receiver, engine_processes):
    hooks = [webhook_channel(receiver, f"/{n}") for n in range(2)]
    launch = launch_with(cast.project, hooks, status=LaunchStatus.SCHEDULED, in_seconds=5)
    # Armed, with its firing message waiting in Redis (the worker is not taking any)…
    engine_processes.consume(False)
    assert engine.dispatch()["armed"] == 1
    engine_processes.wait_for(
        lambda: engine_processes.queued(fire_launch), timeout=5, what="queue the firing message"
    )
    # …when everything Redis knew about this engine is gone.
    forget_everything_in_redis()
    engine_processes.consume(True)

    launch = engine_processes.wait_for(lambda: settled(launch), timeout=30, what="fire")
    assert launch.status == LaunchStatus.LAUNCHED
    assert launch.fired_at - launch.go_live < dt.timedelta(seconds=10)
    assert receiver.keys() == {key: 1 for key in keys_of(launch)}


def test_a_receiver_answering_500_then_200_is_delivered_and_counted_recovered(
    cast, receiver, engine_processes
):
    receiver.script["/flaky"] = [500]
    flaky, steady = webhook_channel(receiver, "/flaky"), webhook_channel(receiver, "/steady")
    launch = launch_with(cast.project, [flaky, steady], status=LaunchStatus.SCHEDULED, in_seconds=2)

    launch = engine_processes.wait_for(lambda: settled(launch), what="settle")
    assert launch.status == LaunchStatus.LAUNCHED
    recovered = Activation.objects.get(launch=launch, channel=flaky)
    assert recovered.recovered and recovered.attempts == 2
    assert not Activation.objects.get(launch=launch, channel=steady).recovered


def test_a_receiver_that_never_answers_fails_and_its_owner_is_told_within_60_s(
    cast, receiver, engine_processes
):
    receiver.script["/silent"] = [("hang", 5)] * 5
    silent = webhook_channel(receiver, "/silent", timeout_seconds=1, max_attempts=3)
    steady = webhook_channel(receiver, "/steady")
    launch = launch_with(
        cast.project, [silent, steady], status=LaunchStatus.SCHEDULED, in_seconds=2
    )

    launch = engine_processes.wait_for(lambda: settled(launch), timeout=60, what="settle")
    assert launch.status == LaunchStatus.PARTLY_LAUNCHED
    failed = Activation.objects.get(launch=launch, channel=silent)
    assert failed.state == ActivationState.FAILED and failed.attempts == 3
    told = Notification.objects.get(
        recipient=silent.owner, kind=NotificationKind.LAUNCH_PROBLEM, title__contains="failed"
    )
    assert told.created_at - launch.go_live < dt.timedelta(seconds=60)
    assert failed.owner_notified_at - failed.failed_at < dt.timedelta(seconds=1)
    assert timezone.now() - launch.go_live < dt.timedelta(seconds=60)


def test_health_reports_the_worker_and_a_recent_beat(client, engine_processes):
    engine_processes.wait_for(lambda: client.get("/healthz").status_code == 200, what="tick")
    body = client.get("/healthz").json()
    assert body == {"status": "ok", "database": "ok", "redis": "ok", "worker": "ok", "beat": "ok"}
    engine_processes.stop()
    cache.delete(TICK_KEY)
    down = client.get("/healthz")
    assert down.status_code == 503
    assert down.json()["beat"].startswith("error")
    assert client.get("/healthz?scope=web").status_code == 200

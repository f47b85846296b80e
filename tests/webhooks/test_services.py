"""The outbox and its delivery, in-process: each step called as the worker calls it.

The worker and beat themselves are in test_delivery.py; here the steps are run one at a
time against the local receiver, so each rule can be seen on its own.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from standardwebhooks import Webhook

from synchrony.activity.models import ActivityEvent, Notification, NotificationKind
from synchrony.planning import services as planning
from synchrony.planning.models import Task
from synchrony.webhooks import services
from synchrony.webhooks.models import (
    Attempt,
    AttemptOutcome,
    Delivery,
    DeliveryState,
    Endpoint,
    Event,
)
from tests.factories import TaskFactory, UserFactory
from tests.webhooks.conftest import endpoint_at


def rename(task: Task, title: str, actor) -> Task:
    task.refresh_from_db()
    return planning.task_update(
        actor=actor, task=task, version=task.version, changes={"title": title}
    )


def deliveries_of(endpoint: Endpoint) -> list[Delivery]:
    return list(Delivery.objects.filter(endpoint=endpoint).select_related("event").order_by("pk"))


def test_a_change_writes_one_event_and_a_delivery_per_subscribed_enabled_endpoint(
    cast, admin, receiver, django_capture_on_commit_callbacks
):
    tasks, _ = endpoint_at(receiver, "/tasks", admin, ["task.changed", "launch.held"])
    endpoint_at(receiver, "/launches", admin, ["launch.held"])
    endpoint_at(receiver, "/off", admin, ["task.changed"], enabled=False)
    with django_capture_on_commit_callbacks() as callbacks:
        task = planning.task_create(
            actor=cast.manager, project=cast.project, title="Brief sales", stage="planning"
        )
    event = Event.objects.get()
    assert (event.type, event.object_type, event.object_id) == ("task.changed", "task", task.pk)
    assert [d.endpoint for d in Delivery.objects.all()] == [tasks]
    assert len(callbacks) == 1  # enqueued once the change commits, not before
    body = json.loads(event.payload)
    assert body["type"] == "task.changed"
    assert body["data"]["action"] == "created"
    assert body["data"]["url"] == f"{settings.SITE_URL}/api/v1/tasks/{task.pk}/"
    assert body["data"]["project"]["id"] == cast.project.pk


def test_with_no_subscriber_nothing_is_written(cast, admin, receiver):
    endpoint_at(receiver, "/launches", admin, ["launch.held"])
    TaskFactory(project=cast.project)
    planning.task_create(actor=cast.manager, project=cast.project, title="T", stage="planning")
    assert not Event.objects.exists() and not Delivery.objects.exists()


def test_a_rolled_back_change_writes_and_enqueues_nothing(
    cast, admin, receiver, django_capture_on_commit_callbacks
):
    endpoint_at(receiver, "/tasks", admin)
    task = TaskFactory(project=cast.project, title="Draft")
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        rename(task, "Final", cast.manager)
        assert Event.objects.count() == 1  # written in the change's transaction…
        raise RuntimeError("the rest of the use-case failed")
    assert not Event.objects.exists() and not Delivery.objects.exists()  # …and gone with it
    assert callbacks == []
    task.refresh_from_db()
    assert task.title == "Draft"


def test_a_delivery_is_signed_and_verifies_with_the_secret(cast, admin, receiver):
    _, secret = endpoint_at(receiver, "/hook", admin)
    task = TaskFactory(project=cast.project, title="Draft")
    rename(task, "Final", cast.manager)
    delivery = Delivery.objects.get()

    assert services.deliver(delivery.pk)
    hit = receiver.for_path("/hook")[0]
    body = Webhook(secret).verify(hit.body, hit.headers)
    assert hit.key == delivery.event_id
    assert body["data"]["title"] == "Final" and body["data"]["changed"] == ["title"]
    with pytest.raises(Exception, match="No matching signature"):
        Webhook("whsec_" + "A" * 32).verify(hit.body, hit.headers)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED
    attempt = Attempt.objects.get(delivery=delivery)
    assert (attempt.status_code, attempt.outcome, attempt.response_excerpt) == (
        200,
        "delivered",
        "ok",
    )
    assert attempt.duration_ms is not None
    assert not services.deliver(delivery.pk)  # a second message finds it taken


def test_a_retry_keeps_the_webhook_id_and_honours_retry_after(cast, admin, receiver):
    receiver.script["/hook"] = [(503, {"retry-after": "7"})]
    _, secret = endpoint_at(receiver, "/hook", admin)
    rename(TaskFactory(project=cast.project), "Final", cast.manager)
    delivery = Delivery.objects.get()

    assert services.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.RETRYING
    wait = (delivery.next_attempt_at - delivery.attempt_log.get().finished_at).total_seconds()
    assert wait >= 7  # the receiver asked for 7 s; our own backoff is shorter in tests
    # Not before its time (the claim allows the arming lead, then waits for the moment).
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert services.deliver(delivery.pk)

    hits = receiver.for_path("/hook")
    assert [h.key for h in hits] == [delivery.event_id] * 2
    for hit in hits:
        Webhook(secret).verify(hit.body, hit.headers)
    assert hits[0].body == hits[1].body
    log = list(
        Attempt.objects.filter(delivery=delivery).values_list("number", "status_code", "outcome")
    )
    assert log == [(1, 503, "retry"), (2, 200, "delivered")]
    assert "HTTP 503" in Attempt.objects.get(delivery=delivery, number=1).error


def test_a_later_event_waits_while_an_earlier_one_for_the_same_object_is_unsettled(
    cast, admin, receiver, django_capture_on_commit_callbacks
):
    receiver.script["/hook"] = [503]
    endpoint, _ = endpoint_at(receiver, "/hook", admin)
    task, other = TaskFactory(project=cast.project), TaskFactory(project=cast.project)
    rename(task, "One", cast.manager)
    rename(task, "Two", cast.manager)
    rename(other, "Elsewhere", cast.manager)
    first, second, third = deliveries_of(endpoint)

    assert not services.deliver(second.pk)  # the first about this task goes first
    assert services.deliver(first.pk)  # 503: it will retry…
    assert not services.deliver(second.pk)  # …and the second still waits for it
    assert services.deliver(third.pk)  # another task is not held up
    Delivery.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.deliver(first.pk)
    second.refresh_from_db()
    prompted_at = second.enqueued_at
    callbacks[-1]()  # settling the first prompts the next in line
    second.refresh_from_db()
    assert second.enqueued_at > prompted_at
    assert services.deliver(second.pk)
    titles = [json.loads(h.body)["data"]["title"] for h in receiver.for_path("/hook")]
    assert titles == ["One", "Elsewhere", "One", "Two"]


def test_repeated_failures_disable_the_endpoint_cancel_what_waits_and_tell_its_owner(
    cast, admin, receiver
):
    receiver.default = 400
    endpoint, _ = endpoint_at(receiver, "/hook", admin)
    tasks = [TaskFactory(project=cast.project) for _ in range(3)]
    for n, task in enumerate(tasks):
        rename(task, f"T{n}", cast.manager)
    first, second, third = deliveries_of(endpoint)

    with override_settings(WEBHOOK_DISABLE_AFTER_FAILURES=2):
        assert services.deliver(first.pk)
        endpoint.refresh_from_db()
        assert endpoint.enabled and endpoint.consecutive_failures == 1
        assert services.deliver(second.pk)

    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert endpoint.disabled_reason.startswith("2 deliveries in a row failed; the last: HTTP 400")
    third.refresh_from_db()
    assert third.state == DeliveryState.CANCELLED  # not sent to a disabled endpoint
    assert not services.deliver(third.pk)
    note = Notification.objects.get(recipient=admin, kind=NotificationKind.WEBHOOK_DISABLED)
    assert "was disabled" in note.title and note.url.endswith(f"/{endpoint.pk}/deliveries/")
    assert ActivityEvent.objects.filter(target_id=endpoint.pk, verb="disabled").exists()
    # Nothing more is written for it until it is enabled again.
    rename(tasks[0], "Later", cast.manager)
    assert Delivery.objects.filter(endpoint=endpoint).count() == 3

    services.endpoint_enable(actor=admin, endpoint=endpoint)
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.consecutive_failures == 0
    with pytest.raises(ValidationError, match="not disabled"):
        services.endpoint_enable(actor=admin, endpoint=endpoint)


def test_a_success_resets_the_count_of_failures(cast, admin, receiver):
    receiver.script["/hook"] = [400]
    endpoint, _ = endpoint_at(receiver, "/hook", admin)
    for task in (TaskFactory(project=cast.project), TaskFactory(project=cast.project)):
        rename(task, "x", cast.manager)
    for delivery in deliveries_of(endpoint):
        services.deliver(delivery.pk)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.enabled


def test_410_gone_disables_the_endpoint_at_once(cast, admin, receiver):
    receiver.script["/hook"] = [410]
    endpoint, _ = endpoint_at(receiver, "/hook", admin)
    rename(TaskFactory(project=cast.project), "x", cast.manager)
    services.deliver(Delivery.objects.get().pk)
    endpoint.refresh_from_db()
    assert not endpoint.enabled and "410 Gone" in endpoint.disabled_reason


def test_replay_sends_the_same_event_again_as_a_new_delivery(cast, admin, receiver):
    _, secret = endpoint_at(receiver, "/hook", admin)
    rename(TaskFactory(project=cast.project), "x", cast.manager)
    original = Delivery.objects.get()
    with pytest.raises(ValidationError, match="still on its way"):
        services.delivery_replay(actor=admin, delivery=original)
    services.deliver(original.pk)
    original.refresh_from_db()

    replay = services.delivery_replay(actor=admin, delivery=original)
    assert (replay.event_id, replay.replay_of, replay.requested_by) == (
        original.event_id,
        original,
        admin,
    )
    assert services.deliver(replay.pk)
    hits = receiver.for_path("/hook")
    assert [h.key for h in hits] == [original.event_id] * 2 and hits[0].body == hits[1].body
    Webhook(secret).verify(hits[1].body, hits[1].headers)


def test_a_test_event_goes_even_to_a_disabled_endpoint_and_counts_for_nothing(admin, receiver):
    receiver.default = 500
    endpoint, secret = endpoint_at(receiver, "/hook", admin, enabled=False)
    delivery = services.endpoint_send_test(actor=admin, endpoint=endpoint)
    with override_settings(WEBHOOK_MAX_ATTEMPTS=1):
        assert services.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0
    body = Webhook(secret).verify(receiver.hits[0].body, receiver.hits[0].headers)
    assert body["type"] == "webhook.test" and body["data"]["sent_by"]["username"] == "ada"


def test_an_address_no_longer_allowed_when_sending_is_refused(cast, admin, receiver):
    endpoint_at(receiver, "/hook", admin)  # allowed when saved (tests allow loopback)
    rename(TaskFactory(project=cast.project), "x", cast.manager)
    delivery = Delivery.objects.get()
    # What a DNS answer changed to a private address meets: the check at send time.
    with override_settings(OUTBOUND_ALLOWED_NETWORKS=[]):
        assert services.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED
    assert "points at a private or reserved address (127.0.0.1)" in delivery.last_error
    assert receiver.hits == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/x", "Use an http:// or https:// address."),
        ("http://10.1.2.3/hook", "points at a private or reserved address (10.1.2.3)"),
        ("http://169.254.169.254/latest", "private or reserved address (169.254.169.254)"),
        ("http:///nohost", "The address has no host name."),
        ("http://example.com:99999/", "This is not a valid URL."),
        ("not a url", "Use an http:// or https:// address."),
    ],
)
def test_bad_urls_are_refused_at_the_field_with_a_clear_message(admin, url, message):
    with pytest.raises(ValidationError) as refused:
        services.endpoint_create(actor=admin, url=url, event_types=["task.changed"], owner=admin)
    assert any(message in text for text in refused.value.message_dict["url"])
    assert not Endpoint.objects.exists()


def test_an_endpoint_needs_events_and_an_admin_owner(admin, receiver):
    someone = UserFactory()
    with pytest.raises(ValidationError) as refused:
        services.endpoint_create(actor=admin, url=receiver.url, event_types=[], owner=someone)
    errors = refused.value.message_dict
    assert errors["event_types"] == ["Choose at least one event to send."]
    assert errors["owner"] == ["The owner must be an active admin: they answer for the endpoint."]
    with pytest.raises(ValidationError, match=r"Unknown event: task\.exploded"):
        services.endpoint_create(
            actor=admin, url=receiver.url, event_types=["task.exploded"], owner=admin
        )
    assert not Endpoint.objects.exists()


def test_rotating_the_secret_signs_with_both_for_a_day(cast, admin, receiver):
    endpoint, old = endpoint_at(receiver, "/hook", admin)
    version = endpoint.version
    endpoint, new = services.endpoint_rotate_secret(
        actor=admin, endpoint=endpoint, end_previous=False
    )
    assert new != old and new.startswith("whsec_")
    endpoint.refresh_from_db()
    assert endpoint.version == version + 1  # a form opened before is stale
    rename(TaskFactory(project=cast.project), "x", cast.manager)
    services.deliver(Delivery.objects.get().pk)
    hit = receiver.hits[0]
    assert len(hit.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(hit.body, hit.headers)


def test_switching_an_endpoint_off_stops_what_waits_for_it(cast, admin, receiver):
    endpoint, _ = endpoint_at(receiver, "/hook", admin)
    rename(TaskFactory(project=cast.project), "x", cast.manager)
    updated = services.endpoint_update(
        actor=admin, endpoint=endpoint, version=endpoint.version, changes={"enabled": False}
    )
    assert not updated.enabled and updated.disabled_reason == f"Switched off by {admin}."
    assert Delivery.objects.get().state == DeliveryState.CANCELLED


def test_the_sweeper_sends_what_was_never_prompted_and_recovers_a_lost_send(
    cast, admin, receiver, django_capture_on_commit_callbacks, settings
):
    endpoint_at(receiver, "/hook", admin)
    rename(TaskFactory(project=cast.project), "x", cast.manager)
    delivery = Delivery.objects.get()
    later = timezone.now() + dt.timedelta(seconds=settings.LAUNCH_SENDING_GRACE_SECONDS + 1)
    assert services.sweep(now=timezone.now())["unsent"] == 0  # its message may still come
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.sweep(now=later)["unsent"] == 1
    assert len(callbacks) == 1

    # A worker killed mid-send leaves it "sending", its attempt unfinished.
    Delivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.SENDING, attempts=1)
    Attempt.objects.create(delivery=delivery, number=1, started_at=timezone.now())
    much_later = later + dt.timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS)
    with django_capture_on_commit_callbacks():
        found = services.sweep(now=much_later)
    assert found["lost"] == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.RETRYING  # receivers drop a copy by webhook-id
    assert Attempt.objects.get(delivery=delivery).outcome == AttemptOutcome.LOST
    # Due now, and its message already given; a sweep finds it again only if it is lost.
    with django_capture_on_commit_callbacks():
        assert services.sweep(now=much_later)["retries"] == 0
    lost_again = much_later + dt.timedelta(seconds=settings.LAUNCH_SENDING_GRACE_SECONDS + 11)
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.sweep(now=lost_again)["retries"] == 1
    assert len(callbacks) == 1
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert services.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 2

"""Outbound webhooks as they run in production: a Celery worker and beat as processes
(EngineProcesses, tests/conftest.py), real Redis and PostgreSQL, and the local receiver
on 127.0.0.1 standing in for the integrator's server.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from standardwebhooks import Webhook

from synchrony.activity.models import Notification, NotificationKind
from synchrony.planning import services as planning
from synchrony.planning.models import Task
from synchrony.webhooks import services
from synchrony.webhooks.models import Delivery, DeliveryState, Endpoint, Event
from synchrony.webhooks.tasks import deliver_webhook
from tests.factories import TaskFactory
from tests.receiver import Receiver
from tests.webhooks.conftest import endpoint_at

pytestmark = pytest.mark.engine


def rename(task: Task, title: str, actor) -> Task:
    task.refresh_from_db()
    return planning.task_update(
        actor=actor, task=task, version=task.version, changes={"title": title}
    )


def settled(endpoint: Endpoint, count: int) -> list[Delivery] | None:
    deliveries = list(Delivery.objects.filter(endpoint=endpoint).order_by("pk"))
    done = [d for d in deliveries if d.settled]
    return deliveries if len(done) >= count else None


def titles(receiver: Receiver, path: str) -> list[str]:
    return [json.loads(h.body)["data"]["title"] for h in receiver.for_path(path)]


def test_an_event_arrives_signed_and_verifies_with_the_secret(
    cast, admin, receiver, engine_processes
):
    endpoint, secret = endpoint_at(receiver, "/hook", admin)
    task = planning.task_create(
        actor=cast.manager, project=cast.project, title="Brief sales", stage="planning"
    )
    engine_processes.wait_for(lambda: settled(endpoint, 1), what="deliver the event")

    (hit,) = receiver.for_path("/hook")
    body = Webhook(secret).verify(hit.body, hit.headers)
    event = Event.objects.get()
    assert hit.key == event.pk and hit.body == event.payload.encode()
    assert body["type"] == "task.changed"
    data = body["data"]
    assert (data["action"], data["id"], data["title"]) == ("created", task.pk, "Brief sales")
    assert data["url"] == f"{settings.SITE_URL}/api/v1/tasks/{task.pk}/"
    assert Delivery.objects.get().state == DeliveryState.DELIVERED

    # A replay: the same event again, through the worker, with the same webhook-id.
    services.delivery_replay(actor=admin, delivery=Delivery.objects.get())
    engine_processes.wait_for(lambda: settled(endpoint, 2), what="deliver the replay")
    assert receiver.keys("/hook") == {event.pk: 2}


def test_a_retried_event_keeps_its_id_and_the_next_one_about_its_object_waits(
    cast, admin, receiver, engine_processes
):
    receiver.script["/hook"] = [503, (429, {"retry-after": "1"})]
    endpoint, secret = endpoint_at(receiver, "/hook", admin)
    task = TaskFactory(project=cast.project)
    rename(task, "One", cast.manager)
    rename(task, "Two", cast.manager)

    first, second = engine_processes.wait_for(lambda: settled(endpoint, 2), what="deliver both")
    assert {first.state, second.state} == {DeliveryState.DELIVERED}
    assert first.attempts == 3 and second.attempts == 1  # two refusals, then through
    hits = receiver.for_path("/hook")
    for hit in hits:
        Webhook(secret).verify(hit.body, hit.headers)
    # The first event three times (one id across retries), and only then the second.
    assert [h.key for h in hits] == [first.event_id] * 3 + [second.event_id]
    assert titles(receiver, "/hook") == ["One", "One", "One", "Two"]


def test_a_rolled_back_change_sends_nothing(cast, admin, receiver, engine_processes):
    endpoint, _ = endpoint_at(receiver, "/hook", admin)
    task = TaskFactory(project=cast.project, title="Draft")
    with pytest.raises(RuntimeError), transaction.atomic():
        rename(task, "Secret plan", cast.manager)
        raise RuntimeError("the rest of the use-case failed")
    rename(task, "Public plan", cast.manager)  # committed: it goes out

    engine_processes.wait_for(lambda: settled(endpoint, 1), what="deliver the committed one")
    assert titles(receiver, "/hook") == ["Public plan"]
    assert Event.objects.count() == 1 and Delivery.objects.count() == 1


def test_repeated_failures_disable_the_endpoint_and_its_owner_is_told(
    cast, admin, receiver, engine_processes, settings
):
    receiver.default = 400
    endpoint, _ = endpoint_at(receiver, "/hook", admin)
    limit = settings.WEBHOOK_DISABLE_AFTER_FAILURES  # the worker's setting too
    for n in range(limit):
        rename(TaskFactory(project=cast.project), f"T{n}", cast.manager)

    engine_processes.wait_for(
        lambda: not Endpoint.objects.get(pk=endpoint.pk).enabled, what="disable the endpoint"
    )
    endpoint.refresh_from_db()
    assert endpoint.disabled_reason.startswith(f"{limit} deliveries in a row failed")
    note = Notification.objects.get(recipient=admin, kind=NotificationKind.WEBHOOK_DISABLED)
    assert f"Webhook endpoint {endpoint} was disabled" in note.title
    rename(TaskFactory(project=cast.project), "After", cast.manager)
    assert Delivery.objects.filter(endpoint=endpoint).count() == limit  # nothing more


def test_a_delivery_whose_message_was_lost_is_sent_by_the_sweeper(
    cast, admin, receiver, engine_processes
):
    from synchrony.celery import app

    endpoint, _ = endpoint_at(receiver, "/hook", admin)
    engine_processes.consume(False)
    rename(TaskFactory(project=cast.project), "Lost message", cast.manager)
    engine_processes.wait_for(
        lambda: engine_processes.queued(deliver_webhook), timeout=5, what="queue the delivery"
    )
    app.control.purge()  # what a flushed Redis does to the message
    engine_processes.consume(True)

    engine_processes.wait_for(lambda: settled(endpoint, 1), what="sweep and deliver")
    assert titles(receiver, "/hook") == ["Lost message"]


def test_the_owner_of_a_disabled_endpoint_gets_an_e_mail(
    cast, admin, receiver, celery_worker_thread, settings
):
    # The worker in a thread shares this process's e-mail outbox.
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 1
    receiver.default = 410
    endpoint, _ = endpoint_at(receiver, "/hook", admin)
    rename(TaskFactory(project=cast.project), "Gone", cast.manager)
    celery_worker_thread.wait_for(lambda: mail.outbox)
    (message,) = mail.outbox
    assert message.to == [admin.email]
    assert f"Webhook endpoint {endpoint} was disabled" in message.subject
    assert "410 Gone" in message.body

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from synchrony.activity.models import Notification
from synchrony.activity.services import notify
from synchrony.activity.tasks import send_notification_email
from synchrony.planning.models import TaskStatus
from synchrony.planning.tasks import remind_due_tasks
from tests.conftest import client_for
from tests.factories import TaskFactory, UserFactory


def test_email_is_enqueued_only_after_commit_and_only_for_those_who_want_it(
    db, django_capture_on_commit_callbacks
):
    wants, opted_out, actor = (
        UserFactory(),
        UserFactory(email_opt_out=["task_assigned"]),
        UserFactory(),
    )
    with django_capture_on_commit_callbacks() as callbacks:
        created = notify(
            recipients=[wants, opted_out, actor], kind="task_assigned", title="T", actor=actor
        )
        assert mail.outbox == []
    assert {n.recipient for n in created} == {wants, opted_out}  # never the actor
    assert len(callbacks) == 1  # one e-mail: the opted-out person sees it in the app only


def test_sending_twice_sends_one_email(db):
    user = UserFactory()
    notification = Notification.objects.create(recipient=user, kind="membership", title="Welcome")
    send_notification_email(notification.pk)
    send_notification_email(notification.pk)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert mail.outbox[0].subject == "[Synchrony] Welcome"


def test_a_dedupe_key_tells_a_person_once(db):
    user = UserFactory()
    for _ in range(3):
        notify(recipients=[user], kind="task_due", title="Due", dedupe_key="task-due:1:2026-12-01")
    assert Notification.objects.filter(recipient=user).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_the_email(celery_worker_thread):
    user = UserFactory()
    notify(recipients=[user], kind="membership", title="You joined Atlas")
    notification = Notification.objects.get(recipient=user)
    # The claim (emailed_at) is taken before sending: wait for the e-mail itself.
    celery_worker_thread.wait_for(lambda: mail.outbox)
    assert [m.subject for m in mail.outbox] == ["[Synchrony] You joined Atlas"]
    assert Notification.objects.get(pk=notification.pk).emailed_at is not None


def test_reminders_respect_the_owner_time_zone_and_go_out_once(cast):
    tokyo = UserFactory(time_zone="Asia/Tokyo")
    from synchrony.projects.models import Membership

    Membership.objects.create(project=cast.project, user=tokyo, role="contributor")
    due = dt.date(2026, 12, 2)
    task = TaskFactory(project=cast.project, owner=tokyo, due_date=due, title="Ship it")
    TaskFactory(project=cast.project, owner=tokyo, due_date=due, status=TaskStatus.DONE)
    # 20:00 UTC on 30 Nov is already 1 Dec in Tokyo: due "tomorrow" there.
    with time_machine.travel(dt.datetime(2026, 11, 30, 20, 0, tzinfo=dt.UTC), tick=False):
        assert remind_due_tasks() == 1
        assert remind_due_tasks() == 0
    assert Notification.objects.get(recipient=tokyo).title == "Due tomorrow: Ship it"
    with time_machine.travel(dt.datetime(2026, 12, 3, 1, 0, tzinfo=dt.UTC), tick=False):
        assert remind_due_tasks() == 1
        assert remind_due_tasks() == 0
    titles = sorted(Notification.objects.filter(recipient=tokyo).values_list("title", flat=True))
    assert titles == ["Due tomorrow: Ship it", "Overdue since 02 Dec: Ship it"]
    assert task.pk


def test_the_bell_counts_unread_and_opening_marks_read(cast):
    for i in range(3):
        Notification.objects.create(
            recipient=cast.viewer, kind="membership", title=f"N{i}", url="/"
        )
    client = client_for(cast.viewer)
    page = client.get(reverse("projects:dashboard")).content.decode()
    assert 'data-testid="unread-count">3<' in page
    first = Notification.objects.filter(recipient=cast.viewer).first()
    client.post(reverse("activity:notification-open", args=[first.pk]))
    assert 'data-testid="unread-count">2<' in client.get("/").content.decode()
    client.post(reverse("activity:notifications-read-all"))
    assert "unread-count" not in client.get("/").content.decode()


def test_a_notification_never_redirects_off_site(cast):
    n = Notification.objects.create(
        recipient=cast.viewer, kind="membership", title="x", url="https://evil.example/"
    )
    response = client_for(cast.viewer).post(reverse("activity:notification-open", args=[n.pk]))
    assert response["Location"] == reverse("activity:notifications")


def test_email_preferences_are_saved_from_settings(cast):
    client = client_for(cast.viewer)
    response = client.post(
        reverse("accounts:settings"),
        {
            "first_name": "V",
            "last_name": "W",
            "email": "v@example.com",
            "time_zone": "America/New_York",
            "email_kinds": ["signoff_requested"],
        },
    )
    assert response.status_code == 302
    cast.viewer.refresh_from_db()
    assert cast.viewer.time_zone == "America/New_York"
    assert cast.viewer.wants_email("signoff_requested")
    assert not cast.viewer.wants_email("task_assigned")
    bad = client.post(
        reverse("accounts:settings"), {"email": "v@example.com", "time_zone": "Mars/Olympus"}
    )
    assert bad.status_code == 422
    assert "time_zone" in bad.context["form"].errors


@pytest.mark.django_db(transaction=True)
def test_the_live_stream_sends_only_changes_of_my_projects():
    import asyncio
    import json

    from synchrony.activity.live import channel_name, client, event_stream

    async def first_events() -> list[str]:
        stream = event_stream(frozenset({7}), channel_name())
        events = [await anext(stream)]  # the retry hint, once subscribed
        for project in (8, 7):
            client().publish(channel_name(), json.dumps({"project": project, "by": "M"}))
        events.append(await asyncio.wait_for(anext(stream), timeout=5))
        await stream.aclose()
        return events

    events = asyncio.run(first_events())
    assert events == ["retry: 2000\n\n", 'event: change\ndata: {"project": 7, "by": "M"}\n\n']


def test_the_live_stream_needs_a_login(client):
    assert client.get("/live/").status_code == 302


def test_the_live_stream_declines_under_wsgi(cast):
    # The test client is a WSGI handler: the stream must not hold it open.
    assert client_for(cast.viewer).get("/live/").status_code == 204

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends import locmem
from django.urls import reverse
from django.utils import timezone

from synchrony.activity.models import Notification
from synchrony.activity.services import (
    notification_email_claim,
    notification_email_sweep,
    notify,
)
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
    owed = Notification.objects.filter(email_due_at__isnull=False)
    assert [n.recipient for n in owed] == [wants]  # what the sweep would send again


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
    # emailed_at is written once the mail server took the message.
    notification = celery_worker_thread.wait_for(lambda: sent(recipient=user))
    assert [m.subject for m in mail.outbox] == ["[Synchrony] You joined Atlas"]
    assert notification.email_attempts == 1


# ── At least once ─────────────────────────────────────────────────────────────


class FlakyMailServer(locmem.EmailBackend):
    """The test outbox behind a mail server that drops the connection `failures` times."""

    failures = 0

    def send_messages(self, messages):
        if FlakyMailServer.failures:
            FlakyMailServer.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky_mail_server(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyMailServer"
    yield FlakyMailServer
    FlakyMailServer.failures = 0


def ago(seconds: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=seconds)


def owed(*, since: float = 0, **fields) -> Notification:
    """A notification created `since` seconds ago whose e-mail is owed since then."""
    note = Notification.objects.create(
        recipient=UserFactory(), kind="membership", title="Welcome", email_due_at=ago(since)
    )
    Notification.objects.filter(pk=note.pk).update(created_at=ago(since), **fields)
    return Notification.objects.get(pk=note.pk)


def sent(**lookup) -> Notification | None:
    return Notification.objects.filter(emailed_at__isnull=False, **lookup).first()


LEASE = django_settings.NOTIFICATION_EMAIL_LEASE_SECONDS
GRACE = django_settings.NOTIFICATION_EMAIL_GRACE_SECONDS
MAX_AGE = django_settings.NOTIFICATION_EMAIL_MAX_AGE_SECONDS


@pytest.mark.django_db(transaction=True)
def test_an_email_whose_worker_died_after_claiming_it_is_sent_by_the_sweep_once(
    celery_worker_thread,
):
    note = owed(since=LEASE + 60)
    # A worker took the send ten seconds later and died before the mail server answered.
    assert notification_email_claim(notification_id=note.pk, now=ago(LEASE + 50))
    # Meanwhile a redelivered message found it taken, and the sweep left it alone.
    assert notification_email_claim(notification_id=note.pk, now=ago(LEASE + 40)) is None
    assert notification_email_sweep(now=ago(60)) == 0

    assert notification_email_sweep() == 1  # it has: prompted again, on commit, to the worker
    note = celery_worker_thread.wait_for(lambda: sent(pk=note.pk))
    assert [m.to for m in mail.outbox] == [[note.recipient.email]]
    assert note.email_attempts == 2

    later = timezone.now() + dt.timedelta(seconds=LEASE + GRACE + 1)
    assert notification_email_sweep(now=later) == 0
    assert send_notification_email(note.pk) is False
    assert len(mail.outbox) == 1


def test_a_sent_email_is_never_sent_again(db, django_capture_on_commit_callbacks):
    note = owed()
    assert send_notification_email(note.pk) is True
    note.refresh_from_db()
    assert note.emailed_at is not None and note.email_attempts == 1

    for later in (GRACE + 1, LEASE + GRACE + 1, MAX_AGE - 1):
        with django_capture_on_commit_callbacks() as prompts:
            assert notification_email_sweep(now=timezone.now() + dt.timedelta(seconds=later)) == 0
        assert prompts == []
    assert send_notification_email(note.pk) is False
    assert len(mail.outbox) == 1


def test_a_failed_send_gives_its_claim_back_and_the_sweep_waits_for_its_retry(
    db, flaky_mail_server
):
    flaky_mail_server.failures = 1
    note = owed()
    with pytest.raises(smtplib.SMTPServerDisconnected):
        send_notification_email(note.pk)  # called directly, the retry re-raises
    note.refresh_from_db()
    assert (note.emailed_at, note.email_claimed_at, note.email_attempts) == (None, None, 1)
    assert note.email_due_at > timezone.now()  # when the retry comes
    assert notification_email_sweep() == 0
    assert mail.outbox == []

    assert send_notification_email(note.pk) is True  # the retry
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_failure_is_retried_by_the_worker_until_the_email_goes(
    celery_worker_thread, flaky_mail_server, settings
):
    settings.NOTIFICATION_EMAIL_RETRY_BASE_SECONDS = 0.2
    flaky_mail_server.failures = 2
    user = UserFactory()
    notify(recipients=[user], kind="membership", title="You joined Atlas")
    note = celery_worker_thread.wait_for(lambda: sent(recipient=user))
    assert note.email_attempts == 3
    assert [m.subject for m in mail.outbox] == ["[Synchrony] You joined Atlas"]


def test_the_sweep_prompts_only_e_mails_owed_stalled_and_recent(
    db, django_capture_on_commit_callbacks
):
    lost = owed(since=GRACE + 1)  # its message never came
    lapsed = owed(since=LEASE + GRACE, email_claimed_at=ago(LEASE + 1))
    owed(since=GRACE - 5)  # its message may still be on its way
    owed(since=LEASE + GRACE, email_claimed_at=ago(LEASE - 5))  # a worker is on it
    owed(since=GRACE + 1, email_attempts=django_settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS)
    owed(since=MAX_AGE + 1)  # too late to be worth an e-mail: the bell has it
    owed(since=GRACE + 1, email_due_at=None)  # its recipient does not want e-mail
    owed(since=GRACE + 1, emailed_at=ago(GRACE))

    with django_capture_on_commit_callbacks() as prompts:
        assert notification_email_sweep() == 2
    assert len(prompts) == 2
    for note in (lost, lapsed):
        note.refresh_from_db()
        assert timezone.now() - note.email_due_at < dt.timedelta(seconds=5)
    with django_capture_on_commit_callbacks() as prompts:
        assert notification_email_sweep() == 0  # once per grace, not every run
    assert prompts == []


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


def test_beat_runs_the_e_mail_sweep():
    from synchrony.celery import app

    entry = app.conf.beat_schedule["sweep-notification-emails"]
    assert app.tasks[entry["task"]].name == "synchrony.activity.tasks.sweep_notification_emails"

"""The e-mail digest: once per period in the user's own zone, only with something to say."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.utils import timezone

from synchrony.accounts.models import Digest, User
from synchrony.launches.models import ActivationState, LaunchStatus
from synchrony.performance.models import MetricSample
from synchrony.performance.tasks import send_digests
from synchrony.projects.models import StageTransition
from tests.factories import ActivationFactory, LaunchFactory, UserFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def at(day: dt.date, hour: int, zone: zoneinfo.ZoneInfo = BERLIN) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone)


def mails_to(user: User) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if m.to == [user.email]]


def set_digest(user: User, digest: str) -> None:
    user.digest = digest
    user.save(update_fields=["digest"])


@pytest.fixture
def monday(perf) -> dt.date:
    """The first Monday after the fixture's today (one to seven days ahead)."""
    return perf.today + dt.timedelta(days=7 - perf.today.weekday())


@pytest.fixture
def news(perf, monday):
    """On the Sunday before `monday`: a launch failed (its newsletter with it), another
    launch was held; the leads goal is far behind its line (105 where 250-odd is due)."""
    sunday = monday - dt.timedelta(days=1)
    failed = LaunchFactory(
        project=perf.project,
        name="Spring webinar",
        go_live=at(sunday, 10),
        status=LaunchStatus.FAILED,
        finished_at=at(sunday, 10),
    )
    ActivationFactory(
        launch=failed,
        channel=perf.newsletter,
        state=ActivationState.FAILED,
        failed_at=at(sunday, 10),
        last_error="HTTP 503 from the mailer",
    )
    # Finished a week before: in no daily digest of this week.
    LaunchFactory(
        project=perf.project,
        name="Old news",
        go_live=at(sunday - dt.timedelta(days=8), 10),
        status=LaunchStatus.LAUNCHED,
        finished_at=at(sunday - dt.timedelta(days=8), 10),
    )
    MetricSample.objects.create(
        project=perf.project,
        channel=perf.newsletter,
        metric="leads",
        date=perf.today - dt.timedelta(days=1),
        source="manual",
        value=Decimal(5),
        updated_at=timezone.now(),
    )
    return failed


def test_a_daily_digest_goes_out_once_a_day_from_seven_in_the_users_zone(cast, news, monday):
    set_digest(cast.manager, Digest.DAILY)
    with time_machine.travel(at(monday, 6), tick=False):
        assert send_digests() == 0  # not before 07:00 in Berlin
    with time_machine.travel(at(monday, 8), tick=False):
        assert send_digests() == 1
        assert send_digests() == 0  # the job ran twice: still one
    with time_machine.travel(at(monday, 23), tick=False):
        assert send_digests() == 0
    assert len(mails_to(cast.manager)) == 1
    with time_machine.travel(at(monday + dt.timedelta(days=1), 7), tick=False):
        assert send_digests() == 1  # the next day (the goal is still behind)
        assert send_digests() == 0
    sent = mails_to(cast.manager)
    assert len(sent) == 2
    # Monday's covers Sunday: the failure. Tuesday's covers Monday: no launch, the goal.
    assert "Spring webinar" in sent[0].body
    assert "Spring webinar" not in sent[1].body
    assert "Qualified leads" in sent[1].body


def test_the_digest_lists_the_failed_launch_the_failing_channel_and_the_goal(
    cast, news, monday, perf
):
    set_digest(cast.manager, Digest.DAILY)
    with time_machine.travel(at(monday, 8), tick=False):
        StageTransition.objects.create(
            project=perf.project, from_stage="activation", to_stage="performance"
        )
        StageTransition.objects.filter(project=perf.project).update(
            created_at=at(monday - dt.timedelta(days=1), 15)
        )
        send_digests()
    [message] = mails_to(cast.manager)
    body = message.body
    assert "Failed: Spring webinar (Atlas launch)" in body
    assert "Newsletter for Spring webinar (Atlas launch): Failed · HTTP 503 from the mailer" in body
    assert "Off track: Qualified leads (Atlas launch) at 105 leads" in body
    assert "Atlas launch: Activation → Performance" in body
    assert "Old news" not in body
    assert f"{settings.SITE_URL}{news.get_absolute_url()}" in body
    assert f"{settings.SITE_URL}/accounts/settings/" in body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "Spring webinar" in html and "Qualified leads" in html


def test_a_weekly_digest_goes_out_once_a_week_on_monday(cast, news, monday):
    set_digest(cast.contributor, Digest.WEEKLY)
    with time_machine.travel(at(monday - dt.timedelta(days=1), 12), tick=False):
        send_digests()  # Sunday: this week's was sent (or not) last Monday
    mail.outbox.clear()
    with time_machine.travel(at(monday, 8), tick=False):
        assert send_digests() == 1
        assert send_digests() == 0
    for later in range(1, 7):
        with time_machine.travel(at(monday + dt.timedelta(days=later), 9), tick=False):
            assert send_digests() == 0
    [message] = mails_to(cast.contributor)
    assert "Spring webinar" in message.body  # Sunday is in last week
    with time_machine.travel(at(monday + dt.timedelta(days=7), 8), tick=False):
        assert send_digests() == 1
    assert len(mails_to(cast.contributor)) == 2


def test_no_digest_for_a_user_who_opted_out_or_has_nothing_to_hear(cast, news, monday):
    assert cast.viewer.digest == Digest.OFF  # the default
    set_digest(cast.outsider, Digest.DAILY)  # in no project
    with time_machine.travel(at(monday, 8), tick=False):
        assert send_digests() == 0
        assert send_digests() == 0
    assert mail.outbox == []
    cast.outsider.refresh_from_db()
    assert cast.outsider.digest_period == monday.isoformat()  # looked once, not hourly


def test_the_day_starts_in_the_users_own_zone(cast, news, monday):
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    cast.manager.time_zone = "Asia/Tokyo"
    cast.manager.save(update_fields=["time_zone"])
    set_digest(cast.manager, Digest.DAILY)
    with time_machine.travel(at(monday, 6, tokyo), tick=False):
        assert send_digests() == 0
    with time_machine.travel(at(monday, 7, tokyo), tick=False):  # Sunday 22:00 or 23:00 UTC
        assert send_digests() == 1


def test_an_inactive_user_or_one_without_email_gets_none(cast, news, monday):
    quiet = UserFactory(email="", digest=Digest.DAILY)
    gone = UserFactory(is_active=False, digest=Digest.DAILY)
    for user in (quiet, gone):
        cast.project.memberships.create(user=user, role="viewer")
    with time_machine.travel(at(monday, 8), tick=False):
        assert send_digests() == 0
    assert mail.outbox == []

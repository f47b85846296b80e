"""Watch a launch go out, live, in its control room: the real engine, a real receiver.

The ASGI server (which streams the live updates) and the Celery worker and beat (as
processes) share the test database; the page is never reloaded.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from synchrony.launches.models import Activation, ActivationState, AdapterKind, LaunchStatus
from tests.browser.conftest import assert_accessible, login, shot, wait_for_htmx
from tests.factories import (
    ActivationFactory,
    ChannelFactory,
    LaunchFactory,
    ProjectFactory,
    UserFactory,
)
from tests.launches.conftest import launch_with, webhook_channel
from tests.receiver import Receiver

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.mark.engine
def test_the_control_room_shows_a_launch_going_out_live(
    asgi_server, engine_processes, receiver, new_context
):
    server = asgi_server
    manager = UserFactory(username="mara", first_name="Mara", last_name="Manager")
    project = ProjectFactory(owner=manager, name="Atlas")
    newsletter = webhook_channel(receiver, "/newsletter", owner=manager)
    blog = webhook_channel(receiver, "/blog")
    receiver.script["/blog"] = [503]  # the blog stumbles once, then takes it

    page = new_context().new_page()
    login(page, server, manager)
    # Far enough ahead to be seen waiting: the engine arms a launch 10 s before its moment.
    launch = launch_with(project, [newsletter, blog], status=LaunchStatus.SCHEDULED, in_seconds=16)
    page.goto(f"{server.url}/launches/{launch.pk}/")
    wait_for_htmx(page)
    page.evaluate("window.notReloaded = true")

    status = page.get_by_test_id("launch-status")
    expect(status).to_have_text("Scheduled")
    expect(page.locator("#countdown")).to_contain_text("goes live in")
    assert_accessible(page, "the control room of a scheduled launch")
    shot(page, "control room scheduled")

    # The engine takes it; then it goes out; the page follows by itself.
    expect(status).to_have_text("Armed", timeout=20_000)
    expect(status).to_have_text("Launched", timeout=30_000)
    expect(page.get_by_test_id("state-hook-newsletter")).to_have_text("Delivered")
    expect(page.get_by_test_id("state-hook-blog")).to_have_text("Delivered")
    expect(page.locator("#activations")).to_contain_text("Retried, then recovered")
    expect(page.get_by_text("2 of 2 channels went out.")).to_be_visible()
    expect(page.get_by_test_id("lateness")).to_be_visible()
    attempts = page.get_by_role("table", name="Attempts on Hook /blog")
    expect(attempts.locator("tbody tr")).to_have_count(2)
    expect(attempts).to_contain_text("HTTP 503")
    expect(page.locator("#countdown")).to_have_count(0)  # nothing left to count down to
    assert page.evaluate("window.notReloaded") is True

    assert_accessible(page, "the control room of a launched launch")
    shot(page, "control room launched")
    keys = set(Activation.objects.filter(launch=launch).values_list("idempotency_key", flat=True))
    received = receiver.keys()
    assert set(received) == keys and received[blog_key(launch)] == 2

    # The recovery is counted on the sync-health page, not hidden in the successes.
    page.get_by_role("link", name="Sync health").first.click()
    expect(page.get_by_test_id("failed-share")).to_have_text("0.0 %")
    expect(page.get_by_test_id("recovered")).to_have_text("1")
    assert_accessible(page, "the sync-health page")
    shot(page, "sync health after a launch")

    # The owner of a channel reads its secret and the signing note in its settings.
    page.goto(f"{server.url}/channels/")
    page.get_by_role("link", name="Settings of Hook /newsletter").click()
    expect(page.get_by_label("Current secret")).to_have_value(newsletter.signing_secret)
    assert_accessible(page, "a channel's settings")
    shot(page, "channel settings")


def blog_key(launch) -> str:
    return Activation.objects.get(launch=launch, channel__name="Hook /blog").idempotency_key


@pytest.mark.django_db(transaction=True)
def test_a_partly_launched_launch_offers_retry_and_tick_to_whom_may(live_server, page_for, cast):
    """Hand-made states (no engine): a failure to retry, an unknown send, a manual step."""
    project = cast.project
    launch = LaunchFactory(
        project=project,
        name="Atlas GA",
        status=LaunchStatus.PARTLY_LAUNCHED,
        go_live=timezone.now() - dt.timedelta(minutes=3),
        lateness_ms=8,
        skew_ms=31,
    )
    press = ChannelFactory(
        name="Press wire",
        adapter=AdapterKind.WEBHOOK,
        endpoint_url="http://127.0.0.1:9/press",
        owner=cast.manager,
    )
    failed = ActivationFactory(
        launch=launch,
        channel=press,
        subject="Atlas is here",
        body="Read all about it.",
        state=ActivationState.FAILED,
        attempts=5,
        status_code=400,
        last_error="HTTP 400: unknown field “audience”",
        failed_at=launch.go_live,
    )
    blog = ChannelFactory(name="Blog", adapter=AdapterKind.WEBHOOK, endpoint_url=press.endpoint_url)
    ActivationFactory(
        launch=launch,
        channel=blog,
        subject="Atlas is here",
        body="Read all about it.",
        state=ActivationState.DELIVERED,
        attempts=1,
        status_code=200,
        sent_at=launch.go_live,
        answered_at=launch.go_live + dt.timedelta(milliseconds=95),
    )
    sales = ChannelFactory(name="Sales inbox", adapter=AdapterKind.MANUAL, owner=cast.contributor)
    ActivationFactory(
        launch=launch,
        channel=sales,
        state=ActivationState.OVERDUE,
        last_error="Not ticked off by its owner in time.",
    )
    email = ChannelFactory(
        name="Customer list", adapter=AdapterKind.EMAIL, recipients="list@example.com"
    )
    ActivationFactory(
        launch=launch,
        channel=email,
        subject="Atlas is here",
        body="Read all about it.",
        state=ActivationState.UNKNOWN,
        attempts=1,
        last_error="Cut off mid-send and this channel cannot deduplicate.",
    )

    owner = page_for(cast.contributor)  # owns the manual step, no manager
    owner.goto(f"{live_server.url}/launches/{launch.pk}/")
    expect(owner.get_by_role("button", name="Mark done (Sales inbox)")).to_be_visible()
    expect(owner.get_by_role("button", name="Retry Press wire")).to_have_count(0)
    expect(owner.get_by_role("button", name="It went out (Customer list)")).to_have_count(0)

    manager = page_for(cast.manager)
    manager.goto(f"{live_server.url}/launches/{launch.pk}/")
    expect(manager.get_by_test_id("launch-status")).to_have_text("Partly launched")
    expect(manager.get_by_text("1 of 4 channels went out.")).to_be_visible()
    assert_accessible(manager, "the control room of a partly launched launch")
    shot(manager, "control room partly launched")
    manager.get_by_role("button", name="Retry Press wire").click()
    expect(manager.get_by_text("Press wire: one more attempt is on its way.")).to_be_visible()
    expect(manager.get_by_test_id("launch-status")).to_have_text("Firing")
    failed.refresh_from_db()
    assert failed.state == ActivationState.RETRYING

    owner.get_by_role("button", name="Mark done (Sales inbox)").click()
    expect(owner.get_by_text("Sales inbox: ticked off as gone out.")).to_be_visible()
    expect(owner.get_by_test_id("state-sales-inbox")).to_have_text("Done by hand")

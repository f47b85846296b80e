"""Issue 3's browser walk: plan, collide, drag, watch live, subscribe, share, revoke."""

from __future__ import annotations

import datetime as dt

import pytest
import vobject
from django.utils import timezone
from playwright.sync_api import expect

from synchrony.launches.models import Launch
from synchrony.projects.models import Membership, Role
from tests.browser.conftest import assert_accessible, login, shot, wait_for_htmx
from tests.factories import ChannelFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.browser


def plan_launch(page, server, project, name: str, day: dt.date, channel) -> None:
    page.goto(f"{server.url}/projects/{project.pk}/launches/")
    page.get_by_text("Plan a launch").click()
    page.fill("#launch_name", name)
    page.fill("#launch_local_date", day.isoformat())
    page.fill("#launch_local_time", "09:00")
    page.select_option("#launch_time_zone", "Europe/Berlin")
    page.get_by_label(channel.name).check()
    page.get_by_role("button", name="Plan launch").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def test_plan_collide_drag_watch_live_subscribe_and_share(asgi_server, new_context):
    server = asgi_server
    manager = UserFactory(username="mara", first_name="Mara", last_name="Manager")
    seller = UserFactory(username="sal", first_name="Sal", last_name="Sales")
    project = ProjectFactory(owner=manager, name="Atlas")
    Membership.objects.create(project=project, user=seller, role=Role.VIEWER)
    email = ChannelFactory(name="Email", collision_window_hours=48, projects=[project])
    first_day = timezone.localdate() + dt.timedelta(days=10)

    boss = new_context().new_page()
    login(boss, server, manager)
    plan_launch(boss, server, project, "Webinar invite", first_day, email)
    plan_launch(boss, server, project, "Launch mail", first_day + dt.timedelta(days=1), email)
    expect(
        boss.get_by_text("Conflict: Email: “Webinar invite” goes live within 48 h.")
    ).to_be_visible()

    viewer = new_context().new_page()
    login(viewer, server, seller)
    month = f"{server.url}/calendar/?view=month&date={first_day.isoformat()}"
    viewer.goto(month)
    wait_for_htmx(viewer)
    launch_mail = viewer.locator(".cal-item", has_text="Launch mail")
    expect(launch_mail).to_have_count(1)
    expect(viewer.locator(".cal-item[draggable=true]")).to_have_count(0)  # viewers cannot move
    assert_accessible(viewer, "the month calendar")

    boss.goto(month)
    wait_for_htmx(boss)
    target = first_day + dt.timedelta(days=3)
    item = boss.locator(".cal-item[draggable=true]", has_text="Launch mail")
    item.drag_to(boss.locator(f'td[data-date="{target.isoformat()}"]'))
    expect(boss.get_by_text(f"“Launch mail” moved to {target:%-d %b} 09:00.")).to_be_visible()

    # The viewer's calendar follows without a reload, and says who moved it.
    moved_cell = viewer.locator(f'td[data-date="{target.isoformat()}"]')
    expect(moved_cell.locator(".cal-item", has_text="Launch mail")).to_have_count(1)
    expect(viewer.locator("#live-cue")).to_have_text("Updated just now by Mara Manager")
    shot(viewer, "calendar after a live move")
    launch = Launch.objects.get(name="Launch mail")
    assert launch.local_date == target and launch.version == 2

    # The viewer subscribes: the feed, read by an independent parser, shows the move.
    viewer.goto(f"{server.url}/calendar/filters/")
    viewer.get_by_role("button", name="Make my feed links").click()
    feed_url = viewer.locator("#feed-all").input_value()
    calendar = vobject.readOne(viewer.request.get(feed_url).text())
    event = next(e for e in calendar.vevent_list if e.summary.value.startswith("Launch mail"))
    # December is CET: 09:00 in Berlin is 08:00 UTC.
    assert event.dtstart.value == dt.datetime.combine(target, dt.time(8, 0), dt.UTC)
    assert int(event.sequence.value) == 1

    # The manager shares a saved view, then revokes the link: it becomes a bare 404.
    boss.goto(month)
    boss.get_by_text("Save this view…").click()
    boss.fill("#save-name", "Launches for sales")
    boss.get_by_role("button", name="Save", exact=True).click()
    boss.get_by_role("button", name="Create share link").click()
    link = boss.get_by_role("textbox", name="Share link").input_value()
    stranger = new_context().new_page()
    stranger.goto(link)
    expect(stranger.get_by_text("Launch mail")).to_be_visible()
    boss.get_by_role("button", name="Revoke").click()
    expect(boss.get_by_text("Link revoked")).to_be_visible()
    response = stranger.goto(link)
    assert response is not None and response.status == 404
    expect(stranger.get_by_text("Launch mail")).to_have_count(0)

"""A change that arrives while a live part's fetch is in flight is not lost.

The page's live parts re-fetch themselves on each "live-change". If one arrives while a
fetch is on its way, that fetch may hold the state from before the change, so one more
fetch must follow. When the element that listens is swapped out by its own fetch
(outerHTML), htmx drops the queued fetch with it and the page stays one change behind:
here the first fetch is held (answered by the server at once, delivered later), the
change is made and announced, and the page must still end up showing it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, Route, expect

from tests.browser.conftest import TIMEOUT_MS, wait_for_htmx
from tests.factories import LaunchFactory, MilestoneFactory, TaskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def hold_first_refresh(page: Page) -> list[tuple[Route, object]]:
    """The first htmx request is answered by the server now and delivered on demand."""
    held: list[tuple[Route, object]] = []

    def handle(route: Route) -> None:
        if route.request.headers.get("hx-request") == "true" and not held:
            held.append((route, route.fetch()))
        else:
            route.continue_()

    page.route("**/*", handle)
    return held


def wait_until(page: Page, condition: Callable[[], object]) -> None:
    for _ in range(TIMEOUT_MS // 50):
        if condition():
            return
        page.wait_for_timeout(50)  # lets Playwright dispatch the route handler
    raise AssertionError("the page never asked for its refresh")


def change_during_refresh(page: Page, url: str, detail: dict, change: Callable[[], None]) -> None:
    page.goto(url)
    wait_for_htmx(page)
    page.evaluate(
        "() => { window.triggered = 0;"
        " document.body.addEventListener('htmx:trigger', () => window.triggered++) }"
    )
    held = hold_first_refresh(page)
    announce = "detail => htmx.trigger(document.body, 'live-change', detail)"
    page.evaluate(announce, detail)
    wait_until(page, lambda: held)  # the first refresh is on its way, without the change
    change()
    page.evaluate(announce, detail)
    page.wait_for_function("() => window.triggered >= 2")  # announced while in flight
    route, response = held[0]
    route.fulfill(response=response)  # type: ignore[arg-type]


def late(page: Page) -> Locator:
    return page.locator("main").get_by_text("Late news")


def test_the_calendar_catches_a_change_made_while_it_was_refreshing(live_server, page_for, cast):
    soon = timezone.now() + dt.timedelta(days=2)
    LaunchFactory(project=cast.project, name="Early news", go_live=soon)
    page = page_for(cast.viewer)
    url = f"{live_server.url}/calendar/?view=agenda&date={timezone.localdate().isoformat()}"

    def change() -> None:
        LaunchFactory(project=cast.project, name="Late news", go_live=soon)

    change_during_refresh(page, url, {"kind": "launch"}, change)
    expect(late(page)).to_have_count(1)
    expect(page.locator("#calendar")).to_have_count(1)  # swapped in place, not nested

    # A refresh fetches the period on screen: the one the period links moved to.
    title = page.locator("#cal-title").inner_text()
    page.get_by_role("link", name="Next").click()
    expect(page.locator("#cal-title")).not_to_have_text(title)
    moved_to = page.locator("#cal-title").inner_text()
    LaunchFactory(project=cast.project, name="Later news", go_live=soon + dt.timedelta(days=14))
    page.evaluate("() => htmx.trigger(document.body, 'live-change', {kind: 'launch'})")
    expect(page.locator("main").get_by_text("Later news")).to_have_count(1)
    expect(page.locator("#cal-title")).to_have_text(moved_to)


def test_the_timelines_catch_a_change_made_while_they_were_refreshing(live_server, page_for, cast):
    project = cast.project
    soon = timezone.localdate() + dt.timedelta(days=7)
    page = page_for(cast.viewer)

    def milestone() -> None:
        MilestoneFactory(project=project, title="Late news", date=soon)

    timeline = f"{live_server.url}/projects/{project.pk}/timeline/"
    change_during_refresh(page, timeline, {"project": project.pk}, milestone)
    expect(page.locator('#timeline [title^="Milestone Late news"]')).to_have_count(1)
    expect(page.locator("#timeline")).to_have_count(1)

    def portfolio_milestone() -> None:
        MilestoneFactory(project=project, title="Later news", date=soon)

    change_during_refresh(page, f"{live_server.url}/timelines/", {}, portfolio_milestone)
    expect(page.locator('#timeline [title^="Milestone Later news"]')).to_have_count(1)

    def task() -> None:
        TaskFactory(project=project, title="Late news task", owner=cast.contributor, due_date=soon)

    change_during_refresh(page, f"{live_server.url}/timelines/team/", {}, task)
    expect(page.locator("#team-progress").get_by_text("Late news task")).to_have_count(1)
    expect(page.locator("#team-progress")).to_have_count(1)

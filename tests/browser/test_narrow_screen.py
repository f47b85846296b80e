"""On a phone the pages fit the screen: the top bar wraps, wide tables scroll in their card."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from synchrony.projects.models import Project
from tests.browser.conftest import shot
from tests.factories import ActivationFactory, ChannelFactory, LaunchFactory, TaskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_page_fits_a_phone_and_the_account_controls_stay_on_screen(
    live_server, page_for, cast
):
    project = cast.project
    Project.objects.filter(pk=project.pk).update(stage="planning")
    TaskFactory(project=project, title="Brief the regional sales teams", owner=cast.contributor)
    launch = LaunchFactory(project=project, name="Atlas GA")
    for name in ("Newsletter", "LinkedIn", "Partner portal"):
        ActivationFactory(launch=launch, channel=ChannelFactory(name=name), subject="Atlas is here")

    page = page_for(cast.manager)
    page.set_viewport_size({"width": 390, "height": 844})
    for path in (
        "/",
        f"/projects/{project.pk}/stage/planning/",
        f"/projects/{project.pk}/launches/",
        f"/launches/{launch.pk}/",
        "/channels/",
        "/calendar/",
    ):
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide on a 390 px screen"
        log_out = page.get_by_role("button", name="Log out").bounding_box()
        assert log_out is not None and log_out["x"] + log_out["width"] <= 390, path
    expect(page.get_by_role("link", name="Sync health")).to_be_in_viewport()
    shot(page, "narrow-calendar")

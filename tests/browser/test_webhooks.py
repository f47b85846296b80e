"""An admin adds an outbound webhook endpoint, copies its secret, and sends it a test event.

The live server and a Celery worker (in a thread) share the test database; the local
receiver stands in for the integrator's server.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from standardwebhooks import Webhook

from synchrony.webhooks.models import Delivery, Endpoint
from tests.browser.conftest import assert_accessible, shot, wait_for_htmx
from tests.factories import UserFactory
from tests.launches.conftest import receiver  # noqa: F401 - the local HTTP receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_adds_an_endpoint_and_a_test_event_reaches_it(
    live_server,
    page_for,
    receiver,  # noqa: F811
    celery_worker_thread,
):
    admin = UserFactory(username="ada", is_staff=True)
    page = page_for(admin)
    page.goto(f"{live_server.url}/accounts/settings/")
    page.get_by_role("link", name="outbound webhooks").click()
    expect(page.get_by_role("heading", name="Outbound webhooks", level=1)).to_be_visible()
    wait_for_htmx(page)
    assert_accessible(page, "the webhooks settings page")

    # A private address is refused at its field, the form kept as typed (htmx swap).
    page.get_by_label("URL").fill("http://10.0.0.8/hooks")
    page.get_by_label("Description").fill("CRM sync")
    page.get_by_label("Task created, changed or deleted").check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator(".field-url .errorlist")).to_contain_text(
        "points at a private or reserved address (10.0.0.8)"
    )
    expect(page.get_by_label("Description")).to_have_value("CRM sync")
    assert not Endpoint.objects.exists()

    page.get_by_label("URL").fill(f"{receiver.url}/crm")
    page.get_by_role("button", name="Add endpoint").click()
    secret_box = page.get_by_test_id("new-secret")
    expect(secret_box).to_be_visible()
    secret = secret_box.input_value()
    assert secret == Endpoint.objects.get().signing_secret
    expect(page.locator("#webhooks table")).to_contain_text("CRM sync")
    shot(page, "webhooks-secret-once")
    assert_accessible(page, "the webhooks page with a new secret")

    page.get_by_role("link", name="Send it a test event").click()
    expect(page.get_by_role("heading", name="Delivery log of CRM sync")).to_be_visible()
    wait_for_htmx(page)
    page.get_by_role("button", name="Send test event").click()
    # The log refreshes itself while the event is on its way, until it is delivered.
    expect(page.locator("#log .delivery").first).to_contain_text("Delivered", timeout=20_000)
    expect(page.locator("#messages")).to_contain_text("Test event")
    (hit,) = receiver.for_path("/crm")
    body = Webhook(secret).verify(hit.body, hit.headers)
    assert body["type"] == "webhook.test" and body["data"]["sent_by"]["username"] == "ada"

    page.locator("#log summary").first.click()
    expect(page.locator("#log .payload").first).to_contain_text('"type": "webhook.test"')
    shot(page, "webhooks-delivery-log")
    assert_accessible(page, "the delivery log")

    # A slow receiver: the log refreshes itself every 2 s until the second test event is
    # delivered, and the delivery Ada opened meanwhile stays open through every refresh.
    first = Delivery.objects.get()
    receiver.script["/crm"] = [("hang", 6)]
    page.get_by_role("button", name="Send test event").click()
    expect(page.locator("#log .delivery")).to_have_count(2)
    opened = page.locator(f"#delivery-{first.pk}-details")
    opened.locator("summary").click()
    expect(opened).to_have_attribute("open", "")
    expect(page.locator("#log .delivery").first).to_contain_text("Delivered", timeout=20_000)
    expect(opened).to_have_attribute("open", "")
    expect(opened.locator(".payload")).to_be_visible()

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
from tests.webhooks.conftest import endpoint_at

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
    # The copy button (JavaScript brings it in) is there in the part htmx swapped in too.
    expect(page.get_by_role("button", name="Copy the signing secret")).to_be_visible()
    shot(page, "webhooks-secret-once")
    assert_accessible(page, "the webhooks page with a new secret")
    # The post went through htmx: a reload is a GET, no second endpoint, no secret.
    page.reload()
    expect(page.locator("#webhooks table tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("new-secret")).to_have_count(0)
    assert Endpoint.objects.count() == 1

    page.get_by_role("link", name="Delivery log of CRM sync").click()
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

    # A replay is on its way at once, and the log follows it to the end without a reload.
    page.get_by_role("button", name="Replay webhook.test").first.click()
    expect(page.locator("#log .delivery")).to_have_count(2)
    expect(page.locator("#messages")).to_contain_text("Replaying webhook.test")
    replayed = page.locator("#log .delivery").first
    expect(replayed).to_contain_text("replay")
    expect(replayed).to_contain_text("Delivered", timeout=20_000)
    assert len(receiver.for_path("/crm")) == 2

    # A slow receiver: the log refreshes itself every 2 s until the second test event is
    # delivered, and the delivery Ada opened meanwhile stays open through every refresh.
    first = Delivery.objects.order_by("pk").first()
    receiver.script["/crm"] = [("hang", 6)]
    page.get_by_role("button", name="Send test event").click()
    expect(page.locator("#log .delivery")).to_have_count(3)
    opened = page.locator(f"#delivery-{first.pk}-details")
    opened.locator("summary").click()
    expect(opened).to_have_attribute("open", "")
    expect(page.locator("#log .delivery").first).to_contain_text("Delivered", timeout=20_000)
    expect(opened).to_have_attribute("open", "")
    expect(opened.locator(".payload")).to_be_visible()


def test_a_rotated_secret_is_shown_once_and_a_reload_rotates_nothing(
    live_server,
    page_for,
    receiver,  # noqa: F811
):
    admin = UserFactory(username="ada", is_staff=True)
    endpoint, first = endpoint_at(receiver, "/crm", admin, description="CRM sync")
    page = page_for(admin)
    page.goto(f"{live_server.url}/settings/webhooks/")
    page.get_by_role("link", name="Settings of CRM sync").click()
    expect(page.get_by_text("made when the endpoint was added")).to_be_visible()
    assert_accessible(page, "an endpoint's settings")

    page.once("dialog", lambda dialog: dialog.accept())  # "Make a new signing secret?"
    page.get_by_role("button", name="Rotate the secret").click()
    secret_box = page.get_by_test_id("new-secret")
    expect(secret_box).to_be_visible()
    endpoint.refresh_from_db()
    second = endpoint.signing_secret
    assert secret_box.input_value() == second and endpoint.previous_secret == first
    expect(page.get_by_role("link", name="Send it a test event")).to_be_visible()
    expect(page.get_by_text("made when the endpoint was added")).to_have_count(0)
    shot(page, "webhooks-rotated")
    assert_accessible(page, "an endpoint's settings with its new secret")

    # Reloading shows the page without the secret, and rotates nothing.
    page.reload()
    expect(page.get_by_test_id("new-secret")).to_have_count(0)
    endpoint.refresh_from_db()
    assert (endpoint.signing_secret, endpoint.previous_secret) == (second, first)

    # Within the day, a second rotation asks for a yes first (no JavaScript needed).
    expect(page.get_by_text("Rotating again now ends the previous secret")).to_be_visible()
    page.get_by_label("No receiver uses").check()
    page.get_by_role("button", name="Rotate again").click()
    expect(page.get_by_test_id("new-secret")).to_be_visible()
    endpoint.refresh_from_db()
    assert endpoint.previous_secret == second
    expect(page.locator("#main")).to_contain_text(f"The one before it ({first[:10]}…)")
    shot(page, "webhooks-rotated-twice")

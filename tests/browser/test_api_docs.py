"""The interactive API docs render from our own static files, nothing from a CDN."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_every_resource_from_local_files(live_server, new_context):
    page = new_context().new_page()
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((live_server.url, "data:"))
            else elsewhere.append(request.url)
        ),
    )
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Synchrony API")
    for resource in ("projects", "tasks", "notifications"):
        expect(page.locator(f'.opblock-tag[data-tag="{resource}"]')).to_be_visible()
    expect(page.get_by_text("/api/v1/projects/{id}/transition/").first).to_be_attached()
    shot(page, "api-docs")
    assert elsewhere == []


def test_the_docs_lead_back_to_the_app_and_ask_only_for_a_token(live_server, page_for):
    page = page_for(UserFactory(username="maria", first_name="Maria", last_name="Lopez"))
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Synchrony API")
    bar = page.get_by_role("banner")
    expect(bar).to_contain_text("Signed in as Maria Lopez")
    expect(bar.get_by_role("link", name="Your API tokens")).to_have_attribute(
        "href", "/settings/api-tokens/"
    )
    # Authorize offers the token alone: a session cookie is nothing to paste in.
    page.locator(".swagger-ui .auth-wrapper .authorize").click()
    dialog = page.locator(".swagger-ui .dialog-ux .modal-ux")
    expect(dialog).to_contain_text("tokenAuth")
    expect(dialog).not_to_contain_text("cookieAuth")
    expect(dialog).not_to_contain_text("sessionid")
    shot(page, "api-docs-authorize")
    dialog.get_by_role("button", name="Close").click()

    # The page's own calls still go with the session: signed in, "Try it out" works.
    page.goto(f"{live_server.url}/api/docs/#/notifications/notifications_list")
    page.reload()  # the same page with a new hash: loaded afresh, as a shared link is
    operation = page.locator("#operations-notifications-notifications_list")
    expect(operation.locator(".opblock-body")).to_be_visible()  # the deep link opened it
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status")
    expect(status).to_have_text("200")

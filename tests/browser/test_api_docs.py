"""The interactive API docs render from our own static files, nothing from a CDN."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot

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

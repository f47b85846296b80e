"""Your settings and your API tokens: a token is shown once, a reload makes no second
one, and revoking takes a confirmation that needs no JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from synchrony.api.models import ApiToken
from tests.browser.conftest import assert_accessible, login, shot
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_settings_page_offers_what_applies_to_you(live_server, page_for):
    maria = UserFactory(username="maria", first_name="Maria", last_name="Lopez")
    page = page_for(maria)
    page.goto(f"{live_server.url}/accounts/settings/")
    expect(page.get_by_label("A task was assigned to me")).to_be_checked()
    # Only admins own webhook endpoints, so only they are asked about one.
    expect(page.get_by_label("A webhook endpoint I own was disabled")).to_have_count(0)
    # The digest's choices share one line; the e-mail choices sit in even columns.
    tops = {box.bounding_box()["y"] for box in page.locator("input[name=digest]").all()}
    assert len(tops) == 1
    lefts = {box.bounding_box()["x"] for box in page.locator("input[name=email_kinds]").all()}
    assert len(lefts) == 2
    shot(page, "settings-not-admin")
    assert_accessible(page, "the settings page")

    admin = page_for(UserFactory(username="ada", is_staff=True))
    admin.goto(f"{live_server.url}/accounts/settings/")
    expect(admin.get_by_label("A webhook endpoint I own was disabled")).to_be_checked()


def test_a_new_token_is_shown_once_and_revoking_asks_first(live_server, page_for):
    maria = UserFactory(username="maria")
    page = page_for(maria)
    page.goto(f"{live_server.url}/accounts/settings/")
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text(
        "Your settings / API tokens"
    )
    assert_accessible(page, "the API tokens page")

    page.get_by_label("Name").fill("Ads importer")
    page.get_by_label("Read-only").check()
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("heading", name="Your new token “Ads importer”")).to_be_visible()
    token = page.get_by_test_id("new-token").input_value()
    assert token.startswith("syn_")
    # Progressive: the copy button is there with JavaScript, and says what it did.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy the token").click()
    expect(page.locator(".copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == token
    shot(page, "api-token-created")
    assert_accessible(page, "the API tokens page with a new token")

    # A reload is a GET: no second token, and this one is not shown again.
    page.reload()
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(token)
    assert ApiToken.objects.filter(user=maria).count() == 1

    # Revoke: a first click only opens the confirmation, named after the token.
    page.get_by_text("Revoke").first.click()
    confirm = page.get_by_role("button", name="Revoke token “Ads importer”")
    expect(confirm).to_be_visible()
    assert ApiToken.objects.get().is_active
    assert_accessible(page, "the API tokens page, revoking")
    confirm.click()
    expect(page.locator("#messages")).to_contain_text("Token “Ads importer” revoked")
    assert not ApiToken.objects.get().is_active


def test_tokens_without_javascript(live_server, new_context):
    maria = UserFactory(username="maria")
    signed_in = new_context()
    page = signed_in.new_page()
    login(page, live_server, maria)
    # The same session, with JavaScript off.
    assert signed_in.browser is not None
    nojs = signed_in.browser.new_context(
        java_script_enabled=False, storage_state=signed_in.storage_state()
    )
    try:
        page = nojs.new_page()
        page.goto(f"{live_server.url}/settings/api-tokens/")
        page.get_by_label("Name").fill("Old script")
        page.get_by_role("button", name="Create token").click()
        expect(page.get_by_test_id("new-token")).to_be_visible()
        # No copy button that could not work; the field is there to select and copy.
        expect(page.locator("button[data-copy]")).to_be_hidden()
        page.get_by_text("Revoke").first.click()
        page.get_by_role("button", name="Revoke token “Old script”").click()
        expect(page.locator("#messages")).to_contain_text("revoked")
        assert not ApiToken.objects.get().is_active
    finally:
        nojs.close()

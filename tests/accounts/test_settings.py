"""The settings page: the e-mail digest is chosen there."""

from __future__ import annotations

from django.urls import reverse

from synchrony.accounts.models import Digest
from tests.conftest import client_for
from tests.factories import UserFactory

FIELDS = {"first_name": "V", "last_name": "W", "email": "v@example.com", "time_zone": "UTC"}


def test_the_digest_is_chosen_on_the_settings_page(db):
    user = UserFactory()
    client = client_for(user)
    page = client.get(reverse("accounts:settings")).content.decode()
    assert 'name="digest" value="weekly"' in page
    assert (
        client.post(reverse("accounts:settings"), {**FIELDS, "digest": "weekly"}).status_code == 302
    )
    user.refresh_from_db()
    assert user.digest == Digest.WEEKLY
    # A form without the field keeps the choice; an unknown one is refused.
    assert client.post(reverse("accounts:settings"), FIELDS).status_code == 302
    user.refresh_from_db()
    assert user.digest == Digest.WEEKLY
    bad = client.post(reverse("accounts:settings"), {**FIELDS, "digest": "hourly"})
    assert bad.status_code == 422 and "digest" in bad.context["form"].errors


def test_the_settings_page_leads_to_api_tokens_and_admins_to_webhooks(db):
    page = client_for(UserFactory()).get(reverse("accounts:settings")).content.decode()
    assert f'href="{reverse("api:tokens")}">API tokens</a>' in page
    assert reverse("webhooks:endpoints") not in page
    staff = client_for(UserFactory(is_staff=True)).get(reverse("accounts:settings"))
    assert reverse("webhooks:endpoints") in staff.content.decode()


def test_only_admins_are_offered_the_webhook_notice_and_others_keep_their_choice(db):
    user = UserFactory(email_opt_out=["webhook_disabled"])
    client = client_for(user)
    page = client.get(reverse("accounts:settings")).content.decode()
    assert 'value="task_assigned"' in page
    assert "webhook_disabled" not in page and "A webhook endpoint I own" not in page
    # Saving the form leaves the kind it does not offer as it was.
    client.post(reverse("accounts:settings"), {**FIELDS, "email_kinds": ["task_assigned"]})
    user.refresh_from_db()
    assert "webhook_disabled" in user.email_opt_out and "task_assigned" not in user.email_opt_out
    assert "task_due" in user.email_opt_out

    admin = UserFactory(is_staff=True)
    client = client_for(admin)
    page = client.get(reverse("accounts:settings")).content.decode()
    assert 'value="webhook_disabled"' in page and "A webhook endpoint I own was disabled" in page
    client.post(reverse("accounts:settings"), {**FIELDS, "email_kinds": ["task_assigned"]})
    admin.refresh_from_db()
    assert "webhook_disabled" in admin.email_opt_out

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

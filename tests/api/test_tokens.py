"""Personal API tokens and the metrics ingestion endpoint."""

from __future__ import annotations

import datetime as dt
import json

from django.test import Client
from django.urls import reverse

from synchrony.api.models import ApiToken
from synchrony.api.services import token_create
from synchrony.performance.models import MetricSample
from tests.conftest import client_for

URL = "/api/v1/metrics/samples/"


def post(token, body):
    data = body if isinstance(body, str) else json.dumps(body)
    return Client().post(
        URL, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def batch(perf, n=3):
    return {
        "samples": [
            {
                "project": perf.project.pk,
                "channel": perf.ads.pk,
                "metric": metric,
                "date": (perf.today - dt.timedelta(days=d)).isoformat(),
                "value": 10 + d,
                "source": "ads-api",
            }
            for d in range(1, n + 1)
            for metric in ("clicks", "spend")
        ]
    }


def test_a_token_is_shown_once_and_only_its_hash_is_kept(cast):
    client = client_for(cast.manager)
    response = client.post(reverse("api:tokens"), {"name": "Ads importer", "read_only": "on"})
    # Post, redirect, get: the page that shows the token is a GET.
    assert response.status_code == 303 and response.url == reverse("api:tokens")
    waiting = str(dict(client.session))  # the session's database row, between POST and GET
    page = client.get(response.url)
    token = page.context["new_token"]
    assert token not in waiting  # it waited in Redis, never in PostgreSQL
    assert token.startswith("syn_")
    body = page.content.decode()
    assert token in body and "no-store" in page["Cache-Control"]
    assert "Your new token “Ads importer”" in body and "Read-only: it may read" in body
    stored = ApiToken.objects.get()
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    assert token not in str(dict(client.session))  # dropped from the session once shown
    # Reloading the page neither makes a second token nor shows this one again.
    again = client.get(reverse("api:tokens"))
    assert token not in again.content.decode() and again.context["new_token"] == ""
    assert ApiToken.objects.count() == 1


def test_a_refused_token_form_stays_on_the_page_and_makes_nothing(cast):
    response = client_for(cast.manager).post(reverse("api:tokens"), {"name": ""})
    assert response.status_code == 422 and "name" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_revoking_takes_a_confirmation_step_named_after_the_token(cast):
    api_token, _ = token_create(actor=cast.manager, name="Ads importer")
    client = client_for(cast.manager)
    page = client.get(reverse("api:tokens")).content.decode()
    # Two steps without JavaScript (<details>), each named after the token it revokes.
    assert '<details class="confirm">' in page
    assert 'Revoke<span class="visually-hidden"> token “Ads importer”</span>' in page
    assert "Revoke token “Ads importer”</button>" in page
    response = client.post(reverse("api:token-revoke", args=[api_token.pk]))
    assert response.status_code == 303 and response.url == reverse("api:tokens")
    api_token.refresh_from_db()
    assert not api_token.is_active
    # Someone else's token is nobody's business.
    other, _ = token_create(actor=cast.viewer, name="Theirs")
    assert client.post(reverse("api:token-revoke", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.is_active


def test_the_same_batch_twice_changes_nothing(cast, perf):
    _, token = token_create(actor=cast.contributor, name="importer")
    first = post(token, batch(perf))
    assert first.status_code == 200 and first.json() == {"saved": 6}
    before = sorted(MetricSample.objects.values_list("pk", "metric", "date", "value"))
    second = post(token, batch(perf))
    assert second.status_code == 200
    assert sorted(MetricSample.objects.values_list("pk", "metric", "date", "value")) == before
    assert ApiToken.objects.get().last_used_at is not None


def test_a_batch_with_one_bad_row_saves_nothing_and_names_it(cast, perf):
    _, token = token_create(actor=cast.manager, name="importer")
    body = batch(perf)
    body["samples"][3]["value"] = -5
    body["samples"][4]["metric"] = "likes"
    response = post(token, body)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 4, "field": "value", "message": "An amount cannot be negative."},
        {
            "row": 5,
            "field": "metric",
            "message": "Unknown metric “likes”. Known here: clicks, conversions, impressions, "
            "leads, revenue, spend.",
        },
    ]
    assert not MetricSample.objects.exists()


def test_malformed_json_and_wrong_shapes_are_400_with_a_reason(cast, perf):
    _, token = token_create(actor=cast.manager, name="importer")
    for body in ('{"samples": [', "42", '{"samples": []}', '["x"]'):
        response = post(token, body)
        assert response.status_code == 400, body
        assert response.json()["detail"]


def test_more_than_10000_samples_are_refused(cast, perf):
    _, token = token_create(actor=cast.manager, name="importer")
    response = post(token, [{"metric": "leads"}] * 10_001)
    assert response.status_code == 413
    assert "At most 10,000" in response.json()["detail"]


def test_revoked_read_only_and_missing_tokens_cannot_write(cast, perf):
    api_token, token = token_create(actor=cast.manager, name="importer")
    _, read_only = token_create(actor=cast.manager, name="reader", read_only=True)
    assert post(read_only, batch(perf)).status_code == 403
    assert Client().post(URL, batch(perf), content_type="application/json").status_code == 401
    assert post("syn_nope", batch(perf)).status_code == 401
    client_for(cast.manager).post(reverse("api:token-revoke", args=[api_token.pk]))
    assert post(token, batch(perf)).status_code == 401
    assert not MetricSample.objects.exists()


def test_no_token_is_made_when_it_cannot_be_kept_to_be_shown(cast, settings):
    client = client_for(cast.manager)
    client.get(reverse("api:tokens"))
    # A real Redis client, at an address where nothing answers.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    response = client.post(reverse("api:tokens"), {"name": "Ads importer"})
    assert response.status_code == 422
    assert "No token was made" in response.content.decode()
    assert not ApiToken.objects.exists()

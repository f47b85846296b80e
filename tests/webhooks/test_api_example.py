"""The README's example, step by step: an integration creates a launch through the API,
schedules it, and its endpoint receives the webhook, which checks out with the secret."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone
from standardwebhooks import Webhook

from synchrony.api.services import token_create
from synchrony.webhooks import services
from synchrony.webhooks.models import Delivery
from tests.factories import ChannelFactory
from tests.webhooks.conftest import endpoint_at

LAUNCH_EVENTS = ["launch.scheduled", "launch.held", "launch.fired", "launch.launched"]


def test_a_launch_created_and_scheduled_through_the_api_is_heard_signed(cast, admin, receiver):
    _, secret = endpoint_at(receiver, "/crm", admin, LAUNCH_EVENTS)
    _, token = token_create(actor=cast.manager, name="CRM")
    newsletter = ChannelFactory(name="Newsletter", owner=cast.manager)
    cast.project.channels.add(newsletter)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    day = dt.date(timezone.localdate().year + 1, 6, 2).isoformat()  # summer time in Berlin

    created = api.post(
        "/api/v1/launches/",
        {
            "project": cast.project.pk,
            "name": "Atlas 2.0",
            "local_date": day,
            "local_time": "09:00",
            "time_zone": "Europe/Berlin",
            "channels": [newsletter.pk],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    launch = created.json()
    assert launch["status"] == "draft" and created["ETag"] == '"1"'
    assert not Delivery.objects.exists()  # a draft is nobody's news
    scheduled = api.post(
        f"/api/v1/launches/{launch['id']}/schedule/",
        content_type="application/json",
        HTTP_IF_MATCH=created["ETag"],
    )
    assert scheduled.status_code == 200, scheduled.content

    assert services.deliver(Delivery.objects.get().pk)
    (hit,) = receiver.for_path("/crm")
    # What the README's receiver does with it.
    event = Webhook(secret).verify(hit.body, dict(hit.headers))
    data = event["data"]
    assert event["type"] == "launch.scheduled"
    assert (data["id"], data["name"], data["status"]) == (launch["id"], "Atlas 2.0", "scheduled")
    moment = dt.datetime.fromisoformat
    assert moment(data["go_live"]) == moment(launch["go_live"])  # 07:00 UTC: 09:00 in Berlin
    assert moment(data["go_live"]).hour == 7 and data["local_time"] == "09:00:00"
    assert {a["channel"]["name"]: a["state"] for a in data["activations"]} == {
        "Newsletter": "pending"
    }
    assert api.get(data["url"]).json()["id"] == launch["id"]  # the url reads it back

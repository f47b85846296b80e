"""The README's example ("create a launch through the API and hear it go out"), step by
step: an admin adds a channel that sends to the receiver, adds it to the project, creates
a launch on it, fills in its content and schedules it; at go-live the channel gets the
launch and the endpoint hears launch.scheduled, launch.fired and launch.launched, each
checking out with the secret of whoever sent it. Keep it in step with the README."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone
from standardwebhooks import Webhook

from synchrony.api.services import token_create
from synchrony.launches import engine
from synchrony.webhooks import services
from synchrony.webhooks.models import Delivery
from tests.factories import UserFactory
from tests.webhooks.conftest import endpoint_at

LAUNCH_EVENTS = [
    "launch.scheduled",
    "launch.held",
    "launch.fired",
    "launch.launched",
    "launch.partly_launched",
    "launch.failed",
    "launch.cancelled",
]


def deliver_events() -> None:
    """What the worker does with the events' deliveries, in order."""
    for pk in Delivery.objects.order_by("pk").values_list("pk", flat=True):
        services.deliver(pk)


def call(api: Client, method: str, path: str, body: dict | None = None, **headers: str):
    response = getattr(api, method)(
        f"/api/v1/{path}", json.dumps(body or {}), content_type="application/json", **headers
    )
    assert response.status_code in (200, 201), response.content
    return response


@dataclass
class Planned:
    """Where the README's steps 1 to 5 leave the integrator."""

    api: Client
    events_secret: str
    channel: dict  # with its signing secret, shown once
    go_live: dt.datetime
    launch: dict
    etag: str


def steps_1_to_5(cast, receiver) -> Planned:
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    # 1. A token, and the endpoint for the launch events.
    _, events_secret = endpoint_at(receiver, "/events", admin, LAUNCH_EVENTS)
    _, token = token_create(actor=admin, name="README")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    # 2. The channel that sends to the receiver; its secret comes in the answer, once.
    channel = call(
        api,
        "post",
        "channels/",
        {
            "name": "Partner portal",
            "kind": "web",
            "owner": admin.pk,
            "adapter": "webhook",
            "endpoint_url": receiver.url + "/launch",
        },
    ).json()

    # 4. The channel joins the project: its channels and ETag read, and sent back with it.
    project = api.get(f"/api/v1/projects/{cast.project.pk}/")
    channels = [*project.json()["channels"], channel["id"]]
    path = f"projects/{cast.project.pk}/"
    joined = call(api, "patch", path, {"channels": channels}, HTTP_IF_MATCH=project["ETag"])
    assert sorted(joined.json()["channels"]) == sorted(channels)  # listed by name

    # 5. The launch, ten minutes from now (a wall time in UTC, to the minute).
    go_live = (timezone.now() + dt.timedelta(minutes=10)).replace(second=0, microsecond=0)
    created = call(
        api,
        "post",
        "launches/",
        {
            "project": cast.project.pk,
            "name": "Partner portal opens",
            "local_date": f"{go_live:%Y-%m-%d}",
            "local_time": f"{go_live:%H:%M}",
            "time_zone": "UTC",
            "channels": [channel["id"]],
        },
    )
    return Planned(api, events_secret, channel, go_live, created.json(), created["ETag"])


def test_the_readme_example_ends_in_launch_launched(cast, receiver):
    planned = steps_1_to_5(cast, receiver)
    api, channel, go_live, launch = planned.api, planned.channel, planned.go_live, planned.launch
    assert (launch["status"], planned.etag) == ("draft", '"1"')
    (activation,) = launch["activations"]
    assert (activation["channel"], activation["state"]) == (channel["id"], "pending")

    # 6. What goes out on the channel.
    filled = call(
        api,
        "patch",
        f"activations/{activation['id']}/",
        {
            "subject": "The partner portal is open",
            "body": "Sign in with your partner account.",
            "link": "https://partners.example.com",
        },
        HTTP_IF_MATCH='"1"',
    )
    assert filled["ETag"] == '"2"'

    # 7. Scheduled: when the next check runs, and nothing preflight would object to.
    schedule = f"launches/{launch['id']}/schedule/"
    answer = call(api, "post", schedule, HTTP_IF_MATCH=planned.etag).json()
    assert (answer["status"], answer["problems"]) == ("scheduled", [])
    assert answer["next_check_at"] == (go_live - dt.timedelta(minutes=5)).isoformat().replace(
        "+00:00", "Z"
    )

    # Go-live: beat's dispatcher runs the 5-minute check, arms it, and the worker fires it.
    with time_machine.travel(go_live - dt.timedelta(minutes=5), tick=True):
        assert engine.dispatch()["preflights"] == 1
    with time_machine.travel(go_live - dt.timedelta(seconds=2), tick=True):
        assert engine.dispatch()["armed"] == 1
        assert engine.fire(launch["id"])
        deliver_events()

        # What the README's receiver does with each delivery.
        (sent,) = receiver.for_path("/launch")
        on_channel = Webhook(channel["signing_secret"]).verify(sent.body, dict(sent.headers))
        assert on_channel["type"] == "launch.activation"
        assert on_channel["data"]["activation"]["subject"] == "The partner portal is open"
        hook = Webhook(planned.events_secret)
        heard = [hook.verify(hit.body, dict(hit.headers)) for hit in receiver.for_path("/events")]

    assert [e["type"] for e in heard] == ["launch.scheduled", "launch.fired", "launch.launched"]
    channels = [{a["channel"]["name"]: a["state"] for a in e["data"]["activations"]} for e in heard]
    assert channels == [
        {"Partner portal": "pending"},
        {"Partner portal": "sending"},
        {"Partner portal": "delivered"},
    ]
    data = heard[-1]["data"]
    assert (data["id"], data["name"], data["hold_reason"]) == (
        launch["id"],
        "Partner portal opens",
        "",
    )
    assert dt.datetime.fromisoformat(data["go_live"]) == go_live
    # `url` is absolute, as `link` is: it reads the launch back.
    assert data["url"] == f"{settings.SITE_URL}/api/v1/launches/{launch['id']}/"
    assert api.get(data["url"].removeprefix(settings.SITE_URL)).json()["status"] == "launched"


def test_the_readme_example_without_content_is_told_and_held(cast, receiver):
    """ "If something is not ready (skip step 6)": listed when scheduled, held at the
    5-minute check, with the reason in launch.held."""
    planned = steps_1_to_5(cast, receiver)
    schedule = f"launches/{planned.launch['id']}/schedule/"
    answer = call(planned.api, "post", schedule, HTTP_IF_MATCH=planned.etag).json()
    assert answer["status"] == "scheduled"
    assert answer["problems"] == [
        {
            "kind": "content",
            "subject": "Partner portal",
            "message": "Partner portal content has no body.",
            "channel_id": planned.channel["id"],
        }
    ]
    with time_machine.travel(planned.go_live - dt.timedelta(minutes=5), tick=True):
        assert engine.dispatch()["preflights"] == 1
        deliver_events()
        hook = Webhook(planned.events_secret)
        heard = [hook.verify(hit.body, dict(hit.headers)) for hit in receiver.for_path("/events")]
    assert [e["type"] for e in heard] == ["launch.scheduled", "launch.held"]
    held = heard[-1]["data"]
    assert held["status"] == "held"
    assert held["hold_reason"] == "Partner portal content has no body."
    assert receiver.for_path("/launch") == []

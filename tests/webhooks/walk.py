"""Outbound webhooks' objects for tests/test_permissions.py's walk over every URL."""

from __future__ import annotations

from typing import Any

from synchrony.webhooks import events
from synchrony.webhooks.models import Delivery, Endpoint, Event, EventType
from tests.factories import UserFactory

# Admins' pages (staff): to anyone else each is a 404, as if it did not exist
# (tests/webhooks covers what an admin may do).
WEBHOOKS_ADMIN = {
    "webhooks:endpoints",
    "webhooks:endpoint",
    "webhooks:deliveries",
    "webhooks:rotate",
    "webhooks:enable",
    "webhooks:test",
    "webhooks:delete",
    "webhooks:replay",
}


def webhook_objects(cast: Any) -> dict[str, Any]:
    """An admin's endpoint (switched off, so nothing is sent during the walk) with one
    delivered event in its log."""
    admin = UserFactory(username="walk-admin", is_staff=True)
    endpoint = Endpoint.objects.create(
        url="https://example.com/hook",
        event_types=[EventType.TASK_CHANGED],
        owner=admin,
        enabled=False,
    )
    event = events.record(
        EventType.TEST, "endpoint", endpoint.pk, {"id": endpoint.pk}, endpoint_ids=[]
    )
    delivery = Delivery.objects.create(
        event=event, endpoint=endpoint, object_key=f"endpoint:{endpoint.pk}", state="delivered"
    )
    return {"endpoint_pk": endpoint.pk, "delivery_pk": delivery.pk}


def webhook_snapshot() -> tuple:
    return (
        sorted(
            Endpoint.objects.values_list(
                "pk", "version", "url", "enabled", "signing_secret", "event_types"
            )
        ),
        Event.objects.count(),
        sorted(Delivery.objects.values_list("pk", "state")),
    )

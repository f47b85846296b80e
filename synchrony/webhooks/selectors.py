"""Who may manage outbound webhooks, and the reads of their pages.

Endpoints belong to the workspace, not to a project: only admins (staff) see them,
and to anyone else every webhook page is a 404, as if it did not exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from synchrony.webhooks.models import Attempt, Delivery, DeliveryState, Endpoint

if TYPE_CHECKING:
    from synchrony.accounts.models import User


def check_admin(user: User) -> None:
    """The one permission rule of this app."""
    if not (user.is_active and user.is_staff):
        raise Http404("No such page.")


def endpoints_for_user(user: User) -> QuerySet[Endpoint]:
    check_admin(user)
    return Endpoint.objects.select_related("owner").annotate(
        failed=Count("deliveries", filter=Q(deliveries__state=DeliveryState.FAILED)),
        waiting=Count(
            "deliveries",
            filter=Q(
                deliveries__state__in=[
                    DeliveryState.PENDING,
                    DeliveryState.SENDING,
                    DeliveryState.RETRYING,
                ]
            ),
        ),
    )


def get_endpoint_for_user(user: User, pk: int) -> Endpoint:
    check_admin(user)
    endpoint = Endpoint.objects.select_related("owner").filter(pk=pk).first()
    if endpoint is None:
        raise Http404("No such webhook endpoint.")
    return endpoint


def get_delivery_for_user(user: User, pk: int) -> Delivery:
    check_admin(user)
    delivery = Delivery.objects.select_related("event", "endpoint__owner").filter(pk=pk).first()
    if delivery is None:
        raise Http404("No such delivery.")
    return delivery


def recent_deliveries(endpoint: Endpoint, *, limit: int = 50) -> list[Delivery]:
    """The endpoint's latest deliveries, newest first, with their attempts."""
    return list(
        Delivery.objects.filter(endpoint=endpoint)
        .select_related("event", "requested_by", "replay_of")
        .prefetch_related(Prefetch("attempt_log", queryset=Attempt.objects.order_by("number")))
        .order_by("-id")[:limit]
    )

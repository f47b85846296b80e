"""Sync health: how reliably launches went out, over the launches a user can see.

The numbers behind DESIGN.md's promises 2, 3 and 6: failed or incomplete activations
(with "retried then recovered" counted on its own, never folded into success),
lateness and skew, and how long a failure took to reach its owner. Everything comes
from a fixed number of queries however many launches there are; percentiles are
taken in Python over one column-only query, which works the same on PostgreSQL and
on the embedded SQLite.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.utils import timezone

from synchrony.launches.models import Activation, ActivationState, Launch, LaunchStatus
from synchrony.lib.stats import percentile
from synchrony.projects.selectors import projects_for_user

if TYPE_CHECKING:
    from synchrony.accounts.models import User

WINDOW_DAYS = 30
OPEN_FAILURES_SHOWN = 100

# Went out as planned.
OK_STATES = (ActivationState.DELIVERED, ActivationState.DONE)
# Did not go out, or nobody knows: each of these is someone's failure to own.
FAILED_STATES = (
    ActivationState.FAILED,
    ActivationState.UNKNOWN,
    ActivationState.OVERDUE,
    ActivationState.DROPPED,
)
# Still open: a person has to act (dropped ones were decided at preflight).
OPEN_FAILURE_STATES = (ActivationState.FAILED, ActivationState.UNKNOWN, ActivationState.OVERDUE)
# Never started: the launch has not fired, or was cancelled. Not a sync operation.
NOT_STARTED_STATES = (ActivationState.PENDING, ActivationState.CANCELLED)
SETTLED_LAUNCHES = (LaunchStatus.LAUNCHED, LaunchStatus.PARTLY_LAUNCHED, LaunchStatus.FAILED)


@dataclass(frozen=True)
class Spread:
    """p50, p95 and max of a set of measurements (None when there are none)."""

    count: int
    p50: float | None
    p95: float | None
    max: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        ordered = sorted(values)
        if not ordered:
            return cls(0, None, None, None)
        return cls(len(ordered), percentile(ordered, 0.50), percentile(ordered, 0.95), ordered[-1])


@dataclass(frozen=True)
class SyncHealth:
    since: dt.datetime
    activations: int  # sync operations: activations whose launch went out
    succeeded: int
    failed: int  # failed, unknown, overdue or dropped
    recovered: int  # delivered, but only after a failed attempt
    in_progress: int
    failed_by_state: dict[str, int]
    launches_measured: int
    lateness_ms: Spread
    skew_ms: Spread
    detection_s: Spread  # failure to owner notified
    open_failures: list[Activation]
    open_failure_count: int

    @property
    def failed_share(self) -> float | None:
        return self.failed / self.activations if self.activations else None

    @property
    def recovered_share(self) -> float | None:
        return self.recovered / self.activations if self.activations else None


def sync_health(user: User, *, now: dt.datetime | None = None) -> SyncHealth:
    """Four queries, whatever the number of launches and activations."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=WINDOW_DAYS)
    visible = projects_for_user(user).values("pk")
    activations = Activation.objects.filter(
        launch__project__in=visible, launch__go_live__gte=since, launch__go_live__lte=now
    ).exclude(state__in=NOT_STARTED_STATES)

    counts = activations.aggregate(
        total=Count("pk"),
        ok=Count("pk", filter=Q(state__in=OK_STATES)),
        recovered=Count("pk", filter=Q(state=ActivationState.DELIVERED, attempts__gt=1)),
        **{state: Count("pk", filter=Q(state=state)) for state in FAILED_STATES},
    )
    by_state = {str(state): counts[state] for state in FAILED_STATES}
    failed = sum(by_state.values())

    measured = list(
        Launch.objects.filter(
            project__in=visible,
            go_live__gte=since,
            status__in=SETTLED_LAUNCHES,
            lateness_ms__isnull=False,
        ).values_list("lateness_ms", "skew_ms")
    )
    detections = [
        (told - failed_at).total_seconds()
        for failed_at, told in activations.filter(
            failed_at__isnull=False, owner_notified_at__isnull=False
        ).values_list("failed_at", "owner_notified_at")
        if failed_at and told
    ]
    open_failures = list(
        activations.filter(state__in=OPEN_FAILURE_STATES)
        .select_related("channel__owner", "launch")
        .order_by("failed_at", "pk")[:OPEN_FAILURES_SHOWN]
    )
    open_count = sum(counts[state] for state in OPEN_FAILURE_STATES)
    return SyncHealth(
        since=since,
        activations=counts["total"],
        succeeded=counts["ok"],
        failed=failed,
        recovered=counts["recovered"],
        in_progress=counts["total"] - counts["ok"] - failed,
        failed_by_state=by_state,
        launches_measured=len(measured),
        lateness_ms=Spread.of([lateness for lateness, _ in measured if lateness is not None]),
        skew_ms=Spread.of([skew for _, skew in measured if skew is not None]),
        detection_s=Spread.of(detections),
        open_failures=open_failures,
        open_failure_count=open_count,
    )

"""What happened, as outbound webhook events: `emit` and the body of each event type.

The services call `emit(type, obj, ...)` inside their own transaction, one line where
the change happens. It costs one query when no endpoint listens to that type; otherwise
it writes the Event and a Delivery per subscribed enabled endpoint, and the deliveries
are enqueued after commit: a rolled-back change sends nothing. The body describes the
resource as an integrator needs it — its id, its address under /api/v1/ (`url`), its
page in the app (`link`), both absolute, and the fields that changed hands.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from synchrony.webhooks.models import Delivery, Endpoint, Event, EventType

if TYPE_CHECKING:
    import datetime as dt

    from synchrony.accounts.models import User
    from synchrony.launches.models import Launch
    from synchrony.performance.models import GoalTracking
    from synchrony.planning.models import Task
    from synchrony.projects.models import Project, StageTransition
    from synchrony.standups.models import Agenda

logger = logging.getLogger(__name__)

Described = tuple[str, int, dict[str, Any]]  # object type, object id, the event's data

# Launch statuses integrators hear about; the engine's own steps (armed) and drafts stay in.
_LAUNCH_EVENTS = {
    "scheduled": EventType.LAUNCH_SCHEDULED,
    "held": EventType.LAUNCH_HELD,
    "firing": EventType.LAUNCH_FIRED,
    "launched": EventType.LAUNCH_LAUNCHED,
    "partly_launched": EventType.LAUNCH_PARTLY_LAUNCHED,
    "failed": EventType.LAUNCH_FAILED,
    "cancelled": EventType.LAUNCH_CANCELLED,
}


def launch_event(status: str) -> EventType | None:
    """The event a launch's new status makes, if it makes one."""
    return _LAUNCH_EVENTS.get(str(status))


def emit(event_type: str | None, obj: models.Model, **facts: Any) -> Event | None:
    """Record `event_type` about `obj` for every enabled endpoint subscribed to it."""
    if event_type is None:
        return None
    subscribed = subscribers(event_type)
    if not subscribed:
        return None
    object_type, object_id, data = BODIES[event_type](obj, **facts)
    return record(event_type, object_type, object_id, data, endpoint_ids=subscribed)


def subscribers(event_type: str) -> list[int]:
    """The enabled endpoints subscribed to `event_type` (one query)."""
    # Few endpoints, and no JSON containment on SQLite: the subscriptions are read whole.
    return [
        pk
        for pk, types in Endpoint.objects.filter(enabled=True).values_list("pk", "event_types")
        if event_type in types
    ]


def record(
    event_type: str,
    object_type: str,
    object_id: int,
    data: dict[str, Any],
    *,
    endpoint_ids: Iterable[int],
    requested_by: User | None = None,
) -> Event:
    now = timezone.now()
    body = {"type": event_type, "timestamp": now.isoformat(), "data": data}
    with transaction.atomic():
        event = Event.objects.create(
            type=event_type,
            object_type=object_type,
            object_id=object_id,
            payload=json.dumps(
                body, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder
            ),
            created_at=now,
        )
        deliveries = Delivery.objects.bulk_create(
            [
                Delivery(
                    event=event,
                    endpoint_id=pk,
                    object_key=f"{object_type}:{object_id}",
                    enqueued_at=now,
                    requested_by=requested_by,
                )
                for pk in endpoint_ids
            ]
        )
        transaction.on_commit(partial(enqueue, [d.pk for d in deliveries]), robust=True)
    return event


def enqueue(delivery_ids: Iterable[int], eta: dt.datetime | None = None) -> None:
    """Prompt the worker. A message lost here (Redis down) is found again by the sweeper."""
    from synchrony.webhooks.tasks import deliver_webhook

    for pk in delivery_ids:
        try:
            deliver_webhook.apply_async((pk,), eta=eta)
        except Exception:  # the broker's errors vary by transport; the database remembers
            logger.exception("could not enqueue webhook delivery %s", pk)


# ── Bodies ────────────────────────────────────────────────────────────────────


def _link(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _api_path(basename: str, pk: int) -> str | None:
    """The resource's address under /api/v1/, absolute (SITE_URL) as `link` is: a
    receiver reads it back without knowing where Synchrony runs. None for a kind of
    resource the API does not serve (yet)."""
    try:
        return _link(reverse(f"api:{basename}-detail", args=[pk]))
    except NoReverseMatch:
        return None


def _person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": str(user)}


def _project(project: Project) -> dict[str, Any]:
    return {
        "id": project.pk,
        "url": _api_path("project", project.pk),
        "name": project.name,
        "stage": project.stage,
    }


def launch_body(launch: Launch) -> Described:
    activations = [
        {"id": pk, "channel": {"id": channel_id, "name": name}, "state": state}
        for pk, channel_id, name, state in launch.activations.order_by("channel__name").values_list(
            "pk", "channel_id", "channel__name", "state"
        )
    ]
    data = {
        "id": launch.pk,
        "url": _api_path("launch", launch.pk),
        "link": _link(launch.get_absolute_url()),
        "name": launch.name,
        "status": launch.status,
        "go_live": launch.go_live,
        "local_date": launch.local_date,
        "local_time": launch.local_time,
        "time_zone": launch.time_zone,
        "policy": launch.policy,
        "hold_reason": launch.hold_reason,
        "version": launch.version,
        "project": _project(launch.project),
        "activations": activations,
    }
    return "launch", launch.pk, data


def stage_body(transition: StageTransition) -> Described:
    project = transition.project
    data = {
        **_project(project),
        "link": _link(project.get_absolute_url()),
        "from_stage": transition.from_stage,
        "to_stage": transition.to_stage,
        "reason": transition.reason,
        "overridden": transition.overridden,
        "missing": transition.missing,
        "moved_by": _person(transition.actor),
        "version": project.version,
    }
    return "project", project.pk, data


def task_body(task: Task, *, action: str, changed: Iterable[str] = ()) -> Described:
    data = {
        "action": action,  # created, updated or deleted
        "id": task.pk,
        "url": _api_path("task", task.pk),
        "link": _link(task.get_absolute_url()),
        "title": task.title,
        "status": task.status,
        "stage": task.stage,
        "owner": _person(task.owner),
        "due_date": task.due_date,
        "blocked_reason": task.blocked_reason,
        "version": task.version,
        "changed": sorted(changed),
        "project": _project(task.project),
    }
    return "task", task.pk, data


def goal_body(tracking: GoalTracking, *, evaluation: dict[str, Any]) -> Described:
    from synchrony.projects.models import Goal

    goal = Goal.objects.select_related("project").get(pk=tracking.goal_id)
    data = {
        "id": goal.pk,
        "url": _api_path("goal", goal.pk),
        "link": _link(reverse("performance:dashboard", args=[goal.project_id])),
        "metric": goal.metric,
        "unit": goal.unit,
        "baseline": goal.baseline,
        "target": goal.target,
        "due_date": goal.due_date,
        "status": evaluation["status"],  # at_risk or off_track
        "actual": evaluation["actual"],
        "expected": evaluation["expected"],
        "lag_pct": evaluation["lag_pct"],
        "measured_by": tracking.metric,
        "project": _project(goal.project),
    }
    return "goal", goal.pk, data


def agenda_body(agenda: Agenda) -> Described:
    meeting = agenda.meeting
    series = meeting.series
    data = {
        "id": meeting.pk,
        "url": _api_path("standup-meeting", meeting.pk),  # with its agenda
        "link": _link(meeting.get_absolute_url()),
        "series": {
            "id": series.pk,
            "url": _api_path("standup-series", series.pk),
            "name": series.name,
        },
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "revision": agenda.revision,
        "written_at": agenda.written_at,
        "written_by": _person(agenda.written_by),
        "projects": [_project(p) for p in series.projects.all()],
    }
    return "meeting", meeting.pk, data


def test_body(endpoint: Endpoint, *, sent_by: User) -> Described:
    data = {
        "id": endpoint.pk,
        "message": "A test event from Synchrony. If its signature checks out with your "
        "secret, this endpoint is ready.",
        "sent_by": _person(sent_by),
    }
    return "endpoint", endpoint.pk, data


BODIES: dict[str, Callable[..., Described]] = {
    **dict.fromkeys(_LAUNCH_EVENTS.values(), launch_body),
    EventType.PROJECT_STAGE_CHANGED: stage_body,
    EventType.TASK_CHANGED: task_body,
    EventType.GOAL_AT_RISK: goal_body,
    EventType.STANDUP_AGENDA_READY: agenda_body,
    EventType.TEST: test_body,
}

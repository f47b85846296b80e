"""Every /api/v1/ route, with a row of each resource to address: for the API's own walk
(tests/api/test_permissions.py) and for tests/test_permissions.py, which leaves the API
to it.

/api/v1/ resources and the schema answer without a login, by design (a token or a
session says who calls; the schema is public), and their routes take ids by regex. A
resource registered on the router is walked as soon as it exists: give it a row in
`api_rows` and a valid create body in `create_bodies`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from synchrony.activity.models import Notification
from synchrony.api.urls import router
from synchrony.launches.models import ReadinessGate
from synchrony.performance.models import MetricSample
from tests.factories import (
    ActivationFactory,
    BudgetLineFactory,
    ChannelFactory,
    ContentItemFactory,
    GoalFactory,
    LaunchFactory,
    LessonFactory,
    MilestoneFactory,
    RetrospectiveFactory,
    TaskFactory,
)
from tests.standups.walk import standup_objects

# api:no-route is every other address under /api/: the API's 404, for anyone.
API_PUBLIC = {
    "api:schema",
    "api:docs",
    "api:no-route",
    *(f"api:{route.name}" for route in router.urls),
}
# The workspace's own rows, in no project: every signed-in person reads them (channels,
# on which every project plans its launches; published lessons, which every project
# learns from), so an outsider is no stranger to them.
WORKSPACE_WIDE = {"channel", "lesson"}


@dataclass(frozen=True)
class Route:
    name: str  # e.g. "task-detail"
    basename: str  # e.g. "task"
    url: str
    methods: tuple[str, ...]  # e.g. ("get", "patch")
    detail: bool  # addresses one row


def api_rows(cast: Any) -> dict[str, int]:
    """One row of each resource, in the cast's project (the manager's, for notifications)."""
    project = cast.project
    # The project's weekly stand-up, run by its manager, meeting now with an action item.
    standups = standup_objects(cast)
    return {
        "project": project.pk,
        "goal": GoalFactory(project=project).pk,
        "task": TaskFactory(project=project).pk,
        "content-item": ContentItemFactory(project=project).pk,
        "budget-line": BudgetLineFactory(project=project).pk,
        "milestone": MilestoneFactory(project=project).pk,
        "notification": Notification.objects.create(
            recipient=cast.manager, project=project, kind="membership", title="Hi"
        ).pk,
        # Owned by the manager: its settings are theirs (and admins').
        "channel": ChannelFactory(owner=cast.manager).pk,
        "launch": (launch := LaunchFactory(project=project)).pk,
        "activation": ActivationFactory(launch=launch).pk,
        "readiness-gate": ReadinessGate.objects.create(
            launch=launch, title="Sales briefed", owner=cast.manager
        ).pk,
        "standup-series": standups["series_pk"],
        "standup-meeting": standups["meeting_pk"],
        "standup-action-item": standups["standup_action_pk"],
        "retrospective": (retro := RetrospectiveFactory(project=project)).pk,
        # Rows for lists only (no route addresses them by id), so their answers are read.
        "lesson": LessonFactory(retrospective=retro).pk,
        "metric-sample": MetricSample.objects.create(
            project=project,
            channel=ChannelFactory(),
            metric="leads",
            date=timezone.localdate(),
            source="api",
            value="12.00",
            updated_at=timezone.now(),
        ).pk,
    }


def create_bodies(cast: Any) -> dict[str, dict[str, Any]]:
    """A valid body to create each resource in the cast's project."""
    project = cast.project.pk
    soon = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    return {
        "project": {"name": "Another"},
        "goal": {
            "project": project,
            "metric": "Leads",
            "baseline": "1",
            "target": "2",
            "due_date": soon,
        },
        "task": {"project": project, "title": "T"},
        "content-item": {"project": project, "title": "C"},
        "budget-line": {
            "project": project,
            "category": "media",
            "description": "Ads",
            "planned": "10.00",
        },
        "milestone": {"project": project, "title": "M", "date": soon},
        "channel": {"name": "Press", "owner": cast.manager.pk},
        "launch": {
            "project": project,
            "name": "L",
            "local_date": soon,
            "local_time": "09:00",
            "time_zone": "Europe/Berlin",
        },
        # On launches of the cast's project: a refusal is about the caller, not the body.
        "activation": {
            "launch": LaunchFactory(project=cast.project).pk,
            "channel": ChannelFactory().pk,
        },
        "readiness-gate": {
            "launch": LaunchFactory(project=cast.project).pk,
            "title": "G",
            "owner": cast.manager.pk,
        },
        "standup-series": {
            "name": "S",
            "projects": [project],
            "facilitator": cast.manager.pk,
            "attendees": [cast.manager.pk],
            "time_zone": "Europe/Berlin",
            "starts_on": soon,
        },
    }


def routes(rows: dict[str, int]) -> Iterator[Route]:
    basenames = {prefix: basename for prefix, _, basename in router.registry}
    for route in router.urls:
        pattern = route.pattern.regex.pattern.lstrip("^").rstrip("$")
        prefix = pattern.split("/", 1)[0]
        basename = basenames[prefix]
        detail = "(?P<pk>" in pattern
        if detail:
            assert basename in rows, f"give {basename} a row in tests/api/walk.py api_rows"
            pattern = pattern.replace("(?P<pk>[^/]+)", str(rows[basename]))
        yield Route(
            name=route.name,
            basename=basename,
            url=f"/api/v1/{pattern}",
            methods=tuple(m for m in route.callback.actions if m != "head"),  # HEAD is GET
            detail=detail,
        )

"""Performance's objects for tests/test_permissions.py's walk over every URL."""

from __future__ import annotations

from typing import Any

from synchrony.api.models import ApiToken
from synchrony.performance.models import (
    CustomMetric,
    GoalTracking,
    MetricImport,
    MetricSample,
    ReportLink,
    ReportSnapshot,
)
from synchrony.performance.selectors import report_figures
from tests.factories import ChannelFactory

# Answer without a login, by design: a report link (tests/performance) and the metrics
# API, which takes a token instead of a session (tests/api).
PERFORMANCE_PUBLIC = {"performance:shared", "api:metric-samples"}
# About no project in particular: a channel's figures in the projects you are in; your
# own API tokens.
PERFORMANCE_PERSONAL = {"performance:channel", "api:tokens"}
# The manager's own token: 404 for anyone else.
PERFORMANCE_OWNED = {"api:token-revoke"}


def performance_objects(cast: Any) -> dict[str, Any]:
    project = cast.project
    figures = report_figures(project)
    snapshot = ReportSnapshot.objects.create(
        project=project, title="S", as_of=figures["as_of"], figures=figures, created_by=cast.manager
    )
    return {
        # An uploaded file waiting for confirmation, by the manager.
        "import_pk": MetricImport.objects.create(
            project=project,
            file_name="f.csv",
            source="csv",
            created_by=cast.manager,
            status="ready",
            rows=1,
            content=b"date,channel,metric,value\n",
        ).pk,
        "snapshot_pk": snapshot.pk,
        "performance_link_pk": ReportLink.objects.create(
            project=project, snapshot=snapshot, token_hash="y" * 64
        ).pk,
        "token_pk": ApiToken.objects.create(
            user=cast.manager, name="T", token_hash="z" * 64, hint="abc"
        ).pk,
        # Any channel: its figures are read across the projects one is in.
        "channel_pk": ChannelFactory(owner=cast.manager).pk,
    }


def performance_snapshot() -> tuple:
    return (
        MetricSample.objects.count(),
        sorted(MetricImport.objects.values_list("pk", "status")),
        CustomMetric.objects.count(),
        sorted(GoalTracking.objects.values_list("pk", "version")),
        ReportSnapshot.objects.count(),
        sorted(ReportLink.objects.values_list("pk", "revoked_at")),
        sorted(ApiToken.objects.values_list("pk", "revoked_at")),
    )

"""Reads: a project's figures against its goals, a channel's across projects, and the
objects of this app through their permission getters.

All sums happen in the database, grouped by (channel, metric) and by (day, metric); the
number of queries does not depend on the number of samples. Python only walks those
aggregates (at most one row per day and metric) to build running totals for the charts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils import timezone

from synchrony.launches.models import Activation, ActivationState, Channel, Launch, LaunchStatus
from synchrony.performance.models import (
    BUILTIN_KINDS,
    Aggregation,
    BuiltinMetric,
    CustomMetric,
    GoalTracking,
    MetricImport,
    MetricSample,
    ReportLink,
    ReportSnapshot,
    Trajectory,
)
from synchrony.performance.trajectory import ON_TRACK_LAG, classify
from synchrony.planning.models import BudgetLine
from synchrony.projects.models import Goal, Project, Role, Stage, StageTransition
from synchrony.projects.selectors import Need, get_project_for_user, projects_for_user

if TYPE_CHECKING:
    from synchrony.accounts.models import User

# Words in a goal's name that say which built-in metric measures it, as a total.
GUESSES = [
    ("lead", BuiltinMetric.LEADS),
    ("click", BuiltinMetric.CLICKS),
    ("impression", BuiltinMetric.IMPRESSIONS),
    ("conversion", BuiltinMetric.CONVERSIONS),
    ("revenue", BuiltinMetric.REVENUE),
    ("spend", BuiltinMetric.SPEND),
]


def guess_tracking(goal: Goal, custom: dict[str, str]) -> GoalTracking | None:
    """How a goal is measured when nobody said: a metric named in its name, as a total.

    A percentage goal is never guessed (it needs a second metric).
    """
    if goal.unit.strip() == "%":
        return None
    name = goal.metric.casefold()
    for key, label in custom.items():
        if key in name or label.casefold() in name:
            return GoalTracking(goal=goal, metric=key, aggregation=Aggregation.TOTAL)
    for word, key in GUESSES:
        if word in name:
            return GoalTracking(goal=goal, metric=key, aggregation=Aggregation.TOTAL)
    return None


def _s(value: Decimal | None, places: str = "0.01") -> str | None:
    return None if value is None else str(value.quantize(Decimal(places)))


def _ratio(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def measure_label(tracking: GoalTracking, labels: dict[str, str]) -> str:
    name = labels.get(tracking.metric, tracking.metric)
    if tracking.aggregation == Aggregation.RATIO:
        return f"{name} as % of {labels.get(tracking.denominator, tracking.denominator).lower()}"
    if tracking.aggregation == Aggregation.LATEST:
        return f"{name}, latest day"
    return f"{name}, total since the start plus the baseline"


def report_figures(project: Project, *, as_of: dt.date | None = None) -> dict[str, Any]:
    """Everything the dashboard, the report, a snapshot and the CSV show, as plain data
    (numbers as strings) that a snapshot can store as it is."""
    as_of = as_of or timezone.localdate()
    start = project.promotion_start
    samples = MetricSample.objects.filter(project=project, date__lte=as_of)
    if start is not None:
        samples = samples.filter(date__gte=start)
    by_channel = list(
        samples.values_list("channel_id", "metric").annotate(total=Sum("value")).order_by()
    )
    # Unordered: Python sorts the (at most days times metrics) rows it gets, which is cheaper
    # than a sort node over the aggregate.
    daily = list(
        samples.values_list("date", "metric").annotate(total=Sum("value"), n=Count("*")).order_by()
    )
    custom = {c.key: c for c in CustomMetric.objects.filter(project=project)}
    labels = {key: str(BuiltinMetric(key).label) for key in BUILTIN_KINDS}
    labels.update({key: c.name for key, c in custom.items()})
    kinds = dict(BUILTIN_KINDS) | {key: c.kind for key, c in custom.items()}
    goals = list(Goal.objects.filter(project=project).select_related("tracking"))
    budget_actual = BudgetLine.objects.filter(project=project).aggregate(s=Sum("actual"))["s"]
    channel_ids = {c for c, _, _ in by_channel}
    channels = list(
        Channel.objects.filter(Q(projects=project) | Q(pk__in=channel_ids))
        .distinct()
        .only("pk", "name", "colour")
        .order_by("name")
    )

    # Per channel and project totals.
    per_channel: dict[int, dict[str, Decimal]] = defaultdict(dict)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for channel_id, metric, total in by_channel:
        per_channel[channel_id][metric] = total
        totals[metric] += total
    present = [k for k in labels if k in totals]
    channel_rows = []
    for channel in channels:
        figures = per_channel.get(channel.pk, {})
        spend, leads, revenue = (figures.get(k) for k in ("spend", "leads", "revenue"))
        channel_rows.append(
            {
                "id": channel.pk,
                "name": channel.name,
                "colour": channel.colour,
                "values": {k: _s(figures.get(k)) for k in present},
                "cost_per_lead": _s(_ratio(spend, leads)),
                "return_on_spend": _s(_ratio(revenue, spend)),
            }
        )
    spend_total = totals.get("spend", Decimal(0))
    cost = (budget_actual or Decimal(0)) + spend_total
    money = {
        "budget_actual": _s(budget_actual or Decimal(0)),
        "spend": _s(spend_total),
        "cost": _s(cost),
        "leads": _s(totals.get("leads")),
        "revenue": _s(totals.get("revenue")),
        "cost_per_lead": _s(_ratio(cost, totals.get("leads"))),
        "return_on_spend": _s(_ratio(totals.get("revenue"), cost)),
    }

    # Daily series per metric, and running totals for the goals.
    dates = sorted({d for d, _, _, _ in daily})
    day_totals: dict[str, dict[dt.date, Decimal]] = defaultdict(dict)
    day_counts: dict[str, dict[dt.date, int]] = defaultdict(dict)
    for day, metric, total, n in daily:
        day_totals[metric][day] = total
        day_counts[metric][day] = n
    trend = [
        {
            "key": key,
            "label": labels[key],
            "kind": kinds[key],
            "points": [[d.isoformat(), _s(v)] for d, v in sorted(day_totals[key].items())],
        }
        for key in present
    ]

    goal_rows = []
    for goal in goals:
        tracking = getattr(goal, "tracking", None) or guess_tracking(
            goal, {k: c.name for k, c in custom.items()}
        )
        goal_rows.append(
            _goal_figures(goal, tracking, project, as_of, dates, day_totals, day_counts, labels)
        )

    return {
        "project": {"id": project.pk, "name": project.name},
        "as_of": as_of.isoformat(),
        "start": start.isoformat() if start else None,
        "end": project.promotion_end.isoformat() if project.promotion_end else None,
        "currency": settings.CURRENCY,
        "goals": goal_rows,
        "metrics": [{"key": k, "label": labels[k], "kind": kinds[k]} for k in present],
        "totals": {k: _s(totals[k]) for k in present},
        "channels": channel_rows,
        "money": money,
        "trend": trend,
        "samples_days": len(dates),
    }


def _goal_figures(
    goal: Goal,
    tracking: GoalTracking | None,
    project: Project,
    as_of: dt.date,
    dates: list[dt.date],
    day_totals: dict[str, dict[dt.date, Decimal]],
    day_counts: dict[str, dict[dt.date, int]],
    labels: dict[str, str],
) -> dict[str, Any]:
    start = project.promotion_start or timezone.localdate(goal.created_at)
    row: dict[str, Any] = {
        "id": goal.pk,
        "metric": goal.metric,
        "unit": goal.unit,
        "baseline": _s(goal.baseline),
        "target": _s(goal.target),
        "due_date": goal.due_date.isoformat(),
        "start": start.isoformat(),
        "measure": None,
        "tracked_metric": None,
        "actual": None,
        "expected": None,
        "lag_pct": None,
        "status": Trajectory.NOT_MEASURED.value,
        "status_label": str(Trajectory.NOT_MEASURED.label),
        "series": [],
    }
    if tracking is None:
        return row
    row["measure"] = measure_label(tracking, labels)
    row["tracked_metric"] = tracking.metric
    row["aggregation"] = tracking.aggregation
    series: list[tuple[dt.date, Decimal]] = []
    numerator = day_totals.get(tracking.metric, {})
    if tracking.aggregation == Aggregation.TOTAL:
        running = goal.baseline
        for day in dates:
            if day in numerator:
                running += numerator[day]
                series.append((day, running))
    elif tracking.aggregation == Aggregation.RATIO:
        denominator = day_totals.get(tracking.denominator, {})
        num = den = Decimal(0)
        for day in dates:
            num += numerator.get(day, Decimal(0))
            den += denominator.get(day, Decimal(0))
            if den and (day in numerator or day in denominator):
                series.append((day, num / den * 100))
    else:
        counts = day_counts.get(tracking.metric, {})
        for day in dates:
            if day in numerator:
                series.append((day, numerator[day] / counts[day]))
    actual = series[-1][1] if series else None
    status, lag, expected = classify(
        baseline=goal.baseline,
        target=goal.target,
        actual=actual,
        start=start,
        due=goal.due_date,
        day=as_of,
    )
    row.update(
        actual=_s(actual),
        expected=_s(expected),
        lag_pct=_s(lag * 100, "0.1") if lag is not None else None,
        status=str(status),
        status_label=str(Trajectory(status).label),
        series=[[d.isoformat(), _s(v)] for d, v in series],
    )
    return row


def goals_below_trajectory(project: Project, *, as_of: dt.date | None = None) -> list[dict]:
    """For the stand-up agenda: the project's goals at risk or off track today, each with
    its figures (metric, unit, baseline, target, actual, expected, lag_pct, status_label).
    A constant number of queries."""
    figures = report_figures(project, as_of=as_of)
    return [
        g for g in figures["goals"] if g["status"] in (Trajectory.AT_RISK, Trajectory.OFF_TRACK)
    ]


def channel_figures(user: User, channel: Channel, *, as_of: dt.date | None = None) -> dict:
    """One channel across the projects the user is in: totals per project and metric."""
    as_of = as_of or timezone.localdate()
    visible = projects_for_user(user)
    rows = list(
        MetricSample.objects.filter(channel=channel, date__lte=as_of, project__in=visible)
        .values_list("project_id", "project__name", "metric")
        .annotate(total=Sum("value"))
        .order_by("project__name", "project_id")
    )
    projects: dict[int, dict[str, Any]] = {}
    metrics: set[str] = set()
    for project_id, name, metric, total in rows:
        entry = projects.setdefault(project_id, {"id": project_id, "name": name, "values": {}})
        entry["values"][metric] = total
        metrics.add(metric)
    custom = dict(
        CustomMetric.objects.filter(project_id__in=list(projects)).values_list("key", "name")
    )
    keys = [k for k in BUILTIN_KINDS if k in metrics] + sorted(metrics - set(BUILTIN_KINDS))
    totals = {
        k: sum((p["values"].get(k, Decimal(0)) for p in projects.values()), Decimal(0))
        for k in keys
    }
    for entry in projects.values():
        v = entry["values"]
        entry["cost_per_lead"] = _ratio(v.get("spend"), v.get("leads"))
        entry["return_on_spend"] = _ratio(v.get("revenue"), v.get("spend"))
        entry["cells"] = [v.get(k) for k in keys]
    return {
        "metrics": [
            (k, str(BuiltinMetric(k).label) if k in BUILTIN_KINDS else custom.get(k, k))
            for k in keys
        ],
        "projects": list(projects.values()),
        "totals": [totals[k] for k in keys],
        "cost_per_lead": _ratio(totals.get("spend"), totals.get("leads")),
        "return_on_spend": _ratio(totals.get("revenue"), totals.get("spend")),
    }


def get_import_for_user(user: User, pk: int, *, write: bool = False) -> MetricImport:
    """Imports are read by the project's members; confirmed by their uploader or a manager."""
    found = (
        MetricImport.objects.defer("content")
        .filter(pk=pk, project__in=projects_for_user(user))
        .first()
    )
    if found is None:
        raise Http404("No such import.")
    found.project = get_project_for_user(
        user, found.project_id, need=Need.CONTRIBUTE if write else Need.VIEW
    )
    if write and found.created_by_id != user.pk and found.project.user_role != Role.MANAGER:
        raise PermissionDenied("Only the person who uploaded it or a manager imports this file.")
    return found


def get_snapshot_for_user(user: User, pk: int, *, write: bool = False) -> ReportSnapshot:
    """Snapshots are read by members; made, shared and deleted by managers."""
    snapshot = ReportSnapshot.objects.filter(pk=pk, project__in=projects_for_user(user)).first()
    if snapshot is None:
        raise Http404("No such snapshot.")
    snapshot.project = get_project_for_user(
        user, snapshot.project_id, need=Need.MANAGE if write else Need.VIEW, allow_closed=True
    )
    return snapshot


def get_report_link_for_user(user: User, pk: int, *, write: bool = False) -> ReportLink:
    link = (
        ReportLink.objects.select_related("snapshot")
        .filter(pk=pk, project__in=projects_for_user(user))
        .first()
    )
    if link is None:
        raise Http404("No such link.")
    link.project = get_project_for_user(
        user, link.project_id, need=Need.MANAGE if write else Need.VIEW, allow_closed=True
    )
    return link


def on_track_tolerance_pct() -> int:
    return int(ON_TRACK_LAG * 100)


# Launch outcomes a digest reports, and activation states that count as a failure.
DIGEST_LAUNCH_STATUSES = (
    LaunchStatus.LAUNCHED,
    LaunchStatus.PARTLY_LAUNCHED,
    LaunchStatus.FAILED,
    LaunchStatus.HELD,
)
DIGEST_FAILED_STATES = (ActivationState.FAILED, ActivationState.UNKNOWN)
# Goals are worth a line while their figures still move (as the daily evaluation).
DIGEST_GOAL_STAGES = (Stage.ACTIVATION, Stage.PERFORMANCE, Stage.REVIEW)


def digest_for_user(
    user: User, *, start: dt.datetime, end: dt.datetime, as_of: dt.date
) -> dict[str, Any] | None:
    """What changed in the user's projects in [start, end): launches that went out, were
    held or failed, channels that failed, stage changes; and the goals at risk or off
    track as of `as_of`. None when there is nothing to say.

    "My projects" are those the user is a member of (an administrator's digest does not
    cover every project). A few queries per project with watched goals, none per sample.
    """
    projects = {p.pk: p for p in Project.objects.filter(memberships__user=user).order_by("name")}
    if not projects:
        return None
    launches = list(
        Launch.objects.filter(project_id__in=projects, status__in=DIGEST_LAUNCH_STATUSES)
        .filter(
            Q(finished_at__gte=start, finished_at__lt=end)
            | Q(status=LaunchStatus.HELD, updated_at__gte=start, updated_at__lt=end)
        )
        .select_related("project")
        .order_by("go_live", "pk")
    )
    failures = list(
        Activation.objects.filter(
            launch__project_id__in=projects,
            state__in=DIGEST_FAILED_STATES,
            failed_at__gte=start,
            failed_at__lt=end,
        )
        .select_related("launch__project", "channel")
        .order_by("failed_at", "pk")
    )
    stages = list(
        StageTransition.objects.filter(
            project_id__in=projects, created_at__gte=start, created_at__lt=end
        )
        .select_related("project", "actor")
        .order_by("created_at", "pk")
    )
    goals = []
    for project in projects.values():
        if project.stage in DIGEST_GOAL_STAGES:
            for goal in goals_below_trajectory(project, as_of=as_of):
                goals.append({**goal, "project": project})
    if not (launches or failures or stages or goals):
        return None
    return {
        "launches": launches,
        "failures": failures,
        "stages": stages,
        "goals": goals,
    }

from __future__ import annotations

import json
from html import escape
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from synchrony.accounts.http import AuthedRequest
from synchrony.launches.selectors import get_channel_for_user
from synchrony.performance import csvio, services
from synchrony.performance.charts import line_chart
from synchrony.performance.forms import (
    CustomMetricForm,
    SampleForm,
    SnapshotForm,
    TrackingForm,
    UploadForm,
)
from synchrony.performance.ingest import SamplesInvalid, example_sample
from synchrony.performance.models import (
    CustomMetric,
    ImportStatus,
    MetricImport,
    MetricSample,
    ReportLink,
    ReportSnapshot,
)
from synchrony.performance.selectors import (
    channel_figures,
    get_import_for_user,
    get_report_link_for_user,
    get_snapshot_for_user,
    report_figures,
)
from synchrony.performance.templatetags.performance_tags import num
from synchrony.performance.trajectory import AT_RISK_LAG, ON_TRACK_LAG
from synchrony.projects.models import Project
from synchrony.projects.selectors import Need, get_goal_for_user, get_project_for_user, role_allows

RULE = {"on_track": int(ON_TRACK_LAG * 100), "at_risk": int(AT_RISK_LAG * 100)}


def _rows(points: list[list[str | None]]) -> SafeString:
    """A chart's data table rows, built here: a year of days is hundreds of rows per chart,
    and the template engine (or format_html, with its lazy-string checks per cell) takes
    several times longer. The stdlib's escape is the same escaping, without the checks."""
    return mark_safe(  # noqa: S308 — every cell is escaped
        "".join(
            f'<tr><td>{escape(str(d))}</td><td class="num">{escape(num(v))}</td></tr>'
            for d, v in points
        )
    )


def decorate(figures: dict[str, Any], *, tables: bool = True) -> dict[str, Any]:
    """Charts and their data tables for the figures (drawn at render time; a snapshot
    stores only numbers). Without `tables`, the page loads each table when it is opened
    (`data_tables`)."""
    for goal in figures["goals"]:
        if tables:
            goal["table_rows"] = _rows(goal["series"])
        goal["chart"] = line_chart(
            chart_id=f"goal-{goal['id']}",
            title=f"{goal['metric']}: actual against the line from baseline to target",
            points=goal["series"],
            expected=[(goal["start"], goal["baseline"]), (goal["due_date"], goal["target"])]
            if goal["measure"]
            else None,
            target=goal["target"],
        )
    for trend in figures["trend"]:
        if tables:
            trend["table_rows"] = _rows(trend["points"])
        trend["chart"] = line_chart(
            chart_id=f"trend-{trend['key']}",
            title=f"{trend['label']} per day",
            points=trend["points"],
            colour="#2b8a3e",
        )
    return figures


def _can(project: Project, need: Need) -> bool:
    return role_allows(project.user_role, need) and not project.is_closed


@require_GET
def dashboard(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    # The charts' data tables (a year of days each) are loaded when opened: rendering
    # them all made up half of the page's weight and a good part of its time.
    figures = decorate(report_figures(project), tables=False)
    manage = _can(project, Need.MANAGE)
    tracking_forms = {}
    if manage:
        for goal in figures["goals"]:
            initial = {
                "aggregation": goal.get("aggregation", "total"),
                "metric": goal["tracked_metric"],
            }
            tracking_forms[goal["id"]] = TrackingForm(
                project=project, prefix_id=str(goal["id"]), initial=initial
            )
        for goal in figures["goals"]:
            goal["form"] = tracking_forms.get(goal["id"])
    return render(
        request,
        "performance/dashboard.html",
        {
            "project": project,
            "stage": "performance",
            "figures": figures,
            "can_manage": manage,
            "can_contribute": _can(project, Need.CONTRIBUTE),
            "rule": RULE,
            "lazy_tables": True,
        },
    )


@require_GET
@vary_on_headers("HX-Request")
def data_tables(request: AuthedRequest, pk: int) -> HttpResponse:
    """The dashboard charts' data tables: one (`?table=goal-3`, `trend-leads`) for htmx
    when a reader opens it under its chart, or a page of them all, one anchor each, for a
    browser without JavaScript."""
    project = get_project_for_user(request.user, pk)
    figures = report_figures(project)
    tables = [
        {"id": f"goal-{g['id']}", "title": g["metric"], "column": "Actual", "points": g["series"]}
        for g in figures["goals"]
        if g["measure"] and g["series"]
    ] + [
        {
            "id": f"trend-{t['key']}",
            "title": f"{t['label']} per day",
            "column": t["label"],
            "points": t["points"],
        }
        for t in figures["trend"]
    ]
    wanted = request.GET.get("table")
    if request.htmx and wanted:
        table = next((t for t in tables if t["id"] == wanted), None)
        if table is None:
            raise Http404("No such table.")
        table["rows"] = _rows(table["points"])
        return render(request, "performance/tables.html#table", {"table": table})
    for table in tables:
        table["rows"] = _rows(table["points"])
    return render(
        request,
        "performance/tables.html",
        {"project": project, "stage": "performance", "figures": figures, "tables": tables},
    )


def _data_page(
    request: AuthedRequest, project: Project, status: int = 200, **forms: Any
) -> HttpResponse:
    contribute = _can(project, Need.CONTRIBUTE)
    manage = _can(project, Need.MANAGE)
    return render(
        request,
        "performance/data.html",
        {
            "project": project,
            "stage": "performance",
            "can_contribute": contribute,
            "can_manage": manage,
            "sample_form": forms.get("sample_form")
            or (SampleForm(project=project) if contribute else None),
            "upload_form": forms.get("upload_form") or (UploadForm() if contribute else None),
            "metric_form": forms.get("metric_form") or (CustomMetricForm() if manage else None),
            "upload_error": forms.get("upload_error"),
            "imports": MetricImport.objects.filter(project=project)
            .defer("content")
            .select_related("created_by")[:20],
            "custom_metrics": CustomMetric.objects.filter(project=project),
            "sample_count": MetricSample.objects.filter(project=project).count(),
            "max_mb": settings.METRICS_UPLOAD_MAX_BYTES / 1_000_000,
            "max_bytes": settings.METRICS_UPLOAD_MAX_BYTES,
            "currency": settings.CURRENCY,
            "api_url": request.build_absolute_uri(reverse("api:metric-samples")),
            "api_example": json.dumps({"samples": [example]}, ensure_ascii=False)
            if (example := example_sample(project, timezone.localdate()))
            else "",
        },
        status=status,
    )


@require_GET
def data(request: AuthedRequest, pk: int) -> HttpResponse:
    return _data_page(request, get_project_for_user(request.user, pk))


@require_POST
def sample_create(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, need=Need.CONTRIBUTE)
    form = SampleForm(request.POST, project=project)
    if form.is_valid():
        try:
            services.samples_record(actor=request.user, project=project, rows=[form.row()])
        except SamplesInvalid as error:
            for e in error.errors:
                field = e.field if e.field in form.fields else None
                if field == "project":
                    field = None
                form.add_error(field if field != "activation" else "channel", e.message)
        else:
            messages.success(request, "Figure saved.")
            return redirect("performance:data", pk=project.pk)
    return _data_page(request, project, status=422, sample_form=form)


@require_POST
def upload(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, need=Need.CONTRIBUTE)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _data_page(request, project, status=422, upload_form=form)
    upload = form.cleaned_data["file"]
    if upload.size > settings.METRICS_UPLOAD_MAX_BYTES:
        # Refused from its size, before reading it.
        return _data_page(
            request,
            project,
            status=413,
            upload_form=form,
            upload_error=services._too_big(upload.size),
        )
    try:
        metric_import, _ = services.import_check(
            actor=request.user,
            project=project,
            file_name=upload.name or "upload.csv",
            data=upload.read(),
            source=form.cleaned_data["source"] or "csv",
        )
    except csvio.CsvRefused as error:
        return _data_page(request, project, status=422, upload_form=form, upload_error=str(error))
    except SamplesInvalid as error:
        return render(
            request,
            "performance/import_errors.html",
            {
                "project": project,
                "stage": "performance",
                "file_name": upload.name,
                "errors": error.errors,
                "total": error.total,
                "more": error.total - len(error.errors),
                "upload_form": UploadForm(initial={"source": form.cleaned_data["source"]}),
                "max_bytes": settings.METRICS_UPLOAD_MAX_BYTES,
                "max_mb": settings.METRICS_UPLOAD_MAX_BYTES / 1_000_000,
            },
            status=422,
        )
    return redirect(metric_import.get_absolute_url(), permanent=False)


@require_GET
@vary_on_headers("HX-Request")
def import_detail(request: AuthedRequest, import_pk: int) -> HttpResponse:
    metric_import = get_import_for_user(request.user, import_pk)
    project = metric_import.project
    can_confirm = (
        _can(project, Need.CONTRIBUTE)
        and metric_import.status in (ImportStatus.READY, ImportStatus.FAILED)
        and (metric_import.created_by_id == request.user.pk or _can(project, Need.MANAGE))
    )
    done = services.import_progress(metric_import)
    context = {
        "project": project,
        "stage": "performance",
        "imp": metric_import,
        "summary": metric_import.summary,
        "can_confirm": can_confirm,
        "done": done,
        "percent": int(done * 100 / metric_import.rows) if metric_import.rows else 0,
        "running": metric_import.status in (ImportStatus.QUEUED, ImportStatus.IMPORTING),
    }
    template = "performance/import_detail.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, context)


@require_POST
def import_confirm(request: AuthedRequest, import_pk: int) -> HttpResponse:
    metric_import = get_import_for_user(request.user, import_pk, write=True)
    try:
        metric_import = services.import_confirm(actor=request.user, metric_import=metric_import)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        if metric_import.status == ImportStatus.DONE:
            rows = metric_import.rows
            messages.success(
                request,
                f"Imported {rows:,} figure{pluralize(rows)} from {metric_import.file_name}.",
            )
        elif metric_import.status == ImportStatus.FAILED:
            messages.error(request, "Nothing was imported: " + metric_import.error)
    return redirect(metric_import.get_absolute_url(), permanent=False)


@require_POST
def custom_metric_create(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, need=Need.MANAGE)
    form = CustomMetricForm(request.POST)
    if form.is_valid():
        try:
            metric = services.custom_metric_create(
                actor=request.user, project=project, **form.cleaned_data
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, f"Metric “{metric.name}” added.")
            return redirect("performance:data", pk=project.pk)
    return _data_page(request, project, status=422, metric_form=form)


@require_POST
def tracking_set(request: AuthedRequest, goal_pk: int) -> HttpResponse:
    goal = get_goal_for_user(request.user, goal_pk, write=True)
    form = TrackingForm(request.POST, project=goal.project, prefix_id=str(goal.pk))
    if form.is_valid():
        try:
            services.tracking_set(actor=request.user, goal=goal, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"“{goal}” is measured as you said; its status is fresh.")
    else:
        messages.error(
            request,
            # An ErrorList yields its messages (as strings), whatever it holds.
            "Not saved: " + "; ".join(str(e) for errs in form.errors.values() for e in errs),
        )
    return redirect("performance:dashboard", pk=goal.project_id)


def _report_page(
    request: HttpRequest,
    *,
    figures: dict[str, Any],
    project: Project,
    snapshot: ReportSnapshot | None = None,
    shared: bool = False,
    **extra: Any,
) -> HttpResponse:
    return render(
        request,
        "performance/report.html",
        {
            "figures": decorate(figures),
            "project": project,
            "snapshot": snapshot,
            "shared": shared,
            "rule": RULE,
            **extra,
        },
    )


def _manager_extras(
    request: AuthedRequest, project: Project, snapshot: ReportSnapshot | None
) -> dict:
    if not _can(project, Need.MANAGE):
        return {}
    links = ReportLink.objects.filter(project=project, snapshot=snapshot).select_related("snapshot")
    return {
        "can_manage": True,
        "links": links,
        "snapshot_form": SnapshotForm() if snapshot is None else None,
        "snapshots": ReportSnapshot.objects.filter(project=project).only(
            "pk", "title", "as_of", "created_at"
        )
        if snapshot is None
        else None,
    }


@require_GET
def report(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    extras = _manager_extras(request, project, None)
    if not extras:
        extras["snapshots"] = ReportSnapshot.objects.filter(project=project).only(
            "pk", "title", "as_of", "created_at"
        )
    return _report_page(request, figures=report_figures(project), project=project, **extras)


def _csv_response(figures: dict[str, Any], name: str) -> HttpResponse:
    rows: list[list[Any]] = [
        ["Report", figures["project"]["name"], "as of", figures["as_of"]],
        [],
        ["Goal", "Unit", "Baseline", "Target", "Due", "Actual", "Expected today", "Status"],
    ]
    for g in figures["goals"]:
        rows.append(
            [
                g["metric"],
                g["unit"],
                g["baseline"],
                g["target"],
                g["due_date"],
                g["actual"] or "",
                g["expected"] or "",
                g["status_label"],
            ]
        )
    labels = [m["label"] for m in figures["metrics"]]
    keys = [m["key"] for m in figures["metrics"]]
    rows += [[], ["Channel", *labels, "Cost per lead", "Return on spend"]]
    for c in figures["channels"]:
        rows.append(
            [
                c["name"],
                *[c["values"].get(k) or "" for k in keys],
                c["cost_per_lead"] or "",
                c["return_on_spend"] or "",
            ]
        )
    rows.append(["Total", *[figures["totals"].get(k) or "" for k in keys]])
    money = figures["money"]
    rows += [
        [],
        ["Budget actuals", money["budget_actual"]],
        ["Spend (metrics)", money["spend"]],
        ["Cost", money["cost"]],
        ["Cost per lead", money["cost_per_lead"] or ""],
        ["Return on spend", money["return_on_spend"] or ""],
        [],
        ["Date", "Metric", "Value"],
    ]
    for trend in figures["trend"]:
        for day, value in trend["points"]:
            rows.append([day, trend["key"], value])
    response = HttpResponse(csvio.write_csv(rows), content_type="text/csv; charset=utf-8")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)[:80]
    response["Content-Disposition"] = f'attachment; filename="{safe}.csv"'
    return response


@require_GET
def report_csv(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    figures = report_figures(project)
    return _csv_response(figures, f"{project.name}-{figures['as_of']}")


@require_POST
def snapshot_create(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, need=Need.MANAGE)
    form = SnapshotForm(request.POST)
    if form.is_valid():
        try:
            snapshot = services.snapshot_create(
                actor=request.user, project=project, **form.cleaned_data
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Snapshot “{snapshot}” saved: its figures will not change.")
            return redirect(snapshot.get_absolute_url(), permanent=False)
    else:
        messages.error(request, "Choose the day the figures are as of.")
    return redirect("performance:report", pk=project.pk)


@require_GET
def snapshot_detail(request: AuthedRequest, snapshot_pk: int) -> HttpResponse:
    snapshot = get_snapshot_for_user(request.user, snapshot_pk)
    return _report_page(
        request,
        figures=snapshot.figures,
        project=snapshot.project,
        snapshot=snapshot,
        **_manager_extras(request, snapshot.project, snapshot),
    )


@require_GET
def snapshot_csv(request: AuthedRequest, snapshot_pk: int) -> HttpResponse:
    snapshot = get_snapshot_for_user(request.user, snapshot_pk)
    return _csv_response(snapshot.figures, f"{snapshot.project.name}-{snapshot.as_of}")


@require_POST
def link_create(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, need=Need.MANAGE, allow_closed=True)
    snapshot = None
    raw = request.POST.get("snapshot", "")
    if raw:
        if not raw.isdigit() or len(raw) > 12:
            raise Http404("No such snapshot.")
        snapshot = ReportSnapshot.objects.filter(pk=int(raw), project=project).first()
        if snapshot is None:
            raise Http404("No such snapshot.")
    try:
        _, token = services.report_link_create(
            actor=request.user, project=project, snapshot=snapshot
        )
    except PermissionDenied:
        raise Http404("No such snapshot.") from None
    url = request.build_absolute_uri(reverse("performance:shared", args=[token]))
    extras = _manager_extras(request, project, snapshot)
    figures = snapshot.figures if snapshot else report_figures(project)
    return _report_page(
        request, figures=figures, project=project, snapshot=snapshot, new_link=url, **extras
    )


@require_POST
def link_revoke(request: AuthedRequest, performance_link_pk: int) -> HttpResponse:
    link = get_report_link_for_user(request.user, performance_link_pk, write=True)
    services.report_link_revoke(actor=request.user, link=link)
    messages.success(request, "Link revoked: it now leads nowhere.")
    if link.snapshot is not None:
        return redirect(link.snapshot.get_absolute_url(), permanent=False)
    return redirect("performance:report", pk=link.project_id)


@login_not_required
@require_GET
def shared(request: HttpRequest, token: str) -> HttpResponse:
    """A report behind a read-only link; unknown or revoked is a bare 404."""
    link = services.report_link_by_token(token)
    if link is None:
        raise Http404("No such report.")
    figures = link.snapshot.figures if link.snapshot else report_figures(link.project)
    return _report_page(
        request, figures=figures, project=link.project, snapshot=link.snapshot, shared=True
    )


@require_GET
def channel(request: AuthedRequest, channel_pk: int) -> HttpResponse:
    found = get_channel_for_user(request.user, channel_pk)
    return render(
        request,
        "performance/channel.html",
        {
            "channel": found,
            "figures": channel_figures(request.user, found),
            "today": timezone.localdate(),
        },
    )

"""Timelines: a project's stages, tasks and dates; the portfolio; the team's progress.

Read-only pages for every member, viewers included. Zoom and paging links swap the
chart in place with htmx (the named partial `chart`) and work as plain links too.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from synchrony.accounts.http import AuthedRequest
from synchrony.projects.selectors import get_project_for_user
from synchrony.timelines import markup, selectors
from synchrony.timelines.selectors import Zoom, parse_start, parse_zoom


def page_or_chart(
    request: AuthedRequest, template: str, context: dict[str, object]
) -> HttpResponse:
    context["zooms"] = list(Zoom)
    return render(request, f"{template}#chart" if request.htmx else template, context)


@require_GET
@vary_on_headers("HX-Request")
def project_timeline(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    zoom = parse_zoom(request.GET.get("zoom"))
    start = parse_start(request.GET.get("from"), today=timezone.localdate())
    timeline = selectors.project_timeline(project, zoom=zoom, start=start)
    return page_or_chart(
        request,
        "timelines/project.html",
        {"project": project, "timeline": timeline, "zoom": zoom},
    )


@require_GET
@vary_on_headers("HX-Request")
def portfolio_timeline(request: AuthedRequest) -> HttpResponse:
    zoom = parse_zoom(request.GET.get("zoom"))
    start = parse_start(request.GET.get("from"), today=timezone.localdate())
    portfolio = selectors.portfolio_timeline(request.user, zoom=zoom, start=start)
    # The rows as markup, and nothing else of them: Django's template context is a
    # reference cycle, and through the rows it would keep thousands of bands, markers and
    # projects alive until the garbage collector walks them all.
    chart = {
        "scale": portfolio.scale,
        "hidden": portfolio.hidden,
        "count": len(portfolio.rows),
        "rows_html": markup.portfolio_rows(portfolio.rows, zoom),
    }
    return page_or_chart(request, "timelines/portfolio.html", {"portfolio": chart, "zoom": zoom})


@require_GET
def team_progress(request: AuthedRequest) -> HttpResponse:
    return render(request, "timelines/team.html", {"team": selectors.team_progress(request.user)})

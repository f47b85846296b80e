from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_not_required
from django.core.handlers.asgi import ASGIRequest
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from synchrony.accounts.http import AuthedRequest
from synchrony.activity.live import channel_name, event_stream
from synchrony.activity.models import Notification
from synchrony.activity.services import mark_read


@require_GET
def notification_list(request: AuthedRequest) -> HttpResponse:
    notifications = Notification.objects.filter(recipient=request.user).select_related("project")
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    return render(request, "activity/notifications.html", {"page": page})


@require_POST
def notification_open(request: AuthedRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    safe = url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()})
    return redirect(notification.url if notification.url and safe else "activity:notifications")


@require_POST
def notification_read_all(request: AuthedRequest) -> HttpResponse:
    mark_read(user=request.user)
    return redirect("activity:notifications")


@login_not_required
@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """The database, Redis, a live Celery worker and a beat that ticked recently.

    Load balancers ask `?scope=web`: a web process is fine without a worker, and should
    not be taken out of rotation because the worker is down.
    """
    from django.core.cache import cache

    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"error: {type(error).__name__}"
    try:
        cache.set("healthz", "1", 5)
        checks["redis"] = "ok" if cache.get("healthz") == "1" else "error: no round trip"
    except Exception as error:
        checks["redis"] = f"error: {type(error).__name__}"
    if request.GET.get("scope") != "web":
        checks.update(_engine_health())
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", **checks}, status=200 if healthy else 503
    )


def _engine_health() -> dict[str, str]:
    from synchrony.celery import app
    from synchrony.launches.engine import last_tick

    checks = {}
    try:
        replies = app.control.ping(timeout=1.0, limit=1)
        checks["worker"] = "ok" if replies else "error: no worker answered within 1 s"
    except Exception as error:
        checks["worker"] = f"error: {type(error).__name__}"
    tick = last_tick()
    if tick is None:
        checks["beat"] = "error: the launch dispatcher never ran"
    else:
        age = (timezone.now() - tick).total_seconds()
        checks["beat"] = "ok" if age < 10 else f"error: last dispatcher tick {age:.0f} s ago"
    return checks


@require_GET
async def live(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The live-update stream (SSE) for the signed-in user's projects."""
    if not isinstance(request, ASGIRequest):
        # Under WSGI an endless stream would hold a worker thread for good; 204 tells the
        # browser's EventSource to stop trying. Live updates need the ASGI server.
        return HttpResponse(status=204)
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponse(status=401)
    project_ids, team_ids, series_ids = await sync_to_async(_followed)(user)
    response = StreamingHttpResponse(
        event_stream(project_ids, channel_name(), team_ids=team_ids, series_ids=series_ids),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # let proxies pass events through at once
    return response


def _followed(user: Any) -> tuple[frozenset[int], frozenset[int], frozenset[int]]:
    """What the user's pages show: their projects, and the stand-ups of their teams or
    that are theirs on no project of theirs (as their calendar shows them)."""
    from synchrony.projects.selectors import projects_for_user
    from synchrony.standups.selectors import team_series_for_calendar

    try:
        return (
            frozenset(projects_for_user(user).values_list("pk", flat=True)),
            frozenset(user.teams.values_list("pk", flat=True)),
            frozenset(team_series_for_calendar(user).values_list("pk", flat=True)),
        )
    finally:
        # The stream may stay open for hours: it must not keep a database connection
        # (unless it is inside a transaction it does not own, as in a test).
        if not connection.in_atomic_block:
            connection.close()

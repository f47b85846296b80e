from __future__ import annotations

import calendar as cal
import datetime as dt
import zoneinfo
from collections import defaultdict
from html import escape
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from synchrony.accounts.http import AuthedRequest, back_to_next
from synchrony.activity.forms import error_text
from synchrony.activity.services import StaleEdit
from synchrony.calendars import markup, services
from synchrony.calendars.forms import VIEWS, CalendarForm, SaveFilterForm, ShareLinkForm
from synchrony.calendars.ics import build_calendar
from synchrony.calendars.models import FeedToken, SavedFilter, ShareLink
from synchrony.calendars.selectors import Filters, Item, calendar_items, filter_choices
from synchrony.launches.selectors import get_launch_for_user
from synchrony.launches.views import move_as_posted
from synchrony.projects.selectors import projects_for_user

AGENDA_DAYS = 14
# A crowded day in the grid shows this many items, then "+N more" (that day's agenda).
PER_DAY = {"month": 5, "week": 14}
# The agenda lists every launch, milestone and stage deadline, and this many task deadlines
# a day, then "+N more" (the agenda of task deadlines only, which lists them all).
AGENDA_TASKS = 6


def task_cap(view: str, filters: Filters) -> int | None:
    """How many task deadlines a day to read; all of them when only tasks are shown."""
    if tuple(filters.kinds) == ("task",):
        return None
    return PER_DAY.get(view, AGENDA_TASKS)


def period(view: str, day: dt.date) -> tuple[dt.date, dt.date, dt.date, dt.date, str]:
    """(first shown day, last shown day, previous anchor, next anchor, title)."""
    if view == "week":
        start = day - dt.timedelta(days=day.weekday())
        end = start + dt.timedelta(days=6)
        return (
            start,
            end,
            start - dt.timedelta(days=7),
            start + dt.timedelta(days=7),
            (f"Week of {start:%-d %b %Y}"),
        )
    if view == "agenda":
        end = day + dt.timedelta(days=AGENDA_DAYS - 1)
        step = dt.timedelta(days=AGENDA_DAYS)
        return day, end, day - step, day + step, f"{day:%-d %b} – {end:%-d %b %Y}"
    first = day.replace(day=1)
    last = first.replace(day=cal.monthrange(first.year, first.month)[1])
    start = first - dt.timedelta(days=first.weekday())
    end = last + dt.timedelta(days=6 - last.weekday())
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = last + dt.timedelta(days=1)
    return start, end, previous, following, f"{first:%B %Y}"


def calendar_context(
    items: list[Item],
    view: str,
    anchor: dt.date,
    start: dt.date,
    end: dt.date,
    hidden: dict[dt.date, int] | None = None,
    *,
    csrf_token: str = "",
    next_url: str = "",
) -> dict[str, Any]:
    """The grid's weeks and the agenda's days, each day's items as markup (see markup.py).

    `csrf_token` and `next_url` are for the agenda's quick-move forms.
    """
    hidden = hidden or {}
    by_day: dict[dt.date, list[Item]] = defaultdict(list)
    for item in items:
        by_day[item.day].append(item)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    if view == "agenda":
        return {
            "agenda": [
                (
                    d,
                    markup.items_html(
                        by_day[d], long=True, csrf_token=csrf_token, next_url=next_url
                    ),
                    hidden.get(d, 0),
                )
                for d in days
                if by_day.get(d)
            ],
            "agenda_days": len(days),
        }
    cap = PER_DAY.get(view, 10_000)
    cells = [
        {
            "day": d,
            "iso": d.isoformat(),
            "items": markup.items_html(by_day.get(d, [])[:cap]),
            "more": max(len(by_day.get(d, [])) - cap, 0) + hidden.get(d, 0),
            "in_month": d.month == anchor.month,
        }
        for d in days
    ]
    return {
        "weeks": [cells[i : i + 7] for i in range(0, len(cells), 7)],
        "weekday_names": [cal.day_abbr[i] for i in range(7)],
    }


@require_GET
def calendar_view(request: AuthedRequest) -> HttpResponse:
    projects = projects_for_user(request.user)
    form = CalendarForm(request.GET or None, projects=projects)
    today = timezone.localdate()
    view, anchor, filters = form.values(today)
    start, end, previous, following, title = period(view, anchor)
    hidden: dict[dt.date, int] = {}
    items = calendar_items(
        request.user,
        start,
        end,
        filters,
        launches_per_day=PER_DAY.get(view),
        tasks_per_day=task_cap(view, filters),
        hidden=hidden,
    )
    query = request.GET.copy()
    links = {}
    for name, day in (("previous", previous), ("next", following), ("today", today)):
        query["date"] = day.isoformat()
        links[name] = f"?{query.urlencode()}"
    views = {}
    for value, _label in VIEWS:
        query["view"], query["date"] = value, anchor.isoformat()
        views[value] = f"?{query.urlencode()}"
    ctx = {
        "form": form,
        "view": view,
        "views": VIEWS,
        "view_links": views,
        "title": title,
        "today": today,
        "links": links,
        "filters": filters,
        "bad_filters": form.errors if form.is_bound else {},
        # Whether there is anything, not the items: the template's context is freed by the
        # garbage collector (it is a reference cycle), and through the items it would hold
        # thousands of conflicts, launches and projects for it to walk.
        "has_items": bool(items),
        "query": request.GET.urlencode(),
        **calendar_context(
            items,
            view,
            anchor,
            start,
            end,
            hidden,
            csrf_token=get_token(request),
            next_url=request.get_full_path(),
        ),
    }
    if request.htmx:
        return render(request, "calendars/calendar.html#calendar", ctx)
    choices = filter_choices(request.user)
    ctx["choices"] = choices
    # The long lists of the filter form as markup (see markup.py).
    ctx["channel_checkboxes"] = markup.channel_checkboxes(choices["channels"], filters.channels)
    ctx["project_options"] = markup.options(choices["projects"], filters.projects)
    return render(request, "calendars/calendar.html", ctx)


@require_POST
def quick_move(request: AuthedRequest, launch_pk: int) -> HttpResponse:
    """The agenda's Move box: the launch form's service and checks, answered in place.

    For htmx the answer is the item: after a refusal with its box still open, holding
    what was typed and saying why, in place; after a move as it is now, with the page's
    messages (floating in view) saying so and the calendar refreshed, as the launch may
    now be on another day. Without JavaScript: back to the page it came from, with a
    message.
    """
    launch = get_launch_for_user(request.user, launch_pk, write=True)
    try:
        moved, conflicts = move_as_posted(request, launch)
    except (StaleEdit, ValidationError) as error:
        refusal = f"“{launch}” not moved: {error_text(error)}"
        if not request.htmx:
            messages.error(request, refusal)
            return back_to_next(request, launch.get_absolute_url())
        typed = {k: request.POST.get(k, "") for k in ("local_date", "local_time")}
        # The item as it is now: after a stale refusal the box carries the current version,
        # so moving again (having seen the launch's new time) can succeed.
        return HttpResponse(_item_now(request, launch_pk, move_error=refusal, typed=typed))
    messages.success(
        request, f"“{moved}” moved to {moved.local_date:%-d %b} {moved.local_time:%H:%M}."
    )
    for conflict in conflicts:
        messages.warning(request, f"Conflict: {conflict.message}")
    if not request.htmx:
        return back_to_next(request, moved.get_absolute_url())
    # The launch may now be on another day: the calendar refreshes, and the page's messages
    # (floating in view) say where it went.
    html = _item_now(request, launch_pk) + render_to_string(
        "includes/messages.html", {"oob": True}, request
    )
    return trigger_client_event(HttpResponse(html), "calendar-changed")


def _item_now(request: AuthedRequest, launch_pk: int, **box: Any) -> str:
    """A launch's agenda item as it is in the database now, in the viewer's zone."""
    launch = get_launch_for_user(request.user, launch_pk)
    day = timezone.localtime(launch.go_live).date()
    items = calendar_items(
        request.user, day, day, Filters(projects=(launch.project_id,), kinds=("launch",))
    )
    item = next((i for i in items if i.launch is not None and i.launch.pk == launch.pk), None)
    if item is None:  # not listed (no longer in the viewer's calendar): say what happened
        error = box.get("move_error")
        return f'<li class="cal-item" role="alert">{escape(error or str(launch))}</li>'
    return markup.item_html(
        item,
        long=True,
        csrf_token=get_token(request),
        next_url=request.POST.get("next", ""),
        **box,
    )


def _filter_for_owner(user: Any, pk: int) -> SavedFilter:
    saved = SavedFilter.objects.filter(pk=pk, owner=user).first()
    if saved is None:
        raise Http404("No such saved filter.")
    return saved


@require_http_methods(["GET", "POST"])
def saved_filters(request: AuthedRequest) -> HttpResponse:
    """Your saved calendar views; POST saves the calendar's current filters under a name."""
    if request.method == "POST":
        form = SaveFilterForm(request.POST, projects=projects_for_user(request.user))
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = services.saved_filter_create(
                    actor=request.user,
                    name=data["name"],
                    channels=data["channel"],
                    projects=data["project"],
                    teams=data["team"],
                    kinds=data["kind"],
                    notify_moves=data["notify_moves"],
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, f"Saved “{saved}”.")
                return redirect("calendars:filter", filter_pk=saved.pk)
        else:
            messages.error(request, "Give the view a name (at most 100 characters).")
    filters = (
        SavedFilter.objects.filter(owner=request.user)
        .prefetch_related("channels", "projects", "teams")
        .annotate(active_links=Count("links", filter=Q(links__revoked_at__isnull=True)))
    )
    return render(request, "calendars/filters.html", {"saved_filters": filters})


@require_GET
def saved_filter_detail(request: AuthedRequest, filter_pk: int) -> HttpResponse:
    saved = _filter_for_owner(request.user, filter_pk)
    return _filter_page(request, saved)


def _filter_page(request: AuthedRequest, saved: SavedFilter, **extra: Any) -> HttpResponse:
    return render(
        request,
        "calendars/filter_detail.html",
        {
            "saved": saved,
            "links": saved.links.all(),
            "has_feed": FeedToken.objects.filter(
                user=request.user, revoked_at__isnull=True
            ).exists(),
            "calendar_url": f"{reverse('calendars:calendar')}?{_query(services.filters_of(saved))}",
            **extra,
        },
    )


def _query(filters: Filters) -> str:
    params: list[tuple[str, Any]] = [("channel", c) for c in filters.channels]
    params += [("project", p) for p in filters.projects]
    params += [("team", t) for t in filters.teams]
    params += [("kind", k) for k in filters.kinds]
    return urlencode(params)


@require_POST
def saved_filter_delete(request: AuthedRequest, filter_pk: int) -> HttpResponse:
    saved = _filter_for_owner(request.user, filter_pk)
    saved.delete()
    messages.success(request, f"“{saved}” deleted; its share links no longer work.")
    return redirect("calendars:filters")


@require_POST
def share_link_create(request: AuthedRequest, filter_pk: int) -> HttpResponse:
    saved = _filter_for_owner(request.user, filter_pk)
    form = ShareLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how many days the link lasts (1 to 365), or never.")
        return redirect("calendars:filter", filter_pk=saved.pk)
    days = form.cleaned_data["days"]
    expires = timezone.now() + dt.timedelta(days=days) if days else None
    try:
        _, token = services.share_link_create(
            actor=request.user, saved_filter=saved, expires_at=expires
        )
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, str(getattr(error, "message", error)))
        return redirect("calendars:filter", filter_pk=saved.pk)
    url = request.build_absolute_uri(reverse("calendars:shared", args=[token]))
    return _filter_page(request, saved, new_link=url)


@require_POST
def share_link_revoke(request: AuthedRequest, link_pk: int) -> HttpResponse:
    link = get_object_or_404(ShareLink.objects.select_related("saved_filter"), pk=link_pk)
    if link.saved_filter.owner_id != request.user.pk:
        raise Http404("No such link.")
    services.share_link_revoke(actor=request.user, link=link)
    messages.success(request, "Link revoked: it now leads nowhere.")
    return redirect("calendars:filter", filter_pk=link.saved_filter_id)


@require_POST
def feed_rotate(request: AuthedRequest) -> HttpResponse:
    token = services.feed_token_rotate(user=request.user)
    base = request.build_absolute_uri(reverse("calendars:feed", args=[token]))
    saved = SavedFilter.objects.filter(owner=request.user)
    return render(
        request,
        "calendars/feed_urls.html",
        {"all_url": base, "filter_urls": [(f, f"{base}?filter={f.pk}") for f in saved]},
    )


@login_not_required
@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The ICS feed: what the token's owner may see, optionally through one of their filters."""
    user = services.feed_user_by_token(token)
    if user is None:
        raise Http404("No such feed.")
    filters, name = Filters(), "Synchrony"
    if request.GET.get("filter"):
        saved = SavedFilter.objects.filter(pk__in=_ints(request.GET["filter"]), owner=user).first()
        if saved is None:
            raise Http404("No such feed.")
        filters, name = services.filters_of(saved), f"Synchrony · {saved.name}"
    today = timezone.localdate()
    zone = zoneinfo.ZoneInfo(user.time_zone)
    items = calendar_items(
        user,
        today - dt.timedelta(days=90),
        today + dt.timedelta(days=365),
        filters,
        zone=zone,
        with_conflicts=False,  # an ICS event has no place for them
    )
    response = HttpResponse(
        build_calendar(items, name), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="synchrony.ics"'
    return response


def _ints(value: str) -> list[int]:
    return [int(value)] if value.isdigit() and len(value) < 12 else []


@login_not_required
@require_GET
def shared_calendar(request: HttpRequest, token: str) -> HttpResponse:
    """A read-only calendar behind a share link; anything wrong is a plain 404."""
    link = services.share_link_by_token(token)
    if link is None:
        raise Http404("No such calendar.")
    saved, owner = link.saved_filter, link.saved_filter.owner
    filters = services.filters_of(saved)
    zone = zoneinfo.ZoneInfo(owner.time_zone)
    today = timezone.now().astimezone(zone).date()
    form = CalendarForm(request.GET or None, projects=projects_for_user(owner))
    view, anchor, _ = form.values(today)
    view = view if view in ("month", "agenda") else "month"
    start, end, previous, following, title = period(view, anchor)
    hidden: dict[dt.date, int] = {}
    items = calendar_items(
        owner,
        start,
        end,
        filters,
        zone=zone,
        launches_per_day=PER_DAY.get(view),
        tasks_per_day=task_cap(view, filters),
        hidden=hidden,
        team_standups=False,  # the link's readers are not in the owner's teams
    )
    for item in items:
        item.movable = False
        item.url = ""  # the project pages are not shared
    links = {
        "previous": f"?view={view}&date={previous}",
        "next": f"?view={view}&date={following}",
        "today": f"?view={view}&date={today}",
    }
    return render(
        request,
        "calendars/shared.html",
        {
            "saved": saved,
            "view": view,
            "views": [("month", "Month"), ("agenda", "Agenda")],
            "view_links": {
                "month": f"?view=month&date={anchor}",
                "agenda": f"?view=agenda&date={anchor}",
            },
            "title": title,
            "today": today,
            "links": links,
            "query": request.GET.urlencode(),
            "zone": owner.time_zone,
            **calendar_context(items, view, anchor, start, end, hidden),
        },
    )

"""Stand-up pages: series, meetings with their agenda, facilitator mode, history.

Facilitator mode is one page: each section is a named partial fetched by htmx (or a
full page load with ?section=), and every action in it (a mark, a note, an action
item, attendance) swaps only its own part, so nothing typed elsewhere is lost.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from synchrony.accounts.http import AuthedRequest
from synchrony.activity.forms import apply_errors, error_text
from synchrony.activity.live import channel_name, event_stream
from synchrony.activity.services import StaleEdit
from synchrony.projects.models import Project, Role
from synchrony.projects.selectors import get_project_for_user
from synchrony.standups import agenda as agendas
from synchrony.standups import services
from synchrony.standups.forms import (
    ActionItemForm,
    AttendanceForm,
    DiscussedForm,
    NoteEditForm,
    NoteForm,
    SearchForm,
    SeriesForm,
    SkipForm,
)
from synchrony.standups.live import meeting_key
from synchrony.standups.models import (
    Agenda,
    Meeting,
    MeetingNote,
    MeetingStatus,
    NoteKind,
    StandupSeries,
)
from synchrony.standups.schedule import occurrences
from synchrony.standups.selectors import (
    action_owners,
    can_start_standup,
    eligible_people,
    get_action_item_for_user,
    get_meeting_for_user,
    get_note_for_user,
    get_series_for_user,
    history,
    scope_projects,
    series_list,
    visible_project_ids,
    visible_projects,
)

if TYPE_CHECKING:
    from synchrony.standups.selectors import ListedSeries


def _messages_oob(request: AuthedRequest) -> bytes:
    return render_to_string("includes/messages.html", {"oob": True}, request).encode()


# ── Series ──────────────────────────────────────────────────────────────────────


@require_GET
def series_index(request: AuthedRequest) -> HttpResponse:
    archived = request.GET.get("archived") == "1"
    all_series = series_list(request.user, include_archived=archived)
    now = timezone.now()
    for series in all_series:
        # Read by the template beside the query's annotations.
        series.next = None if series.is_archived else _next(series, now)  # type: ignore[attr-defined]
        series.hidden_projects = series.project_count - len(series.visible_projects)  # type: ignore[attr-defined]
    return render(
        request,
        "standups/series_list.html",
        {
            "all_series": all_series,
            "show_archived": archived,
            "can_create": can_start_standup(request.user),
            "lead_hours": services.agenda_lead().total_seconds() / 3600,
        },
    )


def _next(series: ListedSeries, now: dt.datetime) -> Any:
    """The meeting running now, or the next by the schedule (computed, not made), passing
    over any held early or skipped."""
    recent = series.recent_meetings
    running = [m for m in recent if m.status == MeetingStatus.RUNNING]
    if running:
        return running[0]
    done = {m.local_date for m in recent}
    found = occurrences(
        series.rule,
        now - dt.timedelta(minutes=series.duration_minutes),
        now + dt.timedelta(days=7 * series.cadence_weeks * 2 + 2),
    )
    return next((o for o in found if o.local_date not in done), None)


@require_http_methods(["GET", "POST"])
def series_create(request: AuthedRequest) -> HttpResponse:
    if not can_start_standup(request.user):
        # The service refuses them too; here they learn it before filling in the form.
        raise PermissionDenied("Managers and contributors start stand-ups; you read along.")
    initial: dict[str, Any] = {"starts_on": timezone.localdate(), "facilitator": request.user.pk}
    project_pk = request.GET.get("project", "")
    if project_pk.isdigit():
        project = get_project_for_user(request.user, int(project_pk))
        initial.update(
            name=f"{project.name} stand-up",
            projects=[project.pk],
            attendees=list(
                project.memberships.filter(role__in=[Role.MANAGER, Role.CONTRIBUTOR]).values_list(
                    "user_id", flat=True
                )
            ),
        )
    form = SeriesForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            series = services.series_create(
                actor=request.user,
                projects=data["projects"],
                attendees=data["attendees"],
                **form.changes(),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Stand-up “{series}” created: {series.schedule_text}.")
            return redirect(series.get_absolute_url())
    return render(
        request,
        "standups/series_form.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


@require_GET
def series_detail(request: AuthedRequest, series_pk: int) -> HttpResponse:
    series = get_series_for_user(request.user, series_pk)
    now = timezone.now()
    search, query, past = _search(request, series.meetings.all())
    page = Paginator(past, 20).get_page(request.GET.get("page"))
    upcoming = (
        occurrences(series.rule, now, now + dt.timedelta(days=7 * series.cadence_weeks * 6))
        if not series.is_archived
        else []
    )
    made = {
        m.local_date: m
        for m in series.meetings.filter(
            local_date__in=[o.local_date for o in upcoming]
        ).select_related("agenda")
    }
    running = series.meetings.filter(status=MeetingStatus.RUNNING).first()
    people = list(series.attendees.order_by("first_name", "username"))
    eligible = set(eligible_people(series.projects.all(), series.team).values_list("pk", flat=True))
    for person in people:
        person.outside = person.pk not in eligible  # type: ignore[attr-defined]
    projects, hidden_projects = visible_projects(request.user, series)
    return render(
        request,
        "standups/series_detail.html",
        {
            "series": series,
            "projects": projects,
            "hidden_projects": hidden_projects,
            "attendees": people,
            "facilitator_outside": series.facilitator_id not in eligible,
            "upcoming": [(o, made.get(o.local_date)) for o in upcoming],
            # The one "write the next agenda" would open: not one held early or skipped.
            "next_meeting": next(
                (
                    m
                    for o in upcoming
                    if (m := made.get(o.local_date)) is None
                    or m.status in (MeetingStatus.SCHEDULED, MeetingStatus.RUNNING)
                ),
                None,
            ),
            "running": running,
            "page": page,
            "search": search,
            "query": query,
            "can_run": series.runnable,  # type: ignore[attr-defined]
        },
        status=400 if search.errors else 200,
    )


def _search(
    request: AuthedRequest, meetings: QuerySet[Meeting]
) -> tuple[SearchForm, str, QuerySet[Meeting]]:
    """The history as the reader may see it, searched; a bad search finds nothing (the
    form says why) rather than everything."""
    search = SearchForm(request.GET or None)
    if search.is_bound and not search.is_valid():
        return search, "", Meeting.objects.none()
    query = search.cleaned_data["q"] if search.is_bound else ""
    return search, query, history(meetings, query, viewer=request.user, before=timezone.now())


@require_http_methods(["GET", "POST"])
def series_edit(request: AuthedRequest, series_pk: int) -> HttpResponse:
    series = get_series_for_user(request.user, series_pk, write=True)
    form = SeriesForm(request.POST or None, instance=series, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.series_update(
                actor=request.user,
                series=series,
                version=data["version"],
                changes=form.changes(),
                projects=data["projects"],
                attendees=data["attendees"],
            )
        except StaleEdit as error:
            form = form.stale(error)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Stand-up saved.")
            return redirect(series.get_absolute_url())
    return render(
        request,
        "standups/series_form.html",
        {"form": form, "series": series},
        status=422 if form.errors else 200,
    )


@require_POST
def series_archive(request: AuthedRequest, series_pk: int) -> HttpResponse:
    series = get_series_for_user(request.user, series_pk, write=True)
    version = request.POST.get("version", "")
    try:
        if not version.isdigit():
            raise ValidationError("Reload the page and try again.")
        updated = services.series_archive(
            actor=request.user,
            series=series,
            version=int(version),
            archive=request.POST.get("archive") != "0",
        )
    except (StaleEdit, ValidationError) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            "Archived: it no longer meets; its history stays."
            if updated.is_archived
            else "Restored: it meets again.",
        )
    return redirect(series.get_absolute_url())


@require_POST
def series_next(request: AuthedRequest, series_pk: int) -> HttpResponse:
    """Open the next meeting (or the running one) and write its agenda now."""
    series = get_series_for_user(request.user, series_pk, write=True)
    if series.is_archived:
        messages.error(request, "This stand-up is archived; restore it first.")
        return redirect(series.get_absolute_url())
    meeting = services.upcoming_meeting(series=series, now=timezone.now())
    meeting.series = series
    if meeting.status == MeetingStatus.SCHEDULED:
        try:
            services.agenda_write(meeting=meeting, actor=request.user, force=True)
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, "Agenda written from the latest data.")
    return redirect(meeting.get_absolute_url())


@require_GET
def project_standups(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    search, query, past = _search(request, Meeting.objects.filter(series__projects=project))
    series = list(
        StandupSeries.objects.filter(projects=project)
        .select_related("facilitator")
        .order_by("archived_at", "name")
    )
    page = Paginator(past, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "standups/project_standups.html",
        {
            "project": project,
            "series_list": series,
            "page": page,
            "search": search,
            "query": query,
            "can_create": project.user_role == Role.MANAGER and not project.is_closed,
        },
        status=400 if search.errors else 200,
    )


# ── A meeting: its agenda, what changed, its record ───────────────────────────


def _agenda_for(request: AuthedRequest, meeting: Meeting) -> tuple[Agenda | None, dict[str, Any]]:
    agenda = Agenda.objects.filter(meeting=meeting).select_related("written_by").first()
    if agenda is None or not agenda.is_ready:
        return agenda, {}
    return agenda, agendas.for_viewer(
        agenda.data, visible_project_ids(request.user, meeting.series)
    )


def _changes(
    meeting: Meeting, agenda: Agenda | None, data: dict[str, Any], request: AuthedRequest
) -> list[agendas.Change] | None:
    """What changed since the agenda was written, while that still matters."""
    if (
        agenda is None
        or not data
        or meeting.status
        not in (
            MeetingStatus.SCHEDULED,
            MeetingStatus.RUNNING,
        )
        # Never None once the agenda is written (it has data): said for the type checker.
        or agenda.since is None
        or agenda.until is None
    ):
        return None
    win = agendas.Window(
        agenda.since,
        agenda.until,
        dt.date.fromisoformat(agenda.data["meeting_date"]),
        dt.date.fromisoformat(agenda.data["next_date"]),
    )
    fresh = agendas.build(meeting, now=timezone.now(), win=win)
    fresh = agendas.for_viewer(fresh, visible_project_ids(request.user, meeting.series))
    return agendas.changes(data, fresh)


@require_GET
def meeting_detail(request: AuthedRequest, meeting_pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, meeting_pk)
    series = meeting.series
    agenda, data = _agenda_for(request, meeting)
    hydrated = agendas.hydrate(data)
    sections = agendas.sections(hydrated, duration_minutes=series.duration_minutes) if data else []
    titles = {s.key: s.title for s in sections}
    changes = _changes(meeting, agenda, data, request)
    if changes:
        order = {s.key: i for i, s in enumerate(sections)}
        changes.sort(key=lambda c: order.get(c.section, len(order)))
    context: dict[str, Any] = {
        "meeting": meeting,
        "series": series,
        "agenda": agenda,
        "data": hydrated,
        "sections": sections,
        "changes": changes,
        "section_titles": titles,
        "many_projects": len(data.get("projects", [])) > 1,
        "lead_hours": services.agenda_lead().total_seconds() / 3600,
        "can_run": series.runnable,  # type: ignore[attr-defined]
        "early": meeting.starts_at - timezone.now() > dt.timedelta(hours=2),
    }
    if meeting.status in (MeetingStatus.RUNNING, MeetingStatus.ENDED):
        context.update(_record(request, meeting, data, titles))
    return render(request, "standups/meeting_detail.html", context)


def _record(
    request: AuthedRequest, meeting: Meeting, data: dict[str, Any], titles: dict[str, str]
) -> dict[str, Any]:
    """Notes, decisions, action items and attendance, as this reader may see them."""
    visible = visible_project_ids(request.user, meeting.series)
    index = agendas.item_index(meeting.agenda.data) if hasattr(meeting, "agenda") else {}

    def ok(project_id: int | None) -> bool:
        return project_id is None or project_id in visible

    notes = [
        n
        for n in meeting.notes.select_related("author")
        if ok(index.get(n.item_key, {}).get("project_id"))
    ]
    by_section: dict[str, list[MeetingNote]] = {}
    for note in notes:
        if note.kind == NoteKind.NOTE:
            by_section.setdefault(note.section, []).append(note)
    attendance = list(meeting.attendance.select_related("user"))
    return {
        "decisions": [n for n in notes if n.kind == NoteKind.DECISION],
        "notes_by_section": [
            (titles.get(key, key.replace("-", " ").capitalize()), items)
            for key, items in by_section.items()
        ],
        "action_items": [
            a
            for a in meeting.action_items.select_related("owner", "task", "project")
            if ok(a.project_id)
        ],
        "present": [a for a in attendance if a.present],
        "absent": [a for a in attendance if not a.present],
    }


@require_POST
def agenda_write(request: AuthedRequest, meeting_pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, meeting_pk, write=True)
    try:
        services.agenda_write(meeting=meeting, actor=request.user, force=True)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, "Agenda written again from the latest data.")
    return redirect(meeting.get_absolute_url())


@require_POST
def meeting_start(request: AuthedRequest, meeting_pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, meeting_pk, write=True)
    try:
        services.meeting_start(actor=request.user, meeting=meeting)
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect(meeting.get_absolute_url())
    return redirect("standups:run", meeting_pk=meeting.pk)


@require_POST
def meeting_end(request: AuthedRequest, meeting_pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, meeting_pk, write=True)
    try:
        ended = services.meeting_end(actor=request.user, meeting=meeting)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            f"Meeting ended after {ended.duration_minutes} min. The summary is on its way to "
            "the attendees.",
        )
    response: HttpResponse = redirect(meeting.get_absolute_url())
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = meeting.get_absolute_url()
    return response


@require_POST
def meeting_skip(request: AuthedRequest, meeting_pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, meeting_pk, write=True)
    form = SkipForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Say why the meeting is skipped (at most 300 characters).")
        services.meeting_skip(
            actor=request.user, meeting=meeting, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, "Meeting skipped; the attendees were told.")
    return redirect(meeting.get_absolute_url())


@require_POST
def meeting_restore(request: AuthedRequest, meeting_pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, meeting_pk, write=True)
    try:
        services.meeting_restore(actor=request.user, meeting=meeting)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, "Meeting restored.")
    return redirect(meeting.get_absolute_url())


# ── Facilitator mode ───────────────────────────────────────────────────────────


def _action_choices(request: AuthedRequest, series: StandupSeries) -> tuple[Any, list[Project]]:
    """Who can own an action item, and the projects (that the facilitator sees) it can go on."""
    visible = visible_project_ids(request.user, series)
    projects = [p for p in scope_projects(series).order_by("name") if p.pk in visible]
    people = action_owners(series, projects or series.projects.all()).order_by(
        "first_name", "username"
    )
    return people, projects


def _run_context(
    request: AuthedRequest,
    meeting: Meeting,
    section_key: str | None,
    *,
    note_form: NoteForm | None = None,
    action_form: ActionItemForm | None = None,
    with_changes: bool = True,
) -> dict[str, Any]:
    """What facilitator mode shows. Without `with_changes` (a part that does not show
    them: every live refresh is one), "what changed since the agenda was written" is not
    worked out: that is the agenda's whole build again."""
    series = meeting.series
    agenda, data = _agenda_for(request, meeting)
    hydrated = agendas.hydrate(data)
    sections = agendas.sections(hydrated, duration_minutes=series.duration_minutes)
    keys = [s.key for s in sections]
    index = keys.index(section_key) if section_key in keys else 0
    section = sections[index]
    discussed = set(meeting.discussed.values_list("key", flat=True))
    for s in sections:
        s.done = sum(1 for k in s.keys if k in discussed)  # type: ignore[attr-defined]
    runnable = series.runnable and meeting.status == MeetingStatus.RUNNING  # type: ignore[attr-defined]
    people, projects = _action_choices(request, series)
    all_changes = (_changes(meeting, agenda, data, request) if with_changes else None) or []
    attendance = list(meeting.attendance.select_related("user"))
    notes = list(
        meeting.notes.filter(section=section.key).select_related("author").order_by("created_at")
    )
    actions = meeting.action_items.select_related("owner", "task", "project")
    if section.kind != "wrap-up":
        actions = actions.filter(section=section.key)
    if runnable and note_form is None:
        note_form = NoteForm(initial={"section": section.key, "kind": NoteKind.NOTE})
    if runnable and action_form is None:
        owner = section.person["id"] if section.kind == "person" and section.person else None
        action_form = ActionItemForm(
            initial={"section": section.key, "owner": owner},
            people=people,
            projects=projects,
        )
    return {
        "meeting": meeting,
        "series": series,
        "agenda": agenda,
        "data": hydrated,
        "sections": sections,
        "section": section,
        "labels": {key: item["label"] for key, item in agendas.item_index(data).items()},
        "many_projects": len(data.get("projects", [])) > 1,
        "previous": sections[index - 1] if index > 0 else None,
        "next": sections[index + 1] if index + 1 < len(sections) else None,
        "position": index + 1,
        "discussed": discussed,
        "runnable": runnable,
        "can_run": series.runnable,  # type: ignore[attr-defined]
        "changes": [c for c in all_changes if c.section == section.key],
        "attendance": attendance,
        "guests": [p for p in people if p.pk not in {a.user_id for a in attendance}],
        "notes": notes,
        "decisions": list(meeting.notes.filter(kind=NoteKind.DECISION).select_related("author"))
        if section.kind == "wrap-up"
        else [],
        "action_items": list(actions),
        "note_form": note_form,
        "action_form": action_form,
        "present_count": sum(1 for a in attendance if a.present),
        "discussed_count": len(discussed),
        "item_count": sum(s.count for s in sections),
        "run_url": reverse("standups:run", args=[meeting.pk]),
        # A team's stand-up without projects: an action item need not be a task.
        "on_projects": bool(projects) and series.projects.exists(),
    }


def _run_page(
    request: AuthedRequest,
    meeting: Meeting,
    section: str | None,
    *,
    partial: str | None = None,
    status: int = 200,
    fresh_form: bool = False,
    **forms: Any,
) -> HttpResponse:
    context = _run_context(request, meeting, section, with_changes=partial is None, **forms)
    context["fresh_form"] = fresh_form
    if partial:
        response = render(request, f"standups/run.html#{partial}", context, status=status)
        response.content += _messages_oob(request)
        return response
    if request.htmx and request.htmx.target == "run-section":
        response = render(request, "standups/run.html#section", context, status=status)
        response.content += render_to_string(
            "standups/run.html#steps", {**context, "oob": True}, request
        ).encode()
        response.content += _messages_oob(request)
        response["Vary"] = "HX-Request"
        return response
    response = render(request, "standups/run.html", context, status=status)
    response["Vary"] = "HX-Request"
    return response


@require_GET
def meeting_run(request: AuthedRequest, meeting_pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, meeting_pk)
    if request.htmx and request.GET.get("part") == "live":
        # Someone saved something: the current section's parts, out of band.
        return _run_page(request, meeting, request.GET.get("section"), partial="live")
    return _run_page(request, meeting, request.GET.get("section"))


@require_GET
async def meeting_live(
    request: HttpRequest, meeting_pk: int
) -> HttpResponse | StreamingHttpResponse:
    """The meeting's own live stream (SSE), for facilitator mode: see standups/live.py."""
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponse(status=401)
    await sync_to_async(_check_follows)(user, meeting_pk)
    if not isinstance(request, ASGIRequest):
        # As activity's stream: under WSGI an endless response would hold a worker for
        # good; 204 tells EventSource to stop. Live updates need the ASGI server.
        return HttpResponse(status=204)
    response = StreamingHttpResponse(
        event_stream(frozenset({meeting_key(meeting_pk)}), channel_name()),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


def _check_follows(user: Any, meeting_pk: int) -> None:
    """404 unless `user` may see the meeting; then let the database connection go, as the
    stream may stay open for hours (unless in a transaction it does not own, as in a test)."""
    try:
        get_meeting_for_user(user, meeting_pk)
    finally:
        if not connection.in_atomic_block:
            connection.close()


def _back(request: AuthedRequest, meeting: Meeting) -> HttpResponse:
    section = request.POST.get("section", "")
    url = reverse("standups:run", args=[meeting.pk])
    return redirect(f"{url}?section={section}" if section else url)


def _section_of(request: AuthedRequest) -> str:
    return request.POST.get("section", "")[:60]


@require_POST
def attendance_set(request: AuthedRequest, meeting_pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, meeting_pk, write=True)
    form = AttendanceForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose someone on this stand-up.")
        services.attendance_set(
            actor=request.user,
            meeting=meeting,
            user=form.cleaned_data["user"],
            present=form.cleaned_data["present"],
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
        refused = True
    else:
        refused = False
    if request.htmx:
        # A new guest adds a row: the section is fresh; a tick only needs its count.
        if request.POST.get("guest"):
            return _run_page(request, meeting, "attendance")
        return _oob_marks(request, meeting, _section_of(request), refused=refused)
    return _back(request, meeting)


def _oob_marks(
    request: AuthedRequest, meeting: Meeting, section: str, *, refused: bool
) -> HttpResponse:
    """The counts, out of band; the main swap is none. The ticks themselves are sent back
    only when the change was refused, to show their true state: replacing a tick that is
    right already would take the keyboard focus off it."""
    context = _run_context(request, meeting, section, with_changes=False)
    context["ticks"] = refused
    html = render_to_string("standups/run.html#marks", context, request)
    html += render_to_string("standups/run.html#steps", {**context, "oob": True}, request)
    response = HttpResponse(html.encode() + _messages_oob(request))
    return reswap(response, "none")


@require_POST
def discussed_set(request: AuthedRequest, meeting_pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, meeting_pk, write=True)
    form = DiscussedForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("That item is not on this meeting's agenda.")
        services.discussed_set(
            actor=request.user,
            meeting=meeting,
            key=form.cleaned_data["key"],
            discussed=form.cleaned_data["discussed"],
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
        refused = True
    else:
        refused = False
    if request.htmx:
        return _oob_marks(request, meeting, _section_of(request), refused=refused)
    return _back(request, meeting)


@require_POST
def note_create(request: AuthedRequest, meeting_pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, meeting_pk, write=True)
    form = NoteForm(request.POST)
    saved = False
    if form.is_valid():
        try:
            services.note_create(actor=request.user, meeting=meeting, **form.cleaned_data)
            saved = True
        except ValidationError as error:
            apply_errors(form, error)
    section = _section_of(request)
    if request.htmx:
        if saved:
            return _run_page(request, meeting, section, partial="notes", fresh_form=True)
        response = _run_page(request, meeting, section, partial="note-form", note_form=form)
        return reswap(retarget(response, "#note-form"), "outerHTML")
    if saved:
        return _back(request, meeting)
    return _run_page(request, meeting, section, status=422, note_form=form)


@require_http_methods(["GET", "POST"])
def note_edit(request: AuthedRequest, standup_note_pk: int) -> HttpResponse:
    note = get_note_for_user(request.user, standup_note_pk, write=True)
    meeting = note.meeting
    form = NoteEditForm(request.POST or None, instance=note)
    if request.method == "POST" and form.is_valid():
        try:
            services.note_update(
                actor=request.user,
                note=note,
                version=form.cleaned_data["version"],
                body=form.cleaned_data["body"],
                kind=form.cleaned_data["kind"],
            )
        except StaleEdit as error:
            form = form.stale(error)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if request.htmx:
                return _run_page(request, meeting, note.section, partial="notes")
            messages.success(request, "Note saved.")
            return redirect(f"{reverse('standups:run', args=[meeting.pk])}?section={note.section}")
    context = {"form": form, "note": note, "meeting": meeting}
    if request.htmx:
        response = render(request, "standups/note_edit.html#note-edit", context)
        if request.method == "POST":
            response = reswap(retarget(response, f"#note-{note.pk}"), "innerHTML")
        return response
    return render(request, "standups/note_edit.html", context, status=422 if form.errors else 200)


@require_POST
def note_delete(request: AuthedRequest, standup_note_pk: int) -> HttpResponse:
    note = get_note_for_user(request.user, standup_note_pk, write=True)
    version = request.POST.get("version", "")
    try:
        if not version.isdigit():
            raise ValidationError("Reload the page and try again.")
        services.note_delete(actor=request.user, note=note, version=int(version))
    except (StaleEdit, ValidationError) as error:
        messages.error(request, error_text(error))
    if request.htmx:
        return _run_page(request, note.meeting, note.section, partial="notes")
    return redirect(f"{reverse('standups:run', args=[note.meeting.pk])}?section={note.section}")


@require_POST
def action_create(request: AuthedRequest, meeting_pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, meeting_pk, write=True)
    section = _section_of(request)
    people, projects = _action_choices(request, meeting.series)
    form = ActionItemForm(request.POST, people=people, projects=projects)
    saved = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.action_item_create(
                actor=request.user,
                meeting=meeting,
                title=data["title"],
                owner=data["owner"],
                due_date=data["due_date"],
                project=data.get("project"),
                section=data["section"] or section,
                item_key=data["item_key"],
            )
        except ValidationError as error:
            apply_errors(form, error)
    if saved is not None:
        messages.success(
            request,
            f"Action item “{saved}” added"
            + (f" as a task on {saved.project}." if saved.task_id else "."),
        )
    if request.htmx:
        if saved is not None:
            return _run_page(request, meeting, section, partial="actions", fresh_form=True)
        response = _run_page(request, meeting, section, partial="action-form", action_form=form)
        return reswap(retarget(response, "#action-form"), "outerHTML")
    if saved is not None:
        return _back(request, meeting)
    return _run_page(request, meeting, section, status=422, action_form=form)


@require_POST
def action_close(request: AuthedRequest, standup_action_pk: int) -> HttpResponse:
    item = get_action_item_for_user(request.user, standup_action_pk, write=True)
    try:
        services.action_item_close(
            actor=request.user, item=item, done=request.POST.get("done") != "0"
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect(item.meeting.get_absolute_url())

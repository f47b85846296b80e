from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import ModelChoiceField
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from synchrony.accounts.http import AuthedRequest
from synchrony.activity.forms import apply_errors, error_text
from synchrony.activity.services import StaleEdit
from synchrony.lib.forms import form_field
from synchrony.projects.models import Project, Role, Stage
from synchrony.projects.selectors import (
    Need,
    get_goal_for_user,
    get_project_for_user,
    projects_for_user,
    role_allows,
)
from synchrony.reviews import services
from synchrony.reviews.forms import (
    ActionForm,
    AnswerForm,
    BlameCheckForm,
    GroupForm,
    GroupTitleForm,
    ItemEditForm,
    ItemForm,
    LessonForm,
    NoteForm,
    OutcomeForm,
    ParticipantForm,
    PhaseForm,
    ReadingForm,
    ReportLinkForm,
    RetrospectiveForm,
    SearchForm,
    StartForm,
    VoteForm,
)
from synchrony.reviews.models import (
    PHASE_HELP,
    ApplicationStatus,
    Lesson,
    Participant,
    Phase,
    Prompt,
    Retrospective,
    TimelineNote,
)
from synchrony.reviews.selectors import (
    RetroNeed,
    active_participant,
    applied_lessons,
    board_for,
    can_edit_item,
    can_edit_lesson,
    can_facilitate,
    clean_query,
    facts_for,
    find_card,
    get_application_for_user,
    get_group_for_user,
    get_item_for_user,
    get_lesson_for_user,
    get_report_link_for_user,
    get_retrospective_for_user,
    outcomes_for,
    participant_for,
    participants_of,
    project_retrospective,
    retrospective_data,
    search_closed_projects,
    search_lessons,
    summary_for,
    timeline_for,
    with_lesson_details,
)

PHASE_DONE: dict[str, str] = {
    Phase.WRITE: "Writing is open again; everyone's items are hidden until the next reveal.",
    Phase.GROUP: "The board is revealed.",
    Phase.VOTE: "Voting is open: {n} votes each.",
    Phase.DISCUSS: "The discussion has started: cards are in order of votes.",
    Phase.DONE: "The retrospective is finished. The project can close once its lessons are in.",
}

# The proof that this browser wrote an anonymous item: a signed cookie, scoped to the
# retrospective's URLs. The server keeps nothing that links the item to its author
# (see models.py for why).
ANONYMOUS_SALT = "synchrony.reviews.anonymous-items"
ANONYMOUS_KEEP = 60  # the newest ids kept, so the cookie stays well under 4 kB


def _anonymous_cookie(retro: Retrospective) -> str:
    return f"anon_items_{retro.pk}"


def anonymous_ids(request: AuthedRequest, retro: Retrospective) -> list[str]:
    raw = request.get_signed_cookie(_anonymous_cookie(retro), default="", salt=ANONYMOUS_SALT)
    owner, _, ids = (raw or "").partition("|")
    if owner != str(request.user.pk):
        return []
    return [i for i in ids.split(",") if i]


def remember_anonymous(
    request: AuthedRequest, response: HttpResponse, retro: Retrospective, item_id: str
) -> None:
    ids = [*anonymous_ids(request, retro), item_id][-ANONYMOUS_KEEP:]
    response.set_signed_cookie(
        _anonymous_cookie(retro),
        f"{request.user.pk}|{','.join(ids)}",
        salt=ANONYMOUS_SALT,
        max_age=180 * 86400,
        path=reverse("reviews:retro", args=[retro.pk]),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _contributable(user: Any) -> Any:
    """Projects where the user may add the task an action item becomes."""
    return (
        projects_for_user(user)
        .filter(user_role__in=[Role.MANAGER, Role.CONTRIBUTOR])
        .exclude(stage=Stage.CLOSED)
    )


# The project's retrospectives ----------------------------------------------------------


@require_GET
def project_reviews(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    return _project_reviews_page(request, project)


def _project_reviews_page(
    request: AuthedRequest, project: Project, form: StartForm | None = None, status: int = 200
) -> HttpResponse:
    manage = role_allows(project.user_role, Need.MANAGE) and not project.is_closed
    retros = list(project.retrospectives.select_related("launch", "facilitator"))
    if form is None and manage:
        form = StartForm(project=project, initial={"facilitator": request.user.pk})
    launches = form_field(form, "launch", ModelChoiceField).queryset if form is not None else None
    can_start = manage and (
        (project.stage == Stage.REVIEW and not any(r.launch_id is None for r in retros))
        or (launches is not None and launches.exists())
    )
    return render(
        request,
        "reviews/project_reviews.html",
        {
            "project": project,
            "retros": retros,
            "form": form if can_start or (form is not None and form.errors) else None,
            "has_project_retro": any(r.launch_id is None for r in retros),
        },
        status=status,
    )


@require_POST
def retro_start(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, need=Need.MANAGE)
    form = StartForm(request.POST, project=project)
    if form.is_valid():
        data = form.cleaned_data
        try:
            retro = services.retrospective_start(
                actor=request.user,
                project=project,
                facilitator=data["facilitator"],
                participants=data["participants"],
                votes_per_person=data["votes_per_person"],
                launch=data["launch"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Retrospective started. Everyone invited was told.")
            return redirect(retro.get_absolute_url())
    return _project_reviews_page(request, project, form, status=422)


# The board -----------------------------------------------------------------------------


def retro_context(
    request: AuthedRequest,
    retro: Retrospective,
    *,
    anon_ids: list[str] | None = None,
    **forms: Any,
) -> dict[str, Any]:
    user = request.user
    project = retro.project
    me = active_participant(user, retro)
    facilitate = can_facilitate(user, retro)
    follow_up = facilitate or me is not None
    if anon_ids is None:
        anon_ids = anonymous_ids(request, retro)
    board = board_for(retro, user, anonymous_ids=frozenset(anon_ids))
    writing = retro.phase == Phase.WRITE and me is not None
    for column in board.columns:
        column.form = (  # type: ignore[attr-defined]
            forms.get(f"item_form_{column.prompt}") or ItemForm(prompt=column.prompt)
            if writing
            else None
        )
        column.flags = forms.get(f"flags_{column.prompt}", [])  # type: ignore[attr-defined]
    ctx: dict[str, Any] = {
        "retro": retro,
        "project": project,
        "board": board,
        "me": me,
        "can_facilitate": facilitate,
        "follow_up": follow_up,
        "phases": [(value, label, PHASE_HELP[value]) for value, label in Phase.choices],
        "phase_help": PHASE_HELP[retro.phase],
        "preserve": False,
        "Phase": {p.name: p.value for p in Phase},
    }
    return ctx


def full_context(request: AuthedRequest, retro: Retrospective, **forms: Any) -> dict[str, Any]:
    """The board, and everything around it: goals, what happened, follow-up, people."""
    ctx = retro_context(request, retro, **forms)
    user, project = request.user, retro.project
    follow_up = ctx["follow_up"]
    outcomes = outcomes_for(project, retro) if retro.launch_id is None else []
    if follow_up:
        for outcome in outcomes:
            reading = outcome.reading
            outcome.form = forms.get(f"reading_form_{outcome.goal.pk}") or ReadingForm(  # type: ignore[attr-defined]
                initial={
                    "version": reading.version if reading else None,
                    "final_value": reading.final_value if reading else None,
                    "reading": reading.reading if reading else "",
                },
                auto_id=f"reading{outcome.goal.pk}_%s",
            )
    card_key = request.GET.get("card", "")
    card = ctx["board"].cards.get(card_key) if retro.is_revealed else None
    action_form = None
    if follow_up and retro.phase in (Phase.DISCUSS, Phase.DONE):
        action_form = forms.get("action_form") or ActionForm(
            projects=_contributable(user),
            initial={
                "card": card.key if card else "",
                "title": card.title[:200] if card else "",
                "project": project.pk if role_allows(project.user_role, Need.CONTRIBUTE) else None,
            },
        )
    lesson_form = None
    if follow_up and retro.is_revealed:
        lesson_form = forms.get("lesson_form") or LessonForm(
            prefix_id="newlesson",
            initial={
                "card": card.key if card else "",
                "title": card.title[:200] if card else "",
                "channels": list(
                    (retro.launch.activations.values_list("channel", flat=True))
                    if retro.launch
                    else project.channels.values_list("pk", flat=True)
                ),
                "stage": "",
            },
        )
    lessons = list(retro.lessons.prefetch_related("channels").select_related("created_by"))
    for lesson in lessons:
        lesson.retrospective = retro
        lesson.editable = can_edit_lesson(user, lesson)  # type: ignore[attr-defined]
    applications = applied_lessons(project) if retro.launch_id is None else []
    for application in applications:
        application.form = (  # type: ignore[attr-defined]
            OutcomeForm(
                initial={"outcome": application.outcome, "outcome_note": application.outcome_note},
                auto_id=f"outcome{application.pk}_%s",
            )
            if follow_up
            else None
        )
    ctx.update(
        {
            "outcomes": outcomes,
            "timeline": timeline_for(retro),
            "facts": facts_for(project, retro.launch),
            "actions": list(retro.actions.select_related("task__owner", "task__project")),
            "action_form": action_form,
            "lessons": lessons,
            "lesson_form": lesson_form,
            "chosen_card": card,
            "applications": applications,
            "participants": participants_of(retro),
            "invite_form": (forms.get("invite_form") or ParticipantForm(retro=retro))
            if ctx["can_facilitate"]
            else None,
            "note_form": (forms.get("note_form") or NoteForm()) if follow_up else None,
            "currency": settings.CURRENCY,
        }
    )
    return ctx


def render_retro(
    request: AuthedRequest,
    retro: Retrospective,
    *,
    status: int = 200,
    anon_ids: list[str] | None = None,
    **forms: Any,
) -> HttpResponse:
    """The page, or for htmx the board with its flash messages.

    The full page marks the board's forms hx-preserve, so a live refresh (which fetches
    the page) never wipes what someone is typing; the board returned after one's own
    post does not, so one's own form comes back empty.
    """
    if request.htmx and not request.htmx.history_restore_request:
        ctx = retro_context(request, retro, anon_ids=anon_ids, **forms)
        # A live refresh (a GET) keeps what people are typing; messages show on the board,
        # where the person who clicked is looking.
        ctx["preserve"] = request.method == "GET"
        ctx["board_messages"] = True
        # 200 even for a refused item: htmx swaps only successful responses, and the
        # form with its message is what the writer needs to see.
        return render(request, "reviews/retrospective.html#live", ctx)
    ctx = full_context(request, retro, **forms)
    ctx["preserve"] = True
    return render(request, "reviews/retrospective.html", ctx, status=status)


def done(request: AuthedRequest, retro: Retrospective, anchor: str = "board") -> HttpResponse:
    """After a change: the fresh board (htmx) or back to the page (a plain post)."""
    if request.htmx:
        return render_retro(request, retro)
    return redirect(retro.get_absolute_url() + f"#{anchor}")


@require_GET
def retro_detail(request: AuthedRequest, retro_pk: int) -> HttpResponse:
    retro = get_retrospective_for_user(request.user, retro_pk)
    response = render_retro(request, retro)
    response["Vary"] = "HX-Request"
    return response


@require_http_methods(["GET", "POST"])
def retro_edit(request: AuthedRequest, retro_pk: int) -> HttpResponse:
    retro = get_retrospective_for_user(request.user, retro_pk, need=RetroNeed.FACILITATE)
    form = RetrospectiveForm(request.POST or None, instance=retro)
    if request.method == "POST" and form.is_valid():
        try:
            services.retrospective_update(
                actor=request.user,
                retro=retro,
                version=form.cleaned_data["version"],
                changes=form.changes(),
            )
        except StaleEdit as error:
            form = form.stale(error)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Retrospective settings saved.")
            return redirect(retro.get_absolute_url())
    return render(
        request,
        "reviews/retro_edit.html",
        {"retro": retro, "project": retro.project, "form": form},
        status=422 if form.errors else 200,
    )


@require_POST
def participant_add(request: AuthedRequest, retro_pk: int) -> HttpResponse:
    retro = get_retrospective_for_user(request.user, retro_pk, need=RetroNeed.FACILITATE)
    form = ParticipantForm(request.POST, retro=retro)
    if form.is_valid():
        try:
            services.participant_add(
                actor=request.user, retro=retro, user=form.cleaned_data["user"]
            )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, f"{form.cleaned_data['user']} is invited.")
    else:
        messages.error(request, "Choose someone on the project who is not taking part yet.")
    return redirect(retro.get_absolute_url() + "#people")


@require_POST
def participant_remove(request: AuthedRequest, retro_pk: int, participant_pk: int) -> HttpResponse:
    retro = get_retrospective_for_user(request.user, retro_pk, need=RetroNeed.FACILITATE)
    participant = Participant.objects.filter(pk=participant_pk, retrospective=retro).first()
    if participant is None:
        raise Http404("No such participant.")
    try:
        services.participant_remove(actor=request.user, retro=retro, participant=participant)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            f"{participant.user} no longer takes part. What they wrote and their votes stay.",
        )
    return redirect(retro.get_absolute_url() + "#people")


@require_POST
def phase_move(request: AuthedRequest, retro_pk: int) -> HttpResponse:
    retro = get_retrospective_for_user(request.user, retro_pk, need=RetroNeed.FACILITATE)
    form = PhaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the phase to move to.")
        return done(request, retro)
    try:
        retro = services.phase_move(
            actor=request.user,
            retro=retro,
            to_phase=form.cleaned_data["to_phase"],
            expected_phase=form.cleaned_data["expected_phase"],
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, PHASE_DONE[retro.phase].format(n=retro.votes_per_person))
    return done(request, retro)


@require_POST
def item_add(request: AuthedRequest, retro_pk: int) -> HttpResponse:
    retro = get_retrospective_for_user(request.user, retro_pk, need=RetroNeed.PARTICIPATE)
    participant = participant_for(request.user, retro)
    prompt = request.POST.get("prompt", "")
    prompt = prompt if prompt in Prompt.values else Prompt.WORKED
    form = ItemForm(request.POST, prompt=prompt)
    flags: list[Any] = []
    if form.is_valid():
        data = form.cleaned_data
        try:
            item = services.item_add(
                participant=participant,
                retro=retro,
                prompt=data["prompt"],
                text=data["text"],
                anonymous=data["anonymous"],
                confirmed=data["confirmed"],
            )
        except ValidationError as error:
            text, confirmed = data["text"], data["confirmed"]
            apply_errors(form, error)  # takes the field out of cleaned_data
            if not confirmed:
                flags = services.blame_flags(retro, text)
        else:
            if request.htmx:
                # The board drawn now must already count the new anonymous item as the
                # writer's own; the browser gets the cookie with this response.
                ids = [*anonymous_ids(request, retro), str(item.pk)] if item.is_anonymous else None
                response = render_retro(request, retro, anon_ids=ids)
            else:
                messages.success(request, "Added to the board.")
                response = redirect(retro.get_absolute_url() + f"#col-{item.prompt}")
            if item.is_anonymous:
                remember_anonymous(request, response, retro, str(item.pk))
            return response
    refused: dict[str, Any] = {f"item_form_{prompt}": form, f"flags_{prompt}": flags}
    return render_retro(request, retro, status=422, **refused)


@require_POST
def blame_check(request: AuthedRequest, retro_pk: int) -> HttpResponse:
    """The gentle hint under the text box, as people type."""
    retro = get_retrospective_for_user(request.user, retro_pk, need=RetroNeed.PARTICIPATE)
    form = BlameCheckForm(request.POST)
    text = form.cleaned_data["text"] if form.is_valid() else ""
    flags = services.blame_flags(retro, text) if text.strip() else []
    return render(request, "reviews/includes/blame_hint.html", {"flags": flags})


def _item_for_author(request: AuthedRequest, retro_pk: int, item_pk: Any) -> Any:
    retro = get_retrospective_for_user(request.user, retro_pk)
    item = get_item_for_user(request.user, retro, item_pk)
    if not can_edit_item(request.user, item, frozenset(anonymous_ids(request, retro))):
        raise PermissionDenied(
            "Only its author changes an item, while writing is open"
            + (
                " (and, for an anonymous item, from the browser it was written in)."
                if item.is_anonymous
                else "."
            )
        )
    return retro, item


@require_http_methods(["GET", "POST"])
def item_edit(request: AuthedRequest, retro_pk: int, item_pk: Any) -> HttpResponse:
    retro, item = _item_for_author(request, retro_pk, item_pk)
    form = ItemEditForm(
        request.POST or None,
        initial={"text": item.text, "version": item.version},
        auto_id=f"edit{item.pk}_%s",
    )
    flags: list[Any] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.item_update(
                item=item, version=data["version"], text=data["text"], confirmed=data["confirmed"]
            )
        except ValidationError as error:
            text, confirmed = data["text"], data["confirmed"]
            apply_errors(form, error)  # takes the field out of cleaned_data
            if not confirmed:
                flags = services.blame_flags(retro, text)
        else:
            return done(request, retro, f"col-{item.prompt}")
    return render(
        request,
        "reviews/item_edit.html",
        {"retro": retro, "project": retro.project, "item": item, "form": form, "flags": flags},
        status=422 if form.errors else 200,
    )


@require_POST
def item_delete(request: AuthedRequest, retro_pk: int, item_pk: Any) -> HttpResponse:
    """The author withdraws their item while writing; the facilitator removes one later."""
    retro = get_retrospective_for_user(request.user, retro_pk)
    item = get_item_for_user(request.user, retro, item_pk)
    try:
        if can_edit_item(request.user, item, frozenset(anonymous_ids(request, retro))):
            services.item_withdraw(item=item)
            messages.success(request, "Your item is withdrawn.")
        elif can_facilitate(request.user, retro):
            services.item_remove(actor=request.user, item=item)
            messages.success(request, "Item removed from the board.")
        else:
            raise PermissionDenied("Only its author or the facilitator removes an item.")
    except ValidationError as error:
        messages.error(request, error_text(error))
    return done(request, retro)


@require_POST
def item_group(request: AuthedRequest, retro_pk: int, item_pk: Any) -> HttpResponse:
    retro = get_retrospective_for_user(request.user, retro_pk, need=RetroNeed.FACILITATE)
    item = get_item_for_user(request.user, retro, item_pk)
    form = GroupForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose what to group it with.")
        with_item, group = find_card(retro, form.cleaned_data["target"])
        services.item_group(actor=request.user, item=item, with_item=with_item, group=group)
    except (ValidationError, Http404) as error:
        messages.error(
            request, error_text(error) if isinstance(error, ValidationError) else "No such card."
        )
    return done(request, retro, f"col-{item.prompt}")


@require_POST
def item_ungroup(request: AuthedRequest, retro_pk: int, item_pk: Any) -> HttpResponse:
    retro = get_retrospective_for_user(request.user, retro_pk, need=RetroNeed.FACILITATE)
    item = get_item_for_user(request.user, retro, item_pk)
    try:
        services.item_ungroup(actor=request.user, item=item)
    except ValidationError as error:
        messages.error(request, error_text(error))
    return done(request, retro, f"col-{item.prompt}")


@require_http_methods(["GET", "POST"])
def group_edit(request: AuthedRequest, group_pk: int) -> HttpResponse:
    group = get_group_for_user(request.user, group_pk, write=True)
    retro = group.retrospective
    form = GroupTitleForm(request.POST or None, initial={"title": group.title})
    if request.method == "POST" and form.is_valid():
        try:
            services.group_rename(actor=request.user, group=group, title=form.cleaned_data["title"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return done(request, retro, f"col-{group.prompt}")
    return render(
        request,
        "reviews/group_edit.html",
        {"retro": retro, "project": retro.project, "group": group, "form": form},
        status=422 if form.errors else 200,
    )


@require_POST
def vote(request: AuthedRequest, retro_pk: int) -> HttpResponse:
    retro = get_retrospective_for_user(request.user, retro_pk, need=RetroNeed.PARTICIPATE)
    participant = participant_for(request.user, retro)
    form = VoteForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose a card to vote on.")
        item, group = find_card(retro, form.cleaned_data["card"])
        if form.cleaned_data["action"] == "add":
            left = services.vote_cast(participant=participant, retro=retro, item=item, group=group)
            messages.success(request, f"Voted. {left} vote{'s' if left != 1 else ''} left.")
        else:
            left = services.vote_withdraw(
                participant=participant, retro=retro, item=item, group=group
            )
            messages.success(request, f"Vote taken back. {left} left.")
    except ValidationError as error:
        messages.error(request, error_text(error))
    return done(request, retro)


# Follow-up ------------------------------------------------------------------------------


@require_POST
def action_create(request: AuthedRequest, retro_pk: int) -> HttpResponse:
    retro = get_retrospective_for_user(request.user, retro_pk, need=RetroNeed.FOLLOW_UP)
    form = ActionForm(request.POST, projects=_contributable(request.user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            item, group = find_card(retro, data["card"]) if data["card"] else (None, None)
            action = services.action_create(
                actor=request.user,
                retro=retro,
                title=data["title"],
                project=data["project"],
                owner=data["owner"],
                due_date=data["due_date"],
                item=item,
                group=group,
            )
        except Http404:
            form.add_error(None, "That card is no longer on the board.")
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, f"Action item “{action.title}” is a task in {data['project']} now."
            )
            return redirect(retro.get_absolute_url() + "#actions")
    return _retro_page_with(request, retro, action_form=form)


def _retro_page_with(request: AuthedRequest, retro: Retrospective, **forms: Any) -> HttpResponse:
    """A follow-up form with errors: the whole page with that form bound (never htmx)."""
    ctx = full_context(request, retro, **forms)
    ctx["preserve"] = True
    return render(request, "reviews/retrospective.html", ctx, status=422)


@require_http_methods(["GET", "POST"])
def reading_edit(request: AuthedRequest, retro_pk: int, goal_pk: int) -> HttpResponse:
    retro = get_retrospective_for_user(request.user, retro_pk, need=RetroNeed.FOLLOW_UP)
    goal = get_goal_for_user(request.user, goal_pk)
    if goal.project_id != retro.project_id:
        raise Http404("No such goal.")
    reading = retro.readings.filter(goal=goal).first()
    form = ReadingForm(
        request.POST or None,
        initial={
            "version": reading.version if reading else None,
            "final_value": reading.final_value if reading else None,
            "reading": reading.reading if reading else "",
        },
        auto_id=f"reading{goal.pk}_%s",
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.reading_save(
                actor=request.user,
                retro=retro,
                goal=goal,
                version=data["version"],
                final_value=data["final_value"],
                reading=data["reading"],
            )
        except StaleEdit as error:
            form.add_error(None, error.message)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Outcome of “{goal}” recorded.")
            return redirect(retro.get_absolute_url() + "#goals")
    return render(
        request,
        "reviews/reading_edit.html",
        {"retro": retro, "project": retro.project, "goal": goal, "form": form},
        status=422 if form.errors else 200,
    )


@require_POST
def note_add(request: AuthedRequest, retro_pk: int) -> HttpResponse:
    retro = get_retrospective_for_user(request.user, retro_pk, need=RetroNeed.FOLLOW_UP)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.note_add(actor=request.user, retro=retro, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Added to the timeline.")
            return redirect(retro.get_absolute_url() + "#timeline")
    return _retro_page_with(request, retro, note_form=form)


@require_POST
def note_delete(request: AuthedRequest, note_pk: int) -> HttpResponse:
    note = TimelineNote.objects.filter(
        pk=note_pk, retrospective__project__in=projects_for_user(request.user)
    ).first()
    if note is None:
        raise Http404("No such note.")
    retro = get_retrospective_for_user(
        request.user, note.retrospective_id, need=RetroNeed.FOLLOW_UP
    )
    if note.added_by_id != request.user.pk and not can_facilitate(request.user, retro):
        raise PermissionDenied("Only who added a note, or the facilitator, removes it.")
    note.retrospective = retro
    services.note_delete(actor=request.user, note=note)
    messages.success(request, "Note removed from the timeline.")
    return redirect(retro.get_absolute_url() + "#timeline")


@require_POST
def lesson_create(request: AuthedRequest, retro_pk: int) -> HttpResponse:
    retro = get_retrospective_for_user(request.user, retro_pk, need=RetroNeed.FOLLOW_UP)
    form = LessonForm(request.POST, prefix_id="newlesson")
    if form.is_valid():
        data = form.cleaned_data
        try:
            item, group = find_card(retro, data["card"]) if data["card"] else (None, None)
            lesson = services.lesson_create(
                actor=request.user,
                retro=retro,
                channels=data["channels"],
                item=item,
                group=group,
                **form.changes(),
            )
        except Http404:
            form.add_error(None, "That card is no longer on the board.")
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                f"Lesson “{lesson}” drafted."
                + (
                    " Publish it to put it in the library."
                    if can_facilitate(request.user, retro)
                    else " The facilitator publishes it to the library."
                ),
            )
            return redirect(retro.get_absolute_url() + "#lessons")
    return _retro_page_with(request, retro, lesson_form=form)


@require_http_methods(["GET", "POST"])
def lesson_edit(request: AuthedRequest, lesson_pk: int) -> HttpResponse:
    lesson = get_lesson_for_user(request.user, lesson_pk, write=True)
    form = LessonForm(request.POST or None, instance=lesson)
    if request.method == "POST" and form.is_valid():
        try:
            services.lesson_update(
                actor=request.user,
                lesson=lesson,
                version=form.cleaned_data["version"],
                changes=form.changes(),
                channels=form.cleaned_data["channels"],
            )
        except StaleEdit as error:
            form = form.stale(error)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Lesson saved.")
            return redirect(lesson.retrospective.get_absolute_url() + "#lessons")
    return render(
        request,
        "reviews/lesson_edit.html",
        {
            "lesson": lesson,
            "retro": lesson.retrospective,
            "project": lesson.project,
            "form": form,
        },
        status=422 if form.errors else 200,
    )


def _lesson_action(request: AuthedRequest, lesson_pk: int, act: Any, ok: str) -> HttpResponse:
    lesson = get_lesson_for_user(request.user, lesson_pk, write=True)
    version = request.POST.get("version", "")
    try:
        if not version.isdigit() or len(version) > 9:
            raise ValidationError("Reload the page and try again.")
        act(lesson, int(version))
    except StaleEdit as error:
        messages.error(request, error.message)
    except (ValidationError, PermissionDenied) as error:
        if isinstance(error, PermissionDenied):
            raise
        messages.error(request, error_text(error))
    else:
        messages.success(request, ok.format(lesson=lesson))
    return redirect(_safe_next(request, lesson.retrospective.get_absolute_url() + "#lessons"))


@require_POST
def lesson_publish(request: AuthedRequest, lesson_pk: int) -> HttpResponse:
    def act(lesson: Lesson, version: int) -> None:
        if not can_facilitate(request.user, lesson.retrospective):
            raise PermissionDenied("The facilitator or a project manager publishes lessons.")
        services.lesson_publish(actor=request.user, lesson=lesson, version=version)

    return _lesson_action(
        request,
        lesson_pk,
        act,
        "“{lesson}” is in the library; projects that share a channel with it will see it.",
    )


@require_POST
def lesson_unpublish(request: AuthedRequest, lesson_pk: int) -> HttpResponse:
    def act(lesson: Lesson, version: int) -> None:
        if not can_facilitate(request.user, lesson.retrospective):
            raise PermissionDenied("The facilitator or a project manager withdraws lessons.")
        services.lesson_unpublish(actor=request.user, lesson=lesson, version=version)

    return _lesson_action(request, lesson_pk, act, "“{lesson}” is back to a draft.")


@require_POST
def lesson_delete(request: AuthedRequest, lesson_pk: int) -> HttpResponse:
    lesson = get_lesson_for_user(request.user, lesson_pk, write=True)
    try:
        services.lesson_delete(actor=request.user, lesson=lesson)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, f"Draft “{lesson}” deleted.")
    return redirect(lesson.retrospective.get_absolute_url() + "#lessons")


@require_POST
def application_outcome(request: AuthedRequest, application_pk: int) -> HttpResponse:
    application = get_application_for_user(request.user, application_pk)
    retro = project_retrospective(application.project)
    if retro is None:
        raise PermissionDenied("Whether a lesson helped is recorded in the retrospective.")
    retro = get_retrospective_for_user(request.user, retro.pk, need=RetroNeed.FOLLOW_UP)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        services.application_outcome(
            actor=request.user,
            application=application,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["outcome_note"],
        )
        messages.success(request, f"Recorded for “{application.lesson}”.")
    else:
        messages.error(request, "Choose whether applying the lesson helped.")
    return redirect(retro.get_absolute_url() + "#applied")


# Exports --------------------------------------------------------------------------------


def _data(request: AuthedRequest, retro: Retrospective) -> dict[str, Any]:
    ids = frozenset(anonymous_ids(request, retro))
    return retrospective_data(retro, request.user, anonymous_ids=ids)


@require_GET
def export_json(request: AuthedRequest, retro_pk: int) -> HttpResponse:
    retro = get_retrospective_for_user(request.user, retro_pk)
    response = HttpResponse(
        json.dumps(_data(request, retro), indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="retrospective-{retro.pk}.json"'
    return response


@require_GET
def export_markdown(request: AuthedRequest, retro_pk: int) -> HttpResponse:
    retro = get_retrospective_for_user(request.user, retro_pk)
    text = render_to_string("reviews/export.md", {"data": _data(request, retro)})
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="retrospective-{retro.pk}.md"'
    return response


# The lessons library --------------------------------------------------------------------


@require_GET
def lesson_library(request: AuthedRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    query, channel, stage, kind = "", None, "", ""
    shortened = False
    if form.is_valid():
        query, shortened = clean_query(form.cleaned_data["q"])
        channel = form.cleaned_data["channel"]
        stage, kind = form.cleaned_data["stage"], form.cleaned_data["kind"]
    elif form.is_bound:
        query, shortened = clean_query(request.GET.get("q", "")[:2000])
    if shortened:
        messages.info(request, "Your search was long; only its first 200 characters were used.")
    lessons = search_lessons(
        request.user,
        query=query,
        channel=channel.pk if channel else None,
        stage=stage,
        kind=kind,
    )
    if not query:
        lessons = lessons.order_by("-published_at", "-id")
    page = Paginator(lessons, 20).get_page(request.GET.get("page"))
    page.object_list = with_lesson_details(page.object_list)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "reviews/library.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "filtered": bool(query or channel or stage or kind),
            "closed_projects": search_closed_projects(request.user, query),
            "params": params.urlencode(),
        },
    )


@require_GET
def lesson_detail(request: AuthedRequest, lesson_pk: int) -> HttpResponse:
    lesson = get_lesson_for_user(request.user, lesson_pk)
    [lesson] = with_lesson_details(Lesson.objects.filter(pk=lesson.pk))
    member_of = set(projects_for_user(request.user).values_list("pk", flat=True))
    applications = [
        a
        for a in lesson.applications.select_related("project", "decided_by")
        if a.project_id in member_of
    ]
    answerable = []
    if lesson.is_published:
        answered = {a.project_id for a in applications}
        answerable = [
            p
            for p in projects_for_user(request.user)
            .filter(
                stage__in=[Stage.DEVELOPMENT, Stage.PLANNING],
                user_role__in=[Role.MANAGER, Role.CONTRIBUTOR],
            )
            .exclude(pk=lesson.project_id)
            if p.pk not in answered
        ]
    return render(
        request,
        "reviews/lesson_detail.html",
        {
            "lesson": lesson,
            "source_visible": lesson.project_id in member_of,
            "applications": applications,
            "answerable": answerable,
        },
    )


@require_POST
def lesson_answer(request: AuthedRequest, pk: int, lesson_pk: int) -> HttpResponse:
    """Mark a suggested lesson as applied in this project, or as not relevant to it."""
    project = get_project_for_user(request.user, pk, need=Need.CONTRIBUTE)
    lesson = get_lesson_for_user(request.user, lesson_pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.lesson_answer(
                actor=request.user,
                project=project,
                lesson=lesson,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request,
                f"“{lesson}” marked as applied; its retrospective will ask whether it helped."
                if form.cleaned_data["status"] == ApplicationStatus.APPLIED
                else f"“{lesson}” set aside for this project.",
            )
    else:
        messages.error(request, "Choose applied or not relevant.")
    return _after_answer(request, project)


@require_POST
def lesson_unanswer(request: AuthedRequest, pk: int, lesson_pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, need=Need.CONTRIBUTE)
    lesson = get_lesson_for_user(request.user, lesson_pk)
    services.lesson_unanswer(actor=request.user, project=project, lesson=lesson)
    messages.success(request, f"“{lesson}” is a suggestion again.")
    return _after_answer(request, project)


def _after_answer(request: AuthedRequest, project: Project) -> HttpResponse:
    if request.htmx:
        from synchrony.reviews.templatetags.reviews import suggestions_context

        response = render(
            request,
            "reviews/includes/suggestions.html",
            suggestions_context(request, project),
        )
        response.content += render_to_string(
            "includes/messages.html", {"oob": True}, request
        ).encode()
        return response
    return redirect(_safe_next(request, project.get_absolute_url() + "#lessons"))


# The summary report ----------------------------------------------------------------------


def _summary_page(
    request: AuthedRequest, project: Project, *, status: int = 200, **extra: Any
) -> HttpResponse:
    manage = project.user_role == Role.MANAGER
    return render(
        request,
        "reviews/summary.html",
        {
            "summary": summary_for(project),
            "project": project,
            "shared": False,
            "can_share": manage,
            "links": project.report_links.filter(revoked_at__isnull=True) if manage else [],
            "link_form": extra.pop("link_form", None) or ReportLinkForm() if manage else None,
            **extra,
        },
        status=status,
    )


@require_GET
def summary(request: AuthedRequest, pk: int) -> HttpResponse:
    return _summary_page(request, get_project_for_user(request.user, pk))


@require_POST
def report_link_create(request: AuthedRequest, pk: int) -> HttpResponse:
    # Sharing the report changes nothing in the project: possible once it is closed.
    project = get_project_for_user(request.user, pk, need=Need.MANAGE, allow_closed=True)
    form = ReportLinkForm(request.POST)
    if not form.is_valid():
        return _summary_page(request, project, status=422, link_form=form)
    days = form.cleaned_data["days"] or 0
    expires = timezone.now() + dt.timedelta(days=days) if days else None
    try:
        _, token = services.report_link_create(
            actor=request.user, project=project, expires_at=expires
        )
    except ValidationError as error:
        apply_errors(form, error)
        return _summary_page(request, project, status=422, link_form=form)
    url = request.build_absolute_uri(reverse("reviews:report", args=[token]))
    return _summary_page(request, project, new_link=url)


@require_POST
def report_link_revoke(request: AuthedRequest, report_link_pk: int) -> HttpResponse:
    link = get_report_link_for_user(request.user, report_link_pk)
    services.report_link_revoke(actor=request.user, link=link)
    messages.success(request, "Link revoked: it now leads nowhere.")
    return redirect("reviews:summary", pk=link.project_id)


@login_not_required
@require_GET
def shared_report(request: HttpRequest, token: str) -> HttpResponse:
    """The summary behind a share link; unknown, expired or revoked is a bare 404."""
    link = services.report_link_by_token(token)
    if link is None:
        raise Http404("No such report.")
    response = render(
        request,
        "reviews/summary.html",
        {"summary": summary_for(link.project), "project": link.project, "shared": True},
    )
    # Revoking must take effect at once: nothing may keep a copy.
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response

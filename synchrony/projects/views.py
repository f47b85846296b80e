from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from synchrony.accounts.http import AuthedRequest
from synchrony.activity.forms import apply_errors
from synchrony.activity.models import ActivityEvent
from synchrony.activity.services import StaleEdit
from synchrony.planning import selectors as planning
from synchrony.planning.forms import BudgetLineForm, ContentForm, TaskForm
from synchrony.projects import services
from synchrony.projects.forms import (
    AnswerForm,
    GoalForm,
    InputRequestForm,
    MemberForm,
    MoveForm,
    ProjectForm,
    ReaskForm,
)
from synchrony.projects.models import PRACTICES, Membership, Project, Role, Stage
from synchrony.projects.selectors import (
    NOT_A_PROJECT_STARTER,
    Need,
    can_answer_request,
    can_create_project,
    get_goal_for_user,
    get_project_for_user,
    get_request_for_user,
    projects_by_stage,
    requests_waiting_for,
    role_allows,
)
from synchrony.projects.stages import exit_criteria

# Which sections each stage page shows, in order.
STAGE_SECTIONS: dict[str, list[str]] = {
    Stage.DEVELOPMENT: ["overview", "goals", "requests"],
    Stage.PLANNING: ["tasks", "content", "budget"],
    Stage.ACTIVATION: ["tasks"],
    Stage.PERFORMANCE: ["goals", "tasks"],
    Stage.REVIEW: ["goals", "tasks"],
    Stage.CLOSED: ["overview", "goals"],
}


@require_GET
def dashboard(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "projects/dashboard.html",
        {
            "work": planning.my_work(request.user),
            "waiting": requests_waiting_for(request.user),
            "by_stage": projects_by_stage(request.user),
            "stages": Stage.choices,
        },
    )


@require_GET
def project_list(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "projects/project_list.html",
        {
            "by_stage": projects_by_stage(request.user),
            "stages": Stage.choices,
            "can_create": can_create_project(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def project_create(request: AuthedRequest) -> HttpResponse:
    if not can_create_project(request.user):
        raise PermissionDenied(NOT_A_PROJECT_STARTER)
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            project = services.project_create(
                actor=request.user,
                channels=data.pop("channels"),
                **{k: v for k, v in data.items()},
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Project “{project}” created. Start with its goals.")
            return redirect(project.get_absolute_url(), permanent=False)
    return render(request, "projects/project_form.html", {"form": form})


def section_context(
    request: AuthedRequest, project: Project, section: str, stage: str, **forms: Any
) -> dict[str, Any]:
    """Everything one section of a stage page needs, with blank forms unless given."""
    user = request.user
    ctx: dict[str, Any] = {"project": project, "stage": stage}
    manage = role_allows(project.user_role, Need.MANAGE) and not project.is_closed
    contribute = role_allows(project.user_role, Need.CONTRIBUTE) and not project.is_closed
    ctx["can_manage"] = manage
    if section == "goals":
        ctx["goals"] = project.goals.all()
        ctx["goal_form"] = forms.get("goal_form") or (GoalForm(project=project) if manage else None)
    elif section == "requests":
        reqs = list(
            project.input_requests.select_related(
                "requested_from_user", "requested_from_team", "responded_by"
            ).prefetch_related("requested_from_team__members")
        )
        for r in reqs:
            r.project = project
            r.answerable = can_answer_request(user, r)
        ctx["requests"] = reqs
        ctx["request_form"] = forms.get("request_form") or (
            InputRequestForm(project=project) if manage else None
        )
    elif section == "tasks":
        tasks = list(planning.project_tasks(project).filter(stage=stage))
        # A refused quick status change is explained in its task's row.
        status_errors = forms.get("status_errors") or {}
        for t in tasks:
            t.editable = planning.can_edit_task(user, t)
            t.status_error = status_errors.get(t.pk, "")
        ctx["tasks"] = tasks
        ctx["task_form"] = forms.get("task_form") or (
            TaskForm(project=project, initial={"stage": stage}) if contribute else None
        )
    elif section == "content":
        items = list(project.content_items.select_related("owner", "reviewer", "channel"))
        ctx["content_items"] = items
        ctx["content_form"] = forms.get("content_form") or (
            ContentForm(project=project) if contribute else None
        )
    elif section == "budget":
        ctx["budget"] = planning.budget_summary(project)
        for line in ctx["budget"].lines:
            line.editable = planning.can_edit_budget_line(user, line)
        ctx["budget_form"] = forms.get("budget_form") or (
            BudgetLineForm(project=project) if manage else None
        )
    return ctx


def render_stage(
    request: AuthedRequest,
    project: Project,
    stage: str,
    status: int = 200,
    with_section: str | None = None,
    **forms: Any,
) -> HttpResponse:
    ctx: dict[str, Any] = {
        "project": project,
        "stage": stage,
        "stage_label": Stage(stage).label,
        "practice": PRACTICES[stage],
        "is_current": stage == project.stage,
        # Moves stay possible on a closed project: moving back is how it reopens.
        "can_move": role_allows(project.user_role, Need.MANAGE),
        # A form with errors is always shown, even in a section this stage page lacks.
        "sections": STAGE_SECTIONS[stage]
        + ([with_section] if with_section and with_section not in STAGE_SECTIONS[stage] else []),
        "move_form": forms.pop("move_form", None),
    }
    if stage == project.stage:
        ctx["criteria"] = exit_criteria(project)
        ctx["all_met"] = all(c.met for c in ctx["criteria"])
    if "overview" in ctx["sections"]:
        ctx["channels"] = project.channels.all()
    for section in ctx["sections"]:
        ctx.update(section_context(request, project, section, stage, **forms))
    return render(request, "projects/stage.html", ctx, status=status)


def render_section(
    request: AuthedRequest, project: Project, section: str, stage: str, **forms: Any
) -> HttpResponse:
    """The named partial of one section, for htmx; on error, the bound form in place.

    Flash messages ride along out of band, and the page's exit criteria are told to
    refresh, since the change may have met or unmet one.
    """
    ctx = section_context(request, project, section, stage, **forms)
    response = render(request, f"projects/stage.html#{section}", ctx)
    response.content += render_to_string("includes/messages.html", {"oob": True}, request).encode()
    return trigger_client_event(response, "criteria-changed")


def inline_create(
    request: AuthedRequest,
    project: Project,
    section: str,
    stage: str,
    *,
    form: Any,
    form_name: str,
    create: Callable[[Any], object],
) -> HttpResponse:
    """The shared flow of an inline create: validate, save through the service (or put
    its errors on the form), then the fresh section (htmx) or the page (plain post)."""
    saved = False
    if form.is_valid():
        try:
            create(form)
            saved = True
        except ValidationError as error:
            apply_errors(form, error)
    if request.htmx:
        return render_section(
            request, project, section, stage, **({} if saved else {form_name: form})
        )
    if saved:
        return redirect(
            reverse("projects:stage", args=[project.pk, stage]) + f"#{section}", permanent=False
        )
    return render_stage(
        request, project, stage, status=422, with_section=section, **{form_name: form}
    )


@require_GET
def project_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    return render_stage(request, project, project.stage)


@require_GET
def project_stage(request: AuthedRequest, pk: int, stage: str) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    if stage not in Stage.values:
        raise Http404("No such stage.")
    return render_stage(request, project, stage)


@require_http_methods(["GET", "POST"])
def project_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, need=Need.MANAGE)
    form = ProjectForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_update(
                actor=request.user,
                project=project,
                version=form.cleaned_data["version"],
                changes=form.changes(),
                channels=form.cleaned_data["channels"],
            )
        except StaleEdit as error:
            form = form.stale(error)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Project saved.")
            return redirect(project.get_absolute_url())
    return render(request, "projects/project_form.html", {"form": form, "project": project})


@require_POST
def project_move(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, need=Need.MANAGE, allow_closed=True)
    form = MoveForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            transition = services.project_move(
                actor=request.user,
                project=project,
                to_stage=data["to_stage"],
                expected_stage=data["expected_stage"],
                reason=data["reason"],
                override=data["override"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Moved to {transition.get_to_stage_display()}.")
            return redirect(project.get_absolute_url())
    return render_stage(request, project, project.stage, status=422, move_form=form)


@require_GET
def project_history(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    events = ActivityEvent.objects.filter(project=project).select_related("actor")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/history.html",
        {
            "project": project,
            "page": page,
            "transitions": project.transitions.select_related("actor"),
        },
    )


@require_http_methods(["GET", "POST"])
def project_members(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    manage = role_allows(project.user_role, Need.MANAGE) and not project.is_closed
    form = MemberForm(request.POST or None)
    if request.method == "POST":
        project = get_project_for_user(request.user, pk, need=Need.MANAGE)
        if form.is_valid():
            try:
                services.member_set(
                    actor=request.user,
                    project=project,
                    user=form.cleaned_data["user"],
                    role=form.cleaned_data["role"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request, f"{form.cleaned_data['user']} is now a {form.cleaned_data['role']}."
                )
                return redirect("projects:members", pk=project.pk)
    members = project.memberships.select_related("user").prefetch_related("user__teams")
    return render(
        request,
        "projects/members.html",
        {
            "project": project,
            "members": members,
            "form": form if manage else None,
            "roles": Role.choices,
        },
        status=422 if form.errors else 200,
    )


@require_POST
def member_remove(request: AuthedRequest, pk: int, member_pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, need=Need.MANAGE)
    membership = get_object_or_404(Membership, pk=member_pk, project=project)
    try:
        open_tasks = services.member_remove(
            actor=request.user, project=project, membership=membership
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{membership.user} left the project.")
        if open_tasks:
            named = ", ".join(f"“{title}”" for title in open_tasks[:5])
            more = f" and {len(open_tasks) - 5} more" if len(open_tasks) > 5 else ""
            messages.warning(
                request,
                f"{membership.user} still owns {len(open_tasks)} open "
                f"task{pluralize(len(open_tasks))}: {named}{more}. Give them to someone "
                "else from the project's tasks.",
            )
    return redirect("projects:members", pk=project.pk)


@require_POST
def goal_create(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, need=Need.MANAGE)
    return inline_create(
        request,
        project,
        "goals",
        stage_param(request, project),
        form=GoalForm(request.POST, project=project),
        form_name="goal_form",
        create=lambda f: services.goal_create(actor=request.user, project=project, **f.changes()),
    )


def edit_row(
    request: AuthedRequest,
    *,
    obj: Any,
    form: Any,
    save: Any,
    section: str,
    stage: str,
    success_url: str | None = None,
) -> HttpResponse:
    """The shared flow of an inline edit: show, validate, save with version, or explain.
    Opened as a page of its own (a new tab, no JavaScript), it posts and redirects back."""
    project = obj.project
    back = success_url or reverse("projects:stage", args=[project.pk, stage]) + f"#{section}"
    if request.method == "POST" and form.is_valid():
        try:
            save(form)
        except StaleEdit as error:
            form = form.stale(error)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if request.htmx:
                return render_section(request, project, section, stage)
            messages.success(request, f"{obj._meta.verbose_name.capitalize()} saved.")
            return redirect(back)
    ctx = {
        "form": form,
        "object": obj,
        "project": project,
        "stage": stage,
        "section": section,
        "back": back,
    }
    if request.htmx:
        response = render(request, "projects/row_edit.html#row", ctx)
        if form.errors:
            # The form posted to the section; its errors go back into the row instead.
            response = reswap(retarget(response, f"#edit-{section}-{obj.pk}"), "innerHTML")
        return response
    return render(request, "projects/row_edit.html", ctx, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def goal_edit(request: AuthedRequest, goal_pk: int) -> HttpResponse:
    goal = get_goal_for_user(request.user, goal_pk, write=True)
    form = GoalForm(request.POST or None, instance=goal, project=goal.project)
    return edit_row(
        request,
        obj=goal,
        form=form,
        save=lambda f: services.goal_update(
            actor=request.user, goal=goal, version=f.cleaned_data["version"], changes=f.changes()
        ),
        section="goals",
        stage=stage_param(request, goal.project),
    )


@require_POST
def goal_delete(request: AuthedRequest, goal_pk: int) -> HttpResponse:
    goal = get_goal_for_user(request.user, goal_pk, write=True)
    services.goal_delete(actor=request.user, goal=goal)
    stage = stage_param(request, goal.project)
    if request.htmx:
        return render_section(request, goal.project, "goals", stage)
    messages.success(request, f"Goal “{goal}” removed.")
    return redirect("projects:stage", pk=goal.project.pk, stage=stage)


def stage_param(request: AuthedRequest, project: Project) -> str:
    stage = request.POST.get("stage") or request.GET.get("stage")
    return stage if stage in Stage.values else project.stage


@require_POST
def request_create(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, need=Need.MANAGE)

    def create(form: InputRequestForm) -> object:
        data = form.cleaned_data
        return services.request_create(
            actor=request.user,
            project=project,
            kind=data["kind"],
            title=data["title"],
            details=data["details"],
            user=data["requested_from_user"],
            team=data["requested_from_team"],
            required=data["required"],
            due_date=data["due_date"],
        )

    return inline_create(
        request,
        project,
        "requests",
        Stage.DEVELOPMENT,
        form=InputRequestForm(request.POST, project=project),
        form_name="request_form",
        create=create,
    )


@require_http_methods(["GET", "POST"])
def request_detail(request: AuthedRequest, request_pk: int) -> HttpResponse:
    input_request = get_request_for_user(request.user, request_pk, write=request.method == "POST")
    answerable = can_answer_request(request.user, input_request)
    form = AnswerForm(request.POST or None, request=input_request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.request_answer(
                actor=request.user,
                request=input_request,
                version=data["version"],
                decision=data["decision"],
                response=data["response"],
            )
        except StaleEdit as error:
            form.add_error(None, error.message)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Thank you — your answer is recorded.")
            return redirect(input_request.get_absolute_url())
    return render(
        request,
        "projects/request_detail.html",
        {
            "input_request": input_request,
            "project": input_request.project,
            "form": form if answerable or form.errors else None,
            "can_manage": role_allows(input_request.project.user_role, Need.MANAGE)
            and not input_request.project.is_closed,
        },
        status=422 if form.errors else 200,
    )


@require_POST
def request_reask(request: AuthedRequest, request_pk: int) -> HttpResponse:
    input_request = get_request_for_user(request.user, request_pk)
    get_project_for_user(request.user, input_request.project_id, need=Need.MANAGE)
    form = ReaskForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"note": "Say what changed since the last answer."})
        services.request_reask(
            actor=request.user,
            request=input_request,
            version=form.cleaned_data["version"],
            note=form.cleaned_data["note"],
        )
    except StaleEdit as error:
        messages.error(request, error.message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Asked {input_request.addressee} again.")
    return redirect(input_request.get_absolute_url())


@require_POST
def request_delete(request: AuthedRequest, request_pk: int) -> HttpResponse:
    input_request = get_request_for_user(request.user, request_pk)
    project = get_project_for_user(request.user, input_request.project_id, need=Need.MANAGE)
    services.request_delete(actor=request.user, request=input_request)
    if request.htmx:
        return render_section(request, project, "requests", Stage.DEVELOPMENT)
    messages.success(request, "Request withdrawn.")
    return redirect("projects:stage", pk=project.pk, stage=Stage.DEVELOPMENT)

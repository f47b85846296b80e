from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from synchrony.accounts.http import AuthedRequest
from synchrony.activity.forms import VersionForm, apply_errors
from synchrony.activity.services import StaleEdit
from synchrony.planning import services
from synchrony.planning.forms import (
    BudgetApprovalForm,
    BudgetLineForm,
    CommentForm,
    ContentForm,
    ReviewForm,
    TaskForm,
    TaskStatusForm,
)
from synchrony.planning.selectors import (
    can_comment_content,
    can_edit_content,
    can_review_content,
    get_budget_line_for_user,
    get_content_for_user,
    get_task_for_user,
)
from synchrony.projects.models import Stage
from synchrony.projects.selectors import Need, get_project_for_user
from synchrony.projects.views import edit_row, inline_create, render_section, render_stage


@require_POST
def task_create(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, need=Need.CONTRIBUTE)
    # The section to show is the page's stage, which the new task's own stage may differ from.
    stage = request.POST.get("section_stage")
    return inline_create(
        request,
        project,
        "tasks",
        stage if stage in Stage.values else project.stage,
        form=TaskForm(request.POST, project=project),
        form_name="task_form",
        create=lambda f: services.task_create(
            actor=request.user,
            project=project,
            depends_on=f.cleaned_data["depends_on"],
            **f.changes(),
        ),
    )


@require_http_methods(["GET", "POST"])
def task_edit(request: AuthedRequest, task_pk: int) -> HttpResponse:
    task = get_task_for_user(request.user, task_pk, write=True)
    form = TaskForm(request.POST or None, instance=task, project=task.project)
    return edit_row(
        request,
        obj=task,
        form=form,
        save=lambda f: services.task_update(
            actor=request.user,
            task=task,
            version=f.cleaned_data["version"],
            changes=f.changes(),
            depends_on=f.cleaned_data["depends_on"],
        ),
        section="tasks",
        stage=task.stage,
    )


@require_POST
def task_status(request: AuthedRequest, task_pk: int) -> HttpResponse:
    """The quick status change from a task row; a refusal is shown in that row."""
    task = get_task_for_user(request.user, task_pk, write=True)
    form = TaskStatusForm(request.POST)
    problem = ""
    if form.is_valid():
        try:
            services.task_update(
                actor=request.user,
                task=task,
                version=form.cleaned_data["version"],
                changes={
                    "status": form.cleaned_data["status"],
                    "blocked_reason": form.cleaned_data["blocked_reason"],
                },
            )
        except StaleEdit as error:
            problem = error.message
        except ValidationError as error:
            problem = " ".join(error.messages)
    else:
        problem = "Choose a valid status."
    errors = {task.pk: problem} if problem else {}
    if request.htmx:
        return render_section(request, task.project, "tasks", task.stage, status_errors=errors)
    if problem:
        return render_stage(request, task.project, task.stage, status=422, status_errors=errors)
    return redirect("projects:stage", pk=task.project.pk, stage=task.stage)


@require_POST
def task_delete(request: AuthedRequest, task_pk: int) -> HttpResponse:
    task = get_task_for_user(request.user, task_pk, write=True)
    services.task_delete(actor=request.user, task=task)
    if request.htmx:
        return render_section(request, task.project, "tasks", task.stage)
    messages.success(request, f"Task “{task}” deleted.")
    return redirect("projects:stage", pk=task.project.pk, stage=task.stage)


@require_POST
def content_create(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, need=Need.CONTRIBUTE)
    return inline_create(
        request,
        project,
        "content",
        Stage.PLANNING,
        form=ContentForm(request.POST, project=project),
        form_name="content_form",
        create=lambda f: services.content_create(
            actor=request.user, project=project, **f.changes()
        ),
    )


def _content_page(
    request: AuthedRequest, item, *, review_form=None, comment_form=None, status: int = 200
) -> HttpResponse:
    user = request.user
    return render(
        request,
        "planning/content_detail.html",
        {
            "item": item,
            "project": item.project,
            "comments": item.comments.select_related("author"),
            "can_edit": can_edit_content(user, item),
            "can_review": can_review_content(user, item),
            "review_form": review_form or ReviewForm(initial={"version": item.version}),
            "comment_form": (comment_form or CommentForm())
            if can_comment_content(user, item)
            else None,
        },
        status=status,
    )


@require_GET
def content_detail(request: AuthedRequest, content_pk: int) -> HttpResponse:
    return _content_page(request, get_content_for_user(request.user, content_pk))


@require_http_methods(["GET", "POST"])
def content_edit(request: AuthedRequest, content_pk: int) -> HttpResponse:
    item = get_content_for_user(request.user, content_pk, write=True)
    form = ContentForm(request.POST or None, instance=item, project=item.project)
    return edit_row(
        request,
        obj=item,
        form=form,
        save=lambda f: services.content_update(
            actor=request.user, item=item, version=f.cleaned_data["version"], changes=f.changes()
        ),
        section="content",
        stage=Stage.PLANNING,
        success_url=item.get_absolute_url(),
    )


@require_POST
def content_submit(request: AuthedRequest, content_pk: int) -> HttpResponse:
    item = get_content_for_user(request.user, content_pk, write=True)
    form = VersionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Reload the page and try again.")
        services.content_submit(actor=request.user, item=item, version=form.cleaned_data["version"])
    except StaleEdit as error:
        messages.error(request, error.message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Sent for review.")
    return redirect(item.get_absolute_url())


@require_POST
def content_review(request: AuthedRequest, content_pk: int) -> HttpResponse:
    item = get_content_for_user(request.user, content_pk)
    if not can_review_content(request.user, item):
        raise PermissionDenied("You are not this content's reviewer.")
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.content_review(actor=request.user, item=item, **form.cleaned_data)
        except StaleEdit as error:
            # Shown what changed, the reviewer decides again on the current version.
            data = request.POST.copy()
            data["version"] = str(error.current.version)  # type: ignore[attr-defined]
            form = ReviewForm(data)
            form.is_valid()
            form.add_error(None, error.message)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Review recorded.")
            return redirect(item.get_absolute_url())
    return _content_page(request, item, review_form=form, status=422)


@require_POST
def content_comment(request: AuthedRequest, content_pk: int) -> HttpResponse:
    item = get_content_for_user(request.user, content_pk)
    if not can_comment_content(request.user, item):
        raise PermissionDenied("Viewers cannot comment.")
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.content_comment(actor=request.user, item=item, body=form.cleaned_data["body"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect(item.get_absolute_url() + "#comments")
    return _content_page(request, item, comment_form=form, status=422)


@require_POST
def content_delete(request: AuthedRequest, content_pk: int) -> HttpResponse:
    item = get_content_for_user(request.user, content_pk, write=True)
    services.content_delete(actor=request.user, item=item)
    messages.success(request, f"“{item}” deleted.")
    return redirect("projects:stage", pk=item.project.pk, stage=Stage.PLANNING)


@require_POST
def budget_line_create(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, need=Need.MANAGE)
    return inline_create(
        request,
        project,
        "budget",
        Stage.PLANNING,
        form=BudgetLineForm(request.POST, project=project),
        form_name="budget_form",
        create=lambda f: services.budget_line_create(
            actor=request.user, project=project, **f.changes()
        ),
    )


@require_http_methods(["GET", "POST"])
def budget_line_edit(request: AuthedRequest, line_pk: int) -> HttpResponse:
    line = get_budget_line_for_user(request.user, line_pk, write=True)
    form = BudgetLineForm(request.POST or None, instance=line, project=line.project)
    return edit_row(
        request,
        obj=line,
        form=form,
        save=lambda f: services.budget_line_update(
            actor=request.user, line=line, version=f.cleaned_data["version"], changes=f.changes()
        ),
        section="budget",
        stage=Stage.PLANNING,
    )


@require_POST
def budget_line_delete(request: AuthedRequest, line_pk: int) -> HttpResponse:
    line = get_budget_line_for_user(request.user, line_pk, write=True)
    services.budget_line_delete(actor=request.user, line=line)
    if request.htmx:
        return render_section(request, line.project, "budget", Stage.PLANNING)
    messages.success(request, f"Budget line “{line}” removed.")
    return redirect("projects:stage", pk=line.project.pk, stage=Stage.PLANNING)


@require_POST
def budget_approve(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, need=Need.MANAGE)
    form = BudgetApprovalForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Reload the page and try again.")
        services.budget_approve(
            actor=request.user,
            project=project,
            budget_version=form.cleaned_data["budget_version"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Budget approved.")
    return redirect("projects:stage", pk=project.pk, stage=Stage.PLANNING)

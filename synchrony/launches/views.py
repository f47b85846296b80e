from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from synchrony.accounts.http import AuthedRequest, back_to_next, see_other
from synchrony.activity.forms import apply_errors, error_text
from synchrony.activity.models import ActivityEvent
from synchrony.activity.services import StaleEdit
from synchrony.launches import health, services
from synchrony.launches.adapters import adapter_for
from synchrony.launches.conflicts import Conflict, conflicts_for
from synchrony.launches.forms import (
    ActivationForm,
    AddChannelForm,
    ChannelForm,
    GateForm,
    GateStatusForm,
    HoldForm,
    LaunchForm,
    MilestoneForm,
    MoveForm,
    StatusForm,
)
from synchrony.launches.models import (
    SUCCESS_STATES,
    Activation,
    ActivationState,
    Channel,
    DeliveryAttempt,
    Launch,
    LaunchStatus,
)
from synchrony.launches.selectors import (
    can_edit_channel,
    can_set_gate,
    can_tick,
    get_activation_for_user,
    get_channel_for_user,
    get_gate_for_user,
    get_launch_for_user,
    get_milestone_for_user,
    launchable_channels,
)
from synchrony.lib.text import short_span
from synchrony.projects.models import Role
from synchrony.projects.selectors import Need, get_project_for_user, projects_for_user


@require_GET
def channel_list(request: AuthedRequest) -> HttpResponse:
    visible = projects_for_user(request.user)
    channels = list(
        Channel.objects.select_related("owner").annotate(
            my_projects=Count("projects", filter=Q(projects__in=visible), distinct=True)
        )
    )
    editable = {c.pk for c in channels if can_edit_channel(request.user, c)}
    return render(
        request, "launches/channel_list.html", {"channels": channels, "editable": editable}
    )


@require_http_methods(["GET", "POST"])
@never_cache  # the page shows the signing secret
def channel_edit(request: AuthedRequest, channel_pk: int) -> HttpResponse:
    channel = get_channel_for_user(request.user, channel_pk, write=True)
    # The form works on a copy: a refused save leaves the page's facts as they are.
    form = ChannelForm(request.POST or None, instance=copy.copy(channel))
    if request.method == "POST" and form.is_valid():
        try:
            services.channel_update(
                actor=request.user,
                channel=channel,
                version=form.cleaned_data["version"],
                changes={name: form.cleaned_data[name] for name in services.CHANNEL_SETTINGS},
            )
        except StaleEdit as error:
            form = cast(ChannelForm, form.stale(error))
            channel = get_channel_for_user(request.user, channel_pk, write=True)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{channel} settings saved.")
            return redirect("launches:channel-edit", channel_pk=channel.pk)
    history = ActivityEvent.objects.filter(
        target_type=Channel._meta.label_lower, target_id=channel.pk
    ).select_related("actor")[:10]
    now = timezone.now()
    return render(
        request,
        "launches/channel_settings.html",
        {
            "channel": channel,
            "form": form,
            "history": history,
            "now": now,
            "previous_works": channel.previous_secret_works(now),
        },
        status=422 if form.errors else 200,
    )


@require_POST
def channel_rotate(request: AuthedRequest, channel_pk: int) -> HttpResponse:
    """A new secret, then 303 to the settings page: reloading that is a GET, which does
    not rotate again. The page shows the channel's secret to whoever may edit it, so
    there is nothing to keep for it in the session, unlike a webhook endpoint's."""
    channel = get_channel_for_user(request.user, channel_pk, write=True)
    try:
        services.channel_rotate_secret(
            actor=request.user,
            channel=channel,
            end_previous=request.POST.get("end_previous") == "yes",
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            "New signing secret made. The previous one stays valid for 24 hours: "
            "deliveries carry both signatures until then.",
        )
    return see_other("launches:channel-edit", channel_pk=channel.pk)


@require_POST
def channel_enable(request: AuthedRequest, channel_pk: int) -> HttpResponse:
    channel = get_channel_for_user(request.user, channel_pk, write=True)
    try:
        services.channel_enable(actor=request.user, channel=channel)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, f"{channel} is enabled again: failed activations can be retried.")
    return redirect("launches:channel-edit", channel_pk=channel.pk)


@require_GET
def sync_health(request: AuthedRequest) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "launches/sync_health.html",
        {"health": health.sync_health(request.user, now=now), "now": now},
    )


@require_GET
def project_launches(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    return _project_page(request, project)


def _project_page(request: AuthedRequest, project: Any, **forms: Any) -> HttpResponse:
    manage = project.user_role == Role.MANAGER and not project.is_closed
    launches = list(
        project.launches.prefetch_related(
            Prefetch("activations", Activation.objects.select_related("channel"))
        )
    )
    for launch in launches:
        launch.project = project
    conflicts = conflicts_for(launches)
    for launch in launches:
        launch.conflict_list = conflicts.get(launch.pk, [])
    return render(
        request,
        "launches/project_launches.html",
        {
            "project": project,
            "launches": launches,
            "milestones": project.milestones.all(),
            "can_manage": manage,
            "launch_form": forms.get("launch_form")
            or (LaunchForm(project=project, zone=request.user.time_zone) if manage else None),
            "milestone_form": forms.get("milestone_form") or (MilestoneForm() if manage else None),
        },
        status=422 if any(f.errors for f in forms.values()) else 200,
    )


@require_POST
def launch_create(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, need=Need.MANAGE)
    form = LaunchForm(request.POST, project=project, zone=request.user.time_zone)
    if form.is_valid():
        try:
            launch, conflicts = services.launch_create(
                actor=request.user,
                project=project,
                name=form.cleaned_data["name"],
                notes=form.cleaned_data["notes"],
                policy=form.cleaned_data["policy"],
                channels=form.cleaned_data["channels"],
                **form.moment(),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Launch “{launch}” planned.")
            for conflict in conflicts:
                messages.warning(request, f"Conflict: {conflict.message}")
            return redirect(launch.get_absolute_url())
    return _project_page(request, project, launch_form=form)


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def launch_detail(request: AuthedRequest, launch_pk: int) -> HttpResponse:
    """The control room: the whole page, or (htmx) its live part or its countdown."""
    launch = get_launch_for_user(request.user, launch_pk)
    if request.htmx and request.htmx.target == "countdown":
        return render(
            request,
            "launches/launch_detail.html#countdown",
            {"launch": launch, **_countdown(launch, timezone.now())},
        )
    return _launch_page(request, launch)


# The countdown ticks every second within this of go-live, else twice a minute.
COUNTDOWN_CLOSE = dt.timedelta(hours=1)
# Whose go-live is ahead (or just passed) and worth counting towards.
COUNTING = (LaunchStatus.SCHEDULED, LaunchStatus.ARMED, LaunchStatus.FIRING)
TICKABLE = (ActivationState.WAITING, ActivationState.OVERDUE, ActivationState.UNKNOWN)
RETRYABLE = (ActivationState.FAILED, ActivationState.UNKNOWN)
RETRYABLE_LAUNCH = (LaunchStatus.FIRING, LaunchStatus.PARTLY_LAUNCHED, LaunchStatus.FAILED)


def _countdown(launch: Launch, now: dt.datetime) -> dict[str, Any]:
    close = abs(launch.go_live - now) <= COUNTDOWN_CLOSE
    return {"now": now, "counting": launch.status in COUNTING, "poll": "1s" if close else "30s"}


@dataclass(frozen=True)
class Delivery:
    """One channel's row in the control room, with what this user may do about it."""

    activation: Activation
    automated: bool
    tickable: bool  # "Mark done" / "It went out"
    retryable: bool
    channel_editable: bool


def _launch_page(request: AuthedRequest, launch: Launch, **forms: Any) -> HttpResponse:
    user = request.user
    project = launch.project
    manager = project.user_role == Role.MANAGER and not project.is_closed
    # Planning stops when the engine takes the launch and for good once it is history.
    plan = manager and not launch.is_final and not launch.is_going_out
    activations = list(
        launch.activations.select_related("channel__owner", "done_by").prefetch_related(
            Prefetch("attempt_log", DeliveryAttempt.objects.order_by("number"))
        )
    )
    deliveries = []
    for activation in activations:
        activation.launch = launch
        automated = adapter_for(activation.channel).automated
        deliveries.append(
            Delivery(
                activation=activation,
                automated=automated,
                tickable=activation.state in TICKABLE and can_tick(user, activation),
                retryable=manager
                and automated
                and activation.state in RETRYABLE
                and launch.status in RETRYABLE_LAUNCH,
                channel_editable=can_edit_channel(user, activation.channel),
            )
        )
    gates = list(launch.gates.select_related("owner", "team"))
    for gate in gates:
        gate.launch = launch
    settable = {gate.pk for gate in gates if can_set_gate(user, gate)}
    used = {a.channel_id for a in activations}
    # One instant for the page: the buttons and the "go-live has passed" note agree.
    now = timezone.now()
    context = {
        "launch": launch,
        "project": project,
        "deliveries": deliveries,
        "went_out": sum(a.state in SUCCESS_STATES for a in activations),
        "gates": gates,
        "settable_gates": settable,
        "preflights": launch.preflights.all()[:3],
        "conflicts": conflicts_for([launch])[launch.pk] if not launch.is_final else [],
        "can_manage": plan,
        "statuses": _next_statuses(launch, now) if manager else [],
        "preflight_offsets": _offsets_text(),
        "can_hold": manager and launch.is_holdable,
        "free_channels": launchable_channels(project).exclude(pk__in=used),
        "gate_form": forms.get("gate_form") or (GateForm() if plan else None),
        **_countdown(launch, now),
    }
    if request.htmx:
        return render(request, "launches/launch_detail.html#live", context)
    return render(
        request,
        "launches/launch_detail.html",
        context,
        status=422 if any(f.errors for f in forms.values()) else 200,
    )


def _offsets_text() -> str:
    """When preflight checks, as configured: "24 h, 1 h and 5 min"."""
    spans = [short_span(s) for s in sorted(settings.LAUNCH_PREFLIGHT_OFFSETS, reverse=True)]
    if len(spans) < 2:
        return "".join(spans)
    return f"{', '.join(spans[:-1])} and {spans[-1]}"


def _next_statuses(launch: Launch, now: dt.datetime) -> list[tuple[str, str]]:
    """The buttons a manager gets: (status, label). No "Schedule" or "Release" once the
    go-live has passed: the service refuses it, and the page asks for a new go-live."""
    options = {
        LaunchStatus.DRAFT: [LaunchStatus.SCHEDULED, LaunchStatus.CANCELLED],
        LaunchStatus.SCHEDULED: [LaunchStatus.DRAFT, LaunchStatus.CANCELLED],
        LaunchStatus.HELD: [LaunchStatus.SCHEDULED, LaunchStatus.CANCELLED],
        # The engine has it: cancelling stops whatever has not gone out yet.
        LaunchStatus.ARMED: [LaunchStatus.CANCELLED],
        LaunchStatus.FIRING: [LaunchStatus.CANCELLED],
    }
    labels = {
        LaunchStatus.SCHEDULED: "Release" if launch.status == LaunchStatus.HELD else "Schedule",
        LaunchStatus.DRAFT: "Back to draft",
        LaunchStatus.CANCELLED: "Cancel launch",
    }
    passed = launch.go_live <= now
    return [
        (s.value, labels[s])
        for s in options.get(LaunchStatus(launch.status), [])
        if not (passed and s == LaunchStatus.SCHEDULED)
    ]


@require_http_methods(["GET", "POST"])
def launch_edit(request: AuthedRequest, launch_pk: int) -> HttpResponse:
    launch = get_launch_for_user(request.user, launch_pk, write=True)
    form = LaunchForm(request.POST or None, instance=launch)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in ("name", "notes", "policy")}
        try:
            _, conflicts = services.launch_update(
                actor=request.user,
                launch=launch,
                version=form.cleaned_data["version"],
                changes={**changes, **form.moment()},
            )
        except StaleEdit as error:
            form = cast(LaunchForm, form.stale(error))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Launch saved.")
            for conflict in conflicts:
                messages.warning(request, f"Conflict: {conflict.message}")
            return redirect(launch.get_absolute_url())
    return render(
        request,
        "launches/launch_form.html",
        {"form": form, "launch": launch, "project": launch.project},
        status=422 if form.errors else 200,
    )


def move_as_posted(request: AuthedRequest, launch: Launch) -> tuple[Launch, list[Conflict]]:
    """A quick move's form (the calendar's drag and drop, the agenda's Move box) through the
    launch form's service and checks; raises StaleEdit or ValidationError."""
    form = MoveForm(request.POST)
    if not form.is_valid():
        raise ValidationError("Give the new date as YYYY-MM-DD and time as HH:MM.")
    local = dt.datetime.combine(form.cleaned_data["local_date"], form.cleaned_data["local_time"])
    return services.launch_update(
        actor=request.user,
        launch=launch,
        version=form.cleaned_data["version"],
        changes={"local_go_live": local},
    )


@require_POST
def launch_move(request: AuthedRequest, launch_pk: int) -> HttpResponse:
    """The calendar's drag and drop: the page's messages say what happened (floating in view)."""
    launch = get_launch_for_user(request.user, launch_pk, write=True)
    try:
        moved, conflicts = move_as_posted(request, launch)
    except (StaleEdit, ValidationError) as error:
        messages.error(request, f"“{launch}” not moved: {error_text(error)}")
    else:
        messages.success(
            request, f"“{moved}” moved to {moved.local_date:%-d %b} {moved.local_time:%H:%M}."
        )
        for conflict in conflicts:
            messages.warning(request, f"Conflict: {conflict.message}")
    if not request.htmx:
        return back_to_next(request, launch.get_absolute_url())
    html = render_to_string("includes/messages.html", {"oob": True}, request)
    return trigger_client_event(HttpResponse(html), "calendar-changed")


@require_POST
def launch_status(request: AuthedRequest, launch_pk: int) -> HttpResponse:
    launch = get_launch_for_user(request.user, launch_pk, write=True)
    form = StatusForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose a valid status.")
        updated, problems = services.launch_set_status(
            actor=request.user, launch=launch, **form.cleaned_data
        )
    except (StaleEdit, ValidationError) as error:
        messages.error(request, error_text(error))
    else:
        if form.cleaned_data["status"] == LaunchStatus.CANCELLED != updated.status:
            messages.success(request, "Stopped: what had not gone out yet will not go out.")
        else:
            messages.success(request, f"Launch is now {updated.get_status_display().lower()}.")
        # Scheduling is allowed before everything is ready; say now what preflight
        # will hold it for, so nobody learns it five minutes before go-live.
        for problem in problems:
            messages.warning(request, f"Not ready yet: {problem.message}")
    return redirect(launch.get_absolute_url())


@require_POST
def launch_hold(request: AuthedRequest, launch_pk: int) -> HttpResponse:
    """A manager holds a scheduled launch, with a reason everyone reads, until released."""
    launch = get_launch_for_user(request.user, launch_pk, write=True)
    form = HoldForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("The page was out of date: reload it and try again.")
        services.launch_hold(actor=request.user, launch=launch, **form.cleaned_data)
    except (StaleEdit, ValidationError) as error:
        messages.error(request, f"Not held. {error_text(error)}")
    else:
        messages.success(request, "Held: nothing goes out until a manager releases it.")
    return redirect(launch.get_absolute_url())


@require_POST
def activation_retry(request: AuthedRequest, activation_pk: int) -> HttpResponse:
    """One more attempt at a failed (or unknown) automated activation: managers."""
    activation = get_activation_for_user(request.user, activation_pk, write=True)
    try:
        services.activation_retry(actor=request.user, activation=activation)
    except ValidationError as error:
        messages.error(request, f"{activation.channel}: {error_text(error)}")
    else:
        messages.success(request, f"{activation.channel}: one more attempt is on its way.")
    return redirect(activation.launch.get_absolute_url() + f"#activation-{activation.pk}")


@require_POST
def activation_done(request: AuthedRequest, activation_pk: int) -> HttpResponse:
    """ "Mark done" (a manual step) or "It went out" (an unknown one): see can_tick."""
    activation = get_activation_for_user(request.user, activation_pk, tick=True)
    try:
        services.activation_tick(actor=request.user, activation=activation)
    except ValidationError as error:
        messages.error(request, f"{activation.channel}: {error_text(error)}")
    else:
        messages.success(request, f"{activation.channel}: ticked off as gone out.")
    return redirect(activation.launch.get_absolute_url() + f"#activation-{activation.pk}")


@require_POST
def activation_add(request: AuthedRequest, launch_pk: int) -> HttpResponse:
    launch = get_launch_for_user(request.user, launch_pk, write=True)
    form = AddChannelForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose a channel.")
        services.activation_set(
            actor=request.user, launch=launch, channel=form.cleaned_data["channel"]
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect(launch.get_absolute_url() + "#activations")


@require_http_methods(["GET", "POST"])
def activation_edit(request: AuthedRequest, activation_pk: int) -> HttpResponse:
    activation = get_activation_for_user(request.user, activation_pk, write=True)
    launch = activation.launch
    form = ActivationForm(request.POST or None, instance=activation)
    if request.method == "POST" and form.is_valid():
        try:
            services.activation_set(
                actor=request.user,
                launch=launch,
                channel=activation.channel,
                **{k: v for k, v in form.changes().items()},
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{activation.channel} content saved.")
            return redirect(launch.get_absolute_url() + "#activations")
    return render(
        request,
        "launches/activation_form.html",
        {"form": form, "activation": activation, "launch": launch, "project": launch.project},
        status=422 if form.errors else 200,
    )


@require_POST
def activation_remove(request: AuthedRequest, activation_pk: int) -> HttpResponse:
    activation = get_activation_for_user(request.user, activation_pk, write=True)
    launch = activation.launch
    try:
        services.activation_remove(actor=request.user, activation=activation)
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect(launch.get_absolute_url() + "#activations")


@require_POST
def gate_create(request: AuthedRequest, launch_pk: int) -> HttpResponse:
    launch = get_launch_for_user(request.user, launch_pk, write=True)
    form = GateForm(request.POST)
    if form.is_valid():
        try:
            services.gate_create(actor=request.user, launch=launch, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect(launch.get_absolute_url() + "#gates")
    return _launch_page(request, launch, gate_form=form)


@require_POST
def gate_status(request: AuthedRequest, gate_pk: int) -> HttpResponse:
    gate = get_gate_for_user(request.user, gate_pk, write=True)
    form = GateStatusForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose a valid gate status.")
        services.gate_update(
            actor=request.user,
            gate=gate,
            version=form.cleaned_data["version"],
            changes={"status": form.cleaned_data["status"]},
        )
    except (StaleEdit, ValidationError) as error:
        messages.error(request, error_text(error))
    return redirect(gate.launch.get_absolute_url() + "#gates")


@require_POST
def milestone_create(request: AuthedRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, need=Need.MANAGE)
    form = MilestoneForm(request.POST)
    if form.is_valid():
        services.milestone_create(actor=request.user, project=project, **form.cleaned_data)
        return redirect("launches:project", pk=project.pk)
    return _project_page(request, project, milestone_form=form)


@require_POST
def milestone_delete(request: AuthedRequest, milestone_pk: int) -> HttpResponse:
    milestone = get_milestone_for_user(request.user, milestone_pk, write=True)
    services.milestone_delete(actor=request.user, milestone=milestone)
    return redirect("launches:project", pk=milestone.project_id)

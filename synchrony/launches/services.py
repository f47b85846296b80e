"""Writes for launches, activations, readiness gates and milestones."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from synchrony.activity.live import publish_change
from synchrony.activity.services import (
    record_created,
    record_deleted,
    record_event,
    update_versioned,
)
from synchrony.launches import engine
from synchrony.launches.adapters import adapter_for, encoded_payload
from synchrony.launches.conflicts import Conflict, conflicts_for
from synchrony.launches.models import (
    Activation,
    ActivationState,
    AdapterKind,
    Channel,
    Launch,
    LaunchPolicy,
    LaunchStatus,
    Milestone,
    ReadinessGate,
)
from synchrony.launches.selectors import launchable_channels
from synchrony.lib.text import sentences
from synchrony.lib.wall_time import NonexistentTime, resolve
from synchrony.projects.models import Project
from synchrony.webhooks.events import emit, launch_event

if TYPE_CHECKING:
    from synchrony.accounts.models import User
    from synchrony.launches.engine import Problem


def _moment(local_go_live: dt.datetime, time_zone: str) -> tuple[dt.datetime, str]:
    """UTC go-live for a wall time, refusing times that do not exist or have passed."""
    try:
        resolved = resolve(local_go_live, time_zone)
    except NonexistentTime as error:
        raise ValidationError({"local_go_live": str(error)}) from None
    if resolved.utc <= timezone.now():
        raise ValidationError({"local_go_live": "The go-live moment has already passed."})
    return resolved.utc, resolved.note


def _check_channels(channels: Iterable[Channel], *, project: Project, field: str) -> None:
    """Refuse a channel a launch of `project` may not go out on (selectors.
    launchable_channels), by name: the form offers only those. Called in a transaction, it
    locks the project, as a change of the project's channels does (projects.services), so
    no channel leaves the project while a launch is put on it."""
    Project.objects.select_for_update().filter(pk=project.pk).exists()
    wanted = {c.pk: c for c in channels}
    allowed = set(launchable_channels(project).filter(pk__in=wanted).values_list("pk", flat=True))
    refused = [c for pk, c in wanted.items() if pk not in allowed]
    if refused:
        raise ValidationError(
            {
                field: [
                    f"{c} is switched off: a launch cannot go out on it."
                    if not c.is_active
                    else f"{c} is not one of this project's channels: add it to the project "
                    "(Edit project, Channels) first."
                    for c in refused
                ]
            }
        )


def _check_conflicts(launch: Launch) -> list[Conflict]:
    conflicts = conflicts_for([launch])[launch.pk]
    blocking = [c for c in conflicts if c.blocking]
    if blocking:
        raise ValidationError({"local_go_live": [c.message for c in blocking]})
    return conflicts


def launch_create(
    *,
    actor: User,
    project: Project,
    name: str,
    local_go_live: dt.datetime,
    time_zone: str,
    channels: Iterable[Channel] = (),
    notes: str = "",
    policy: str = LaunchPolicy.HOLD,
) -> tuple[Launch, list[Conflict]]:
    go_live, _ = _moment(local_go_live, time_zone)
    channels = list(channels)
    launch = Launch(
        project=project,
        name=name,
        go_live=go_live,
        local_date=local_go_live.date(),
        local_time=local_go_live.time().replace(tzinfo=None),
        time_zone=time_zone,
        notes=notes,
        policy=policy,
        created_by=actor,
    )
    launch.full_clean()
    with transaction.atomic():
        _check_channels(channels, project=project, field="channels")
        launch.save()
        Activation.objects.bulk_create([Activation(launch=launch, channel=c) for c in channels])
        conflicts = _check_conflicts(launch)
        record_created(actor=actor, project=project, target=launch)
        publish_change(kind="launch", obj_id=launch.pk, project_id=project.pk, actor=actor)
    return launch, conflicts


def launch_update(
    *, actor: User, launch: Launch, version: int, changes: dict[str, Any]
) -> tuple[Launch, list[Conflict]]:
    """Edit or move a launch; the same path serves the form and the calendar's quick move."""
    _refuse_if_out(launch)
    changes = dict(changes)
    local = changes.pop("local_go_live", launch.local_go_live)
    zone = changes.get("time_zone", launch.time_zone)
    if local != launch.local_go_live or zone != launch.time_zone:
        changes["go_live"], _ = _moment(local, zone)
        changes["local_date"], changes["local_time"] = local.date(), local.time()
        if launch.status == LaunchStatus.SCHEDULED:
            changes["next_check_at"] = engine.next_check_at(changes["go_live"], timezone.now())
    with transaction.atomic():
        updated, diff = update_versioned(
            actor=actor,
            project=launch.project,
            instance=launch,
            version=version,
            changes=changes,
            verb="moved"
            if "go_live" in changes and changes["go_live"] != launch.go_live
            else "updated",
        )
        updated.project = launch.project
        conflicts = _check_conflicts(updated)
        if updated.go_live != launch.go_live:
            from synchrony.calendars.services import notify_move

            notify_move(launch=updated, before=launch.go_live, actor=actor)
        if diff:
            publish_change(
                kind="launch", obj_id=updated.pk, project_id=updated.project_id, actor=actor
            )
    return updated, conflicts


def _refuse_if_out(launch: Launch) -> None:
    """Nothing changes under the engine's feet, nor after the fact."""
    if launch.is_going_out:
        raise ValidationError("This launch is going out right now; it can no longer change.")
    if launch.is_final:
        raise ValidationError(f"A {launch.get_status_display().lower()} launch cannot change.")


def launch_set_status(
    *, actor: User, launch: Launch, version: int, status: str
) -> tuple[Launch, list[Problem]]:
    """Planning states a manager sets by hand; the firing engine sets the outcomes.

    Scheduling (or releasing) also returns what preflight would hold the launch for now,
    found under the row's lock: scheduling is allowed before everything is ready, and the
    page and the API say so at once."""
    if status == LaunchStatus.CANCELLED and launch.status in (
        LaunchStatus.ARMED,
        LaunchStatus.FIRING,
    ):
        # Racing the engine: it decides under a row lock, not by version.
        engine.cancel(launch=launch, actor=actor)
        launch.refresh_from_db()
        return launch, []
    allowed = {
        LaunchStatus.DRAFT: {LaunchStatus.SCHEDULED, LaunchStatus.CANCELLED},
        LaunchStatus.SCHEDULED: {LaunchStatus.DRAFT, LaunchStatus.CANCELLED},
        LaunchStatus.HELD: {LaunchStatus.SCHEDULED, LaunchStatus.CANCELLED},
    }
    if status not in allowed.get(LaunchStatus(launch.status), set()):
        raise ValidationError(
            f"A {launch.get_status_display().lower()} launch cannot become "
            f"{LaunchStatus(status).label.lower()}."
        )
    changes: dict[str, Any] = {"status": status, "next_check_at": None}
    now = timezone.now()
    releasing = launch.status == LaunchStatus.HELD
    ahead: list[dt.datetime] = []
    problems: list[Problem] = []
    if status == LaunchStatus.SCHEDULED:
        if not launch.activations.exists():
            raise ValidationError("Add at least one channel before scheduling the launch.")
        if launch.go_live <= now:
            # As creating one refuses it: scheduled (or released) now, the engine would
            # only hold it again as missed, or fire it late and not together.
            raise ValidationError(
                {
                    "local_go_live": "The go-live moment has already passed: move the "
                    f"launch to a new go-live, then {'release' if releasing else 'schedule'}"
                    " it."
                }
            )
        # The next check still ahead; none when only arming's last word is left.
        ahead = engine.moments_ahead(launch.go_live, now)
        changes["next_check_at"] = ahead[0] if ahead else None
        changes["hold_reason"] = ""
    with transaction.atomic():
        if status == LaunchStatus.CANCELLED:
            launch.activations.filter(state=ActivationState.PENDING).change(
                state=ActivationState.CANCELLED
            )
        updated, _ = update_versioned(
            actor=actor,
            project=launch.project,
            instance=launch,
            version=version,
            changes=changes,
            verb="released" if releasing else "updated",
        )
        if status == LaunchStatus.SCHEDULED:
            # Under the row's lock (update_versioned took it): what preflight would say now.
            problems = engine.check_launch(updated)
            if not ahead and engine.would_hold(updated, problems):
                # Its last check is due: scheduled, it would be held within the second
                # (launch.scheduled, then launch.held). Refused, with why.
                raise ValidationError(
                    f"Not {'released' if releasing else 'scheduled'}: its last check "
                    "before go-live is due now, and would hold it at once. "
                    + sentences([p.message for p in problems])
                    + " Fix that first, or move the launch to a later go-live."
                )
            engine.check_on_scheduling(updated, now=now, problems=problems)
        emit(launch_event(updated.status), updated)
        publish_change(kind="launch", obj_id=updated.pk, project_id=updated.project_id, actor=actor)
    return updated, problems


def launch_hold(*, actor: User, launch: Launch, version: int, reason: str) -> Launch:
    """A manager holds a scheduled launch, up to the moment the engine starts firing it;
    the reason is shown to everyone who reads the launch. Released with `scheduled`."""
    return engine.hold(launch=launch, actor=actor, reason=reason, version=version)


def activation_retry(*, actor: User, activation: Activation) -> None:
    """A manager asks for one more attempt (the engine refuses what cannot be retried)."""
    engine.retry_now(activation=activation, actor=actor)


def activation_tick(*, actor: User, activation: Activation) -> None:
    """The owner (or a manager) says a manual or unknown step went out."""
    if not engine.manual_step_done(activation=activation, actor=actor):
        raise ValidationError(
            "There is nothing to tick off: this step is not waiting for anyone "
            "(it may have been ticked off already)."
        )


def activation_set(*, actor: User, launch: Launch, channel: Channel, **content: Any) -> Activation:
    _refuse_if_out(launch)
    with transaction.atomic():
        activation, created = Activation.objects.get_or_create(launch=launch, channel=channel)
        if created:
            _check_channels([channel], project=launch.project, field="channel")
            record_created(actor=actor, project=launch.project, target=activation)
        if content:
            _check_payload_size(activation, content)
            activation, _ = update_versioned(
                actor=actor,
                project=launch.project,
                instance=activation,
                version=activation.version,
                changes=content,
            )
        _check_conflicts(launch)
        publish_change(kind="launch", obj_id=launch.pk, project_id=launch.project_id, actor=actor)
    return activation


def _check_payload_size(activation: Activation, content: dict[str, Any]) -> None:
    draft = copy.copy(activation)
    for name, value in content.items():
        setattr(draft, name, value)
    size = len(encoded_payload(draft))
    if size > settings.LAUNCH_PAYLOAD_MAX_BYTES:
        raise ValidationError(
            {
                "body": f"Too long to send: the payload would be {size:,} bytes, over the "
                f"{settings.LAUNCH_PAYLOAD_MAX_BYTES:,}-byte limit. Shorten the body."
            }
        )


def activation_remove(*, actor: User, activation: Activation) -> None:
    launch = activation.launch
    _refuse_if_out(launch)
    with transaction.atomic():
        record_deleted(actor=actor, project=launch.project, target=activation)
        activation.delete()
        publish_change(kind="launch", obj_id=launch.pk, project_id=launch.project_id, actor=actor)


def gate_create(*, actor: User, launch: Launch, **fields: Any) -> ReadinessGate:
    gate = ReadinessGate(launch=launch, **fields)
    gate.full_clean()
    with transaction.atomic():
        gate.save()
        record_created(actor=actor, project=launch.project, target=gate)
        publish_change(kind="launch", obj_id=launch.pk, project_id=launch.project_id, actor=actor)
    return gate


def gate_update(
    *, actor: User, gate: ReadinessGate, version: int, changes: dict[str, Any]
) -> ReadinessGate:
    with transaction.atomic():
        updated, _ = update_versioned(
            actor=actor,
            project=gate.launch.project,
            instance=gate,
            version=version,
            changes=changes,
        )
        publish_change(
            kind="launch", obj_id=gate.launch_id, project_id=gate.launch.project_id, actor=actor
        )
    return updated


def milestone_create(*, actor: User, project: Project, title: str, date: dt.date) -> Milestone:
    milestone = Milestone(project=project, title=title, date=date)
    milestone.full_clean()
    with transaction.atomic():
        milestone.save()
        record_created(actor=actor, project=project, target=milestone)
        publish_change(kind="milestone", obj_id=milestone.pk, project_id=project.pk, actor=actor)
    return milestone


def milestone_update(
    *, actor: User, milestone: Milestone, version: int, changes: dict[str, Any]
) -> Milestone:
    with transaction.atomic():
        updated, _ = update_versioned(
            actor=actor,
            project=milestone.project,
            instance=milestone,
            version=version,
            changes=changes,
        )
        publish_change(
            kind="milestone", obj_id=milestone.pk, project_id=milestone.project_id, actor=actor
        )
    return updated


def milestone_delete(*, actor: User, milestone: Milestone) -> None:
    with transaction.atomic():
        record_deleted(actor=actor, project=milestone.project, target=milestone)
        milestone.delete()
        publish_change(
            kind="milestone", obj_id=milestone.pk, project_id=milestone.project_id, actor=actor
        )


# ── Channels ──────────────────────────────────────────────────────────────────

CHANNEL_SETTINGS = ("adapter", "endpoint_url", "recipients", "timeout_seconds", "max_attempts")


def check_channel(channel: Channel) -> None:
    """Refuse settings the channel could not go out with, each message at its field.

    The model checks the endpoint URL (public http/https only, synchrony.lib.outbound)
    and what each adapter needs; the e-mail adapter also checks every recipient.
    """
    errors: dict[str, list[str]] = {}
    try:
        channel.full_clean()
    except ValidationError as error:
        errors.update(error.message_dict)
    if channel.adapter == AdapterKind.EMAIL and "recipients" not in errors:
        for problem in adapter_for(channel).channel_problems(channel):
            errors.setdefault("recipients", []).append(f"This channel {problem}.")
    if errors:
        raise ValidationError(errors)


CHANNEL_FIELDS = (
    "name",
    "kind",
    "colour",
    "owner",
    "description",
    "is_active",
    "collision_window_hours",
    "allow_collisions",
    *CHANNEL_SETTINGS,
)


def channel_create(*, actor: User, **fields: Any) -> Channel:
    """A new channel, checked as its settings are (check_channel); its signing secret is
    made here and shown once to whoever created it."""
    unknown = set(fields) - set(CHANNEL_FIELDS)
    if unknown:
        raise ValueError(f"not channel fields: {sorted(unknown)}")
    channel = Channel(**fields)
    check_channel(channel)
    with transaction.atomic():
        channel.save()
        record_created(actor=actor, project=None, target=channel)
    return channel


def channel_update(
    *, actor: User, channel: Channel, version: int, changes: dict[str, Any]
) -> Channel:
    """How a channel goes out. Nothing is saved unless every setting is valid
    (check_channel), nor if someone saved a newer version since the editor read
    `version` (StaleEdit); every change is in the channel's history."""
    unknown = set(changes) - set(CHANNEL_SETTINGS)
    if unknown:
        raise ValueError(f"not channel settings: {sorted(unknown)}")
    updated, _ = update_versioned(
        actor=actor,
        project=None,
        instance=channel,
        version=version,
        changes=changes,
        check=check_channel,
    )
    return updated


def channel_rotate_secret(*, actor: User, channel: Channel, end_previous: bool) -> Channel:
    """A new signing secret; the previous one stays valid for a day.

    Meanwhile every delivery carries both signatures, so receivers can switch over
    without dropping one. Only one previous secret is kept: rotating again within the
    day is refused unless `end_previous` (the oldest secret then stops working at once).
    """
    now = timezone.now()
    with transaction.atomic():
        current = Channel.objects.select_for_update().get(pk=channel.pk)
        ended = current.rotate_secret(now, end_previous=end_previous)
        # The secrets themselves never go into the log.
        record_event(
            actor=actor,
            project=None,
            verb="rotated the signing secret of",
            target=current,
            message=current.rotation_note(ended),
        )
    return current


def channel_enable(*, actor: User, channel: Channel) -> Channel:
    """Send on a channel again after its endpoint answered 410 Gone."""
    with transaction.atomic():
        current = Channel.objects.select_for_update().get(pk=channel.pk)
        if current.disabled_at is None:
            raise ValidationError("This channel is not disabled.")
        reason = current.disabled_reason
        current.disabled_at = None
        current.disabled_reason = ""
        current.version += 1
        current.save(update_fields=["disabled_at", "disabled_reason", "version"])
        record_event(
            actor=actor,
            project=None,
            verb="re-enabled",
            target=current,
            message=f"It had been disabled: {reason}",
        )
    return current

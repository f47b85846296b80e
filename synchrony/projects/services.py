"""Writes for projects, their members, goals, sign-off requests and stage moves.

Each function is one use-case: validated, in a transaction, recorded in the activity
log, with the people concerned notified after commit. HTML views and the API both
call these, so a rule lives in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from synchrony.activity.models import NotificationKind
from synchrony.activity.services import (
    field_change,
    notify,
    record_created,
    record_deleted,
    record_event,
    update_versioned,
)
from synchrony.planning.models import Task, TaskStatus
from synchrony.projects.models import (
    Goal,
    InputRequest,
    Membership,
    Project,
    RequestKind,
    RequestStatus,
    Role,
    Stage,
    StageTransition,
)
from synchrony.projects.selectors import NOT_A_PROJECT_STARTER, can_create_project
from synchrony.projects.stages import missing_criteria
from synchrony.webhooks.events import EventType, emit

if TYPE_CHECKING:
    from synchrony.accounts.models import Team, User
    from synchrony.launches.models import Channel


def project_create(
    *, actor: User, name: str, channels: Iterable[Channel] = (), **fields: Any
) -> Project:
    """A new project, owned and managed by its creator; `fields` are Project's own fields
    (summary, scope, promotion window, stage deadlines, budget)."""
    if not can_create_project(actor):
        raise PermissionDenied(NOT_A_PROJECT_STARTER)
    project = Project(name=name, owner=actor, **fields)
    project.full_clean()
    channels = list(channels)
    _check_channels(project, channels)
    with transaction.atomic():
        project.save()
        project.channels.set(channels)
        Membership.objects.create(project=project, user=actor, role=Role.MANAGER)
        record_created(actor=actor, project=project, target=project)
    return project


def project_update(
    *,
    actor: User,
    project: Project,
    version: int,
    changes: dict[str, Any],
    channels: Iterable[Channel] | None = None,
) -> Project:
    owner = changes.get("owner")
    if (
        owner is not None
        and not Membership.objects.filter(project=project, user=owner, role=Role.MANAGER).exists()
    ):
        raise ValidationError({"owner": f"{owner} must be a manager of the project first."})
    with transaction.atomic():
        if channels is not None:
            # Under the project's lock: a launch being put on a channel (launches.services)
            # takes it too, so the channel cannot leave the project meanwhile.
            Project.objects.select_for_update().filter(pk=project.pk).exists()
            channels = list(channels)
            _check_channels(project, channels)
        updated, diff = update_versioned(
            actor=actor,
            project=project,
            instance=project,
            version=version,
            changes=changes,
            m2m={"channels": channels} if channels is not None else None,
        )
        if "budget" in diff and updated.budget_approved_at:
            budget_approval_withdraw(project=updated, actor=actor, why="the total budget changed")
    return updated


def _check_channels(project: Project, channels: list[Channel]) -> None:
    """The project's channels, as chosen: one it takes on must be switched on (one it has may
    stay after being switched off), and one it drops must not be on a launch still to go out
    (launches go out on their project's channels: launches.selectors.launchable_channels).
    Finished launches keep theirs."""
    from synchrony.launches.models import FINAL_STATUSES, Activation

    had = set(project.channels.values_list("pk", flat=True)) if project.pk else set()
    switched_off = [c for c in channels if c.pk not in had and not c.is_active]
    if switched_off:
        raise ValidationError(
            {
                "channels": [
                    f"{c} is switched off: a project cannot take it on." for c in switched_off
                ]
            }
        )
    if not project.pk:
        return
    in_use = (
        Activation.objects.filter(launch__project=project)
        .exclude(channel__in=[c.pk for c in channels])
        .exclude(launch__status__in=FINAL_STATUSES)
        .select_related("channel", "launch")
        .order_by("launch__go_live", "channel__name")
    )
    if in_use:
        raise ValidationError(
            {
                "channels": [
                    f"{a.channel} goes out with the launch “{a.launch}” on "
                    f"{a.launch.local_date:%-d %b %Y}: take it off that launch first."
                    for a in in_use
                ]
            }
        )


def project_move(
    *,
    actor: User,
    project: Project,
    to_stage: str,
    expected_stage: str,
    reason: str = "",
    override: bool = False,
) -> StageTransition:
    """Move a project one stage on or back; the caller has checked the actor is a manager.

    Moving on needs the exit criteria met, or an override with a written reason;
    moving back always needs a reason. Both are recorded for the project's history.
    """
    reason = reason.strip()
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.stage != expected_stage:
            raise ValidationError(
                f"The project is already in {Stage(locked.stage).label}; "
                "reload to see who moved it."
            )
        forward = to_stage == locked.next_stage
        if not forward and to_stage != locked.previous_stage:
            raise ValidationError("A project moves one stage at a time.")
        missing = [c.label for c in missing_criteria(locked)] if forward else []
        if not forward and not reason:
            raise ValidationError({"reason": "Say why the project goes back a stage."})
        if missing and not override:
            # The reason may already be written; what is missing then is the deliberate tick.
            raise ValidationError(
                "Exit criteria not met: "
                + "; ".join(missing)
                + (
                    ". To advance anyway, tick “Advance although exit criteria are missing”."
                    if reason
                    else ". A manager may advance anyway: write the reason and tick “Advance "
                    "although exit criteria are missing”."
                )
            )
        if missing and not reason:
            raise ValidationError({"reason": "Say why the project advances without its criteria."})
        from_stage = locked.stage
        locked.stage = to_stage
        locked.version += 1
        locked.save(update_fields=["stage", "version", "updated_at"])
        transition = StageTransition.objects.create(
            project=locked,
            from_stage=from_stage,
            to_stage=to_stage,
            actor=actor,
            reason=reason,
            overridden=bool(missing),
            missing=missing,
        )
        emit(EventType.PROJECT_STAGE_CHANGED, transition)
        record_event(
            actor=actor,
            project=locked,
            verb="advanced" if forward else "moved back",
            target=locked,
            changes={"stage": field_change(locked, "stage", from_stage, to_stage)},
            message=reason,
        )
        notify(
            recipients=locked.members.all(),
            kind=NotificationKind.STAGE_CHANGED,
            title=f"{locked} moved to {Stage(to_stage).label}",
            body=(f"Reason: {reason}" if reason else "")
            + (f"\nAdvanced without: {'; '.join(missing)}" if missing else ""),
            url=locked.get_absolute_url(),
            project=locked,
            actor=actor,
        )
    project.stage, project.version = locked.stage, locked.version
    return transition


def member_set(
    *, actor: User, project: Project, user: User, role: str, notify_added: bool = True
) -> Membership:
    with transaction.atomic():
        # Lock the project: two adds of the same person (a team request and the members
        # page) must not race into the unique constraint.
        Project.objects.select_for_update().filter(pk=project.pk).first()
        membership = Membership.objects.filter(project=project, user=user).first()
        if membership is None:
            membership = Membership.objects.create(project=project, user=user, role=role)
            record_event(
                actor=actor,
                project=project,
                verb="added",
                target=membership,
                changes={"role": field_change(membership, "role", None, role)},
            )
            notify(
                recipients=[user] if notify_added else [],
                kind=NotificationKind.MEMBERSHIP,
                title=f"You were added to {project} as {Role(role).label.lower()}",
                url=project.get_absolute_url(),
                project=project,
                actor=actor,
            )
            return membership
        if membership.role == role:
            return membership
        _keep_a_manager(project, membership, new_role=role)
        before = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        record_event(
            actor=actor,
            project=project,
            verb="changed role of",
            target=membership,
            changes={"role": field_change(membership, "role", before, role)},
        )
    return membership


def member_remove(*, actor: User, project: Project, membership: Membership) -> list[str]:
    """Take someone off the project. Their work stays theirs (and editable) until a manager
    hands it on: returns the titles of the open tasks they still own, soonest due first."""
    with transaction.atomic():
        _keep_a_manager(project, membership, new_role=None)
        record_deleted(actor=actor, project=project, target=membership)
        membership.delete()
    return list(
        Task.objects.filter(project=project, owner_id=membership.user_id)
        .exclude(status=TaskStatus.DONE)
        .order_by("due_date", "id")
        .values_list("title", flat=True)
    )


def _keep_a_manager(project: Project, membership: Membership, new_role: str | None) -> None:
    if membership.user_id == project.owner_id and new_role != Role.MANAGER:
        raise ValidationError(
            f"{membership.user} owns the project; make someone else the owner first."
        )
    if membership.role == Role.MANAGER and new_role != Role.MANAGER:
        others = project.memberships.filter(role=Role.MANAGER).exclude(pk=membership.pk)
        if not others.exists():
            raise ValidationError("A project needs at least one manager.")


def goal_create(*, actor: User, project: Project, **fields: Any) -> Goal:
    goal = Goal(project=project, **fields)
    goal.full_clean()
    with transaction.atomic():
        goal.save()
        record_created(actor=actor, project=project, target=goal)
    return goal


def goal_update(*, actor: User, goal: Goal, version: int, changes: dict[str, Any]) -> Goal:
    updated, _ = update_versioned(
        actor=actor, project=goal.project, instance=goal, version=version, changes=changes
    )
    return updated


def goal_delete(*, actor: User, goal: Goal) -> None:
    with transaction.atomic():
        record_deleted(actor=actor, project=goal.project, target=goal)
        goal.delete()


def request_create(
    *,
    actor: User,
    project: Project,
    kind: str,
    title: str,
    details: str = "",
    user: User | None = None,
    team: Team | None = None,
    required: bool = True,
    due_date: dt.date | None = None,
) -> InputRequest:
    """Ask a person or a team for input or sign-off.

    Addressees who are not yet on the project join it as viewers, so they can read
    what they are asked to sign off.
    """
    request = InputRequest(
        project=project,
        kind=kind,
        title=title,
        details=details,
        requested_from_user=user,
        requested_from_team=team,
        required=required and kind == RequestKind.SIGNOFF,
        due_date=due_date,
        requested_by=actor,
    )
    request.full_clean()
    addressees = [user] if user is not None else list(team.members.filter(is_active=True))  # type: ignore[union-attr]
    with transaction.atomic():
        request.save()
        record_created(actor=actor, project=project, target=request)
        already = set(project.memberships.values_list("user_id", flat=True))
        for person in addressees:
            if person.pk not in already:
                # They hear about the request itself; no separate "you were added".
                member_set(
                    actor=actor, project=project, user=person, role=Role.VIEWER, notify_added=False
                )
        notify(
            recipients=addressees,
            kind=NotificationKind.SIGNOFF_REQUESTED,
            title=f"{actor} asks for your {request.get_kind_display().lower()}: {title}",
            body=details,
            url=request.get_absolute_url(),
            project=project,
            actor=actor,
        )
    return request


def request_answer(
    *,
    actor: User,
    request: InputRequest,
    version: int,
    decision: str,
    response: str,
) -> InputRequest:
    """The addressee answers: input is answered; a sign-off is given or changes requested."""
    allowed = (
        {RequestStatus.APPROVED, RequestStatus.CHANGES_REQUESTED}
        if request.kind == RequestKind.SIGNOFF
        else {RequestStatus.ANSWERED}
    )
    if decision not in allowed:
        raise ValidationError({"decision": "Choose one of the offered answers."})
    if decision != RequestStatus.APPROVED and not response.strip():
        raise ValidationError({"response": "Write your answer or the changes you need."})
    with transaction.atomic():
        current = (
            InputRequest.objects.select_for_update(of=("self",))
            .select_related("responded_by")
            .get(pk=request.pk)
        )
        if not current.is_open:
            raise ValidationError(
                f"Already answered by {current.responded_by or 'someone'}"
                f" ({current.get_status_display().lower()})."
            )
        updated, _ = update_versioned(
            actor=actor,
            project=request.project,
            instance=request,
            version=version,
            changes={
                "status": decision,
                "response": response.strip(),
                "responded_by": actor,
                "responded_at": timezone.now(),
            },
            verb="answered",
        )
        notify(
            recipients=[request.requested_by] if request.requested_by else [],
            kind=NotificationKind.SIGNOFF_ANSWERED,
            title=f"{actor}: {updated.get_status_display()} — {request.title}",
            body=response,
            url=request.get_absolute_url(),
            project=request.project,
            actor=actor,
        )
    return updated


def request_reask(*, actor: User, request: InputRequest, version: int, note: str) -> InputRequest:
    """Ask again after changes were requested (or to revisit an answer): pending once more."""
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say what changed since the last answer."})
    with transaction.atomic():
        updated, _ = update_versioned(
            actor=actor,
            project=request.project,
            instance=request,
            version=version,
            changes={"status": RequestStatus.PENDING, "responded_at": None},
            verb="asked again",
            message=note,
        )
        addressees = (
            [request.requested_from_user]
            if request.requested_from_user
            else list(request.requested_from_team.members.filter(is_active=True))  # type: ignore[union-attr]
        )
        notify(
            recipients=addressees,
            kind=NotificationKind.SIGNOFF_REQUESTED,
            title=f"{actor} asks again for your {request.get_kind_display().lower()}: "
            f"{request.title}",
            body=note,
            url=request.get_absolute_url(),
            project=request.project,
            actor=actor,
        )
    return updated


def request_delete(*, actor: User, request: InputRequest) -> None:
    with transaction.atomic():
        record_deleted(actor=actor, project=request.project, target=request)
        request.delete()


def budget_changed(*, project: Project, actor: User, why: str) -> None:
    """A budget line changed: the budget has a new version, and any approval is withdrawn.

    Approval holds for the budget as approved, so a change to the plan needs a new one.
    """
    Project.objects.filter(pk=project.pk).update(budget_version=F("budget_version") + 1)
    project.budget_version += 1
    budget_approval_withdraw(project=project, actor=actor, why=why)


def budget_approval_withdraw(*, project: Project, actor: User, why: str) -> None:
    if Project.objects.filter(pk=project.pk, budget_approved_at__isnull=False).update(
        budget_approved_at=None, budget_approved_by=None
    ):
        project.budget_approved_at = None
        record_event(
            actor=actor,
            project=project,
            verb="withdrew budget approval of",
            target=project,
            message=f"Approval withdrawn because {why}.",
        )

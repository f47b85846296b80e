"""Permission rules for launches, their parts and milestones."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404

from synchrony.launches.models import Activation, Launch, Milestone, ReadinessGate
from synchrony.projects.models import Role
from synchrony.projects.selectors import get_project_for_user, projects_for_user

if TYPE_CHECKING:
    from synchrony.accounts.models import User


def get_launch_for_user(user: User, pk: int, *, write: bool = False) -> Launch:
    """Members read launches; managers plan, move and cancel them."""
    launch = (
        Launch.objects.select_related("project")
        .filter(pk=pk, project__in=projects_for_user(user))
        .first()
    )
    if launch is None:
        raise Http404("No such launch.")
    launch.project = get_project_for_user(user, launch.project_id)
    if write and (launch.project.user_role != Role.MANAGER or launch.project.is_closed):
        raise PermissionDenied("Only the project's managers change its launches.")
    return launch


def get_activation_for_user(user: User, pk: int, *, write: bool = False) -> Activation:
    """An activation is read and changed with its launch."""
    activation = (
        Activation.objects.select_related("channel")
        .filter(pk=pk, launch__project__in=projects_for_user(user))
        .first()
    )
    if activation is None:
        raise Http404("No such activation.")
    activation.launch = get_launch_for_user(user, activation.launch_id, write=write)
    return activation


def can_set_gate(user: User, gate: ReadinessGate) -> bool:
    """A gate's owner (or a member of its team) says it is ready; managers too."""
    project = gate.launch.project
    if project.is_closed:
        return False
    if project.user_role == Role.MANAGER or gate.owner_id == user.pk:
        return True
    return gate.team_id is not None and user.teams.filter(pk=gate.team_id).exists()


def get_gate_for_user(user: User, pk: int, *, write: bool = False) -> ReadinessGate:
    gate = (
        ReadinessGate.objects.select_related("launch__project", "owner", "team")
        .filter(pk=pk, launch__project__in=projects_for_user(user))
        .first()
    )
    if gate is None:
        raise Http404("No such readiness gate.")
    gate.launch.project = get_project_for_user(user, gate.launch.project_id)
    if write and not can_set_gate(user, gate):
        raise PermissionDenied("Only the gate's owner, its team or a manager changes it.")
    return gate


def get_milestone_for_user(user: User, pk: int, *, write: bool = False) -> Milestone:
    milestone = (
        Milestone.objects.select_related("project")
        .filter(pk=pk, project__in=projects_for_user(user))
        .first()
    )
    if milestone is None:
        raise Http404("No such milestone.")
    milestone.project = get_project_for_user(user, milestone.project_id)
    if write and (milestone.project.user_role != Role.MANAGER or milestone.project.is_closed):
        raise PermissionDenied("Only the project's managers change its milestones.")
    return milestone

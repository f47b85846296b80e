"""Permission rules for launches, their parts and milestones."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from synchrony.launches.models import Activation, Channel, Launch, Milestone, ReadinessGate
from synchrony.projects.models import Project, Role
from synchrony.projects.selectors import get_project_for_user, projects_for_user

if TYPE_CHECKING:
    from synchrony.accounts.models import User


def launchable_channels(project: Project) -> QuerySet[Channel]:
    """The channels a launch of `project` may go out on: the project's own, chosen in
    Development (its metrics are taken for those alone), that are switched on. The launch
    form and the launch page's "Add a channel" offer these; the services (launch_create,
    activation_set) refuse any other, by name, for the pages and the API alike."""
    return project.channels.filter(is_active=True)


def _refuse_unless_manager(project: Project, what: str) -> None:
    if project.user_role != Role.MANAGER:
        raise PermissionDenied(f"Only the project's managers change its {what}.")
    if project.is_closed:
        raise PermissionDenied(f"The project is closed: its {what} no longer change.")


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
    if write:
        _refuse_unless_manager(launch.project, "launches")
    return launch


def get_activation_for_user(
    user: User, pk: int, *, write: bool = False, tick: bool = False
) -> Activation:
    """An activation is read and changed with its launch.

    `write` is the managers' right (content, retry); `tick` is saying a step went out,
    which the channel's owner may do too (see can_tick).
    """
    activation = (
        Activation.objects.select_related("channel")
        .filter(pk=pk, launch__project__in=projects_for_user(user))
        .first()
    )
    if activation is None:
        raise Http404("No such activation.")
    activation.launch = get_launch_for_user(user, activation.launch_id, write=write)
    if tick and not can_tick(user, activation):
        raise PermissionDenied("Only the channel's owner or a project manager ticks this off.")
    return activation


def can_tick(user: User, activation: Activation) -> bool:
    """Who says a manual step (or one of unknown fate) went out: the channel's owner,
    who is accountable for it, and the project's managers."""
    project = activation.launch.project
    if project.is_closed:
        return False
    return project.user_role == Role.MANAGER or activation.channel.owner_id == user.pk


def can_edit_channel(user: User, channel: Channel) -> bool:
    """A channel's settings (adapter, endpoint, secret) belong to its owner and to staff."""
    return user.is_staff or channel.owner_id == user.pk


def can_create_channel(user: User) -> bool:
    """Channels are the workspace's: admins add them (in Django's admin, or the API)."""
    return user.is_staff


def get_channel_for_user(user: User, pk: int, *, write: bool = False) -> Channel:
    """Every signed-in user sees the channels (launches are planned on them); only the
    owner or staff change one, and only they see its signing secret."""
    channel = Channel.objects.select_related("owner").filter(pk=pk).first()
    if channel is None:
        raise Http404("No such channel.")
    if write and not can_edit_channel(user, channel):
        raise PermissionDenied("Only the channel's owner or an admin changes its settings.")
    return channel


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
    if write:
        _refuse_unless_manager(milestone.project, "milestones")
    return milestone

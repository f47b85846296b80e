"""Reads scoped to the user, and the permission rule of each project-level object type.

Every view and endpoint fetches objects through these getters: an object the user
may not see is a 404; one they may see but not change is a 403 on write.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, TypedDict, cast

from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.http import Http404

from synchrony.projects.models import (
    Goal,
    InputRequest,
    Membership,
    Project,
    RequestStatus,
    Role,
    Stage,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from synchrony.accounts.models import User

    ProjectWithRole = WithAnnotations[Project, "UserRole"]


class Need(StrEnum):
    VIEW = "view"
    CONTRIBUTE = "contribute"  # create and edit own work: managers and contributors
    MANAGE = "manage"  # everything: managers


class UserRole(TypedDict):
    """What projects_for_user() annotates: the viewer's role, which querysets filter on."""

    user_role: str | None


def projects_for_user(user: User) -> QuerySet[ProjectWithRole]:
    """Projects the user is a member of, each annotated with `user_role`."""
    if user.is_superuser:
        return _with_role(Value(Role.MANAGER.value))
    # One membership per (project, user): no ordering, so no join on users and no sort
    # in a subquery that runs for every project.
    role = (
        Membership.objects.filter(project=OuterRef("pk"), user=user).order_by().values("role")[:1]
    )
    return _with_role(Subquery(role)).filter(user_role__isnull=False)


def _with_role(role: Value | Subquery) -> QuerySet[ProjectWithRole]:
    # Project declares user_role, so that a project reached through a relation (a task's)
    # has it typed too; django-stubs refuses to annotate a name the model declares, and
    # then loses the annotation: the cast puts it back, for filters on user_role.
    projects = Project.objects.annotate(user_role=role)  # type: ignore[no-redef]
    return cast("QuerySet[ProjectWithRole]", projects)


# The group a data migration (projects 0004) made to hold the permission; an admin adds
# people to it in Django's admin, or grants "Can add project" to someone directly.
PROJECT_STARTERS = "Marketing managers"
NOT_A_PROJECT_STARTER = (
    f"Marketing managers start projects: ask an admin to add you to {PROJECT_STARTERS}."
)


def can_create_project(user: User) -> bool:
    """Who starts projects: the workspace's marketing managers (Django's "Can add project"
    permission, usually through the Marketing managers group) and admins. Everyone else
    (sales, CS, IT, finance) is given a role in the projects they are part of."""
    return user.is_active and (user.is_staff or user.has_perm("projects.add_project"))


def role_allows(role: str | None, need: Need) -> bool:
    if need == Need.MANAGE:
        return role == Role.MANAGER
    if need == Need.CONTRIBUTE:
        return role in (Role.MANAGER, Role.CONTRIBUTOR)
    return role is not None


def get_project_for_user(
    user: User, pk: int, *, need: Need = Need.VIEW, allow_closed: bool = False
) -> Project:
    project = projects_for_user(user).filter(pk=pk).select_related("owner").first()
    if project is None:
        raise Http404("No such project.")
    if need != Need.VIEW:
        if not role_allows(project.user_role, need):
            raise PermissionDenied("Your role on this project does not allow this change.")
        if project.is_closed and not allow_closed:
            raise PermissionDenied("This project is closed; reopen it to make changes.")
    return project


def get_goal_for_user(user: User, pk: int, *, write: bool = False) -> Goal:
    """Goals are read by members and changed by managers."""
    goal = Goal.objects.filter(pk=pk, project__in=projects_for_user(user)).first()
    if goal is None:
        raise Http404("No such goal.")
    goal.project = get_project_for_user(
        user, goal.project_id, need=Need.MANAGE if write else Need.VIEW
    )
    return goal


def get_request_for_user(user: User, pk: int, *, write: bool = False) -> InputRequest:
    """Visible to project members; answerable by its addressees; managed by managers."""
    request = (
        InputRequest.objects.select_related(
            "project", "requested_from_user", "requested_from_team", "requested_by"
        )
        .filter(pk=pk, project__in=projects_for_user(user))
        .first()
    )
    if request is None:
        raise Http404("No such request.")
    request.project = get_project_for_user(user, request.project_id)
    # Whether it is still open is the service's to say, under its lock, with who answered.
    if write and (request.project.is_closed or not request.is_addressed_to(user)):
        raise PermissionDenied("This request is not addressed to you.")
    return request


def can_answer_request(user: User, request: InputRequest) -> bool:
    return not request.project.is_closed and request.is_open and request.is_addressed_to(user)


def requests_waiting_for(user: User) -> QuerySet[InputRequest]:
    return (
        InputRequest.objects.filter(status=RequestStatus.PENDING)
        .filter(Q(requested_from_user=user) | Q(requested_from_team__members=user))
        .filter(project__in=projects_for_user(user))
        .exclude(project__stage=Stage.CLOSED)
        .select_related("project", "requested_from_team", "requested_by")
        .distinct()
        .order_by("due_date", "created_at")
    )


def projects_by_stage(user: User) -> dict[str, list[Project]]:
    projects = projects_for_user(user).annotate(
        open_tasks=Count("tasks", filter=~Q(tasks__status="done"))
    )
    grouped: dict[str, list[Project]] = {stage: [] for stage in Stage.values}
    for project in projects.select_related("owner"):
        grouped[project.stage].append(project)
    return grouped

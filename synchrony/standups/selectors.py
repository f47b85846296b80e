"""Who sees and runs a stand-up, and the reads of the stand-up pages.

A series is seen by the members of its projects and of its team; it is run (started,
noted, ended, edited) by its facilitator, the managers of its projects, and whoever
created a team's stand-up. Agenda content is shown per viewer: only the items of
projects they can see, so a team stand-up never leaks another project's work.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, TypedDict

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.http import Http404
from django.utils import timezone

from synchrony.accounts.models import User
from synchrony.planning.models import ASSIGNABLE_ROLES
from synchrony.projects.models import Membership, Project, Role
from synchrony.projects.selectors import can_create_project, projects_for_user
from synchrony.standups.models import (
    ActionItem,
    Meeting,
    MeetingNote,
    MeetingStatus,
    StandupSeries,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from synchrony.accounts.models import Team

    ListedSeries = WithAnnotations[StandupSeries, "SeriesListing"]


class SeriesListing(TypedDict):
    """What series_list() reads beside each series."""

    visible_projects: list[Project]
    recent_meetings: list[Meeting]
    attendee_count: int
    project_count: int
    held: int


def series_for_user(user: User) -> QuerySet[StandupSeries]:
    if user.is_superuser:
        return StandupSeries.objects.all()
    on_projects = StandupSeries.projects.through.objects.filter(
        project__in=projects_for_user(user)
    ).values("standupseries_id")
    # Subqueries, not joins: a join through a team's members would repeat each series.
    in_teams = User.teams.through.objects.filter(user=user).values("team_id")
    return StandupSeries.objects.filter(Q(pk__in=on_projects) | Q(team_id__in=in_teams))


def team_series_for_calendar(user: User, *, teams: tuple[int, ...] = ()) -> QuerySet[StandupSeries]:
    """Team stand-ups that are `user`'s own and on none of the projects they can see, for
    their calendar and feed, where the team's name stands for the projects: a team's
    stand-up without projects, or a team member's stand-up of projects they are not on.
    Theirs: of a team they are in, or one they facilitate or attend (while they can see
    it). With `teams`, only those teams' stand-ups. Not archived ones."""
    in_teams = User.teams.through.objects.filter(user=user).values("team_id")
    attending = StandupSeries.attendees.through.objects.filter(user=user)
    mine = (
        Q(team_id__in=in_teams)
        | Q(facilitator=user)
        | Q(pk__in=attending.values("standupseries_id"))
    )
    on_their_projects = StandupSeries.projects.through.objects.filter(
        project__in=projects_for_user(user).values("pk")
    ).values("standupseries_id")
    found = (
        series_for_user(user)
        .filter(mine, team__isnull=False, archived_at__isnull=True)
        .exclude(pk__in=on_their_projects)
    )
    return found.filter(team_id__in=teams) if teams else found


def can_run(user: User, series: StandupSeries) -> bool:
    """Facilitator, the projects' managers, the creator of a team's stand-up (all while
    they can still see it: the caller fetched the series through series_for_user)."""
    if user.is_superuser or series.facilitator_id == user.pk:
        return True
    managed = Membership.objects.filter(
        user=user, role=Role.MANAGER, project__in=series.projects.exclude(stage="closed")
    )
    if managed.exists():
        return True
    return series.created_by_id == user.pk and not series.projects.exists()


def get_series_for_user(user: User, pk: int, *, write: bool = False) -> StandupSeries:
    series = (
        series_for_user(user)
        .filter(pk=pk)
        .select_related("facilitator", "team", "created_by")
        .first()
    )
    if series is None:
        raise Http404("No such stand-up.")
    series.runnable = can_run(user, series)  # type: ignore[attr-defined]
    if write and not series.runnable:  # type: ignore[attr-defined]
        raise PermissionDenied("Only the facilitator and the projects' managers run this stand-up.")
    return series


def get_meeting_for_user(user: User, pk: int, *, write: bool = False) -> Meeting:
    meeting = Meeting.objects.filter(pk=pk, series__in=series_for_user(user)).first()
    if meeting is None:
        raise Http404("No such meeting.")
    meeting.series = get_series_for_user(user, meeting.series_id, write=write)
    return meeting


def get_note_for_user(user: User, pk: int, *, write: bool = False) -> MeetingNote:
    note = MeetingNote.objects.filter(pk=pk, meeting__series__in=series_for_user(user)).first()
    if note is None:
        raise Http404("No such note.")
    note.meeting = get_meeting_for_user(user, note.meeting_id, write=write)
    return note


def get_action_item_for_user(user: User, pk: int, *, write: bool = False) -> ActionItem:
    item = (
        ActionItem.objects.select_related("task", "owner", "project")
        .filter(pk=pk, series__in=series_for_user(user))
        .first()
    )
    if item is None:
        raise Http404("No such action item.")
    item.meeting = get_meeting_for_user(user, item.meeting_id, write=write)
    return item


def scope_projects(series: StandupSeries) -> QuerySet[Project]:
    """The projects whose data fills the agenda: the series' own, or, for a team's
    stand-up without projects, the ones its attendees work on."""
    if series.projects.exists():
        return series.projects.all()
    return Project.objects.filter(
        pk__in=Membership.objects.filter(
            user__in=series.attendees.all(), role__in=ASSIGNABLE_ROLES
        ).values("project_id")
    ).exclude(stage="closed")


def visible_project_ids(user: User, series: StandupSeries) -> set[int]:
    return set(
        projects_for_user(user)
        .filter(pk__in=scope_projects(series).values("pk"))
        .values_list("pk", flat=True)
    )


def eligible_people(projects: Any, team: Team | None) -> QuerySet[User]:
    """Who can see a series on these projects or of this team: its possible attendees."""
    members = Q(memberships__project__in=list(projects))
    if team is not None:
        members |= Q(teams=team)
    return User.objects.filter(members, is_active=True).distinct()


def action_owners(series: StandupSeries, projects: Any) -> QuerySet[User]:
    """Who can own an action item taken in `series`, on one of `projects`: their managers
    and contributors, as the item becomes a task there and only they own tasks (viewers
    read along). A team's stand-up without projects may leave the project out; then its
    team's members, who see the stand-up, can own it too."""
    owners = Q(memberships__project__in=list(projects), memberships__role__in=ASSIGNABLE_ROLES)
    if series.team_id is not None and not series.projects.exists():
        owners |= Q(teams=series.team_id)
    return User.objects.filter(owners, is_active=True).distinct()


def can_start_standup(user: User) -> bool:
    """Whether `user` may start stand-ups at all (a project's also needs its managing, a
    team's their being in the team). Sales and customer success read along (DESIGN:
    read-only), which their roles say: someone who is a viewer wherever they have a role
    attends the stand-ups others start. Marketing managers and admins always may, and so
    does someone with no project role (a team's own member, nothing read-only about them)."""
    if not user.is_active:
        return False
    if user.is_superuser or can_create_project(user):
        return True
    roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    return roles != {Role.VIEWER}


def can_see_series(user: User, series: StandupSeries) -> bool:
    return user.is_active and series_for_user(user).filter(pk=series.pk).exists()


def series_list(user: User, *, include_archived: bool = False) -> list[ListedSeries]:
    series = (
        series_for_user(user)
        .select_related("facilitator", "team")
        .prefetch_related(
            # Only the projects the reader is on are named (see visible_projects).
            Prefetch(
                "projects",
                Project.objects.filter(pk__in=projects_for_user(user).values("pk")).order_by(
                    "name"
                ),
                to_attr="visible_projects",
            ),
            # Running, held or skipped lately: what the list's "next" must not be.
            Prefetch(
                "meetings",
                Meeting.objects.filter(starts_at__gte=timezone.now() - dt.timedelta(days=1))
                .exclude(status=MeetingStatus.SCHEDULED)
                .order_by("starts_at"),
                to_attr="recent_meetings",
            ),
        )
        .annotate(
            attendee_count=Count("attendees", distinct=True),
            project_count=Count("projects", distinct=True),
            held=Count("meetings", filter=Q(meetings__status=MeetingStatus.ENDED), distinct=True),
        )
        .order_by("archived_at", "name", "id")
    )
    if not include_archived:
        series = series.filter(archived_at__isnull=True)
    return list(series)


def visible_projects(user: User, series: StandupSeries) -> tuple[list[Project], int]:
    """The series' projects that `user` is on, and how many others it has: a stand-up of
    several projects does not tell one project's people the names of the others (as its
    agenda shows each reader only their projects' items)."""
    every = list(series.projects.order_by("name"))
    mine = set(
        projects_for_user(user).filter(pk__in=[p.pk for p in every]).values_list("pk", flat=True)
    )
    shown = [p for p in every if p.pk in mine]
    return shown, len(every) - len(shown)


def history(
    meetings: QuerySet[Meeting],
    query: str = "",
    *,
    viewer: User,
    before: dt.datetime | None = None,
) -> QuerySet[Meeting]:
    """Past meetings (held, skipped, or scheduled and gone by), newest first, searched in
    their notes, action items, attendees and skip reasons.

    As `viewer` reads them: action items on projects they cannot see are neither listed
    nor searched. Nor is the summary, which is the whole record of a stand-up on several
    projects (a match in it would tell of the others' work).
    """
    past = meetings.filter(
        Q(status__in=[MeetingStatus.ENDED, MeetingStatus.SKIPPED, MeetingStatus.RUNNING])
        | Q(ends_at__lt=before)
    )
    readable = Q(project__isnull=True) | Q(project__in=projects_for_user(viewer).values("pk"))
    query = query.strip()
    if query:
        people = User.objects.annotate(
            full_name=Concat("first_name", Value(" "), "last_name")
        ).filter(Q(full_name__icontains=query) | Q(username__icontains=query))
        items = ActionItem.objects.filter(readable, title__icontains=query)
        matching = (
            Q(notes__body__icontains=query)
            | Q(pk__in=items.values("meeting_id"))
            | Q(attendance__user__in=people.values("pk"))
            | Q(skip_reason__icontains=query)
        )
        past = past.filter(pk__in=Meeting.objects.filter(matching).values("pk"))
    return (
        past.select_related("series")
        .annotate(
            present=Count("attendance", filter=Q(attendance__present=True), distinct=True),
            invited=Count("attendance", distinct=True),
            decisions=Count("notes", filter=Q(notes__kind="decision"), distinct=True),
        )
        .prefetch_related(
            Prefetch(
                "action_items",
                ActionItem.objects.filter(readable).select_related("task", "owner", "project"),
            )
        )
        .order_by("-starts_at", "-id")
    )

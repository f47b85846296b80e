"""What a calendar shows: launches, milestones, task deadlines and stage deadlines.

Every kind is read in one query (launches with their channel ids, plus one for the
channels' names and colours), whatever the period or the amount of data, and only from
projects the viewer can see. A grid reads only the items a day can show, and counts the
rest in SQL.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import Count, F, OuterRef, QuerySet, Value, Window
from django.db.models.functions import RowNumber, TruncDate
from django.urls import reverse
from django.utils import timezone

from synchrony.accounts.models import Team, User
from synchrony.calendars.models import KINDS
from synchrony.launches.conflicts import Conflict, ConflictSummary, conflict_summaries
from synchrony.launches.models import Activation, Channel, Launch, Milestone
from synchrony.lib.sql import AnyOf
from synchrony.planning.models import Task, TaskStatus
from synchrony.projects.models import WORK_STAGES, Project, Role, Stage
from synchrony.projects.selectors import projects_for_user

ALL_KINDS = [k for k, _ in KINDS]
# Within a day, what matters most comes first (a crowded day shows only the first few).
KIND_ORDER = {"launch": 0, "standup": 0, "stage": 1, "milestone": 2, "task": 3}
# Conflicts an item carries: the agenda shows the first three, the grid the first; both
# say how many there are (the launch page lists them all).
CONFLICTS_SHOWN = 3


@dataclass(frozen=True)
class Filters:
    channels: tuple[int, ...] = ()
    projects: tuple[int, ...] = ()
    teams: tuple[int, ...] = ()
    kinds: tuple[str, ...] = tuple(ALL_KINDS)


@dataclass
class Item:
    kind: str
    title: str
    day: dt.date
    url: str
    project: Project | None  # None only for a team's stand-up, which has no project
    time: dt.time | None = None  # in the viewer's zone; None for all-day items
    colour: str = "#5b6475"
    status: str = ""
    channels: list[Channel] = field(default_factory=list)
    # The first CONFLICTS_SHOWN of a launch's conflicts, and how many it has in all.
    conflicts: tuple[Conflict, ...] = ()
    conflict_count: int = 0
    launch: Launch | None = None
    movable: bool = False
    move_url: str = ""  # where a drag and drop posts (the launch's move)
    box_url: str = ""  # where the agenda's Move box posts (calendars:move)
    # (stable id, version) of the object behind a non-launch item, for feeds.
    ref: tuple[str, int] = ("", 1)
    # Start and end (aware) of a timed item that is not a launch: a stand-up's meeting.
    moment: tuple[dt.datetime, dt.datetime] | None = None
    team: str = ""  # a team's stand-up: the team's name, shown where a project's would be

    @property
    def where(self) -> str:
        """What the item belongs to, as shown beside its title."""
        return self.project.name if self.project is not None else self.team


def visible_projects(user: User, filters: Filters) -> QuerySet[Project]:
    projects = projects_for_user(user)
    if filters.projects:
        projects = projects.filter(pk__in=filters.projects)
    if filters.teams:
        projects = projects.filter(memberships__user__teams__in=filters.teams).distinct()
    return projects


# What a calendar reads of each project: its name, the viewer's role (annotated), whether it
# is closed, its promotion window (launch conflicts) and its stage plan; not its scope,
# budget and timestamps, for every visible project on every page. Anything read outside
# this list would be a query per project: the query count tests would catch it.
PROJECT_FIELDS = (
    "name",
    "stage",
    "version",
    "promotion_start",
    "promotion_end",
    *(f"{stage}_due" for stage in WORK_STAGES),
)
# What items, conflict checks and the ICS feed read of a launch (not its engine fields).
LAUNCH_FIELDS = (
    "project",
    "name",
    "go_live",
    "local_date",
    "local_time",
    "time_zone",
    "status",
    "version",
    "updated_at",
)
# What a task deadline shows, read as plain rows: its owner's name without the user row.
TASK_FIELDS = (
    *("pk", "project_id", "title", "due_date", "status", "stage", "version"),
    *("owner__first_name", "owner__last_name", "owner__username"),
)


def _url_format(name: str, *samples: int | str) -> str:
    """The URL of `name` as a str.format pattern, each sample argument replaced by its
    position: one reverse() a page rather than one an item (a few hundred a month)."""
    url = reverse(name, args=samples)
    for i, sample in enumerate(samples):
        url = url.replace(str(sample), f"{{{i}}}")
    return url


# Arguments that cannot occur elsewhere in a URL, for _url_format.
ANY_PK, ANY_SLUG = 2147483647, "x-any-slug-x"


def _first_of_each_day(
    rows: QuerySet[Any], cap: int, day: Any, order_by: list[Any]
) -> QuerySet[Any]:
    """The first `cap` rows of each day, each annotated with its day's total (`of_day`)."""
    return rows.annotate(
        nth=Window(RowNumber(), partition_by=day, order_by=order_by),
        of_day=Window(Count("id"), partition_by=day),
    ).filter(nth__lte=cap)


def _count_hidden(
    hidden: dict[dt.date, int] | None, totals: dict[dt.date, int], cap: int | None
) -> None:
    if hidden is not None and cap is not None:
        for day, n in totals.items():
            if n > cap:
                hidden[day] = hidden.get(day, 0) + n - cap


def calendar_items(
    user: User | None,
    start: dt.date,
    end: dt.date,
    filters: Filters,
    *,
    projects: QuerySet[Project] | None = None,
    zone: zoneinfo.ZoneInfo | None = None,
    launches_per_day: int | None = None,
    tasks_per_day: int | None = None,
    hidden: dict[dt.date, int] | None = None,
    with_conflicts: bool = True,
    team_standups: bool = True,
) -> list[Item]:
    """Items from `start` to `end` inclusive, in the viewer's zone, sorted by day and time.

    `projects` overrides the user's projects (share links read a filter's own scope).
    With `launches_per_day` or `tasks_per_day`, at most that many launches (the first)
    or task deadlines a day are read, as a grid shows only a few, and the number left out
    of each day is added to `hidden`. Without `with_conflicts` (a feed shows none),
    launches are not checked for conflicts. Without `team_standups` (a share link), the
    user's team stand-ups without projects are left out (see standups/calendar.py).
    """
    zone = zone or timezone.get_current_timezone()
    if projects is None:
        assert user is not None
        projects = visible_projects(user, filters)
    project_map = {p.pk: p for p in projects.only(*PROJECT_FIELDS)}
    ids = list(project_map)
    project_url = _url_format("projects:detail", ANY_PK)
    project_urls = {pk: project_url.format(pk) for pk in ids}
    items: list[Item] = []
    lo = dt.datetime.combine(start, dt.time.min, zone)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, zone)

    if "launch" in filters.kinds:
        launches = Launch.objects.filter(AnyOf("project_id", ids), go_live__gte=lo, go_live__lt=hi)
        if filters.channels:
            # A subquery, not a join: a launch on two of the channels would come twice.
            on_channels = Activation.objects.filter(channel__in=filters.channels)
            launches = launches.filter(pk__in=on_channels.values("launch_id"))
        launches = launches.only(*LAUNCH_FIELDS)
        arrays = connection.vendor == "postgresql"
        if arrays:
            # Each launch's channel ids as one array beside it: the thousands of activations
            # of a busy month would otherwise each be a row, or an object.
            launches = launches.annotate(
                channel_ids=ArraySubquery(
                    Activation.objects.filter(launch=OuterRef("pk")).order_by().values("channel_id")
                )
            )
        if launches_per_day is not None:
            # The first few of each day in the viewer's zone, as the day lists them: only
            # those are read and checked for conflicts.
            launches = _first_of_each_day(
                launches,
                launches_per_day,
                TruncDate("go_live", tzinfo=zone),
                [F("go_live").asc(), F("name").asc()],
            )
        # Launches annotated with channel_ids (and of_day when capped).
        fetched: list[Any] = list(launches)
        if arrays:
            channels_of = {launch.pk: set(launch.channel_ids) for launch in fetched}
        else:  # the embedded SQLite default has no arrays: one more query, as pairs
            channels_of = {launch.pk: set() for launch in fetched}
            pairs = Activation.objects.filter(AnyOf("launch_id", channels_of)).order_by()
            for launch_id, channel_id in pairs.values_list("launch_id", "channel_id"):
                channels_of[launch_id].add(channel_id)
        used = Channel.objects.filter(AnyOf("pk", set().union(*channels_of.values())))
        channel_map = {c.pk: c for c in used.only("name", "colour").order_by()}
        # Each launch lists its channels by name: rank them once, not once per launch.
        rank = {c.pk: i for i, c in enumerate(sorted(channel_map.values(), key=lambda c: c.name))}
        for launch in fetched:
            launch.project = project_map[launch.project_id]
        conflicts = (
            conflict_summaries(fetched, channels_of, keep=CONFLICTS_SHOWN) if with_conflicts else {}
        )
        no_conflicts = ConflictSummary()
        move_url = _url_format("launches:move", ANY_PK)
        box_url = _url_format("calendars:move", ANY_PK)
        launch_url = _url_format("launches:detail", ANY_PK)
        totals: dict[dt.date, int] = {}
        for launch in fetched:
            local = launch.go_live.astimezone(zone)
            if launches_per_day is not None:
                totals[local.date()] = launch.of_day
            ranked = sorted(channels_of[launch.pk], key=rank.__getitem__)
            channels = [channel_map[c] for c in ranked]
            project = launch.project
            summary = conflicts.get(launch.pk, no_conflicts)
            items.append(
                Item(
                    kind="launch",
                    title=launch.name,
                    day=local.date(),
                    time=local.time(),
                    url=launch_url.format(launch.pk),
                    project=project,
                    colour=channels[0].colour if channels else "#3b5bdb",
                    status=launch.status,
                    channels=channels,
                    conflicts=summary.first,
                    conflict_count=summary.count,
                    launch=launch,
                    movable=project.user_role == Role.MANAGER
                    and not launch.is_final
                    and not project.is_closed,
                    move_url=move_url.format(launch.pk),
                    box_url=box_url.format(launch.pk),
                )
            )
        _count_hidden(hidden, totals, launches_per_day)
    if "milestone" in filters.kinds and not filters.channels:
        for pk, project_id, title, day, version in Milestone.objects.filter(
            AnyOf("project_id", ids), date__range=(start, end)
        ).values_list("pk", "project_id", "title", "date", "version"):
            items.append(
                Item(
                    kind="milestone",
                    title=title,
                    day=day,
                    url=project_urls[project_id],
                    project=project_map[project_id],
                    colour="#862e9c",
                    ref=(str(pk), version),
                )
            )
    if "task" in filters.kinds and not filters.channels:
        tasks = Task.objects.filter(AnyOf("project_id", ids), due_date__range=(start, end))
        if filters.teams:
            # A subquery, not a join: an owner in two of the teams would count twice.
            tasks = tasks.filter(owner__in=User.objects.filter(teams__in=filters.teams))
        if tasks_per_day is not None:
            tasks = _first_of_each_day(tasks, tasks_per_day, F("due_date"), [F("id").asc()])
        else:
            tasks = tasks.annotate(of_day=Value(0))
        totals = {}
        stage_urls: dict[tuple[int, str], str] = {}
        stage_url = _url_format("projects:stage", ANY_PK, ANY_SLUG)
        done = TaskStatus.DONE.value
        for task in tasks.values_list(*TASK_FIELDS, "of_day", named=True):
            key = (task.project_id, task.stage)
            if key not in stage_urls:
                stage_urls[key] = stage_url.format(*key)
            # As str(owner): the full name, else the username; no owner, no suffix.
            owner = ""
            if task.owner__username is not None:
                full = f"{task.owner__first_name} {task.owner__last_name}".strip()
                owner = full or task.owner__username
            items.append(
                Item(
                    kind="task",
                    title=f"{task.title} · {owner}" if owner else task.title,
                    day=task.due_date,
                    url=f"{stage_urls[key]}#task-{task.pk}",
                    project=project_map[task.project_id],
                    status="done" if task.status == done else task.status,
                    ref=(str(task.pk), task.version),
                )
            )
            totals[task.due_date] = task.of_day
        _count_hidden(hidden, totals, tasks_per_day)
    if "stage" in filters.kinds and not filters.channels:
        for project in project_map.values():
            for stage, due in project.stage_deadlines():
                if start <= due <= end:
                    items.append(
                        Item(
                            kind="stage",
                            # The project is the item's `where`, shown beside the title.
                            title=f"{Stage(stage).label} ends",
                            day=due,
                            url=project_urls[project.pk],
                            project=project,
                            colour="#1f2a4d",
                            ref=(f"{project.pk}-{stage}", project.version),
                        )
                    )
    if "standup" in filters.kinds and not filters.channels:
        from synchrony.standups.calendar import standup_items

        items += standup_items(
            project_map,
            lo,
            hi,
            zone,
            team_viewer=user if team_standups else None,
            filters=filters,
        )
    items.sort(key=lambda i: (i.day, KIND_ORDER[i.kind], i.time or dt.time.min, i.title))
    return items


def filter_choices(user: User) -> dict[str, Any]:
    """The filter form's options, as plain rows: the page needs their names, not models."""
    channels = Channel.objects.filter(is_active=True)
    return {
        "channels": list(channels.values_list("pk", "name", "colour", named=True)),
        "projects": list(
            projects_for_user(user).order_by("name").values_list("pk", "name", named=True)
        ),
        "teams": list(Team.objects.values_list("pk", "name", named=True)),
        "kinds": KINDS,
    }

"""What a calendar shows: launches, milestones, task deadlines and stage deadlines.

Every kind is read in one query (plus one for launch channels), whatever the period
or the amount of data, and only from projects the viewer can see.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone

from synchrony.calendars.models import KINDS
from synchrony.launches.conflicts import Conflict, conflicts_for
from synchrony.launches.models import Activation, Channel, Launch, Milestone
from synchrony.planning.models import Task, TaskStatus
from synchrony.projects.models import WORK_STAGES, Project, Role, Stage
from synchrony.projects.selectors import projects_for_user

if TYPE_CHECKING:
    from synchrony.accounts.models import Team, User
    from synchrony.launches.models import Channel

ALL_KINDS = [k for k, _ in KINDS]
# Within a day, what matters most comes first (a crowded day shows only the first few).
KIND_ORDER = {"launch": 0, "stage": 1, "milestone": 2, "task": 3}


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
    project: Project
    time: dt.time | None = None  # in the viewer's zone; None for all-day items
    colour: str = "#5b6475"
    status: str = ""
    channels: list[Channel] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    launch: Launch | None = None
    movable: bool = False
    move_url: str = ""
    # (stable id, version) of the object behind a non-launch item, for feeds.
    ref: tuple[str, int] = ("", 1)


def visible_projects(user: User, filters: Filters) -> QuerySet[Project]:
    projects = projects_for_user(user)
    if filters.projects:
        projects = projects.filter(pk__in=filters.projects)
    if filters.teams:
        projects = projects.filter(memberships__user__teams__in=filters.teams).distinct()
    return projects


def calendar_items(
    user: User | None,
    start: dt.date,
    end: dt.date,
    filters: Filters,
    *,
    projects: QuerySet[Project] | None = None,
    zone: zoneinfo.ZoneInfo | None = None,
    tasks_per_day: int | None = None,
    hidden: dict[dt.date, int] | None = None,
) -> list[Item]:
    """Items from `start` to `end` inclusive, in the viewer's zone, sorted by day and time.

    `projects` overrides the user's projects (share links read a filter's own scope).
    With `tasks_per_day`, at most that many task deadlines a day are read (a grid shows
    only a few), and the number left out of each day is added to `hidden`.
    """
    zone = zone or timezone.get_current_timezone()
    if projects is None:
        assert user is not None
        projects = visible_projects(user, filters)
    project_map = {p.pk: p for p in projects}
    ids = list(project_map)
    items: list[Item] = []
    lo = dt.datetime.combine(start, dt.time.min, zone)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, zone)

    if "launch" in filters.kinds:
        launches = Launch.objects.filter(project_id__in=ids, go_live__gte=lo, go_live__lt=hi)
        if filters.channels:
            launches = launches.filter(activations__channel__in=filters.channels).distinct()
        launches = list(launches.defer("notes"))
        # Channels as id pairs and one small lookup: thousands of activations on a busy
        # month would otherwise each build their own Activation and Channel objects.
        channels_of: dict[int, set[int]] = defaultdict(set)
        for launch_id, channel_id in Activation.objects.filter(
            launch_id__in=[launch.pk for launch in launches]
        ).values_list("launch_id", "channel_id"):
            channels_of[launch_id].add(channel_id)
        channel_map = Channel.objects.in_bulk(set().union(*channels_of.values()))
        for launch in launches:
            launch.project = project_map[launch.project_id]
        shown = launches
        if tasks_per_day is not None:
            # A grid shows the first few launches of a day: check only those for conflicts.
            per_day: dict[dt.date, int] = defaultdict(int)
            shown = []
            for launch in sorted(launches, key=lambda la: la.go_live):
                day = launch.go_live.astimezone(zone).date()
                per_day[day] += 1
                if per_day[day] <= tasks_per_day:
                    shown.append(launch)
        conflicts = conflicts_for(shown, channels_of)
        move_url = reverse("launches:move", args=[0]).replace("/0/", "/{}/")
        for launch in launches:
            local = launch.go_live.astimezone(zone)
            channels = sorted(
                (channel_map[c] for c in channels_of[launch.pk]), key=lambda c: c.name
            )
            items.append(
                Item(
                    kind="launch",
                    title=launch.name,
                    day=local.date(),
                    time=local.time(),
                    url=launch.get_absolute_url(),
                    project=launch.project,
                    colour=channels[0].colour if channels else "#3b5bdb",
                    status=launch.status,
                    channels=channels,
                    conflicts=conflicts.get(launch.pk, []),
                    launch=launch,
                    movable=launch.project.user_role == Role.MANAGER
                    and not launch.is_final
                    and not launch.project.is_closed,
                    move_url=move_url.format(launch.pk),
                )
            )
    if "milestone" in filters.kinds and not filters.channels:
        for milestone in Milestone.objects.filter(project_id__in=ids, date__range=(start, end)):
            items.append(
                Item(
                    kind="milestone",
                    title=milestone.title,
                    day=milestone.date,
                    url=project_map[milestone.project_id].get_absolute_url(),
                    project=project_map[milestone.project_id],
                    colour="#862e9c",
                    ref=(str(milestone.pk), milestone.version),
                )
            )
    if "task" in filters.kinds and not filters.channels:
        tasks = Task.objects.filter(project_id__in=ids, due_date__range=(start, end))
        if filters.teams:
            tasks = tasks.filter(owner__teams__in=filters.teams).distinct()
        if tasks_per_day is not None:
            counts = dict(
                tasks.order_by()
                .values("due_date")
                .annotate(n=Count("id"))
                .values_list("due_date", "n")
            )
            tasks = tasks.annotate(
                nth=Window(RowNumber(), partition_by=F("due_date"), order_by=F("id").asc())
            ).filter(nth__lte=tasks_per_day)
            if hidden is not None:
                for day, n in counts.items():
                    if n > tasks_per_day:
                        hidden[day] = hidden.get(day, 0) + n - tasks_per_day
        tasks = tasks.select_related("owner").only(
            "title",
            "due_date",
            "status",
            "stage",
            "version",
            "project_id",
            "owner__first_name",
            "owner__last_name",
            "owner__username",
        )
        stage_urls: dict[tuple[int, str], str] = {}
        for task in tasks:
            key = (task.project_id, task.stage)
            if key not in stage_urls:
                stage_urls[key] = reverse("projects:stage", args=key)
            items.append(
                Item(
                    kind="task",
                    title=f"{task.title}" + (f" · {task.owner}" if task.owner else ""),
                    day=task.due_date,  # type: ignore[arg-type]
                    url=f"{stage_urls[key]}#task-{task.pk}",
                    project=project_map[task.project_id],
                    status="done" if task.status == TaskStatus.DONE else task.status,
                    ref=(str(task.pk), task.version),
                )
            )
    if "stage" in filters.kinds and not filters.channels:
        dated = Q()
        for stage in WORK_STAGES:
            dated |= Q(**{f"{stage}_due__range": (start, end)})
        for project in projects.filter(dated):
            for stage, due in project.stage_deadlines():
                if start <= due <= end:
                    items.append(
                        Item(
                            kind="stage",
                            title=f"{Stage(stage).label} ends · {project.name}",
                            day=due,
                            url=project.get_absolute_url(),
                            project=project_map.get(project.pk, project),
                            colour="#1f2a4d",
                            ref=(f"{project.pk}-{stage}", project.version),
                        )
                    )
    items.sort(key=lambda i: (i.day, KIND_ORDER[i.kind], i.time or dt.time.min, i.title))
    return items


def filter_choices(user: User) -> dict[str, object]:
    from synchrony.accounts.models import Team
    from synchrony.launches.models import Channel

    teams: QuerySet[Team] = Team.objects.all()
    return {
        "channels": Channel.objects.filter(is_active=True),
        "projects": projects_for_user(user).order_by("name"),
        "teams": teams,
        "kinds": KINDS,
    }

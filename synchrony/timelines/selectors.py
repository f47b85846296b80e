"""Reads behind the timelines: stage bands, dated items and the scale that places them.

Everything a template draws is positioned here, as percentages of the visible window,
so templates only print numbers. Each page reads a fixed number of queries, whatever
the amount of data: rows are fetched per page, never per project or per task.

Times are placed in the viewer's time zone (activated per request by middleware):
a launch at 23:30 UTC sits on the next day for a viewer in Berlin.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise
from typing import NamedTuple, Protocol

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from synchrony.accounts.models import User
from synchrony.launches.models import Launch, LaunchStatus, Milestone
from synchrony.lib.sql import AnyOf, UtcTimestamp
from synchrony.planning.models import ASSIGNABLE_ROLES, Task, TaskStatus
from synchrony.projects.models import WORK_STAGES, Project, Stage, StageTransition
from synchrony.projects.selectors import projects_for_user


class Zoom(StrEnum):
    """The width of one column: the scale of the timeline."""

    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"

    @property
    def label(self) -> str:
        return self.value.capitalize()


DEFAULT_ZOOM = Zoom.MONTH
# Columns in one window: about three months by week, nine by month, two years by
# quarter, as many as fit across the page. Older and later dates are a page away.
COLUMNS = {Zoom.WEEK: 12, Zoom.MONTH: 9, Zoom.QUARTER: 8}
# Earlier and Later move by half a window, so the page keeps some context.
PAGE_STEP = {zoom: n // 2 for zoom, n in COLUMNS.items()}
# `?from=` further away than this is ignored: nothing is planned in the year 9999.
MAX_YEARS_AWAY = 50
DUE_SOON_DAYS = 7
# Tasks listed per person and per column of the team table; the counts are complete.
TEAM_LIST_LIMIT = 5


def parse_zoom(value: str | None) -> Zoom:
    """The zoom asked for, or the default for anything unknown (never an error)."""
    try:
        return Zoom(value or "")
    except ValueError:
        return DEFAULT_ZOOM


@functools.lru_cache(maxsize=4096)
def day_label(day: dt.date) -> str:
    """The app's date style: 3 Dec 2026. Cached: the portfolio labels thousands of items."""
    return f"{day.day} {day:%b %Y}"


# Month names as strftime's %b gives them, looked up rather than formatted per item.
MONTH_ABBR = {m: f"{dt.date(2000, m, 1):%b}" for m in range(1, 13)}


# The helpers below take the viewer's zone (activated per request) as `tz`: looking it up
# costs a context-local read, and the portfolio converts thousands of moments.


def viewer_tz() -> dt.tzinfo:
    return timezone.get_current_timezone()


def day_start(day: dt.date, tz: dt.tzinfo | None = None) -> dt.datetime:
    """Midnight at the start of `day`, in the viewer's zone."""
    return dt.datetime.combine(day, dt.time(), tzinfo=tz or viewer_tz())


def midday(day: dt.date, tz: dt.tzinfo | None = None) -> dt.datetime:
    """Where a whole-day item (a due date, a milestone) is drawn: the middle of its day."""
    return dt.datetime.combine(day, dt.time(12), tzinfo=tz or viewer_tz())


def local_day(moment: dt.datetime, tz: dt.tzinfo | None = None) -> dt.date:
    return moment.astimezone(tz or viewer_tz()).date()


# -- the scale ------------------------------------------------------------------------


def unit_start(day: dt.date, zoom: Zoom) -> dt.date:
    if zoom == Zoom.WEEK:
        return day - dt.timedelta(days=day.weekday())
    if zoom == Zoom.MONTH:
        return day.replace(day=1)
    return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)


def add_units(start: dt.date, zoom: Zoom, n: int) -> dt.date:
    """`start` (a unit's first day) moved by `n` units."""
    if zoom == Zoom.WEEK:
        return start + dt.timedelta(weeks=n)
    months = n if zoom == Zoom.MONTH else 3 * n
    year, month = divmod(start.year * 12 + start.month - 1 + months, 12)
    return dt.date(year, month + 1, 1)


def column_label(start: dt.date, zoom: Zoom) -> str:
    if zoom == Zoom.WEEK:
        return f"{start.day} {start:%b}"
    if zoom == Zoom.MONTH:
        return f"{start:%b}"
    return f"Q{(start.month - 1) // 3 + 1}"


class Place(NamedTuple):
    """A horizontal position, in percent of the window; `cut_*` when it runs past an edge.

    A named tuple, not a frozen dataclass: the portfolio makes thousands, and a tuple is
    made in a fraction of the time.
    """

    left: float
    width: float = 0.0
    cut_start: bool = False
    cut_end: bool = False

    @property
    def style(self) -> str:
        return f"--l:{self.left:.3f}%;--w:{self.width:.3f}%"

    @property
    def near_end(self) -> bool:
        """Ending in the last sixth of the window: its label goes on its left instead."""
        return self.left + self.width > 84


@dataclass(frozen=True)
class Column:
    label: str
    starts: dt.date
    place: Place
    is_current: bool = False


@dataclass(frozen=True)
class Scale:
    """A window of whole columns: where every moment is drawn, and where the pages are."""

    zoom: Zoom
    start: dt.date
    end: dt.date  # exclusive
    columns: list[Column]
    groups: list[Column]  # months above weeks, years above months and quarters
    today: dt.date
    now: dt.datetime
    # The window that opens without a `from`: paging links say when they lead back to it.
    home: dt.date
    tz: dt.tzinfo

    @functools.cached_property
    def days(self) -> int:
        # Cached (a frozen dataclass still has a __dict__): at() divides by it per moment.
        return (self.end - self.start).days

    def at(self, moment: dt.datetime) -> float:
        """Percent of the window at `moment`, counted in local calendar days.

        Local days, not elapsed seconds: a 23-hour spring-forward day is as wide as any
        other, so columns line up with the calendar.
        """
        local = moment.astimezone(self.tz)
        seconds = local.hour * 3600 + local.minute * 60 + local.second
        return 100 * ((local.date() - self.start).days + seconds / 86400) / self.days

    def place(self, starts: dt.datetime, ends: dt.datetime | None = None) -> Place | None:
        """Where a span (or, without `ends`, a point) is drawn; None if wholly outside."""
        a = self.at(starts)
        b = self.at(ends) if ends is not None else a
        if b < 0 or a > 100:
            return None
        left, right = max(a, 0.0), min(b, 100.0)
        return Place(left, right - left, cut_start=a < 0, cut_end=b > 100)

    def side(self, starts: dt.datetime, ends: dt.datetime | None = None) -> str:
        """ "before" or "after" the window for what lies wholly outside it, else ""."""
        if self.at(ends if ends is not None else starts) < 0:
            return "before"
        return "after" if self.at(starts) > 100 else ""

    @property
    def today_place(self) -> Place | None:
        return self.place(self.now)

    @property
    def today_label(self) -> str:
        return day_label(self.today)

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def earlier(self) -> str:
        return add_units(self.start, self.zoom, -PAGE_STEP[self.zoom]).isoformat()

    @property
    def later(self) -> str:
        return add_units(self.start, self.zoom, PAGE_STEP[self.zoom]).isoformat()

    @property
    def at_home(self) -> bool:
        return self.start == self.home

    @property
    def style(self) -> str:
        return f"--cols:{len(self.columns)}"


def parse_start(value: str | None, *, today: dt.date) -> dt.date | None:
    """The first day asked for by `?from=`, or None for anything unusable (never an error)."""
    try:
        day = dt.date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if abs(day.year - today.year) <= MAX_YEARS_AWAY else None


def home_start(zoom: Zoom, days: Sequence[dt.date], *, today: dt.date) -> dt.date:
    """Where the window opens: on the whole span of `days` if it fits, else around today.

    Around today means a quarter of the window before it, kept within the span, so a
    week view of a long project opens on this week rather than on its first one.
    """
    n = COLUMNS[zoom]
    first = unit_start(min(days, default=today) - dt.timedelta(days=1), zoom)
    last = unit_start(max(days, default=today) + dt.timedelta(days=1), zoom)
    if add_units(first, zoom, n) > last:
        return first
    around_today = add_units(unit_start(today, zoom), zoom, -(n // 4))
    return max(first, min(around_today, add_units(last, zoom, 1 - n)))


def build_scale(
    zoom: Zoom,
    days: Sequence[dt.date],
    *,
    now: dt.datetime,
    start: dt.date | None = None,
) -> Scale:
    """A window of COLUMNS[zoom] columns from `start` (snapped), or from its home.

    `days` are the dates the data covers; they choose the home window. A day of padding
    on each side keeps a marker on the first or last day off the window's edge.
    """
    tz = viewer_tz()
    today = local_day(now, tz)
    home = home_start(zoom, days, today=today)
    first = unit_start(start, zoom) if start else home
    edges = [add_units(first, zoom, i) for i in range(COLUMNS[zoom] + 1)]
    first, end = edges[0], edges[-1]
    total = (end - first).days

    def place(a: dt.date, b: dt.date) -> Place:
        return Place(100 * (a - first).days / total, 100 * (b - a).days / total)

    columns = [
        Column(column_label(a, zoom), a, place(a, b), is_current=a <= today < b)
        for a, b in pairwise(edges)
    ]
    groups: list[Column] = []
    by_month = zoom == Zoom.WEEK
    cursor = first.replace(day=1) if by_month else first.replace(month=1, day=1)
    while cursor < end:
        after = add_units(cursor, Zoom.MONTH, 1 if by_month else 12)
        a, b = max(cursor, first), min(after, end)
        label = f"{cursor:%b %Y}" if by_month else f"{cursor:%Y}"
        groups.append(Column(label, a, place(a, b), is_current=a <= today < b))
        cursor = after
    return Scale(zoom, first, end, columns, groups, today=today, now=now, home=home, tz=tz)


@dataclass
class Hidden:
    """How many items lie wholly before and after the window: the paging links say so."""

    before: int = 0
    after: int = 0


@dataclass(kw_only=True)
class Placed:
    """Something drawn on the scale: where, or on which side of the window it lies."""

    place: Place | None = None
    outside: str = ""  # "before" | "after" | ""

    def locate(
        self, scale: Scale, hidden: Hidden, starts: dt.datetime, ends: dt.datetime | None = None
    ) -> None:
        self.place = scale.place(starts, ends)
        self.outside = "" if self.place else scale.side(starts, ends)
        if self.outside == "before":
            hidden.before += 1
        elif self.outside == "after":
            hidden.after += 1


# -- stage bands ----------------------------------------------------------------------


class BandKind(StrEnum):
    PAST = "past"
    CURRENT = "current"
    PLANNED = "planned"


STAGE_LABELS = {str(stage.value): str(stage.label) for stage in Stage}


@dataclass
class Band(Placed):
    """A stretch of time a project spent, spends or plans to spend in one stage."""

    stage: str
    kind: BandKind
    starts: dt.datetime
    ends: dt.datetime  # exclusive
    due: dt.date | None = None
    # Current: past its planned end. Planned: its planned end is already behind us.
    late: bool = False
    _local: tuple[dt.tzinfo, dt.datetime, dt.datetime] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def label(self) -> str:
        return STAGE_LABELS[self.stage]

    def local(self, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        """Its start and end in the zone `tz`, converted once: the portfolio reads them
        for the home window, the position and the description of a thousand bands."""
        if self._local is None or self._local[0] is not tz:
            self._local = (tz, self.starts.astimezone(tz), self.ends.astimezone(tz))
        return self._local[1], self._local[2]

    @property
    def css(self) -> str:
        """Its classes in one lookup: the portfolio draws hundreds of bands."""
        classes = ["band", self.stage, self.kind]
        if self.late:
            classes.append("late")
        if self.place and self.place.cut_start:
            classes.append("cut-start")
        if self.place and self.place.cut_end:
            classes.append("cut-end")
        return " ".join(classes)

    @property
    def description(self) -> str:
        """The band in words: its title, and its text for screen readers."""
        return self.describe(viewer_tz())

    def describe(self, tz: dt.tzinfo) -> str:
        """The description in the zone `tz`: the portfolio looks it up once, not per band."""
        starts, ends = self.local(tz)
        first = day_label(starts.date())
        due = f"planned to end {day_label(self.due)}" if self.due else "no planned end"
        if self.kind == BandKind.PAST:
            return f"{self.label}: {first} – {day_label(ends.date())}"
        if self.kind == BandKind.CURRENT:
            late = ", overdue" if self.late else ""
            return f"{self.label}, current stage: since {first}; {due}{late}"
        if self.late and self.due:
            return f"{self.label}, planned: behind plan, was to end {day_label(self.due)}"
        last = local_day(self.ends - dt.timedelta(days=1), tz)
        return f"{self.label}, planned: {first} – {day_label(last)}"


@dataclass
class StagePlan:
    bands: list[Band]
    # Stages still ahead with no planned end: they cannot be drawn, only named.
    unplanned: list[str]
    closed_on: dt.date | None = None

    @property
    def current(self) -> Band | None:
        return next((b for b in self.bands if b.kind == BandKind.CURRENT), None)


class Move(Protocol):
    """What a band reads of a stage transition: a StageTransition, or a row of one."""

    @property
    def from_stage(self) -> str: ...
    @property
    def to_stage(self) -> str: ...
    @property
    def created_at(self) -> dt.datetime: ...


class MoveRow(NamedTuple):
    from_stage: str
    to_stage: str
    created_at: dt.datetime


def stage_bands(project: Project, transitions: Sequence[Move], *, now: dt.datetime) -> StagePlan:
    """Past stages from the transition history, the current one, and the planned ones.

    `transitions` are the project's, oldest first. The first stage starts when the
    project was created; each transition ends one band and starts the next. Moving back
    simply starts another band for the earlier stage: the history is drawn as it was.
    The current stage runs to now, or to its planned end if that is later; the stages
    after it follow one another up to their planned ends.
    """
    tz = viewer_tz()
    today = local_day(now, tz)
    bands: list[Band] = []
    stage = transitions[0].from_stage if transitions else project.stage
    since = project.created_at
    for t in transitions:
        bands.append(Band(stage, BandKind.PAST, since, max(t.created_at, since)))
        stage, since = t.to_stage, max(t.created_at, since)
    if project.stage == Stage.CLOSED:
        closed_on = local_day(since, tz) if transitions else None
        return StagePlan(bands, [], closed_on=closed_on)
    due: dt.date | None = getattr(project, f"{project.stage}_due")
    planned_end = day_start(due + dt.timedelta(days=1), tz) if due else None
    # Never before its start, even if the clock and the last move disagree.
    ends = max(now, since, planned_end or now)
    bands.append(
        Band(
            project.stage,
            BandKind.CURRENT,
            since,
            ends,
            due=due,
            late=due is not None and due < today,
        )
    )
    unplanned: list[str] = []
    for later in WORK_STAGES[WORK_STAGES.index(project.stage) + 1 :]:
        later_due: dt.date | None = getattr(project, f"{later}_due")
        if later_due is None:
            unplanned.append(Stage(later).label)
            continue
        later_end = day_start(later_due + dt.timedelta(days=1), tz)
        bands.append(
            Band(
                later,
                BandKind.PLANNED,
                ends,
                max(ends, later_end),
                due=later_due,
                late=later_end < ends,
            )
        )
        ends = max(ends, later_end)
    return StagePlan(bands, unplanned)


# -- dated items ----------------------------------------------------------------------


@dataclass
class Marker(Placed):
    """A milestone (a diamond) or a launch (a dot) at its moment."""

    kind: str  # "milestone" | "launch"
    title: str
    at: dt.datetime
    when: str  # the moment in words, in the viewer's zone
    short: str  # the same, for beside the marker
    status: str = ""
    status_label: str = ""
    launch: Launch | None = None

    @property
    def css(self) -> str:
        """Its classes in one lookup: the portfolio draws thousands of markers."""
        status = f" status-{self.status}" if self.status else ""
        flip = " flip" if self.place and self.place.near_end else ""
        return f"marker {self.kind}{status}{flip}"

    @property
    def url(self) -> str:
        # Reversed only where a page links it: the portfolio draws thousands unlinked.
        return self.launch.get_absolute_url() if self.launch else ""

    @property
    def description(self) -> str:
        what = "Milestone" if self.kind == "milestone" else "Launch"
        status = f" ({self.status_label})" if self.status_label else ""
        return f"{what} {self.title}: {self.when}{status}"


def milestone_marker(milestone: Milestone, tz: dt.tzinfo) -> Marker:
    day = milestone.date
    return Marker(
        "milestone", milestone.title, midday(day, tz), day_label(day), f"{day.day} {day:%b}"
    )


STATUS_LABELS = {str(value): str(label) for value, label in LaunchStatus.choices}


def launch_marker(
    name: str,
    go_live: dt.datetime,
    status: str,
    tz: dt.tzinfo,
    launch: Launch | None = None,
    *,
    local: dt.datetime | None = None,
) -> Marker:
    """A launch at its go-live in the viewer's zone; `launch` only where it is linked.

    `local` is the go-live in `tz`, where the caller has it already."""
    if local is None:
        local = go_live.astimezone(tz)
    time = f"{local.hour:02d}:{local.minute:02d}"
    return Marker(
        "launch",
        name,
        go_live,
        f"{day_label(local.date())}, {time} {local.tzname()}",
        f"{local.day} {MONTH_ABBR[local.month]} {time}",
        status=status,
        status_label=STATUS_LABELS[status],
        launch=launch,
    )


# -- the project timeline -------------------------------------------------------------


@dataclass
class TaskRow(Placed):
    task: Task
    depends_on: list[Task]
    depth: int  # the longest chain of dependencies leading to it, for the indent
    # A bar from the latest dependency's due date to its own, or a dot at its due date.
    is_bar: bool = False
    # Dependencies due after this task: the plan cannot hold as it stands.
    out_of_order: list[Task] = field(default_factory=list)
    is_overdue: bool = False

    @property
    def indent(self) -> int:
        return min(self.depth, 4)

    @property
    def description(self) -> str:
        task = self.task
        due = f"due {day_label(task.due_date)}" if task.due_date else "no due date"
        owner = f", owned by {task.owner}" if task.owner_id else ", unowned"
        status = TaskStatus(task.status).label
        after = f"; after {', '.join(str(d) for d in self.depends_on)}" if self.depends_on else ""
        overdue = ", overdue" if self.is_overdue else ""
        return f"{task.title}: {due}{owner}, {status}{overdue}{after}"


@dataclass
class TaskGroup:
    stage: str
    rows: list[TaskRow]

    @property
    def label(self) -> str:
        return Stage(self.stage).label


@dataclass
class ProjectTimeline:
    project: Project
    scale: Scale
    plan: StagePlan
    markers: list[Marker]
    task_groups: list[TaskGroup]
    hidden: Hidden


def dependency_depths(edges: dict[int, list[int]]) -> dict[int, int]:
    """Length of the longest dependency chain ending at each task (0: depends on none).

    Walked with an explicit stack, so a chain of thousands of tasks cannot exhaust the
    recursion limit; an edge back into the current path (a cycle saved before cycles
    were refused) is ignored rather than followed for ever.
    """
    depths: dict[int, int] = {}
    for root in edges:
        if root in depths:
            continue
        on_path = {root}
        stack = [(root, iter(edges.get(root, ())))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                on_path.discard(node)
                done = (depths[c] + 1 for c in edges.get(node, ()) if c in depths)
                depths[node] = max(done, default=0)
            elif child not in depths and child not in on_path:
                on_path.add(child)
                stack.append((child, iter(edges.get(child, ()))))
    return depths


def project_timeline(
    project: Project,
    *,
    zoom: Zoom,
    start: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ProjectTimeline:
    """The project's stages, milestones, launches and tasks, placed on one window.

    Six queries whatever the project holds: transitions, tasks with owners, dependency
    edges, milestones and launches (and the project itself, fetched by the caller).
    """
    now = now or timezone.now()
    tz = viewer_tz()
    today = local_day(now, tz)
    transitions = list(project.transitions.order_by("created_at", "id"))
    tasks = list(project.tasks.select_related("owner").order_by("due_date", "id"))
    by_id = {t.pk: t for t in tasks}
    edges: dict[int, list[int]] = defaultdict(list)
    for src, dst in Task.depends_on.through.objects.filter(from_task__project=project).values_list(
        "from_task_id", "to_task_id"
    ):
        if dst in by_id:
            edges[src].append(dst)
    milestones = list(project.milestones.all())
    launches = list(project.launches.all())

    plan = stage_bands(project, transitions, now=now)
    markers = [milestone_marker(m, tz) for m in milestones]
    markers += [launch_marker(x.name, x.go_live, x.status, tz, x) for x in launches]
    markers.sort(key=lambda m: (m.at, m.kind, m.title))
    days = [local_day(moment, tz) for b in plan.bands for moment in (b.starts, b.ends)]
    days += [local_day(m.at, tz) for m in markers] + [t.due_date for t in tasks if t.due_date]
    if not project.is_closed:
        days.append(today)
    scale = build_scale(zoom, days, now=now, start=start)
    hidden = Hidden()

    for band in plan.bands:
        band.locate(scale, hidden, band.starts, band.ends)
    for marker in markers:
        marker.locate(scale, hidden, marker.at)

    depths = dependency_depths(edges)
    groups: dict[str, list[TaskRow]] = {s: [] for s in WORK_STAGES}
    for task in tasks:
        deps = sorted((by_id[d] for d in edges.get(task.pk, [])), key=lambda t: t.title)
        overdue = bool(task.due_date and task.due_date < today and task.status != TaskStatus.DONE)
        row = TaskRow(task, deps, depths.get(task.pk, 0), is_overdue=overdue)
        groups.setdefault(task.stage, []).append(row)
        if not task.due_date:
            continue
        due_end = day_start(task.due_date + dt.timedelta(days=1), tz)
        dep_dues = [d.due_date for d in deps if d.due_date]
        row.out_of_order = [d for d in deps if d.due_date and d.due_date > task.due_date]
        if dep_dues and not row.out_of_order and max(dep_dues) < task.due_date:
            # It can start once its last dependency is due: draw that stretch.
            row.is_bar = True
            after = day_start(max(dep_dues) + dt.timedelta(days=1), tz)
            row.locate(scale, hidden, after, due_end)
        else:
            row.locate(scale, hidden, midday(task.due_date, tz))
    task_groups = [TaskGroup(stage, rows) for stage, rows in groups.items() if rows]
    return ProjectTimeline(project, scale, plan, markers, task_groups, hidden)


# -- the portfolio --------------------------------------------------------------------


@dataclass
class PortfolioRow:
    project: Project
    plan: StagePlan
    # Only the markers drawn in the window: those outside are counted in `hidden`.
    markers: list[Marker]
    tz: dt.tzinfo


@dataclass
class Portfolio:
    scale: Scale
    rows: list[PortfolioRow]
    hidden: Hidden


# The first and last milestone and launch of each project, read with the projects:
# they choose the home window, and cost no query of their own.
def _first(model: type[Milestone] | type[Launch], field: str, order: str) -> Subquery:
    rows = model.objects.filter(project=OuterRef("pk")).order_by(f"{order}{field}")
    return Subquery(rows.values(field)[:1])


SPAN = {
    "first_milestone": _first(Milestone, "date", ""),
    "last_milestone": _first(Milestone, "date", "-"),
    # Naive UTC (see UtcTimestamp), made aware again in _span.
    "first_launch": UtcTimestamp(_first(Launch, "go_live", "")),
    "last_launch": UtcTimestamp(_first(Launch, "go_live", "-")),
}


def _span(project: Project, tz: dt.tzinfo) -> list[dt.date]:
    """A project's first and last milestone and launch days, as far as it has any.

    A launch's local day never runs backwards as its moment moves on, so its first and
    last moments give its first and last days.
    """
    days = [getattr(project, f"{edge}_milestone") for edge in ("first", "last")]
    moments = [getattr(project, f"{edge}_launch") for edge in ("first", "last")]
    return [d for d in days if d] + [local_day(m.replace(tzinfo=dt.UTC), tz) for m in moments if m]


def _count_outside(
    milestones: QuerySet[Milestone],
    launches: QuerySet[Launch],
    hidden: Hidden,
    days: tuple[dt.date, dt.date],
    moments: tuple[dt.datetime, dt.datetime],
) -> None:
    """Adds the milestones and launches before `days`/`moments` and after them: one query."""

    def sides(rows: QuerySet, field: str, lo: object, hi: object) -> QuerySet:
        return (
            rows.order_by()
            .annotate(one=Value(1))
            .values("one")  # one group: an aggregate that can join a union
            .annotate(
                before=Count("pk", filter=Q(**{f"{field}__lt": lo})),
                after=Count("pk", filter=Q(**{f"{field}__gt": hi})),
            )
            .values_list("before", "after")
        )

    counts = sides(milestones, "date", *days).union(sides(launches, "go_live", *moments), all=True)
    for before, after in counts:
        hidden.before += before
        hidden.after += after


def portfolio_timeline(
    user: User,
    *,
    zoom: Zoom,
    start: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Portfolio:
    """Every project the user can see, one row each, in five queries for any number.

    The projects (with the first and last days of their milestones and launches, which
    choose the home window) and their stage moves; how many milestones and launches lie
    outside the window; the milestones and the launches inside it. Only what is drawn
    is fetched, labelled and turned into markers.
    """
    now = now or timezone.now()
    tz = viewer_tz()
    # What a row draws: its name and stage plan (not the project's text and budget).
    fields = ("name", "stage", "created_at", *(f"{stage}_due" for stage in WORK_STAGES))
    projects = list(projects_for_user(user).only(*fields).annotate(**SPAN))
    ids = [p.pk for p in projects]
    # Plain rows (a stage move's note and missing criteria are not drawn), their moments
    # read as naive UTC (see UtcTimestamp).
    transitions: dict[int, list[MoveRow]] = defaultdict(list)
    moves = StageTransition.objects.filter(AnyOf("project_id", ids)).order_by(
        "project_id", "created_at", "id"
    )
    for project_id, from_stage, to_stage, created in moves.values_list(
        "project_id", "from_stage", "to_stage", UtcTimestamp("created_at")
    ):
        transitions[project_id].append(
            MoveRow(from_stage, to_stage, created.replace(tzinfo=dt.UTC))
        )

    plans: list[tuple[Project, StagePlan]] = []
    days: list[dt.date] = [local_day(now, tz)]
    for project in projects:
        plan = stage_bands(project, transitions[project.pk], now=now)
        plans.append((project, plan))
        for band in plan.bands:
            starts, ends = band.local(tz)  # converted once, for here, locate and describe
            days += (starts.date(), ends.date())
        days += _span(project, tz)
    scale = build_scale(zoom, days, now=now, start=start)
    hidden = Hidden()
    for _, plan in plans:
        for band in plan.bands:
            band.locate(scale, hidden, *band.local(tz))

    # A day's margin each side: what is fetched is then placed (or counted) exactly as
    # the project timeline does it, whatever the zone; what lies further is only counted.
    first, last = scale.start - dt.timedelta(days=1), scale.end + dt.timedelta(days=1)
    lo, hi = day_start(first, tz), day_start(last, tz)
    milestones = Milestone.objects.filter(AnyOf("project_id", ids))
    launches = Launch.objects.filter(AnyOf("project_id", ids))
    _count_outside(milestones, launches, hidden, (first, last), (lo, hi))

    # Each marker's `at` in UTC, as the launches' go-lives: the rows sort their markers
    # by it, and comparing moments in two zones costs a zone lookup each time.
    markers: dict[int, list[Marker]] = defaultdict(list)
    near = milestones.filter(date__gte=first, date__lte=last)
    for project_id, title, day in near.values_list("project_id", "title", "date"):
        noon = midday(day, tz)
        marker = Marker("milestone", title, noon.astimezone(dt.UTC), "", "")
        marker.locate(scale, hidden, noon)
        if marker.place:
            marker.when = day_label(day)
            marker.short = f"{day.day} {MONTH_ABBR[day.month]}"
            markers[project_id].append(marker)
    # Plain rows: the portfolio links none of its launches.
    launch_rows = launches.filter(go_live__gte=lo, go_live__lte=hi).values_list(
        "project_id", "name", UtcTimestamp("go_live"), "status"
    )
    for project_id, name, naive, status in launch_rows:
        go_live = naive.replace(tzinfo=dt.UTC)
        local = go_live.astimezone(tz)
        place = scale.place(local)
        if place is None:
            side = scale.side(local)
            hidden.before += side == "before"
            hidden.after += side == "after"
            continue
        marker = launch_marker(name, go_live, status, tz, local=local)
        marker.place = place
        markers[project_id].append(marker)

    rows = [
        PortfolioRow(project, plan, sorted(markers[project.pk], key=lambda m: (m.at, m.kind)), tz)
        for project, plan in plans
    ]
    return Portfolio(scale, rows, hidden)


# -- team progress --------------------------------------------------------------------


@dataclass
class Bucket:
    """How many of a person's open tasks are in a state, and the first few of them."""

    count: int = 0
    tasks: list[Task] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.tasks)


@dataclass
class PersonProgress:
    person: User
    open: int = 0
    due_soon: Bucket = field(default_factory=Bucket)
    overdue: Bucket = field(default_factory=Bucket)
    blocked: Bucket = field(default_factory=Bucket)


@dataclass
class TeamProgress:
    people: list[PersonProgress]
    today: dt.date
    soon_until: dt.date


def _first_per_owner(tasks: QuerySet[Task], limit: int) -> list[Task]:
    """The first `limit` tasks of each owner, by due date, in one query."""
    ranked = tasks.annotate(
        rank=Window(
            RowNumber(),
            partition_by=[F("owner_id")],
            order_by=[F("due_date").asc(nulls_last=True), F("id").asc()],
        )
    )
    return list(
        ranked.filter(rank__lte=limit)
        .select_related("project")
        .only("title", "stage", "due_date", "status", "blocked_reason", "owner_id", "project__name")
        .order_by("owner_id", "due_date", "id")
    )


def team_progress(user: User, *, today: dt.date | None = None) -> TeamProgress:
    """Per person: their open tasks across the user's open projects, and what needs them.

    People are the managers and contributors of those projects, and anyone else who
    still owns an open task in them. Only tasks of projects the user can see count.
    """
    today = today or timezone.localdate()
    soon_until = today + dt.timedelta(days=DUE_SOON_DAYS)
    projects = projects_for_user(user).exclude(stage=Stage.CLOSED).values("pk")
    open_tasks = Task.objects.filter(project__in=projects, owner__isnull=False).exclude(
        status=TaskStatus.DONE
    )
    due_soon = Q(due_date__gte=today, due_date__lte=soon_until)
    overdue = Q(due_date__lt=today)
    blocked = Q(status=TaskStatus.BLOCKED)
    counts = {
        row["owner_id"]: row
        for row in open_tasks.values("owner_id").annotate(
            open=Count("id"),
            due_soon=Count("id", filter=due_soon),
            overdue=Count("id", filter=overdue),
            blocked=Count("id", filter=blocked),
        )
    }
    people = (
        User.objects.filter(
            Q(memberships__project__in=projects, memberships__role__in=ASSIGNABLE_ROLES)
            | Q(pk__in=list(counts))
        )
        .distinct()
        .prefetch_related("teams")
    )
    progress = {p.pk: PersonProgress(p) for p in people}
    for owner_id, row in counts.items():
        person = progress[owner_id]
        person.open = row["open"]
        person.due_soon.count = row["due_soon"]
        person.overdue.count = row["overdue"]
        person.blocked.count = row["blocked"]
    for name, condition in (("due_soon", due_soon), ("overdue", overdue), ("blocked", blocked)):
        for task in _first_per_owner(open_tasks.filter(condition), TEAM_LIST_LIMIT):
            bucket: Bucket = getattr(progress[task.owner_id], name)  # type: ignore[index]
            bucket.tasks.append(task)
    return TeamProgress(list(progress.values()), today, soon_until)

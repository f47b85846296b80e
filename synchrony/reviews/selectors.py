"""Reads of the Review stage, scoped to the user, and the permission rule of each type.

A retrospective is read by the project's members. Writing on its board is for its
participants; revealing phases, grouping and inviting are for its facilitator and the
project's managers. Published lessons are the whole workspace's; drafts stay with their
project. A closed project is read-only, like everywhere else.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from synchrony.launches.health import OPEN_FAILURE_STATES
from synchrony.launches.models import (
    SUCCESS_STATES,
    Activation,
    ActivationState,
    Channel,
    Launch,
    LaunchStatus,
)
from synchrony.lib.text import sentences
from synchrony.planning.models import TaskStatus
from synchrony.projects.models import Project, Role, Stage
from synchrony.projects.selectors import get_project_for_user, projects_for_user
from synchrony.reviews.models import (
    ActionItem,
    ApplicationStatus,
    GoalReading,
    Item,
    ItemGroup,
    Lesson,
    LessonApplication,
    LessonStatus,
    Participant,
    Phase,
    Prompt,
    ReportLink,
    Retrospective,
    TimelineNote,
    Vote,
)
from synchrony.reviews.outcomes import GoalOutcome, goal_outcome, goals_with_measures

if TYPE_CHECKING:
    from synchrony.accounts.models import User


class RetroNeed(StrEnum):
    VIEW = "view"
    PARTICIPATE = "participate"  # write items, vote, draft lessons: active participants
    FACILITATE = "facilitate"  # phases, grouping, people, publishing: facilitator, managers
    FOLLOW_UP = "follow_up"  # goals, notes, action items, lessons: either of the above


def can_facilitate(user: User, retro: Retrospective) -> bool:
    project = retro.project
    return not project.is_closed and (
        retro.facilitator_id == user.pk or project.user_role == Role.MANAGER
    )


def active_participant(user: User, retro: Retrospective) -> Participant | None:
    if retro.project.is_closed:
        return None
    return Participant.objects.filter(
        retrospective=retro, user=user, removed_at__isnull=True
    ).first()


def get_retrospective_for_user(
    user: User, pk: int, *, need: RetroNeed = RetroNeed.VIEW
) -> Retrospective:
    retro = (
        Retrospective.objects.select_related("facilitator", "launch")
        .filter(pk=pk, project__in=projects_for_user(user))
        .first()
    )
    if retro is None:
        raise Http404("No such retrospective.")
    retro.project = get_project_for_user(user, retro.project_id)
    if need == RetroNeed.VIEW:
        return retro
    if retro.project.is_closed:
        raise PermissionDenied("This project is closed; reopen it to change its retrospective.")
    if need == RetroNeed.FACILITATE and not can_facilitate(user, retro):
        raise PermissionDenied("Only the facilitator or a project manager does this.")
    if need == RetroNeed.FOLLOW_UP and not (
        can_facilitate(user, retro) or active_participant(user, retro) is not None
    ):
        raise PermissionDenied("Only the retrospective's participants and facilitator do this.")
    if need == RetroNeed.PARTICIPATE and active_participant(user, retro) is None:
        raise PermissionDenied(
            "You are not a participant of this retrospective (any more). "
            "Ask the facilitator to invite you."
        )
    return retro


def participant_for(user: User, retro: Retrospective) -> Participant:
    participant = active_participant(user, retro)
    if participant is None:
        raise PermissionDenied(
            "You are not a participant of this retrospective (any more). "
            "Ask the facilitator to invite you."
        )
    return participant


def get_item_for_user(user: User, retro: Retrospective, pk: Any) -> Item:
    item = Item.objects.filter(pk=pk, retrospective=retro).select_related("group").first()
    if item is None:
        raise Http404("No such item.")
    item.retrospective = retro
    return item


def can_edit_item(user: User, item: Item, anonymous_ids: frozenset[str]) -> bool:
    """Authors change their own items while the board is in the write phase; an
    anonymous item's author is recognised only by their browser's own cookie."""
    retro = item.retrospective
    if retro.phase != Phase.WRITE or active_participant(user, retro) is None:
        return False
    if item.is_anonymous:
        return str(item.pk) in anonymous_ids
    return item.author_id == user.pk


def get_group_for_user(user: User, pk: int, *, write: bool = False) -> ItemGroup:
    group = ItemGroup.objects.filter(
        pk=pk, retrospective__project__in=projects_for_user(user)
    ).first()
    if group is None:
        raise Http404("No such group.")
    group.retrospective = get_retrospective_for_user(
        user,
        group.retrospective_id,
        need=RetroNeed.FACILITATE if write else RetroNeed.VIEW,
    )
    return group


def get_lesson_for_user(user: User, pk: int, *, write: bool = False) -> Lesson:
    """Published lessons are read by everyone; drafts by their project's members.

    Changing a lesson happens inside its retrospective, so for a write the lesson is looked
    up there: someone outside its project gets a 404, as for anything else in it.
    """
    member_of = projects_for_user(user)
    visible = Q(project__in=member_of)
    if not write:
        visible |= Q(status=LessonStatus.PUBLISHED)
    lesson = (
        Lesson.objects.select_related("project", "retrospective", "created_by", "published_by")
        .filter(visible, pk=pk)
        .first()
    )
    if lesson is None:
        raise Http404("No such lesson.")
    if not write:
        return lesson
    lesson.retrospective = get_retrospective_for_user(user, lesson.retrospective_id)
    lesson.project = lesson.retrospective.project
    if not can_edit_lesson(user, lesson):
        raise PermissionDenied(
            "The facilitator and the project's managers change lessons; "
            "whoever drafted one may change it until it is published."
        )
    return lesson


def can_edit_lesson(user: User, lesson: Lesson) -> bool:
    retro = lesson.retrospective
    if retro.project.is_closed:
        return False
    if can_facilitate(user, retro):
        return True
    return (
        lesson.status == LessonStatus.DRAFT
        and lesson.created_by_id == user.pk
        and active_participant(user, retro) is not None
    )


def get_application_for_user(user: User, pk: int) -> LessonApplication:
    """A project's answer to a lesson; its outcome is recorded in that project's
    retrospective by the people who may write there."""
    application = (
        LessonApplication.objects.select_related("lesson", "project")
        .filter(pk=pk, project__in=projects_for_user(user))
        .first()
    )
    if application is None:
        raise Http404("No such lesson.")
    application.project = get_project_for_user(user, application.project_id)
    return application


def get_report_link_for_user(user: User, pk: int) -> ReportLink:
    link = ReportLink.objects.filter(pk=pk, project__in=projects_for_user(user)).first()
    if link is None:
        raise Http404("No such link.")
    # Revoking stays possible on a closed project: sharing its report is what closing is for.
    link.project = get_project_for_user(user, link.project_id)
    if link.project.user_role != Role.MANAGER:
        raise PermissionDenied("Only the project's managers share its report.")
    return link


# The board ----------------------------------------------------------------------------


@dataclass
class Card:
    """What the board shows as one note: an ungrouped item, or a group of items."""

    key: str
    prompt: str
    title: str
    items: list[Item]
    group: ItemGroup | None = None
    votes: int = 0
    my_votes: int = 0
    # Write phase only: the viewer wrote it (and, for an anonymous item, from this browser).
    mine: bool = False
    editable: bool = False
    actions: list[ActionItem] = field(default_factory=list)
    lessons: list[Lesson] = field(default_factory=list)

    @property
    def item(self) -> Item | None:
        return self.items[0] if self.group is None and self.items else None


@dataclass
class Column:
    prompt: str
    label: str
    cards: list[Card]
    total: int  # items in this column, seen or not


@dataclass
class Board:
    columns: list[Column]
    total_items: int
    votes_used: int
    votes_left: int
    show_totals: bool
    cards: dict[str, Card]


def board_for(
    retro: Retrospective, user: User | None, *, anonymous_ids: frozenset[str] = frozenset()
) -> Board:
    """The board as this user may see it now.

    In the write phase each person sees only what they wrote; afterwards everyone sees
    every item, and nothing marks an anonymous item as anyone's. Vote totals show from
    the discussion on; during voting each person sees only their own votes.
    """
    items = list(retro.items.select_related("author"))
    groups = {g.pk: g for g in retro.groups.all()}
    participant = (
        Participant.objects.filter(retrospective=retro, user=user, removed_at__isnull=True).first()
        if user is not None
        else None
    )
    user_pk = user.pk if user is not None else None
    totals: dict[str, int] = defaultdict(int)
    mine: dict[str, int] = defaultdict(int)
    for vote in Vote.objects.filter(participant__retrospective=retro).values(
        "item_id", "group_id", "participant_id"
    ):
        key = f"item:{vote['item_id']}" if vote["item_id"] else f"group:{vote['group_id']}"
        totals[key] += 1
        if participant is not None and vote["participant_id"] == participant.pk:
            mine[key] += 1
    actions: dict[str, list[ActionItem]] = defaultdict(list)
    for action in retro.actions.select_related("task__owner", "task__project"):
        key = f"group:{action.group_id}" if action.group_id else f"item:{action.item_id}"
        actions[key].append(action)
    lessons: dict[str, list[Lesson]] = defaultdict(list)
    for lesson in retro.lessons.all():
        key = f"group:{lesson.group_id}" if lesson.group_id else f"item:{lesson.item_id}"
        lessons[key].append(lesson)

    writing = retro.phase == Phase.WRITE
    can_write = writing and participant is not None and not retro.project.is_closed
    cards: dict[str, Card] = {}
    by_group: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        item.retrospective = retro
        if writing:
            own = str(item.pk) in anonymous_ids if item.is_anonymous else item.author_id == user_pk
            if own:
                cards[item.card_key] = Card(
                    item.card_key, item.prompt, item.text, [item], mine=True, editable=can_write
                )
            continue
        if item.group_id and item.group_id in groups:
            by_group[item.group_id].append(item)
        else:
            cards[item.card_key] = Card(item.card_key, item.prompt, item.text, [item])
    for pk, members in by_group.items():
        group = groups[pk]
        cards[group.card_key] = Card(group.card_key, group.prompt, group.title, members, group)
    for key, card in cards.items():
        card.votes = totals.get(key, 0)
        card.my_votes = mine.get(key, 0)
        card.actions = actions.get(key, [])
        card.lessons = lessons.get(key, [])
    show_totals = retro.phase in (Phase.DISCUSS, Phase.DONE)
    columns = []
    for value, label in Prompt.choices:
        in_column = [c for c in cards.values() if c.prompt == value]
        if show_totals:
            in_column.sort(key=lambda c: -c.votes)
        columns.append(Column(value, label, in_column, sum(1 for i in items if i.prompt == value)))
    used = sum(mine.values())
    return Board(
        columns=columns,
        total_items=len(items),
        votes_used=used,
        votes_left=max(0, retro.votes_per_person - used) if participant else 0,
        show_totals=show_totals,
        cards=cards,
    )


def find_card(retro: Retrospective, key: str) -> tuple[Item | None, ItemGroup | None]:
    """The item or group a card key names, in this retrospective; 404 for anything else."""
    kind, _, ident = (key or "").partition(":")
    if kind == "item":
        try:
            pk = uuid.UUID(ident)
        except ValueError:
            raise Http404("No such card.") from None
        item = Item.objects.filter(pk=pk, retrospective=retro).first()
        if item is not None:
            return item, None
    elif kind == "group" and ident.isdigit() and len(ident) < 12:
        group = ItemGroup.objects.filter(pk=int(ident), retrospective=retro).first()
        if group is not None:
            return None, group
    raise Http404("No such card.")


def participants_of(retro: Retrospective) -> list[Participant]:
    members = set(retro.project.memberships.values_list("user_id", flat=True))
    people = list(retro.participants.select_related("user"))
    for p in people:
        p.on_project = p.user_id in members  # type: ignore[attr-defined]
    return people


# What happened: the timeline and the facts ---------------------------------------------


@dataclass
class TimelineEntry:
    when: dt.datetime | dt.date
    title: str
    detail: str = ""
    tone: str = ""  # "ok", "warn", "bad" or ""
    kind: str = ""  # stage, launch, hold, failure, milestone, note
    note: TimelineNote | None = None

    @property
    def has_time(self) -> bool:
        return isinstance(self.when, dt.datetime)

    @property
    def sort_key(self) -> dt.datetime:
        if isinstance(self.when, dt.datetime):
            return self.when
        return dt.datetime.combine(self.when, dt.time(12), tzinfo=dt.UTC)


def ms(value: int | None) -> str:
    if value is None:
        return "—"
    if abs(value) < 1000:
        return f"{value} ms"
    return f"{value / 1000:.1f} s"


def launch_entries(launch: Launch) -> list[TimelineEntry]:
    """A launch as it went: the moment, lateness and skew, what failed, what was held."""
    entries: list[TimelineEntry] = []
    activations = list(launch.activations.all())
    failed = [a for a in activations if a.state == ActivationState.FAILED]
    unknown = [
        a for a in activations if a.state in (ActivationState.UNKNOWN, ActivationState.OVERDUE)
    ]
    dropped = [a for a in activations if a.state == ActivationState.DROPPED]
    recovered = [a for a in activations if a.recovered]
    for check in launch.preflights.all():
        if check.problems and check.final:
            entries.append(
                TimelineEntry(
                    check.ran_at,
                    f"Last preflight of “{launch}” found {len(check.problems)} problem"
                    f"{'s' if len(check.problems) != 1 else ''}"
                    + (f": {check.action}" if check.action else ""),
                    sentences(p.get("message", "") for p in check.problems[:4]),
                    "warn",
                    "hold",
                )
            )
    if launch.status == LaunchStatus.HELD:
        entries.append(
            TimelineEntry(
                launch.go_live,
                f"“{launch}” is held",
                launch.hold_reason,
                "warn",
                "hold",
            )
        )
    if launch.status == LaunchStatus.CANCELLED:
        entries.append(TimelineEntry(launch.go_live, f"“{launch}” was cancelled", kind="launch"))
    elif launch.status in (
        LaunchStatus.LAUNCHED,
        LaunchStatus.PARTLY_LAUNCHED,
        LaunchStatus.FAILED,
    ):
        channels = len(activations)
        parts = [f"{channels} channel{'s' if channels != 1 else ''}"]
        if launch.lateness_ms is not None:
            parts.append(f"first send {ms(launch.lateness_ms)} after the moment")
        if launch.skew_ms is not None:
            parts.append(f"all sent within {ms(launch.skew_ms)}")
        if recovered:
            parts.append("recovered after retries: " + ", ".join(a.channel.name for a in recovered))
        tones: dict[str, str] = {LaunchStatus.LAUNCHED: "ok", LaunchStatus.PARTLY_LAUNCHED: "warn"}
        tone = tones.get(launch.status, "bad")
        entries.append(
            TimelineEntry(
                launch.fired_at or launch.go_live,
                f"“{launch}” {launch.get_status_display().lower()}",
                "; ".join(parts),
                tone,
                "launch",
            )
        )
        for activation in failed:
            entries.append(
                TimelineEntry(
                    activation.failed_at or launch.go_live,
                    f"{activation.channel.name} failed for “{launch}”",
                    f"after {activation.attempts} attempt{'s' if activation.attempts != 1 else ''}"
                    + (f": {activation.last_error}" if activation.last_error else ""),
                    "bad",
                    "failure",
                )
            )
        for activation in unknown:
            entries.append(
                TimelineEntry(
                    launch.go_live,
                    f"{activation.channel.name} for “{launch}”: "
                    f"{activation.get_state_display().lower()}",
                    tone="warn",
                    kind="failure",
                )
            )
        for activation in dropped:
            entries.append(
                TimelineEntry(
                    launch.go_live,
                    f"{activation.channel.name} was dropped from “{launch}” at preflight",
                    tone="warn",
                    kind="hold",
                )
            )
    return entries


def _launches(project: Project, launch: Launch | None) -> QuerySet[Launch]:
    launches = Launch.objects.filter(project=project)
    if launch is not None:
        launches = launches.filter(pk=launch.pk)
    return launches.prefetch_related(
        Prefetch("activations", Activation.objects.select_related("channel")), "preflights"
    )


def timeline_for(retro: Retrospective) -> list[TimelineEntry]:
    """What happened, pre-filled from the project's own record, with the team's notes.

    People are left out on purpose: the timeline says what happened, not who did it.
    """
    project = retro.project
    entries: list[TimelineEntry] = []
    if retro.launch_id is None:
        for move in project.transitions.all():
            forward = move.is_forward
            title = f"{'Advanced' if forward else 'Moved back'} to {move.get_to_stage_display()}"
            detail = move.reason
            if move.overridden:
                detail = f"Advanced without: {'; '.join(move.missing)}" + (
                    f". Reason: {move.reason}" if move.reason else ""
                )
            entries.append(
                TimelineEntry(
                    move.created_at,
                    title,
                    detail,
                    "warn" if move.overridden or not forward else "",
                    "stage",
                )
            )
        for milestone in project.milestones.all():
            entries.append(
                TimelineEntry(milestone.date, f"Milestone: {milestone}", kind="milestone")
            )
    for launch in _launches(project, retro.launch):
        entries.extend(launch_entries(launch))
    for note in retro.notes.all():
        entries.append(
            TimelineEntry(note.date, note.text, "Added by the team", kind="note", note=note)
        )
    entries.sort(key=lambda e: e.sort_key)
    return entries


@dataclass
class Facts:
    budget: Any  # planning.selectors.BudgetSummary
    tasks_done: int
    tasks_done_late: int
    tasks_open: int
    signoffs_given: int
    signoffs_total: int
    launches: list[Launch]
    failed_activations: int
    recovered_activations: int
    activations: int  # planned: one per channel of each launch, whatever became of it
    sent_activations: int  # went out: delivered, or done by hand


def facts_for(project: Project, launch: Launch | None = None) -> Facts:
    from synchrony.planning.selectors import budget_summary

    tasks = list(project.tasks.values("status", "due_date", "completed_at"))
    done = [t for t in tasks if t["status"] == TaskStatus.DONE]
    late = [
        t
        for t in done
        if t["due_date"] and t["completed_at"] and t["completed_at"].date() > t["due_date"]
    ]
    signoffs = project.input_requests.filter(kind="signoff")
    launches = list(_launches(project, launch))
    for la in launches:
        sent = list(la.activations.all())
        ok = [a for a in sent if a.state in SUCCESS_STATES]
        la.channels_ok = len(ok)  # type: ignore[attr-defined]
        la.channels_total = len(sent)  # type: ignore[attr-defined]
        la.channels_failed = [  # type: ignore[attr-defined]
            a.channel.name for a in sent if a.state in OPEN_FAILURE_STATES
        ]
        la.lateness = ms(la.lateness_ms)  # type: ignore[attr-defined]
        la.skew = ms(la.skew_ms)  # type: ignore[attr-defined]
    activations = [a for la in launches for a in la.activations.all()]
    return Facts(
        budget=budget_summary(project),
        tasks_done=len(done),
        tasks_done_late=len(late),
        tasks_open=len(tasks) - len(done),
        signoffs_given=signoffs.filter(status="approved").count(),
        signoffs_total=signoffs.count(),
        launches=launches,
        # Failed as each launch's line counts it: refused, unknown (crashed mid-send) or
        # overdue (by hand, never done); the planned ones that never went are not sends.
        failed_activations=sum(1 for a in activations if a.state in OPEN_FAILURE_STATES),
        recovered_activations=sum(1 for a in activations if a.recovered),
        activations=len(activations),
        sent_activations=sum(1 for a in activations if a.state in SUCCESS_STATES),
    )


def outcomes_for(project: Project, retro: Retrospective | None) -> list[GoalOutcome]:
    readings: dict[int, GoalReading] = {}
    if retro is not None:
        readings = {r.goal_id: r for r in retro.readings.select_related("updated_by")}
    goals = goals_with_measures(project.goals.all())
    return [goal_outcome(goal, readings.get(goal.pk)) for goal in goals]


def project_retrospective(project: Project) -> Retrospective | None:
    return (
        Retrospective.objects.filter(project=project, launch__isnull=True)
        .select_related("facilitator")
        .first()
    )


def review_exit_criteria(project: Project) -> list[Any]:
    """What Review asks before the project closes: its retrospective, held and finished."""
    from synchrony.projects.stages import Criterion

    retro = project_retrospective(project)
    if retro is None:
        missing = "Not started yet: a manager starts it from this page."
    else:
        missing = f"Still in the {retro.get_phase_display()} phase: the facilitator finishes it."
    return [
        Criterion(
            "The retrospective is held and finished",
            retro is not None and retro.is_finished,
            missing,
        )
    ]


def applied_lessons(project: Project) -> list[LessonApplication]:
    """Lessons this project chose to apply: its retrospective asks whether they helped."""
    return list(
        LessonApplication.objects.filter(project=project, status=ApplicationStatus.APPLIED)
        .select_related("lesson", "decided_by")
        .order_by("decided_at")
    )


# Lessons: search and suggestions -------------------------------------------------------

MAX_QUERY = 200


def clean_query(raw: str) -> tuple[str, bool]:
    """The search text as PostgreSQL may take it: no NUL characters (which it refuses),
    no control characters, and at most MAX_QUERY characters. Returns it and whether it
    had to be shortened."""
    text = "".join(ch if ch.isprintable() else " " for ch in raw or "").strip()
    return text[:MAX_QUERY], len(text) > MAX_QUERY


SEARCH_TOKEN = re.compile(r'(-?)"([^"]+)"|(-?)([^\s"]+)')


def words_of(query: str) -> list[tuple[bool, str]]:
    """The embedded (SQLite) fallback's reading of a search, close to websearch syntax:
    "a phrase", -excluded, and OR/AND ignored (every other word must match)."""
    found: list[tuple[bool, str]] = []
    for neg1, phrase, neg2, word in SEARCH_TOKEN.findall(query):
        text = (phrase or word).strip("'()+")
        if not text or (word and text.upper() in ("OR", "AND")) or text == "-":
            continue
        found.append((bool(neg1 or neg2), text))
    return found[:10]


def visible_lessons(user: User) -> QuerySet[Lesson]:
    return Lesson.objects.filter(
        Q(status=LessonStatus.PUBLISHED) | Q(project__in=projects_for_user(user))
    )


def search_lessons(
    user: User,
    *,
    query: str = "",
    channel: int | None = None,
    stage: str = "",
    kind: str = "",
    published_only: bool = True,
) -> QuerySet[Lesson]:
    """Lessons matching a search, best match first.

    PostgreSQL: full-text search with websearch_to_tsquery, which takes what people type
    ("quoted phrases", -exclusions, OR) and never raises on odd characters or operators.
    SQLite (the embedded default): every word must appear somewhere, case-insensitively.
    """
    lessons = (
        visible_lessons(user)
        if not published_only
        else Lesson.objects.filter(status=LessonStatus.PUBLISHED)
    )
    if channel:
        lessons = lessons.filter(channels=channel)
    if stage:
        lessons = lessons.filter(stage=stage)
    if kind:
        lessons = lessons.filter(kind=kind)
    query, _ = clean_query(query)
    if not query:
        return lessons.distinct()
    if connection.vendor == "postgresql":
        from django.contrib.postgres.aggregates import StringAgg
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        # Channel names come from a subquery, so a lesson with three channels is still
        # one row to rank.
        names = (
            Channel.objects.filter(lessons=OuterRef("pk"))
            .order_by()
            .values("lessons")
            .annotate(names=StringAgg("name", " "))
            .values("names")
        )
        vector = (
            SearchVector("title", weight="A", config="english")
            + SearchVector("do_differently", weight="A", config="english")
            + SearchVector("what_happened", weight="B", config="english")
            + SearchVector("channel_names", weight="C", config="english")
        )
        search = SearchQuery(query, search_type="websearch", config="english")
        return (
            lessons.distinct()
            .annotate(channel_names=Subquery(names))
            .annotate(document=vector, rank=SearchRank(vector, search))
            .filter(document=search)
            .order_by("-rank", "-published_at", "-id")
        )
    for negated, phrase in words_of(query):
        match = (
            Q(title__icontains=phrase)
            | Q(do_differently__icontains=phrase)
            | Q(what_happened__icontains=phrase)
            | Q(channels__name__icontains=phrase)
        )
        lessons = lessons.exclude(match) if negated else lessons.filter(match)
    return lessons.distinct()


def with_lesson_details(lessons: Any) -> list[Lesson]:
    rows = list(lessons.prefetch_related("channels"))
    if not rows:
        return rows
    counts = dict(
        LessonApplication.objects.filter(lesson__in=rows, status=ApplicationStatus.APPLIED)
        .values("lesson")
        .annotate(n=Count("id"))
        .values_list("lesson", "n")
    )
    helped = dict(
        LessonApplication.objects.filter(lesson__in=rows, outcome="helped")
        .values("lesson")
        .annotate(n=Count("id"))
        .values_list("lesson", "n")
    )
    projects = {
        p.pk: p for p in Project.objects.filter(pk__in={lesson.project_id for lesson in rows})
    }
    for lesson in rows:
        lesson.applied_count = counts.get(lesson.pk, 0)  # type: ignore[attr-defined]
        lesson.helped_count = helped.get(lesson.pk, 0)  # type: ignore[attr-defined]
        lesson.project = projects[lesson.project_id]
    return rows


def search_closed_projects(user: User, query: str) -> list[Project]:
    """Closed projects stay searchable: by name, summary and scope."""
    query, _ = clean_query(query)
    if not query:
        return []
    projects = projects_for_user(user).filter(stage=Stage.CLOSED)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        return list(
            projects.annotate(
                search=SearchVector("name", "summary", "scope", config="english")
            ).filter(search=SearchQuery(query, search_type="websearch", config="english"))[:20]
        )
    for negated, phrase in words_of(query):
        match = (
            Q(name__icontains=phrase) | Q(summary__icontains=phrase) | Q(scope__icontains=phrase)
        )
        projects = projects.exclude(match) if negated else projects.filter(match)
    return list(projects[:20])


@dataclass
class Suggestion:
    lesson: Lesson
    shared_channels: list[Any]
    application: LessonApplication | None


def suggestions_for(project: Project, *, limit: int = 6) -> tuple[list[Suggestion], int]:
    """Published lessons from other projects that share a channel with this one, the most
    shared channels first; lessons the team found not relevant last. Returns the shown
    suggestions and how many there are in all."""
    channel_ids = set(project.channels.values_list("pk", flat=True))
    if not channel_ids:
        return [], 0
    lessons = list(
        Lesson.objects.filter(status=LessonStatus.PUBLISHED, channels__in=channel_ids)
        .exclude(project=project)
        .distinct()
        .prefetch_related("channels")
    )
    answers = {
        a.lesson_id: a
        for a in LessonApplication.objects.filter(
            project=project, lesson__in=lessons
        ).select_related("decided_by")
    }
    suggestions = []
    for lesson in lessons:
        shared = [c for c in lesson.channels.all() if c.pk in channel_ids]
        suggestions.append(Suggestion(lesson, shared, answers.get(lesson.pk)))

    def rank(s: Suggestion) -> tuple:
        dismissed = s.application is not None and s.application.status != "applied"
        published = s.lesson.published_at or s.lesson.created_at
        return (dismissed, -len(s.shared_channels), -published.timestamp())

    suggestions.sort(key=rank)
    return suggestions[:limit], len(suggestions)


# The summary report --------------------------------------------------------------------


@dataclass
class Summary:
    project: Project
    retro: Retrospective | None
    outcomes: list[GoalOutcome]
    facts: Facts
    lessons: list[Lesson]
    top_cards: dict[str, list[Card]]
    actions: list[ActionItem]
    closed_at: dt.datetime | None
    currency: str = field(default_factory=lambda: settings.CURRENCY)

    @property
    def budget_delta(self) -> Decimal:
        return self.facts.budget.actual - self.facts.budget.planned

    @property
    def goals_reached(self) -> int:
        return sum(1 for o in self.outcomes if o.verdict == "reached")

    @property
    def launches_in_full(self) -> int:
        return sum(1 for la in self.facts.launches if la.status == LaunchStatus.LAUNCHED)


def summary_for(project: Project) -> Summary:
    """Everything the one-page report shows. No person is named on it: it is shared
    beyond the team, and a blameless review reports what happened, not who."""
    retro = project_retrospective(project)
    top: dict[str, list[Card]] = {}
    actions: list[ActionItem] = []
    if retro is not None and retro.is_revealed:
        retro.project = project
        board = board_for(retro, None)
        for column in board.columns:
            cards = sorted(column.cards, key=lambda c: -c.votes)
            top[column.label] = cards[:3]
        actions = list(retro.actions.select_related("task"))
    closed = project.transitions.filter(to_stage=Stage.CLOSED).order_by("-created_at").first()
    return Summary(
        project=project,
        retro=retro,
        outcomes=outcomes_for(project, retro),
        facts=facts_for(project),
        lessons=list(
            Lesson.objects.filter(project=project, status=LessonStatus.PUBLISHED).prefetch_related(
                "channels"
            )
        ),
        top_cards=top,
        actions=actions,
        closed_at=closed.created_at if closed and project.is_closed else None,
    )


# Exports and the API ---------------------------------------------------------------


def retrospective_data(
    retro: Retrospective, user: User, *, anonymous_ids: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The retrospective as data, for the exports and the API. An anonymous item's author
    is not in it, because it is not stored anywhere; in the write phase only the reader's
    own items are included."""
    board = board_for(retro, user, anonymous_ids=anonymous_ids)
    cards = []
    for column in board.columns:
        for card in column.cards:
            cards.append(
                {
                    "prompt": column.label,
                    "title": card.title,
                    "group": card.group is not None,
                    "votes": card.votes if board.show_totals else None,
                    "items": [
                        {
                            "text": item.text,
                            "anonymous": item.is_anonymous,
                            "author": None
                            if item.is_anonymous
                            else (str(item.author) if item.author else "someone who left"),
                        }
                        for item in card.items
                    ],
                }
            )
    outcomes = outcomes_for(retro.project, retro) if retro.launch_id is None else []
    return {
        "retrospective": str(retro),
        "project": retro.project.name,
        "launch": str(retro.launch) if retro.launch else None,
        "phase": retro.get_phase_display(),
        "facilitator": str(retro.facilitator) if retro.facilitator else None,
        "participants": [str(p.user) for p in participants_of(retro) if p.is_active],
        "votes_per_person": retro.votes_per_person,
        "cards": cards,
        "goals": [
            {
                "metric": o.goal.metric,
                "unit": o.goal.unit,
                "baseline": str(o.goal.baseline),
                "target": str(o.goal.target),
                "final": str(o.final) if o.final is not None else None,
                "source": o.source or None,
                "verdict": o.verdict_label,
                "reading": o.reading.reading if o.reading else "",
            }
            for o in outcomes
        ],
        "timeline": [
            {
                "when": e.when.isoformat(),
                "what": e.title,
                "detail": e.detail,
            }
            for e in timeline_for(retro)
        ],
        "action_items": [
            {
                "title": a.title,
                "project": str(a.task.project) if a.task else None,
                "owner": str(a.task.owner) if a.task and a.task.owner else None,
                "due": a.task.due_date.isoformat() if a.task and a.task.due_date else None,
                "status": a.task.get_status_display() if a.task else "task deleted",
            }
            for a in retro.actions.select_related("task__owner", "task__project")
        ],
        "lessons": [
            {
                "title": lesson.title,
                "status": lesson.get_status_display(),
                "what_happened": lesson.what_happened,
                "do_differently": lesson.do_differently,
                "channels": [c.name for c in lesson.channels.all()],
                "stage": lesson.get_stage_display() if lesson.stage else None,
                "kind": lesson.get_kind_display() if lesson.kind else None,
            }
            for lesson in retro.lessons.prefetch_related("channels")
        ],
    }


def item_data(item: Item, retro: Retrospective, board: Board) -> dict[str, Any]:
    """One item as the API shows it. For an anonymous item the answer to "who wrote it"
    is that nobody can know: there is no author to return."""
    group = item.group if item.group_id else None
    card = board.cards.get(group.card_key if group else item.card_key)
    data: dict[str, Any] = {
        "id": str(item.pk),
        "prompt": item.get_prompt_display(),
        "text": item.text,
        "anonymous": item.is_anonymous,
        "author": None
        if item.is_anonymous
        else (str(item.author) if item.author else "someone who left"),
        "group": group.title if group else None,
        "votes": card.votes if card is not None and board.show_totals else None,
    }
    if item.is_anonymous:
        data["author_note"] = (
            "Written anonymously. Synchrony does not store who wrote it, so no one can be told."
        )
    return data

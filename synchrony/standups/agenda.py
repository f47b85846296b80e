"""The agenda a stand-up's data writes for it, the sections a facilitator walks through,
and what changed since it was written.

An agenda is a plain JSON snapshot: dates and moments as ISO strings, every item with
a stable key ("task-12", "launch-4") so notes and "discussed" marks attach to it, and a
project id wherever the item belongs to a project, so each reader sees only what they
may. "What changed" rebuilds the same agenda from today's data and compares the two.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, Q
from django.utils import formats, timezone

from synchrony.launches.models import (
    Activation,
    ActivationState,
    GateStatus,
    Launch,
    LaunchStatus,
    PreflightCheck,
)
from synchrony.lib.text import sentences
from synchrony.planning.models import Task, TaskStatus
from synchrony.projects.models import Membership, Project
from synchrony.standups.models import ActionItem, Meeting, MeetingStatus
from synchrony.standups.schedule import first_date, next_occurrence, previous_occurrence
from synchrony.standups.selectors import scope_projects

if TYPE_CHECKING:
    from synchrony.accounts.models import User

FORMAT = 1
LAUNCH_DAYS = 14  # launches going live within this many days of the meeting
FAILURE_DAYS = 14  # failed or incomplete activations of launches this recent
RISK_DAYS = 3  # a required gate still pending this close to go-live puts it at risk
DRAFT_RISK_DAYS = 7  # a launch still a draft this close to go-live is at risk
# "Failed or incomplete": what a channel owner must look at.
PROBLEM_STATES = (
    ActivationState.FAILED,
    ActivationState.UNKNOWN,
    ActivationState.OVERDUE,
    ActivationState.RETRYING,
)
BUCKETS = ("overdue", "blocked", "due", "finished")


# ── Goals: from the performance figures ───────────────────────────────────────


def goals_below_trajectory(project_ids: Iterable[int], at: dt.datetime) -> dict[str, Any]:
    """Goals at risk or off track on the day the agenda is written, by the performance
    app's rule (synchrony/performance/trajectory.py). Not `available` while none of the
    projects' goals has figures yet: the agenda then says it could not check, rather
    than calling every goal fine."""
    from synchrony.performance.models import Trajectory
    from synchrony.performance.selectors import report_figures

    day = timezone.localdate(at)
    unmeasured = (Trajectory.NOT_MEASURED, Trajectory.NO_DATA)
    available, items = False, []
    for project in Project.objects.filter(pk__in=list(project_ids)).order_by("name"):
        for goal in report_figures(project, as_of=day)["goals"]:
            available = available or goal["status"] not in unmeasured
            if goal["status"] not in (Trajectory.AT_RISK, Trajectory.OFF_TRACK):
                continue
            items.append(
                {
                    "key": f"goal-{goal['id']}",
                    "id": goal["id"],
                    "project_id": project.pk,
                    "project": project.name,
                    "metric": goal["metric"],
                    "unit": goal["unit"],
                    "value": goal["actual"],
                    "expected": goal["expected"],
                    "target": goal["target"],
                    "due_date": goal["due_date"],
                    "status": goal["status"],
                    "status_label": goal["status_label"],
                    "lag_pct": goal["lag_pct"],
                }
            )
    return {"available": available, "items": items}


# ── Writing the agenda ─────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Window:
    since: dt.datetime  # the last stand-up (for the first, one cadence before it)
    until: dt.datetime  # the next one
    meeting_date: dt.date
    next_date: dt.date
    first: bool = False  # no stand-up of the series came before: `since` is no meeting


def window(meeting: Meeting) -> Window:
    """From the last stand-up held (or, if none, the one before by the schedule) to the
    next one by the schedule, each resolved in the series' zone."""
    series = meeting.series
    rule = series.rule
    held = (
        Meeting.objects.filter(
            series=series, status=MeetingStatus.ENDED, starts_at__lt=meeting.starts_at
        )
        .exclude(pk=meeting.pk)
        .order_by("-starts_at")
        .first()
    )
    first = False
    if held and held.started_at:
        since = held.started_at
    else:
        previous = previous_occurrence(rule, meeting.starts_at)
        since = previous.starts_at
        # By the schedule, before the series began: the agenda must not call it a stand-up.
        first = previous.local_date < first_date(rule)
    following = next_occurrence(rule, meeting.starts_at)
    return Window(since, following.starts_at, meeting.local_date, following.local_date, first)


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _task(task: Task) -> dict[str, Any]:
    return {
        "key": f"task-{task.pk}",
        "id": task.pk,
        "title": task.title,
        "project_id": task.project_id,
        "project": task.project.name,
        "owner_id": task.owner_id,
        "owner": str(task.owner) if task.owner else "",
        "status": task.status,
        "status_label": task.get_status_display(),
        "due_date": _iso(task.due_date),
        "blocked_reason": task.blocked_reason,
        "completed_at": _iso(task.completed_at),
        "url": task.get_absolute_url(),
    }


def _bucket(task: Task, win: Window) -> str | None:
    if task.status == TaskStatus.DONE:
        return "finished"
    if task.status == TaskStatus.BLOCKED:
        return "blocked"
    if task.due_date is not None and task.due_date < win.meeting_date:
        return "overdue"
    if task.due_date is not None and task.due_date < win.next_date:
        return "due"
    return None


def _people(
    meeting: Meeting, scope_ids: list[int], win: Window, now: dt.datetime
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    series = meeting.series
    attendees = list(series.attendees.filter(is_active=True).order_by("first_name", "username"))
    tasks = (
        Task.objects.filter(project_id__in=scope_ids)
        .filter(
            Q(status=TaskStatus.DONE, completed_at__gte=win.since, completed_at__lt=now)
            | Q(status=TaskStatus.BLOCKED)
            | (~Q(status=TaskStatus.DONE) & Q(due_date__lt=win.next_date))
        )
        .select_related("project", "owner")
        .order_by("due_date", "id")
    )
    on_projects = set(
        Membership.objects.filter(project_id__in=scope_ids, user__in=attendees).values_list(
            "user_id", flat=True
        )
    )
    team = series.team
    in_team = (
        set(team.members.filter(pk__in=[a.pk for a in attendees]).values_list("pk", flat=True))
        if team is not None
        else set()
    )
    people: dict[int, dict[str, Any]] = {}
    for person in attendees:
        entry: dict[str, Any] = {
            "key": f"person-{person.pk}",
            "id": person.pk,
            "name": str(person),
            "missing": "",
            **{bucket: [] for bucket in BUCKETS},
        }
        if person.pk not in on_projects and person.pk not in in_team:
            entry["missing"] = (
                f"{person} is no longer on this stand-up's projects: nothing of theirs is "
                "shown and the agenda is not sent to them."
            )
        people[person.pk] = entry
    others: dict[str, Any] = {"key": "others", **{bucket: [] for bucket in BUCKETS}}
    for task in tasks:
        bucket = _bucket(task, win)
        if bucket is None:
            continue
        owner = people.get(task.owner_id) if task.owner_id else None
        (owner or others)[bucket].append(_task(task))
    return list(people.values()), others


def _gate(gate: Any, win: Window) -> dict[str, Any]:
    return {
        "key": f"gate-{gate.pk}",
        "id": gate.pk,
        "title": gate.title,
        "status": gate.status,
        "status_label": gate.get_status_display(),
        "owner": str(gate.owner or gate.team or ""),
        "due_date": _iso(gate.due_date),
        "required": gate.required,
        "late": gate.status == GateStatus.PENDING
        and gate.due_date is not None
        and gate.due_date < win.meeting_date,
    }


def _risks(launch: Launch, gates: list[Any], meeting: Meeting, win: Window) -> list[str]:
    risks = []
    days_left = (launch.go_live - meeting.starts_at).total_seconds() / 86400
    if launch.status == LaunchStatus.HELD:
        risks.append(f"Held: {launch.hold_reason or 'it was not ready at its last check.'}")
    if launch.status == LaunchStatus.DRAFT and days_left <= DRAFT_RISK_DAYS:
        risks.append("Still a draft: it will not go out unless someone schedules it.")
    for gate in gates:
        if not gate.required or gate.status != GateStatus.PENDING:
            continue
        if gate.due_date is not None and gate.due_date < win.meeting_date:
            risks.append(f"Gate “{gate.title}” was due {gate.due_date:%-d %b} and is not ready.")
        elif days_left <= RISK_DAYS:
            risks.append(f"Gate “{gate.title}” is not ready and go-live is days away.")
    activations = [a for a in launch.activations.all() if a.state != ActivationState.DROPPED]
    if not activations and launch.status != LaunchStatus.HELD:
        risks.append("No channels yet.")
    checks = list(launch.preflights.all())
    if checks and checks[0].problems and launch.status != LaunchStatus.HELD:
        risks.append(
            "Last preflight: " + sentences(p.get("message", "") for p in checks[0].problems)
        )
    return risks


def _launches(
    meeting: Meeting, scope_ids: list[int], win: Window, now: dt.datetime
) -> list[dict[str, Any]]:
    horizon = meeting.starts_at + dt.timedelta(days=LAUNCH_DAYS)
    launches = (
        Launch.objects.filter(project_id__in=scope_ids)
        .filter(
            Q(go_live__gte=now, go_live__lt=horizon)
            # A launch held at its moment stays on the agenda until someone moves it.
            | Q(status=LaunchStatus.HELD, go_live__gte=now - dt.timedelta(days=FAILURE_DAYS))
        )
        .exclude(status=LaunchStatus.CANCELLED)
        .select_related("project")
        .prefetch_related(
            "gates__owner",
            "gates__team",
            Prefetch("activations", Activation.objects.select_related("channel")),
            Prefetch("preflights", PreflightCheck.objects.order_by("-ran_at", "-id")),
        )
        .order_by("go_live", "id")
    )
    result = []
    for launch in launches:
        gates = list(launch.gates.all())
        result.append(
            {
                "key": f"launch-{launch.pk}",
                "id": launch.pk,
                "name": launch.name,
                "project_id": launch.project_id,
                "project": launch.project.name,
                "go_live": _iso(launch.go_live),
                "planned": f"{launch.local_date:%-d %b %Y} {launch.local_time:%H:%M} "
                f"{launch.time_zone}",
                "status": launch.status,
                "status_label": launch.get_status_display(),
                "channels": [a.channel.name for a in launch.activations.all()],
                "gates": [_gate(g, win) for g in gates],
                "risks": _risks(launch, gates, meeting, win),
                "url": launch.get_absolute_url(),
            }
        )
    return result


def _channels(scope_ids: list[int], now: dt.datetime) -> list[dict[str, Any]]:
    troubled = (
        Activation.objects.filter(
            launch__project_id__in=scope_ids,
            launch__go_live__gte=now - dt.timedelta(days=FAILURE_DAYS),
        )
        .filter(
            Q(state__in=PROBLEM_STATES)
            # A manual step still not done after go-live is incomplete too.
            | Q(state=ActivationState.WAITING, launch__go_live__lt=now)
        )
        .select_related("channel__owner", "launch")
        .order_by("channel__name", "launch__go_live", "id")
    )
    channels: dict[int, dict[str, Any]] = {}
    for activation in troubled:
        channel = activation.channel
        entry = channels.setdefault(
            channel.pk,
            {
                "key": f"channel-{channel.pk}",
                "id": channel.pk,
                "name": channel.name,
                "colour": channel.colour,
                "owner": str(channel.owner),
                "owner_id": channel.owner_id,
                "activations": [],
            },
        )
        entry["activations"].append(
            {
                "key": f"activation-{activation.pk}",
                "id": activation.pk,
                "launch": activation.launch.name,
                "launch_id": activation.launch_id,
                "project_id": activation.launch.project_id,
                "state": activation.state,
                "state_label": activation.get_state_display(),
                "error": activation.last_error,
                "go_live": _iso(activation.launch.go_live),
                "url": activation.launch.get_absolute_url(),
            }
        )
    return list(channels.values())


def _actions(meeting: Meeting, win: Window) -> list[dict[str, Any]]:
    """Open action items of earlier meetings, and those finished since the last one."""
    items = (
        ActionItem.objects.filter(series=meeting.series, meeting__starts_at__lt=meeting.starts_at)
        .select_related("task", "owner", "project", "meeting")
        .order_by("meeting__starts_at", "id")
    )
    result = []
    for item in items:
        done_at = (
            item.task.completed_at
            if item.task is not None and item.state == "done"
            else item.closed_at
        )
        if not item.is_open and not (done_at and done_at >= win.since):
            continue
        result.append(
            {
                "key": f"action-{item.pk}",
                "id": item.pk,
                "title": item.title,
                "owner_id": item.owner_id,
                "owner": str(item.owner) if item.owner else "",
                "due_date": _iso(item.due_date),
                "project_id": item.project_id,
                "project": item.project.name if item.project else "",
                "task_id": item.task_id,
                "url": item.task.get_absolute_url() if item.task else "",
                "status": item.state,
                "status_label": item.status_label,
                "done": item.state == "done",
                "from_date": _iso(item.meeting.local_date),
            }
        )
    return result


def build(meeting: Meeting, *, now: dt.datetime, win: Window | None = None) -> dict[str, Any]:
    """The agenda of `meeting` as the data says at `now`."""
    win = win or window(meeting)
    projects = list(scope_projects(meeting.series).order_by("name"))
    scope_ids = [p.pk for p in projects]
    people, others = _people(meeting, scope_ids, win, now)
    data = {
        "format": FORMAT,
        "written_at": now.isoformat(),
        "since": win.since.isoformat(),
        "first": win.first,
        "until": win.until.isoformat(),
        "meeting_date": win.meeting_date.isoformat(),
        "next_date": win.next_date.isoformat(),
        "projects": [{"id": p.pk, "name": p.name} for p in projects],
        "people": people,
        "others": others,
        "launches": _launches(meeting, scope_ids, win, now),
        "channels": _channels(scope_ids, now),
        "goals": goals_below_trajectory(scope_ids, now),
        "actions": _actions(meeting, win),
    }
    data["empty"] = not any(_items(data))
    return data


def _items(data: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for person in [*data["people"], data["others"]]:
        for bucket in BUCKETS:
            yield from person[bucket]
    yield from data["launches"]
    yield from data["channels"]
    yield from data["goals"]["items"]
    yield from data["actions"]


# ── Reading it: per viewer, hydrated, in sections ───────────────────────────────


def for_viewer(data: dict[str, Any], project_ids: set[int]) -> dict[str, Any]:
    """The agenda without the items of projects the viewer cannot see."""
    if not data:
        return data

    def ok(item: dict[str, Any]) -> bool:
        return item.get("project_id") is None or item["project_id"] in project_ids

    def person(entry: dict[str, Any]) -> dict[str, Any]:
        return {**entry, **{b: [t for t in entry[b] if ok(t)] for b in BUCKETS}}

    channels = []
    for channel in data["channels"]:
        activations = [a for a in channel["activations"] if ok(a)]
        if activations:
            channels.append({**channel, "activations": activations})
    return {
        **data,
        "projects": [p for p in data["projects"] if p["id"] in project_ids],
        "people": [person(p) for p in data["people"]],
        "others": person(data["others"]),
        "launches": [x for x in data["launches"] if ok(x)],
        "channels": channels,
        "goals": {**data["goals"], "items": [g for g in data["goals"]["items"] if ok(g)]},
        "actions": [a for a in data["actions"] if ok(a)],
    }


MOMENTS = {"written_at", "since", "until", "go_live", "completed_at"}


def hydrate(value: Any) -> Any:
    """ISO strings back into dates and aware moments, for templates."""
    if isinstance(value, list):
        return [hydrate(v) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, str) and item and (key in MOMENTS):
            out[key] = dt.datetime.fromisoformat(item)
        elif isinstance(item, str) and item and key.endswith("_date"):
            out[key] = dt.date.fromisoformat(item)
        else:
            out[key] = hydrate(item)
    return out


@dataclass
class Section:
    key: str
    kind: str  # attendance, actions, person, others, launches, channels, goals, wrap-up
    title: str
    count: int = 0  # agenda items in it
    seconds: int = 0  # its timebox
    person: dict[str, Any] | None = None
    keys: list[str] = field(default_factory=list)  # the keys of its items, in order
    weight: float = 1.0


def sections(data: dict[str, Any], *, duration_minutes: int) -> list[Section]:
    """The facilitator's walk through the agenda, each section with its timebox: the
    meeting's length shared by weight (more items, more time; empty sections a moment)."""
    found = [Section("attendance", "attendance", "Who is here", weight=0.5)]
    actions = data.get("actions", [])
    found.append(
        Section(
            "actions",
            "actions",
            "Action items from last time",
            keys=[a["key"] for a in actions],
        )
    )
    for person in data.get("people", []):
        keys = [t["key"] for b in BUCKETS for t in person[b]]
        found.append(Section(person["key"], "person", person["name"], person=person, keys=keys))
    others = data.get("others")
    if others and any(others[b] for b in BUCKETS):
        keys = [t["key"] for b in BUCKETS for t in others[b]]
        found.append(Section("others", "others", "Not at this stand-up", person=others, keys=keys))
    launches = data.get("launches", [])
    found.append(
        Section(
            "launches",
            "launches",
            f"Launches in the next {LAUNCH_DAYS} days",
            keys=[k for x in launches for k in [x["key"], *(g["key"] for g in x["gates"])]],
        )
    )
    channels = data.get("channels", [])
    found.append(
        Section(
            "channels",
            "channels",
            "Channels with failed or incomplete activations",
            keys=[a["key"] for c in channels for a in c["activations"]],
        )
    )
    goals = data.get("goals") or {}
    if goals.get("available"):
        found.append(
            Section(
                "goals",
                "goals",
                "Goals below their trajectory",
                keys=[g["key"] for g in goals["items"]],
            )
        )
    found.append(Section("wrap-up", "wrap-up", "Wrap-up", weight=1.0))
    for section in found:
        section.count = len(section.keys)
        if section.kind in ("attendance", "wrap-up"):
            continue
        section.weight = 0.25 if not section.count else min(1 + 0.25 * section.count, 3)
    total = sum(s.weight for s in found)
    budget = duration_minutes * 60
    for section in found:
        section.seconds = max(30, round(budget * section.weight / total / 15) * 15)
    return found


def item_index(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every item by key: what it is called and which project it belongs to."""
    index: dict[str, dict[str, Any]] = {}
    for person in [*data.get("people", []), data.get("others") or {}]:
        for bucket in BUCKETS:
            for task in person.get(bucket, []):
                index[task["key"]] = {
                    "label": f"“{task['title']}”"
                    + (f" ({task['owner']})" if task["owner"] else ""),
                    "project_id": task["project_id"],
                    "section": person.get("key", "others"),
                }
    for launch in data.get("launches", []):
        index[launch["key"]] = {
            "label": f"launch “{launch['name']}”",
            "project_id": launch["project_id"],
            "section": "launches",
        }
        for gate in launch["gates"]:
            index[gate["key"]] = {
                "label": f"gate “{gate['title']}” of “{launch['name']}”",
                "project_id": launch["project_id"],
                "section": "launches",
            }
    for channel in data.get("channels", []):
        for activation in channel["activations"]:
            index[activation["key"]] = {
                "label": f"“{activation['launch']}” on {channel['name']}",
                "project_id": activation["project_id"],
                "section": "channels",
            }
    for goal in (data.get("goals") or {}).get("items", []):
        index[goal["key"]] = {
            "label": f"goal “{goal['metric']}”",
            "project_id": goal["project_id"],
            "section": "goals",
        }
    for action in data.get("actions", []):
        index[action["key"]] = {
            "label": f"action item “{action['title']}”",
            "project_id": action["project_id"],
            "section": "actions",
        }
    return index


# ── What changed since it was written ──────────────────────────────────────────


@dataclass(frozen=True)
class Change:
    section: str
    key: str
    text: str
    kind: str  # added, removed, changed


BUCKET_WORDS = {
    "overdue": "overdue",
    "blocked": "blocked",
    "due": "due before the next stand-up",
    "finished": "finished",
}


def _when(value: str | None) -> str:
    if not value:
        return "no date"
    if "T" in value:
        moment = timezone.localtime(dt.datetime.fromisoformat(value))
        return formats.date_format(moment, "j M H:i")
    return formats.date_format(dt.date.fromisoformat(value), "j M")


def _flatten(data: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, str]]]:
    """key → (section, label, the fields a change is told by)."""
    flat: dict[str, tuple[str, str, dict[str, str]]] = {}
    index = item_index(data)
    for person in [*data.get("people", []), data.get("others") or {}]:
        for bucket in BUCKETS:
            for task in person.get(bucket, []):
                flat[task["key"]] = (
                    person.get("key", "others"),
                    index[task["key"]]["label"],
                    {
                        "status": task["status_label"],
                        "due": _when(task["due_date"]),
                        "owner": task["owner"] or "nobody",
                        "why blocked": task["blocked_reason"],
                        "list": BUCKET_WORDS[bucket],
                    },
                )
    for launch in data.get("launches", []):
        flat[launch["key"]] = (
            "launches",
            index[launch["key"]]["label"],
            {
                "status": launch["status_label"],
                "goes live": _when(launch["go_live"]),
                "at risk": "; ".join(launch["risks"]) or "no",
            },
        )
        for gate in launch["gates"]:
            flat[gate["key"]] = (
                "launches",
                index[gate["key"]]["label"],
                {"status": gate["status_label"], "due": _when(gate["due_date"])},
            )
    for channel in data.get("channels", []):
        for activation in channel["activations"]:
            flat[activation["key"]] = (
                "channels",
                index[activation["key"]]["label"],
                {"state": activation["state_label"]},
            )
    for goal in (data.get("goals") or {}).get("items", []):
        flat[goal["key"]] = (
            "goals",
            index[goal["key"]]["label"],
            {"status": goal["status_label"], "value": goal["value"] or ""},
        )
    for action in data.get("actions", []):
        flat[action["key"]] = (
            "actions",
            index[action["key"]]["label"],
            {"status": action["status_label"], "owner": action["owner"] or "nobody"},
        )
    return flat


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """What differs between two agendas of the same meeting, in agenda order."""
    before, after = _flatten(old), _flatten(new)
    found = []
    for key, (section, label, fields) in after.items():
        if key not in before:
            detail = fields.get("list") or fields.get("status") or fields.get("state") or ""
            found.append(Change(section, key, f"New: {label} — {detail}", "added"))
            continue
        _, _, was = before[key]
        diffs = [
            f"{name}: {was.get(name) or '—'} → {value or '—'}"
            for name, value in fields.items()
            if was.get(name) != value
        ]
        if diffs:
            found.append(Change(section, key, f"{label}: " + "; ".join(diffs), "changed"))
    for key, (section, label, _) in before.items():
        if key not in after:
            why = {
                "channels": "is no longer failed or incomplete",
                "launches": f"is no longer in the next {LAUNCH_DAYS} days",
            }.get(section, "is no longer on the agenda")
            found.append(Change(section, key, f"{label[0].upper()}{label[1:]} {why}.", "removed"))
    return found


def people_to_send(attendees: Iterable[User], data: dict[str, Any]) -> list[User]:
    """Attendees still on the stand-up's projects (or team): the ones the agenda is for."""
    missing = {p["id"] for p in data.get("people", []) if p.get("missing")}
    return [u for u in attendees if u.pk not in missing and u.is_active]

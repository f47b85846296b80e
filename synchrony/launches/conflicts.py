"""Conflicts a launch can have, found for many launches at once in a fixed number of queries.

- two launches on the same channel closer than the channel's collision window;
- a launch inside one of its channels' blackout windows;
- a go-live before a required readiness gate is due;
- a go-live outside the project's promotion window.

`conflicts_for` lists them all (the launch page, the services' checks, the API);
`conflict_summaries` counts them and builds only the first few, in the same order
(a calendar shows a count and the first message or three; a busy month has thousands).
"""

from __future__ import annotations

import bisect
import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import OuterRef

from synchrony.launches.models import (
    Activation,
    Blackout,
    Channel,
    GateStatus,
    Launch,
    LaunchStatus,
    ReadinessGate,
)
from synchrony.lib.sql import AnyOf

OUTSIDE_WINDOW = "Goes live outside the project's promotion window."


@dataclass(frozen=True)
class Conflict:
    kind: str  # collision | blackout | gate | window
    message: str
    blocking: bool = False  # refused rather than warned (a channel that forbids collisions)
    # What it is about, by id and date, for integrators (the API's …/conflicts/); each
    # kind sets its own and leaves the rest empty.
    channel_id: int | None = None  # collision, blackout
    other_launch_id: int | None = None  # collision: the launch it collides with
    other_go_live: dt.datetime | None = None  # collision
    starts_on: dt.date | None = None  # blackout: its dates; window: the promotion window's
    ends_on: dt.date | None = None
    due_on: dt.date | None = None  # gate: the latest due date of those gates
    gate_ids: tuple[int, ...] = ()  # gate: required gates not ready, due after go-live


@dataclass(frozen=True)
class ConflictSummary:
    """How many conflicts a launch has, and the first of them as `conflicts_for` lists them."""

    count: int = 0
    first: tuple[Conflict, ...] = ()


def conflicts_for(
    launches: Iterable[Launch], channels_of: dict[int, set[int]] | None = None
) -> dict[int, list[Conflict]]:
    """Conflicts per launch id; `channels_of` (launch id → channel ids) saves a query."""
    return {pk: first for pk, (_, first) in _find(launches, channels_of, keep=None).items()}


def conflict_summaries(
    launches: Iterable[Launch], channels_of: dict[int, set[int]] | None = None, *, keep: int = 1
) -> dict[int, ConflictSummary]:
    """Per launch id, the number of its conflicts and the first `keep` of them.

    The same queries and checks as `conflicts_for`, without building the messages
    nobody reads: a launch on a busy channel collides with dozens of others.
    """
    return {
        pk: ConflictSummary(count, tuple(first))
        for pk, (count, first) in _find(launches, channels_of, keep=keep).items()
    }


def _neighbours(
    channel_ids: set[int], low: dt.datetime, high: dt.datetime
) -> dict[int, list[tuple[dt.datetime, int, str]]]:
    """Per channel, the launches on it going live from `low` to `high`, sorted by go-live:
    a window around a go-live is then two bisects."""
    neighbours: dict[int, list[tuple[dt.datetime, int, str]]] = defaultdict(list)
    if not channel_ids:
        return neighbours
    near = (
        Launch.objects.filter(go_live__range=(low, high))
        .exclude(status=LaunchStatus.CANCELLED)
        .order_by()  # sorted below per channel
    )
    if connection.vendor == "postgresql":
        # A row per launch with its channel ids as an array: a busy month's thousands of
        # activations would each be a row carrying its launch's name and go-live.
        on = Activation.objects.filter(AnyOf("channel_id", channel_ids), launch=OuterRef("pk"))
        rows = near.annotate(channel_ids=ArraySubquery(on.order_by().values("channel_id")))
        for launch_id, name, go_live, on_channels in rows.values_list(
            "pk", "name", "go_live", "channel_ids"
        ):
            entry = (go_live, launch_id, name)
            for channel_id in on_channels:
                neighbours[channel_id].append(entry)
    else:  # the embedded SQLite default has no arrays: a row per activation
        pairs = Activation.objects.filter(AnyOf("channel_id", channel_ids), launch__in=near)
        pairs = pairs.order_by()
        for launch_id, name, go_live, channel_id in pairs.values_list(
            "launch_id", "launch__name", "launch__go_live", "channel_id"
        ):
            neighbours[channel_id].append((go_live, launch_id, name))
    for entries in neighbours.values():
        entries.sort()
    return neighbours


def _find(
    launches: Iterable[Launch], channels_of: dict[int, set[int]] | None, *, keep: int | None
) -> dict[int, tuple[int, list[Conflict]]]:
    """Per launch id: how many conflicts, and the first `keep` of them (all for None)."""
    launches = [launch for launch in launches if launch.status != LaunchStatus.CANCELLED]
    if not launches:
        return {}
    ids = [launch.pk for launch in launches]
    if channels_of is None:
        channels_of = defaultdict(set)
        for launch_id, channel_id in Activation.objects.filter(AnyOf("launch_id", ids)).values_list(
            "launch_id", "channel_id"
        ):
            channels_of[launch_id].add(channel_id)
    channel_ids = set().union(*channels_of.values()) if channels_of else set()
    # Only what the checks read (a channel row also holds its signing secrets).
    channels = {
        c.pk: c
        for c in Channel.objects.only("name", "collision_window_hours", "allow_collisions")
        .filter(AnyOf("pk", channel_ids))
        .order_by()
    }

    # Other launches on the same channels near these go-lives.
    widest = dt.timedelta(
        hours=max((c.collision_window_hours for c in channels.values()), default=24)
    )
    low = min(launch.go_live for launch in launches) - widest
    high = max(launch.go_live for launch in launches) + widest
    neighbours = _neighbours(channel_ids, low, high)
    times = {channel_id: [n[0] for n in near] for channel_id, near in neighbours.items()}

    blackouts: dict[int, list[Blackout]] = defaultdict(list)
    for blackout in Blackout.objects.filter(AnyOf("channel_id", channel_ids)):
        blackouts[blackout.channel_id].append(blackout)

    # Required gates not ready: a launch has a few at most.
    gates_due: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for launch_id, gate_id, due_date in (
        ReadinessGate.objects.filter(AnyOf("launch_id", ids), required=True)
        .exclude(status=GateStatus.WAIVED)
        .exclude(status=GateStatus.READY)
        .order_by()
        .values_list("launch_id", "pk", "due_date")
    ):
        if due_date is not None:  # a gate with no due date is never late
            gates_due[launch_id].append((due_date, gate_id))

    # Per channel, what the loop below reads of it, looked up once rather than per launch.
    windows = {
        pk: (c.name, dt.timedelta(hours=c.collision_window_hours), c.collision_window_hours)
        for pk, c in channels.items()
    }
    no_channels: set[int] = set()
    found: dict[int, tuple[int, list[Conflict]]] = {}
    for launch in launches:
        pk, go_live = launch.pk, launch.go_live
        local_date = go_live.astimezone(zoneinfo.ZoneInfo(launch.time_zone)).date()
        count = 0
        first: list[Conflict] = []
        for channel_id in sorted(channels_of.get(pk, no_channels)):
            name, window, hours = windows[channel_id]
            near = neighbours.get(channel_id)
            if near:
                at = times[channel_id]
                start = bisect.bisect_right(at, go_live - window)
                end = bisect.bisect_left(at, go_live + window)
                for other_go_live, other_id, other_name in near[start:end]:
                    if other_id != pk:
                        count += 1
                        if keep is None or len(first) < keep:
                            first.append(
                                Conflict(
                                    "collision",
                                    f"{name}: “{other_name}” goes live within {hours} h.",
                                    blocking=not channels[channel_id].allow_collisions,
                                    channel_id=channel_id,
                                    other_launch_id=other_id,
                                    other_go_live=other_go_live,
                                )
                            )
            for blackout in blackouts.get(channel_id, ()):
                if blackout.starts_on <= local_date <= blackout.ends_on:
                    count += 1
                    if keep is None or len(first) < keep:
                        first.append(
                            Conflict(
                                "blackout",
                                f"{name} is blacked out: {blackout.reason}.",
                                channel_id=channel_id,
                                starts_on=blackout.starts_on,
                                ends_on=blackout.ends_on,
                            )
                        )
        late = sorted(g for g in gates_due.get(pk, ()) if g[0] > local_date)
        if late:
            count += 1
            if keep is None or len(first) < keep:
                due = late[-1][0]
                first.append(
                    Conflict(
                        "gate",
                        f"Goes live before a required gate is due ({due:%-d %b}).",
                        due_on=due,
                        gate_ids=tuple(sorted(gate_id for _, gate_id in late)),
                    )
                )
        project = launch.project
        start_on, end_on = project.promotion_start, project.promotion_end
        if (start_on and local_date < start_on) or (end_on and local_date > end_on):
            count += 1
            if keep is None or len(first) < keep:
                first.append(Conflict("window", OUTSIDE_WINDOW, starts_on=start_on, ends_on=end_on))
        found[pk] = (count, first)
    return found

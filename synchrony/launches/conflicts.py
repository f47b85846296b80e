"""Conflicts a launch can have, found for many launches at once in a fixed number of queries.

- two launches on the same channel closer than the channel's collision window;
- a launch inside one of its channels' blackout windows;
- a go-live before a required readiness gate is due;
- a go-live outside the project's promotion window.
"""

from __future__ import annotations

import bisect
import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Max

from synchrony.launches.models import (
    Activation,
    Blackout,
    Channel,
    GateStatus,
    Launch,
    LaunchStatus,
    ReadinessGate,
)


@dataclass(frozen=True)
class Conflict:
    kind: str  # collision | blackout | gate | window
    message: str
    blocking: bool = False  # refused rather than warned (a channel that forbids collisions)


def conflicts_for(
    launches: Iterable[Launch], channels_of: dict[int, set[int]] | None = None
) -> dict[int, list[Conflict]]:
    """Conflicts per launch id; `channels_of` (launch id → channel ids) saves a query."""
    launches = [launch for launch in launches if launch.status != LaunchStatus.CANCELLED]
    found: dict[int, list[Conflict]] = {launch.pk: [] for launch in launches}
    if not launches:
        return found
    ids = [launch.pk for launch in launches]
    if channels_of is None:
        channels_of = defaultdict(set)
        for launch_id, channel_id in Activation.objects.filter(launch_id__in=ids).values_list(
            "launch_id", "channel_id"
        ):
            channels_of[launch_id].add(channel_id)
    channels_of = defaultdict(set, channels_of)
    channel_ids = set().union(*channels_of.values()) if channels_of else set()
    # Only what the checks read (a channel row also holds its signing secrets).
    channels = Channel.objects.only("name", "collision_window_hours", "allow_collisions").in_bulk(
        channel_ids
    )

    # Other launches on the same channels near these go-lives.
    widest = dt.timedelta(
        hours=max((c.collision_window_hours for c in channels.values()), default=24)
    )
    low = min(launch.go_live for launch in launches) - widest
    high = max(launch.go_live for launch in launches) + widest
    # Per channel, the go-lives near these launches, sorted: a window is then two bisects.
    neighbours: dict[int, list[tuple[dt.datetime, int, str]]] = defaultdict(list)
    for launch_id, name, go_live, channel_id in (
        Activation.objects.filter(channel_id__in=channel_ids, launch__go_live__range=(low, high))
        .exclude(launch__status=LaunchStatus.CANCELLED)
        .order_by()  # sorted below per channel; the default order would join channels
        .values_list("launch_id", "launch__name", "launch__go_live", "channel_id")
    ):
        neighbours[channel_id].append((go_live, launch_id, name))
    for near in neighbours.values():
        near.sort()
    times = {channel_id: [n[0] for n in near] for channel_id, near in neighbours.items()}

    blackouts: dict[int, list[Blackout]] = defaultdict(list)
    for blackout in Blackout.objects.filter(channel_id__in=channel_ids):
        blackouts[blackout.channel_id].append(blackout)

    gate_due = dict(
        ReadinessGate.objects.filter(launch_id__in=ids, required=True)
        .exclude(status=GateStatus.WAIVED)
        .exclude(status=GateStatus.READY)
        .values("launch_id")
        .annotate(latest=Max("due_date"))
        .values_list("launch_id", "latest")
    )

    for launch in launches:
        local_date = launch.go_live.astimezone(zoneinfo.ZoneInfo(launch.time_zone)).date()
        for channel_id in sorted(channels_of[launch.pk]):
            channel = channels[channel_id]
            window = dt.timedelta(hours=channel.collision_window_hours)
            near, at = neighbours[channel_id], times.get(channel_id, [])
            first = bisect.bisect_right(at, launch.go_live - window)
            last = bisect.bisect_left(at, launch.go_live + window)
            for _, other_id, other_name in near[first:last]:
                if other_id != launch.pk:
                    found[launch.pk].append(
                        Conflict(
                            "collision",
                            f"{channel}: “{other_name}” goes live within "
                            f"{channel.collision_window_hours} h.",
                            blocking=not channel.allow_collisions,
                        )
                    )
            for blackout in blackouts[channel_id]:
                if blackout.starts_on <= local_date <= blackout.ends_on:
                    found[launch.pk].append(
                        Conflict("blackout", f"{channel} is blacked out: {blackout.reason}.")
                    )
        due = gate_due.get(launch.pk)
        if due is not None and local_date < due:
            found[launch.pk].append(
                Conflict("gate", f"Goes live before a required gate is due ({due:%-d %b}).")
            )
        project = launch.project
        start, end = project.promotion_start, project.promotion_end
        if (start and local_date < start) or (end and local_date > end):
            found[launch.pk].append(
                Conflict("window", "Goes live outside the project's promotion window.")
            )
    return found

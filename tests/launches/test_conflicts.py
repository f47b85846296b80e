from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from synchrony.launches.conflicts import Conflict, conflict_summaries, conflicts_for
from synchrony.launches.models import Blackout, LaunchStatus, ReadinessGate
from tests.factories import ChannelFactory, LaunchFactory

DAY = dt.datetime(2026, 4, 2, 7, 0, tzinfo=dt.UTC)  # 09:00 in Berlin


@pytest.fixture
def busy(cast):
    """Launches that collide on two channels, one in a blackout, before a gate and outside
    the promotion window; one cancelled launch that nothing collides with."""
    email = ChannelFactory(name="Email", collision_window_hours=48)
    press = ChannelFactory(name="Press", allow_collisions=False)
    Blackout.objects.create(
        channel=email, starts_on=dt.date(2026, 4, 1), ends_on=dt.date(2026, 4, 3), reason="Easter"
    )
    cast.project.promotion_start = dt.date(2026, 4, 10)
    cast.project.save()
    launches = []
    for i in range(6):
        launch = LaunchFactory(
            project=cast.project, name=f"Drop {i}", go_live=DAY + dt.timedelta(hours=3 * i)
        )
        launch.activations.create(channel=email)
        if i % 2 == 0:
            launch.activations.create(channel=press)
        launches.append(launch)
    cancelled = LaunchFactory(project=cast.project, name="Called off", go_live=DAY)
    cancelled.activations.create(channel=email)
    cancelled.status = LaunchStatus.CANCELLED
    cancelled.save()
    ReadinessGate.objects.create(launch=launches[0], title="Sales", due_date=dt.date(2026, 4, 5))
    for launch in launches:
        launch.project = cast.project
    return {"launches": [*launches, cancelled], "email": email, "press": press}


def test_the_full_list_is_in_channel_order_then_gate_then_window(busy):
    first = busy["launches"][0]
    email, press = busy["email"], busy["press"]
    found = conflicts_for(busy["launches"])
    assert busy["launches"][-1].pk not in found  # a cancelled launch has none
    by_channel = sorted([(email.pk, "Email"), (press.pk, "Press")])
    expected: list[tuple[str, str]] = []
    for pk, _ in by_channel:
        if pk == email.pk:
            expected += [
                ("collision", f"Email: “Drop {i}” goes live within 48 h.") for i in range(1, 6)
            ]
            expected.append(("blackout", "Email is blacked out: Easter."))
        else:
            expected.append(("collision", "Press: “Drop 2” goes live within 24 h."))
            expected.append(("collision", "Press: “Drop 4” goes live within 24 h."))
    expected.append(("gate", "Goes live before a required gate is due (5 Apr)."))
    expected.append(("window", "Goes live outside the project's promotion window."))
    assert [(c.kind, c.message) for c in found[first.pk]] == expected
    assert [c.blocking for c in found[first.pk] if c.message.startswith("Press")] == [True, True]
    assert not any("Called off" in c.message for cs in found.values() for c in cs)


@pytest.mark.parametrize("keep", [0, 1, 3, 100])
def test_a_summary_counts_every_conflict_and_keeps_the_first_in_order(busy, keep):
    full = conflicts_for(busy["launches"])
    summaries = conflict_summaries(busy["launches"], keep=keep)
    assert summaries.keys() == full.keys()
    for pk, conflicts in full.items():
        assert summaries[pk].count == len(conflicts)
        assert summaries[pk].first == tuple(conflicts[:keep])
        assert all(isinstance(c, Conflict) for c in summaries[pk].first)
    assert sum(s.count for s in summaries.values()) > 20  # the case is not a trivial one


def test_a_summary_reads_the_same_fixed_queries_as_the_full_list(busy, cast):
    launches = busy["launches"]
    channels_of = {x.pk: {a.channel_id for a in x.activations.all()} for x in launches}
    with CaptureQueriesContext(connection) as full:
        conflicts_for(launches, channels_of)
    with CaptureQueriesContext(connection) as summary:
        conflict_summaries(launches, channels_of)
    assert len(summary.captured_queries) == len(full.captured_queries) == 4
    more = [
        LaunchFactory(project=cast.project, go_live=DAY + dt.timedelta(hours=i)) for i in range(8)
    ]
    for launch in more:
        launch.activations.create(channel=ChannelFactory())
        launch.activations.create(channel=busy["email"])
        launch.project = cast.project
    with CaptureQueriesContext(connection) as bigger:
        found = conflict_summaries([*launches, *more])
    assert len(bigger.captured_queries) == 5  # the channels of each launch, read once
    assert found[more[0].pk].count > 8


def test_launches_without_channels_read_no_neighbours(cast):
    alone = LaunchFactory(project=cast.project, go_live=DAY)
    alone.project = cast.project
    with CaptureQueriesContext(connection) as queries:
        found = conflict_summaries([alone], {alone.pk: set()})
    assert found[alone.pk].count == 0
    assert not any("launches_launch" in q["sql"] for q in queries.captured_queries)

""" "Did we move toward the goal?" answered from the data.

The figure a goal ended at comes from Performance reporting when that exists (the hook
below); until then, from the final figure the team records in the retrospective. Nothing
is guessed: no figure, no verdict.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from synchrony.projects.models import Goal
    from synchrony.reviews.models import GoalReading


@dataclass(frozen=True)
class Measured:
    value: Decimal
    as_of: dt.date
    source: str  # e.g. "Channel metrics"


def measured_final_value(goal: Goal) -> Measured | None:
    """The hook for Performance reporting: the goal's measured figure, if it has one.

    Performance evaluates each tracked goal daily and after every metric import, and keeps
    the latest actual figure on the goal's tracking row. That figure is the outcome; the
    team's own figure, recorded in the retrospective, stands in only where nothing is
    measured (a goal without a metric, or an install without Performance).
    """
    if not apps.is_installed("synchrony.performance"):
        return None
    try:
        tracking = goal.tracking  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        return None
    if tracking.actual is None or tracking.evaluated_at is None:
        return None
    return Measured(
        value=tracking.actual.quantize(Decimal("0.01")),
        as_of=timezone.localdate(tracking.evaluated_at),
        source="Performance reporting",
    )


def goals_with_measures(goals: QuerySet[Goal]) -> QuerySet[Goal]:
    """The goals with what measure_final_value reads, in the same query."""
    if apps.is_installed("synchrony.performance"):
        return goals.select_related("tracking")
    return goals


VERDICTS = {
    "reached": "Reached the target",
    "toward": "Moved toward the target",
    "none": "Did not move",
    "away": "Moved away from the target",
    "unknown": "No final figure yet",
}


@dataclass
class GoalOutcome:
    goal: Goal
    reading: GoalReading | None
    final: Decimal | None
    source: str  # "measured", "recorded by the team", or ""
    progress: Decimal | None  # share of the way from baseline to target (1 = reached)
    verdict: str

    @property
    def verdict_label(self) -> str:
        return VERDICTS[self.verdict]

    @property
    def percent(self) -> int | None:
        """Progress as a whole percentage of the way, for people (and for the bar)."""
        if self.progress is None:
            return None
        return int((self.progress * 100).to_integral_value())

    @property
    def recorded_too(self) -> Decimal | None:
        """The team's own figure, when a measured one took precedence and differs."""
        recorded = self.reading.final_value if self.reading else None
        if recorded is not None and self.source.startswith("measured") and recorded != self.final:
            return recorded
        return None

    @property
    def bar_percent(self) -> int:
        return max(0, min(100, self.percent or 0))


def progress_of(baseline: Decimal, target: Decimal, final: Decimal) -> Decimal:
    """How far from baseline to target the final figure got; works for goals that aim
    down (a lower churn rate) as well as up, since the sign of the distance cancels."""
    return (final - baseline) / (target - baseline)


def verdict_of(progress: Decimal | None) -> str:
    if progress is None:
        return "unknown"
    if progress >= 1:
        return "reached"
    if progress > 0:
        return "toward"
    if progress == 0:
        return "none"
    return "away"


def goal_outcome(goal: Goal, reading: GoalReading | None) -> GoalOutcome:
    measured = measured_final_value(goal)
    if measured is not None:
        final = measured.value
        source = f"measured by {measured.source}, {measured.as_of:%-d %b %Y}"
    elif reading is not None and reading.final_value is not None:
        final, source = reading.final_value, "recorded by the team"
    else:
        final, source = None, ""
    progress = (
        progress_of(goal.baseline, goal.target, final)
        if final is not None and goal.target != goal.baseline
        else None
    )
    return GoalOutcome(goal, reading, final, source, progress, verdict_of(progress))

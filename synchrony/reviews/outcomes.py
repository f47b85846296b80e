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

if TYPE_CHECKING:
    from synchrony.projects.models import Goal
    from synchrony.reviews.models import GoalReading


@dataclass(frozen=True)
class Measured:
    value: Decimal
    as_of: dt.date
    source: str  # e.g. "Channel metrics"


def measured_final_value(goal: Goal) -> Measured | None:
    """Hook for Performance reporting (issue 6): the goal's measured final figure.

    Returns None until channel metrics are recorded in Synchrony. When they are, return
    the figure measured at (or nearest before) the goal's due date; the retrospective
    then shows it as measured and the team's recorded figure only as their note.
    """
    return None


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
        final, source = measured.value, f"measured ({measured.source}, {measured.as_of:%-d %b %Y})"
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

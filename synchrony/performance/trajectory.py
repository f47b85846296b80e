"""Whether a goal is on track: the rule, in one place.

A goal runs in a straight line from its baseline on the day the promotion starts to
its target on its due date. On a given day, the *expected* value is that line's value.
The *lag* is how far the actual value is behind the expected one, as a share of the
whole distance from baseline to target (in the goal's direction: a goal may aim down,
e.g. cost per lead).

- achieved: the actual value has reached the target;
- on track: lag at most 10 % of the distance (ahead of the line is on track too);
- at risk: lag more than 10 % and at most 25 %;
- off track: lag more than 25 %.

Before the start day nothing is expected yet: any figure counts as on track.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from synchrony.performance.models import Trajectory

ON_TRACK_LAG = Decimal("0.10")
AT_RISK_LAG = Decimal("0.25")


def expected_on(
    *, baseline: Decimal, target: Decimal, start: dt.date, due: dt.date, day: dt.date
) -> Decimal:
    if day <= start:
        return baseline
    if day >= due or due <= start:
        return target
    share = Decimal((day - start).days) / Decimal((due - start).days)
    return baseline + (target - baseline) * share


def lag_of(*, baseline: Decimal, target: Decimal, actual: Decimal, expected: Decimal) -> Decimal:
    distance = target - baseline
    if distance == 0:
        return Decimal(0)
    # Positive when behind the line, in the goal's direction.
    return (expected - actual) / abs(distance) * (1 if distance > 0 else -1)


def classify(
    *,
    baseline: Decimal,
    target: Decimal,
    actual: Decimal | None,
    start: dt.date,
    due: dt.date,
    day: dt.date,
) -> tuple[str, Decimal | None, Decimal]:
    """(status, lag, expected) of a goal on a day."""
    expected = expected_on(baseline=baseline, target=target, start=start, due=due, day=day)
    if actual is None:
        return Trajectory.NO_DATA, None, expected
    rising = target >= baseline
    if (actual >= target) if rising else (actual <= target):
        return Trajectory.ACHIEVED, Decimal(0), expected
    lag = lag_of(baseline=baseline, target=target, actual=actual, expected=expected)
    if day < start or lag <= ON_TRACK_LAG:
        return Trajectory.ON_TRACK, lag, expected
    if lag <= AT_RISK_LAG:
        return Trajectory.AT_RISK, lag, expected
    return Trajectory.OFF_TRACK, lag, expected

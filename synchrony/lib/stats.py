"""Percentiles, for the sync-health page and the benchmarks."""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(values: Iterable[float], fraction: float) -> float:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def nearest_rank(values: Iterable[float], fraction: float) -> float:
    """A value that was observed: the ceil(fraction * n)-th smallest.

    With 100 values p99 is the 99th (one outlier shows only in the max); with 30 runs
    p95 is the 29th.
    """
    ordered = sorted(values)
    rank = math.ceil(fraction * len(ordered) - 1e-9)
    return ordered[max(1, min(len(ordered), rank)) - 1]

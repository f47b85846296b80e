"""Server-rendered SVG line charts: readable, printable, and described for screen readers.

Each chart has a title and a description naming its last value; the page puts a data
table beside it, which is the accessible alternative (and what a printout keeps).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 12, 28


def _nice(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    if abs(value) >= 1000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"


def line_chart(
    *,
    chart_id: str,
    title: str,
    points: Sequence[tuple[str, str | None]],
    expected: list[tuple[str, str]] | None = None,
    target: str | None = None,
    colour: str = "#3b5bdb",
) -> SafeString:
    """points: [(iso date, value or None), ...] (lists from a snapshot's JSON); expected:
    the trajectory's two ends."""
    data = [(dt.date.fromisoformat(d), float(Decimal(v))) for d, v in points if v is not None]
    ends = [(dt.date.fromisoformat(d), float(Decimal(v))) for d, v in (expected or [])]
    everything = data + ends
    if not everything:
        return format_html('<p class="muted">No figures yet.</p>')
    days = [d for d, _ in everything]
    values = [v for _, v in everything] + ([float(Decimal(target))] if target else [])
    first, last = min(days), max(days)
    low, high = min([*values, 0.0]), max(values)
    if high == low:
        high = low + 1
    span_days = max((last - first).days, 1)

    def x(day: dt.date) -> float:
        return LEFT + (day - first).days / span_days * (WIDTH - LEFT - RIGHT)

    def y(value: float) -> float:
        return TOP + (1 - (value - low) / (high - low)) * (HEIGHT - TOP - BOTTOM)

    grid = []
    for i in range(5):
        value = low + (high - low) * i / 4
        grid.append((f"{y(value):.1f}", f"{y(value) + 4:.1f}", _nice(value)))
    parts = [
        format_html_join(
            "",
            '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/>'
            '<text x="{}" y="{}" class="axis" text-anchor="end">{}</text>',
            ((LEFT, WIDTH - RIGHT, gy, gy, LEFT - 6, ty, label) for gy, ty, label in grid),
        ),
        format_html(
            '<text x="{}" y="{}" class="axis">{}</text>'
            '<text x="{}" y="{}" class="axis" text-anchor="end">{}</text>',
            LEFT,
            HEIGHT - 8,
            f"{first:%-d %b}",
            WIDTH - RIGHT,
            HEIGHT - 8,
            f"{last:%-d %b %Y}",
        ),
    ]
    if ends:
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" class="expected"/>',
                f"{x(ends[0][0]):.1f}",
                f"{y(ends[0][1]):.1f}",
                f"{x(ends[-1][0]):.1f}",
                f"{y(ends[-1][1]):.1f}",
            )
        )
    if data:
        path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in data)
        parts.append(
            format_html(
                '<polyline points="{}" class="actual" style="stroke: {}"/>'
                '<circle cx="{}" cy="{}" r="3.5" style="fill: {}"/>',
                path,
                colour,
                f"{x(data[-1][0]):.1f}",
                f"{y(data[-1][1]):.1f}",
                colour,
            )
        )
    latest = f"latest {_nice(data[-1][1])} on {data[-1][0]:%-d %b %Y}" if data else "no figures"
    description = f"{title}: {latest}."
    if ends:
        description += (
            f" The dashed line runs from the baseline to the target ({_nice(ends[-1][1])})."
        )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t {}-d" '
        'preserveAspectRatio="xMidYMid meet"><title id="{}-t">{}</title>'
        '<desc id="{}-d">{}</desc>{}</svg>',
        WIDTH,
        HEIGHT,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
        SafeString("".join(parts)),
    )

"""How the control room and the sync-health page write times and durations."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

register = template.Library()


def _span(seconds: float) -> str:
    """3 d 4 h, 2 h 5 min, 4 min 12 s, 42 s: the two largest units."""
    whole = round(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


@register.filter
def duration_ms(value: float | None) -> str:
    """Milliseconds as a person reads them: 42 ms, 1.25 s, 3 min 4 s."""
    if value is None:
        return "—"
    if abs(value) < 1000:
        return f"{value:.0f} ms"
    if abs(value) < 60_000:
        return f"{value / 1000:.2f} s"
    return ("−" if value < 0 else "") + _span(abs(value) / 1000)


@register.filter
def duration_s(value: float | None) -> str:
    if value is None:
        return "—"
    return duration_ms(value * 1000)


@register.filter
def clock(value: dt.datetime | None) -> str:
    """A moment to the millisecond, in the viewer's zone: deliveries are that close."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    return f"{local:%H:%M:%S}.{local.microsecond // 1000:03d}"


@register.simple_tag
def until(moment: dt.datetime, now: dt.datetime) -> str:
    """in 4 min 12 s; 3 s ago."""
    seconds = (moment - now).total_seconds()
    if abs(seconds) < 0.5:
        return "now"
    if seconds > 0:
        return f"in {_span(seconds)}"
    return f"{_span(-seconds)} ago"


@register.filter
def ago(moment: dt.datetime | None, now: dt.datetime) -> str:
    if moment is None:
        return "—"
    return f"{_span(max(0.0, (now - moment).total_seconds()))} ago"


@register.filter
def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.1f} %"

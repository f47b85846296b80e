from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def stopwatch(seconds: Any) -> str:
    """Seconds as m:ss (a section's timebox)."""
    try:
        total = max(0, int(seconds))
    except (TypeError, ValueError):
        return ""
    return f"{total // 60}:{total % 60:02d}"


@register.filter
def lookup(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


@register.filter
def num(value: Any) -> str:
    """A figure as people read it: thousands separated, cents only when there are any."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if number == number.to_integral_value():
        return f"{number:,.0f}"
    return f"{number:,.2f}"


@register.filter
def get(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def lag_side(lag_pct: Any) -> str:
    """How far from the goal's line, named by its sign: lag_pct is positive behind the
    line (in the goal's direction) and negative ahead of it; on the line, nothing to say."""
    try:
        lag = Decimal(str(lag_pct))
    except InvalidOperation:
        return ""
    if lag > 0:
        return "Behind the line"
    if lag < 0:
        return "Ahead of the line"
    return ""


@register.filter
def unsigned(value: Any) -> str:
    """A figure without its sign, for a label that already says which side it is on."""
    text = str(value)
    return text[1:] if text[:1] in "-+" else text

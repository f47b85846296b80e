from __future__ import annotations

import datetime as dt

from django import template
from django.db import models
from django.utils import formats, timezone

register = template.Library()


@register.filter
def verbose_name_of(obj: models.Model) -> str:
    return str(obj._meta.verbose_name)


@register.filter
def get_item(mapping: dict, key: str) -> object:
    return mapping.get(key, [])


@register.filter
def short_date(value: dt.date | None, fmt: str = "j M") -> str:
    """A date in `fmt` (written without a year), with the year when it is not this one.

    "due 1 Jan" must not stand for 1 January 2020: a date from another year says so.
    """
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    if value.year != timezone.localdate().year:
        fmt += " Y"
    return formats.date_format(value, fmt)

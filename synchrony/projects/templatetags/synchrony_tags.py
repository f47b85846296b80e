from __future__ import annotations

from django import template
from django.db import models

register = template.Library()


@register.filter
def verbose_name_of(obj: models.Model) -> str:
    return str(obj._meta.verbose_name)


@register.filter
def get_item(mapping: dict, key: str) -> object:
    return mapping.get(key, [])

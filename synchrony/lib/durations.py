"""Spans of time the settings give in seconds."""

from __future__ import annotations

import datetime as dt

from django.conf import settings


def setting_span(name: str) -> dt.timedelta:
    """The setting `name` (a number of seconds) as a timedelta, read when asked: tests
    override settings."""
    return dt.timedelta(seconds=getattr(settings, name))

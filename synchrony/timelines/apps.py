from __future__ import annotations

from django.apps import AppConfig


class TimelinesConfig(AppConfig):
    name = "synchrony.timelines"
    label = "timelines"

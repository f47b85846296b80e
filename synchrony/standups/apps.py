from __future__ import annotations

from django.apps import AppConfig


class StandupsConfig(AppConfig):
    name = "synchrony.standups"
    label = "standups"
    verbose_name = "Stand-ups"

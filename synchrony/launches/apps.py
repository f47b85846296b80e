from __future__ import annotations

from django.apps import AppConfig


class LaunchesConfig(AppConfig):
    name = "synchrony.launches"
    label = "launches"

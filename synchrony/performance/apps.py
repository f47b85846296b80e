from __future__ import annotations

from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "synchrony.performance"
    label = "performance"
    verbose_name = "Performance"

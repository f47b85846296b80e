from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "synchrony.api"
    label = "api"
    verbose_name = "API"

from __future__ import annotations

from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "synchrony.projects"
    label = "projects"

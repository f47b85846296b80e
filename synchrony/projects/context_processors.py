from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from synchrony.projects.models import WORK_STAGES, Stage

PROJECT_STAGES = [(s, Stage(s).label) for s in WORK_STAGES]


def stages(request: HttpRequest) -> dict[str, Any]:
    return {"project_stages": PROJECT_STAGES}

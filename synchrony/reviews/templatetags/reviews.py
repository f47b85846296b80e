"""The Review stage's pieces on the project's own stage pages (small, self-contained)."""

from __future__ import annotations

from typing import Any

from django import template

from synchrony.projects.models import Project, Role, Stage
from synchrony.projects.selectors import Need, role_allows
from synchrony.reviews.forms import AnswerForm
from synchrony.reviews.models import LessonStatus, Phase
from synchrony.reviews.selectors import project_retrospective, suggestions_for

register = template.Library()


def suggestions_context(request: Any, project: Project) -> dict[str, Any]:
    suggestions, total = suggestions_for(project)
    channels = list(project.channels.all())
    return {
        "project": project,
        "suggestions": suggestions,
        "total": total,
        "channels": channels,
        "can_answer": role_allows(project.user_role, Need.CONTRIBUTE) and not project.is_closed,
        "answer_form": AnswerForm(),
        "request": request,
    }


@register.inclusion_tag("reviews/includes/suggestions.html", takes_context=True)
def lesson_suggestions(context: dict[str, Any], project: Project) -> dict[str, Any]:
    """Lessons from earlier projects with the same channels, on a Development page."""
    ctx = suggestions_context(context["request"], project)
    ctx["csrf_token"] = context.get("csrf_token")
    return ctx


@register.inclusion_tag("reviews/includes/review_card.html", takes_context=True)
def review_card(context: dict[str, Any], project: Project) -> dict[str, Any]:
    """The retrospective and the summary report, on the Review and Closed stage pages."""
    retro = project_retrospective(project)
    launch_retros = project.retrospectives.filter(launch__isnull=False).select_related("launch")
    return {
        "project": project,
        "retro": retro,
        "launch_retros": launch_retros,
        "lessons_published": retro.lessons.filter(status=LessonStatus.PUBLISHED).count()
        if retro
        else 0,
        "items": retro.items.count() if retro else 0,
        "can_start": project.user_role == Role.MANAGER
        and project.stage == Stage.REVIEW
        and retro is None,
        "Phase": {p.name: p.value for p in Phase},
        "request": context.get("request"),
    }

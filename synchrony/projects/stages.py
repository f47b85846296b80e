"""Exit criteria: what a project must have before it leaves its current stage."""

from __future__ import annotations

from dataclasses import dataclass

from synchrony.projects.models import Project, Stage


@dataclass(frozen=True)
class Criterion:
    label: str
    met: bool
    missing: str = ""


def exit_criteria(project: Project) -> list[Criterion]:
    from synchrony.planning.models import TaskStatus

    stage = project.stage
    if stage == Stage.DEVELOPMENT:
        requests = project.input_requests.select_related(
            "requested_from_user", "requested_from_team"
        )
        pending = [r for r in requests if r.blocks_development]
        return [
            Criterion(
                "At least one goal with a target and a date",
                project.goals.exists(),
                "No goal yet.",
            ),
            Criterion(
                "Every required sign-off given",
                not pending,
                "Waiting for: "
                + "; ".join(
                    f"{r.title} ({r.addressee}: {r.get_status_display()})" for r in pending
                ),
            ),
        ]
    if stage == Stage.CLOSED:
        return []
    tasks = list(project.tasks.filter(stage=stage).select_related("owner"))
    if stage == Stage.PLANNING:
        loose = [t for t in tasks if not t.is_ready_for_planning]
        return [
            Criterion(
                "Every Planning task has an owner and a due date",
                not loose,
                f"{len(loose)} without owner or due date: " + ", ".join(t.title for t in loose[:5]),
            ),
            Criterion(
                "Budget approved",
                project.budget_approved_at is not None,
                "Not approved yet (or changed since it was approved).",
            ),
        ]
    open_tasks = [t for t in tasks if t.status != TaskStatus.DONE]
    criteria = [
        Criterion(
            f"Every {Stage(stage).label} task done",
            not open_tasks,
            f"{len(open_tasks)} open: " + ", ".join(t.title for t in open_tasks[:5]),
        )
    ]
    if stage == Stage.REVIEW:
        from synchrony.reviews.selectors import review_exit_criteria

        criteria += review_exit_criteria(project)
    return criteria


def missing_criteria(project: Project) -> list[Criterion]:
    return [c for c in exit_criteria(project) if not c.met]

"""Thin Celery tasks: ids in, the services re-read the database and decide."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from synchrony.accounts.models import Digest, User
from synchrony.performance import services
from synchrony.projects.models import Project, Stage

# Goals are watched while their figures still move.
WATCHED_STAGES = (Stage.ACTIVATION, Stage.PERFORMANCE, Stage.REVIEW)


@shared_task(ignore_result=True)
def evaluate_all_goals() -> int:
    """Beat, daily: evaluate every watched project's goals (one task per project)."""
    ids = list(
        Project.objects.filter(stage__in=WATCHED_STAGES, goals__isnull=False)
        .values_list("pk", flat=True)
        .distinct()
    )
    for project_id in ids:
        evaluate_project_goals.delay(project_id)
    return len(ids)


@shared_task(
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_jitter=True,
    max_retries=5,
)
def evaluate_project_goals(project_id: int) -> int:
    """Safe twice: a status already recorded tells nobody again."""
    project = Project.objects.select_related("owner").filter(pk=project_id).first()
    if project is None:
        return 0
    return len(services.goals_evaluate(project=project))


# A file of 400,000 rows takes about a minute on a small machine.
@shared_task(ignore_result=True, soft_time_limit=600, time_limit=660)
def run_import(import_id: int) -> bool:
    """Safe twice: only the run that claims the queued import writes it."""
    return services.import_run(import_id=import_id)


@shared_task(ignore_result=True, soft_time_limit=1800, time_limit=1860)
def send_digests() -> int:
    """Beat, hourly: each user's daily or weekly digest, once per period, from
    DIGEST_HOUR in their own time zone. Safe to run twice: the user row claims it."""
    now = timezone.now()
    ids = list(
        User.objects.filter(is_active=True, digest__in=[Digest.DAILY, Digest.WEEKLY])
        .exclude(email="")
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    return sum(services.digest_send(user_id=pk, now=now) for pk in ids)

from __future__ import annotations

import datetime as dt
import zoneinfo

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from synchrony.activity.models import NotificationKind
from synchrony.activity.services import notify
from synchrony.planning.models import Task, TaskStatus
from synchrony.projects.models import Stage


@shared_task
def remind_due_tasks() -> int:
    """Tell owners about tasks due today or tomorrow, or overdue, in their own time zone.

    Safe to run any number of times: each reminder is keyed by task, due date and
    kind, so an owner hears about a given deadline once as "due" and once as "overdue".
    """
    now = timezone.now()
    window_end = now.date() + dt.timedelta(days=2)
    # Overdue reminders go out in the first week; older ones were sent already.
    window_start = now.date() - dt.timedelta(days=8)
    tasks = (
        Task.objects.filter(
            owner__isnull=False,
            due_date__range=(window_start, window_end),
            owner__is_active=True,
        )
        .exclude(status=TaskStatus.DONE)
        .exclude(project__stage=Stage.CLOSED)
        .select_related("owner", "project")
    )
    sent = 0
    for task in tasks.iterator(chunk_size=500):
        owner = task.owner
        assert owner is not None and task.due_date is not None
        try:
            today = now.astimezone(zoneinfo.ZoneInfo(owner.time_zone)).date()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            today = now.date()
        if task.due_date < today:
            state, title = "overdue", f"Overdue since {task.due_date:%d %b}: {task.title}"
        elif task.due_date <= today + dt.timedelta(days=1):
            when = "today" if task.due_date == today else "tomorrow"
            state, title = "due", f"Due {when}: {task.title}"
        else:
            continue
        with transaction.atomic():
            sent += len(
                notify(
                    recipients=[owner],
                    kind=NotificationKind.TASK_DUE,
                    title=title,
                    body=f"{task.project} · {task.get_stage_display()}",
                    url=task.get_absolute_url(),
                    project=task.project,
                    dedupe_key=f"task-{state}:{task.pk}:{task.due_date.isoformat()}",
                )
            )
    return sent

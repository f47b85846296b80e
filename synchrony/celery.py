from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synchrony.settings")

app = Celery("synchrony")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Idempotent: a reminder is keyed by task and due date, so a run twice sends once.
    "remind-due-tasks": {
        "task": "synchrony.planning.tasks.remind_due_tasks",
        "schedule": crontab(minute=5),
    },
}

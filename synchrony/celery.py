from __future__ import annotations

import os
from datetime import timedelta

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synchrony.settings")

app = Celery("synchrony")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # The launch engine. Ticks that a stopped worker could not take expire instead of
    # piling up; the database, not the queue, remembers what is due.
    "dispatch-launches": {
        "task": "synchrony.launches.tasks.dispatch_launches",
        "schedule": timedelta(seconds=1),
        "options": {"expires": 5},
    },
    "sweep-launches": {
        "task": "synchrony.launches.tasks.sweep_launches",
        "schedule": timedelta(seconds=2),
        "options": {"expires": 10},
    },
    # Outbound event webhooks: arms due retries with short ETAs, re-sends what a lost
    # message or a killed worker left behind. Idempotent (claims are conditional).
    "sweep-webhooks": {
        "task": "synchrony.webhooks.tasks.sweep_webhooks",
        "schedule": timedelta(seconds=5),
        "options": {"expires": 10},
    },
    # Notification e-mail, at least once: re-prompts sends whose message is overdue or whose
    # worker's claim lapsed. Idempotent (the send is claimed by a conditional UPDATE).
    "sweep-notification-emails": {
        "task": "synchrony.activity.tasks.sweep_notification_emails",
        "schedule": timedelta(seconds=60),
        "options": {"expires": 50},
    },
    # Idempotent: a reminder is keyed by task and due date, so a run twice sends once.
    "remind-due-tasks": {
        "task": "synchrony.planning.tasks.remind_due_tasks",
        "schedule": crontab(minute=5),
    },
    # Writes each stand-up's agenda STANDUP_AGENDA_LEAD_HOURS before it. Idempotent (one
    # agenda per meeting, written under the meeting's lock), so it also re-finds agendas
    # whose message was lost.
    "prepare-standup-agendas": {
        "task": "synchrony.standups.tasks.prepare_agendas",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 240},
    },
    # Goals against their trajectory; also run after every import. Idempotent: a status
    # already recorded tells nobody again.
    "evaluate-goals": {
        "task": "synchrony.performance.tasks.evaluate_all_goals",
        "schedule": crontab(minute=15, hour=6),
    },
    # Hourly, so each user's digest goes out soon after 07:00 in their own zone.
    # Idempotent: the user row records the period sent.
    "send-digests": {
        "task": "synchrony.performance.tasks.send_digests",
        "schedule": crontab(minute=25),
        "options": {"expires": 3000},
    },
}

"""Thin Celery tasks: ids in, the services re-read the database and decide."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from synchrony.standups import services
from synchrony.standups.models import Meeting


@shared_task(ignore_result=True)
def prepare_agendas() -> dict[str, int]:
    """Beat: enqueue the agendas now due; end meetings abandoned while running.

    Run every few minutes, it is also the sweeper: a lost write_agenda message leaves
    the agenda unwritten, and the next run finds it and enqueues it again.
    """
    now = timezone.now()
    due = services.agendas_due(now)
    for meeting_id in due:
        write_agenda.delay_on_commit(meeting_id)
    return {"agendas": len(due), "ended": services.end_abandoned(now)}


@shared_task(
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=5,
)
def write_agenda(meeting_id: int) -> bool:
    """Safe twice: the meeting's lock lets one writer in, and the second finds it written."""
    meeting = Meeting.objects.select_related("series").filter(pk=meeting_id).first()
    if meeting is None:
        return False
    agenda = services.agenda_write(meeting=meeting)
    return agenda is not None

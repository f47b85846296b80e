"""Thin Celery tasks: ids in, the services re-read the database and decide."""

from __future__ import annotations

from celery import shared_task

from synchrony.webhooks import services


@shared_task(ignore_result=True)
def deliver_webhook(delivery_id: int) -> bool:
    return services.deliver(delivery_id)


@shared_task(ignore_result=True)
def sweep_webhooks() -> dict[str, int]:
    return services.sweep()

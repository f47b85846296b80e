"""Thin Celery tasks: ids in, the engine re-reads the database and decides."""

from __future__ import annotations

from celery import shared_task

from synchrony.launches import engine


@shared_task(ignore_result=True)
def dispatch_launches() -> dict[str, int]:
    return engine.dispatch()


@shared_task(ignore_result=True)
def sweep_launches() -> dict[str, int]:
    return engine.sweep()


@shared_task(ignore_result=True)
def fire_launch(launch_id: int) -> bool:
    return engine.fire(launch_id)


@shared_task(ignore_result=True)
def deliver_activation(activation_id: int) -> bool:
    return engine.deliver(activation_id)

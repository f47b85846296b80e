"""Thin Celery tasks: ids in, the engine re-reads the database and decides."""

from __future__ import annotations

import sys

from celery import shared_task
from celery.signals import worker_ready

from synchrony.launches import engine


@worker_ready.connect
def _switch_threads_promptly(**_: object) -> None:
    """At a launch's moment every sender thread needs the GIL for a moment; a thread busy
    elsewhere in the worker would otherwise keep it for up to 5 ms (Python's default)
    per hand-over; 1 ms costs throughput nothing a worker that waits on I/O would notice."""
    sys.setswitchinterval(0.001)


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

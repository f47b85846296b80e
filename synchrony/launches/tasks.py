"""Thin Celery tasks: ids in, the engine re-reads the database and decides."""

from __future__ import annotations

import gc
import sys

from celery import shared_task
from celery.signals import worker_ready

from synchrony.launches import engine


@worker_ready.connect
def _prompt_at_the_moment(**_: object) -> None:
    """Keep the worker from pausing its sender threads at a launch's moment.

    Every sender thread needs the GIL for a moment; a thread busy elsewhere in the worker
    would otherwise keep it for up to 5 ms (Python's default) per hand-over, and 1 ms
    costs nothing a worker that waits on I/O would notice. And the objects loaded at
    start-up (Django, Celery: ~100,000) leave the garbage collector's view, so a full
    collection, which stops every thread, takes microseconds instead of ~100 ms.
    """
    sys.setswitchinterval(0.001)
    gc.freeze()


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

"""Live updates: "something changed" is published to Redis after the change commits.

The message only names what changed; pages re-fetch their fragments through the
normal permission-checked views, so nothing private travels on the channel.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from functools import cache
from typing import TYPE_CHECKING

import redis
import redis.asyncio
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

if TYPE_CHECKING:
    from synchrony.accounts.models import User


def channel_name() -> str:
    """One channel per database: installs (or test workers) sharing a Redis stay apart."""
    return f"synchrony:live:{connection.settings_dict['NAME']}"


logger = logging.getLogger(__name__)


@cache
def client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)


def publish_change(
    *,
    kind: str,
    obj_id: int,
    project_id: int | None,
    actor: User | None,
    team_id: int | None = None,
    series_id: int | None = None,
) -> None:
    """Tell the open pages of everyone who follows the project (or, for a stand-up, its
    team or series: a team's stand-up may be on no project) that `kind` `obj_id` changed."""
    message = json.dumps(
        {
            "kind": kind,
            "id": obj_id,
            "project": project_id,
            "team": team_id,
            "series": series_id,
            "by": str(actor) if actor else "",
            "at": timezone.now().isoformat(),
        }
    )

    def send() -> None:
        try:
            client().publish(channel_name(), message)
        except redis.RedisError:
            # The database is the truth; a lost nudge is caught up by the page's reconnect.
            logger.warning("live update not published: %s", message, exc_info=True)

    transaction.on_commit(send)


HEARTBEAT_SECONDS = 15.0


async def event_stream(
    project_ids: frozenset[int],
    channel: str,
    *,
    team_ids: frozenset[int] = frozenset(),
    series_ids: frozenset[int] = frozenset(),
) -> AsyncIterator[str]:
    """Server-sent events for changes in `project_ids` (or of the stand-ups of `team_ids`
    and `series_ids`), with heartbeat comments.

    Holds a Redis subscription and nothing else: no database connection. A client that
    reconnects re-fetches its fragments, so a message missed in between does not matter.
    """
    connection = redis.asyncio.Redis.from_url(settings.REDIS_URL)
    pubsub = connection.pubsub()
    await pubsub.subscribe(channel)
    try:
        yield "retry: 2000\n\n"
        last = time.monotonic()
        while True:
            message = await pubsub.get_message(
                ignore_subscribe_messages=True, timeout=HEARTBEAT_SECONDS
            )
            if message is None:
                # Also None for an ignored subscribe confirmation: beat only after silence.
                if time.monotonic() - last >= HEARTBEAT_SECONDS:
                    last = time.monotonic()
                    yield ": heartbeat\n\n"
                continue
            data = message["data"].decode() if isinstance(message["data"], bytes) else ""
            try:
                change = json.loads(data)
                followed = (
                    change["project"] in project_ids
                    or change.get("team") in team_ids
                    or change.get("series") in series_ids
                )
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
            if followed:
                last = time.monotonic()
                yield f"event: change\ndata: {data}\n\n"
    finally:
        await pubsub.unsubscribe(channel)
        await pubsub.aclose()
        await connection.aclose()

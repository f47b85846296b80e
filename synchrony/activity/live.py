"""Live updates: "something changed" is published to Redis after the change commits.

The message only names what changed; pages re-fetch their fragments through the
normal permission-checked views, so nothing private travels on the channel.
"""

from __future__ import annotations

import json
import logging
from functools import cache
from typing import TYPE_CHECKING

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

if TYPE_CHECKING:
    from synchrony.accounts.models import User

CHANNEL = "synchrony:live"
logger = logging.getLogger(__name__)


@cache
def client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)


def publish_change(*, kind: str, obj_id: int, project_id: int, actor: User | None) -> None:
    message = json.dumps(
        {
            "kind": kind,
            "id": obj_id,
            "project": project_id,
            "by": str(actor) if actor else "",
            "at": timezone.now().isoformat(),
        }
    )

    def send() -> None:
        try:
            client().publish(CHANNEL, message)
        except redis.RedisError:
            # The database is the truth; a lost nudge is caught up by the page's reconnect.
            logger.warning("live update not published: %s", message, exc_info=True)

    transaction.on_commit(send)

"""Settings for `make bench-launches`: production settings, plus the bench's own Celery queue.

The worker and beat it starts read these (DJANGO_SETTINGS_MODULE); the database, Redis
and loopback allowance come from the environment that benchmarks/launches.py sets.
"""

from __future__ import annotations

from synchrony.settings import *  # noqa: F403

# Its own queue (on its own Redis database too): a test run or a developer's worker on
# the same machine never takes the bench's messages, nor the bench theirs.
CELERY_TASK_DEFAULT_QUEUE = "synchrony-bench-launches"

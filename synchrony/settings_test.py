"""The test suite runs against the real PostgreSQL and Redis (DATABASE_URL/REDIS_URL override)."""

from __future__ import annotations

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/synchrony")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
os.environ.setdefault("SECRET_KEY", "test-" + "x" * 60)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# No test is throttled by accident (tests/api proves the limit with its own small rate).
os.environ.setdefault("API_THROTTLE_TOKEN", "off")
os.environ.setdefault("API_THROTTLE_USER", "off")

from synchrony.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
CACHES["default"]["KEY_PREFIX"] = "synchrony-test"  # noqa: F405
# One queue per pytest-xdist worker: parallel workers never take each other's messages.
CELERY_TASK_DEFAULT_QUEUE = f"synchrony-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
WHITENOISE_USE_FINDERS = True
# No persistent connections: threads that serve requests or run tasks in the test process
# must not keep the test database open after they finish.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# The local HTTP receivers that stand in for the outside world listen on loopback.
OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
# Short waits, so retries and recovery happen within a test's patience.
LAUNCH_RETRY_BASE_SECONDS = 0.2
LAUNCH_SENDING_GRACE_SECONDS = 3

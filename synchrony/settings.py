"""Synchrony's one settings module.

Everything that differs between machines comes from the environment (12-factor).
Values are parsed strictly: a malformed value stops start-up with a message that
names the variable, instead of running with a surprise.
"""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from environs import Env, EnvValidationError
from marshmallow.validate import URL, Regexp

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = Env(eager=False)
env.read_env(BASE_DIR / ".env", recurse=False)

DEBUG = env.bool("DEBUG", False)
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env.str(
    "SITE_URL", "http://127.0.0.1:8000", validate=URL(require_tld=False, schemes={"http", "https"})
).rstrip("/")

DATABASES = {
    "default": env.dj_db_url(
        "DATABASE_URL", f"sqlite:///{VAR_DIR / 'synchrony.sqlite3'}", conn_max_age=60
    )
}
REDIS_URL = env.str("REDIS_URL", "redis://127.0.0.1:6379/0")
EMAIL_CONFIG = env.dj_email_url("EMAIL_URL", "console://" if DEBUG else "smtp://localhost:25")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "Synchrony <synchrony@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
TIME_ZONE = env.str("TIME_ZONE", "UTC")
CURRENCY = env.str(
    "CURRENCY",
    "EUR",
    validate=Regexp(r"^[A-Z]{3}$", error="CURRENCY must be an ISO 4217 code such as EUR."),
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", False)
LOG_LEVEL = env.log_level("LOG_LEVEL", logging.INFO)
# Outbound calls (launch webhooks, Slack) refuse private, loopback and link-local
# addresses; an admin allows specific networks here, e.g. "10.0.0.0/8,127.0.0.1/32".
OUTBOUND_ALLOWED_NETWORKS: list[str] = env.list("OUTBOUND_ALLOWED_NETWORKS", [])
# Preflight checks run this many seconds before each go-live (24 h, 1 h, 5 min).
LAUNCH_PREFLIGHT_OFFSETS = env.list("LAUNCH_PREFLIGHT_OFFSETS", [86400, 3600, 300], subcast=int)
LAUNCH_RETRY_BASE_SECONDS = env.float("LAUNCH_RETRY_BASE_SECONDS", 2.0)
WORKER_CONCURRENCY = env.int("WORKER_CONCURRENCY", 32)
# Stand-up agendas are written this many hours before each meeting (and on demand).
STANDUP_AGENDA_LEAD_HOURS = env.float("STANDUP_AGENDA_LEAD_HOURS", 24.0)
# Metric CSV files up to this size are accepted; bigger ones are refused before reading.
METRICS_UPLOAD_MAX_BYTES = env.int("METRICS_UPLOAD_MAX_BYTES", 20_000_000)
# The public API (/api/v1/): requests allowed per token and per user (all their tokens and
# their session together), as "<count>/<second|minute|hour|day>", or "off".
_RATE = Regexp(
    r"^([0-9]+/(s|sec|second|m|min|minute|h|hour|d|day)|off)$",
    error="Give a rate such as 600/minute, or off.",
)
API_THROTTLE_TOKEN = env.str("API_THROTTLE_TOKEN", "600/minute", validate=_RATE)
API_THROTTLE_USER = env.str("API_THROTTLE_USER", "1200/minute", validate=_RATE)
# A body larger than this is refused by /api/v1/ resources (413) before it is read; a
# batch of 10,000 metric samples is about 1.5 MB.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", 2_500_000)
# An outbound webhook endpoint is disabled (and its owner told) after this many
# deliveries in a row failed for good.
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", 5)

try:
    env.seal()
except EnvValidationError as exc:  # pragma: no cover - exercised by start-up
    raise ImproperlyConfigured(f"Bad environment: {exc}") from None

try:
    for _network in OUTBOUND_ALLOWED_NETWORKS:
        ipaddress.ip_network(_network, strict=False)
except ValueError as exc:
    raise ImproperlyConfigured(f"Bad environment: OUTBOUND_ALLOWED_NETWORKS: {exc}") from None
if WEBHOOK_DISABLE_AFTER_FAILURES < 1:
    raise ImproperlyConfigured("Bad environment: WEBHOOK_DISABLE_AFTER_FAILURES must be 1 or more.")
if any(offset <= 0 for offset in LAUNCH_PREFLIGHT_OFFSETS):
    raise ImproperlyConfigured("Bad environment: LAUNCH_PREFLIGHT_OFFSETS must be positive.")
if not 0 < STANDUP_AGENDA_LEAD_HOURS <= 24 * 14:
    raise ImproperlyConfigured(
        "Bad environment: STANDUP_AGENDA_LEAD_HOURS must be more than 0 and at most 336 (14 days)."
    )
if not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured(
        "SECRET_KEY must be a random string of at least 50 characters in production."
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    # Web, worker and beat share the file: wait for locks instead of failing,
    # and take the write lock up front so transactions never deadlock on upgrade.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Covering indexes (INCLUDE) speed up PostgreSQL; SQLite builds them without the extra
    # columns, which is fine for the embedded default, so its warning is noise.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
vars().update(EMAIL_CONFIG)
# Without a timeout a silent mail server holds a worker thread (and an e-mail's claim) for
# good; EMAIL_URL's ?timeout= overrides.
EMAIL_TIMEOUT = EMAIL_CONFIG.get("EMAIL_TIMEOUT") or 30

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "synchrony.accounts",
    "synchrony.activity",
    "synchrony.launches",
    "synchrony.projects",
    "synchrony.planning",
    "synchrony.calendars",
    "synchrony.timelines",
    "synchrony.reviews",
    "synchrony.standups",
    "synchrony.api",
    "synchrony.performance",
    "synchrony.webhooks",
]

MIDDLEWARE = [
    "synchrony.lib.body_limit.BodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "synchrony.accounts.middleware.UserTimezoneMiddleware",
    "synchrony.lib.not_allowed.MethodNotAllowedPageMiddleware",
]

ROOT_URLCONF = "synchrony.urls"
ASGI_APPLICATION = "synchrony.asgi.application"
WSGI_APPLICATION = "synchrony.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "synchrony.activity.context_processors.notifications",
                "synchrony.projects.context_processors.stages",
            ],
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "projects:dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "synchrony",
    }
}

LANGUAGE_CODE = "en"
USE_I18N = True
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# The public API: synchrony/api/base.py says how a resource is built on this.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "synchrony.api.authentication.TokenAuthentication",
        # Enforces CSRF on writes, as the pages do.
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "synchrony.api.authentication.WritableToken",
    ],
    "DEFAULT_PARSER_CLASSES": ["synchrony.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "synchrony.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "synchrony.api.filtering.FilterBackend",
        "synchrony.api.filtering.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "synchrony.api.throttling.TokenRateThrottle",
        "synchrony.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        scope: None if rate == "off" else rate
        for scope, rate in (("token", API_THROTTLE_TOKEN), ("user", API_THROTTLE_USER))
    },
    "EXCEPTION_HANDLER": "synchrony.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "synchrony.api.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Synchrony API",
    "DESCRIPTION": (
        "Projects through five stages, their goals, tasks, content, budget and milestones; "
        "channels, coordinated launches with their activations and readiness gates; "
        "stand-ups and their agendas; metric samples; retrospectives and lessons; and your "
        "notifications. Authenticate with a personal token "
        "(`Authorization: Bearer syn_…`). Every editable row has an ETag; send it back in "
        "If-Match to change it. Errors have one body: `code`, `message`, `errors`."
    ),
    "VERSION": "1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PREPROCESSING_HOOKS": ["synchrony.api.schema.only_core_endpoints"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "synchrony.api.schema.closed_request_bodies",
    ],
    # Swagger UI from the npm lockfile (the Makefile copies it into static/vendor/), no CDN.
    "SWAGGER_UI_DIST": f"/{STATIC_URL}vendor/swagger-ui",
    "SWAGGER_UI_FAVICON_HREF": f"/{STATIC_URL}vendor/swagger-ui/favicon-32x32.png",
    # Deep links (#/tasks/tasks_retrieve) make Swagger UI log "escaping deep link
    # whitespace with `_` is unsupported": it takes the `_` of an operationId for an old
    # escape. The links work, literally; renaming every operationId would break clients.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True},
    # The schema offers integrators the token only. The session still works (the docs'
    # own try-it-out calls send its cookie and CSRF token), but a sessionid is no
    # credential anyone should be asked to paste into a form.
    "AUTHENTICATION_WHITELIST": ["synchrony.api.authentication.TokenAuthentication"],
    # Choice sets that share a field name get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "ProjectStageEnum": "synchrony.projects.models.Stage",
        "TaskStageEnum": "synchrony.planning.api.TASK_STAGES",
        "TaskStatusEnum": "synchrony.planning.models.TaskStatus",
        "ContentStatusEnum": "synchrony.planning.models.ContentStatus",
        "ContentKindEnum": "synchrony.planning.models.ContentKind",
        "NotificationKindEnum": "synchrony.activity.models.NotificationKind",
        "ChannelKindEnum": "synchrony.launches.models.ChannelKind",
        "LaunchStatusEnum": "synchrony.launches.models.LaunchStatus",
        "GateStatusEnum": "synchrony.launches.models.GateStatus",
        "ConflictKindEnum": "synchrony.launches.api.CONFLICT_KINDS",
        "ProblemKindEnum": "synchrony.launches.api.PROBLEM_KINDS",
        "ActivationStateEnum": "synchrony.launches.models.ActivationState",
        "MeetingStatusEnum": "synchrony.standups.models.MeetingStatus",
        "AgendaStateEnum": "synchrony.standups.models.AgendaState",
        "ActionItemStateEnum": "synchrony.standups.api.ACTION_ITEM_STATES",
    },
}

# Request limits: a form post is small; anything bigger is an error, not a load. DRF reads
# an API body through this limit too, so it is never below the API's own (which refuses
# first, with its message; synchrony.lib.body_limit.api_limit).
DATA_UPLOAD_MAX_MEMORY_SIZE = max(2_621_440, API_MAX_BODY_BYTES)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1_000
# Any request body: the largest metrics file plus room for the form around it. An API
# batch of 10,000 samples is about 1.5 MB.
MAX_REQUEST_BYTES = METRICS_UPLOAD_MAX_BYTES + 100_000

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_REFERRER_POLICY = "same-origin"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
X_FRAME_OPTIONS = "DENY"
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Threads: a firing task waits for its moment and sends over the network, which threads
# do well; and one process means a killed worker leaves no orphaned children.
CELERY_WORKER_POOL = "threads"
# Each firing task holds a thread from a second before its go-live until its sends are
# recorded; launches clustered in one second need a thread each (measured: 8 threads
# made the tenth of ten simultaneous launches almost a second late).
CELERY_WORKER_CONCURRENCY = WORKER_CONCURRENCY
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
# Launches fire to the second: beat ticks the dispatcher every second, and the worker's
# timer wakes ETA tasks within 50 ms (the default precision is a whole second).
CELERY_BEAT_MAX_LOOP_INTERVAL = 1
CELERY_WORKER_TIMER_PRECISION = 0.05

# The launch engine (synchrony/launches/engine.py).
LAUNCH_ARM_LEAD_SECONDS = 10  # launches due this soon are armed; no ETA is ever longer
LAUNCH_FIRE_PREPARE_SECONDS = 1.0  # the firing task starts this early to prepare payloads
LAUNCH_MAX_LATE_SECONDS = 900  # a launch that missed its moment by more is held, not fired
LAUNCH_RETRY_MAX_SECONDS = 300
LAUNCH_SENDING_GRACE_SECONDS = 30  # a send silent this long past its timeout was lost
LAUNCH_MANUAL_GRACE_SECONDS = 7200  # a manual step not ticked this long after go-live is overdue
LAUNCH_PAYLOAD_MAX_BYTES = 65_536

# Outbound event webhooks (synchrony/webhooks). Retries back off as launch sends do
# (LAUNCH_RETRY_BASE_SECONDS doubling, at most LAUNCH_RETRY_MAX_SECONDS apart).
WEBHOOK_TIMEOUT_SECONDS = 10
WEBHOOK_MAX_ATTEMPTS = 8  # per delivery; then it has failed

# Notification e-mail goes out at least once (synchrony/activity/services.py). A worker's
# claim on a send lapses after the lease (well past EMAIL_TIMEOUT's few round trips); the
# sweep re-prompts a send whose claim lapsed, or whose message is overdue by the grace,
# while the notification is younger than the max age: later, the bell alone tells.
NOTIFICATION_EMAIL_LEASE_SECONDS = 300
NOTIFICATION_EMAIL_GRACE_SECONDS = 120
NOTIFICATION_EMAIL_MAX_AGE_SECONDS = 6 * 3600
NOTIFICATION_EMAIL_MAX_ATTEMPTS = 8
NOTIFICATION_EMAIL_RETRY_BASE_SECONDS = 5.0  # doubling, with jitter
NOTIFICATION_EMAIL_RETRY_MAX_SECONDS = 600

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # One line per outbound request is noise; the engine records every attempt.
        "httpx": {"level": "WARNING"},
    },
}

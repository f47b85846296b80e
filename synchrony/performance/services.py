"""Writes: metrics in (form, CSV, API), goal measures, alerts, snapshots and share links."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from synchrony.accounts.models import Digest
from synchrony.activity.live import publish_change
from synchrony.activity.models import NotificationKind
from synchrony.activity.services import notify, record_created, record_event
from synchrony.lib.tokens import hash_token, new_token
from synchrony.performance import csvio
from synchrony.performance.ingest import Checker, SamplesInvalid, check_rows, upsert
from synchrony.performance.models import (
    BUILTIN_KINDS,
    TRAJECTORY_RANK,
    Aggregation,
    CustomMetric,
    GoalTracking,
    ImportStatus,
    MetricImport,
    ReportLink,
    ReportSnapshot,
    Trajectory,
)
from synchrony.performance.selectors import digest_for_user, report_figures
from synchrony.projects.models import Goal, Membership, Project, Role
from synchrony.webhooks.events import EventType, emit

if TYPE_CHECKING:
    from synchrony.accounts.models import User

# Files with more rows than this are imported by a worker, with a progress bar.
INLINE_IMPORT_ROWS = 5_000
PROGRESS_EVERY = 2_000
API_MAX_SAMPLES = 10_000
LIVE_KIND = "metrics"


def _progress_key(import_id: int) -> str:
    return f"metric-import:{import_id}:rows-done"


def import_progress(metric_import: MetricImport) -> int:
    if metric_import.status == ImportStatus.DONE:
        return metric_import.rows
    return int(cache.get(_progress_key(metric_import.pk)) or 0)


def custom_metric_create(
    *, actor: User, project: Project, key: str, name: str, kind: str
) -> CustomMetric:
    metric = CustomMetric(project=project, key=key.strip().lower(), name=name.strip(), kind=kind)
    metric.full_clean()
    with transaction.atomic():
        metric.save()
        record_created(actor=actor, project=project, target=metric)
    return metric


def samples_record(
    *, actor: User, project: Project, rows: Sequence[Mapping[str, Any]], source: str = "manual"
) -> int:
    """Manual entry: a few rows for one project, checked and written all together."""
    checker = Checker.for_project(actor=actor, project=project, default_source=source)
    with transaction.atomic():
        count = upsert(check_rows(checker, enumerate(rows, start=1)))
        record_event(
            actor=actor,
            project=project,
            verb="recorded figures",
            target=project,
            message=f"{count} figure(s) entered by hand.",
        )
        _after_new_figures(project, actor)
    return count


def samples_ingest(*, actor: User, rows: list[Mapping[str, Any]], source: str = "api") -> int:
    """An API batch: each row names its project or activation; all or nothing."""
    if len(rows) > API_MAX_SAMPLES:
        raise ValidationError(f"At most {API_MAX_SAMPLES:,} samples per batch.")
    checker = Checker.for_rows(actor=actor, rows=rows, default_source=source)
    with transaction.atomic():
        count = upsert(check_rows(checker, enumerate(rows, start=1)))
        for project in _projects_of(checker):
            _after_new_figures(project, actor)
    return count


def _projects_of(checker: Checker) -> list[Project]:
    ids = {key[0] for key in checker.seen}
    return [rules.project for pk, rules in checker.rules.items() if pk in ids]


def _after_new_figures(project: Project, actor: User | None) -> None:
    from synchrony.performance.tasks import evaluate_project_goals

    publish_change(kind=LIVE_KIND, obj_id=project.pk, project_id=project.pk, actor=actor)
    evaluate_project_goals.delay_on_commit(project.pk)


def import_check(
    *, actor: User, project: Project, file_name: str, data: bytes, source: str
) -> tuple[MetricImport, dict[str, Any]]:
    """Read and check an uploaded file without saving a single figure.

    Valid: the file is kept as an import waiting for confirmation, with a preview.
    Invalid: raises CsvRefused (the file as a whole) or SamplesInvalid (rows), and
    nothing is kept.
    """
    if len(data) > settings.METRICS_UPLOAD_MAX_BYTES:
        raise csvio.CsvRefused(_too_big(len(data)))
    source = source.strip().lower() or "csv"
    parsed = csvio.open_csv(data)
    checker = Checker.for_project(actor=actor, project=project, default_source=source)
    preview = _Preview()
    for sample in check_rows(checker, parsed.rows()):
        preview.add(sample, checker.channels_by_id[sample.channel_id].name)
    metric_import = MetricImport(
        project=project,
        file_name=file_name[:255] or "upload.csv",
        source=source,
        created_by=actor,
        status=ImportStatus.READY,
        rows=preview.rows,
        size_bytes=len(data),
        encoding=parsed.encoding,
        delimiter=parsed.delimiter,
        content=data,
        summary=preview.summary(parsed),
    )
    metric_import.full_clean(exclude=["content", "created_by"])
    metric_import.save()
    return metric_import, metric_import.summary


def _too_big(size: int) -> str:
    limit = settings.METRICS_UPLOAD_MAX_BYTES / 1_000_000
    return (
        f"The file is {size / 1_000_000:.1f} MB; files up to {limit:g} MB are accepted. "
        "Split it into smaller files, or send the figures through the API."
    )


class _Preview:
    """What the confirmation page shows of a checked file."""

    def __init__(self) -> None:
        self.rows = 0
        self.first: list[tuple[Any, str]] = []
        self.metrics: dict[str, Any] = {}
        self.channels: set[int] = set()
        self.days: list[dt.date] = []

    def add(self, sample: Any, channel_name: str) -> None:
        self.rows += 1
        if len(self.first) < 10:
            self.first.append((sample, channel_name))
        self.metrics[sample.metric] = self.metrics.get(sample.metric, 0) + sample.value
        self.channels.add(sample.channel_id)
        if not self.days:
            self.days = [sample.date, sample.date]
        else:
            self.days = [min(self.days[0], sample.date), max(self.days[1], sample.date)]

    def summary(self, parsed: csvio.CsvFile) -> dict[str, Any]:
        """Plain data, stored with the import."""
        return {
            "rows": self.rows,
            "first": [
                {
                    "channel": name,
                    "activation": s.activation_id,
                    "metric": s.metric,
                    "date": s.date.isoformat(),
                    "value": str(s.value),
                    "source": s.source,
                }
                for s, name in self.first
            ],
            "metrics": [[k, str(v)] for k, v in sorted(self.metrics.items())],
            "channels": len(self.channels),
            "days": [d.isoformat() for d in self.days],
            "ignored": parsed.ignored,
        }


def import_confirm(*, actor: User, metric_import: MetricImport) -> MetricImport:
    """Start the import: in this request for a small file, by a worker for a large one."""
    from synchrony.performance.tasks import run_import

    claimed = MetricImport.objects.filter(
        pk=metric_import.pk, status__in=[ImportStatus.READY, ImportStatus.FAILED]
    ).update(status=ImportStatus.QUEUED, error="")
    if not claimed:
        raise ValidationError("This file was imported already, or is being imported.")
    if metric_import.rows <= INLINE_IMPORT_ROWS:
        import_run(import_id=metric_import.pk)
    else:
        cache.set(_progress_key(metric_import.pk), 0, timeout=3600)
        run_import.delay_on_commit(metric_import.pk)
    metric_import.refresh_from_db()
    return metric_import


def import_run(*, import_id: int) -> bool:
    """Write a queued import, all or nothing, re-checking every row first.

    Safe to run twice: only the run that moves it from queued to importing goes on.
    """
    claimed = MetricImport.objects.filter(pk=import_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.IMPORTING
    )
    if not claimed:
        return False
    metric_import = MetricImport.objects.select_related("project", "created_by").get(pk=import_id)
    project, actor = metric_import.project, metric_import.created_by
    key = _progress_key(import_id)
    try:
        parsed = csvio.open_csv(bytes(metric_import.content))
        checker = Checker.for_project(
            actor=actor,  # type: ignore[arg-type]
            project=project,
            default_source=metric_import.source,
        )

        def counted(samples: Any) -> Any:
            for n, sample in enumerate(samples, start=1):
                if n % PROGRESS_EVERY == 0:
                    cache.set(key, n, timeout=3600)
                yield sample

        with transaction.atomic():
            count = upsert(counted(check_rows(checker, parsed.rows())), metric_import=metric_import)
            MetricImport.objects.filter(pk=import_id).update(
                status=ImportStatus.DONE, rows=count, content=b"", finished_at=timezone.now()
            )
            metric_import.status = ImportStatus.DONE
            record_event(
                actor=actor,
                project=project,
                verb="imported",
                target=metric_import,
                message=f"{count} figure(s) from {metric_import.file_name} "
                f"(source “{metric_import.source}”).",
            )
            _after_new_figures(project, actor)
    except (csvio.CsvRefused, SamplesInvalid) as error:
        # Something changed since the check (a channel left the project…): nothing saved.
        detail = "; ".join(
            f"row {e.row}, {e.field}: {e.message}" for e in getattr(error, "errors", [])[:5]
        )
        MetricImport.objects.filter(pk=import_id).update(
            status=ImportStatus.FAILED,
            error=(f"{error} {detail}").strip()[:2000],
            finished_at=timezone.now(),
        )
        return False
    finally:
        cache.delete(key)
    return True


def tracking_set(
    *, actor: User, goal: Goal, aggregation: str, metric: str, denominator: str = ""
) -> GoalTracking:
    """Say which metric measures a goal; the goal is evaluated again at once."""
    kinds = dict(BUILTIN_KINDS) | dict(
        CustomMetric.objects.filter(project=goal.project).values_list("key", "kind")
    )
    for name, key in (("metric", metric), ("denominator", denominator)):
        if key and key not in kinds:
            raise ValidationError({name: f"Unknown metric “{key}”."})
    with transaction.atomic():
        tracking, _ = GoalTracking.objects.select_for_update().get_or_create(
            goal=goal, defaults={"metric": metric}
        )
        tracking.aggregation = aggregation
        tracking.metric = metric
        tracking.denominator = denominator if aggregation == Aggregation.RATIO else ""
        tracking.full_clean(exclude=["goal"])
        tracking.version = F("version") + 1
        tracking.save()
        tracking.refresh_from_db()
        record_event(
            actor=actor,
            project=goal.project,
            verb="set how it is measured",
            target=goal,
            message=f"Measured by {tracking.metric} ({tracking.get_aggregation_display()}).",
        )
        goals_evaluate(project=goal.project)
    return tracking


def goals_evaluate(*, project: Project, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """Evaluate every goal of the project; tell its managers when one gets worse.

    Getting worse is moving up from on track (or no data) to at risk, or from at risk
    to off track. Run daily and after every import; a second run on the same day finds
    the same status and tells nobody again (and the notification's key is per day).
    """
    as_of = as_of or timezone.localdate()
    figures = report_figures(project, as_of=as_of)
    now = timezone.now()
    worse = []
    with transaction.atomic():
        existing = {
            t.goal_id: t
            for t in GoalTracking.objects.select_for_update().filter(goal__project=project)
        }
        for row in figures["goals"]:
            if row["status"] == Trajectory.NOT_MEASURED:
                continue
            tracking = existing.get(row["id"])
            if tracking is None:
                # A guessed measure becomes the goal's own, so its status has a history.
                tracking = GoalTracking.objects.create(
                    goal_id=row["id"], metric=row["tracked_metric"], aggregation=row["aggregation"]
                )
            before = TRAJECTORY_RANK.get(tracking.status, 0)
            after = TRAJECTORY_RANK.get(row["status"], 0)
            if after > before:
                worse.append(row)
                emit(EventType.GOAL_AT_RISK, tracking, evaluation=row)
            GoalTracking.objects.filter(pk=tracking.pk).update(
                status=row["status"], actual=row["actual"], evaluated_at=now
            )
        if worse:
            _tell_managers(project, worse, as_of)
    return figures["goals"]


def _tell_managers(project: Project, rows: list[dict[str, Any]], as_of: dt.date) -> None:
    from django.urls import reverse

    managers = [
        m.user
        for m in Membership.objects.filter(project=project, role=Role.MANAGER).select_related(
            "user"
        )
    ]
    people = {u.pk: u for u in [*managers, project.owner]}
    for row in rows:
        unit = f" {row['unit']}" if row["unit"] else ""
        notify(
            recipients=people.values(),
            kind=NotificationKind.GOAL_OFF_TRACK,
            title=f"Goal “{row['metric']}” of {project} is {row['status_label'].lower()}",
            body=(
                f"Actual {row['actual']}{unit}; the line from {row['baseline']} to "
                f"{row['target']} by {row['due_date']} expects {row['expected']}{unit} today "
                f"({row['lag_pct']} % of the way behind)."
            ),
            url=reverse("performance:dashboard", args=[project.pk]),
            project=project,
            dedupe_key=f"goal:{row['id']}:{row['status']}:{as_of.isoformat()}",
        )


def snapshot_create(
    *, actor: User, project: Project, as_of: dt.date, title: str = ""
) -> ReportSnapshot:
    """Freeze the report's figures as of a day: later samples never change it."""
    if as_of > timezone.localdate():
        raise ValidationError({"as_of": "A snapshot cannot be of a day still to come."})
    figures = report_figures(project, as_of=as_of)
    title = title.strip() or f"{project.name} as of {as_of:%-d %b %Y}"
    with transaction.atomic():
        snapshot = ReportSnapshot.objects.create(
            project=project, title=title[:200], as_of=as_of, figures=figures, created_by=actor
        )
        record_created(actor=actor, project=project, target=snapshot)
    return snapshot


def report_link_create(
    *, actor: User, project: Project, snapshot: ReportSnapshot | None = None
) -> tuple[ReportLink, str]:
    """A read-only link to the live report or a snapshot; the token is returned once."""
    if snapshot is not None and snapshot.project_id != project.pk:
        raise PermissionDenied("That snapshot belongs to another project.")
    token = new_token()
    with transaction.atomic():
        link = ReportLink.objects.create(
            project=project, snapshot=snapshot, token_hash=hash_token(token), created_by=actor
        )
        record_event(
            actor=actor,
            project=project,
            verb="shared",
            target=snapshot or project,
            message="A read-only report link was created.",
        )
    return link, token


def report_link_revoke(*, actor: User, link: ReportLink) -> None:
    with transaction.atomic():
        revoked = ReportLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if revoked:
            record_event(
                actor=actor,
                project=link.project,
                verb="revoked a link to",
                target=link.snapshot or link.project,
            )


def report_link_by_token(token: str) -> ReportLink | None:
    link = (
        ReportLink.objects.select_related("project", "snapshot")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )
    if link is None:
        return None
    ReportLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
    return link


# Digests go out from this local hour on the first day of their period (Monday for a
# weekly one); a run later in the period still sends the one it missed.
DIGEST_HOUR = 7


@dataclass(frozen=True)
class DigestPeriod:
    key: str  # "2026-11-23" or "2026-W48": what the claim on the user records
    start: dt.datetime  # what the digest covers, [start, end), aware
    end: dt.datetime
    today: dt.date  # the user's local date when it is sent: goals are as of it


def digest_period_due(user: User, now: dt.datetime) -> DigestPeriod | None:
    """The period whose digest is due for the user at `now`, in their own time zone: a
    daily digest covers yesterday, a weekly one last Monday to Sunday."""
    try:
        zone = zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = now.astimezone(zone)
    today = local.date()
    if user.digest == Digest.DAILY:
        first, days, key = today, 1, today.isoformat()
    elif user.digest == Digest.WEEKLY:
        year, week, weekday = today.isocalendar()
        first, days, key = today - dt.timedelta(days=weekday - 1), 7, f"{year}-W{week:02d}"
    else:
        return None
    if local < dt.datetime.combine(first, dt.time(DIGEST_HOUR), tzinfo=zone):
        return None
    end = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    start = dt.datetime.combine(first - dt.timedelta(days=days), dt.time(0), tzinfo=zone)
    return DigestPeriod(key=key, start=start, end=end, today=today)


def digest_send(*, user_id: int, now: dt.datetime) -> bool:
    """Send the user's digest for the period due at `now`, once: safe to run any number
    of times, in parallel too. Returns whether an e-mail went out.

    The period is claimed on the user row by a conditional UPDATE in the same transaction
    as the send: a second run finds it claimed (or waits for the first to commit), and a
    send that fails rolls the claim back for the next run. A period with nothing to say
    stays claimed, so it is not searched again every hour.
    """
    from synchrony.accounts.models import User

    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None:
        return False
    period = digest_period_due(user, now)
    if period is None or user.digest_period == period.key:
        return False
    with transaction.atomic():
        claimed = (
            User.objects.filter(pk=user.pk, digest=user.digest)
            .exclude(digest_period=period.key)
            .update(digest_period=period.key)
        )
        if not claimed:
            return False
        content = digest_for_user(user, start=period.start, end=period.end, as_of=period.today)
        if content is None:
            return False
        context = {
            **content,
            "user": user,
            "period": period,
            "weekly": user.digest == Digest.WEEKLY,
            "site_url": settings.SITE_URL,
            "zone": period.start.tzinfo,
            "last_day": period.end.date() - dt.timedelta(days=1),
        }
        if context["weekly"]:
            subject = f"Your projects in the week to {context['last_day']:%-d %b %Y}"
        else:
            subject = f"Your projects on {context['last_day']:%A %-d %b %Y}"
        message = EmailMultiAlternatives(
            subject=f"[Synchrony] {subject}",
            body=render_to_string("performance/email/digest.txt", context),
            to=[user.email],
        )
        message.attach_alternative(
            render_to_string("performance/email/digest.html", context), "text/html"
        )
        message.send()
    return True

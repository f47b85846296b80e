"""Checking metric samples row by row, and writing them by idempotent upsert.

Every way in (manual entry, CSV, the API) ends here: rows are checked against what
the database knows, loaded once per batch in a constant number of queries, and either
all of them are written or none. A row's identity is (project, channel, activation,
metric, date, source); writing it again replaces its value, so a batch sent twice
changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from synchrony.launches.models import Activation, Channel
from synchrony.lib.dates import why_not_a_date
from synchrony.performance.models import (
    BUILTIN_KINDS,
    BuiltinMetric,
    CustomMetric,
    MetricKind,
    MetricSample,
    source_validator,
)
from synchrony.projects.selectors import Need, projects_for_user, role_allows

if TYPE_CHECKING:
    from synchrony.accounts.models import User
    from synchrony.performance.models import MetricImport
    from synchrony.projects.models import Project

# Measuring goes on after a promotion ends (late conversions, renewals): this long.
AFTER_PROMOTION = dt.timedelta(days=90)
# A project without a promotion start accepts figures from this far back.
DEFAULT_LOOKBACK = dt.timedelta(days=730)
# Values are stored with 18 digits, 2 after the point.
MAX_VALUE = Decimal("1e15")
# Errors kept for the preview and the API's answer; the rest are counted.
MAX_ERRORS = 200
WRITE_BATCH = 2000

FIELDS = ("project", "channel", "activation", "metric", "date", "value", "source")
UPSERT_KEY = ["project", "channel", "activation_key", "metric", "date", "source"]
UPSERT_UPDATES = ["value", "activation", "recorded_by", "metric_import", "updated_at"]


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


class SamplesInvalid(Exception):
    """The batch has errors; nothing was written."""

    def __init__(self, errors: list[RowError], total: int) -> None:
        self.errors = errors
        self.total = total
        super().__init__(f"{total} error(s) in the batch; nothing was saved.")


@dataclass
class ProjectRules:
    project: Project
    first_day: dt.date
    last_day: dt.date
    kinds: dict[str, str]
    channel_ids: set[int]

    def window_text(self) -> str:
        return f"{self.first_day:%-d %b %Y} – {self.last_day:%-d %b %Y}"


def project_window(project: Project, today: dt.date) -> tuple[dt.date, dt.date]:
    """The days a project accepts figures for: from the promotion's start (or two years
    back) to today, and no later than 90 days after the promotion ends."""
    first = project.promotion_start or today - DEFAULT_LOOKBACK
    last = today
    if project.promotion_end is not None:
        last = min(last, project.promotion_end + AFTER_PROMOTION)
    return first, last


def example_sample(project: Project, today: dt.date) -> dict[str, Any] | None:
    """A sample this project would accept today, for the pages that show how to send
    one: a day inside its measuring window (its last, the most recent it takes) and one
    of its channels; None while it has no channel or its promotion has not begun."""
    first, last = project_window(project, today)
    channel = project.channels.order_by("name").values_list("name", flat=True).first()
    if first > last or channel is None:
        return None
    return {
        "project": project.pk,
        "channel": channel,
        "metric": "leads",
        "date": last.isoformat(),
        "value": 42,
        "source": "crm",
    }


def metric_kinds(project_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    kinds: dict[int, dict[str, str]] = {pk: dict(BUILTIN_KINDS) for pk in project_ids}
    for project_id, key, kind in CustomMetric.objects.filter(project_id__in=kinds).values_list(
        "project_id", "key", "kind"
    ):
        kinds[project_id][key] = kind
    return kinds


@dataclass
class Checker:
    """What a batch's rows are checked against, loaded once.

    With `project`, every row belongs to it (a CSV file, a form); without, each row
    names its project or an activation (the API), and the actor must be allowed to add
    figures to that project: a contributor or a manager.
    """

    actor: User
    default_source: str
    today: dt.date
    rules: dict[int, ProjectRules] = field(default_factory=dict)
    refused_projects: set[int] = field(default_factory=set)
    channels_by_id: dict[int, Channel] = field(default_factory=dict)
    channels_by_name: dict[str, Channel] = field(default_factory=dict)
    activations: dict[int, tuple[int, int]] = field(default_factory=dict)  # id → project, channel
    fixed_project: int | None = None
    seen: dict[tuple, int] = field(default_factory=dict)

    @classmethod
    def for_project(
        cls, *, actor: User, project: Project, default_source: str, today: dt.date | None = None
    ) -> Checker:
        checker = cls(actor=actor, default_source=default_source, today=today or _today())
        checker.fixed_project = project.pk
        checker._load([project], activation_ids=None)
        return checker

    @classmethod
    def for_rows(
        cls,
        *,
        actor: User,
        rows: list[Mapping[str, Any]],
        default_source: str,
        today: dt.date | None = None,
    ) -> Checker:
        checker = cls(actor=actor, default_source=default_source, today=today or _today())
        activation_ids = {i for r in rows if (i := _int(r.get("activation"))) is not None}
        project_ids = {i for r in rows if (i := _int(r.get("project"))) is not None}
        found = Activation.objects.filter(pk__in=activation_ids).values_list(
            "pk", "launch__project_id", "channel_id"
        )
        for pk, project_id, channel_id in found:
            checker.activations[pk] = (project_id, channel_id)
            project_ids.add(project_id)
        projects = list(projects_for_user(actor).filter(pk__in=project_ids))
        allowed = [
            p for p in projects if role_allows(p.user_role, Need.CONTRIBUTE) and not p.is_closed
        ]
        checker.refused_projects = {p.pk for p in projects} - {p.pk for p in allowed}
        checker._load(allowed, activation_ids=activation_ids)
        return checker

    def _load(self, projects: Sequence[Project], activation_ids: set[int] | None) -> None:
        kinds = metric_kinds([p.pk for p in projects])
        for project in projects:
            first, last = project_window(project, self.today)
            self.rules[project.pk] = ProjectRules(project, first, last, kinds[project.pk], set())
        if not projects:
            return
        ids = list(self.rules)
        linked = _project_channels(ids)
        for project_id, channel_id in linked:
            self.rules[project_id].channel_ids.add(channel_id)
        query = Activation.objects.filter(launch__project_id__in=ids)
        if activation_ids is not None:
            query = query.filter(pk__in=activation_ids)
        for pk, project_id, channel_id in query.values_list(
            "pk", "launch__project_id", "channel_id"
        ):
            self.activations[pk] = (project_id, channel_id)
            self.rules[project_id].channel_ids.add(channel_id)
        # Channels are few (tens): all of them, so names resolve without a query per row.
        for channel in Channel.objects.only("pk", "name", "colour"):
            self.channels_by_id[channel.pk] = channel
            self.channels_by_name[channel.name.casefold()] = channel

    def check(
        self, row_number: int, row: Mapping[str, Any], errors: ErrorList
    ) -> MetricSample | None:
        """One row as a sample, or None with its errors added."""
        before = errors.total

        def fail(name: str, message: str) -> None:
            errors.add(RowError(row_number, name, message))

        # Project: fixed, or named, or the activation's.
        activation_id = None
        project_id: int | None = self.fixed_project
        raw_activation = _blank_to_none(row.get("activation"))
        if raw_activation is not None:
            activation_id = _int(raw_activation)
            if activation_id is None or activation_id not in self.activations:
                fail("activation", f"No activation {str(raw_activation)[:40]!r} in this project.")
                return None
            activation_project = self.activations[activation_id][0]
            if project_id is not None and activation_project != project_id:
                fail("activation", "That activation belongs to another project.")
                return None
            project_id = activation_project
        raw_project = _blank_to_none(row.get("project"))
        if self.fixed_project is None and raw_project is not None:
            named = _int(raw_project)
            if named is None:
                fail("project", "Give the project's id (a number).")
                return None
            if project_id is not None and named != project_id:
                fail("project", "The activation belongs to another project.")
                return None
            project_id = named
        if project_id is None:
            fail("project", "Say which project (or activation) the figure is for.")
            return None
        rules = self.rules.get(project_id)
        if rules is None:
            message = (
                "Your role on this project does not allow adding figures."
                if project_id in self.refused_projects
                else f"No project {project_id} that you can add figures to."
            )
            fail("project", message)
            return None

        # Channel: named, or the activation's; always one of the project's.
        channel = None
        raw_channel = _blank_to_none(row.get("channel"))
        if raw_channel is not None:
            channel = self._channel(raw_channel)
            if channel is None or channel.pk not in rules.channel_ids:
                fail("channel", f"“{str(raw_channel)[:80]}” is not one of this project's channels.")
        if activation_id is not None:
            activation_channel = self.activations[activation_id][1]
            if channel is not None and channel.pk != activation_channel:
                fail("channel", "The activation goes out on another channel.")
            channel = self.channels_by_id.get(activation_channel)
        elif raw_channel is None:
            fail("channel", "Say which channel (or activation) the figure is for.")

        metric = str(row.get("metric") or "").strip().casefold()
        kind = rules.kinds.get(metric)
        if not metric:
            fail("metric", "Say which metric.")
        elif kind is None:
            known = ", ".join(sorted(rules.kinds))
            fail("metric", f"Unknown metric “{metric[:40]}”. Known here: {known}.")

        day = _date(row.get("date"))
        if day is None:
            raw = row.get("date")
            # February 30th is no date: saying so beats sending them to check the format.
            impossible = why_not_a_date(raw) if isinstance(raw, str) else None
            fail("date", impossible or "Give the date as YYYY-MM-DD.")
        elif not rules.first_day <= day <= rules.last_day:
            if day > self.today:
                fail("date", f"{day:%-d %b %Y} is in the future.")
            else:
                fail(
                    "date",
                    f"{day:%-d %b %Y} is outside this project's measuring window "
                    f"({rules.window_text()}).",
                )

        value = _value(row.get("value"), kind, fail)

        source = str(_blank_to_none(row.get("source")) or self.default_source).strip().lower()
        try:
            source_validator(source)
        except ValidationError as error:
            fail("source", error.messages[0])

        if errors.total > before or channel is None or day is None or value is None:
            return None
        key = (project_id, channel.pk, activation_id or 0, metric, day, source)
        first = self.seen.setdefault(key, row_number)
        if first != row_number:
            fail("row", f"Repeats row {first} (same channel, metric, date and source).")
            return None
        return MetricSample(
            project_id=project_id,
            channel_id=channel.pk,
            activation_id=activation_id,
            activation_key=activation_id or 0,
            metric=metric,
            date=day,
            source=source,
            value=value,
            recorded_by=self.actor,
        )

    def _channel(self, raw: Any) -> Channel | None:
        number = _int(raw)
        if number is not None:
            return self.channels_by_id.get(number)
        return self.channels_by_name.get(str(raw).strip().casefold())


def _project_channels(project_ids: list[int]) -> list[tuple[int, int]]:
    from synchrony.projects.models import Project

    through = Project.channels.through
    return list(
        through.objects.filter(project_id__in=project_ids).values_list("project_id", "channel_id")
    )


class ErrorList:
    """Errors of a batch: the first MAX_ERRORS kept, all counted."""

    def __init__(self) -> None:
        self.items: list[RowError] = []
        self.total = 0

    def add(self, error: RowError) -> None:
        self.total += 1
        if len(self.items) < MAX_ERRORS:
            self.items.append(error)

    def raise_if_any(self) -> None:
        if self.total:
            raise SamplesInvalid(self.items, self.total)


def check_rows(
    checker: Checker, rows: Iterable[tuple[int, Mapping[str, Any]]]
) -> Iterator[MetricSample]:
    """The valid samples of numbered rows; raises SamplesInvalid at the end if any failed.

    A generator, so a large file is checked without holding every row as a dict.
    """
    errors = ErrorList()
    for number, row in rows:
        sample = checker.check(number, row, errors)
        if sample is not None and not errors.total:
            yield sample
    errors.raise_if_any()


def upsert(samples: Iterable[MetricSample], *, metric_import: MetricImport | None = None) -> int:
    """Write samples by (project, channel, activation, metric, date, source); returns the count.

    The caller holds the transaction: all or nothing.
    """
    now = timezone.now()
    count = 0
    chunk: list[MetricSample] = []
    for sample in samples:
        sample.updated_at = now
        sample.metric_import = metric_import
        chunk.append(sample)
        if len(chunk) >= WRITE_BATCH:
            count += _write(chunk)
            chunk = []
    if chunk:
        count += _write(chunk)
    return count


def _write(chunk: list[MetricSample]) -> int:
    MetricSample.objects.bulk_create(
        chunk,
        batch_size=WRITE_BATCH,
        update_conflicts=True,
        unique_fields=UPSERT_KEY,
        update_fields=UPSERT_UPDATES,
    )
    return len(chunk)


def _today() -> dt.date:
    return timezone.localdate()


def _blank_to_none(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**63 else None
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 19:
        number = int(value.strip())
        return number or None
    return None


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or len(value.strip()) != 10:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def _value(raw: Any, kind: str | None, fail: Any) -> Decimal | None:
    if isinstance(raw, bool) or raw is None or (isinstance(raw, str) and not raw.strip()):
        fail("value", "Give a number.")
        return None
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        fail("value", f"“{str(raw)[:40]}” is not a number.")
        return None
    if not value.is_finite() or abs(value) >= MAX_VALUE:
        fail("value", "The number is out of range.")
        return None
    if kind == MetricKind.COUNT:
        if value < 0:
            fail("value", "A count cannot be negative.")
            return None
        if value != value.to_integral_value():
            fail("value", "A count is a whole number.")
            return None
        return value.quantize(Decimal(1))
    if kind == MetricKind.AMOUNT and value < 0:
        fail("value", "An amount cannot be negative.")
        return None
    if value != value.quantize(Decimal("0.01")):
        fail("value", "At most two digits after the decimal point.")
        return None
    return value.quantize(Decimal("0.01"))


def metric_label(key: str, custom: Mapping[str, str] | None = None) -> str:
    if key in BuiltinMetric.values:
        return str(BuiltinMetric(key).label)
    return (custom or {}).get(key, key.replace("_", " ").capitalize())

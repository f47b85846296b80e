"""Channel metrics, how goals are measured by them, and the reports shared from them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse


class MetricKind(models.TextChoices):
    COUNT = "count", "Count (whole numbers, never negative)"
    AMOUNT = "amount", "Amount of money (never negative)"
    LEVEL = "level", "Level (a rate or score; may be negative)"


class BuiltinMetric(models.TextChoices):
    IMPRESSIONS = "impressions", "Impressions"
    CLICKS = "clicks", "Clicks"
    LEADS = "leads", "Leads"
    CONVERSIONS = "conversions", "Conversions"
    SPEND = "spend", "Spend"
    REVENUE = "revenue", "Revenue"


BUILTIN_KINDS: dict[str, str] = {
    BuiltinMetric.IMPRESSIONS: MetricKind.COUNT,
    BuiltinMetric.CLICKS: MetricKind.COUNT,
    BuiltinMetric.LEADS: MetricKind.COUNT,
    BuiltinMetric.CONVERSIONS: MetricKind.COUNT,
    BuiltinMetric.SPEND: MetricKind.AMOUNT,
    BuiltinMetric.REVENUE: MetricKind.AMOUNT,
}

metric_key_validator = RegexValidator(
    r"^[a-z][a-z0-9_]{0,39}$",
    "Use lower-case letters, digits and underscores, starting with a letter.",
)
source_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_.-]{0,39}$",
    "A source is lower-case letters, digits, dots, dashes or underscores (at most 40).",
)


class CustomMetric(models.Model):
    """A metric one project measures beyond the built-in ones (renewals, sign-ups…)."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="custom_metrics"
    )
    key = models.CharField(max_length=40, validators=[metric_key_validator])
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=MetricKind.choices, default=MetricKind.COUNT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="one_custom_metric_per_key")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.key in BUILTIN_KINDS:
            raise ValidationError({"key": f"“{self.key}” is a built-in metric already."})


class ImportStatus(models.TextChoices):
    READY = "ready", "Checked, waiting for confirmation"
    QUEUED = "queued", "Queued"
    IMPORTING = "importing", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed, nothing saved"


class MetricImport(models.Model):
    """One uploaded CSV file: who sent it, from which source, how many rows, what became of it.

    The file is kept until it is imported (the import re-reads and re-checks it under
    its transaction) and dropped afterwards: the samples themselves are the record.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="metric_imports"
    )
    file_name = models.CharField(max_length=255)
    source = models.CharField(max_length=40, validators=[source_validator])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=ImportStatus.choices)
    rows = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveIntegerField(default=0)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=5, blank=True)
    content = models.BinaryField(blank=True, default=b"")
    # What the check found (rows, totals per metric, days, the first rows): the preview.
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name

    def get_absolute_url(self) -> str:
        return reverse("performance:import", args=[self.pk])

    @property
    def delimiter_label(self) -> str:
        return {",": "comma", ";": "semicolon", "\t": "tab"}.get(self.delimiter, self.delimiter)


class MetricSample(models.Model):
    """One metric's value for one day, on an activation or a channel, from one source.

    A sample is identified by (project, channel, activation, metric, date, source) and
    written by upsert: sending the same figures again changes nothing. `activation_key`
    is the activation's id, or 0 for the channel as a whole: NULLs never conflict in a
    unique index (SQLite, PostgreSQL before 15), so the key cannot use the nullable FK.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="metric_samples"
    )
    channel = models.ForeignKey(
        "launches.Channel", on_delete=models.PROTECT, related_name="metric_samples"
    )
    activation = models.ForeignKey(
        "launches.Activation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="metric_samples",
    )
    activation_key = models.PositiveBigIntegerField(default=0)
    metric = models.CharField(max_length=40)
    date = models.DateField()
    source = models.CharField(max_length=40, validators=[source_validator])
    value = models.DecimalField(max_digits=18, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    metric_import = models.ForeignKey(
        MetricImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="samples"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "channel", "activation_key", "metric", "date", "source"],
                name="one_sample_per_key",
            )
        ]
        indexes = [
            # The dashboard's sums per metric and day read only this index (PostgreSQL).
            models.Index(
                fields=["project", "metric", "date"],
                include=["value", "channel"],
                name="sample_project_metric_date",
            ),
            models.Index(
                fields=["channel", "metric", "date"],
                include=["value", "project"],
                name="sample_channel_metric_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.date}: {self.value}"


class Aggregation(models.TextChoices):
    TOTAL = "total", "Total since the promotion started, added to the baseline"
    RATIO = "ratio", "One metric as a percentage of another (totals since the start)"
    LATEST = "latest", "Latest day's value (the average over channels)"


class Trajectory(models.TextChoices):
    NOT_MEASURED = "not_measured", "Not measured"
    NO_DATA = "no_data", "No data yet"
    ACHIEVED = "achieved", "Achieved"
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"


# How bad a state is: a goal whose rank rises (on track → at risk → off track) is news.
TRAJECTORY_RANK: dict[str, int] = {
    Trajectory.AT_RISK: 1,
    Trajectory.OFF_TRACK: 2,
}


class GoalTracking(models.Model):
    """Which metric measures a Development goal, and what its last evaluation found."""

    goal = models.OneToOneField("projects.Goal", on_delete=models.CASCADE, related_name="tracking")
    aggregation = models.CharField(
        max_length=10, choices=Aggregation.choices, default=Aggregation.TOTAL
    )
    metric = models.CharField(max_length=40)
    denominator = models.CharField(
        max_length=40, blank=True, help_text="Only for a percentage: the metric it is a share of."
    )
    # Written by the evaluation (daily and after every import); alerts compare against it.
    status = models.CharField(max_length=20, choices=Trajectory.choices, blank=True)
    actual = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "goal measure"

    def __str__(self) -> str:
        return f"{self.goal}: {self.metric}"

    def clean(self) -> None:
        if self.aggregation == Aggregation.RATIO and not self.denominator:
            raise ValidationError(
                {"denominator": "A percentage needs the metric it is a share of."}
            )
        if self.aggregation != Aggregation.RATIO:
            self.denominator = ""
        if self.denominator and self.denominator == self.metric:
            raise ValidationError({"denominator": "Choose a different metric."})


class ReportSnapshot(models.Model):
    """A project's report frozen as of a date: the figures are stored, not recomputed."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="performance_snapshots"
    )
    title = models.CharField(max_length=200)
    as_of = models.DateField()
    figures = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("performance:snapshot", args=[self.pk])


class ReportLink(models.Model):
    """A read-only link to a project's live report, or to one snapshot. Only the hash is kept."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="performance_links"
    )
    snapshot = models.ForeignKey(
        ReportSnapshot, on_delete=models.CASCADE, null=True, blank=True, related_name="links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Link to {self.snapshot or 'the live report'}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

from __future__ import annotations

from django.contrib import admin

from synchrony.performance.models import (
    CustomMetric,
    GoalTracking,
    MetricImport,
    MetricSample,
    ReportLink,
    ReportSnapshot,
)


@admin.register(MetricSample)
class MetricSampleAdmin(admin.ModelAdmin):
    list_display = ["date", "project", "channel", "metric", "value", "source"]
    list_filter = ["metric", "source"]
    raw_id_fields = ["project", "channel", "activation", "recorded_by", "metric_import"]
    show_full_result_count = False


@admin.register(MetricImport)
class MetricImportAdmin(admin.ModelAdmin):
    list_display = ["file_name", "project", "source", "rows", "status", "created_by", "created_at"]
    list_filter = ["status"]
    exclude = ["content"]
    readonly_fields = ["summary", "error"]


@admin.register(CustomMetric)
class CustomMetricAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "kind", "project"]


@admin.register(GoalTracking)
class GoalTrackingAdmin(admin.ModelAdmin):
    list_display = ["goal", "aggregation", "metric", "denominator", "status", "evaluated_at"]


@admin.register(ReportSnapshot)
class ReportSnapshotAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "as_of", "created_by", "created_at"]
    exclude = ["figures"]


@admin.register(ReportLink)
class ReportLinkAdmin(admin.ModelAdmin):
    list_display = ["project", "snapshot", "created_by", "created_at", "revoked_at", "last_used_at"]
    readonly_fields = ["token_hash"]

from __future__ import annotations

from django.contrib import admin

from synchrony.standups.models import ActionItem, Meeting, StandupSeries


@admin.register(StandupSeries)
class StandupSeriesAdmin(admin.ModelAdmin):
    list_display = ("name", "weekday", "local_time", "time_zone", "facilitator", "archived_at")
    list_filter = ("cadence_weeks", "weekday")
    search_fields = ("name",)
    filter_horizontal = ("projects", "attendees")
    raw_id_fields = ("facilitator", "created_by")


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("series", "local_date", "starts_at", "status", "started_at", "ended_at")
    list_filter = ("status",)
    search_fields = ("series__name", "summary")
    date_hierarchy = "starts_at"
    readonly_fields = ("summary",)
    raw_id_fields = ("series", "started_by", "ended_by")


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "due_date", "project", "task", "closed_at")
    search_fields = ("title",)
    raw_id_fields = ("meeting", "series", "owner", "project", "task", "created_by", "closed_by")

from __future__ import annotations

from django.contrib import admin

from synchrony.activity.models import ActivityEvent, Notification


@admin.register(ActivityEvent)
class ActivityEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "verb", "target_label", "project")
    list_filter = ("verb", "target_type")
    search_fields = ("target_label", "message")
    readonly_fields = [f.name for f in ActivityEvent._meta.fields]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "kind", "title", "read_at", "emailed_at")
    list_filter = ("kind",)

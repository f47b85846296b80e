from __future__ import annotations

from django.contrib import admin

from synchrony.planning.models import BudgetLine, ContentComment, ContentItem, Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "project", "stage", "owner", "due_date", "status")
    list_filter = ("status", "stage")
    search_fields = ("title",)


admin.site.register(ContentItem)
admin.site.register(ContentComment)
admin.site.register(BudgetLine)

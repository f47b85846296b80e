from __future__ import annotations

from django.contrib import admin

from synchrony.projects.models import Goal, InputRequest, Membership, Project, StageTransition


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "stage", "owner", "promotion_start", "promotion_end")
    list_filter = ("stage",)
    search_fields = ("name", "summary")
    inlines = [MembershipInline]
    readonly_fields = ("version", "budget_approved_at", "budget_approved_by")


admin.site.register(Goal)
admin.site.register(InputRequest)
admin.site.register(StageTransition)

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
    # Stage and approvals change only through the app, where they are checked and recorded.
    readonly_fields = ("stage", "version", "budget_approved_at", "budget_approved_by")


@admin.register(InputRequest)
class InputRequestAdmin(admin.ModelAdmin):
    list_display = ("title", "project", "kind", "status", "required")
    readonly_fields = ("status", "response", "responded_by", "responded_at", "version")


@admin.register(StageTransition)
class StageTransitionAdmin(admin.ModelAdmin):
    """The audit trail of stage moves: readable, never rewritten."""

    list_display = ("created_at", "project", "from_stage", "to_stage", "actor", "overridden")

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


admin.site.register(Goal)

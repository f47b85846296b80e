from __future__ import annotations

from django.contrib import admin

from synchrony.reviews.models import Lesson, LessonApplication, ReportLink, Retrospective


@admin.register(Retrospective)
class RetrospectiveAdmin(admin.ModelAdmin):
    """Settings only. Board items are deliberately not in the admin: the board is the
    team's, and the app is where anonymity is enforced."""

    list_display = ("__str__", "phase", "facilitator", "created_at", "finished_at")
    list_filter = ("phase",)
    readonly_fields = ("project", "launch", "phase", "version", "created_by", "finished_at")


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ("title", "project", "status", "stage", "kind", "published_at")
    list_filter = ("status", "stage", "kind")
    search_fields = ("title", "do_differently", "what_happened")
    readonly_fields = (
        "retrospective",
        "project",
        "item",
        "group",
        "created_by",
        "published_by",
        "published_at",
        "version",
    )


@admin.register(LessonApplication)
class LessonApplicationAdmin(admin.ModelAdmin):
    list_display = ("lesson", "project", "status", "outcome", "decided_at")
    list_filter = ("status", "outcome")


@admin.register(ReportLink)
class ReportLinkAdmin(admin.ModelAdmin):
    """Tokens are shown once, when made; only their hash is here."""

    list_display = ("project", "created_by", "created_at", "expires_at", "revoked_at")
    readonly_fields = ("project", "token_hash", "created_by", "last_used_at")

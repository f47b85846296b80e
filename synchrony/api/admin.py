from __future__ import annotations

from django.contrib import admin

from synchrony.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "hint", "read_only", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["read_only"]
    search_fields = ["name", "user__username"]
    readonly_fields = ["token_hash", "hint", "created_at", "last_used_at"]

from __future__ import annotations

from django.contrib import admin

from synchrony.launches.models import Channel


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "owner", "colour", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)

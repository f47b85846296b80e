from __future__ import annotations

from django.contrib import admin

from synchrony.launches.models import Channel


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "adapter", "owner", "colour", "is_active", "disabled_at")
    list_filter = ("kind", "adapter", "is_active")
    search_fields = ("name",)
    # The secrets are rotated on the channel's settings page, which keeps the previous
    # one valid for a day; typing one in here would break receivers at once.
    readonly_fields = ("signing_secret", "previous_secret", "previous_secret_until")

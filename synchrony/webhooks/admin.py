from __future__ import annotations

from django.contrib import admin

from synchrony.webhooks.models import Delivery, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "description", "owner", "enabled", "consecutive_failures", "disabled_at")
    list_filter = ("enabled",)
    search_fields = ("url", "description")
    # A secret is shown once, when it is made (on the endpoint's settings page, which
    # also rotates it and keeps the previous one valid for a day): never here.
    exclude = ("signing_secret", "previous_secret")
    readonly_fields = ("previous_secret_until", "consecutive_failures", "version")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("event", "endpoint", "state", "attempts", "status_code", "created_at")
    list_filter = ("state",)
    list_select_related = ("event", "endpoint")
    readonly_fields = [f.name for f in Delivery._meta.fields]

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from synchrony.accounts.models import Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        # Never None on Django's UserAdmin; typed optional, as on every ModelAdmin.
        *(BaseUserAdmin.fieldsets or ()),
        ("Synchrony", {"fields": ("time_zone", "teams", "email_opt_out")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Synchrony", {"fields": ("email", "first_name", "last_name", "time_zone", "teams")}),
    )
    filter_horizontal = ("groups", "user_permissions", "teams")
    list_display = ("username", "email", "first_name", "last_name", "time_zone", "is_staff")
    list_filter = ("is_staff", "is_active", "teams")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "description")
    search_fields = ("name",)

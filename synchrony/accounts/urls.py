from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from synchrony.accounts import views

app_name = "accounts"
urlpatterns = [
    path("settings/", views.settings_view, name="settings"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("accounts:password-done")),
        name="password-change",
    ),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password-done"),
]

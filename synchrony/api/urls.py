from __future__ import annotations

from django.urls import path

from synchrony.api import views
from synchrony.performance import api as performance_api

app_name = "api"
urlpatterns = [
    path("settings/api-tokens/", views.tokens, name="tokens"),
    path("settings/api-tokens/<int:token_pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("api/v1/metrics/samples/", performance_api.samples, name="metric-samples"),
]

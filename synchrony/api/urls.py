from __future__ import annotations

from django.urls import path

from synchrony.api import views
from synchrony.performance import api as performance_api
from synchrony.reviews import api as reviews_api

app_name = "api"
urlpatterns = [
    path("settings/api-tokens/", views.tokens, name="tokens"),
    path("settings/api-tokens/<int:token_pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("api/v1/metrics/samples/", performance_api.samples, name="metric-samples"),
    path("api/v1/retrospectives/<int:retro_pk>/", reviews_api.retrospective, name="retrospective"),
    path(
        "api/v1/retrospectives/<int:retro_pk>/items/<uuid:item_pk>/",
        reviews_api.retrospective_item,
        name="retrospective-item",
    ),
    path("api/v1/lessons/", reviews_api.lessons, name="lessons"),
]

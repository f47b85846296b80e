from __future__ import annotations

from django.urls import path

from synchrony.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("settings/webhooks/", views.endpoints, name="endpoints"),
    path("settings/webhooks/<int:endpoint_pk>/", views.endpoint_edit, name="endpoint"),
    path("settings/webhooks/<int:endpoint_pk>/deliveries/", views.deliveries, name="deliveries"),
    path("settings/webhooks/<int:endpoint_pk>/rotate-secret/", views.rotate, name="rotate"),
    path("settings/webhooks/<int:endpoint_pk>/enable/", views.enable, name="enable"),
    path("settings/webhooks/<int:endpoint_pk>/test/", views.send_test, name="test"),
    path("settings/webhooks/<int:endpoint_pk>/delete/", views.delete, name="delete"),
    path("settings/webhooks/deliveries/<int:delivery_pk>/replay/", views.replay, name="replay"),
]

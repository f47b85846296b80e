from __future__ import annotations

from django.urls import path

from synchrony.launches import views

app_name = "launches"
urlpatterns = [
    path("channels/", views.channel_list, name="channels"),
    path("channels/<int:channel_pk>/settings/", views.channel_edit, name="channel-edit"),
    path("channels/<int:channel_pk>/rotate-secret/", views.channel_rotate, name="channel-rotate"),
    path("channels/<int:channel_pk>/enable/", views.channel_enable, name="channel-enable"),
    path("launches/sync-health/", views.sync_health, name="sync-health"),
    path("projects/<int:pk>/launches/", views.project_launches, name="project"),
    path("projects/<int:pk>/launches/new/", views.launch_create, name="create"),
    path("projects/<int:pk>/milestones/new/", views.milestone_create, name="milestone-create"),
    path("milestones/<int:milestone_pk>/delete/", views.milestone_delete, name="milestone-delete"),
    path("launches/<int:launch_pk>/", views.launch_detail, name="detail"),
    path("launches/<int:launch_pk>/edit/", views.launch_edit, name="edit"),
    path("launches/<int:launch_pk>/move/", views.launch_move, name="move"),
    path("launches/<int:launch_pk>/status/", views.launch_status, name="status"),
    path("launches/<int:launch_pk>/hold/", views.launch_hold, name="hold"),
    path("launches/<int:launch_pk>/activations/", views.activation_add, name="activation-add"),
    path("activations/<int:activation_pk>/edit/", views.activation_edit, name="activation-edit"),
    path(
        "activations/<int:activation_pk>/remove/", views.activation_remove, name="activation-remove"
    ),
    path("activations/<int:activation_pk>/retry/", views.activation_retry, name="activation-retry"),
    path("activations/<int:activation_pk>/done/", views.activation_done, name="activation-done"),
    path("launches/<int:launch_pk>/gates/", views.gate_create, name="gate-create"),
    path("gates/<int:gate_pk>/status/", views.gate_status, name="gate-status"),
]

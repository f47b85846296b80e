from __future__ import annotations

from django.urls import path

from synchrony.projects import views

app_name = "projects"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("projects/", views.project_list, name="list"),
    path("projects/new/", views.project_create, name="create"),
    path("projects/<int:pk>/", views.project_detail, name="detail"),
    path("projects/<int:pk>/stage/<slug:stage>/", views.project_stage, name="stage"),
    path("projects/<int:pk>/edit/", views.project_edit, name="edit"),
    path("projects/<int:pk>/move/", views.project_move, name="move"),
    path("projects/<int:pk>/history/", views.project_history, name="history"),
    path("projects/<int:pk>/members/", views.project_members, name="members"),
    path(
        "projects/<int:pk>/members/<int:member_pk>/remove/",
        views.member_remove,
        name="member-remove",
    ),
    path("projects/<int:pk>/goals/new/", views.goal_create, name="goal-create"),
    path("goals/<int:goal_pk>/edit/", views.goal_edit, name="goal-edit"),
    path("goals/<int:goal_pk>/delete/", views.goal_delete, name="goal-delete"),
    path("projects/<int:pk>/requests/new/", views.request_create, name="request-create"),
    path("requests/<int:request_pk>/", views.request_detail, name="request"),
    path("requests/<int:request_pk>/reask/", views.request_reask, name="request-reask"),
    path("requests/<int:request_pk>/delete/", views.request_delete, name="request-delete"),
]

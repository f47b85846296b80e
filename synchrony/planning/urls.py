from __future__ import annotations

from django.urls import path

from synchrony.planning import views

app_name = "planning"
urlpatterns = [
    path("projects/<int:pk>/tasks/new/", views.task_create, name="task-create"),
    path("tasks/<int:task_pk>/edit/", views.task_edit, name="task-edit"),
    path("tasks/<int:task_pk>/status/", views.task_status, name="task-status"),
    path("tasks/<int:task_pk>/delete/", views.task_delete, name="task-delete"),
    path("projects/<int:pk>/content/new/", views.content_create, name="content-create"),
    path("content/<int:content_pk>/", views.content_detail, name="content"),
    path("content/<int:content_pk>/edit/", views.content_edit, name="content-edit"),
    path("content/<int:content_pk>/submit/", views.content_submit, name="content-submit"),
    path("content/<int:content_pk>/review/", views.content_review, name="content-review"),
    path("content/<int:content_pk>/comment/", views.content_comment, name="content-comment"),
    path("content/<int:content_pk>/delete/", views.content_delete, name="content-delete"),
    path("projects/<int:pk>/budget/new/", views.budget_line_create, name="budget-create"),
    path("projects/<int:pk>/budget/approve/", views.budget_approve, name="budget-approve"),
    path("budget/<int:line_pk>/edit/", views.budget_line_edit, name="budget-edit"),
    path("budget/<int:line_pk>/delete/", views.budget_line_delete, name="budget-delete"),
]

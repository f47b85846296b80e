from __future__ import annotations

from django.urls import path, re_path

from synchrony.reviews import views

app_name = "reviews"
# Report tokens are 43 URL-safe characters; anything else does not even reach a view.
TOKEN = r"(?P<token>[A-Za-z0-9_-]{43})"
RETRO = "retrospectives/<int:retro_pk>/"
urlpatterns = [
    path("projects/<int:pk>/retrospectives/", views.project_reviews, name="project"),
    path("projects/<int:pk>/retrospectives/start/", views.retro_start, name="start"),
    path(RETRO, views.retro_detail, name="retro"),
    path(f"{RETRO}settings/edit/", views.retro_edit, name="retro-edit"),
    path(f"{RETRO}phase/", views.phase_move, name="phase"),
    path(f"{RETRO}participants/", views.participant_add, name="invite"),
    path(
        f"{RETRO}participants/<int:participant_pk>/remove/",
        views.participant_remove,
        name="participant-remove",
    ),
    path(f"{RETRO}items/", views.item_add, name="item-add"),
    path(f"{RETRO}check/", views.blame_check, name="blame-check"),
    path(f"{RETRO}items/<uuid:item_pk>/edit/", views.item_edit, name="item-edit"),
    path(f"{RETRO}items/<uuid:item_pk>/delete/", views.item_delete, name="item-delete"),
    path(f"{RETRO}items/<uuid:item_pk>/group/", views.item_group, name="item-group"),
    path(f"{RETRO}items/<uuid:item_pk>/ungroup/", views.item_ungroup, name="item-ungroup"),
    path("retrospective-groups/<int:group_pk>/edit/", views.group_edit, name="group-edit"),
    path(f"{RETRO}votes/", views.vote, name="vote"),
    path(f"{RETRO}actions/", views.action_create, name="action-create"),
    path(f"{RETRO}goals/<int:goal_pk>/edit/", views.reading_edit, name="reading-edit"),
    path(f"{RETRO}timeline/", views.note_add, name="note-add"),
    path("timeline-notes/<int:note_pk>/delete/", views.note_delete, name="note-delete"),
    path(f"{RETRO}lessons/", views.lesson_create, name="lesson-create"),
    path(f"{RETRO}export.md", views.export_markdown, name="export-md"),
    path(f"{RETRO}export.json", views.export_json, name="export-json"),
    path("lessons/", views.lesson_library, name="lessons"),
    path("lessons/<int:lesson_pk>/", views.lesson_detail, name="lesson"),
    path("lessons/<int:lesson_pk>/edit/", views.lesson_edit, name="lesson-edit"),
    path("lessons/<int:lesson_pk>/publish/", views.lesson_publish, name="lesson-publish"),
    path("lessons/<int:lesson_pk>/unpublish/", views.lesson_unpublish, name="lesson-unpublish"),
    path("lessons/<int:lesson_pk>/delete/", views.lesson_delete, name="lesson-delete"),
    path(
        "projects/<int:pk>/lessons/<int:lesson_pk>/answer/",
        views.lesson_answer,
        name="lesson-answer",
    ),
    path(
        "projects/<int:pk>/lessons/<int:lesson_pk>/undo/",
        views.lesson_unanswer,
        name="lesson-unanswer",
    ),
    path(
        "lesson-applications/<int:application_pk>/outcome/",
        views.application_outcome,
        name="application-outcome",
    ),
    path("projects/<int:pk>/summary/", views.summary, name="summary"),
    path("projects/<int:pk>/summary/links/", views.report_link_create, name="report-link-create"),
    path(
        "report-links/<int:report_link_pk>/revoke/",
        views.report_link_revoke,
        name="report-link-revoke",
    ),
    re_path(rf"^report/{TOKEN}/$", views.shared_report, name="report"),
]

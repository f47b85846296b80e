from __future__ import annotations

from django.urls import path

from synchrony.standups import views

app_name = "standups"
urlpatterns = [
    path("standups/", views.series_index, name="list"),
    path("standups/new/", views.series_create, name="create"),
    path("standups/<int:series_pk>/", views.series_detail, name="series"),
    path("standups/<int:series_pk>/edit/", views.series_edit, name="series-edit"),
    path("standups/<int:series_pk>/archive/", views.series_archive, name="series-archive"),
    path("standups/<int:series_pk>/next/", views.series_next, name="series-next"),
    path("projects/<int:pk>/standups/", views.project_standups, name="project"),
    path("standups/meetings/<int:meeting_pk>/", views.meeting_detail, name="meeting"),
    path("standups/meetings/<int:meeting_pk>/agenda/", views.agenda_write, name="agenda-write"),
    path("standups/meetings/<int:meeting_pk>/start/", views.meeting_start, name="start"),
    path("standups/meetings/<int:meeting_pk>/run/", views.meeting_run, name="run"),
    path("standups/meetings/<int:meeting_pk>/live/", views.meeting_live, name="live"),
    path("standups/meetings/<int:meeting_pk>/end/", views.meeting_end, name="end"),
    path("standups/meetings/<int:meeting_pk>/skip/", views.meeting_skip, name="skip"),
    path("standups/meetings/<int:meeting_pk>/restore/", views.meeting_restore, name="restore"),
    path("standups/meetings/<int:meeting_pk>/attendance/", views.attendance_set, name="attendance"),
    path("standups/meetings/<int:meeting_pk>/discussed/", views.discussed_set, name="discussed"),
    path("standups/meetings/<int:meeting_pk>/notes/", views.note_create, name="note-create"),
    path("standups/notes/<int:standup_note_pk>/edit/", views.note_edit, name="note-edit"),
    path("standups/notes/<int:standup_note_pk>/delete/", views.note_delete, name="note-delete"),
    path("standups/meetings/<int:meeting_pk>/actions/", views.action_create, name="action-create"),
    path(
        "standups/actions/<int:standup_action_pk>/close/", views.action_close, name="action-close"
    ),
]

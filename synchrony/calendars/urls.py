from __future__ import annotations

from django.urls import path, re_path

from synchrony.calendars import views

app_name = "calendars"
# Tokens are 43 URL-safe characters; anything else does not even reach a view.
TOKEN = r"(?P<token>[A-Za-z0-9_-]{43})"
urlpatterns = [
    path("calendar/", views.calendar_view, name="calendar"),
    path("calendar/launches/<int:launch_pk>/move/", views.quick_move, name="move"),
    path("calendar/filters/", views.saved_filters, name="filters"),
    path("calendar/filters/<int:filter_pk>/", views.saved_filter_detail, name="filter"),
    path(
        "calendar/filters/<int:filter_pk>/delete/", views.saved_filter_delete, name="filter-delete"
    ),
    path("calendar/filters/<int:filter_pk>/share/", views.share_link_create, name="share-create"),
    path("calendar/links/<int:link_pk>/revoke/", views.share_link_revoke, name="share-revoke"),
    path("calendar/feed/rotate/", views.feed_rotate, name="feed-rotate"),
    re_path(rf"^calendar/feed/{TOKEN}\.ics$", views.feed, name="feed"),
    re_path(rf"^shared/{TOKEN}/$", views.shared_calendar, name="shared"),
]

from __future__ import annotations

from django.urls import path

from synchrony.activity import views

app_name = "activity"
urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification-open"),
    path("notifications/read-all/", views.notification_read_all, name="notifications-read-all"),
    path("live/", views.live, name="live"),
]

from __future__ import annotations

from django.urls import path

from synchrony.launches import views

app_name = "launches"
urlpatterns = [path("channels/", views.channel_list, name="channels")]

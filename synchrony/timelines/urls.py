from __future__ import annotations

from django.urls import path

from synchrony.timelines import views

app_name = "timelines"
urlpatterns = [
    path("projects/<int:pk>/timeline/", views.project_timeline, name="project"),
    path("timelines/", views.portfolio_timeline, name="portfolio"),
    path("timelines/team/", views.team_progress, name="team"),
]

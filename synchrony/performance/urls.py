from __future__ import annotations

from django.urls import path, re_path

from synchrony.performance import views

app_name = "performance"
# Tokens are 43 URL-safe characters; anything else does not even reach a view.
TOKEN = r"(?P<token>[A-Za-z0-9_-]{43})"
urlpatterns = [
    path("projects/<int:pk>/performance/", views.dashboard, name="dashboard"),
    path("projects/<int:pk>/performance/tables/", views.data_tables, name="tables"),
    path("projects/<int:pk>/performance/data/", views.data, name="data"),
    path("projects/<int:pk>/performance/data/figure/", views.sample_create, name="sample-create"),
    path("projects/<int:pk>/performance/data/upload/", views.upload, name="upload"),
    path(
        "projects/<int:pk>/performance/metrics/", views.custom_metric_create, name="metric-create"
    ),
    path("metric-imports/<int:import_pk>/", views.import_detail, name="import"),
    path("metric-imports/<int:import_pk>/confirm/", views.import_confirm, name="import-confirm"),
    path("goals/<int:goal_pk>/measure/", views.tracking_set, name="tracking-set"),
    path("projects/<int:pk>/report/", views.report, name="report"),
    path("projects/<int:pk>/report.csv", views.report_csv, name="report-csv"),
    path("projects/<int:pk>/report/snapshots/", views.snapshot_create, name="snapshot-create"),
    path("projects/<int:pk>/report/links/", views.link_create, name="link-create"),
    path("report-snapshots/<int:snapshot_pk>/", views.snapshot_detail, name="snapshot"),
    path("report-snapshots/<int:snapshot_pk>.csv", views.snapshot_csv, name="snapshot-csv"),
    path(
        "performance-links/<int:performance_link_pk>/revoke/",
        views.link_revoke,
        name="link-revoke",
    ),
    path("channels/<int:channel_pk>/performance/", views.channel, name="channel"),
    re_path(rf"^shared/reports/{TOKEN}/$", views.shared, name="shared"),
]

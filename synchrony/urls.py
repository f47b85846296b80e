from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from synchrony.activity.views import health

urlpatterns = [
    path("", include("synchrony.projects.urls")),
    path("", include("synchrony.planning.urls")),
    path("", include("synchrony.activity.urls")),
    path("", include("synchrony.launches.urls")),
    path("", include("synchrony.calendars.urls")),
    path("", include("synchrony.timelines.urls")),
    path("", include("synchrony.reviews.urls")),
    path("", include("synchrony.standups.urls")),
    path("", include("synchrony.performance.urls")),
    path("", include("synchrony.api.urls")),
    path("", include("synchrony.webhooks.urls")),
    path("accounts/", include("synchrony.accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("healthz", health, name="health"),
    path("admin/", admin.site.urls),
]

# Under /api/, an address that matches nothing (or a crash) answers in the API's error body.
handler400 = "synchrony.api.errors.bad_request"
handler404 = "synchrony.api.errors.page_not_found"
handler500 = "synchrony.api.errors.server_error"

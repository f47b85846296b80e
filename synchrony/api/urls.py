from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from synchrony.activity.api import NotificationViewSet
from synchrony.api import errors, views
from synchrony.launches.api import (
    ActivationViewSet,
    ChannelViewSet,
    LaunchViewSet,
    MilestoneViewSet,
    ReadinessGateViewSet,
)
from synchrony.performance.api import MetricSampleViewSet
from synchrony.planning.api import BudgetLineViewSet, ContentItemViewSet, TaskViewSet
from synchrony.projects.api import GoalViewSet, ProjectViewSet
from synchrony.reviews.api import LessonViewSet, RetrospectiveItemViewSet, RetrospectiveViewSet
from synchrony.standups.api import ActionItemViewSet, MeetingViewSet, StandupSeriesViewSet

# /api/v1/ resources on the core (synchrony/api/base.py says how to add one).
router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("goals", GoalViewSet, basename="goal")
router.register("tasks", TaskViewSet, basename="task")
router.register("content-items", ContentItemViewSet, basename="content-item")
router.register("budget-lines", BudgetLineViewSet, basename="budget-line")
router.register("milestones", MilestoneViewSet, basename="milestone")
router.register("channels", ChannelViewSet, basename="channel")
router.register("launches", LaunchViewSet, basename="launch")
router.register("activations", ActivationViewSet, basename="activation")
router.register("readiness-gates", ReadinessGateViewSet, basename="readiness-gate")
router.register("standup-series", StandupSeriesViewSet, basename="standup-series")
router.register("standup-meetings", MeetingViewSet, basename="standup-meeting")
router.register("standup-action-items", ActionItemViewSet, basename="standup-action-item")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("retrospectives", RetrospectiveViewSet, basename="retrospective")
router.register("lessons", LessonViewSet, basename="lesson")

app_name = "api"
urlpatterns = [
    path("settings/api-tokens/", views.tokens, name="tokens"),
    path("settings/api-tokens/<int:token_pk>/revoke/", views.token_revoke, name="token-revoke"),
    # Resources on the core at the addresses (and names) they had before it.
    path(
        "api/v1/metrics/samples/",
        MetricSampleViewSet.as_view({"get": "list", "post": "create"}),
        name="metric-samples",
    ),
    re_path(
        r"^api/v1/retrospectives/(?P<retro_pk>[^/]+)/items/(?P<item_pk>[^/]+)/$",
        RetrospectiveItemViewSet.as_view({"get": "retrieve"}),
        name="retrospective-item",
    ),
    # The schema and its docs are public, so a client can be generated before any token.
    path("api/schema/", login_not_required(SpectacularAPIView.as_view()), name="schema"),
    path(
        "api/docs/",
        login_not_required(
            SpectacularSwaggerView.as_view(
                url_name="api:schema", template_name="api/swagger_ui.html"
            )
        ),
        name="docs",
    ),
    # In this namespace: api:project-list, api:project-detail, api:project-transition, …
    path("api/v1/", include(router.urls)),
    # Last: every other address under /api/ is the API's JSON 404 (never Django's HTML
    # page nor an APPEND_SLASH redirect). No route under /api/ may come after this one,
    # here or in an app included after this module in synchrony/urls.py.
    re_path(r"^api(?:/|$)", errors.no_route, name="no-route"),
]

"""Launch-side resources in the public API: milestones (/api/v1/milestones/).

Members read a project's milestones; its managers set them (launches/selectors.py).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters

from synchrony.api.base import (
    ApiViewSet,
    Creatable,
    Deletable,
    Listable,
    ProjectId,
    ResourceSerializer,
    Retrievable,
    Updatable,
)
from synchrony.api.filtering import IdFilter
from synchrony.launches import services
from synchrony.launches.models import Milestone
from synchrony.launches.selectors import get_milestone_for_user
from synchrony.projects.selectors import Need, projects_for_user


class MilestoneSerializer(ResourceSerializer):
    """A dated marker on the project's calendar and timeline."""

    class Meta:
        model = Milestone
        fields = ["id", "project", "title", "date", "version"]
        read_only_fields = ["project", "version"]


class MilestoneCreateSerializer(MilestoneSerializer):
    project = ProjectId()

    class Meta(MilestoneSerializer.Meta):
        read_only_fields = ["version"]


class MilestoneFilter(filters.FilterSet):
    project = IdFilter(field_name="project_id")
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = Milestone
        fields = ["project", "date_from", "date_to"]


class MilestoneViewSet(Listable, Retrievable, Creatable, Updatable, Deletable, ApiViewSet):
    """Milestones of your projects, shown on calendars and timelines."""

    serializer_class = MilestoneSerializer
    create_serializer_class = MilestoneCreateSerializer
    filterset_class = MilestoneFilter
    ordering_fields = ["date", "title"]
    ordering = ["date", "id"]

    def visible(self) -> QuerySet[Milestone]:
        return Milestone.objects.filter(project__in=projects_for_user(self.user))

    def fetch(self, pk: int, *, write: bool) -> Milestone:
        return get_milestone_for_user(self.user, pk, write=write)

    def perform_create(self, data: dict[str, Any]) -> Milestone:
        project = self.project_for(data.pop("project"), need=Need.MANAGE)
        return services.milestone_create(actor=self.user, project=project, **data)

    def perform_update(self, obj: Milestone, *, version: int, data: dict[str, Any]) -> Any:
        return services.milestone_update(
            actor=self.user, milestone=obj, version=version, changes=data
        )

    def perform_destroy(self, obj: Milestone) -> None:
        services.milestone_delete(actor=self.user, milestone=obj)

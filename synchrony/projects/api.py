"""Projects and goals in the public API (/api/v1/projects/, /api/v1/goals/).

The same selectors decide who sees and changes what, and the same services make the
changes, as on the pages. A project's stage changes only through its `transition`
action (project_move: exit criteria, override with a reason, history).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from synchrony.accounts.models import User
from synchrony.api.base import (
    ApiViewSet,
    Creatable,
    Deletable,
    Listable,
    ProjectId,
    RelatedId,
    ResourceSerializer,
    Retrievable,
    StrictSerializer,
    Updatable,
)
from synchrony.api.filtering import IdFilter
from synchrony.launches.models import Channel
from synchrony.planning.services import budget_approve
from synchrony.projects import services
from synchrony.projects.models import Goal, Project, Role, Stage
from synchrony.projects.selectors import (
    NOT_A_PROJECT_STARTER,
    Need,
    can_create_project,
    get_goal_for_user,
    get_project_for_user,
    projects_for_user,
)

# ── Projects ──────────────────────────────────────────────────────────────────

PROJECT_FIELDS = [
    "name",
    "summary",
    "scope",
    "promotion_start",
    "promotion_end",
    "development_due",
    "planning_due",
    "activation_due",
    "performance_due",
    "review_due",
    "budget",
    "channels",
]


class ProjectSerializer(ResourceSerializer):
    """A marketing project; its stage changes only through `transition`."""

    owner = RelatedId(
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text="A manager of the project (make them one first).",
    )
    # Any channel's id is read; the service refuses, by name, a switched-off one the project
    # does not have yet and one an upcoming launch still uses.
    channels = RelatedId(
        queryset=Channel.objects.all(),
        many=True,
        required=False,
        help_text="Ids of the channels the project promotes on (its launches go out on "
        "these): one it takes on must be switched on, one it has may stay after being "
        "switched off, one an upcoming launch uses cannot leave.",
    )
    your_role = serializers.ChoiceField(
        source="user_role",
        choices=Role.choices,
        read_only=True,
        help_text="The caller's role on this project.",
    )

    class Meta:
        model = Project
        fields = [
            "id",
            *PROJECT_FIELDS,
            "owner",
            "stage",
            "your_role",
            "budget_version",
            "budget_approved_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "stage",
            "budget_version",
            "budget_approved_at",
            "version",
            "created_at",
            "updated_at",
        ]


class ProjectCreateSerializer(ProjectSerializer):
    """A new project is owned (and managed) by whoever creates it."""

    # Declared again: Meta.read_only_fields does not reach a declared field.
    owner = serializers.PrimaryKeyRelatedField(read_only=True)


class TransitionSerializer(StrictSerializer):
    """A stage move: one stage on (exit criteria met, or overridden) or back."""

    to_stage = serializers.ChoiceField(
        choices=Stage.choices, help_text="The next stage, or the previous one."
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        default="",
        help_text="Required to move back, and to advance with exit criteria missing.",
    )
    override = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Advance although exit criteria are missing (a manager, with a reason).",
    )


class BudgetApprovalSerializer(StrictSerializer):
    """Approval of the budget exactly as reviewed."""

    budget_version = serializers.IntegerField(
        min_value=1, help_text="The project's `budget_version` as you reviewed it."
    )


class ProjectFilter(filters.FilterSet):
    stage = filters.MultipleChoiceFilter(choices=Stage.choices)
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    promotion_from = filters.DateFilter(
        field_name="promotion_end", lookup_expr="gte", label="Promotion ends on or after"
    )
    promotion_to = filters.DateFilter(
        field_name="promotion_start", lookup_expr="lte", label="Promotion starts on or before"
    )

    class Meta:
        model = Project
        fields = ["stage", "updated_since", "promotion_from", "promotion_to"]


class ProjectViewSet(Listable, Retrievable, Creatable, Updatable, ApiViewSet):
    """Projects you are a member of. There is no delete: a project is closed, and kept."""

    serializer_class = ProjectSerializer
    create_serializer_class = ProjectCreateSerializer
    filterset_class = ProjectFilter
    ordering_fields = ["name", "stage", "promotion_start", "created_at", "updated_at"]
    ordering = ["name", "id"]

    def visible(self) -> QuerySet[Project]:
        return projects_for_user(self.user).select_related("owner").prefetch_related("channels")

    def fetch(self, pk: int, *, write: bool) -> Project:
        return get_project_for_user(
            self.user,
            pk,
            need=Need.MANAGE if write else Need.VIEW,
            # Moving back is how a closed project reopens.
            allow_closed=self.action == "transition",
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Start a project (marketing managers and admins); you become its manager."""
        # Refused before the body is read, as every write the caller may not make is.
        if not can_create_project(self.user):
            raise PermissionDenied(NOT_A_PROJECT_STARTER)
        return super().create(request, *args, **kwargs)

    def perform_create(self, data: dict[str, Any]) -> Project:
        channels = data.pop("channels", [])
        return services.project_create(actor=self.user, channels=channels, **data)

    def perform_update(self, obj: Project, *, version: int, data: dict[str, Any]) -> Project:
        channels = data.pop("channels", None)
        return services.project_update(
            actor=self.user, project=obj, version=version, changes=data, channels=channels
        )

    @extend_schema(request=TransitionSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"], if_match=True)
    def transition(self, request: Request, pk: str) -> Response:
        """Move the project one stage on or back (managers; a closed project reopens so)."""
        project = self.get_object()
        version = self.expected_version()
        self.check_version(project, version)
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.project_move(
            actor=self.user,
            project=project,
            to_stage=body.validated_data["to_stage"],
            expected_stage=project.stage,
            reason=body.validated_data["reason"],
            override=body.validated_data["override"],
        )
        return self.respond(project)

    @extend_schema(request=BudgetApprovalSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"], url_path="approve-budget")
    def approve_budget(self, request: Request, pk: str) -> Response:
        """Approve the budget as reviewed (managers): refused if a line changed since."""
        project = self.get_object()
        body = BudgetApprovalSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        budget_approve(
            actor=self.user, project=project, budget_version=body.validated_data["budget_version"]
        )
        return self.respond(project)


# ── Goals ─────────────────────────────────────────────────────────────────────


class GoalSerializer(ResourceSerializer):
    """A measurable aim: from baseline to target by a date."""

    class Meta:
        model = Goal
        fields = [
            "id",
            "project",
            "metric",
            "baseline",
            "target",
            "unit",
            "due_date",
            "version",
            "created_at",
        ]
        read_only_fields = ["project", "version", "created_at"]


class GoalCreateSerializer(GoalSerializer):
    project = ProjectId()

    class Meta(GoalSerializer.Meta):
        read_only_fields = ["version", "created_at"]


class GoalFilter(filters.FilterSet):
    project = IdFilter(field_name="project_id")
    due_from = filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_to = filters.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = Goal
        fields = ["project", "due_from", "due_to"]


class GoalViewSet(Listable, Retrievable, Creatable, Updatable, Deletable, ApiViewSet):
    """Goals of your projects: read by members, set by managers."""

    serializer_class = GoalSerializer
    create_serializer_class = GoalCreateSerializer
    filterset_class = GoalFilter
    ordering_fields = ["due_date", "metric", "created_at"]
    ordering = ["due_date", "id"]

    def visible(self) -> QuerySet[Goal]:
        return Goal.objects.filter(project__in=projects_for_user(self.user))

    def fetch(self, pk: int, *, write: bool) -> Goal:
        return get_goal_for_user(self.user, pk, write=write)

    def perform_create(self, data: dict[str, Any]) -> Goal:
        project = self.project_for(data.pop("project"), need=Need.MANAGE)
        return services.goal_create(actor=self.user, project=project, **data)

    def perform_update(self, obj: Goal, *, version: int, data: dict[str, Any]) -> Goal:
        return services.goal_update(actor=self.user, goal=obj, version=version, changes=data)

    def perform_destroy(self, obj: Goal) -> None:
        services.goal_delete(actor=self.user, goal=obj)

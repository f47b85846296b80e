"""Tasks, content items and budget lines in the public API.

Who may create and change them is the pages' rule (planning/selectors.py): members read;
managers and contributors create tasks and content and edit what they own or created;
managers create budget lines. The services check owners, reviewers and dependencies:
someone who cannot work on the project, or a task of another project, is a 400.
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
from synchrony.planning import services
from synchrony.planning.models import (
    BudgetCategory,
    BudgetLine,
    ContentItem,
    ContentKind,
    ContentStatus,
    Task,
    TaskStatus,
)
from synchrony.planning.selectors import (
    can_review_content,
    get_budget_line_for_user,
    get_content_for_user,
    get_task_for_user,
)
from synchrony.projects.models import WORK_STAGES, Stage
from synchrony.projects.selectors import Need, projects_for_user

# A task's stage is a work stage (never Closed).
TASK_STAGES = [(s, Stage(s).label) for s in WORK_STAGES]


def _person(help_text: str) -> RelatedId:
    return RelatedId(
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text=help_text,
    )


def _visible_tasks(user: User, queryset: QuerySet) -> QuerySet:
    return queryset.filter(project__in=projects_for_user(user))


class _ProjectRowFilter(filters.FilterSet):
    project = IdFilter(field_name="project_id")
    owner = IdFilter(field_name="owner_id")
    due_from = filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_to = filters.DateFilter(field_name="due_date", lookup_expr="lte")


# ── Tasks ─────────────────────────────────────────────────────────────────────


class TaskSerializer(ResourceSerializer):
    """A piece of work in one stage of a project, with its owner, due date and status."""

    owner = _person("A manager or contributor of the project.")
    depends_on = RelatedId(
        queryset=Task.objects.all(),
        scope=_visible_tasks,
        many=True,
        required=False,
        help_text="Ids of tasks of the same project that must be done first (no cycles).",
    )

    class Meta:
        model = Task
        fields = [
            "id",
            "project",
            "title",
            "description",
            "stage",
            "owner",
            "due_date",
            "status",
            "blocked_reason",
            "depends_on",
            "created_by",
            "completed_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "project",
            "created_by",
            "completed_at",
            "version",
            "created_at",
            "updated_at",
        ]


class TaskCreateSerializer(TaskSerializer):
    project = ProjectId()

    class Meta(TaskSerializer.Meta):
        read_only_fields = [f for f in TaskSerializer.Meta.read_only_fields if f != "project"]


class TaskFilter(_ProjectRowFilter):
    status = filters.MultipleChoiceFilter(choices=TaskStatus.choices)
    stage = filters.MultipleChoiceFilter(choices=TASK_STAGES)
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Task
        fields = ["project", "status", "stage", "owner", "due_from", "due_to", "updated_since"]


class TaskViewSet(Listable, Retrievable, Creatable, Updatable, Deletable, ApiViewSet):
    """Tasks of your projects."""

    serializer_class = TaskSerializer
    create_serializer_class = TaskCreateSerializer
    filterset_class = TaskFilter
    ordering_fields = ["due_date", "status", "title", "created_at", "updated_at"]
    ordering = ["due_date", "id"]

    def visible(self) -> QuerySet[Task]:
        return Task.objects.filter(project__in=projects_for_user(self.user)).prefetch_related(
            "depends_on"
        )

    def fetch(self, pk: int, *, write: bool) -> Task:
        return get_task_for_user(self.user, pk, write=write)

    def perform_create(self, data: dict[str, Any]) -> Task:
        project = self.project_for(data.pop("project"), need=Need.CONTRIBUTE)
        depends_on = data.pop("depends_on", [])
        return services.task_create(actor=self.user, project=project, depends_on=depends_on, **data)

    def perform_update(self, obj: Task, *, version: int, data: dict[str, Any]) -> Task:
        depends_on = data.pop("depends_on", None)
        return services.task_update(
            actor=self.user, task=obj, version=version, changes=data, depends_on=depends_on
        )

    def perform_destroy(self, obj: Task) -> None:
        services.task_delete(actor=self.user, task=obj)


# ── Content items ─────────────────────────────────────────────────────────────


class ContentItemSerializer(ResourceSerializer):
    """Content to produce; its status moves by `submit` and `review`, never by an edit."""

    owner = _person("A manager or contributor of the project.")
    reviewer = _person("Reviews it; left empty, the project's managers do.")
    channel = RelatedId(
        queryset=Channel.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="An active channel's id.",
    )

    class Meta:
        model = ContentItem
        fields = [
            "id",
            "project",
            "title",
            "kind",
            "channel",
            "owner",
            "reviewer",
            "due_date",
            "status",
            "body",
            "link",
            "created_by",
            "version",
            "created_at",
        ]
        read_only_fields = ["project", "status", "created_by", "version", "created_at"]


class ContentItemCreateSerializer(ContentItemSerializer):
    project = ProjectId()

    class Meta(ContentItemSerializer.Meta):
        read_only_fields = ["status", "created_by", "version", "created_at"]


class ReviewSerializer(StrictSerializer):
    """A review decision on content in review."""

    decision = serializers.ChoiceField(
        choices=[
            (ContentStatus.APPROVED, "Approve"),
            (ContentStatus.CHANGES_REQUESTED, "Request changes"),
        ]
    )
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="Required when requesting changes.",
    )


class ContentItemFilter(_ProjectRowFilter):
    status = filters.MultipleChoiceFilter(choices=ContentStatus.choices)
    kind = filters.MultipleChoiceFilter(choices=ContentKind.choices)
    channel = IdFilter(field_name="channel_id")
    reviewer = IdFilter(field_name="reviewer_id")

    class Meta:
        model = ContentItem
        fields = ["project", "status", "kind", "channel", "owner", "reviewer", "due_from", "due_to"]


class ContentItemViewSet(Listable, Retrievable, Creatable, Updatable, Deletable, ApiViewSet):
    """Content of your projects, with its review flow: `submit`, then `review`."""

    serializer_class = ContentItemSerializer
    create_serializer_class = ContentItemCreateSerializer
    filterset_class = ContentItemFilter
    ordering_fields = ["due_date", "status", "title", "created_at"]
    ordering = ["due_date", "id"]

    def visible(self) -> QuerySet[ContentItem]:
        return ContentItem.objects.filter(project__in=projects_for_user(self.user))

    def fetch(self, pk: int, *, write: bool) -> ContentItem:
        # Reviewing is not editing: a named reviewer may review what they may not edit.
        return get_content_for_user(self.user, pk, write=write and self.action != "review")

    def perform_create(self, data: dict[str, Any]) -> ContentItem:
        project = self.project_for(data.pop("project"), need=Need.CONTRIBUTE)
        return services.content_create(actor=self.user, project=project, **data)

    def perform_update(self, obj: ContentItem, *, version: int, data: dict[str, Any]) -> Any:
        return services.content_update(actor=self.user, item=obj, version=version, changes=data)

    def perform_destroy(self, obj: ContentItem) -> None:
        services.content_delete(actor=self.user, item=obj)

    @extend_schema(request=None, responses=ContentItemSerializer)
    @action(detail=True, methods=["post"], if_match=True)
    def submit(self, request: Request, pk: str) -> Response:
        """Send a draft (or one sent back) for review."""
        item = self.get_object()
        version = self.expected_version()
        self.check_version(item, version)
        StrictSerializer(data=request.data).is_valid(raise_exception=True)
        services.content_submit(actor=self.user, item=item, version=version)
        return self.respond(item)

    @extend_schema(request=ReviewSerializer, responses=ContentItemSerializer)
    @action(detail=True, methods=["post"], if_match=True)
    def review(self, request: Request, pk: str) -> Response:
        """Approve, or request changes with a comment (managers, or the named reviewer)."""
        item = self.get_object()
        if not can_review_content(self.user, item):
            raise PermissionDenied(
                "Only a manager or the named reviewer reviews content in review."
            )
        version = self.expected_version()
        self.check_version(item, version)
        body = ReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.content_review(actor=self.user, item=item, version=version, **body.validated_data)
        return self.respond(item)


# ── Budget lines ──────────────────────────────────────────────────────────────


class BudgetLineSerializer(ResourceSerializer):
    """Planned and actual spend in one category of a project's budget."""

    owner = _person("Reports the actual spend; a manager or contributor of the project.")
    is_over = serializers.BooleanField(read_only=True, help_text="Actual spend above plan.")

    class Meta:
        model = BudgetLine
        fields = [
            "id",
            "project",
            "category",
            "description",
            "planned",
            "actual",
            "owner",
            "is_over",
            "version",
            "created_at",
        ]
        read_only_fields = ["project", "version", "created_at"]


class BudgetLineCreateSerializer(BudgetLineSerializer):
    project = ProjectId()

    class Meta(BudgetLineSerializer.Meta):
        read_only_fields = ["version", "created_at"]


class BudgetLineFilter(filters.FilterSet):
    project = IdFilter(field_name="project_id")
    owner = IdFilter(field_name="owner_id")
    category = filters.MultipleChoiceFilter(choices=BudgetCategory.choices)

    class Meta:
        model = BudgetLine
        fields = ["project", "owner", "category"]


class BudgetLineViewSet(Listable, Retrievable, Creatable, Updatable, Deletable, ApiViewSet):
    """Budget lines of your projects. A change to the plan withdraws the budget approval."""

    serializer_class = BudgetLineSerializer
    create_serializer_class = BudgetLineCreateSerializer
    filterset_class = BudgetLineFilter
    ordering_fields = ["category", "planned", "actual", "created_at"]
    ordering = ["category", "id"]

    def visible(self) -> QuerySet[BudgetLine]:
        return BudgetLine.objects.filter(project__in=projects_for_user(self.user))

    def fetch(self, pk: int, *, write: bool) -> BudgetLine:
        return get_budget_line_for_user(self.user, pk, write=write)

    def perform_create(self, data: dict[str, Any]) -> BudgetLine:
        project = self.project_for(data.pop("project"), need=Need.MANAGE)
        return services.budget_line_create(actor=self.user, project=project, **data)

    def perform_update(self, obj: BudgetLine, *, version: int, data: dict[str, Any]) -> Any:
        return services.budget_line_update(actor=self.user, line=obj, version=version, changes=data)

    def perform_destroy(self, obj: BudgetLine) -> None:
        services.budget_line_delete(actor=self.user, line=obj)

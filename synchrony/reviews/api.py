"""The Review stage in the public API (read-only).

GET /api/v1/retrospectives/                     the retrospectives of your projects
GET /api/v1/retrospectives/<id>/                one as data (as the JSON export)
GET /api/v1/retrospectives/<id>/items/<uuid>/   one item; an anonymous one answers that
                                                its author is not stored, so cannot be given
GET /api/v1/lessons/?q=&channel=&stage=&kind=   published lessons, best match first

Lookups go through the same selectors as the pages: what the caller cannot see is a
404. No parameter asks for more than a page shows: there is no author to ask for.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from synchrony.api.base import ApiViewSet, Listable
from synchrony.api.filtering import IdFilter
from synchrony.api.pagination import parse_id
from synchrony.projects.selectors import projects_for_user
from synchrony.reviews.forms import SearchForm
from synchrony.reviews.models import LESSON_STAGES, Item, LaunchKind, Lesson, Phase, Retrospective
from synchrony.reviews.selectors import (
    board_for,
    clean_query,
    get_item_for_user,
    get_retrospective_for_user,
    item_data,
    retrospective_data,
    search_lessons,
)

MAX_LESSONS = 50

# ── Retrospectives ────────────────────────────────────────────────────────────


class RetrospectiveSerializer(serializers.ModelSerializer):
    """A blameless retrospective of a project, or of one of its launches."""

    class Meta:
        model = Retrospective
        fields = [
            "id",
            "project",
            "launch",
            "phase",
            "facilitator",
            "votes_per_person",
            "created_at",
            "updated_at",
            "finished_at",
        ]
        read_only_fields = fields


class RetrospectiveCardItemSerializer(serializers.Serializer):
    text = serializers.CharField()
    anonymous = serializers.BooleanField()
    author = serializers.CharField(
        allow_null=True, help_text="Null for an anonymous item: its author is not stored."
    )


class RetrospectiveCardSerializer(serializers.Serializer):
    prompt = serializers.CharField()
    title = serializers.CharField()
    group = serializers.BooleanField()
    votes = serializers.IntegerField(allow_null=True, help_text="Hidden until the discussion.")
    items = RetrospectiveCardItemSerializer(many=True)


class RetrospectiveGoalOutcomeSerializer(serializers.Serializer):
    metric = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    baseline = serializers.CharField()
    target = serializers.CharField()
    final = serializers.CharField(allow_null=True)
    source = serializers.CharField(allow_null=True)
    verdict = serializers.CharField()
    reading = serializers.CharField(allow_blank=True)


class RetrospectiveTimelineEntrySerializer(serializers.Serializer):
    when = serializers.CharField(help_text="A date, or a moment (ISO 8601).")
    what = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)


class RetrospectiveActionItemSerializer(serializers.Serializer):
    title = serializers.CharField()
    project = serializers.CharField(allow_null=True)
    owner = serializers.CharField(allow_null=True)
    due = serializers.DateField(allow_null=True)
    status = serializers.CharField()


class RetrospectiveLessonSerializer(serializers.Serializer):
    title = serializers.CharField()
    status = serializers.CharField()
    what_happened = serializers.CharField(allow_blank=True)
    do_differently = serializers.CharField(allow_blank=True)
    channels = serializers.ListField(child=serializers.CharField())
    stage = serializers.CharField(allow_null=True)
    kind = serializers.CharField(allow_null=True)


class RetrospectiveDataSerializer(serializers.Serializer):
    """The retrospective as data: its board as the caller may see it (in the write
    phase, only their own items), goals against outcomes, the timeline, action items and
    lessons. An anonymous item's author is nowhere in it."""

    id = serializers.IntegerField()
    retrospective = serializers.CharField()
    project = serializers.CharField()
    launch = serializers.CharField(allow_null=True)
    phase = serializers.CharField()
    facilitator = serializers.CharField(allow_null=True)
    participants = serializers.ListField(child=serializers.CharField())
    votes_per_person = serializers.IntegerField()
    cards = RetrospectiveCardSerializer(many=True)
    goals = RetrospectiveGoalOutcomeSerializer(many=True)
    timeline = RetrospectiveTimelineEntrySerializer(many=True)
    action_items = RetrospectiveActionItemSerializer(many=True)
    lessons = RetrospectiveLessonSerializer(many=True)


class RetrospectiveFilter(filters.FilterSet):
    project = IdFilter(field_name="project_id")
    launch = IdFilter(field_name="launch_id")
    phase = filters.MultipleChoiceFilter(choices=Phase.choices)

    class Meta:
        model = Retrospective
        fields = ["project", "launch", "phase"]


class RetrospectiveViewSet(Listable, ApiViewSet):
    """Retrospectives of your projects (read-only: they are held on their board)."""

    versioned = False
    serializer_class = RetrospectiveSerializer
    filterset_class = RetrospectiveFilter
    ordering_fields = ["created_at", "updated_at"]
    ordering = ["-created_at", "-id"]

    def visible(self) -> QuerySet[Retrospective]:
        return Retrospective.objects.filter(project__in=projects_for_user(self.user))

    def fetch(self, pk: int, *, write: bool) -> Retrospective:
        return get_retrospective_for_user(self.user, pk)

    @extend_schema(responses=RetrospectiveDataSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The retrospective as data, as its JSON export has it."""
        retro = self.get_object()
        return Response({"id": retro.pk, **retrospective_data(retro, self.user)})


class RetrospectiveItemSerializer(serializers.Serializer):
    """One item of a retrospective's board."""

    id = serializers.UUIDField()
    prompt = serializers.CharField()
    text = serializers.CharField()
    anonymous = serializers.BooleanField()
    author = serializers.CharField(
        allow_null=True, help_text="Null for an anonymous item: its author is not stored."
    )
    group = serializers.CharField(allow_null=True)
    votes = serializers.IntegerField(allow_null=True, help_text="Hidden until the discussion.")
    author_note = serializers.CharField(
        required=False, help_text="For an anonymous item: why no author can be given."
    )

    class Meta:
        model = Item  # what the API calls it


class RetrospectiveItemViewSet(ApiViewSet):
    """One item of a retrospective (read-only)."""

    versioned = False
    serializer_class = RetrospectiveItemSerializer
    filter_backends: list[Any] = []
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("retro_pk", OpenApiTypes.INT, OpenApiParameter.PATH),
            OpenApiParameter("item_pk", OpenApiTypes.UUID, OpenApiParameter.PATH),
        ],
        responses=RetrospectiveItemSerializer,
    )
    def retrieve(self, request: Request, retro_pk: str, item_pk: str) -> Response:
        # The route takes anything in the ids' places, so junk is a 404 in JSON too.
        retro_id = parse_id(retro_pk)
        try:
            item_id = uuid.UUID(item_pk)
        except ValueError:
            item_id = None
        if retro_id is None or item_id is None:
            raise Http404("No such item.")
        retro = get_retrospective_for_user(self.user, retro_id)
        item = get_item_for_user(self.user, retro, item_id)
        board = board_for(retro, self.user)
        if retro.phase == Phase.WRITE and item.card_key not in board.cards:
            # Hidden until the reveal, from everyone but its author (and an anonymous
            # item's author cannot be recognised here at all).
            raise Http404("No such item.")
        return Response(item_data(item, retro, board))


# ── Lessons ───────────────────────────────────────────────────────────────────


class LessonSerializer(serializers.ModelSerializer):
    """A published lesson: what happened, and what we do differently."""

    channels = serializers.SerializerMethodField(help_text="The channels' names.")
    stage = serializers.CharField(source="get_stage_display", allow_null=True)
    kind = serializers.CharField(source="get_kind_display", allow_null=True)
    url = serializers.SerializerMethodField(help_text="Its page in the app.")

    class Meta:
        model = Lesson
        fields = [
            "id",
            "title",
            "do_differently",
            "what_happened",
            "channels",
            "stage",
            "kind",
            "published_at",
            "url",
        ]
        read_only_fields = fields

    def get_channels(self, lesson: Lesson) -> list[str]:
        return [c.name for c in lesson.channels.all()]

    def get_url(self, lesson: Lesson) -> str:
        return self.context["request"].build_absolute_uri(lesson.get_absolute_url())

    def to_representation(self, lesson: Lesson) -> dict[str, Any]:
        data = super().to_representation(lesson)
        data["stage"] = data["stage"] if lesson.stage else None
        data["kind"] = data["kind"] if lesson.kind else None
        return data


@extend_schema_serializer(many=False)  # the answer to a list: one object, not an array
class LessonSearchSerializer(serializers.Serializer):
    """Published lessons matching the search, best match first (at most 50)."""

    query = serializers.CharField(allow_blank=True, help_text="The search as it was run.")
    shortened = serializers.BooleanField(help_text="The search text was cut to fit.")
    more = serializers.BooleanField(help_text="More than 50 matched: narrow the search.")
    lessons = LessonSerializer(many=True)


def _choices(values: list[tuple[str, Any]]) -> list[str]:
    return [str(value) for value, _ in values]


class LessonViewSet(ApiViewSet):
    """Published lessons, searched as on the Lessons page."""

    versioned = False
    serializer_class = LessonSerializer
    filter_backends: list[Any] = []
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description="Words, “quoted phrases”, -exclusions, OR (at most 2,000 characters).",
            ),
            OpenApiParameter("channel", OpenApiTypes.INT, description="A channel's id."),
            OpenApiParameter("stage", OpenApiTypes.STR, enum=_choices(LESSON_STAGES)),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=_choices(LaunchKind.choices)),
        ],
        responses=LessonSearchSerializer,
    )
    def list(self, request: Request) -> Response:
        # The search text is taken as typed, whatever it holds (a NUL is dropped, a long
        # one shortened and said so); the filters must name a channel, stage or kind.
        query, shortened = clean_query(request.query_params.get("q", "")[:2000])
        form = SearchForm({**request.query_params.dict(), "q": query})
        if not form.is_valid():
            raise exceptions.ValidationError(
                {field: list(messages) for field, messages in form.errors.items()}
            )
        channel = form.cleaned_data["channel"]
        found = search_lessons(
            self.user,
            query=query,
            channel=channel.pk if channel else None,
            stage=form.cleaned_data["stage"],
            kind=form.cleaned_data["kind"],
        ).prefetch_related("channels")
        if not query:
            found = found.order_by("-published_at", "-id")
        rows = list(found[: MAX_LESSONS + 1])
        lessons = LessonSerializer(
            rows[:MAX_LESSONS], many=True, context=self.get_serializer_context()
        ).data
        return Response(
            {
                "query": query,
                "shortened": shortened,
                "more": len(rows) > MAX_LESSONS,
                "lessons": lessons,
            }
        )

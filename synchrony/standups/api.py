"""Stand-ups in the public API: series (read, and written as on the pages), their
meetings with the agenda snapshot as each reader may see it, and action items (read).

The same selectors decide who sees what (standups/selectors.py): a series is seen by
the members of its projects and of its team, run by its facilitator, its projects'
managers and whoever made a team's stand-up. An agenda, a summary and action items
show only the items of projects the reader can see, as the meeting page does.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from synchrony.accounts.models import Team, User
from synchrony.api.base import (
    ApiViewSet,
    Creatable,
    Listable,
    RelatedId,
    ResourceSerializer,
    Retrievable,
    StrictSerializer,
    Updatable,
)
from synchrony.api.filtering import IdFilter
from synchrony.launches.api import WallTimeField
from synchrony.projects.models import Project
from synchrony.projects.selectors import Need, projects_for_user
from synchrony.standups import agenda as agendas
from synchrony.standups import services
from synchrony.standups.models import (
    ActionItem,
    Agenda,
    Meeting,
    MeetingStatus,
    StandupSeries,
)
from synchrony.standups.selectors import (
    get_action_item_for_user,
    get_meeting_for_user,
    get_series_for_user,
    series_for_user,
    visible_project_ids,
)


def _visible_projects(user: User, queryset: QuerySet) -> QuerySet:
    return queryset.filter(pk__in=projects_for_user(user).values("pk"))


def _people(**kwargs: Any) -> RelatedId:
    return RelatedId(queryset=User.objects.filter(is_active=True), **kwargs)


# ── Series ────────────────────────────────────────────────────────────────────


class StandupSeriesSerializer(ResourceSerializer):
    """A recurring stand-up of one or more projects, or of a team.

    Each meeting is resolved on its own day at `local_time` in `time_zone`, so 09:30 in
    Berlin stays 09:30 in Berlin across daylight-saving changes. A time the clocks skip
    on a spring-forward day is refused with the nearest times, unless `shift_gap` says
    to meet just after the jump.
    """

    projects = RelatedId(
        queryset=Project.objects.all(),
        scope=_visible_projects,
        many=True,
        required=False,
        help_text="Ids of projects whose work fills the agenda (you must manage those you "
        "add). None: a team's stand-up.",
    )
    team = RelatedId(
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        help_text="A team's stand-up: its members see it and can attend.",
    )
    facilitator = _people(help_text="Runs it; on its projects or in its team.")
    attendees = _people(
        many=True,
        required=False,
        help_text="Ids of the people invited (on its projects or in its team); at least one.",
    )
    local_time = WallTimeField(required=False, help_text="The wall time in `time_zone` (09:30).")
    schedule = serializers.CharField(
        source="schedule_text", read_only=True, help_text="The schedule in words."
    )

    class Meta:
        model = StandupSeries
        fields = [
            "id",
            "name",
            "projects",
            "team",
            "cadence_weeks",
            "weekday",
            "local_time",
            "time_zone",
            "duration_minutes",
            "starts_on",
            "shift_gap",
            "schedule",
            "facilitator",
            "attendees",
            "archived_at",
            "created_by",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["archived_at", "created_by", "version", "created_at", "updated_at"]
        extra_kwargs = {
            "cadence_weeks": {"help_text": "1: weekly; 2: every two weeks."},
            "weekday": {"help_text": "0 (Monday) to 6 (Sunday)."},
            "time_zone": {"help_text": "An IANA time zone, e.g. Europe/Berlin."},
        }


class StandupSeriesFilter(filters.FilterSet):
    project = IdFilter(field_name="projects", label="On this project")
    team = IdFilter(field_name="team_id")
    archived = filters.BooleanFilter(field_name="archived_at", lookup_expr="isnull", exclude=True)
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = StandupSeries
        fields = ["project", "team", "archived", "updated_since"]


class StandupSeriesViewSet(Listable, Retrievable, Creatable, Updatable, ApiViewSet):
    """Stand-ups you can see: of your projects and your teams. Whoever may run one
    changes it; archiving stops its meetings and keeps its history."""

    serializer_class = StandupSeriesSerializer
    filterset_class = StandupSeriesFilter
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name", "id"]

    def visible(self) -> QuerySet[StandupSeries]:
        return series_for_user(self.user).prefetch_related("projects", "attendees")

    def fetch(self, pk: int, *, write: bool) -> StandupSeries:
        return get_series_for_user(self.user, pk, write=write)

    def perform_create(self, data: dict[str, Any]) -> StandupSeries:
        projects = data.pop("projects", [])
        for project in projects:
            # Adding a project to a stand-up is its managers' (the service says why).
            self.project_for(project, need=Need.MANAGE)
        return services.series_create(
            actor=self.user,
            projects=projects,
            attendees=data.pop("attendees", []),
            team=data.pop("team", None),
            **data,
        )

    def perform_update(self, obj: StandupSeries, *, version: int, data: dict[str, Any]) -> Any:
        projects = data.pop("projects", None)
        attendees = data.pop("attendees", None)
        return services.series_update(
            actor=self.user,
            series=obj,
            version=version,
            changes=data,
            projects=obj.projects.all() if projects is None else projects,
            attendees=obj.attendees.all() if attendees is None else attendees,
        )

    def _archive(self, archive: bool) -> Response:
        series = self.get_object()
        version = self.expected_version()
        self.check_version(series, version)
        StrictSerializer(data=self.request.data).is_valid(raise_exception=True)
        services.series_archive(actor=self.user, series=series, version=version, archive=archive)
        return self.respond(series)

    @extend_schema(request=None, responses=StandupSeriesSerializer)
    @action(detail=True, methods=["post"], if_match=True)
    def archive(self, request: Request, pk: str) -> Response:
        """Stop meeting: its scheduled meetings go, its history stays."""
        return self._archive(True)

    @extend_schema(request=None, responses=StandupSeriesSerializer)
    @action(detail=True, methods=["post"], if_match=True)
    def restore(self, request: Request, pk: str) -> Response:
        """Meet again after an archive."""
        return self._archive(False)


# ── Meetings ──────────────────────────────────────────────────────────────────


class AgendaSerializer(serializers.ModelSerializer):
    """The agenda the data wrote before the meeting: a snapshot, as of `written_at`."""

    data = serializers.SerializerMethodField(
        help_text="The snapshot (format 1): per attendee what they finished, what is due, "
        "overdue and blocked; launches in the next 14 days with their gates and risks; "
        "channels with failed or incomplete activations; goals off their trajectory; open "
        "action items. Only the items of projects you can see. Null until it is written."
    )

    class Meta:
        model = Agenda
        fields = ["state", "written_at", "written_by", "revision", "since", "until", "data"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_data(self, agenda: Agenda) -> dict[str, Any] | None:
        if not agenda.is_ready:
            return None
        return agendas.for_viewer(agenda.data, self.context["project_ids"])


class MeetingSerializer(serializers.ModelSerializer):
    """One meeting of a stand-up series (its agenda and record: /standup-meetings/{id}/)."""

    class Meta:
        model = Meeting
        fields = [
            "id",
            "series",
            "local_date",
            "starts_at",
            "ends_at",
            "time_note",
            "status",
            "skip_reason",
            "started_at",
            "ended_at",
            "created_at",
        ]
        read_only_fields = fields


class MeetingDetailSerializer(MeetingSerializer):
    """One meeting with its agenda snapshot and, once held, its summary."""

    agenda = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField(
        help_text="Once held: the record in words (notes, decisions, action items, "
        "attendance), with only what you may see. Null before."
    )

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "agenda", "summary"]
        read_only_fields = fields

    def _project_ids(self, meeting: Meeting) -> set[int]:
        request = self.context["request"]
        return visible_project_ids(request.user, meeting.series)

    @extend_schema_field(AgendaSerializer(allow_null=True))
    def get_agenda(self, meeting: Meeting) -> dict[str, Any] | None:
        agenda = Agenda.objects.filter(meeting=meeting).first()
        if agenda is None:
            return None
        return AgendaSerializer(agenda, context={"project_ids": self._project_ids(meeting)}).data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_summary(self, meeting: Meeting) -> str | None:
        if meeting.status != MeetingStatus.ENDED:
            return None
        return services.summary_text(meeting, project_ids=self._project_ids(meeting))


class MeetingFilter(filters.FilterSet):
    series = IdFilter(field_name="series_id")
    project = IdFilter(field_name="series__projects", label="Of a stand-up on this project")
    status = filters.MultipleChoiceFilter(choices=MeetingStatus.choices)
    date_from = filters.DateFilter(field_name="local_date", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="local_date", lookup_expr="lte")

    class Meta:
        model = Meeting
        fields = ["series", "project", "status", "date_from", "date_to"]


class MeetingViewSet(Listable, Retrievable, ApiViewSet):
    """Meetings of the stand-ups you can see, newest first. Read-only: they are run on
    the stand-up's page."""

    versioned = False  # read-only here
    serializer_class = MeetingDetailSerializer
    filterset_class = MeetingFilter
    ordering_fields = ["starts_at"]
    ordering = ["-starts_at", "-id"]

    def get_serializer_class(self) -> Any:
        if self.action == "list":
            return MeetingSerializer
        return super().get_serializer_class()

    def visible(self) -> QuerySet[Meeting]:
        return Meeting.objects.filter(series__in=series_for_user(self.user))

    def fetch(self, pk: int, *, write: bool) -> Meeting:
        return get_meeting_for_user(self.user, pk, write=write)


# ── Action items ──────────────────────────────────────────────────────────────


ACTION_ITEM_STATES = [("open", "Open"), ("done", "Done"), ("gone", "Its task was deleted")]


class ActionItemSerializer(serializers.ModelSerializer):
    """Something a stand-up agreed to do; on a project it is a task from the start."""

    state = serializers.ChoiceField(choices=ACTION_ITEM_STATES, read_only=True)

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "meeting",
            "series",
            "title",
            "owner",
            "due_date",
            "project",
            "task",
            "state",
            "created_by",
            "created_at",
            "closed_at",
        ]
        read_only_fields = fields


class ActionItemFilter(filters.FilterSet):
    meeting = IdFilter(field_name="meeting_id")
    series = IdFilter(field_name="series_id")
    project = IdFilter(field_name="project_id")
    owner = IdFilter(field_name="owner_id")

    class Meta:
        model = ActionItem
        fields = ["meeting", "series", "project", "owner"]


def _of_visible_projects(user: User) -> Q:
    # As the meeting page shows them: a project's item only to those who see the project.
    return Q(project__isnull=True) | Q(project__in=projects_for_user(user).values("pk"))


class ActionItemViewSet(Listable, Retrievable, ApiViewSet):
    """Action items of the stand-ups you can see (read-only)."""

    versioned = False
    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilter
    ordering_fields = ["created_at", "due_date"]
    ordering = ["created_at", "id"]

    def visible(self) -> QuerySet[ActionItem]:
        return (
            ActionItem.objects.filter(series__in=series_for_user(self.user))
            .filter(_of_visible_projects(self.user))
            .select_related("task")
        )

    def fetch(self, pk: int, *, write: bool) -> ActionItem:
        item = get_action_item_for_user(self.user, pk, write=write)
        if not ActionItem.objects.filter(_of_visible_projects(self.user), pk=item.pk).exists():
            raise Http404("No such action item.")
        return item

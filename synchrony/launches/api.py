"""Launch-side resources in the public API: channels, launches with their activations
and readiness gates, and milestones.

The same selectors decide who sees and changes what as on the pages
(launches/selectors.py): every signed-in person reads the channels, their owner or an
admin sets how one goes out, admins add them; members read a project's launches,
its managers plan, schedule and cancel them and set their activations; a gate's owner
(or team) says it is ready. The services make the changes and hold the rules: the
go-live is a wall time in a named zone (a time the clocks skip is refused with the
nearest ones), nothing changes while the engine has the launch, strict channels
refuse collisions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from synchrony.accounts.models import Team, User, validate_time_zone
from synchrony.api.base import (
    ApiViewSet,
    Creatable,
    DateField,
    Deletable,
    Listable,
    ProjectId,
    RelatedId,
    ResourceSerializer,
    Retrievable,
    StrictSerializer,
    TimeField,
    Updatable,
)
from synchrony.api.filtering import IdFilter
from synchrony.launches import engine, services
from synchrony.launches.conflicts import conflicts_for
from synchrony.launches.models import (
    Activation,
    ActivationState,
    AdapterKind,
    Blackout,
    Channel,
    ChannelKind,
    GateStatus,
    Launch,
    LaunchStatus,
    Milestone,
    ReadinessGate,
)
from synchrony.launches.selectors import (
    can_create_channel,
    can_edit_channel,
    get_activation_for_user,
    get_channel_for_user,
    get_gate_for_user,
    get_launch_for_user,
    get_milestone_for_user,
)
from synchrony.projects.selectors import Need, projects_for_user


def _active_people() -> QuerySet[User]:
    return User.objects.filter(is_active=True)


def _visible_launches(user: User, queryset: QuerySet) -> QuerySet:
    return queryset.filter(project__in=projects_for_user(user))


# ── Channels ──────────────────────────────────────────────────────────────────


class BlackoutSerializer(serializers.ModelSerializer):
    """Dates on which nothing may launch on the channel."""

    class Meta:
        model = Blackout
        fields = ["starts_on", "ends_on", "reason"]
        read_only_fields = fields


# Where a channel sends: its owner's and admins' business, as on its settings page.
PRIVATE_CHANNEL_FIELDS = ("endpoint_url", "recipients")


class ChannelSerializer(ResourceSerializer):
    """A place launches go out on, with the person accountable when an activation fails.

    Its signing secret is never shown here: only once, in the answer that made it
    (creating the channel, or rotating the secret).
    """

    endpoint_url = serializers.CharField(
        max_length=500,
        allow_blank=True,
        required=False,
        allow_null=True,
        help_text="Webhook and Slack channels: a public http(s) address. Shown to the "
        "channel's owner and admins only (null for others).",
    )
    recipients = serializers.CharField(
        max_length=1000,
        allow_blank=True,
        required=False,
        allow_null=True,
        help_text="E-mail channels: addresses, comma-separated. Shown to the channel's "
        "owner and admins only (null for others).",
    )
    blackouts = BlackoutSerializer(many=True, read_only=True)
    editable = serializers.SerializerMethodField(
        help_text="Whether you may change how it goes out (its owner and admins)."
    )

    class Meta:
        model = Channel
        fields = [
            "id",
            "name",
            "kind",
            "colour",
            "description",
            "owner",
            "is_active",
            "collision_window_hours",
            "allow_collisions",
            "blackouts",
            "adapter",
            "endpoint_url",
            "recipients",
            "timeout_seconds",
            "max_attempts",
            "previous_secret_until",
            "disabled_at",
            "disabled_reason",
            "editable",
            "version",
        ]
        # Only how it goes out changes here (services.channel_update); the rest is set
        # when it is made.
        read_only_fields = [
            "name",
            "kind",
            "colour",
            "description",
            "owner",
            "is_active",
            "collision_window_hours",
            "allow_collisions",
            "previous_secret_until",
            "disabled_at",
            "disabled_reason",
            "version",
        ]

    def get_editable(self, channel: Channel) -> bool:
        request = self.context.get("request")
        return request is not None and can_edit_channel(request.user, channel)

    def to_representation(self, instance: Channel) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not data["editable"]:
            for name in PRIVATE_CHANNEL_FIELDS:
                data[name] = None
        return data

    def validate_endpoint_url(self, value: str | None) -> str:
        return value or ""

    def validate_recipients(self, value: str | None) -> str:
        return value or ""


class ChannelCreateSerializer(ChannelSerializer):
    """A new channel (admins). The answer carries its signing secret, this once."""

    owner = RelatedId(
        queryset=_active_people(), help_text="Told whenever something on this channel fails."
    )

    class Meta(ChannelSerializer.Meta):
        read_only_fields = ["previous_secret_until", "disabled_at", "disabled_reason", "version"]


class ChannelSecretSerializer(ChannelSerializer):
    """The channel with its signing secret: shown once, when it is made or rotated."""

    signing_secret = serializers.CharField(
        read_only=True,
        help_text="Standard Webhooks secret (whsec_…): keep it now, it is not shown again. "
        "After a rotation the previous one stays valid for 24 hours.",
    )

    class Meta(ChannelSerializer.Meta):
        fields = [*ChannelSerializer.Meta.fields, "signing_secret"]


class ChannelFilter(filters.FilterSet):
    kind = filters.MultipleChoiceFilter(choices=ChannelKind.choices)
    adapter = filters.MultipleChoiceFilter(choices=AdapterKind.choices)
    is_active = filters.BooleanFilter()
    owner = IdFilter(field_name="owner_id")

    class Meta:
        model = Channel
        fields = ["kind", "adapter", "is_active", "owner"]


class RotateSecretSerializer(StrictSerializer):
    end_previous = serializers.BooleanField(
        default=False,
        help_text="Rotate even though the previous secret still works, which ends it at once "
        "(a receiver still on it fails every delivery from then on).",
    )


class ChannelViewSet(Listable, Retrievable, Updatable, ApiViewSet):
    """The workspace's channels: everyone reads them; their owner or an admin sets how
    one goes out (with If-Match: a settings change bumps the version); admins add them."""

    serializer_class = ChannelSerializer
    create_serializer_class = ChannelCreateSerializer
    filterset_class = ChannelFilter
    ordering_fields = ["name", "kind"]
    ordering = ["name", "id"]

    def visible(self) -> QuerySet[Channel]:
        return Channel.objects.select_related("owner").prefetch_related("blackouts")

    def fetch(self, pk: int, *, write: bool) -> Channel:
        return get_channel_for_user(self.user, pk, write=write)

    @extend_schema(request=ChannelCreateSerializer, responses={201: ChannelSecretSerializer})
    def create(self, request: Request) -> Response:
        """Add a channel (admins). The answer shows its signing secret, this once."""
        if not can_create_channel(self.user):
            raise PermissionDenied("Only admins add channels.")
        body = ChannelCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            channel = services.channel_create(actor=self.user, **body.validated_data)
        response = self.respond(channel, status=201, serializer=ChannelSecretSerializer)
        response["Location"] = self.reverse_action("detail", args=[channel.pk])
        return response

    def perform_update(self, obj: Channel, *, version: int, data: dict[str, Any]) -> Channel:
        """How the channel goes out (its owner and admins). Nothing is saved unless every
        setting is valid; every change is in the channel's history."""
        return services.channel_update(actor=self.user, channel=obj, version=version, changes=data)

    @extend_schema(request=RotateSecretSerializer, responses=ChannelSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str) -> Response:
        """A new signing secret, shown this once; the previous one stays valid for a day
        and deliveries carry both signatures meanwhile. While it does, rotating again is
        refused (400, `previous_secret_works`) unless the body says `end_previous`, as the
        settings page asks first: it ends that secret at once."""
        channel = self.get_object()
        body = RotateSecretSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rotated = services.channel_rotate_secret(
            actor=self.user, channel=channel, end_previous=body.validated_data["end_previous"]
        )
        return self.respond(rotated, serializer=ChannelSecretSerializer)

    @extend_schema(request=None, responses=ChannelSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request: Request, pk: str) -> Response:
        """Send on the channel again after its endpoint answered 410 Gone."""
        channel = self.get_object()
        StrictSerializer(data=request.data).is_valid(raise_exception=True)
        services.channel_enable(actor=self.user, channel=channel)
        return self.respond(channel)


# ── Launches ──────────────────────────────────────────────────────────────────


class LaunchActivationSerializer(serializers.ModelSerializer):
    """One channel of the launch, and what became of it (details: /activations/{id}/)."""

    class Meta:
        model = Activation
        fields = ["id", "channel", "state"]
        read_only_fields = fields


class LaunchGateSerializer(serializers.ModelSerializer):
    """A readiness gate of the launch (details: /readiness-gates/{id}/)."""

    class Meta:
        model = ReadinessGate
        fields = ["id", "title", "status", "required", "due_date"]
        read_only_fields = fields


WALL_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


@extend_schema_field({"type": "string", "pattern": WALL_TIME, "example": "09:30"})
class WallTimeField(TimeField):
    """A wall time, HH:MM or HH:MM:SS, in a zone named beside it (no offset of its own,
    which is why it is no RFC 3339 `time`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%H:%M:%S")
        kwargs.setdefault("input_formats", ["%H:%M", "%H:%M:%S"])
        super().__init__(**kwargs)


TIME_ZONE_HELP = "An IANA time zone, e.g. Europe/Berlin: the zone the launch is planned in."


class LaunchSerializer(ResourceSerializer):
    """A coordinated launch: every channel goes out at one moment.

    The moment is planned as a wall time (`local_date`, `local_time`) in a named zone
    (`time_zone`) and kept in UTC (`go_live`). A wall time the clocks skip (a
    spring-forward gap) is refused with the nearest valid times; one that happens twice
    takes the first. Its status moves by the `schedule`, `unschedule` and `cancel`
    actions and by the engine, never by an edit.
    """

    local_date = DateField(help_text="The go-live date, as planned in `time_zone`.")
    local_time = WallTimeField(help_text="The go-live wall time, as planned in `time_zone`.")
    time_zone = serializers.CharField(
        max_length=64, validators=[validate_time_zone], help_text=TIME_ZONE_HELP
    )
    activations = LaunchActivationSerializer(many=True, read_only=True)
    gates = LaunchGateSerializer(many=True, read_only=True)

    class Meta:
        model = Launch
        fields = [
            "id",
            "project",
            "name",
            "status",
            "go_live",
            "local_date",
            "local_time",
            "time_zone",
            "policy",
            "notes",
            "hold_reason",
            "next_check_at",
            "activations",
            "gates",
            "fired_at",
            "finished_at",
            "lateness_ms",
            "skew_ms",
            "created_by",
            "version",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "next_check_at": {
                "help_text": "When preflight next checks a scheduled launch; null when only "
                "its last check, as it is armed seconds before go-live, is left (and for "
                "a launch not scheduled)."
            }
        }
        read_only_fields = [
            "project",
            "status",
            "go_live",
            "hold_reason",
            "next_check_at",
            "fired_at",
            "finished_at",
            "lateness_ms",
            "skew_ms",
            "created_by",
            "version",
            "created_at",
            "updated_at",
        ]


class LaunchCreateSerializer(LaunchSerializer):
    project = ProjectId()
    # Any channel's id is read; the service refuses, by name, one a launch may not go out
    # on (selectors.launchable_channels: the ones the form offers).
    channels = RelatedId(
        queryset=Channel.objects.all(),
        many=True,
        required=False,
        help_text="Ids of channels it goes out on (one activation each): the project's "
        "channels that are switched on, as in the launch form (another is refused by "
        "name); more can be added later through /activations/.",
    )

    class Meta(LaunchSerializer.Meta):
        fields = [*LaunchSerializer.Meta.fields, "channels"]
        read_only_fields = [f for f in LaunchSerializer.Meta.read_only_fields if f != "project"]

    def validate_channels(self, value: list[Channel]) -> list[Channel]:
        if len({c.pk for c in value}) != len(value):
            raise serializers.ValidationError("A channel is named twice.")
        return value


CONFLICT_KINDS = [
    ("collision", "Another launch on a channel within its collision window"),
    ("blackout", "A channel's blackout dates"),
    ("gate", "Before a required readiness gate is due"),
    ("window", "Outside the project's promotion window"),
]
PROBLEM_KINDS = [
    ("gate", "A required readiness gate is not ready"),
    ("content", "An activation's content is missing"),
    ("channel", "A channel could not send"),
]


class ConflictSerializer(serializers.Serializer):
    """Something wrong with the launch's moment: flagged, or refused if blocking. Besides
    the message, what it is about by id and date; each kind fills its own fields and
    leaves the others null (or `gate_ids` empty)."""

    kind = serializers.ChoiceField(choices=CONFLICT_KINDS)
    message = serializers.CharField()
    blocking = serializers.BooleanField(
        help_text="The channel refuses collisions: the launch cannot move here."
    )
    channel_id = serializers.IntegerField(
        allow_null=True, help_text="collision, blackout: the channel (/channels/{id}/)."
    )
    other_launch_id = serializers.IntegerField(
        allow_null=True,
        help_text="collision: the other launch on that channel (/launches/{id}/, if you may "
        "read its project).",
    )
    other_go_live = serializers.DateTimeField(
        allow_null=True, help_text="collision: when the other launch goes live."
    )
    starts_on = serializers.DateField(
        allow_null=True,
        help_text="blackout: its first day; window: the first day of the project's "
        "promotion window (null if open-ended).",
    )
    ends_on = serializers.DateField(
        allow_null=True,
        help_text="blackout: its last day; window: the promotion window's last day (null "
        "if open-ended).",
    )
    due_on = serializers.DateField(
        allow_null=True, help_text="gate: the latest due date of the gates in `gate_ids`."
    )
    gate_ids = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="gate: the required gates not ready yet that are due after the go-live "
        "date (/readiness-gates/{id}/).",
    )


class ProblemSerializer(serializers.Serializer):
    """Something preflight would hold the launch for."""

    kind = serializers.ChoiceField(choices=PROBLEM_KINDS)
    subject = serializers.CharField(help_text="The gate's title, or the channel's name.")
    message = serializers.CharField()
    channel_id = serializers.IntegerField(allow_null=True)


class ScheduledLaunchSerializer(LaunchSerializer):
    """The launch as `schedule` left it, with what preflight would hold it for now."""

    problems = serializers.SerializerMethodField(
        help_text="What preflight would hold the launch for if it ran now, as "
        "`GET …/readiness/` says: scheduling is allowed before everything is ready, and "
        "the owners of what is not are told at each check (at once when a check's moment "
        "has already passed)."
    )

    class Meta(LaunchSerializer.Meta):
        fields = [*LaunchSerializer.Meta.fields, "problems"]

    @extend_schema_field(ProblemSerializer(many=True))
    def get_problems(self, launch: Launch) -> list[dict[str, Any]]:
        # What the schedule service found under the row's lock (and told the owners of).
        return ProblemSerializer(self.context["problems"], many=True).data


class LaunchFilter(filters.FilterSet):
    project = IdFilter(field_name="project_id")
    channel = IdFilter(field_name="activations__channel_id", label="Goes out on this channel")
    status = filters.MultipleChoiceFilter(choices=LaunchStatus.choices)
    go_live_from = filters.DateFilter(
        field_name="local_date", lookup_expr="gte", label="Goes live on or after (its date)"
    )
    go_live_to = filters.DateFilter(
        field_name="local_date", lookup_expr="lte", label="Goes live on or before (its date)"
    )
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Launch
        fields = ["project", "channel", "status", "go_live_from", "go_live_to", "updated_since"]


@contextmanager
def _as_body_fields() -> Iterator[None]:
    """The services judge the go-live as one `local_go_live`; the body gives it as
    `local_date` and `local_time`, so its errors are named after the time."""
    try:
        yield
    except DjangoValidationError as error:
        if hasattr(error, "error_dict") and "local_go_live" in error.error_dict:
            errors = dict(error.error_dict)
            errors["local_time"] = errors.pop("local_go_live")
            raise DjangoValidationError(errors) from None
        raise


class HoldSerializer(StrictSerializer):
    """Why the launch is held."""

    reason = serializers.CharField(
        max_length=engine.HOLD_REASON_MAX,
        help_text="Shown to everyone who reads the launch, in the calendars and in the "
        "launch.held event, with who held it.",
    )


class LaunchViewSet(Listable, Retrievable, Creatable, Updatable, ApiViewSet):
    """Launches of your projects. Members read them; managers plan, move, schedule and
    cancel them. There is no delete: a launch is cancelled, and kept."""

    serializer_class = LaunchSerializer
    create_serializer_class = LaunchCreateSerializer
    filterset_class = LaunchFilter
    ordering_fields = ["go_live", "name", "status", "created_at", "updated_at"]
    ordering = ["go_live", "id"]

    def visible(self) -> QuerySet[Launch]:
        return Launch.objects.filter(project__in=projects_for_user(self.user)).prefetch_related(
            Prefetch("activations", Activation.objects.order_by("channel__name", "id")),
            "gates",
        )

    def fetch(self, pk: int, *, write: bool) -> Launch:
        return get_launch_for_user(self.user, pk, write=write)

    def perform_create(self, data: dict[str, Any]) -> Launch:
        project = self.project_for(data.pop("project"), need=Need.MANAGE)
        local = dt.datetime.combine(data.pop("local_date"), data.pop("local_time"))
        with _as_body_fields():
            launch, _ = services.launch_create(
                actor=self.user,
                project=project,
                local_go_live=local,
                channels=data.pop("channels", []),
                **data,
            )
        return launch

    def perform_update(self, obj: Launch, *, version: int, data: dict[str, Any]) -> Launch:
        if "local_date" in data or "local_time" in data:
            data["local_go_live"] = dt.datetime.combine(
                data.pop("local_date", obj.local_date), data.pop("local_time", obj.local_time)
            )
        with _as_body_fields():
            launch, _ = services.launch_update(
                actor=self.user, launch=obj, version=version, changes=data
            )
        return launch

    def _set_status(
        self, status: str, serializer: type[serializers.Serializer] | None = None
    ) -> Response:
        launch = self.get_object()
        version = self.expected_version()
        self.check_version(launch, version)
        StrictSerializer(data=self.request.data).is_valid(raise_exception=True)
        with _as_body_fields():
            _, problems = services.launch_set_status(
                actor=self.user, launch=launch, version=version, status=status
            )
        return self.respond(launch, serializer=serializer, context={"problems": problems})

    @extend_schema(request=None, responses=ScheduledLaunchSerializer)
    @action(detail=True, methods=["post"], if_match=True)
    def schedule(self, request: Request, pk: str) -> Response:
        """Hand a draft to the engine, or release a held launch (managers). Preflight
        checks it at each of LAUNCH_PREFLIGHT_OFFSETS before go-live (24 h, 1 h and 5 min
        by default; a check whose moment has passed runs at once) and once more as it is
        armed; `next_check_at` says when, `problems` what it would hold the launch for
        now. Refused (400 at `local_time`) once the go-live has passed: move it first;
        and (400) inside the last check's window, if that check would hold it."""
        return self._set_status(LaunchStatus.SCHEDULED, ScheduledLaunchSerializer)

    @extend_schema(request=None, responses=LaunchSerializer)
    @action(detail=True, methods=["post"], if_match=True)
    def unschedule(self, request: Request, pk: str) -> Response:
        """Take a scheduled launch back to draft: the engine leaves it alone (managers)."""
        return self._set_status(LaunchStatus.DRAFT)

    @extend_schema(request=HoldSerializer, responses=LaunchSerializer)
    @action(detail=True, methods=["post"], if_match=True)
    def hold(self, request: Request, pk: str) -> Response:
        """Hold a scheduled launch (managers), up to the moment it starts firing: nothing
        goes out until `schedule` releases it. Armed seconds before go-live, the engine's
        own version bump does not make the hold stale: the row lock decides."""
        launch = self.get_object()
        version = self.expected_version()
        body = HoldSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.launch_hold(
            actor=self.user, launch=launch, version=version, reason=body.validated_data["reason"]
        )
        return self.respond(launch)

    @extend_schema(request=None, responses=LaunchSerializer)
    @action(detail=True, methods=["post"], if_match=True)
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel the launch (managers); while it fires, whatever has not gone out stays
        unsent."""
        return self._set_status(LaunchStatus.CANCELLED)

    @extend_schema(request=None, responses=ConflictSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def conflicts(self, request: Request, pk: str) -> Response:
        """What is wrong with its moment: same-channel launches within the channel's
        window, blackouts, a required gate due after go-live, a go-live outside the
        promotion window. A launch that is history has none."""
        launch = self.get_object()
        found = [] if launch.is_final else conflicts_for([launch])[launch.pk]
        return Response(ConflictSerializer(found, many=True).data)

    @extend_schema(request=None, responses=ProblemSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def readiness(self, request: Request, pk: str) -> Response:
        """What preflight would hold it for if it ran now: required gates not ready,
        activations without content, channels that could not send."""
        launch = self.get_object()
        return Response(ProblemSerializer(engine.check_launch(launch), many=True).data)


# ── Activations ───────────────────────────────────────────────────────────────


class ActivationSerializer(ResourceSerializer):
    """What goes out on one channel when its launch goes live, and what became of it."""

    class Meta:
        model = Activation
        fields = [
            "id",
            "launch",
            "channel",
            "subject",
            "body",
            "link",
            "audience",
            "state",
            "idempotency_key",
            "attempts",
            "status_code",
            "first_sent_at",
            "sent_at",
            "answered_at",
            "failed_at",
            "last_error",
            "done_by",
            "version",
        ]
        # Only the content is written here; the engine writes the rest.
        read_only_fields = [
            f for f in fields if f not in ("id", "subject", "body", "link", "audience")
        ]
        extra_kwargs = {
            "idempotency_key": {"help_text": "Sent as webhook-id on every attempt."},
            "link": {"help_text": "An http(s) address."},
        }


class ActivationCreateSerializer(ActivationSerializer):
    """A channel added to a launch (managers, before it goes out), with its content."""

    launch = RelatedId(
        queryset=Launch.objects.all(), scope=_visible_launches, help_text="The launch's id."
    )
    channel = RelatedId(
        queryset=Channel.objects.all(),
        help_text="The id of one of the project's channels that is switched on (another "
        "is refused by name).",
    )

    class Meta(ActivationSerializer.Meta):
        read_only_fields = [
            f for f in ActivationSerializer.Meta.read_only_fields if f not in ("launch", "channel")
        ]
        validators: list[Any] = []  # one per channel: perform_create says it by name


class ActivationFilter(filters.FilterSet):
    launch = IdFilter(field_name="launch_id")
    channel = IdFilter(field_name="channel_id")
    project = IdFilter(field_name="launch__project_id")
    state = filters.MultipleChoiceFilter(choices=ActivationState.choices)

    class Meta:
        model = Activation
        fields = ["launch", "channel", "project", "state"]


class ActivationViewSet(Listable, Retrievable, Creatable, Updatable, Deletable, ApiViewSet):
    """The channels of your projects' launches (filter by `launch`). Managers add,
    change and remove them until the launch goes out, and retry a failed one; the
    channel's owner ticks off a manual step."""

    serializer_class = ActivationSerializer
    create_serializer_class = ActivationCreateSerializer
    filterset_class = ActivationFilter
    ordering_fields = ["id", "state"]
    ordering = ["launch_id", "id"]

    def visible(self) -> QuerySet[Activation]:
        return Activation.objects.filter(launch__project__in=projects_for_user(self.user))

    def fetch(self, pk: int, *, write: bool) -> Activation:
        # Ticking off is not editing: the channel's owner may do it (can_tick).
        if self.action == "done":
            return get_activation_for_user(self.user, pk, tick=True)
        return get_activation_for_user(self.user, pk, write=write)

    def perform_create(self, data: dict[str, Any]) -> Activation:
        launch = get_launch_for_user(self.user, data.pop("launch").pk, write=True)
        channel = data.pop("channel")
        if launch.activations.filter(channel=channel).exists():
            raise serializers.ValidationError(
                {"channel": [f"This launch goes out on {channel} already: change that one."]}
            )
        return services.activation_set(actor=self.user, launch=launch, channel=channel, **data)

    def perform_update(self, obj: Activation, *, version: int, data: dict[str, Any]) -> Any:
        # activation_set writes the content at the row's current version: the caller's
        # is checked here, under the same lock, so a stale edit never lands.
        self.check_version(Activation.objects.select_for_update().get(pk=obj.pk), version)
        return services.activation_set(
            actor=self.user, launch=obj.launch, channel=obj.channel, **data
        )

    def perform_destroy(self, obj: Activation) -> None:
        services.activation_remove(actor=self.user, activation=obj)

    @extend_schema(request=None, responses=ActivationSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        """One more attempt at a failed (or unknown) automated activation (managers)."""
        activation = self.get_object()
        StrictSerializer(data=request.data).is_valid(raise_exception=True)
        services.activation_retry(actor=self.user, activation=activation)
        return self.respond(activation)

    @extend_schema(request=None, responses=ActivationSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request: Request, pk: str) -> Response:
        """Say a manual step (or one of unknown fate) went out: the channel's owner or a
        manager."""
        activation = self.get_object()
        StrictSerializer(data=request.data).is_valid(raise_exception=True)
        services.activation_tick(actor=self.user, activation=activation)
        return self.respond(activation)


# ── Readiness gates ───────────────────────────────────────────────────────────


class ReadinessGateSerializer(ResourceSerializer):
    """Something that must be true before go-live, with who says so (an owner or a
    team). A required gate still pending at the last preflight holds the launch."""

    owner = RelatedId(
        queryset=_active_people(), required=False, allow_null=True, help_text="An active person."
    )
    team = RelatedId(
        queryset=Team.objects.all(), required=False, allow_null=True, help_text="A team."
    )

    class Meta:
        model = ReadinessGate
        fields = [
            "id",
            "launch",
            "title",
            "owner",
            "team",
            "due_date",
            "required",
            "status",
            "version",
        ]
        read_only_fields = ["launch", "version"]
        extra_kwargs = {
            "status": {
                "help_text": "pending, ready or waived: its owner, its team or a manager "
                "sets it; the other fields are the managers'."
            }
        }


class ReadinessGateCreateSerializer(ReadinessGateSerializer):
    launch = RelatedId(
        queryset=Launch.objects.all(), scope=_visible_launches, help_text="The launch's id."
    )

    class Meta(ReadinessGateSerializer.Meta):
        read_only_fields = ["status", "version"]


class ReadinessGateFilter(filters.FilterSet):
    launch = IdFilter(field_name="launch_id")
    project = IdFilter(field_name="launch__project_id")
    owner = IdFilter(field_name="owner_id")
    team = IdFilter(field_name="team_id")
    status = filters.MultipleChoiceFilter(choices=GateStatus.choices)
    required = filters.BooleanFilter()

    class Meta:
        model = ReadinessGate
        fields = ["launch", "project", "owner", "team", "status", "required"]


class ReadinessGateViewSet(Listable, Retrievable, Creatable, Updatable, ApiViewSet):
    """Readiness gates of your projects' launches (filter by `launch`). Managers set
    them up; a gate's owner, its team or a manager says it is ready."""

    serializer_class = ReadinessGateSerializer
    create_serializer_class = ReadinessGateCreateSerializer
    filterset_class = ReadinessGateFilter
    ordering_fields = ["due_date", "status", "title"]
    ordering = ["due_date", "id"]

    def visible(self) -> QuerySet[ReadinessGate]:
        return ReadinessGate.objects.filter(launch__project__in=projects_for_user(self.user))

    def fetch(self, pk: int, *, write: bool) -> ReadinessGate:
        return get_gate_for_user(self.user, pk, write=write)

    def perform_create(self, data: dict[str, Any]) -> ReadinessGate:
        launch = get_launch_for_user(self.user, data.pop("launch").pk, write=True)
        return services.gate_create(actor=self.user, launch=launch, **data)

    def perform_update(self, obj: ReadinessGate, *, version: int, data: dict[str, Any]) -> Any:
        if set(data) - {"status"}:
            # Only its status is the owner's to say; what the gate is, the managers'.
            get_launch_for_user(self.user, obj.launch_id, write=True)
        return services.gate_update(actor=self.user, gate=obj, version=version, changes=data)


# ── Milestones ────────────────────────────────────────────────────────────────


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

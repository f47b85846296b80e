"""Metric samples in the public API (/api/v1/metrics/samples/).

POST: a batch of up to 10,000 samples, all or nothing, by the rules of every way in
(performance/ingest.py): {"samples": [{"project": 3, "channel": "Newsletter" | 7,
"activation": 12, "metric": "leads", "date": "2026-01-31", "value": 42, "source": "ga4"},
...]} (or the bare list). "project" may be left out when "activation" is given; "source"
defaults to "api". Sending the same batch again changes nothing. A refused batch names
each problem by row and field in `errors` (a list, as this endpoint always answered).

GET: the samples of your projects, filtered by project, goal (the metrics that measure
it), channel, activation, metric, source and date range.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from synchrony.api.base import ApiViewSet, Listable
from synchrony.api.errors import error_body
from synchrony.api.filtering import IdFilter
from synchrony.performance.ingest import FIELDS, RowError, SamplesInvalid
from synchrony.performance.models import CustomMetric, MetricSample
from synchrony.performance.selectors import guess_tracking
from synchrony.performance.services import API_MAX_SAMPLES, samples_ingest
from synchrony.projects.selectors import get_goal_for_user, projects_for_user


class MetricSampleSerializer(serializers.ModelSerializer):
    """One metric's value for one day, on a channel (or one of its activations), from
    one source."""

    class Meta:
        model = MetricSample
        fields = [
            "id",
            "project",
            "channel",
            "activation",
            "metric",
            "date",
            "value",
            "source",
            "recorded_by",
            "updated_at",
        ]
        read_only_fields = fields


class SampleInSerializer(serializers.Serializer):
    """One sample of a batch (checked row by row: see the errors)."""

    project = serializers.IntegerField(
        required=False, help_text="The project's id; may be left out with `activation`."
    )
    channel = serializers.CharField(
        required=False, help_text="One of the project's channels: its id or its name."
    )
    activation = serializers.IntegerField(
        required=False, help_text="An activation of the project: the figure is about it."
    )
    metric = serializers.CharField(help_text="A built-in metric or one the project defines.")
    date = serializers.DateField(help_text="The day, within the project's measuring window.")
    value = serializers.DecimalField(max_digits=18, decimal_places=2)
    source = serializers.CharField(
        required=False, help_text="Where it comes from; `api` if left out."
    )


class SampleBatchSerializer(serializers.Serializer):
    """A batch of samples: all are saved, or none."""

    samples = SampleInSerializer(many=True, help_text=f"1 to {API_MAX_SAMPLES:,} samples.")


class SavedSerializer(serializers.Serializer):
    """How many samples the batch wrote (the same batch again writes the same rows)."""

    saved = serializers.IntegerField()


ROW_ERROR = {
    "type": "object",
    "description": "A problem with one sample of the batch.",
    "required": ["row", "field", "message"],
    "properties": {
        "row": {"type": "integer", "description": "The sample's place in the batch, from 1."},
        "field": {"type": "string", "description": "The field at fault, or `row`."},
        "message": {"type": "string"},
    },
}


@extend_schema_field(
    {
        "oneOf": [
            {"type": "array", "items": ROW_ERROR},
            {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        ]
    }
)
class _BatchErrors(serializers.JSONField):
    pass


class BatchErrorSerializer(serializers.Serializer):
    """A refused batch: nothing was saved."""

    code = serializers.CharField()
    message = serializers.CharField()
    detail = serializers.CharField(help_text="The message (kept for older clients).")
    error_count = serializers.IntegerField(
        required=False, help_text="How many problems the rows had (at most 200 are listed)."
    )
    errors = _BatchErrors(
        help_text="The rows' problems, each with its row and field; or, for a body that is "
        "no batch at all, messages per field as everywhere in the API."
    )


def _refused(
    message: str, errors: Any = None, *, code: str = "invalid", status: int = 400
) -> Response:
    body = error_body(code, message)
    body["errors"] = {} if errors is None else errors
    body["detail"] = message
    return Response(body, status=status)


def _rows_refused(errors: list[RowError], total: int) -> Response:
    response = _refused(f"{total} error(s); nothing was saved.", [e.as_dict() for e in errors])
    response.data["error_count"] = total
    return response


class MetricSampleFilter(filters.FilterSet):
    project = IdFilter(field_name="project_id")
    goal = IdFilter(method="of_goal", label="The metrics that measure this goal, on its project")
    channel = IdFilter(field_name="channel_id")
    activation = IdFilter(field_name="activation_id")
    metric = filters.CharFilter(max_length=40)
    source = filters.CharFilter(max_length=40)
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte")
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = MetricSample
        fields = [
            "project",
            "goal",
            "channel",
            "activation",
            "metric",
            "source",
            "date_from",
            "date_to",
            "updated_since",
        ]

    def of_goal(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        try:
            goal = get_goal_for_user(self.request.user, value)
        except Http404:
            raise exceptions.ValidationError({"goal": [f"No such goal: {value}."]}) from None
        # How the dashboard measures it: as a manager said, or guessed from its name.
        custom = dict(CustomMetric.objects.filter(project=goal.project).values_list("key", "name"))
        tracking = getattr(goal, "tracking", None) or guess_tracking(goal, custom)
        if tracking is None:
            return queryset.none()
        metrics = {tracking.metric, tracking.denominator} - {""}
        return queryset.filter(project_id=goal.project_id, metric__in=metrics)


class MetricSampleViewSet(Listable, ApiViewSet):
    """Metric samples of your projects: read them, or send a batch (managers and
    contributors of each project named)."""

    # Older clients read `detail` in an error: it stays beside the common body.
    core = False
    versioned = False  # a sample is replaced by sending it again, never edited
    serializer_class = MetricSampleSerializer
    filterset_class = MetricSampleFilter
    ordering_fields = ["date", "metric", "updated_at"]
    ordering = ["date", "id"]

    def visible(self) -> QuerySet[MetricSample]:
        return MetricSample.objects.filter(project__in=projects_for_user(self.user))

    @extend_schema(
        request=SampleBatchSerializer,
        responses={200: SavedSerializer, 400: BatchErrorSerializer, 413: BatchErrorSerializer},
    )
    def create(self, request: Request) -> Response:
        """Send a batch of samples: all saved, or none with every problem named."""
        data: Any = request.data  # a malformed body raises ParseError: 400 with its detail
        if isinstance(data, dict):
            strays = sorted(str(key) for key in data if key != "samples")[:20]
            if strays:
                return _refused(
                    "Send an object with only a “samples” list.",
                    {key: ["Unknown field."] for key in strays},
                )
            rows = data.get("samples")
        else:
            rows = data
        if not isinstance(rows, list):
            message = "Send a JSON list of samples, or an object with a “samples” list."
            return _refused(message, {"samples": [message]})
        if not rows:
            return _refused("The batch is empty.", {"samples": ["The batch is empty."]})
        if len(rows) > API_MAX_SAMPLES:
            message = f"At most {API_MAX_SAMPLES:,} samples per request; got {len(rows):,}."
            return _refused(
                message, code="too_large", status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
            )
        problems = [
            RowError(i, "row", "Not an object.")
            for i, r in enumerate(rows, 1)
            if not isinstance(r, dict)
        ]
        if problems:
            response = _rows_refused(problems[:200], len(problems))
            response.data["message"] = response.data["detail"] = "Every sample is a JSON object."
            return response
        # A misspelt field would look like a figure saved without it.
        unknown = [
            RowError(i, str(key), "Unknown field.")
            for i, row in enumerate(rows, 1)
            for key in row
            if key not in FIELDS
        ]
        if unknown:
            return _rows_refused(unknown[:200], len(unknown))
        try:
            count = samples_ingest(actor=self.user, rows=rows)
        except SamplesInvalid as error:
            return _rows_refused(error.errors, error.total)
        return Response({"saved": count}, status=status.HTTP_200_OK)

"""Your notifications in the public API (/api/v1/notifications/): list, read, mark read.

Each person sees only their own; another's notification does not exist for them (404).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from synchrony.activity.models import Notification, NotificationKind
from synchrony.activity.services import mark_read
from synchrony.api.base import ApiViewSet, Listable, Retrievable, StrictSerializer
from synchrony.api.filtering import IdFilter
from synchrony.api.pagination import MAX_ID


class NotificationSerializer(serializers.ModelSerializer):
    """Something you were told about, in the app (and by e-mail if you chose so)."""

    link = serializers.SerializerMethodField(help_text="Where it leads in the app, if anywhere.")

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "project", "created_at", "read_at"]
        read_only_fields = fields

    def get_link(self, notification: Notification) -> str | None:
        request = self.context.get("request")
        if not notification.url:
            return None
        if request is not None and notification.url.startswith("/"):
            return request.build_absolute_uri(notification.url)
        return notification.url


class MarkReadSerializer(StrictSerializer):
    """Which notifications to mark read."""

    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        allow_empty=False,
        max_length=1000,
        help_text="The notifications to mark read; all unread ones when left out.",
    )


class MarkedSerializer(serializers.Serializer):
    """How many notifications were marked read."""

    marked = serializers.IntegerField(help_text="How many were unread and are now read.")


class NotificationFilter(filters.FilterSet):
    unread = filters.BooleanFilter(field_name="read_at", lookup_expr="isnull")
    kind = filters.MultipleChoiceFilter(choices=NotificationKind.choices)
    project = IdFilter(field_name="project_id")
    since = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Notification
        fields = ["unread", "kind", "project", "since"]


class NotificationViewSet(Listable, Retrievable, ApiViewSet):
    """Your notifications, newest first."""

    versioned = False  # a notification is only ever marked read, by its one reader
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    def visible(self) -> QuerySet[Notification]:
        return Notification.objects.filter(recipient=self.user)

    def fetch(self, pk: int, *, write: bool) -> Notification:
        notification = self.visible().filter(pk=pk).first()
        if notification is None:
            raise Http404("No such notification.")
        return notification

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        """Mark this notification read (it stays read if it was)."""
        notification = self.get_object()
        StrictSerializer(data=request.data).is_valid(raise_exception=True)
        mark_read(user=self.user, notification_ids=[notification.pk])
        return self.respond(notification)

    @extend_schema(request=MarkReadSerializer, responses=MarkedSerializer)
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request: Request) -> Response:
        """Mark the given notifications read, or all unread ones."""
        body = MarkReadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids: list[int] | None = body.validated_data.get("ids")
        if ids is not None:
            mine = set(self.visible().filter(pk__in=ids).values_list("pk", flat=True))
            unknown = sorted(set(ids) - mine)
            if unknown:
                raise serializers.ValidationError(
                    {"ids": [f"No such notification: {', '.join(map(str, unknown[:20]))}."]}
                )
        return Response({"marked": mark_read(user=self.user, notification_ids=ids)})

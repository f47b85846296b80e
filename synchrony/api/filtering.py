"""Filters and ordering of /api/v1/ lists, strict as the rest of the API.

Kept apart from base.py: DRF imports the filter backends named in settings while its
own generic views are being defined, so this module must not import them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django_filters import rest_framework as filters
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions
from rest_framework import filters as drf_filters
from rest_framework.request import Request

from synchrony.api.pagination import MAX_ID


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(filters.NumberFilter):
    """Rows pointing at this id (a project, an owner): a whole number, else 400."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class FilterBackend(filters.DjangoFilterBackend):
    """django-filter, with every moment given in a query read as UTC before it is used.

    A moment's offset is the client's to choose (-18:17 parses), but PostgreSQL takes
    offsets up to ±15:59 only; in UTC every valid moment is fine, and one that leaves
    the calendar in UTC (9999-12-31T23:00-05:00) is a 400 naming the parameter.
    """

    def filter_queryset(self, request: Request, queryset: Any, view: Any) -> Any:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        cleaned = filterset.form.cleaned_data
        for name, value in cleaned.items():
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                try:
                    cleaned[name] = value.astimezone(dt.UTC)
                except OverflowError:
                    raise exceptions.ValidationError(
                        {name: ["This moment is outside the calendar once read as UTC."]}
                    ) from None
        return filterset.qs


class OrderingFilter(drf_filters.OrderingFilter):
    """`ordering=field` or `-field`, comma-separated; a field not offered is a 400."""

    def remove_invalid_fields(
        self, queryset: Any, fields: list[str], view: Any, request: Request
    ) -> list[str]:
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        asked = [f for f in fields if f]
        if len(valid) != len(asked):
            offered = self._offered(view, request, queryset)
            raise exceptions.ValidationError(
                {"ordering": [f"Order by {offered}; a leading - reverses the order."]}
            )
        return valid

    def _offered(self, view: Any, request: Request | None, queryset: Any = None) -> str:
        names = [name for name, _ in self.get_valid_fields(queryset, view, {"request": request})]
        return ", ".join(names) or "nothing here"

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        fields = getattr(view, "ordering_fields", None)
        if isinstance(fields, (list, tuple)):
            for parameter in parameters:
                parameter["description"] = (
                    f"Order by {', '.join(fields)} (comma-separated; a leading - reverses)."
                )
        return parameters

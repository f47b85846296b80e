"""Filters and ordering of /api/v1/ lists, strict as the rest of the API.

Kept apart from base.py: DRF imports the filter backends named in settings while its
own generic views are being defined, so this module must not import them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django_filters import rest_framework as filters
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

"""Pages of a list: `page` (from 1) and `page_size` (1 to 200), and ids as the API reads them.

Kept apart from base.py: DRF imports the pagination class named in settings while its
own generic views are being defined, so this module must not import them.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework import exceptions, pagination
from rest_framework.request import Request

# Ids are PostgreSQL bigints: anything larger names no row (and must not reach the query).
MAX_ID = 2**63 - 1
_ID = re.compile(r"[0-9]{1,19}")


def parse_id(raw: object) -> int | None:
    """A positive row id from a URL, a query or a body, or None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _ID.fullmatch(raw):
        value = int(raw)
    else:
        return None
    return value if 0 < value <= MAX_ID else None


class Pagination(pagination.PageNumberPagination):
    """A malformed `page` or `page_size` is a 400 naming it, not silently the default."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return int(self.page_size or 50)
        size = parse_id(raw)
        if size is None or size > self.max_page_size:
            raise exceptions.ValidationError(
                {"page_size": [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        if parse_id(request.query_params.get(self.page_query_param, "1")) is None:
            raise exceptions.ValidationError({"page": ["A whole number from 1."]})
        # A page past the last is 404 ("Invalid page."), as DRF answers.
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated = super().get_paginated_response_schema(schema)
        # Every page names its neighbours, null at either end: a client never has to ask
        # whether the key is there.
        paginated["required"] = ["count", "next", "previous", "results"]
        return paginated

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters

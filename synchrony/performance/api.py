"""POST /api/v1/metrics/samples/: a batch of up to 10,000 samples, all or nothing.

Body: {"samples": [{"project": 3, "channel": "Newsletter" | 7, "activation": 12,
"metric": "leads", "date": "2026-01-31", "value": 42, "source": "ga4"}, ...]}
(or the bare list). "project" may be left out when "activation" is given; "source"
defaults to "api". Sending the same batch again changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from rest_framework import status
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    parser_classes,
    permission_classes,
    renderer_classes,
)
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from synchrony.api.authentication import TokenAuthentication, WritableToken
from synchrony.performance.ingest import SamplesInvalid
from synchrony.performance.services import API_MAX_SAMPLES, samples_ingest


@login_not_required  # a token, not a session, says who calls
@api_view(["POST"])
@authentication_classes([TokenAuthentication])
@permission_classes([WritableToken])
@parser_classes([JSONParser])
@renderer_classes([JSONRenderer])
def samples(request: Request) -> Response:
    data: Any = request.data  # a malformed body raises ParseError: 400 with its detail
    rows = data.get("samples") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        return Response(
            {"detail": "Send a JSON list of samples, or an object with a “samples” list."},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if not rows:
        return Response({"detail": "The batch is empty."}, status=status.HTTP_400_BAD_REQUEST)
    if len(rows) > API_MAX_SAMPLES:
        return Response(
            {"detail": f"At most {API_MAX_SAMPLES:,} samples per request; got {len(rows):,}."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    not_objects = [i for i, r in enumerate(rows, start=1) if not isinstance(r, dict)]
    if not_objects:
        return Response(
            {
                "detail": "Every sample is a JSON object.",
                "errors": [
                    {"row": i, "field": "row", "message": "Not an object."}
                    for i in not_objects[:200]
                ],
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    try:
        count = samples_ingest(actor=request.user, rows=rows)  # type: ignore[arg-type]
    except SamplesInvalid as error:
        return Response(
            {
                "detail": f"{error.total} error(s); nothing was saved.",
                "error_count": error.total,
                "errors": [e.as_dict() for e in error.errors],
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    return Response({"saved": count}, status=status.HTTP_200_OK)

"""The Review stage in the JSON API (read-only; a personal API token, as for /api/v1/).

GET /api/v1/retrospectives/<id>/               the retrospective as data (as the JSON export)
GET /api/v1/retrospectives/<id>/items/<uuid>/  one item; an anonymous one answers that its
                                               author is not stored, so cannot be given
GET /api/v1/lessons/?q=&channel=&stage=&kind=  published lessons, best match first

Lookups go through the same selectors as the pages: what the token's owner cannot see is
a 404. No parameter asks for more than a page shows: there is no author to ask for.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    renderer_classes,
)
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from synchrony.api.authentication import TokenAuthentication
from synchrony.reviews.forms import SearchForm
from synchrony.reviews.models import Phase
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


def _api(view: Any) -> Any:
    view = renderer_classes([JSONRenderer])(view)
    view = permission_classes([IsAuthenticated])(view)
    view = authentication_classes([TokenAuthentication])(view)
    view = api_view(["GET"])(view)
    return login_not_required(view)  # a token, not a session, says who calls


@_api
def retrospective(request: Request, retro_pk: int) -> Response:
    retro = get_retrospective_for_user(request.user, retro_pk)
    return Response(retrospective_data(retro, request.user))


@_api
def retrospective_item(request: Request, retro_pk: int, item_pk: Any) -> Response:
    retro = get_retrospective_for_user(request.user, retro_pk)
    item = get_item_for_user(request.user, retro, item_pk)
    board = board_for(retro, request.user)
    if retro.phase == Phase.WRITE and item.card_key not in board.cards:
        # Hidden until the reveal, from everyone but its author (and an anonymous item's
        # author cannot be recognised here at all).
        raise Http404("No such item.")
    return Response(item_data(item, retro, board))


@_api
def lessons(request: Request) -> Response:
    # The search text is taken as typed, whatever it holds (a NUL is dropped, a long one
    # shortened and said so); the filters must name a channel, stage or kind.
    query, shortened = clean_query(request.query_params.get("q", "")[:2000])
    form = SearchForm({**request.query_params.dict(), "q": query})
    if not form.is_valid():
        return Response(
            {"detail": "Check the filters.", "errors": form.errors.get_json_data()}, status=400
        )
    channel = form.cleaned_data["channel"]
    found = search_lessons(
        request.user,
        query=query,
        channel=channel.pk if channel else None,
        stage=form.cleaned_data["stage"],
        kind=form.cleaned_data["kind"],
    ).prefetch_related("channels")
    if not query:
        found = found.order_by("-published_at", "-id")
    rows = list(found[: MAX_LESSONS + 1])
    return Response(
        {
            "query": query,
            "shortened": shortened,
            "more": len(rows) > MAX_LESSONS,
            "lessons": [
                {
                    "id": lesson.pk,
                    "title": lesson.title,
                    "do_differently": lesson.do_differently,
                    "what_happened": lesson.what_happened,
                    "channels": [c.name for c in lesson.channels.all()],
                    "stage": lesson.get_stage_display() if lesson.stage else None,
                    "kind": lesson.get_kind_display() if lesson.kind else None,
                    "published_at": lesson.published_at.isoformat()
                    if lesson.published_at
                    else None,
                    "url": request.build_absolute_uri(lesson.get_absolute_url()),
                }
                for lesson in rows[:MAX_LESSONS]
            ],
        }
    )

"""The Review stage in the JSON API: token-scoped, read-only, no anonymous author anywhere."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from synchrony.api.services import token_create
from synchrony.reviews import services
from synchrony.reviews.models import Item
from tests.factories import ChannelFactory, LessonFactory
from tests.reviews.conftest import move, participant


def api(user, read_only: bool = True) -> Client:
    _, token = token_create(actor=user, name="script", read_only=read_only)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def board(cast, retro):
    anonymous = services.item_add(
        participant=participant(retro, cast.contributor),
        retro=retro,
        prompt="needs_work",
        text="The FAQ had no owner",
        anonymous=True,
    )
    named = services.item_add(
        participant=participant(retro, cast.contributor),
        retro=retro,
        prompt="worked",
        text="One moment for every channel",
        anonymous=False,
    )
    return retro, anonymous, named


def test_the_api_needs_a_token_and_scopes_to_the_projects_it_may_see(cast, board):
    retro, anonymous, _ = board
    url = reverse("api:retrospective-detail", args=[retro.pk])
    assert Client().get(url).status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer nonsense").get(url).status_code == 401
    assert api(cast.outsider).get(url).status_code == 404
    item = reverse("api:retrospective-item", args=[retro.pk, anonymous.pk])
    assert api(cast.outsider).get(item).status_code == 404
    # Read-only: no method but GET. (A read-only token is refused any write first, 403.)
    assert api(cast.viewer, read_only=False).post(url).status_code == 405
    assert api(cast.viewer).post(url).status_code == 403


def test_an_anonymous_authors_name_cannot_be_had_from_the_api(cast, board):
    retro, anonymous, named = board
    item_url = reverse("api:retrospective-item", args=[retro.pk, anonymous.pk])
    # Hidden while people write, even from its author: the server cannot tell who that is.
    for user in (cast.contributor, cast.manager, cast.viewer):
        assert api(user).get(item_url).status_code == 404
    named_url = reverse("api:retrospective-item", args=[retro.pk, named.pk])
    assert api(cast.contributor).get(named_url).json()["author"] == str(cast.contributor)
    assert api(cast.manager).get(named_url).status_code == 404
    retro = move(retro, cast.manager, "group")
    for user in (cast.contributor, cast.manager, cast.viewer):
        client = api(user)
        for query in ("", "?include=author", "?fields=author,author_id", "?author=1"):
            data = client.get(item_url + query).json()
            assert data["anonymous"] is True and data["author"] is None
            assert "does not store who wrote it" in data["author_note"]
            body = client.get(reverse("api:retrospective-detail", args=[retro.pk]) + query)
            text = body.content.decode()
            assert str(cast.contributor) in text  # their named item
            [card] = [c for c in body.json()["cards"] if c["title"] == "The FAQ had no owner"]
            assert card["items"] == [
                {"text": "The FAQ had no owner", "anonymous": True, "author": None}
            ]
    assert (
        api(cast.manager)
        .get(
            reverse(
                "api:retrospective-item", args=[retro.pk, "0" * 8 + "-0000-0000-0000-" + "0" * 12]
            )
        )
        .status_code
        == 404
    )
    assert Item.objects.get(pk=anonymous.pk).author_id is None


def test_lessons_search_through_the_api(cast):
    channel = ChannelFactory(name="Newsletter")
    lesson = LessonFactory(title="Brief sales first", do_differently="A sales gate.")
    lesson.channels.set([channel])
    LessonFactory(title="Draft", status="draft", published_at=None)
    client = api(cast.outsider)
    url = reverse("api:lesson-list")
    data = client.get(url, {"q": '"sales gate" OR nonsense', "channel": channel.pk}).json()
    assert [x["title"] for x in data["lessons"]] == ["Brief sales first"]
    assert data["lessons"][0]["channels"] == ["Newsletter"]
    for odd in ("!!", "a & b", ":*", "\x00", "x" * 3000, "(("):
        assert client.get(url, {"q": odd}).status_code == 200, odd
    response = client.get(url, {"channel": "abc", "stage": "nowhere"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"channel", "stage"}
    assert [x["title"] for x in client.get(url).json()["lessons"]] == ["Brief sales first"]

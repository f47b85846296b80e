"""An anonymous item's author is exposed by no page, partial, export, API response or live
update.

Every page that can show the retrospective is rendered as every kind of reader — the
facilitator, another participant, a viewer, an administrator, and the author themselves
(with and without the browser proof) — in every phase and after the project closes. The
element that holds the anonymous item must never carry the author's name, username or id;
the database must hold no link either.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from synchrony.accounts.models import User
from synchrony.activity import live
from synchrony.activity.models import ActivityEvent, Notification
from synchrony.projects.models import Membership, Role
from synchrony.reviews import services
from synchrony.reviews.models import Item, Lesson, ReportLink
from tests.conftest import client_for
from tests.factories import GoalFactory, LaunchFactory, UserFactory
from tests.reviews.conftest import move, participant

SECRET = "The hand-off to sales had no checklist"
AUTHOR_ID = 987654


class Elements(HTMLParser):
    """The source span of every element, to find the one that holds a piece of text."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "area", "wbr"}

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.lines = [0]
        for line in html.splitlines(keepends=True):
            self.lines.append(self.lines[-1] + len(line))
        self.open: list[tuple[str, int]] = []
        self.spans: list[tuple[str, int, int]] = []
        self.feed(html)

    def position(self) -> int:
        line, col = self.getpos()
        return self.lines[line - 1] + col

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.open.append((tag, self.position()))

    def handle_endtag(self, tag):
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == tag:
                start = self.open[i][1]
                del self.open[i:]
                end = self.html.find(">", self.position()) + 1
                self.spans.append((tag, start, end))
                return

    def holders(self, text: str, tags: tuple[str, ...]) -> list[str]:
        """The innermost element of one of `tags` around each occurrence of `text`."""
        found = []
        for match in re.finditer(re.escape(text), self.html):
            around = [
                (start, end)
                for tag, start, end in self.spans
                if tag in tags and start <= match.start() and match.end() <= end
            ]
            if around:
                start, end = max(around, key=lambda span: span[0])
                found.append(self.html[start:end])
            else:
                found.append(self.html[max(0, match.start() - 300) : match.end() + 300])
        return found


def identifiers(author: User) -> list[str]:
    return [
        author.get_full_name(),
        author.first_name,
        author.last_name,
        author.username,
        author.email,
        str(author.pk),
    ]


def assert_not_exposed(body: str, author: User, where: str, *, html: bool = True) -> int:
    """Check every element that shows the anonymous item; returns how many there were."""
    if html:
        holders = Elements(body).holders(SECRET, ("li", "tr", "blockquote", "option"))
    else:
        holders = [line for line in body.splitlines() if SECRET in line]
    for holder in holders:
        for identifier in identifiers(author):
            assert identifier not in holder, f"{identifier!r} next to the anonymous item {where}"
    return len(holders)


@pytest.fixture
def scene(cast, retro, django_capture_on_commit_callbacks):
    """The author also writes named items and takes part in everything else, so their
    name is on the pages: only never at the anonymous item."""
    author = UserFactory(
        id=AUTHOR_ID, username="zquill", first_name="Zedekiah", last_name="Quillfeather"
    )
    Membership.objects.create(project=cast.project, user=author, role=Role.CONTRIBUTOR)
    services.participant_add(actor=cast.manager, retro=retro, user=author)
    GoalFactory(project=cast.project)
    LaunchFactory(project=cast.project, status="launched", lateness_ms=40, skew_ms=2)
    author_client = client_for(author)
    # The live update of an item names nobody: read what really goes out on Redis.
    pubsub = live.client().pubsub()
    pubsub.subscribe(live.channel_name())
    pubsub.get_message(timeout=1)  # the subscribe confirmation
    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(
            reverse("reviews:item-add", args=[retro.pk]),
            {"prompt": "needs_work", "text": SECRET, "anonymous": "on"},
        )
    assert response.status_code == 302
    published = []
    while message := pubsub.get_message(timeout=0.5):
        published.append(json.loads(message["data"]))
    pubsub.close()
    assert published and all(m["by"] == "" for m in published)
    author_client.post(
        reverse("reviews:item-add", args=[retro.pk]),
        {"prompt": "needs_work", "text": "Named: the deck needed one more review", "anonymous": ""},
    )
    client_for(cast.contributor).post(
        reverse("reviews:item-add", args=[retro.pk]),
        {"prompt": "needs_work", "text": "Press release and sales deck disagreed"},
    )
    return {"author": author, "author_client": author_client, "retro": retro}


def readers(cast, scene) -> dict[str, Client]:
    admin = User.objects.create_superuser("root", "root@example.com", "x")
    return {
        "facilitator": client_for(cast.manager),
        "participant": client_for(cast.contributor),
        "viewer": client_for(cast.viewer),
        "administrator": client_for(admin),
        "author, same browser": scene["author_client"],
        "author, another browser": client_for(scene["author"]),
    }


def pages(cast, retro) -> list[tuple[str, bool]]:
    """Every page and export that shows the retrospective, its project or its report."""
    pk = cast.project.pk
    urls = [
        retro.get_absolute_url(),
        reverse("reviews:project", args=[pk]),
        reverse("reviews:summary", args=[pk]),
        reverse("projects:detail", args=[pk]),
        reverse("projects:stage", args=[pk, "review"]),
        reverse("projects:history", args=[pk]),
        reverse("projects:dashboard"),
        reverse("activity:notifications"),
        reverse("timelines:project", args=[pk]),
        reverse("reviews:lessons") + "?q=checklist",
    ]
    urls += [reverse("reviews:lesson", args=[lesson.pk]) for lesson in Lesson.objects.all()]
    pages = [(url, True) for url in urls]
    pages += [
        (reverse("reviews:export-md", args=[retro.pk]), False),
        (reverse("reviews:export-json", args=[retro.pk]) + "?include=author&author=1", False),
    ]
    return pages


def check_everything(cast, scene, clients) -> int:
    retro = scene["retro"]
    shown = 0
    for who, client in clients.items():
        for url, html in pages(cast, retro):
            # The board's own partial (htmx, live refresh) too.
            partial = url == retro.get_absolute_url()
            for headers in ({}, {"HTTP_HX_REQUEST": "true"}) if partial else ({},):
                response = client.get(url, **headers)
                assert response.status_code in (200, 204), (who, url, response.status_code)
                body = response.content.decode()
                where = f"on {url} as the {who} in {retro.phase}"
                shown += assert_not_exposed(body, scene["author"], where, html=html)
                if url.startswith(reverse("reviews:export-json", args=[retro.pk])):
                    data = json.loads(body)
                    for card in data["cards"]:
                        for item in card["items"]:
                            if item["text"] == SECRET:
                                assert item == {"text": SECRET, "anonymous": True, "author": None}
    shown += check_api(cast, scene)
    return shown


def check_api(cast, scene) -> int:
    """The JSON API, as every member holding a token (the author's too)."""
    from synchrony.api.services import token_create

    retro, author = scene["retro"], scene["author"]
    anonymous = Item.objects.get(text=SECRET)
    shown = 0
    for user in (cast.manager, cast.contributor, cast.viewer, author):
        _, token = token_create(actor=user, name="anonymity check", read_only=True)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        data = client.get(reverse("api:retrospective-detail", args=[retro.pk]) + "?author=1").json()
        for card in data["cards"]:
            for item in card["items"]:
                if item["text"] == SECRET:
                    shown += 1
                    assert item == {"text": SECRET, "anonymous": True, "author": None}
        response = client.get(reverse("api:retrospective-item", args=[retro.pk, anonymous.pk]))
        if retro.phase == "write":
            assert response.status_code == 404
            continue
        item = response.json()
        assert item["author"] is None and "does not store who wrote it" in item["author_note"]
        for identifier in identifiers(author):
            assert identifier not in json.dumps(item), (user, identifier)
        shown += 1
    return shown


def test_no_page_or_export_exposes_an_anonymous_author(cast, scene):
    retro, author = scene["retro"], scene["author"]
    clients = readers(cast, scene)
    # Written, the item shows to its author's browser only.
    assert check_everything(cast, scene, clients) > 0
    retro = move(retro, cast.manager, "group")
    scene["retro"] = retro
    assert check_everything(cast, scene, clients) > 0  # revealed, each item on its own
    anonymous = Item.objects.get(text=SECRET)
    named = Item.objects.get(text__startswith="Named:")
    named.retrospective = anonymous.retrospective = retro
    # Grouped with the author's own named item: the group shows both, and still only
    # the named one carries the name.
    services.item_group(actor=cast.manager, item=anonymous, with_item=named)
    anonymous.refresh_from_db()
    scene["retro"] = retro
    assert check_everything(cast, scene, clients) > 0
    retro = move(retro, cast.manager, "vote")
    services.vote_cast(
        participant=participant(retro, author), retro=retro, item=None, group=anonymous.group
    )
    scene["retro"] = retro
    check_everything(cast, scene, clients)
    retro = move(retro, cast.manager, "discuss")
    lesson = services.lesson_create(
        actor=author,
        retro=retro,
        group=anonymous.group,
        title="Every hand-off gets a checklist",
        do_differently="A checklist travels with each hand-off to sales.",
    )
    services.lesson_publish(actor=cast.manager, lesson=lesson, version=lesson.version)
    services.action_create(
        actor=cast.manager,
        retro=retro,
        title="Write the hand-off checklist",
        project=cast.project,
        group=anonymous.group,
    )
    scene["retro"] = retro
    check_everything(cast, scene, clients)
    retro = move(retro, cast.manager, "done")
    scene["retro"] = retro
    check_everything(cast, scene, clients)

    # Closed, and shared beyond the team.
    from synchrony.projects import services as projects

    projects.project_move(
        actor=cast.manager,
        project=cast.project,
        to_stage="closed",
        expected_stage="review",
        override=True,
        reason="The checklist task moves to the next project.",
    )
    cast.project.user_role = Role.MANAGER
    _, token = services.report_link_create(actor=cast.manager, project=cast.project)
    shared = Client().get(reverse("reviews:report", args=[token])).content.decode()
    assert "Named: the deck needed one more review" in shared  # the group, as a top card
    assert_not_exposed(shared, author, "on the shared report")
    for identifier in identifiers(author)[:4]:
        assert identifier not in shared  # the shared report names nobody at all
    check_everything(cast, scene, clients)
    assert ReportLink.objects.count() == 1

    # And the database holds no link: no author, no event or notification by them about it.
    anonymous.refresh_from_db()
    assert anonymous.author_id is None and anonymous.is_anonymous
    users = [f.name for f in Item._meta.fields if f.is_relation and f.related_model is User]
    assert users == ["author"]
    assert not any(
        SECRET in (e.message + json.dumps(e.changes) + e.target_label)
        for e in ActivityEvent.objects.filter(actor=author)
    )
    assert not Notification.objects.filter(body__contains=SECRET).exists()
    assert not ActivityEvent.objects.filter(actor=author, verb="created").exists()

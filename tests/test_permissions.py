"""Walks every URL pattern of the app and checks who may do what.

Anonymous → login redirect; a non-member → 404; a viewer → no write succeeds
(nothing is recorded, nothing changes). A new URL is covered as soon as it exists.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from synchrony.activity.models import ActivityEvent, Notification
from synchrony.calendars.models import SavedFilter, ShareLink
from synchrony.launches.models import Activation, Channel, Launch, Milestone, ReadinessGate
from synchrony.planning.models import BudgetLine, ContentItem, Task
from synchrony.projects.models import Goal, InputRequest, Membership, Project
from tests.api.walk import API_PUBLIC
from tests.conftest import client_for
from tests.factories import (
    ActivationFactory,
    BudgetLineFactory,
    ChannelFactory,
    ContentItemFactory,
    GoalFactory,
    InputRequestFactory,
    LaunchFactory,
    MilestoneFactory,
    TaskFactory,
)
from tests.performance.walk import (
    PERFORMANCE_OWNED,
    PERFORMANCE_PERSONAL,
    PERFORMANCE_PUBLIC,
    performance_objects,
    performance_snapshot,
)
from tests.reviews.walk import REVIEWS_PUBLIC, review_objects, review_snapshot
from tests.standups.walk import standup_objects, standup_snapshot
from tests.webhooks.walk import WEBHOOKS_ADMIN, webhook_objects, webhook_snapshot

# Pages that answer without a login, by design.
PUBLIC = {
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "health",
    # Token URLs answer without a login; tests/calendars covers them.
    "calendars:feed",
    "calendars:shared",
    *REVIEWS_PUBLIC,
    *PERFORMANCE_PUBLIC,
    *API_PUBLIC,
}


def app_patterns() -> Iterator[tuple[str, URLPattern]]:
    def walk(patterns: list, namespace: str) -> Iterator[tuple[str, URLPattern]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.app_name == "admin":
                    continue
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                yield f"{namespace}{p.name}", p

    yield from walk(get_resolver().url_patterns, "")


def walked_urls(cast) -> list[tuple[str, str]]:
    project = cast.project
    objects = {
        "pk": project.pk,
        "goal_pk": GoalFactory(project=project).pk,
        "request_pk": InputRequestFactory(project=project, requested_from_user=cast.manager).pk,
        "task_pk": TaskFactory(project=project).pk,
        "content_pk": ContentItemFactory(project=project).pk,
        "line_pk": BudgetLineFactory(project=project).pk,
        "member_pk": Membership.objects.get(project=project, user=cast.contributor).pk,
        "launch_pk": (launch := LaunchFactory(project=project)).pk,
        "activation_pk": ActivationFactory(launch=launch).pk,
        "gate_pk": ReadinessGate.objects.create(launch=launch, title="G", owner=cast.manager).pk,
        "milestone_pk": MilestoneFactory(project=project).pk,
        # Owned by the manager: its settings are theirs (and staff's), 403 for anyone else.
        "channel_pk": ChannelFactory(owner=cast.manager).pk,
        **standup_objects(cast),
        **review_objects(cast),
        **performance_objects(cast),
        **webhook_objects(cast),
        # The manager's own saved filter and link: personal to them, 404 for anyone else.
        "filter_pk": (saved := SavedFilter.objects.create(owner=cast.manager, name="Mine")).pk,
        "link_pk": ShareLink.objects.create(saved_filter=saved, token_hash="x" * 64).pk,
        "stage": "planning",
        "uidb64": "MQ",
        "token": "set-password",
    }
    urls = []
    for name, pattern in app_patterns():
        if name in PUBLIC or name.split(":")[-1] in PUBLIC:
            continue
        kwargs = {k: objects[k] for k in pattern.pattern.converters}
        urls.append((name, reverse(name, kwargs=kwargs)))
    return urls


def snapshot() -> tuple:
    return (
        ActivityEvent.objects.count(),
        Notification.objects.count(),
        Membership.objects.count(),
        sorted(Project.objects.values_list("pk", "version", "stage", "budget_approved_at")),
        sorted(Goal.objects.values_list("pk", "version")),
        sorted(InputRequest.objects.values_list("pk", "version", "status")),
        sorted(Task.objects.values_list("pk", "version")),
        sorted(ContentItem.objects.values_list("pk", "version", "status")),
        sorted(BudgetLine.objects.values_list("pk", "version")),
        sorted(Launch.objects.values_list("pk", "version", "status")),
        sorted(Activation.objects.values_list("pk", "version")),
        sorted(ReadinessGate.objects.values_list("pk", "version", "status")),
        sorted(Milestone.objects.values_list("pk", "version")),
        sorted(
            Channel.objects.values_list(
                "pk", "adapter", "endpoint_url", "signing_secret", "disabled_at"
            )
        ),
        SavedFilter.objects.count(),
        sorted(ShareLink.objects.values_list("pk", "revoked_at")),
        standup_snapshot(),
        review_snapshot(),
        performance_snapshot(),
        webhook_snapshot(),
    )


def test_the_walk_covers_the_app(cast):
    names = {name for name, _ in walked_urls(cast)}
    assert {
        "projects:dashboard",
        "projects:move",
        "planning:task-edit",
        "planning:budget-approve",
        "projects:request",
        "activity:notifications",
        "accounts:settings",
        "launches:activation-retry",
        "launches:activation-done",
        "launches:channel-edit",
        "launches:sync-health",
    } <= names
    assert len(names) >= 35


def test_anonymous_is_sent_to_log_in_everywhere(cast):
    client = Client()
    for name, url in walked_urls(cast):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, (name, url, response.status_code)
            assert response["Location"].startswith("/accounts/login/"), (name, url)


# Pages about no project in particular: every signed-in user has their own.
# The manager's own saved calendars: every other user gets a 404 (checked below).
OWNED = {
    "calendars:filter",
    "calendars:filter-delete",
    "calendars:share-create",
    "calendars:share-revoke",
    *PERFORMANCE_OWNED,
    *WEBHOOKS_ADMIN,
}

# A channel's settings: every signed-in user sees channels, only the channel's owner (or
# staff) changes one, so anyone else gets a 403, project member or not.
CHANNEL_SETTINGS = {
    "launches:channel-edit",
    "launches:channel-rotate",
    "launches:channel-enable",
}

PERSONAL = {
    *PERFORMANCE_PERSONAL,
    "projects:dashboard",
    "projects:list",
    "projects:create",
    "launches:channels",
    "launches:sync-health",
    "activity:notifications",
    "activity:notifications-read-all",
    "accounts:settings",
    "password_change",
    "password_change_done",
    "activity:live",
    "calendars:calendar",
    "calendars:filters",
    "calendars:feed-rotate",
    "timelines:portfolio",
    "timelines:team",
    "standups:list",  # the stand-ups you can see
    "standups:create",  # the form offers only projects you manage
    # The lessons library: published lessons are the whole workspace's (a draft is a 404
    # outside its project: tests/reviews covers it).
    "reviews:lessons",
    "reviews:lesson",
}


def test_someone_outside_the_project_gets_404_for_everything_in_it(cast):
    client = client_for(cast.outsider)
    for name, url in walked_urls(cast):
        if name in PERSONAL:
            continue
        if name == "activity:notification-open":
            continue  # a notification belongs to its recipient: covered below
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            allowed = (403, 405) if name in CHANNEL_SETTINGS else (404, 405)
            assert response.status_code in allowed, (name, method, url, response.status_code)
            if method == "get" and response.status_code == 404:
                assert "Atlas launch" not in response.content.decode()


@pytest.mark.parametrize("role", ["viewer", "outsider"])
def test_no_write_by_a_viewer_or_outsider_succeeds(cast, role):
    user = getattr(cast, role)
    client = client_for(user)
    urls = walked_urls(cast)
    before = snapshot()
    for name, url in urls:
        if name in PERSONAL:
            continue
        response = client.post(
            url,
            {
                "version": 1,
                "title": "Hijack",
                "status": "done",
                "to_stage": "planning",
                "expected_stage": "development",
                "override": "on",
                "reason": "x",
                "decision": "approved",
                "body": "x",
                "user": user.pk,
                "role": "manager",
            },
        )
        assert response.status_code in (403, 404, 405), (name, url, response.status_code)
    assert snapshot() == before


def test_a_viewer_reads_every_project_page(cast):
    client = client_for(cast.viewer)
    for name, url in walked_urls(cast):
        response = client.get(url)
        # Starting a project is for marketing managers (tests/projects covers it); starting a
        # stand-up is not for someone who only reads (tests/standups covers it).
        editing = name.endswith(("-edit", ":edit")) or name in (
            "projects:create",
            "standups:create",
        )
        # 204: the live stream declines the test client (WSGI); it is tested on its own.
        expected = (403,) if editing else (404, 405) if name in OWNED else (200, 204, 405)
        assert response.status_code in expected, (name, url, response.status_code)


def test_a_contributor_edits_only_what_they_own_or_created(cast):
    theirs = TaskFactory(project=cast.project, owner=cast.contributor)
    others = TaskFactory(project=cast.project)
    client = client_for(cast.contributor)
    assert client.get(reverse("planning:task-edit", args=[theirs.pk])).status_code == 200
    assert client.get(reverse("planning:task-edit", args=[others.pk])).status_code == 403
    response = client.post(
        reverse("planning:task-status", args=[others.pk]), {"version": 1, "status": "done"}
    )
    assert response.status_code == 403
    assert client.post(reverse("projects:move", args=[cast.project.pk])).status_code == 403
    assert (
        client.post(reverse("planning:budget-approve", args=[cast.project.pk])).status_code == 403
    )


def test_only_the_addressee_answers_a_request(cast):
    request = InputRequestFactory(project=cast.project, requested_from_user=cast.viewer)
    url = reverse("projects:request", args=[request.pk])
    data = {"version": 1, "decision": "approved", "response": ""}
    assert client_for(cast.contributor).post(url, data).status_code == 403
    response = client_for(cast.viewer).post(url, data)
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "approved" and request.responded_by == cast.viewer


def test_a_notification_opens_only_for_its_recipient(cast):
    notification = Notification.objects.create(
        recipient=cast.viewer, kind="membership", title="Hi", url="/"
    )
    url = reverse("activity:notification-open", args=[notification.pk])
    assert client_for(cast.outsider).post(url).status_code == 404
    assert client_for(cast.viewer).post(url).status_code == 302

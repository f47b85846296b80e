"""The timelines cost a fixed number of queries, however much data there is."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from synchrony.planning.models import TaskStatus
from synchrony.projects.models import Membership, Role, StageTransition
from tests.conftest import client_for
from tests.factories import (
    ActivationFactory,
    LaunchFactory,
    MilestoneFactory,
    ProjectFactory,
    TaskFactory,
    UserFactory,
)


def fill(project, people, n: int) -> None:
    """Tasks with dependencies, owners, blocked ones; milestones, launches, stage moves."""
    first = None
    for i in range(n):
        task = TaskFactory(
            project=project,
            owner=people[i % len(people)],
            due_date=dt.date(2026, 12, 1 + i % 28),
            status=TaskStatus.BLOCKED if i % 3 == 0 else TaskStatus.TODO,
            blocked_reason="Waiting" if i % 3 == 0 else "",
        )
        if first is None:
            first = task
        else:
            task.depends_on.add(first)
        MilestoneFactory(project=project)
        ActivationFactory(launch=LaunchFactory(project=project))
    StageTransition.objects.create(project=project, from_stage="development", to_stage="planning")


def add_projects(manager, people, count: int, n: int) -> None:
    for _ in range(count):
        project = ProjectFactory(owner=manager)
        for person in people:
            Membership.objects.create(project=project, user=person, role=Role.CONTRIBUTOR)
        fill(project, [manager, *people], n)


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_timeline_queries_do_not_grow_with_the_data(cast):
    client = client_for(cast.manager)
    project = cast.project
    urls = [
        reverse("timelines:project", args=[project.pk]),
        reverse("timelines:project", args=[project.pk]) + "?zoom=week",
        reverse("timelines:portfolio"),
        reverse("timelines:portfolio") + "?zoom=quarter",
        reverse("timelines:team"),
    ]
    fill(project, [cast.contributor], 2)
    small = {url: count(client, url) for url in urls}

    fill(project, [cast.contributor, cast.manager], 20)
    newcomers = [UserFactory() for _ in range(4)]
    add_projects(cast.manager, [cast.contributor, *newcomers], 6, 8)
    large = {url: count(client, url) for url in urls}
    assert large == small

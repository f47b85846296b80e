"""The main pages cost a fixed number of queries, however much data a project holds."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from synchrony.projects.models import Membership, Stage
from tests.conftest import client_for
from tests.factories import (
    BudgetLineFactory,
    ContentItemFactory,
    GoalFactory,
    InputRequestFactory,
    ProjectFactory,
    TaskFactory,
)


def fill(project, contributor, n: int) -> None:
    for i in range(n):
        task = TaskFactory(
            project=project, owner=contributor, due_date=dt.date(2026, 12, 1 + i % 20)
        )
        if i:
            task.depends_on.add(project.tasks.first())
        GoalFactory(project=project)
        ContentItemFactory(project=project, owner=contributor)
        BudgetLineFactory(project=project, owner=contributor)
        InputRequestFactory(project=project, requested_from_user=contributor)


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_page_queries_do_not_grow_with_the_data(cast):
    client = client_for(cast.manager)
    project = cast.project
    urls = [
        reverse("projects:dashboard"),
        reverse("projects:list"),
        reverse("projects:history", args=[project.pk]),
        reverse("projects:members", args=[project.pk]),
        *(reverse("projects:stage", args=[project.pk, s]) for s in Stage.values),
    ]
    fill(project, cast.contributor, 2)
    small = {url: count(client, url) for url in urls}
    fill(project, cast.contributor, 15)
    for _ in range(5):
        other = ProjectFactory(owner=cast.manager)
        Membership.objects.create(project=other, user=cast.contributor, role="contributor")
    large = {url: count(client, url) for url in urls}
    assert large == small

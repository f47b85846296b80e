"""My work on the dashboard: each group holds what its heading says."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from synchrony.planning.models import TaskStatus
from synchrony.planning.selectors import my_work
from tests.conftest import client_for
from tests.factories import TaskFactory


def test_due_soon_holds_only_what_falls_due_within_the_week(cast):
    today = timezone.localdate()
    later = TaskFactory(
        project=cast.project,
        title="Blocked, later",
        owner=cast.contributor,
        status=TaskStatus.BLOCKED,
        blocked_reason="Waiting for legal",
        due_date=today + dt.timedelta(days=8),
    )
    soon = TaskFactory(
        project=cast.project, owner=cast.contributor, due_date=today + dt.timedelta(days=7)
    )
    TaskFactory(project=cast.project, owner=cast.contributor, due_date=today + dt.timedelta(days=8))
    work = my_work(cast.contributor)
    assert work.due_soon == [soon]
    assert work.blocked == [later]
    page = client_for(cast.contributor).get(reverse("projects:dashboard")).content.decode()
    due_soon = page.split("Due in the next 7 days")[1].split("<h3>Blocked</h3>")[0]
    assert "Blocked, later" not in due_soon
    assert "Blocked, later" in page.split("<h3>Blocked</h3>")[1]

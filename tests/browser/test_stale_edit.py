"""Two people edit the same task inline: the second save is refused, not silently merged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from synchrony.planning.models import Task
from synchrony.projects.models import Membership, Project, Role
from tests.browser.conftest import shot
from tests.factories import TaskFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_inline_edit(page: Page, url: str, task: Task) -> None:
    page.goto(url)
    row = page.locator(f"#edit-tasks-{task.pk}")
    row.get_by_role("link", name="Edit").click()
    expect(page.locator(f"#task{task.pk}_title")).to_be_visible()


def test_a_stale_inline_edit_is_refused_and_names_who_changed_what(live_server, page_for, cast):
    Project.objects.filter(pk=cast.project.pk).update(stage="planning")
    cast.manager.first_name, cast.manager.last_name = "Mara", "Quist"
    cast.manager.save()
    other = UserFactory(username="otto", first_name="Otto", last_name="Lind")
    Membership.objects.create(project=cast.project, user=other, role=Role.MANAGER)
    due = timezone.localdate() + dt.timedelta(days=10)
    task = TaskFactory(
        project=cast.project, title="Draft the FAQ", owner=cast.contributor, due_date=due
    )
    url = f"{live_server.url}/projects/{cast.project.pk}/stage/planning/"

    first, second = page_for(cast.manager), page_for(other)
    open_inline_edit(first, url, task)
    open_inline_edit(second, url, task)
    expect(second.locator(f"#task{task.pk}_version")).to_have_value("1")

    # The first person renames the task; their page shows it at once.
    first.fill(f"#task{task.pk}_title", "Draft the customer FAQ")
    first.locator(f"#edit-tasks-{task.pk}").get_by_role("button", name="Save").click()
    expect(first.locator(f"#task-{task.pk}")).to_have_text("Draft the customer FAQ")
    task.refresh_from_db()
    assert (task.title, task.version) == ("Draft the customer FAQ", 2)

    # The second, still on version 1, moves the due date: refused, with who and what.
    new_due = due + dt.timedelta(days=7)
    second.fill(f"#task{task.pk}_due_date", new_due.isoformat())
    second.locator(f"#edit-tasks-{task.pk}").get_by_role("button", name="Save").click()
    error = second.locator(f"#edit-tasks-{task.pk} .form-error")
    expect(error).to_contain_text("Not saved: this task changed since you opened it.")
    expect(error).to_contain_text("Mara Quist")
    expect(error).to_contain_text("Title: Draft the FAQ → Draft the customer FAQ")
    shot(second, "stale-edit-refused")

    task.refresh_from_db()
    assert (task.title, task.due_date, task.version) == ("Draft the customer FAQ", due, 2)

    # The refused form keeps the second person's edits and now carries version 2.
    expect(second.locator(f"#task{task.pk}_version")).to_have_value("2")
    expect(second.locator(f"#task{task.pk}_due_date")).to_have_value(new_due.isoformat())
    # The field the first person changed shows their new title, with the second
    # person's entry quoted at it, so saving again as is cannot revert it.
    title = second.locator(f"#task{task.pk}_title")
    expect(title).to_have_value("Draft the customer FAQ")
    expect(second.locator(f"#edit-tasks-{task.pk}")).to_contain_text(
        "Changed by someone else meanwhile. You had entered: “Draft the FAQ”"
    )
    second.locator(f"#edit-tasks-{task.pk}").get_by_role("button", name="Save").click()
    expect(second.locator(f"#edit-tasks-{task.pk}")).to_contain_text(new_due.strftime("%-d %b %Y"))
    expect(second.locator(".form-error")).to_have_count(0)

    task.refresh_from_db()
    assert (task.title, task.due_date, task.version) == ("Draft the customer FAQ", new_due, 3)

"""A project from Development into Planning, driven through the browser by two people."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from synchrony.planning.models import BudgetLine, Task
from synchrony.projects.models import InputRequest, Membership, Project, Role, StageTransition
from tests.browser.conftest import assert_accessible, login, shot, wait_for_htmx
from tests.factories import ChannelFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def iso(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def test_manager_takes_a_project_through_signoff_into_planning(live_server, new_context):
    manager = UserFactory(
        username="mara", first_name="Mara", last_name="Quist", starts_projects=True
    )
    stakeholder = UserFactory(username="sam", first_name="Sam", last_name="Seller")
    channel = ChannelFactory(name="Newsletter")

    # The manager logs in through the form and lands on an empty dashboard.
    page = new_context().new_page()
    login(page, live_server, manager)
    expect(page.get_by_role("heading", name="Waiting for me")).to_be_visible()
    assert_accessible(page, "the manager's dashboard")
    shot(page, "01-dashboard-manager")

    # New project.
    page.goto(f"{live_server.url}/projects/new/")
    expect(page.get_by_role("heading", name="New project")).to_be_visible()
    assert_accessible(page, "the new-project form")
    page.fill("#project_name", "Atlas spring launch")
    page.fill("#project_summary", "Announce Atlas 2 to existing customers.")
    page.fill("#project_scope", "Email, blog and a webinar.")
    page.fill("#project_promotion_start", iso(30))
    page.fill("#project_promotion_end", iso(60))
    page.fill("#project_budget", "12000")
    page.get_by_label("Newsletter").check()
    shot(page, "02-project-form")
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url(re.compile(r"/projects/\d+/$"))
    expect(page.get_by_text("Project “Atlas spring launch” created.")).to_be_visible()
    project = Project.objects.get(name="Atlas spring launch")
    assert project.stage == "development"
    assert list(project.channels.all()) == [channel]
    wait_for_htmx(page)

    # A goal, added inline.
    goals = page.locator("#goals")
    goals.get_by_text("Add a goal").click()
    page.fill("#goal_metric", "Qualified leads")
    page.fill("#goal_baseline", "120")
    page.fill("#goal_target", "400")
    page.fill("#goal_unit", "leads")
    page.fill("#goal_due_date", iso(90))
    goals.get_by_role("button", name="Add goal").click()
    expect(page.locator("#goals table")).to_contain_text("Qualified leads")
    expect(page.locator("#goals table")).to_contain_text("400 leads")

    # A required sign-off, asked of a stakeholder who is not on the project yet.
    requests = page.locator("#requests")
    requests.get_by_text("Ask for input or sign-off").click()
    # The request form is a plain ModelForm (ids id_kind, id_title...), unlike the
    # versioned forms (goal_metric...): address its fields by name within the section.
    ask = requests.locator("form")
    ask.locator("[name=kind]").select_option("signoff")
    ask.locator("[name=title]").fill("Pricing sign-off")
    ask.locator("[name=requested_from_user]").select_option(str(stakeholder.pk))
    ask.locator("[name=required]").check()
    ask.locator("[name=due_date]").fill(iso(14))
    requests.get_by_role("button", name="Send request").click()
    expect(requests.get_by_role("link", name="Pricing sign-off")).to_be_visible()
    expect(requests).to_contain_text("Sign-off from Sam Seller · required")
    signoff = InputRequest.objects.get(project=project, title="Pricing sign-off")
    assert signoff.status == "pending"
    assert Membership.objects.get(project=project, user=stakeholder).role == Role.VIEWER

    # The page as a whole: the sign-off still holds the project in Development.
    page.reload()
    criteria = page.locator("#criteria")
    expect(criteria.locator("li.met")).to_have_count(1)
    expect(criteria.locator("li.missing")).to_contain_text("Waiting for: Pricing sign-off")
    assert_accessible(page, "the Development stage page")
    shot(page, "03-development-waiting")
    for summary in ("Add a goal", "Ask for input or sign-off"):
        page.locator("details.add > summary", has_text=summary).click()
    expect(page.locator("#goal_metric")).to_be_visible()
    assert_accessible(page, "the Development stage page with its add forms open")

    # The stakeholder, in a browser of their own, finds the request on their dashboard.
    their = new_context().new_page()
    login(their, live_server, stakeholder)
    waiting = their.get_by_role("region", name="Waiting for me")
    expect(waiting).to_contain_text("asked by Mara Quist")
    assert_accessible(their, "the stakeholder's dashboard")
    shot(their, "04-dashboard-stakeholder")
    waiting.get_by_role("link", name="Pricing sign-off").click()
    their.wait_for_url(f"{live_server.url}/requests/{signoff.pk}/")
    their.get_by_label("Sign off").check()
    their.get_by_label("Response").fill("Prices are final.")
    their.get_by_role("button", name="Send answer").click()
    expect(their.get_by_text("Thank you — your answer is recorded.")).to_be_visible()
    expect(their.locator(".pill.approved")).to_have_text("Signed off")
    shot(their, "05-signed-off")
    signoff.refresh_from_db()
    assert signoff.status == "approved"
    assert signoff.responded_by == stakeholder

    # Back to the manager: everything is met, and the project moves on.
    page.reload()
    expect(criteria.locator("li.met")).to_have_count(2)
    expect(criteria.locator("li.missing")).to_have_count(0)
    expect(page.locator("#requests")).to_contain_text("Prices are final.")
    page.get_by_text("Advance to Planning…").click()
    page.fill("#advance-reason", "Goals set, pricing signed off.")
    page.get_by_role("button", name="Advance to Planning", exact=True).click()
    expect(page.get_by_text("Moved to Planning.")).to_be_visible()
    expect(page.locator("#tasks-title")).to_contain_text("Tasks in Planning")
    wait_for_htmx(page)

    project.refresh_from_db()
    assert project.stage == "planning"
    transition = StageTransition.objects.get(project=project)
    assert (transition.from_stage, transition.to_stage) == ("development", "planning")
    assert transition.actor == manager
    assert transition.reason == "Goals set, pricing signed off."
    assert not transition.overridden

    # Planning: a task with an owner and a date, and a budget line.
    tasks = page.locator("#tasks")
    tasks.get_by_text("Add a task").click()
    page.fill("#task_title", "Write the launch email")
    page.select_option("#task_owner", str(manager.pk))
    page.fill("#task_due_date", iso(20))
    tasks.get_by_role("button", name="Add task").click()
    row = page.locator("#tasks tbody tr", has_text="Write the launch email")
    expect(row).to_contain_text("Mara Quist")
    expect(row).to_contain_text(
        (timezone.localdate() + dt.timedelta(days=20)).strftime("%-d %b %Y")
    )

    budget = page.locator("#budget")
    budget.get_by_text("Add a budget line").click()
    page.select_option("#budgetline_category", "design")
    page.fill("#budgetline_description", "Webinar slide design")
    page.fill("#budgetline_planned", "2500")
    page.select_option("#budgetline_owner", str(manager.pk))
    budget.get_by_role("button", name="Add line").click()
    line_row = page.locator("#budget tbody tr", has_text="Webinar slide design")
    expect(line_row).to_contain_text("Design")
    expect(line_row).to_contain_text("2,500.00")

    page.reload()
    expect(page.locator("#tasks")).to_contain_text("Write the launch email")
    expect(page.locator("#budget")).to_contain_text("Webinar slide design")
    assert_accessible(page, "the Planning stage page")
    shot(page, "06-planning")
    # The inline forms too: every field labelled, errors announced.
    for summary in ("Add a task", "Add content", "Add a budget line"):
        page.locator("details.add > summary", has_text=summary).click()
    expect(page.locator("#task_title")).to_be_visible()
    assert_accessible(page, "the Planning stage page with its add forms open")

    task = Task.objects.get(project=project)
    assert (task.title, task.owner, task.stage) == ("Write the launch email", manager, "planning")
    assert task.due_date == timezone.localdate() + dt.timedelta(days=20)
    line = BudgetLine.objects.get(project=project)
    assert (line.category, line.description, line.planned) == (
        "design",
        "Webinar slide design",
        Decimal("2500"),
    )
    assert line.owner == manager

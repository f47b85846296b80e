"""A retrospective run by two people in their own browsers, and its lesson reaching the
next project that picks the same channel. Served by the ASGI server, so the board updates
live in the other browser."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from synchrony.projects.models import Membership, Project, Role, Stage
from synchrony.reviews.models import Item, Lesson, LessonApplication, Retrospective, Vote
from tests.browser.conftest import assert_accessible, shot, wait_for_htmx
from tests.factories import (
    PASSWORD,
    ChannelFactory,
    GoalFactory,
    LaunchFactory,
    ProjectFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANONYMOUS = "Sales heard about the renewal offer after customers did"


def login(page: Page, base: str, user) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
    wait_for_htmx(page)


def settled(page: Page, what: str) -> None:
    """Accessible once no htmx request is in flight (a request dims its element)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    assert_accessible(page, what)


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_htmx(page)


def test_a_retrospective_with_two_people_feeds_the_next_project(asgi_server, new_context):
    base = asgi_server.url
    maria = UserFactory(
        username="maria", first_name="Maria", last_name="Lopez", starts_projects=True
    )
    devon = UserFactory(username="devon", first_name="Devon", last_name="Park")
    newsletter = ChannelFactory(name="Newsletter", colour="#3b5bdb")
    project = ProjectFactory(
        owner=maria, name="Winter renewal campaign", stage=Stage.REVIEW, budget=Decimal(12000)
    )
    project.channels.set([newsletter])
    Membership.objects.create(project=project, user=devon, role=Role.CONTRIBUTOR)
    GoalFactory(
        project=project, metric="Renewal rate", baseline=Decimal(82), target=Decimal(88), unit="%"
    )
    LaunchFactory(
        project=project,
        name="Renewal reminder",
        status="launched",
        go_live=timezone.now() - dt.timedelta(days=5),
        fired_at=timezone.now() - dt.timedelta(days=5),
        lateness_ms=41,
        skew_ms=3,
    )

    # Maria starts the retrospective from the project's Review page.
    page = new_context().new_page()
    login(page, base, maria)
    open_page(page, f"{base}/projects/{project.pk}/stage/review/")
    expect(page.get_by_role("heading", name="Retrospective", exact=True)).to_be_visible()
    page.get_by_role("link", name="Start the retrospective").click()
    expect(page.get_by_role("heading", name="Start a retrospective")).to_be_visible()
    settled(page, "the start form")
    page.get_by_role("button", name="Start", exact=True).click()
    page.wait_for_url(re.compile(r"/retrospectives/\d+/$"))
    wait_for_htmx(page)
    retro = Retrospective.objects.get(project=project)
    assert set(retro.participants.values_list("user__username", flat=True)) == {"maria", "devon"}
    expect(page.locator(".phases li.current")).to_contain_text("Write")
    expect(page.locator("#timeline")).to_contain_text("“Renewal reminder” launched")
    expect(page.locator("#timeline")).to_contain_text("first send 41 ms after the moment")
    settled(page, "the retrospective in the write phase")
    shot(page, "reviews-01-write-facilitator")

    # Devon, in his own browser, writes one item anonymously and one under his name.
    theirs = new_context().new_page()
    login(theirs, base, devon)
    open_page(theirs, f"{base}{retro.get_absolute_url()}")
    needs_work = theirs.locator("#add-needs_work")
    needs_work.locator("textarea").fill("Maria forgot to brief sales")
    hint = theirs.locator("#hint-needs_work")
    expect(hint).to_contain_text("This may read as blaming a person")
    expect(hint).to_contain_text("Names Maria as the cause")
    shot(theirs, "reviews-02-blame-hint")
    needs_work.locator("textarea").fill(ANONYMOUS)
    expect(hint).to_be_empty()
    needs_work.get_by_label("Post anonymously").check()
    needs_work.get_by_role("button", name="Add").click()
    expect(theirs.locator("#col-needs_work .retro-card")).to_contain_text(ANONYMOUS)
    expect(theirs.locator("#col-needs_work .retro-card")).to_contain_text("You · anonymous")
    # The form comes back empty for the next item.
    expect(needs_work.locator("textarea")).to_have_value("")
    worked = theirs.locator("#add-worked")
    worked.locator("textarea").fill("The reminder e-mail went out on time")
    worked.get_by_role("button", name="Add").click()
    expect(theirs.locator("#col-worked .retro-card")).to_have_count(1)
    assert Item.objects.get(text=ANONYMOUS).author_id is None
    settled(theirs, "the participant's board while writing")
    shot(theirs, "reviews-03-write-participant")

    # Maria sees counts, not Devon's items, until she reveals the board.
    expect(page.locator(".board-status")).to_contain_text("2 items on the board so far")
    expect(page.get_by_text(ANONYMOUS)).to_have_count(0)
    # Devon is halfway through a sentence when Maria's item arrives: his board refreshes
    # live, and what he is typing stays.
    half = theirs.locator("#add-try_next textarea")
    half.fill("Brief sales two days")
    mine = page.locator("#add-worked")
    mine.locator("textarea").fill("All three channels went out together")
    mine.get_by_role("button", name="Add").click()
    expect(page.locator("#col-worked .retro-card")).to_have_count(1)
    expect(theirs.locator(".board-status")).to_contain_text("3 items on the board so far")
    expect(half).to_have_value("Brief sales two days")
    half.fill("")
    page.get_by_role("button", name="Reveal the board").click()
    expect(page.locator(".phases li.current")).to_contain_text("Group")
    card = page.locator("#col-needs_work .retro-card")
    expect(card).to_contain_text(ANONYMOUS)
    expect(card.locator(".byline")).to_have_text("Anonymous")
    # Devon's board follows live, and his anonymous item is just "Anonymous" now.
    expect(theirs.locator(".phases li.current")).to_contain_text("Group")
    expect(theirs.locator("#col-needs_work .retro-card .byline")).to_have_text("Anonymous")
    expect(theirs.locator("#col-worked .retro-card")).to_have_count(2)

    # Maria groups the two items that say the same thing.
    ours = Item.objects.get(text="All three channels went out together")
    reminder = Item.objects.get(text="The reminder e-mail went out on time")
    choice = page.locator(f"#group-{ours.pk}")
    choice.select_option(label=reminder.text)
    # Someone's change refreshes the board right now: the choice she made stays.
    choice.evaluate("el => { el.dataset.before = '' }")
    page.evaluate(
        "id => htmx.trigger(document.body, 'live-change', {kind: 'retrospective', id})", retro.pk
    )
    expect(page.locator(f"#group-{ours.pk}:not([data-before])")).to_have_count(1)
    expect(choice).to_have_value(f"item:{reminder.pk}")
    page.locator(f"#card-item{ours.pk}").get_by_role("button", name="Group").click()
    group = page.locator("#col-worked .retro-card.is-group")
    expect(group).to_contain_text("2 items")
    expect(group).to_contain_text("Devon Park")
    settled(page, "the board while grouping")
    shot(page, "reviews-04-grouped")

    # Voting: three votes each; a fourth is refused with a clear message.
    page.get_by_role("button", name="Open voting").click()
    expect(theirs.locator(".board-status")).to_contain_text("You have 3 of 3 votes left")
    theirs.get_by_role("button", name=f"Vote for: {ANONYMOUS}").click()
    expect(theirs.locator(".board-status")).to_contain_text("You have 2 of 3 votes left")
    theirs.get_by_role("button", name=f"Vote for: {ANONYMOUS}").click()
    expect(theirs.locator(".board-status")).to_contain_text("1 of 3")
    theirs.locator("#col-worked .retro-card").get_by_role(
        "button", name=re.compile("^Vote for")
    ).click()
    expect(theirs.locator(".board-status")).to_contain_text("0 of 3")
    theirs.get_by_role("button", name=f"Vote for: {ANONYMOUS}").click()
    expect(theirs.get_by_text("You have used all 3 of your votes.")).to_be_visible()
    assert Vote.objects.count() == 3
    settled(theirs, "the board while voting")
    shot(theirs, "reviews-05-votes-used")

    # The discussion: totals show; the anonymous card becomes a lesson.
    page.get_by_role("button", name="Start the discussion").click()
    anonymous_card = page.locator("#col-needs_work .retro-card").first
    expect(anonymous_card.locator(".vote-count")).to_have_text("2 votes")
    anonymous_card.get_by_role("link", name="Lesson…").click()
    wait_for_htmx(page)
    form = page.locator("#new-lesson form")
    expect(form.locator("[name=title]")).to_have_value(ANONYMOUS)
    form.locator("[name=title]").fill("Brief sales before customers hear of an offer")
    form.locator("[name=do_differently]").fill(
        "Sales briefing is a readiness gate, due two days before go-live."
    )
    form.get_by_label("Newsletter").check()
    form.locator("[name=stage]").select_option("activation")
    form.locator("[name=kind]").select_option("retention")
    form.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("drafted")).to_be_visible()
    page.get_by_role("button", name="Publish to the library").click()
    expect(page.locator("#lessons .pill.published")).to_have_text("Published")
    lesson = Lesson.objects.get()
    assert lesson.is_published and list(lesson.channels.all()) == [newsletter]
    page.get_by_role("button", name="Finish the retrospective").click()
    expect(page.locator(".phases li.current")).to_contain_text("Done")
    settled(page, "the finished retrospective")
    shot(page, "reviews-06-done")

    # A new project picks the same channel, and the lesson is suggested on its page.
    open_page(page, f"{base}/projects/new/")
    page.fill("#project_name", "Spring newsletter push")
    page.get_by_label("Newsletter").check()
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url(re.compile(r"/projects/\d+/$"))
    wait_for_htmx(page)
    suggestions = page.locator("#lessons")
    expect(suggestions).to_contain_text("Brief sales before customers hear of an offer")
    expect(suggestions).to_contain_text("Sales briefing is a readiness gate")
    suggestions.get_by_label(re.compile("How we apply")).fill("A sales gate on the first launch")
    suggestions.get_by_role("button", name="Mark as applied").click()
    expect(suggestions.locator(".pill.applied")).to_have_text("Applied")
    new = Project.objects.get(name="Spring newsletter push")
    assert LessonApplication.objects.get(project=new).note == "A sales gate on the first launch"
    settled(page, "a Development page with a lesson suggested")
    shot(page, "reviews-07-suggested")

    # The library finds it; the summary report of the reviewed project renders.
    open_page(page, f"{base}/lessons/?q=briefing+-press")
    expect(page.locator(".lesson-list")).to_contain_text("Brief sales before customers")
    settled(page, "the lessons library")
    shot(page, "reviews-08-library")
    open_page(page, f"{base}/projects/{project.pk}/summary/")
    expect(page.get_by_role("heading", name="Goals and outcomes")).to_be_visible()
    expect(page.locator(".report")).to_contain_text("Brief sales before customers")
    settled(page, "the summary report")
    shot(page, "reviews-09-summary")

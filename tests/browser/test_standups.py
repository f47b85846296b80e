"""A whole stand-up in facilitator mode, run from the keyboard.

The manager writes the agenda, starts the meeting, takes attendance, walks the sections
with the arrow keys, marks items discussed, notes a decision, creates two action items
(each becomes a task on the project) and ends the meeting. The summary goes out by
e-mail, the tasks are on the project, and the next agenda carries them over.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, Request, expect

from synchrony.launches.models import LaunchStatus, ReadinessGate
from synchrony.planning.models import Task, TaskStatus
from synchrony.projects.models import Project, Stage
from synchrony.standups.models import ActionItem, Agenda, DiscussedItem, Meeting, MeetingNote
from tests.browser.conftest import assert_accessible, shot, wait_for_htmx
from tests.factories import LaunchFactory, TaskFactory
from tests.standups.conftest import make_series
from tests.standups.test_agenda import deliver_emails

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def heading(page: Page):
    return page.locator("#section-title")


def go_to_section(page: Page, title: str) -> None:
    """Press → until the section of that title is shown (and has the focus): one key at a
    time, each once the section it asked for is in place."""
    for _ in range(12):
        current = heading(page).inner_text()
        if title in current:
            return
        page.keyboard.press("ArrowRight")
        expect(heading(page)).not_to_have_text(current)
        expect(heading(page)).to_be_focused()
    raise AssertionError(f"no section {title!r}")


def running_meeting(cast) -> Meeting:
    """Today's meeting of a weekly series begun a week ago, started by the manager."""
    from synchrony.standups import services

    today = timezone.localdate()
    series = make_series(cast, weekday=today.weekday(), starts_on=today - dt.timedelta(days=7))
    meeting = services.upcoming_meeting(series=series, now=timezone.now())
    services.meeting_start(actor=cast.manager, meeting=meeting)
    return meeting


def test_a_whole_stand_up_from_the_keyboard(live_server, page_for, cast):
    Project.objects.filter(pk=cast.project.pk).update(stage=Stage.ACTIVATION)
    cast.manager.first_name, cast.manager.last_name = "Mara", "Quist"
    cast.manager.save()
    cast.contributor.first_name, cast.contributor.last_name = "Cole", "Brandt"
    cast.contributor.save()
    cast.viewer.first_name, cast.viewer.last_name = "Vera", "Sales"
    cast.viewer.save()
    today = timezone.localdate()
    overdue = TaskFactory(
        project=cast.project,
        title="Write the launch FAQ",
        owner=cast.contributor,
        due_date=today - dt.timedelta(days=2),
    )
    TaskFactory(
        project=cast.project,
        title="Record the demo video",
        owner=cast.contributor,
        status=TaskStatus.BLOCKED,
        blocked_reason="Studio booked out",
    )
    launch = LaunchFactory(
        project=cast.project,
        name="Spring launch",
        status=LaunchStatus.SCHEDULED,
        go_live=timezone.now() + dt.timedelta(days=5),
    )
    ReadinessGate.objects.create(launch=launch, title="Sales briefed", owner=cast.manager)
    tomorrow = today + dt.timedelta(days=1)
    series = make_series(
        cast,
        weekday=tomorrow.weekday(),
        starts_on=tomorrow - dt.timedelta(days=14),
        local_time=dt.time(9, 30),
    )

    page = page_for(cast.manager)
    page.goto(f"{live_server.url}/standups/{series.pk}/")
    page.get_by_role("button", name="Write the next agenda now").click()
    expect(page.get_by_text("Agenda written from the latest data.")).to_be_visible()
    agenda = page.locator(".agenda-doc")
    expect(agenda).to_contain_text("Write the launch FAQ")
    expect(agenda).to_contain_text("Blocked: Studio booked out")
    expect(agenda).to_contain_text("Spring launch")
    assert_accessible(page, "the meeting page before it starts")
    shot(page, "standup-agenda")
    meeting = Meeting.objects.get(series=series, local_date=tomorrow)

    page.get_by_role("button", name="Start it now, early").click()
    expect(page.get_by_role("heading", name="Facilitator mode")).to_be_visible()
    wait_for_htmx(page)
    expect(heading(page)).to_contain_text("Who is here")
    expect(page.locator(".timer")).to_be_visible()
    expect(page.get_by_role("heading", name="Keyboard shortcuts")).to_be_visible()

    # Attendance: j moves to the next person, x marks them present.
    for n in (1, 2):
        page.keyboard.press("j")
        expect(page.locator(".attendance input.mark").nth(n - 1)).to_be_focused()
        page.keyboard.press("x")
        expect(page.locator("#present-count")).to_have_text(f"{n} present")
    assert_accessible(page, "facilitator mode")

    # Cole's section: the overdue task is discussed, with a note about it.
    go_to_section(page, "Cole Brandt")
    page.keyboard.press("j")
    expect(page.locator(f"#mark-task-{overdue.pk}")).to_be_focused()
    page.keyboard.press("x")
    expect(page.locator(f"#mark-task-{overdue.pk}")).to_be_checked()
    expect(page.locator("#discussed-count")).to_contain_text("1 of")
    expect(page.locator(f"#mark-task-{overdue.pk}")).to_be_focused()
    page.keyboard.press("n")
    expect(page.locator("#note-body")).to_be_focused()
    expect(page.locator("#note-about")).to_contain_text("Write the launch FAQ")
    page.keyboard.type("Legal must see it before it goes out.")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#notes")).to_contain_text("Legal must see it before it goes out.")
    expect(page.locator("#note-body")).to_have_value("")
    expect(page.locator("#note-body")).to_be_focused()  # ready for the next one

    # The first action item, owned by Cole (the section's person) and dated.
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    expect(page.locator(f"#mark-task-{overdue.pk}")).to_be_focused()
    page.keyboard.press("a")
    expect(page.locator("#action_title")).to_be_focused()
    page.keyboard.type("Send the FAQ to Legal")
    expect(page.locator("#action_owner")).to_have_value(str(cast.contributor.pk))
    page.fill("#action_due_date", (today + dt.timedelta(days=3)).isoformat())
    page.locator("#action_title").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#actions")).to_contain_text("Send the FAQ to Legal")
    expect(page.locator("#action_title")).to_have_value("")
    expect(page.locator("#action_title")).to_be_focused()
    shot(page, "standup-facilitator-person")

    # Launches: a decision, then the second action item, for Mara, about the launch.
    page.keyboard.press("Escape")
    go_to_section(page, "Launches")
    page.keyboard.press("j")
    expect(page.locator(f"#mark-launch-{launch.pk}")).to_be_focused()
    page.keyboard.press("x")
    expect(page.locator("#discussed-count")).to_contain_text("2 of")
    page.keyboard.press("d")
    expect(page.locator("#note-body")).to_be_focused()
    expect(page.locator("#note-kind-decision")).to_be_checked()
    page.keyboard.type("The launch stays on its date.")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#notes")).to_contain_text("The launch stays on its date.")
    expect(page.locator("#note-body")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    expect(page.locator(f"#mark-launch-{launch.pk}")).to_be_focused()
    page.keyboard.press("a")
    expect(page.locator("#action_title")).to_be_focused()
    page.keyboard.type("Brief sales on the launch")
    page.keyboard.press("Tab")
    expect(page.locator("#action_owner")).to_be_focused()
    page.keyboard.type("Mara")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#actions")).to_contain_text("Brief sales on the launch")
    expect(page.locator("#actions")).to_contain_text("Mara Quist")
    expect(page.locator("#action_title")).to_be_focused()

    # Wrap-up, and end the meeting from the keyboard.
    page.keyboard.press("Escape")
    go_to_section(page, "Wrap-up")
    expect(page.locator("#run-section")).to_contain_text("The launch stays on its date.")
    expect(page.locator("#run-section")).to_contain_text("Send the FAQ to Legal")
    shot(page, "standup-facilitator-wrap-up")
    page.keyboard.press("Tab")
    expect(page.locator("#end-meeting")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Meeting ended after")).to_be_visible()
    expect(page.get_by_role("heading", name="The record")).to_be_visible()
    record = page.locator(".record")
    expect(record).to_contain_text("Present")
    expect(record).to_contain_text("The launch stays on its date.")
    expect(record.get_by_role("link", name=f"on {cast.project.name}")).to_have_count(2)
    assert_accessible(page, "the meeting's record")
    shot(page, "standup-record")

    # The record in the database.
    meeting.refresh_from_db()
    assert meeting.status == "ended" and meeting.ended_by == cast.manager
    assert meeting.attendance.filter(present=True).count() == 2
    assert DiscussedItem.objects.filter(meeting=meeting).count() == 2
    assert MeetingNote.objects.filter(meeting=meeting, kind="decision").count() == 1
    items = {a.title: a for a in ActionItem.objects.filter(meeting=meeting)}
    assert set(items) == {"Send the FAQ to Legal", "Brief sales on the launch"}
    faq, brief = items["Send the FAQ to Legal"], items["Brief sales on the launch"]
    assert faq.item_key == f"task-{overdue.pk}" and brief.item_key == f"launch-{launch.pk}"

    # Two tasks on the project, owned and dated as agreed, in its current stage.
    tasks = {t.title: t for t in Task.objects.filter(pk__in=[faq.task_id, brief.task_id])}
    assert tasks["Send the FAQ to Legal"].owner == cast.contributor
    assert tasks["Send the FAQ to Legal"].due_date == today + dt.timedelta(days=3)
    assert tasks["Brief sales on the launch"].owner == cast.manager
    assert {t.project_id for t in tasks.values()} == {cast.project.pk}
    page.goto(f"{live_server.url}/projects/{cast.project.pk}/stage/activation/")
    expect(page.locator("#tasks")).to_contain_text("Send the FAQ to Legal")
    expect(page.locator("#tasks")).to_contain_text("Brief sales on the launch")

    # The summary, by e-mail, to every attendee.
    deliver_emails()
    summaries = [m for m in mail.outbox if m.subject.startswith("[Synchrony] Summary:")]
    assert sorted(m.to[0] for m in summaries) == sorted(
        u.email for u in (cast.manager, cast.contributor, cast.viewer)
    )
    body = summaries[0].body
    assert "- The launch stays on its date." in body
    assert "- Send the FAQ to Legal — Cole Brandt, due" in body
    assert "- Brief sales on the launch — Mara Quist" in body
    assert "Absent: " in body

    # The next agenda carries both action items over.
    page.goto(f"{live_server.url}/standups/{series.pk}/")
    page.get_by_role("button", name="Write the next agenda now").click()
    expect(page.get_by_text("Agenda written from the latest data.")).to_be_visible()
    following = Meeting.objects.get(series=series, local_date=tomorrow + dt.timedelta(days=7))
    carried = [a["title"] for a in Agenda.objects.get(meeting=following).data["actions"]]
    assert carried == ["Send the FAQ to Legal", "Brief sales on the launch"]
    section = page.locator("#agenda-actions").locator("xpath=..")
    expect(section).to_contain_text("Send the FAQ to Legal")
    expect(section).to_contain_text("Brief sales on the launch")


def test_two_facilitators_on_one_note_see_the_conflict_and_lose_nothing(
    live_server, page_for, cast
):
    from synchrony.projects.models import Membership, Role
    from synchrony.standups import services

    Membership.objects.filter(user=cast.contributor).update(role=Role.MANAGER)
    cast.contributor.first_name, cast.contributor.last_name = "Cole", "Brandt"
    cast.contributor.save()
    meeting = running_meeting(cast)
    note = services.note_create(
        actor=cast.manager, meeting=meeting, section="actions", kind="note", body="First draft"
    )
    url = f"{live_server.url}/standups/meetings/{meeting.pk}/run/?section=actions"

    first, second = page_for(cast.manager), page_for(cast.contributor)
    for page in (first, second):
        page.goto(url)
        wait_for_htmx(page)
        page.locator(f"#note-{note.pk}").get_by_role("link", name="Edit").click()
        expect(page.locator(f"#meetingnote{note.pk}_body")).to_be_visible()

    second.fill(f"#meetingnote{note.pk}_body", "Agreed: ship on Friday")
    second.locator(f"#note-{note.pk}").get_by_role("button", name="Save").click()
    expect(second.locator("#notes")).to_contain_text("Agreed: ship on Friday")

    first.fill(f"#meetingnote{note.pk}_body", "Ship on Monday")
    first.locator(f"#note-{note.pk}").get_by_role("button", name="Save").click()
    error = first.locator(f"#note-{note.pk} .form-error")
    expect(error).to_contain_text("Not saved: this note changed since you opened it.")
    expect(error).to_contain_text("Cole Brandt")
    # The other facilitator's text is in the field, with this one's quoted beside it.
    expect(first.locator(f"#meetingnote{note.pk}_body")).to_have_value("Agreed: ship on Friday")
    expect(first.locator(f"#note-{note.pk}")).to_contain_text(
        "Changed by someone else meanwhile. You had entered: “Ship on Monday”"
    )
    shot(first, "standup-stale-note")
    note.refresh_from_db()
    assert (note.body, note.version) == ("Agreed: ship on Friday", 2)


def test_what_is_typed_while_a_note_is_on_its_way_is_kept(live_server, page_for, cast):
    """A fast facilitator types the next note before the last one's answer comes: held
    here at the browser's network layer, so the answer comes after the typing."""

    meeting = running_meeting(cast)
    page = page_for(cast.manager)
    page.goto(f"{live_server.url}/standups/meetings/{meeting.pk}/run/?section=actions")
    wait_for_htmx(page)
    held = []
    page.route(
        f"**/standups/meetings/{meeting.pk}/notes/",
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )

    def answer_held() -> None:
        page.wait_for_function("() => document.querySelector('#note-form.htmx-request')")
        held.pop().continue_()

    # Ctrl+Enter keeps the focus in the field; the next note is typed at once.
    page.fill("#note-body", "Partner pricing is still open.")
    page.keyboard.press("Control+Enter")
    page.keyboard.type("Legal reviews the terms")
    answer_held()
    expect(page.locator("#notes")).to_contain_text("Partner pricing is still open.")
    expect(page.locator("#note-body")).to_have_value("Legal reviews the terms")

    # Add with the button, then d for a decision and its words, before the answer.
    page.locator("#note-form").get_by_role("button", name="Add").click()
    page.keyboard.press("Escape")
    page.keyboard.press("d")
    page.keyboard.type("We quote list price until legal answers.")
    answer_held()
    expect(page.locator("#notes")).to_contain_text("Legal reviews the terms")
    expect(page.locator("#note-body")).to_have_value("We quote list price until legal answers.")
    expect(page.locator("#note-kind-decision")).to_be_checked()
    page.keyboard.press("Control+Enter")
    answer_held()
    expect(page.locator("#notes .pill", has_text="Decision")).to_have_count(1)
    expect(page.locator("#note-body")).to_have_value("")
    bodies = set(MeetingNote.objects.filter(meeting=meeting).values_list("body", flat=True))
    assert bodies == {
        "Partner pricing is still open.",
        "Legal reviews the terms",
        "We quote list price until legal answers.",
    }


def test_arrows_pressed_while_a_tick_is_on_its_way_move_one_section_each(
    live_server, page_for, cast
):
    """→ → pressed while a tick is being saved: each waits for the part before it to be in
    place, so the page moves two sections, one request after the other. The tick's answer
    is held at the browser's network layer until both keys are pressed; it swaps several
    parts out of band, which once ended the wait of the section the first → asked for
    (the second → then clicked a link again before the first section had come)."""

    meeting = running_meeting(cast)
    page = page_for(cast.manager)
    page.goto(f"{live_server.url}/standups/meetings/{meeting.pk}/run/")
    wait_for_htmx(page)
    steps = page.locator("#run-steps a")
    second, third = (steps.nth(n).get_attribute("href") for n in (1, 2))
    third_title = steps.nth(2).locator(".step-title").inner_text()
    sections: list[str] = []
    page.on(
        "request",
        lambda request: "section=" in request.url and sections.append(request.url),
    )
    held = []
    page.route(f"**/standups/meetings/{meeting.pk}/attendance/", lambda route: held.append(route))

    page.keyboard.press("j")
    page.keyboard.press("x")
    page.wait_for_function("() => document.querySelector('.mark-form.htmx-request')")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    held.pop().continue_()

    expect(page.locator("#present-count")).to_have_text("1 present")
    expect(heading(page)).to_contain_text(third_title)
    expect(heading(page)).to_be_focused()
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    assert [url.removeprefix(live_server.url) for url in sections] == [second, third]


def test_a_section_on_its_way_holds_the_next_arrow_however_long_it_takes(
    live_server, page_for, cast
):
    """→ pressed while the section the last → asked for is still on its way waits for it,
    however long it takes: a request that ended before (here a tick) has no say in that
    wait. It once had, by a timer of its own half a second on, which let the next key act
    on a section not wired yet. The page's clock is paused, and moved on by hand."""

    meeting = running_meeting(cast)
    page = page_for(cast.manager)
    page.clock.install()
    page.goto(f"{live_server.url}/standups/meetings/{meeting.pk}/run/")
    wait_for_htmx(page)
    steps = page.locator("#run-steps a")
    second, third = (steps.nth(n).get_attribute("href") for n in (1, 2))
    third_title = steps.nth(2).locator(".step-title").inner_text()
    held = []
    page.route(
        lambda url: url == f"{live_server.url}{second}",
        lambda route: held.append(route),
        times=1,
    )

    def asks_for(path: str) -> Callable[[Request], bool]:
        return lambda request: request.url == f"{live_server.url}{path}"

    # A tick, answered and settled while the clock stands still.
    page.clock.pause_at(page.evaluate("Date.now()") + 50)
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator("#present-count")).to_have_text("1 present")
    page.clock.run_for(100)

    # → asks for the next section, held on its way for two seconds; a second → meanwhile
    # waits for it, and asks for the section after it once it has come. (It used to be
    # sent at once, for the same next section, and dropped by htmx as a repeat.)
    with page.expect_request(asks_for(second)):
        page.keyboard.press("ArrowRight")
    page.clock.run_for(2000)
    page.keyboard.press("ArrowRight")
    page.clock.resume()
    with page.expect_request(asks_for(third)):
        held.pop().continue_()
    expect(heading(page)).to_contain_text(third_title)
    expect(heading(page)).to_be_focused()


def test_two_facilitators_of_a_team_stand_up_see_each_others_work_live(
    asgi_server, new_context, cast
):
    """Served by the ASGI server, so each page hears the meeting's own stream: a team's
    stand-up without projects, run by two people at once."""
    from synchrony.accounts.models import User
    from synchrony.standups import services
    from tests.browser.conftest import login
    from tests.factories import TeamFactory, UserFactory

    team = TeamFactory(name="Sales")
    seller = UserFactory(username="seller", first_name="Sam", last_name="Seller")
    cast.contributor.first_name, cast.contributor.last_name = "Cole", "Brandt"
    cast.contributor.save()
    team.members.add(seller, cast.contributor)
    today = timezone.localdate()
    series = services.series_create(
        actor=cast.contributor,  # who made a team's stand-up runs it, beside its facilitator
        name="Sales sync",
        projects=[],
        team=team,
        facilitator=seller,
        attendees=[seller, cast.contributor],
        weekday=today.weekday(),
        local_time=dt.time(9),
        time_zone="Europe/Berlin",
        starts_on=today - dt.timedelta(days=7),
    )
    meeting = services.upcoming_meeting(series=series, now=timezone.now())
    services.meeting_start(actor=seller, meeting=meeting)
    url = f"{asgi_server.url}/standups/meetings/{meeting.pk}/run/"

    pages: dict[str, Page] = {}
    for user in (seller, cast.contributor):
        page = new_context().new_page()
        login(page, asgi_server, User.objects.get(pk=user.pk))
        page.goto(f"{url}?section=actions")
        wait_for_htmx(page)
        # Listening once the meeting's stream is open (the app-wide one opens too).
        page.wait_for_function(
            "() => htmx.find('#run-stream') && "
            "htmx.find('#run-stream')['htmx-internal-data']?.sseEventSource?.readyState === 1"
        )
        pages[user.username] = page
    sam, cole = pages["seller"], pages["contributor"]

    # A note and a decision by Sam appear on Cole's page, with who wrote them.
    sam.fill("#note-body", "Partner pricing is still open.")
    sam.locator("#note-form").get_by_role("button", name="Add").click()
    expect(cole.locator("#notes")).to_contain_text("Partner pricing is still open.")
    expect(cole.locator("#live-cue")).to_contain_text("Updated just now by Sam Seller")
    sam.keyboard.press("Escape")
    sam.keyboard.press("d")
    sam.keyboard.type("We quote list price until legal answers.")
    sam.keyboard.press("Control+Enter")
    expect(cole.locator("#notes")).to_contain_text("We quote list price until legal answers.")
    expect(cole.locator("#notes .pill", has_text="Decision")).to_have_count(1)

    # Cole's action item appears on Sam's page; what Sam was typing meanwhile stays.
    sam.fill("#note-body", "Half-written thought")
    cole.fill("#action_title", "Ask legal about partner pricing")
    cole.locator("#action-form").get_by_role("button", name="Create action item").click()
    expect(sam.locator("#actions")).to_contain_text("Ask legal about partner pricing")
    expect(sam.locator("#note-body")).to_have_value("Half-written thought")

    # Attendance ticked on one page is ticked on the other, and the count follows.
    sam.locator("[data-run-prev]").click()
    expect(sam.locator("#section-title")).to_contain_text("Who is here")
    cole.locator("[data-run-prev]").click()
    expect(cole.locator("#section-title")).to_contain_text("Who is here")
    cole.locator(f"#present-{seller.pk}").check()
    expect(sam.locator(f"#present-{seller.pk}")).to_be_checked()
    expect(sam.locator("#present-count")).to_have_text("1 present")
    shot(sam, "standup-live-second-facilitator")

    # Both edit the decision. Cole saves first; Sam's open form survives the live update
    # (with Sam's words in it), and saving it is refused with a clear message.
    decision = MeetingNote.objects.get(meeting=meeting, kind="decision")
    for page in (sam, cole):
        page.goto(f"{url}?section=actions")
        wait_for_htmx(page)
        page.wait_for_function(
            "() => htmx.find('#run-stream')['htmx-internal-data']?.sseEventSource?.readyState === 1"
        )
        page.locator(f"#note-{decision.pk}").get_by_role("link", name="Edit").click()
        expect(page.locator(f"#meetingnote{decision.pk}_body")).to_be_visible()
    sam.fill(f"#meetingnote{decision.pk}_body", "We quote list price, no discount.")
    cole.fill(f"#meetingnote{decision.pk}_body", "We wait for legal before quoting.")
    cole.locator(f"#note-{decision.pk}").get_by_role("button", name="Save").click()
    expect(cole.locator("#notes")).to_contain_text("We wait for legal before quoting.")
    # Sam's page hears of it (the cue) and re-fetches the notes, keeping the open form.
    expect(sam.locator("#live-cue")).to_contain_text("Cole Brandt")
    sam.wait_for_function("() => !document.querySelector('.htmx-request')")
    expect(sam.locator(f"#meetingnote{decision.pk}_body")).to_have_value(
        "We quote list price, no discount."
    )
    sam.locator(f"#note-{decision.pk}").get_by_role("button", name="Save").click()
    error = sam.locator(f"#note-{decision.pk} .form-error")
    expect(error).to_contain_text("Not saved: this note changed since you opened it.")
    expect(error).to_contain_text("Cole Brandt")
    expect(sam.locator(f"#note-{decision.pk}")).to_contain_text(
        "You had entered: “We quote list price, no discount.”"
    )
    decision.refresh_from_db()
    assert (decision.body, decision.version) == ("We wait for legal before quoting.", 2)

    # Sam ends the meeting; Cole's header says so at once.
    sam.goto(f"{url}?section=wrap-up")
    wait_for_htmx(sam)
    sam.locator("#end-meeting").click()
    expect(sam.get_by_text("Meeting ended after")).to_be_visible()
    expect(cole.locator("#run-head")).to_contain_text("This meeting ended")
    shot(cole, "standup-live-ended")

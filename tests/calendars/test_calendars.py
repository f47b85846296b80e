from __future__ import annotations

import datetime as dt

import pytest
import time_machine
import vobject
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from synchrony.activity.models import Notification
from synchrony.calendars import services
from synchrony.calendars.models import FeedToken, SavedFilter, ShareLink
from synchrony.launches import services as launches
from synchrony.launches.conflicts import conflicts_for
from synchrony.launches.models import Blackout, LaunchStatus
from synchrony.lib.tokens import hash_token
from tests.conftest import client_for
from tests.factories import (
    ChannelFactory,
    LaunchFactory,
    MilestoneFactory,
    ProjectFactory,
    TaskFactory,
    TeamFactory,
)

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def plan(cast, name: str, when: dt.datetime, channels=(), zone: str = "Europe/Berlin"):
    cast.project.channels.add(*channels)  # a launch goes out on its project's channels
    launch, _ = launches.launch_create(
        actor=cast.manager,
        project=cast.project,
        name=name,
        local_go_live=when,
        time_zone=zone,
        channels=channels,
    )
    return launch


def test_month_week_and_agenda_show_items_in_the_viewers_zone(cast, frozen):
    plan(cast, "Spring launch", dt.datetime(2026, 3, 20, 9, 0))  # 08:00 UTC
    MilestoneFactory(project=cast.project, title="Beta", date=dt.date(2026, 3, 10))
    TaskFactory(project=cast.project, title="Write copy", due_date=dt.date(2026, 3, 12))
    cast.project.planning_due = dt.date(2026, 3, 15)
    cast.project.save()
    cast.viewer.time_zone = "America/New_York"  # 04:00 there on 20 March (EDT)
    cast.viewer.save()
    client = client_for(cast.viewer)
    month = client.get(reverse("calendars:calendar")).content.decode()
    assert "March 2026" in month
    assert "<time>04:00</time> Spring launch" in month
    assert "◆ Beta" in month and "Write copy" in month and "Planning ends" in month
    assert 'class="today"' in month
    week = client.get(reverse("calendars:calendar"), {"view": "week", "date": "2026-03-20"})
    assert "Week of 16 Mar 2026" in week.content.decode()
    agenda = client.get(
        reverse("calendars:calendar"), {"view": "agenda", "date": "2026-03-15"}
    ).content.decode()
    assert "Friday 20 March" in agenda
    empty = client.get(reverse("calendars:calendar"), {"view": "agenda", "date": "2027-03-15"})
    assert "Nothing planned in these 14 days." in empty.content.decode()


def test_filters_by_channel_and_kind_and_bad_filters_are_named(cast, frozen):
    email, social = ChannelFactory(name="Email"), ChannelFactory(name="Social")
    plan(cast, "Mail drop", dt.datetime(2026, 3, 20, 9, 0), [email])
    plan(cast, "Post", dt.datetime(2026, 3, 21, 9, 0), [social])
    TaskFactory(project=cast.project, title="Write copy", due_date=dt.date(2026, 3, 12))
    client = client_for(cast.manager)
    page = client.get(reverse("calendars:calendar"), {"channel": email.pk}).content.decode()
    assert "Mail drop" in page and "Post" not in page and "Write copy" not in page
    page = client.get(reverse("calendars:calendar"), {"kind": "task"}).content.decode()
    assert "Write copy" in page and "Mail drop" not in page
    bad = client.get(
        reverse("calendars:calendar"),
        {"channel": "999", "date": "2026-02-30", "view": "decade", "kind": "party"},
    )
    assert bad.status_code == 200
    body = bad.content.decode()
    assert "Ignored channel" in body and "Ignored date" in body and "Ignored view" in body
    assert "March 2026" in body  # fell back to today's month


def test_calendar_queries_do_not_grow_with_the_data(cast, frozen):
    client = client_for(cast.manager)
    shared = ChannelFactory(name="Shared")  # every launch collides with the others on it
    pages = [{}, {"view": "week"}, {"view": "agenda"}, {"kind": "task"}, {"channel": shared.pk}]

    def counts() -> list[int]:
        found = []
        for params in pages:
            for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(reverse("calendars:calendar"), params, **headers)
                    assert response.status_code == 200
                found.append(len(ctx.captured_queries))
        return found

    def add(n: int) -> None:
        for i in range(n):
            channel = ChannelFactory()
            # Crowded days: more launches and task deadlines than a grid day shows.
            launch = LaunchFactory(
                project=cast.project, go_live=NOW + dt.timedelta(days=1 + i % 3, hours=i)
            )
            launch.activations.create(channel=channel)
            launch.activations.create(channel=shared)
            MilestoneFactory(project=cast.project, date=dt.date(2026, 3, 1 + i % 28))
            for _ in range(3):
                TaskFactory(project=cast.project, due_date=dt.date(2026, 3, 3 + i % 3))
            ProjectFactory(owner=cast.manager, planning_due=dt.date(2026, 3, 1 + i % 28))

    add(2)
    small = counts()
    add(12)
    assert counts() == small


def test_every_launch_of_a_busy_agenda_day_shows_its_conflicts(cast, frozen):
    email = ChannelFactory(name="Email")
    for hour in range(8, 16):
        plan(cast, f"Drop {hour}", dt.datetime(2026, 3, 20, hour, 0), [email])
    client = client_for(cast.manager)
    agenda = client.get(
        reverse("calendars:calendar"), {"view": "agenda", "date": "2026-03-15"}
    ).content.decode()
    assert agenda.count("has-conflict") == 8
    assert agenda.count("“Drop 8” goes live within") == 7  # first of the others' conflicts
    month = client.get(reverse("calendars:calendar")).content.decode()
    cell = month.split('data-date="2026-03-20"')[1].split("</td>")[0]
    assert cell.count("has-conflict") == 5 and "+3 more</a>" in cell
    assert cell.index("Drop 8") < cell.index("Drop 12") and "Drop 13" not in cell


def test_the_calendar_counts_every_conflict_and_names_the_first_as_the_launch_page(cast, frozen):
    """The grid's badge and the agenda say how many conflicts a launch has, with the first
    one (grid) or three (agenda) in the launch page's order, though only those are built."""
    email, press = ChannelFactory(name="Email"), ChannelFactory(name="Press")
    Blackout.objects.create(
        channel=email, starts_on=dt.date(2026, 3, 20), ends_on=dt.date(2026, 3, 20), reason="Fair"
    )
    for hour in range(8, 14):
        plan(cast, f"Drop {hour}", dt.datetime(2026, 3, 20, hour, 0), [email, press])
    launch = plan(cast, "Late drop", dt.datetime(2026, 3, 20, 17, 0), [press, email])
    full = conflicts_for([launch])[launch.pk]
    assert len(full) == 13  # six collisions on each channel, the blackout, nothing else
    client = client_for(cast.manager)
    week = client.get(
        reverse("calendars:calendar"), {"view": "week", "date": "2026-03-20"}
    ).content.decode()
    cell = week.split('data-date="2026-03-20"')[1].split("</td>")[0]
    badge = cell.split("Late drop")[1].split("</li>")[0]
    assert f'aria-label="13 conflicts: {full[0].message}"' in badge
    assert "⚠13<" in badge and "(and 12 more)" in badge
    agenda = client.get(
        reverse("calendars:calendar"), {"view": "agenda", "date": "2026-03-15"}
    ).content.decode()
    entry = agenda.split("Late drop")[1].split("</li>")[0]
    shown = [f'<small class="conflict-text">⚠ {c.message}</small>' for c in full[:3]]
    assert "<br>".join(shown) in entry
    assert "and 10 more conflicts (see the launch)" in entry
    page = client.get(reverse("launches:detail", args=[launch.pk])).content.decode()
    assert all(c.message in page for c in full[3:])  # the rest: on the launch page


def test_names_are_escaped_everywhere_on_the_calendar(cast, frozen):
    channel = ChannelFactory(name="<i>Mail</i>")
    plan(cast, '<b>"Big" & bold</b>', dt.datetime(2026, 3, 20, 9, 0), [channel])
    client = client_for(cast.manager)
    for view in ("month", "week", "agenda"):
        params = {"view": view, "date": "2026-03-15" if view == "agenda" else "2026-03-20"}
        body = client.get(reverse("calendars:calendar"), params).content.decode()
        assert "&lt;b&gt;&quot;Big&quot; &amp; bold&lt;/b&gt;" in body
        assert '<b>"Big"' not in body and "<i>Mail" not in body
        assert "&lt;i&gt;Mail&lt;/i&gt;" in body  # the filter form's chip; the agenda's too


def test_chosen_channels_and_teams_never_list_an_item_twice(cast, frozen):
    email, social = ChannelFactory(name="Email"), ChannelFactory(name="Social")
    plan(cast, "Both", dt.datetime(2026, 3, 20, 9, 0), [email, social])
    sales, support = TeamFactory(name="Sales"), TeamFactory(name="Support")
    cast.manager.teams.add(sales, support)
    TaskFactory(
        project=cast.project, title="Shared", owner=cast.manager, due_date=dt.date(2026, 3, 12)
    )
    client = client_for(cast.manager)
    for view in ("month", "agenda"):
        page = client.get(
            reverse("calendars:calendar"),
            {"view": view, "date": "2026-03-09", "channel": [email.pk, social.pk]},
        ).content.decode()
        assert page.count("</time> Both</a>") == 1
        page = client.get(
            reverse("calendars:calendar"),
            {"view": view, "date": "2026-03-09", "team": [sales.pk, support.pk]},
        ).content.decode()
        assert page.count(">Shared · ") == 1 and "more task deadline" not in page


def test_the_quick_move_uses_the_same_checks_as_the_form(cast, frozen):
    launch = plan(cast, "Spring launch", dt.datetime(2026, 3, 20, 9, 0))
    url = reverse("launches:move", args=[launch.pk])
    client = client_for(cast.manager)
    response = client.post(
        url,
        {"version": 1, "local_date": "2026-03-29", "local_time": "02:30"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "not moved" in body and "does not exist" in body and 'hx-swap-oob="true"' in body
    assert "calendar-changed" in response["HX-Trigger"]
    response = client.post(
        url,
        {"version": 1, "local_date": "2026-03-23", "local_time": "09:00"},
        HTTP_HX_REQUEST="true",
    )
    assert "moved to 23 Mar 09:00" in response.content.decode()
    launch.refresh_from_db()
    assert launch.go_live == dt.datetime(2026, 3, 23, 8, 0, tzinfo=dt.UTC)
    stale = client.post(
        url,
        {"version": 1, "local_date": "2026-03-24", "local_time": "09:00"},
        HTTP_HX_REQUEST="true",
    )
    assert "changed since you opened it" in stale.content.decode()
    assert client_for(cast.viewer).post(url, {"version": 2}).status_code == 403


def test_the_ics_feed_parses_elsewhere_with_stable_uids_and_rising_sequence(cast, frozen):
    channel = ChannelFactory(name="Email")
    launch = plan(
        cast, 'Launch, with "quotes"; and\nnew line', dt.datetime(2026, 3, 20, 9, 0), [channel]
    )
    token = services.feed_token_rotate(user=cast.viewer)
    url = reverse("calendars:feed", args=[token])

    def event() -> vobject.base.Component:
        calendar = vobject.readOne(Client().get(url).content.decode())
        return next(
            e for e in calendar.vevent_list if e.uid.value.startswith(f"launch-{launch.pk}@")
        )

    first = event()
    assert first.summary.value == f'Launch, with "quotes"; and\nnew line · {cast.project.name}'
    assert first.dtstart.value == dt.datetime(2026, 3, 20, 8, 0, tzinfo=dt.UTC)  # 09:00 CET
    assert "Planned for 20 Mar 2026 09:00 Europe/Berlin" in first.description.value
    assert first.status.value == "TENTATIVE"
    before = int(first.sequence.value)
    launches.launch_update(
        actor=cast.manager,
        launch=launch,
        version=launch.version,
        changes={"local_go_live": dt.datetime(2026, 4, 2, 9, 0)},
    )
    moved = event()
    assert moved.uid.value == first.uid.value
    assert int(moved.sequence.value) > before
    assert moved.dtstart.value == dt.datetime(2026, 4, 2, 7, 0, tzinfo=dt.UTC)  # 09:00 CEST
    launch.refresh_from_db()
    launches.launch_set_status(
        actor=cast.manager, launch=launch, version=launch.version, status=LaunchStatus.CANCELLED
    )
    assert event().status.value == "CANCELLED"


def test_the_feed_reads_a_fixed_number_of_queries_and_checks_no_conflicts(cast, frozen):
    url = reverse("calendars:feed", args=[services.feed_token_rotate(user=cast.manager)])
    email = ChannelFactory(name="Email")

    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            assert Client().get(url).status_code == 200
        return [q["sql"] for q in ctx.captured_queries]

    plan(cast, "First", dt.datetime(2026, 3, 20, 9, 0), [email])
    small = len(queries())
    for day in range(10):
        plan(cast, f"More {day}", dt.datetime(2026, 4, 1 + day, 9, 0), [email])
    large = queries()
    assert len(large) == small
    assert not any("launches_blackout" in sql for sql in large)  # an ICS shows no conflicts


def test_feed_tokens_are_hashed_and_rotating_revokes_the_old_one(cast, frozen):
    old = services.feed_token_rotate(user=cast.viewer)
    assert FeedToken.objects.filter(token_hash=hash_token(old)).exists()
    assert not FeedToken.objects.filter(token_hash=old).exists()
    new = services.feed_token_rotate(user=cast.viewer)
    assert Client().get(reverse("calendars:feed", args=[old])).status_code == 404
    assert Client().get(reverse("calendars:feed", args=[new])).status_code == 200
    # Someone else's filter through my token reveals nothing.
    theirs = SavedFilter.objects.create(owner=cast.manager, name="Theirs")
    response = Client().get(reverse("calendars:feed", args=[new]), {"filter": theirs.pk})
    assert response.status_code == 404


def test_a_share_link_shows_the_calendar_read_only_until_revoked(cast, frozen):
    plan(cast, "Spring launch", dt.datetime(2026, 3, 20, 9, 0))
    client = client_for(cast.manager)
    client.post(
        reverse("calendars:filters"),
        {"name": "For sales", "kind": ["launch"], "project": [cast.project.pk]},
    )
    saved = SavedFilter.objects.get(name="For sales")
    page = client.post(reverse("calendars:share-create", args=[saved.pk]), {"days": ""})
    url = page.context["new_link"]
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert ShareLink.objects.get().token_hash == hash_token(token)
    anonymous = Client()
    shared = anonymous.get(url)
    assert shared.status_code == 200
    body = shared.content.decode()
    assert "Spring launch" in body and "draggable" not in body and "/projects/" not in body
    zone = cast.manager.time_zone
    assert zone != "UTC" and f"times in {zone}" in body  # one zone, at the top and the foot
    assert f"times shown in {zone}, the zone of whoever shared it" in body
    link = ShareLink.objects.get()
    client.post(reverse("calendars:share-revoke", args=[link.pk]))
    gone = anonymous.get(url)
    assert gone.status_code == 404 and "For sales" not in gone.content.decode()
    assert anonymous.get("/shared/not-a-token/").status_code == 404
    assert anonymous.get(reverse("calendars:shared", args=["A" * 43])).status_code == 404


def test_an_expired_link_is_a_404_and_only_managers_share(cast, frozen):
    saved = SavedFilter.objects.create(owner=cast.manager, name="X")
    _, token = services.share_link_create(
        actor=cast.manager, saved_filter=saved, expires_at=NOW + dt.timedelta(days=1)
    )
    url = reverse("calendars:shared", args=[token])
    assert Client().get(url).status_code == 200
    with time_machine.travel(NOW + dt.timedelta(days=2), tick=False):
        assert Client().get(url).status_code == 404
    theirs = SavedFilter.objects.create(owner=cast.viewer, name="Mine")
    response = client_for(cast.viewer).post(reverse("calendars:share-create", args=[theirs.pk]))
    assert response.status_code == 302 and not theirs.links.exists()


def test_subscribers_hear_when_a_launch_within_7_days_moves(cast, frozen):
    channel = ChannelFactory(name="Email")
    soon = plan(cast, "Soon", dt.datetime(2026, 3, 5, 9, 0), [channel])
    later = plan(cast, "Later", dt.datetime(2026, 5, 5, 9, 0), [channel])
    services.saved_filter_create(actor=cast.viewer, name="Email launches", channels=[channel])
    services.saved_filter_create(actor=cast.contributor, name="Quiet", notify_moves=False)
    launches.launch_update(
        actor=cast.manager,
        launch=soon,
        version=soon.version,
        changes={"local_go_live": dt.datetime(2026, 3, 6, 9, 0)},
    )
    launches.launch_update(
        actor=cast.manager,
        launch=later,
        version=later.version,
        changes={"local_go_live": dt.datetime(2026, 5, 6, 9, 0)},
    )
    notices = Notification.objects.filter(kind="launch_moved")
    assert [(n.recipient, n.title) for n in notices] == [
        (cast.viewer, "“Soon” moved to Fri 6 Mar 09:00 (Europe/Berlin)")
    ]


def test_the_agenda_offers_a_keyboard_move_that_returns_only_on_site(cast, frozen):
    launch = plan(cast, "Spring launch", dt.datetime(2026, 3, 20, 9, 0))
    client = client_for(cast.manager)
    agenda = client.get(
        reverse("calendars:calendar"), {"view": "agenda", "date": "2026-03-15"}
    ).content.decode()
    assert "Move…" in agenda and 'name="local_time" value="09:00"' in agenda
    url = reverse("calendars:move", args=[launch.pk])
    assert f'<form method="post" action="{url}"' in agenda  # it works without JavaScript
    data = {"version": 1, "local_date": "2026-03-21", "local_time": "09:00"}
    back = client.post(url, {**data, "next": "/calendar/?view=agenda"})
    assert back["Location"] == "/calendar/?view=agenda"
    page = client.get(back["Location"]).content.decode()
    assert "“Spring launch” moved to 21 Mar 09:00." in page
    evil = client.post(url, {**data, "version": 2, "next": "https://evil.example/"})
    assert evil["Location"] == launch.get_absolute_url()
    assert (
        "Move…"
        not in client_for(cast.viewer)
        .get(reverse("calendars:calendar"), {"view": "agenda", "date": "2026-03-15"})
        .content.decode()
    )


def test_a_crowded_day_shows_the_launches_first_and_links_to_the_rest(cast, frozen):
    plan(cast, "Big launch", dt.datetime(2026, 3, 20, 9, 0))
    for i in range(8):
        TaskFactory(project=cast.project, title=f"Chore {i}", due_date=dt.date(2026, 3, 20))
    month = client_for(cast.manager).get(reverse("calendars:calendar")).content.decode()
    cell = month.split('data-date="2026-03-20"')[1].split("</td>")[0]
    assert cell.count('<li class="cal-item') == 5
    assert cell.index("Big launch") < cell.index("Chore")
    assert "+4 more</a>" in cell and "view=agenda&amp;date=2026-03-20" in cell


def test_a_busy_agenda_day_lists_six_task_deadlines_and_links_to_the_rest(cast, frozen):
    for i in range(8):
        TaskFactory(project=cast.project, title=f"Chore {i}", due_date=dt.date(2026, 3, 10))
    agenda = client_for(cast.manager).get(
        reverse("calendars:calendar"), {"view": "agenda", "date": "2026-03-09"}
    )
    body = agenda.content.decode()
    assert body.count("Chore ") == 6
    assert "+2 more task deadlines that day" in body
    assert "view=agenda&amp;kind=task&amp;date=2026-03-10" in body
    only_tasks = client_for(cast.manager).get(
        reverse("calendars:calendar"), {"view": "agenda", "date": "2026-03-10", "kind": "task"}
    )
    assert only_tasks.content.decode().count("Chore ") == 8


def agenda_item(page: str, name: str) -> str:
    """The agenda's <li> of the item titled `name`."""
    start = page.index(f">{name}<")
    return page[page.rindex('<li class="cal-item', 0, start) : page.index("</li>", start)]


@pytest.mark.parametrize(
    ("local_date", "local_time", "why"),
    [("2020-01-01", "09:00", "already passed"), ("2026-03-29", "02:30", "does not exist")],
)
def test_a_refused_agenda_move_keeps_its_box_open_with_the_typed_values_and_the_reason(
    cast, frozen, local_date, local_time, why
):
    launch = plan(cast, "Spring launch", dt.datetime(2026, 3, 20, 9, 0))
    client = client_for(cast.manager)
    agenda = client.get(reverse("calendars:calendar"), {"view": "agenda", "date": "2026-03-15"})
    box = agenda_item(agenda.content.decode(), "<time>09:00</time> Spring launch")
    url = reverse("calendars:move", args=[launch.pk])
    # The box answers in place: the server's answer replaces its item.
    assert f'hx-post="{url}" hx-target="closest li" hx-swap="outerHTML"' in box
    response = client.post(
        url,
        {"version": 1, "local_date": local_date, "local_time": local_time, "next": "/calendar/"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "HX-Trigger" not in response  # no refresh
    item = response.content.decode()
    assert item.startswith('<li class="cal-item') and f'id="move-{launch.pk}" open>' in item
    alert = item.split('role="alert"', 1)[1].split("</p>", 1)[0]
    assert "“Spring launch” not moved" in alert and why in alert
    assert f'value="{local_date}"' in item and f'value="{local_time}"' in item
    launch.refresh_from_db()
    assert launch.version == 1 and launch.local_date == dt.date(2026, 3, 20)


def test_a_stale_agenda_move_is_refused_in_its_box_which_then_carries_the_current_version(
    cast, frozen
):
    launch = plan(cast, "Spring launch", dt.datetime(2026, 3, 20, 9, 0))
    launches.launch_update(
        actor=cast.manager,
        launch=launch,
        version=1,
        changes={"local_go_live": dt.datetime(2026, 3, 21, 9, 0)},
    )
    client = client_for(cast.manager)
    url = reverse("calendars:move", args=[launch.pk])
    data = {"version": 1, "local_date": "2026-03-24", "local_time": "10:00"}
    item = client.post(url, data, HTTP_HX_REQUEST="true").content.decode()
    assert 'role="alert"' in item and "changed since you opened it" in item
    assert 'name="version" value="2"' in item and 'value="2026-03-24"' in item
    moved = client.post(url, {**data, "version": 2}, HTTP_HX_REQUEST="true")
    assert "moved to 24 Mar 10:00" in moved.content.decode()


def test_an_agenda_move_is_confirmed_on_the_item_through_the_calendars_refreshes(cast, frozen):
    launch = plan(cast, "Spring launch", dt.datetime(2026, 3, 20, 9, 0))
    client = client_for(cast.manager)
    url = reverse("calendars:move", args=[launch.pk])
    response = client.post(
        url,
        {"version": 1, "local_date": "2026-03-23", "local_time": "10:00"},
        HTTP_HX_REQUEST="true",
    )
    item = response.content.decode()
    assert "<time>10:00</time> Spring launch" in item and "open>" not in item
    # The launch may now be on another day: the calendar refreshes, and the page's
    # messages, swapped in to float in view, say where it went.
    floating = '<div id="messages" class="messages floating" role="status" hx-swap-oob="true">'
    assert floating in item and "“Spring launch” moved to 23 Mar 10:00." in item
    assert "calendar-changed" in response["HX-Trigger"]
    assert client_for(cast.viewer).post(url, {"version": 2}).status_code == 403


def test_a_share_link_lasts_1_to_365_days_or_never_and_0_is_refused(cast, frozen):
    saved = SavedFilter.objects.create(owner=cast.manager, name="For sales")
    client = client_for(cast.manager)
    url = reverse("calendars:share-create", args=[saved.pk])
    page = client.get(reverse("calendars:filter", args=[saved.pk])).content.decode()
    assert 'name="days" min="1" max="365"' in page
    for days in ("0", "-1", "366"):
        refused = client.post(url, {"days": days}, follow=True).content.decode()
        assert "Choose how many days the link lasts (1 to 365), or never." in refused
    assert not saved.links.exists()
    client.post(url, {"days": "1"})
    client.post(url, {"days": ""})
    assert sorted(str(link.expires_at) for link in saved.links.all()) == [
        str(NOW + dt.timedelta(days=1)),
        "None",
    ]


def test_screen_readers_hear_a_launchs_status_by_its_label(cast, frozen):
    launch = plan(cast, "Spring launch", dt.datetime(2026, 3, 20, 9, 0))
    type(launch).objects.filter(pk=launch.pk).update(status=LaunchStatus.PARTLY_LAUNCHED)
    saved = SavedFilter.objects.create(owner=cast.manager, name="All")
    _, token = services.share_link_create(actor=cast.manager, saved_filter=saved)
    client = client_for(cast.manager)
    pages = [
        client.get(reverse("calendars:calendar"), {"view": view, "date": "2026-03-15"})
        for view in ("month", "agenda")
    ]
    shared = reverse("calendars:shared", args=[token])
    pages += [
        Client().get(shared, {"view": view, "date": "2026-03-15"}) for view in ("month", "agenda")
    ]
    for page in pages:
        body = page.content.decode()
        assert '<span class="visually-hidden">, launch, partly launched</span>' in body
        assert ", launch, partly_launched" not in body


def test_a_stage_deadline_names_its_project_once(cast, frozen):
    cast.project.planning_due = dt.date(2026, 3, 15)
    cast.project.save()
    client = client_for(cast.manager)
    agenda = client.get(
        reverse("calendars:calendar"), {"view": "agenda", "date": "2026-03-15"}
    ).content.decode()
    assert agenda_item(agenda, "Planning ends").count("Atlas launch") == 1
    month = client.get(reverse("calendars:calendar")).content.decode()
    assert ">Planning ends · Atlas launch<" in month  # the grid shows no project beside it
    feed = Client().get(
        reverse("calendars:feed", args=[services.feed_token_rotate(user=cast.manager)])
    )
    summaries = [e.summary.value for e in vobject.readOne(feed.content.decode()).vevent_list]
    assert summaries == ["Planning ends · Atlas launch"]

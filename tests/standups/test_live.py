"""Facilitator mode, live: what one facilitator saves reaches the other's page.

Each write while a meeting runs is published on the meeting's own key (read here off
Redis, not mocked); only the meeting's stream forwards it, not the app-wide one of the
project's readers; the page's live request returns the open section's parts out of band.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from synchrony.activity import live
from synchrony.standups import services
from synchrony.standups.live import meeting_key
from synchrony.standups.models import Agenda
from tests.conftest import client_for
from tests.factories import TaskFactory, TeamFactory, UserFactory
from tests.standups.conftest import make_series

HTMX = {"HTTP_HX_REQUEST": "true"}


def published(run) -> list[dict]:
    """What `run()` published on the live channel, once its transaction committed."""
    pubsub = live.client().pubsub()
    pubsub.subscribe(live.channel_name())
    pubsub.get_message(timeout=1)  # the subscribe confirmation
    try:
        run()
        found = []
        while message := pubsub.get_message(timeout=0.5):
            found.append(json.loads(message["data"]))
        return found
    finally:
        pubsub.close()


def team_meeting(cast):
    """A running meeting of a team's stand-up without projects: the contributor made it
    and the seller facilitates, so both run it."""
    team = TeamFactory(name="Sales")
    seller = UserFactory(username="seller", first_name="Sam", last_name="Seller")
    team.members.add(seller, cast.contributor)
    series = services.series_create(
        actor=cast.contributor,
        name="Sales sync",
        projects=[],
        team=team,
        facilitator=seller,
        attendees=[seller, cast.contributor],
        weekday=0,
        local_time=dt.time(9),
        time_zone="Europe/Berlin",
        starts_on=dt.date(2026, 3, 2),
    )
    meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 30))
    services.meeting_start(actor=seller, meeting=meeting)
    meeting.series = series
    return meeting, seller


def test_every_write_while_a_meeting_runs_is_published_on_the_meetings_key(
    cast, running, django_capture_on_commit_callbacks
):
    def writes() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            note = services.note_create(
                actor=cast.manager, meeting=running, section="actions", kind="note", body="A"
            )
        with django_capture_on_commit_callbacks(execute=True):
            services.note_update(actor=cast.manager, note=note, version=1, body="B", kind="note")
        with django_capture_on_commit_callbacks(execute=True):
            services.note_delete(actor=cast.manager, note=note, version=2)
        with django_capture_on_commit_callbacks(execute=True):
            services.attendance_set(
                actor=cast.manager, meeting=running, user=cast.viewer, present=True
            )
        with django_capture_on_commit_callbacks(execute=True):
            services.action_item_create(
                actor=cast.manager,
                meeting=running,
                title="Call legal",
                owner=cast.contributor,
                due_date=None,
                project=cast.project,
            )

    messages = [m for m in published(writes) if m["kind"].startswith("standup-run")]
    assert len(messages) == 5
    assert all(
        (m["kind"], m["id"], m["project"], m["by"])
        == ("standup-run", running.pk, meeting_key(running.pk), str(cast.manager))
        for m in messages
    )
    # The meeting's own key is never a project's: the app-wide stream cannot forward it.
    assert meeting_key(running.pk) < 0

    def end() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            services.meeting_end(actor=cast.manager, meeting=running)

    kinds = {(m["kind"], m["project"]) for m in published(end)}
    assert ("standup-run-state", meeting_key(running.pk)) in kinds  # facilitator mode's header
    assert ("standup-meeting", cast.project.pk) in kinds  # the project's calendars


def test_a_team_stand_up_without_projects_is_live_too(
    cast, frozen, django_capture_on_commit_callbacks
):
    meeting, seller = team_meeting(cast)

    def note() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            services.note_create(
                actor=seller, meeting=meeting, section="actions", kind="decision", body="Go"
            )

    (message,) = published(note)
    assert (message["kind"], message["id"], message["project"]) == (
        "standup-run",
        meeting.pk,
        meeting_key(meeting.pk),
    )


def test_only_the_meetings_stream_forwards_its_changes():
    run = json.dumps({"kind": "standup-run", "id": 5, "project": meeting_key(5), "by": "M"})
    other = json.dumps({"kind": "standup-run", "id": 6, "project": meeting_key(6), "by": "M"})
    task = json.dumps({"kind": "task", "id": 9, "project": 5, "by": "M"})

    async def first(project_ids: frozenset[int]) -> str:
        stream = live.event_stream(project_ids, live.channel_name())
        assert await anext(stream) == "retry: 2000\n\n"  # subscribed
        for message in (other, run, task):
            live.client().publish(live.channel_name(), message)
        try:
            return await asyncio.wait_for(anext(stream), timeout=5)
        finally:
            await stream.aclose()

    # The meeting's page hears its meeting only; project 5's readers hear the task only.
    assert asyncio.run(first(frozenset({meeting_key(5)}))) == f"event: change\ndata: {run}\n\n"
    assert asyncio.run(first(frozenset({5}))) == f"event: change\ndata: {task}\n\n"


def test_the_meetings_stream_is_for_those_who_see_the_meeting(cast, frozen):
    meeting, seller = team_meeting(cast)
    url = reverse("standups:live", args=[meeting.pk])
    # The test client is WSGI: a reader is declined with 204 (EventSource stops), not held.
    assert client_for(seller).get(url).status_code == 204
    assert client_for(cast.contributor).get(url).status_code == 204
    assert client_for(cast.manager).get(url).status_code == 404  # not in the team
    assert client_for(cast.outsider).get(url).status_code == 404
    assert client_for(seller).post(url).status_code == 405


def test_the_live_part_brings_what_the_other_facilitator_saved(cast, running):
    task = TaskFactory(project=cast.project, owner=cast.contributor, due_date=dt.date(2026, 3, 2))
    agenda = Agenda.objects.get(meeting=running)
    person = agenda.data["people"][0]
    person["overdue"].append(
        {
            "key": f"task-{task.pk}",
            "id": task.pk,
            "title": task.title,
            "project_id": cast.project.pk,
            "project": cast.project.name,
            "owner_id": cast.contributor.pk,
            "owner": str(cast.contributor),
            "status": "todo",
            "status_label": "To do",
            "due_date": "2026-03-02",
            "blocked_reason": "",
            "completed_at": None,
            "url": task.get_absolute_url(),
        }
    )
    agenda.save()
    section = person["key"]
    services.note_create(
        actor=cast.manager, meeting=running, section=section, kind="decision", body="Ship Friday"
    )
    services.action_item_create(
        actor=cast.manager,
        meeting=running,
        title="Tell sales",
        owner=cast.contributor,
        due_date=None,
        project=cast.project,
        section=section,
    )
    services.discussed_set(
        actor=cast.manager, meeting=running, key=f"task-{task.pk}", discussed=True
    )
    url = reverse("standups:run", args=[running.pk])
    client = client_for(cast.manager)

    body = client.get(url, {"section": section, "part": "live"}, **HTMX).content.decode()
    assert '<div id="notes" hx-swap-oob="true">' in body and "Ship Friday" in body
    assert '<div id="actions" hx-swap-oob="true">' in body and "Tell sales" in body
    assert f'id="mark-task-{task.pk}" name="discussed" checked hx-swap-oob="true"' in body
    assert 'id="discussed-count" hx-swap-oob="true">1 of' in body
    assert 'id="run-steps"' in body
    assert 'id="note-form"' not in body and 'id="action-form"' not in body  # typing is kept
    assert 'id="run-section"' not in body

    services.attendance_set(actor=cast.manager, meeting=running, user=cast.viewer, present=True)
    body = client.get(url, {"section": "attendance", "part": "live"}, **HTMX).content.decode()
    assert '<ul class="agenda-items attendance" id="attendance" hx-swap-oob="true">' in body
    assert f'id="present-{cast.viewer.pk}" name="present" checked' in body
    assert 'id="present-count" hx-swap-oob="true">1 present' in body

    body = client.get(url, {"section": "wrap-up", "part": "live"}, **HTMX).content.decode()
    assert 'id="wrap-up-facts" hx-swap-oob="true"' in body and "Ship Friday" in body
    assert "Tell sales" in body

    # A reader who only follows along gets the same, without the controls.
    body = (
        client_for(cast.viewer)
        .get(url, {"section": section, "part": "live"}, **HTMX)
        .content.decode()
    )
    assert "Ship Friday" in body and "Edit</a>" not in body
    # Without htmx it is the whole page.
    page = client.get(url, {"section": section, "part": "live"}).content.decode()
    assert "<h1>Facilitator mode" in page


def test_the_page_listens_to_its_meetings_stream(cast, running):
    page = client_for(cast.viewer).get(reverse("standups:run", args=[running.pk]))
    body = page.content.decode()
    assert f'sse-connect="{reverse("standups:live", args=[running.pk])}"' in body
    assert f"detail.kind=='standup-run'&&detail.id=={running.pk}" in body
    assert f"detail.kind=='standup-run-state'&&detail.id=={running.pk}" in body


def test_a_live_refresh_does_not_build_the_agenda_again(cast, running):
    """ "What changed since the agenda was written" is the agenda's whole build: the section
    shows it, the live parts (one request per open page per change) do not need it."""
    url = reverse("standups:run", args=[running.pk])
    client = client_for(cast.manager)

    def tables_read(**params) -> str:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, params, **HTMX).status_code == 200
        return " ".join(q["sql"] for q in ctx.captured_queries)

    assert "launches_launch" in tables_read(section="launches")
    assert "launches_launch" not in tables_read(section="launches", part="live")


@pytest.mark.django_db(transaction=True)
def test_a_team_stand_up_on_no_project_reaches_its_team_members_calendars(cast):
    """A team's stand-up has no project to publish on: its changes name the team and the
    series, and the stream of someone in the team passes them on (their calendar shows it)."""
    team = TeamFactory(name="Sales")
    team.members.add(cast.manager, cast.viewer)
    series = make_series(
        cast, projects=[], team=team, name="Sales weekly", attendees=[cast.manager, cast.viewer]
    )
    changes = published(
        lambda: services.series_update(
            actor=cast.manager,
            series=series,
            version=series.version,
            changes={"local_time": dt.time(10, 0)},
            projects=[],
            attendees=[cast.manager, cast.viewer],
        )
    )
    assert [(c["kind"], c["project"], c["team"], c["series"]) for c in changes] == [
        ("standup-series", None, team.pk, series.pk)
    ]

    async def passed(count: int = 2, **follows) -> list[dict]:
        stream = live.event_stream(frozenset({cast.project.pk}), live.channel_name(), **follows)
        await anext(stream)  # subscribed
        live.client().publish(live.channel_name(), json.dumps(changes[0]))
        live.client().publish(live.channel_name(), json.dumps({"project": cast.project.pk}))
        events = [await asyncio.wait_for(anext(stream), timeout=5) for _ in range(count)]
        await stream.aclose()
        return [json.loads(e.split("data: ", 1)[1]) for e in events]

    # A team member's stream passes it; one who follows only the project does not.
    mine = asyncio.run(passed(team_ids=frozenset({team.pk})))
    assert [e.get("series") for e in mine] == [series.pk, None]
    by_series = asyncio.run(passed(series_ids=frozenset({series.pk})))
    assert [e.get("series") for e in by_series] == [series.pk, None]
    theirs = asyncio.run(passed(1))  # the project's change came first: the team's was dropped
    assert [e.get("series") for e in theirs] == [None]

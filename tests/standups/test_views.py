"""The stand-up pages: forms, htmx partials, read-only views, history search."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.urls import reverse

from synchrony.planning.models import Task
from synchrony.standups import services
from synchrony.standups.models import ActionItem, Agenda, DiscussedItem, MeetingNote
from tests.conftest import client_for
from tests.factories import ProjectFactory, TaskFactory
from tests.standups.conftest import make_series
from tests.standups.test_agenda import at

HTMX = {"HTTP_HX_REQUEST": "true"}


def series_form(**overrides) -> dict:
    data = {
        "name": "Launch sync",
        "cadence_weeks": "1",
        "weekday": "6",
        "local_time": "02:30",
        "time_zone": "Europe/Berlin",
        "duration_minutes": "20",
        "starts_on": "2026-03-01",
        "attendees": [],
    }
    data.update(overrides)
    return data


def test_a_series_is_created_from_the_form_and_a_missing_time_is_explained(cast):
    client = client_for(cast.manager)
    url = reverse("standups:create")
    page = client.get(f"{url}?project={cast.project.pk}")
    assert page.status_code == 200
    assert page.context["form"].initial["projects"] == [cast.project.pk]
    data = series_form(
        projects=[cast.project.pk],
        facilitator=cast.manager.pk,
        attendees=[cast.manager.pk, cast.contributor.pk],
    )
    with time_machine.travel(at(2026, 3, 1), tick=False):
        refused = client.post(url, data)
    assert refused.status_code == 422
    error = refused.context["form"].errors["local_time"][0]
    assert error.startswith("02:30 does not exist on 29 Mar 2026 in Europe/Berlin")
    assert "02:30 does not exist on 29 Mar 2026" in refused.content.decode()
    with time_machine.travel(at(2026, 3, 1), tick=False):
        created = client.post(url, {**data, "shift_gap": "on"})
    assert created.status_code == 302
    with time_machine.travel(at(2026, 3, 20), tick=False):
        page = client.get(created["Location"]).content.decode()
    assert "Every Sunday at 02:30 Europe/Berlin, 20 min" in page
    assert "this meeting is at 03:30" in page  # the spring-forward Sunday, said plainly


def test_a_contributor_cannot_make_a_stand_up_of_a_project_they_do_not_manage(cast):
    client = client_for(cast.contributor)
    response = client.post(
        reverse("standups:create"),
        series_form(
            local_time="09:00",
            projects=[cast.project.pk],
            facilitator=cast.contributor.pk,
            attendees=[cast.contributor.pk],
        ),
    )
    assert response.status_code == 422
    # The project is not even offered to them.
    assert "projects" in response.context["form"].errors


def test_a_stale_series_edit_keeps_the_input_and_names_the_change(cast):
    series = make_series(cast)
    url = reverse("standups:series-edit", args=[series.pk])
    base = series_form(
        name="Atlas weekly",
        duration_minutes="30",
        local_time="09:00",
        weekday="0",
        starts_on="2026-03-02",
        projects=[cast.project.pk],
        facilitator=cast.manager.pk,
        attendees=[cast.manager.pk, cast.contributor.pk, cast.viewer.pk],
        version="1",
    )
    assert client_for(cast.manager).post(url, {**base, "name": "Atlas Monday"}).status_code == 302
    response = client_for(cast.manager).post(url, {**base, "duration_minutes": "45"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "Not saved: this stand-up series changed since you opened it." in body
    assert 'name="duration_minutes" value="45"' in body


def test_a_viewer_follows_along_but_changes_nothing(cast, running):
    client = client_for(cast.viewer)
    run = client.get(reverse("standups:run", args=[running.pk])).content.decode()
    assert "You are following along" in run
    assert 'id="note-form"' not in run and 'id="action-form"' not in run
    assert "disabled" in run  # the ticks show, but cannot be changed
    meeting = client.get(reverse("standups:meeting", args=[running.pk])).content.decode()
    assert "Follow along" in meeting and "Open facilitator mode" not in meeting
    assert client.post(reverse("standups:end", args=[running.pk])).status_code == 403


def test_sections_are_fetched_as_partials_and_unknown_ones_fall_back(cast, running):
    client = client_for(cast.manager)
    url = reverse("standups:run", args=[running.pk])
    response = client.get(f"{url}?section=launches", HTTP_HX_TARGET="run-section", **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="run-section"')
    assert 'id="run-steps"' in body and 'hx-swap-oob="true"' in body
    assert "HX-Request" in response["Vary"]
    page = client.get(f"{url}?section=../../etc").content.decode()
    assert "1 of " in page and "Who is here" in page


def test_a_note_swaps_in_with_a_fresh_form_and_an_empty_one_keeps_the_form(cast, running):
    client = client_for(cast.manager)
    url = reverse("standups:note-create", args=[running.pk])
    response = client.post(
        url, {"section": "actions", "kind": "decision", "body": "Ship it"}, **HTMX
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="notes">') and "Ship it" in body
    assert 'id="note-form"' in body and 'hx-swap-oob="true"' in body
    refused = client.post(url, {"section": "actions", "kind": "note", "body": " "}, **HTMX)
    assert refused["HX-Retarget"] == "#note-form"
    assert "This field is required." in refused.content.decode()
    assert MeetingNote.objects.count() == 1


def test_a_note_posted_after_the_end_comes_back_with_its_text(cast, running):
    services.meeting_end(actor=cast.manager, meeting=running)
    response = client_for(cast.manager).post(
        reverse("standups:note-create", args=[running.pk]),
        {"section": "actions", "kind": "note", "body": "My careful words"},
        **HTMX,
    )
    body = response.content.decode()
    assert response["HX-Retarget"] == "#note-form"
    assert "This meeting ended by" in body and "My careful words" in body
    assert not MeetingNote.objects.exists()


def test_a_stale_note_edit_is_refused_in_place(cast, running):
    note = services.note_create(
        actor=cast.manager, meeting=running, section="actions", kind="note", body="Draft"
    )
    client = client_for(cast.manager)
    url = reverse("standups:note-edit", args=[note.pk])
    assert client.get(url, **HTMX).status_code == 200
    services.note_update(actor=cast.manager, note=note, version=1, body="Final", kind="note")
    response = client.post(
        url, {"kind": "note", "body": "Mine", "version": "1", "section": "actions"}, **HTMX
    )
    body = response.content.decode()
    assert response["HX-Retarget"] == f"#note-{note.pk}"
    assert "Not saved: this note changed since you opened it." in body
    assert "You had entered: “Mine”" in body and "Final" in body
    assert 'name="version" value="2"' in body


def test_marking_an_item_answers_with_its_true_state(cast, running):
    task = TaskFactory(project=cast.project, owner=cast.contributor, due_date=dt.date(2026, 3, 1))
    services.agenda_write(meeting=running)  # already frozen: the task is not on it
    key = f"task-{task.pk}"
    client = client_for(cast.manager)
    url = reverse("standups:discussed", args=[running.pk])
    response = client.post(url, {"key": key, "discussed": "on", "section": "actions"}, **HTMX)
    assert response["HX-Reswap"] == "none"
    assert "That item is not on this meeting&#x27;s agenda." in response.content.decode()
    assert not DiscussedItem.objects.exists()

    # An item that is on it: a task written into the agenda before the meeting began.
    agenda = Agenda.objects.get(meeting=running)
    other = next(iter(agenda.data["people"]))["key"]
    assert other.startswith("person-")
    keyed = TaskFactory(project=cast.project, owner=cast.contributor, due_date=dt.date(2026, 3, 2))
    agenda.data["people"][0]["overdue"].append(
        {
            "key": f"task-{keyed.pk}",
            "id": keyed.pk,
            "title": keyed.title,
            "project_id": cast.project.pk,
            "project": cast.project.name,
            "owner_id": cast.contributor.pk,
            "owner": str(cast.contributor),
            "status": "todo",
            "status_label": "To do",
            "due_date": "2026-03-02",
            "blocked_reason": "",
            "completed_at": None,
            "url": keyed.get_absolute_url(),
        }
    )
    agenda.save()
    response = client.post(
        url, {"key": f"task-{keyed.pk}", "discussed": "on", "section": other}, **HTMX
    )
    body = response.content.decode()
    # The counts follow; the tick is left alone (replacing it would take the focus away).
    assert 'id="discussed-count" hx-swap-oob="true">1 of' in body
    assert f'id="mark-task-{keyed.pk}"' not in body
    assert DiscussedItem.objects.filter(meeting=running, key=f"task-{keyed.pk}").exists()

    # Refused (the meeting ended meanwhile): the tick comes back as it truly is.
    services.meeting_end(actor=cast.manager, meeting=running)
    response = client.post(url, {"key": f"task-{keyed.pk}", "section": other}, **HTMX)
    body = response.content.decode()
    assert "This meeting ended" in body
    assert f'id="mark-task-{keyed.pk}" name="discussed" checked hx-swap-oob="true"' in body
    assert DiscussedItem.objects.filter(meeting=running, key=f"task-{keyed.pk}").exists()


def test_an_action_item_for_a_viewer_is_refused_at_the_field(cast, running):
    response = client_for(cast.manager).post(
        reverse("standups:action-create", args=[running.pk]),
        {
            "title": "Sign the contract",
            "owner": cast.viewer.pk,
            "project": cast.project.pk,
            "section": "actions",
        },
        **HTMX,
    )
    assert response["HX-Retarget"] == "#action-form"
    body = response.content.decode()
    # Viewers are not offered (and so refused) by the form: they own no tasks.
    assert "Choose a manager or contributor of the project" in body
    assert 'value="Sign the contract"' in body
    assert not ActionItem.objects.exists() and not Task.objects.exists()


def test_regenerating_a_running_meetings_agenda_is_refused_with_a_reason(cast, running):
    response = client_for(cast.manager).post(
        reverse("standups:agenda-write", args=[running.pk]), follow=True
    )
    assert "its agenda stays as it was when the meeting started" in response.content.decode()


def test_history_is_searchable_per_series_and_per_project(cast, running):
    services.note_create(
        actor=cast.manager,
        meeting=running,
        section="actions",
        kind="decision",
        body="Move the webinar to May",
    )
    services.action_item_create(
        actor=cast.manager,
        meeting=running,
        title="Book the venue",
        owner=cast.contributor,
        due_date=None,
        project=cast.project,
    )
    services.meeting_end(actor=cast.manager, meeting=running)
    client = client_for(cast.viewer)
    series_url = reverse("standups:series", args=[running.series_id])
    found = client.get(series_url, {"q": "webinar"}).content.decode()
    assert "Mon 30 Mar 2026" in found and "Book the venue" in found and "To do" in found
    missing = client.get(series_url, {"q": "zeppelin"}).content.decode()
    assert "No past stand-up mentions “zeppelin”." in missing
    project = client.get(
        reverse("standups:project", args=[cast.project.pk]), {"q": "venue"}
    ).content.decode()
    assert "Atlas weekly" in project and "Book the venue" in project
    task = Task.objects.get(title="Book the venue")
    assert task.get_absolute_url() in project


def test_history_shows_and_searches_only_what_the_reader_may_see(cast, frozen):
    other = ProjectFactory(owner=cast.manager, name="Hidden merger")
    series = make_series(cast, projects=[cast.project, other])
    meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 30))
    services.meeting_start(actor=cast.manager, meeting=meeting)
    for project, title in ((cast.project, "Book the venue"), (other, "Draft the merger memo")):
        services.action_item_create(
            actor=cast.manager,
            meeting=meeting,
            title=title,
            owner=cast.manager,
            due_date=None,
            project=project,
        )
    services.meeting_end(actor=cast.manager, meeting=meeting)
    url = reverse("standups:series", args=[series.pk])
    viewer, manager = client_for(cast.viewer), client_for(cast.manager)
    page = viewer.get(url).content.decode()
    assert "Book the venue" in page and "merger" not in page
    assert "1 project you are not on" in page  # the stand-up is on it, unnamed
    listed = viewer.get(reverse("standups:list")).content.decode()
    assert "Atlas launch and 1 project you are not on" in listed and "merger" not in listed
    assert "merger" in manager.get(url).content.decode()
    # The summary holds the whole record: searching it would tell of the other project.
    assert (
        "No past stand-up mentions “merger”." in viewer.get(url, {"q": "merger"}).content.decode()
    )
    assert "Draft the merger memo" in manager.get(url, {"q": "merger"}).content.decode()
    # Attendees are searched by name.
    cast.contributor.first_name, cast.contributor.last_name = "Cole", "Brandt"
    cast.contributor.save()
    assert "Mon 30 Mar 2026" in viewer.get(url, {"q": "cole brandt"}).content.decode()
    project = reverse("standups:project", args=[cast.project.pk])
    assert "merger" not in viewer.get(project).content.decode()


def test_a_search_too_long_is_refused_and_finds_nothing(cast, running):
    services.meeting_end(actor=cast.manager, meeting=running)
    client = client_for(cast.viewer)
    for url in (
        reverse("standups:series", args=[running.series_id]),
        reverse("standups:project", args=[cast.project.pk]),
    ):
        response = client.get(url, {"q": "x" * 201})
        body = response.content.decode()
        assert response.status_code == 400
        assert "Not searched: Ensure this value has at most 200 characters" in body
        assert "Mon 30 Mar 2026" not in body
        assert "Mon 30 Mar 2026" in client.get(url).content.decode()

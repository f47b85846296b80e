"""Stand-ups over /api/v1/: series (read, and written as on the pages), meetings with the
agenda snapshot each reader may see, and action items."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from synchrony.standups import services
from synchrony.standups.models import Meeting, StandupSeries
from tests.api.conftest import assert_error
from tests.factories import (
    LaunchFactory,
    MembershipFactory,
    ProjectFactory,
    TeamFactory,
    UserFactory,
)
from tests.standups.conftest import make_series

NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)  # a Monday


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def series_body(cast, **fields):
    return {
        "name": "Atlas weekly",
        "projects": [cast.project.pk],
        "facilitator": cast.manager.pk,
        "attendees": [cast.manager.pk, cast.contributor.pk],
        "weekday": 2,
        "local_time": "09:30",
        "time_zone": "Europe/Berlin",
        "starts_on": "2026-03-02",
        **fields,
    }


SERIES = "/api/v1/standup-series/"


def test_a_manager_creates_a_series_and_members_read_it(cast, api):
    response = api.manager.post(SERIES, series_body(cast, cadence_weeks=2))
    assert response.status_code == 201, response.json()
    data = response.json()
    series = StandupSeries.objects.get()
    assert data["projects"] == [cast.project.pk] and data["team"] is None
    assert data["schedule"] == series.schedule_text
    assert (data["local_time"], data["cadence_weeks"], response["ETag"]) == ("09:30:00", 2, '"1"')
    assert sorted(data["attendees"]) == sorted([cast.manager.pk, cast.contributor.pk])
    assert series.created_by == cast.manager
    for client in (api.contributor, api.viewer, api.read_only):
        assert client.get(f"{SERIES}{series.pk}/").json()["name"] == "Atlas weekly"
    assert_error(api.outsider.get(f"{SERIES}{series.pk}/"), 404, "not_found")
    assert api.outsider.get(SERIES).json()["count"] == 0
    assert api.viewer.get(SERIES, {"project": cast.project.pk}).json()["count"] == 1


def test_only_managers_of_its_projects_create_a_series(cast, api):
    for client in (api.contributor, api.viewer):
        assert_error(client.post(SERIES, series_body(cast)), 403, "permission_denied")
    assert_error(api.read_only.post(SERIES, series_body(cast)), 403)
    assert_error(api.outsider.post(SERIES, series_body(cast)), 400, "invalid", "projects")
    assert not StandupSeries.objects.exists()


def test_a_team_member_creates_a_team_stand_up_and_its_members_see_it(cast, api):
    team = TeamFactory(name="Sales")
    cast.outsider.teams.add(team)
    colleague = UserFactory()
    colleague.teams.add(team)
    body = series_body(
        cast,
        projects=[],
        team=team.pk,
        facilitator=cast.outsider.pk,
        attendees=[cast.outsider.pk, colleague.pk],
    )
    assert_error(api.viewer.post(SERIES, body), 400, "invalid", "team")
    created = api.outsider.post(SERIES, body)
    assert created.status_code == 201, created.json()
    assert api.outsider.get(SERIES).json()["count"] == 1
    assert api.viewer.get(SERIES).json()["count"] == 0


def test_a_spring_forward_time_is_refused_unless_the_series_meets_after_the_jump(cast, api):
    body = series_body(cast, weekday=6, local_time="02:30")  # Sunday 29 March 2026
    response = api.manager.post(SERIES, body)
    message = assert_error(response, 400, "invalid", "local_time")["errors"]["local_time"][0]
    assert "02:30 does not exist on 29 Mar 2026" in message and "03:30" in message
    assert not StandupSeries.objects.exists()
    assert api.manager.post(SERIES, {**body, "shift_gap": True}).status_code == 201


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"time_zone": "Europe/Atlantis"}, "time_zone"),
        ({"time_zone": 5}, "time_zone"),
        ({"local_time": "9.30"}, "local_time"),
        ({"starts_on": "2026-13-01"}, "starts_on"),
        ({"starts_on": "2030-01-01"}, "starts_on"),
        ({"weekday": 7}, "weekday"),
        ({"cadence_weeks": 3}, "cadence_weeks"),
        ({"duration_minutes": 1}, "duration_minutes"),
        ({"duration_minutes": "long"}, "duration_minutes"),
        ({"attendees": []}, "attendees"),
        ({"attendees": [999999]}, "attendees"),
        ({"attendees": "everyone"}, "attendees"),
        ({"projects": []}, "projects"),
        ({"projects": [999999]}, "projects"),
        ({"facilitator": None}, "facilitator"),
        ({"name": ["A"]}, "name"),
        ({"archived_at": "2026-03-02T08:00:00Z"}, "archived_at"),
        ({"agenda": {}}, "agenda"),
    ],
)
def test_bad_input_is_a_400_at_the_field_and_nothing_is_saved(cast, api, fields, field):
    assert_error(api.manager.post(SERIES, series_body(cast, **fields)), 400, "invalid", field)
    assert not StandupSeries.objects.exists()


def test_people_who_could_not_see_the_stand_up_are_refused(cast, api):
    stranger = UserFactory()
    for fields, field in (
        ({"facilitator": stranger.pk}, "facilitator"),
        ({"attendees": [cast.manager.pk, stranger.pk]}, "attendees"),
    ):
        assert_error(api.manager.post(SERIES, series_body(cast, **fields)), 400, "invalid", field)
    assert not StandupSeries.objects.exists()


def test_changing_a_series_needs_its_etag_and_the_right_to_run_it(cast, api):
    series = make_series(cast)
    url = f"{SERIES}{series.pk}/"
    assert_error(api.manager.patch(url, {"name": "Renamed"}), 428)
    for client in (api.contributor, api.viewer, api.read_only):
        assert_error(client.patch(url, {"name": "Renamed"}, if_match=1), 403)
    assert_error(api.outsider.patch(url, {"name": "Renamed"}, if_match=1), 404)
    # Only the attendees change: the projects stay as they were.
    response = api.manager.patch(url, {"attendees": [cast.manager.pk]}, if_match=1)
    assert response.status_code == 200, response.json()
    assert response.json()["projects"] == [cast.project.pk]
    assert response.json()["attendees"] == [cast.manager.pk] and response["ETag"] == '"2"'
    stale = assert_error(api.manager.patch(url, {"name": "Mine"}, if_match=1), 412, "stale")
    assert stale["current"]["attendees"] == [cast.manager.pk]
    moved = api.manager.patch(url, {"weekday": 6, "local_time": "02:30"}, if_match=2)
    assert_error(moved, 400, "invalid", "local_time")
    series.refresh_from_db()
    assert (series.name, series.version, series.weekday) == ("Atlas weekly", 2, 0)


def test_archiving_is_an_action_with_if_match(cast, api):
    series = make_series(cast)
    url = f"{SERIES}{series.pk}/"
    assert_error(api.manager.post(url + "archive/"), 428)
    assert_error(api.viewer.post(url + "archive/", if_match=1), 403)
    archived = api.manager.post(url + "archive/", if_match=1)
    assert archived.status_code == 200 and archived.json()["archived_at"] == "2026-03-02T08:00:00Z"
    assert api.manager.get(SERIES, {"archived": "true"}).json()["count"] == 1
    assert api.manager.get(SERIES, {"archived": "false"}).json()["count"] == 0
    restored = api.manager.post(url + "restore/", if_match=2)
    assert restored.json()["archived_at"] is None


# ── Meetings and their agendas ────────────────────────────────────────────────


@pytest.fixture
def two_projects(cast):
    """The cast's weekly stand-up also covers a second project the viewer is not on,
    with a launch in each within the agenda's horizon; the agenda is written."""
    other = ProjectFactory(owner=cast.manager, name="Borealis")
    MembershipFactory(project=other, user=cast.contributor)
    series = make_series(cast, projects=[cast.project, other])
    LaunchFactory(project=cast.project, name="Atlas live", go_live=NOW + dt.timedelta(days=3))
    LaunchFactory(project=other, name="Borealis live", go_live=NOW + dt.timedelta(days=4))
    meeting = services.upcoming_meeting(series=series, now=NOW)
    services.agenda_write(meeting=meeting, actor=cast.manager, force=True)
    return series, meeting, other


def test_a_meeting_shows_each_reader_the_agenda_of_the_projects_they_see(cast, api, two_projects):
    series, meeting, _ = two_projects
    url = f"/api/v1/standup-meetings/{meeting.pk}/"

    def launches(client) -> list[str]:
        response = client.get(url)
        assert response.status_code == 200, response.json()
        agenda = response.json()["agenda"]
        assert agenda["state"] == "ready" and agenda["revision"] == 1
        return [launch["name"] for launch in agenda["data"]["launches"]]

    assert launches(api.manager) == ["Atlas live", "Borealis live"]
    assert launches(api.viewer) == ["Atlas live"]
    assert "Borealis" not in api.viewer.get(url).content.decode()
    assert_error(api.outsider.get(url), 404, "not_found")
    listed = api.viewer.get("/api/v1/standup-meetings/", {"series": series.pk}).json()
    assert [m["id"] for m in listed["results"]] == [meeting.pk]
    assert "agenda" not in listed["results"][0]
    assert api.outsider.get("/api/v1/standup-meetings/").json()["count"] == 0
    for write in ("post", "put", "patch"):
        assert getattr(api.manager, write)(url, {}).status_code == 405
    assert api.manager.delete(url).status_code == 405


def test_a_meeting_without_an_agenda_yet_says_so(cast, api):
    series = make_series(cast)
    meeting = services.upcoming_meeting(series=series, now=NOW)
    data = api.viewer.get(f"/api/v1/standup-meetings/{meeting.pk}/").json()
    assert data["agenda"] is None and data["summary"] is None
    assert data["status"] == "scheduled" and data["series"] == series.pk


def test_action_items_and_the_summary_keep_other_projects_to_their_members(cast, api, two_projects):
    _, meeting, other = two_projects
    services.meeting_start(actor=cast.manager, meeting=meeting)
    mine = services.action_item_create(
        actor=cast.manager,
        meeting=meeting,
        title="Brief sales on Atlas",
        owner=cast.contributor,
        due_date=None,
        project=cast.project,
    )
    hidden = services.action_item_create(
        actor=cast.manager,
        meeting=meeting,
        title="Fix the Borealis FAQ",
        owner=cast.contributor,
        due_date=None,
        project=other,
    )
    services.meeting_end(actor=cast.manager, meeting=Meeting.objects.get(pk=meeting.pk))
    items = "/api/v1/standup-action-items/"
    assert [i["id"] for i in api.manager.get(items).json()["results"]] == [mine.pk, hidden.pk]
    seen = api.viewer.get(items, {"meeting": meeting.pk}).json()["results"]
    assert [(i["id"], i["state"], i["task"]) for i in seen] == [(mine.pk, "open", mine.task_id)]
    assert_error(api.viewer.get(f"{items}{hidden.pk}/"), 404, "not_found")
    assert api.contributor.get(f"{items}{hidden.pk}/").json()["title"] == "Fix the Borealis FAQ"
    assert_error(api.outsider.get(f"{items}{mine.pk}/"), 404)

    summary = api.viewer.get(f"/api/v1/standup-meetings/{meeting.pk}/").json()["summary"]
    assert "Brief sales on Atlas" in summary and "Borealis" not in summary
    full = api.manager.get(f"/api/v1/standup-meetings/{meeting.pk}/").json()["summary"]
    assert "Fix the Borealis FAQ" in full

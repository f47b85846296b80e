"""Defects a new user's walkthrough found in stand-ups: the duration's one rule, the first
agenda's window, who is offered as an action item's owner, who starts a team's stand-up."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from synchrony.accounts.models import Team
from synchrony.api.services import token_create
from synchrony.standups import services
from synchrony.standups.forms import SeriesForm
from synchrony.standups.models import StandupSeries
from tests.api.conftest import Api
from tests.conftest import client_for
from tests.factories import ProjectFactory, UserFactory
from tests.standups.conftest import make_series
from tests.standups.test_agenda import at
from tests.standups.test_views import series_form

OUT_OF_RANGE = "Ensure this value is greater than or equal to 5."


# ── 1. Duration: one rule, one message, the input's min says it ───────────────


@pytest.mark.parametrize("minutes", ["0", "-5", "4"])
def test_a_duration_below_five_minutes_gets_one_message_whatever_the_value(cast, minutes):
    client = client_for(cast.manager)
    data = series_form(
        projects=[cast.project.pk],
        facilitator=cast.manager.pk,
        attendees=[cast.manager.pk],
        local_time="09:30",
        duration_minutes=minutes,
    )
    response = client.post(reverse("standups:create"), data)
    assert response.status_code == 422
    assert response.context["form"].errors["duration_minutes"] == [OUT_OF_RANGE]
    assert not StandupSeries.objects.exists()


def test_the_duration_input_shows_the_rule_as_its_min_and_max(cast):
    widget = SeriesForm(user=cast.manager).fields["duration_minutes"].widget
    assert widget.attrs["min"] == 5 and widget.attrs["max"] == 240
    page = client_for(cast.manager).get(reverse("standups:create")).content.decode()
    assert 'name="duration_minutes"' in page and 'min="5"' in page and 'min="0"' not in page


def test_the_service_refuses_a_short_duration_on_an_update_too(cast):
    series = make_series(cast)
    with pytest.raises(ValidationError) as refused:
        services.series_update(
            actor=cast.manager,
            series=series,
            version=series.version,
            changes={"duration_minutes": 0},
            projects=[cast.project],
            attendees=[cast.manager],
        )
    assert refused.value.message_dict["duration_minutes"] == [OUT_OF_RANGE]


def test_the_api_says_the_same_for_zero_and_for_minus_five(cast):
    client = Api(token_create(actor=cast.manager, name="t")[1])
    for minutes in (0, -5):
        response = client.post(
            "/api/v1/standup-series/",
            {
                "name": "Atlas weekly",
                "projects": [cast.project.pk],
                "facilitator": cast.manager.pk,
                "attendees": [cast.manager.pk],
                "weekday": 0,
                "local_time": "09:30",
                "time_zone": "Europe/Berlin",
                "duration_minutes": minutes,
                "starts_on": "2026-03-02",
            },
        )
        assert response.status_code == 400, response.content
        assert response.json()["errors"]["duration_minutes"] == [OUT_OF_RANGE]


# ── 2. The first agenda says no stand-up came before ─────────────────────────────


def test_the_first_agenda_of_a_series_does_not_call_its_start_the_last_stand_up(cast):
    series = make_series(cast)  # Mondays from 2 March 2026
    with time_machine.travel(at(2026, 3, 1, 7, 0), tick=False):
        meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 2))
        agenda = services.agenda_write(meeting=meeting)
        page = client_for(cast.manager).get(reverse("standups:meeting", args=[meeting.pk]))
    assert agenda.data["first"] is True
    text = page.content.decode()
    assert "(the last stand-up)" not in text
    assert "the week before this first stand-up of the series, from Mon 23 Feb 09:00" in text


def test_a_later_agenda_still_covers_the_time_since_the_last_stand_up(cast):
    series = make_series(cast)
    with time_machine.travel(at(2026, 3, 8, 7, 0), tick=False):
        meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 9))
        agenda = services.agenda_write(meeting=meeting)
        page = client_for(cast.manager).get(reverse("standups:meeting", args=[meeting.pk]))
    assert agenda.data["first"] is False
    assert "Mon 2 Mar 09:00 (the last stand-up)" in page.content.decode()


# ── 6. Only people who can own an action item are offered ────────────────────────


def test_viewers_are_not_offered_as_owners_of_an_action_item(cast, running):
    page = client_for(cast.manager).get(reverse("standups:run", args=[running.pk]))
    owners = set(page.context["action_form"].fields["owner"].queryset)
    assert owners == {cast.manager, cast.contributor}
    assert cast.viewer not in owners


def test_a_team_stand_up_without_projects_offers_its_team(cast, frozen):
    team = Team.objects.get_or_create(name="Sales")[0]
    seller = UserFactory(username="seller")
    seller.teams.add(team)
    cast.manager.teams.add(team)
    series = make_series(cast, projects=[], team=team, attendees=[cast.manager, seller])
    meeting = services.meeting_open(series=series, local_date=dt.date(2026, 3, 30))
    services.meeting_start(actor=cast.manager, meeting=meeting)
    page = client_for(cast.manager).get(reverse("standups:run", args=[meeting.pk]))
    owners = set(page.context["action_form"].fields["owner"].queryset)
    assert seller in owners and cast.manager in owners
    assert cast.viewer not in owners


# ── 8. Viewers read along: they do not start stand-ups ────────────────────────────


@pytest.fixture
def sales(cast):
    team = Team.objects.get_or_create(name="Sales")[0]
    cast.viewer.teams.add(team)
    return team


def test_a_viewer_cannot_start_a_team_stand_up(cast, sales):
    client = client_for(cast.viewer)
    assert client.get(reverse("standups:create")).status_code == 403
    data = series_form(
        team=sales.pk, facilitator=cast.viewer.pk, attendees=[cast.viewer.pk], local_time="09:30"
    )
    assert client.post(reverse("standups:create"), data).status_code == 403
    assert "New stand-up" not in client.get(reverse("standups:list")).content.decode()
    with pytest.raises(ValidationError) as refused:
        services.series_create(
            actor=cast.viewer,
            name="Sales weekly",
            projects=[],
            team=sales,
            facilitator=cast.viewer,
            attendees=[cast.viewer],
            weekday=0,
            local_time=dt.time(9, 0),
            time_zone="Europe/Berlin",
            duration_minutes=15,
            starts_on=dt.date(2026, 3, 2),
        )
    assert "you cannot start a team's stand-up" in refused.value.message_dict["team"][0]
    assert not StandupSeries.objects.exists()


def test_a_contributor_in_the_team_still_starts_its_stand_up(cast, sales):
    cast.contributor.teams.add(sales)
    series = services.series_create(
        actor=cast.contributor,
        name="Sales weekly",
        projects=[],
        team=sales,
        facilitator=cast.contributor,
        attendees=[cast.contributor, cast.viewer],
        weekday=0,
        local_time=dt.time(9, 0),
        time_zone="Europe/Berlin",
        duration_minutes=15,
        starts_on=dt.date(2026, 3, 2),
    )
    assert series.team == sales


def test_a_viewer_on_one_project_who_manages_another_starts_stand_ups(cast, sales):
    ProjectFactory(owner=cast.viewer, name="Viewer's own")
    assert client_for(cast.viewer).get(reverse("standups:create")).status_code == 200

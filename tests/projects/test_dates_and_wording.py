"""Dates say their year when it is not this one, past-due open items say overdue, and
a team's request says it went to the team."""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from synchrony.projects import services
from synchrony.projects.models import RequestKind, RequestStatus, Stage
from synchrony.projects.templatetags.synchrony_tags import short_date
from tests.conftest import client_for
from tests.factories import TeamFactory, UserFactory

LONG_AGO = dt.date(2020, 1, 1)


def test_a_date_of_another_year_says_its_year():
    this_year = timezone.localdate().replace(month=3, day=4)
    assert short_date(this_year) == "4 Mar"
    assert short_date(LONG_AGO) == "1 Jan 2020"
    assert short_date(dt.date(2019, 5, 5), "D j M") == "Sun 5 May 2019"
    assert short_date(None) == ""


def test_a_past_due_sign_off_shows_its_year_and_is_marked_overdue(cast):
    sales = TeamFactory(name="Sales")
    seller = UserFactory()
    sales.members.add(seller)
    services.request_create(
        actor=cast.manager,
        project=cast.project,
        kind=RequestKind.SIGNOFF,
        title="Pricing",
        team=sales,
        due_date=LONG_AGO,
    )
    stage = reverse("projects:stage", args=[cast.project.pk, Stage.DEVELOPMENT])
    page = client_for(cast.manager).get(stage).content.decode()
    assert 'due 1 Jan 2020</span> <span class="pill overdue">overdue</span>' in page
    waiting = client_for(seller).get(reverse("projects:dashboard")).content.decode()
    assert 'due 1 Jan 2020</span> <span class="pill overdue">overdue</span>' in waiting


def test_an_answered_request_is_not_overdue(cast):
    request = services.request_create(
        actor=cast.manager,
        project=cast.project,
        kind=RequestKind.INPUT,
        title="Pipeline numbers",
        user=cast.viewer,
        due_date=LONG_AGO,
    )
    assert request.is_overdue
    request = services.request_answer(
        actor=cast.viewer,
        request=request,
        version=1,
        decision=RequestStatus.ANSWERED,
        response="40 deals",
    )
    assert not request.is_overdue


def test_the_stand_up_agenda_gives_an_old_due_date_its_year():
    task = {
        "title": "Past task",
        "url": "/",
        "project": "Atlas",
        "status": "todo",
        "status_label": "To do",
        "due_date": dt.date(2019, 5, 5),
    }
    html = render_to_string(
        "standups/includes/task.html", {"t": task, "section": {"kind": "person"}}
    )
    assert "due Sun 5 May 2019" in html


def test_waiting_for_me_says_the_request_went_to_the_team(cast):
    sales = TeamFactory(name="Sales")
    seller = UserFactory()
    sales.members.add(seller)
    services.request_create(
        actor=cast.manager, project=cast.project, kind=RequestKind.SIGNOFF, title="x", team=sales
    )
    page = client_for(seller).get(reverse("projects:dashboard")).content.decode()
    assert f"asked of Sales by {cast.manager}" in page
    assert "asked by" not in page

"""Refusals that say what to do: advancing without the override tick, answering a
sign-off without choosing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from synchrony.projects import services
from synchrony.projects.models import RequestKind, RequestStatus, Stage
from tests.conftest import client_for


def test_advancing_with_a_reason_but_no_tick_asks_for_the_tick(cast):
    with pytest.raises(ValidationError) as refused:
        services.project_move(
            actor=cast.manager,
            project=cast.project,
            to_stage=Stage.PLANNING,
            expected_stage=Stage.DEVELOPMENT,
            reason="The board wants it now.",
        )
    message = " ".join(refused.value.messages)
    assert "tick “Advance although exit criteria are missing”" in message
    assert "with a written reason" not in message
    page = client_for(cast.manager).post(
        reverse("projects:move", args=[cast.project.pk]),
        {
            "to_stage": Stage.PLANNING,
            "expected_stage": Stage.DEVELOPMENT,
            "reason": "The board wants it now.",
        },
    )
    assert page.status_code == 422
    assert "To advance anyway, tick" in page.content.decode()


def test_a_sign_off_answer_has_no_decision_chosen_for_it(cast):
    request = services.request_create(
        actor=cast.manager,
        project=cast.project,
        kind=RequestKind.SIGNOFF,
        title="Pricing",
        user=cast.viewer,
    )
    url = reverse("projects:request", args=[request.pk])
    client = client_for(cast.viewer)
    page = client.get(url).content.decode()
    assert 'name="decision" value="approved"' in page and "checked" not in page
    response = client.post(url, {"version": 1, "response": ""})
    assert response.status_code == 422
    assert "Choose sign off or request changes." in response.content.decode()
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING

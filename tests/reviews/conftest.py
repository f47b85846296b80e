from __future__ import annotations

import pytest

from synchrony.projects.models import Project, Stage
from synchrony.reviews import services
from synchrony.reviews.models import Participant, Retrospective


@pytest.fixture
def retro(cast) -> Retrospective:
    """The cast's project in Review, its retrospective facilitated by the manager, with
    the contributor taking part; the viewer follows without taking part."""
    Project.objects.filter(pk=cast.project.pk).update(stage=Stage.REVIEW)
    cast.project.refresh_from_db()
    return services.retrospective_start(
        actor=cast.manager,
        project=cast.project,
        facilitator=cast.manager,
        participants=[cast.contributor],
    )


def participant(retro: Retrospective, user) -> Participant:
    return Participant.objects.get(retrospective=retro, user=user)


def move(retro: Retrospective, actor, *phases: str) -> Retrospective:
    for phase in phases:
        retro = services.phase_move(
            actor=actor, retro=retro, to_phase=phase, expected_phase=retro.phase
        )
    return retro

"""The retrospective's "In figures" counts what went out, not what was planned."""

from __future__ import annotations

from django.urls import reverse

from synchrony.launches.models import ActivationState
from synchrony.reviews.selectors import facts_for
from tests.conftest import client_for
from tests.factories import ActivationFactory, ChannelFactory, LaunchFactory


def launch_facts(client, retro) -> str:
    page = client.get(reverse("reviews:retro", args=[retro.pk])).content.decode()
    line = page.split('data-testid="launch-facts">', 1)[1].split("</li>", 1)[0]
    return " ".join(line.split())


def test_planned_activations_are_not_counted_as_sends(cast, retro):
    launch = LaunchFactory(project=cast.project)
    for n in range(4):
        ActivationFactory(launch=launch, channel=ChannelFactory(name=f"Channel {n}"))
    facts = facts_for(cast.project)
    assert (facts.activations, facts.sent_activations, facts.failed_activations) == (4, 0, 0)
    line = launch_facts(client_for(cast.manager), retro)
    assert "nothing went out of 4 planned channel sends, 0 failed" in line
    assert "4 channel sends," not in line


def test_what_went_out_and_what_failed_are_counted(cast, retro):
    launch = LaunchFactory(project=cast.project)
    states = [
        ActivationState.DELIVERED,
        ActivationState.DONE,
        ActivationState.FAILED,
        ActivationState.UNKNOWN,
        ActivationState.CANCELLED,
    ]
    for n, state in enumerate(states):
        ActivationFactory(launch=launch, channel=ChannelFactory(name=f"C{n}"), state=state)
    facts = facts_for(cast.project)
    assert (facts.sent_activations, facts.failed_activations) == (2, 2)
    line = launch_facts(client_for(cast.manager), retro)
    assert "2 of 5 planned channel sends went out, 2 failed" in line


def test_a_project_without_launches_says_so(cast, retro):
    line = launch_facts(client_for(cast.manager), retro)
    assert "no channel sends planned" in line

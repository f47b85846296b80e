from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from synchrony.launches.models import Activation, Channel
from synchrony.projects.models import Goal, Project
from tests.factories import ActivationFactory, ChannelFactory, GoalFactory, LaunchFactory


@dataclass
class Perf:
    project: Project
    newsletter: Channel
    ads: Channel
    activation: Activation
    goal: Goal
    start: dt.date
    today: dt.date


@pytest.fixture
def perf(cast) -> Perf:
    """The cast's project, 30 days into a 60-day promotion, with two channels and a
    leads goal from 100 to 400 due at the promotion's end."""
    today = timezone.localdate()
    start = today - dt.timedelta(days=30)
    project = cast.project
    project.promotion_start = start
    project.promotion_end = today + dt.timedelta(days=30)
    project.stage = "performance"
    project.save()
    newsletter = ChannelFactory(name="Newsletter", owner=cast.manager)
    ads = ChannelFactory(name="Google Ads", owner=cast.manager)
    project.channels.set([newsletter, ads])
    launch = LaunchFactory(project=project, go_live=timezone.now() - dt.timedelta(days=29))
    activation = ActivationFactory(launch=launch, channel=newsletter)
    goal = GoalFactory(
        project=project,
        metric="Qualified leads",
        baseline=Decimal(100),
        target=Decimal(400),
        unit="leads",
        due_date=today + dt.timedelta(days=30),
    )
    return Perf(project, newsletter, ads, activation, goal, start, today)

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from synchrony.activity.models import ActivityEvent, Notification
from synchrony.activity.services import StaleEdit
from synchrony.projects import services
from synchrony.projects.models import Membership, RequestKind, RequestStatus, Role, Stage
from synchrony.projects.stages import exit_criteria
from tests.factories import (
    ActivationFactory,
    ChannelFactory,
    GoalFactory,
    LaunchFactory,
    TeamFactory,
    UserFactory,
)


def test_leaving_development_needs_a_goal_and_every_required_signoff(cast):
    project, manager = cast.project, cast.manager
    criteria = {c.label: c.met for c in exit_criteria(project)}
    assert criteria == {
        "At least one goal with a target and a date": False,
        "Every required sign-off given": True,
    }
    with pytest.raises(ValidationError, match="Exit criteria not met"):
        services.project_move(
            actor=manager,
            project=project,
            to_stage=Stage.PLANNING,
            expected_stage=Stage.DEVELOPMENT,
        )
    GoalFactory(project=project)
    request = services.request_create(
        actor=manager, project=project, kind=RequestKind.SIGNOFF, title="Pricing", user=cast.viewer
    )
    with pytest.raises(ValidationError, match="Every required sign-off given"):
        services.project_move(
            actor=manager,
            project=project,
            to_stage=Stage.PLANNING,
            expected_stage=Stage.DEVELOPMENT,
        )
    services.request_answer(
        actor=cast.viewer,
        request=request,
        version=request.version,
        decision=RequestStatus.APPROVED,
        response="",
    )
    transition = services.project_move(
        actor=manager, project=project, to_stage=Stage.PLANNING, expected_stage=Stage.DEVELOPMENT
    )
    project.refresh_from_db()
    assert project.stage == Stage.PLANNING
    assert (transition.from_stage, transition.to_stage, transition.actor) == (
        Stage.DEVELOPMENT,
        Stage.PLANNING,
        manager,
    )
    assert not transition.overridden


def test_override_needs_a_written_reason_and_is_recorded(cast):
    project = cast.project
    with pytest.raises(ValidationError) as error:
        services.project_move(
            actor=cast.manager,
            project=project,
            to_stage=Stage.PLANNING,
            expected_stage=Stage.DEVELOPMENT,
            override=True,
        )
    assert "reason" in error.value.message_dict
    transition = services.project_move(
        actor=cast.manager,
        project=project,
        to_stage=Stage.PLANNING,
        expected_stage=Stage.DEVELOPMENT,
        override=True,
        reason="Board asked us to start now.",
    )
    assert transition.overridden
    assert transition.missing == ["At least one goal with a target and a date"]
    event = ActivityEvent.objects.get(project=project, verb="advanced")
    assert event.changes["stage"] == {
        "label": "Stage",
        "before": "Development",
        "after": "Planning",
        "before_value": "development",
        "after_value": "planning",
    }
    assert event.message == "Board asked us to start now."


def test_moving_back_needs_a_reason(cast):
    project = cast.project
    services.project_move(
        actor=cast.manager,
        project=project,
        to_stage=Stage.PLANNING,
        expected_stage=Stage.DEVELOPMENT,
        override=True,
        reason="x",
    )
    with pytest.raises(ValidationError) as error:
        services.project_move(
            actor=cast.manager,
            project=project,
            to_stage=Stage.DEVELOPMENT,
            expected_stage=Stage.PLANNING,
        )
    assert "reason" in error.value.message_dict
    back = services.project_move(
        actor=cast.manager,
        project=project,
        to_stage=Stage.DEVELOPMENT,
        expected_stage=Stage.PLANNING,
        reason="Sales changed the pricing.",
    )
    assert not back.is_forward


def test_a_move_from_a_stale_page_is_refused(cast):
    project = cast.project
    services.project_move(
        actor=cast.manager,
        project=project,
        to_stage=Stage.PLANNING,
        expected_stage=Stage.DEVELOPMENT,
        override=True,
        reason="x",
    )
    with pytest.raises(ValidationError, match="already in Planning"):
        services.project_move(
            actor=cast.manager,
            project=project,
            to_stage=Stage.PLANNING,
            expected_stage=Stage.DEVELOPMENT,
            override=True,
            reason="again",
        )


def test_skipping_a_stage_is_refused(cast):
    with pytest.raises(ValidationError, match="one stage at a time"):
        services.project_move(
            actor=cast.manager,
            project=cast.project,
            to_stage=Stage.ACTIVATION,
            expected_stage=Stage.DEVELOPMENT,
            override=True,
            reason="x",
        )


def test_a_team_signoff_adds_its_members_as_viewers_and_notifies_them(cast):
    sales = TeamFactory(name="Sales")
    seller, other = UserFactory(), UserFactory()
    sales.members.add(seller, other)
    request = services.request_create(
        actor=cast.manager,
        project=cast.project,
        kind=RequestKind.SIGNOFF,
        title="Pricing sign-off",
        team=sales,
    )
    roles = dict(
        Membership.objects.filter(project=cast.project).values_list("user__username", "role")
    )
    assert roles[seller.username] == Role.VIEWER
    assert roles[other.username] == Role.VIEWER
    assert set(
        Notification.objects.filter(kind="signoff_requested").values_list("recipient", flat=True)
    ) == {
        seller.pk,
        other.pk,
    }
    assert request.is_addressed_to(seller)
    assert not request.is_addressed_to(cast.contributor)


def test_a_signoff_asks_one_person_or_one_team(cast):
    with pytest.raises(ValidationError):
        services.request_create(
            actor=cast.manager,
            project=cast.project,
            kind=RequestKind.SIGNOFF,
            title="x",
            user=cast.viewer,
            team=TeamFactory(),
        )
    with pytest.raises(ValidationError):
        services.request_create(
            actor=cast.manager,
            project=cast.project,
            kind=RequestKind.SIGNOFF,
            title="x",
        )


def test_requesting_changes_needs_words(cast):
    request = services.request_create(
        actor=cast.manager,
        project=cast.project,
        kind=RequestKind.SIGNOFF,
        title="x",
        user=cast.viewer,
    )
    with pytest.raises(ValidationError) as error:
        services.request_answer(
            actor=cast.viewer,
            request=request,
            version=1,
            decision=RequestStatus.CHANGES_REQUESTED,
            response="  ",
        )
    assert "response" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.request_answer(
            actor=cast.viewer,
            request=request,
            version=1,
            decision=RequestStatus.ANSWERED,
            response="x",
        )


def test_a_project_keeps_at_least_one_manager_and_its_owner(cast):
    owner_membership = Membership.objects.get(project=cast.project, user=cast.manager)
    with pytest.raises(ValidationError, match="owns the project"):
        services.member_set(
            actor=cast.manager, project=cast.project, user=cast.manager, role=Role.VIEWER
        )
    with pytest.raises(ValidationError, match="owns the project"):
        services.member_remove(
            actor=cast.manager, project=cast.project, membership=owner_membership
        )
    services.member_set(
        actor=cast.manager, project=cast.project, user=cast.contributor, role=Role.MANAGER
    )
    services.member_set(
        actor=cast.manager, project=cast.project, user=cast.contributor, role=Role.VIEWER
    )


def test_a_stale_goal_edit_is_refused_naming_who_changed_what(cast):
    goal = GoalFactory(project=cast.project, metric="Leads")
    services.goal_update(
        actor=cast.manager, goal=goal, version=1, changes={"metric": "Qualified leads"}
    )
    with pytest.raises(StaleEdit) as error:
        services.goal_update(actor=cast.manager, goal=goal, version=1, changes={"unit": "MQL"})
    message = error.value.message
    assert str(cast.manager) in message
    assert "Metric: Leads → Qualified leads" in message
    goal.refresh_from_db()
    assert (goal.metric, goal.unit, goal.version) == ("Qualified leads", "leads", 2)


def test_project_dates_out_of_order_are_refused(cast):
    import datetime as dt

    with pytest.raises(ValidationError) as error:
        services.project_create(
            actor=cast.manager,
            name="X",
            promotion_start=dt.date(2026, 12, 10),
            promotion_end=dt.date(2026, 12, 1),
        )
    assert "promotion_end" in error.value.message_dict


def test_changing_the_total_budget_withdraws_the_approval(cast):
    from django.utils import timezone

    project = cast.project
    project.budget_approved_at = timezone.now()
    project.save()
    services.project_update(
        actor=cast.manager, project=project, version=1, changes={"budget": 5000}
    )
    project.refresh_from_db()
    assert project.budget_approved_at is None


def test_stage_deadlines_must_be_in_stage_order(cast):
    import datetime as dt

    with pytest.raises(ValidationError) as error:
        services.project_create(
            actor=cast.manager,
            name="X",
            development_due=dt.date(2026, 12, 10),
            activation_due=dt.date(2026, 12, 1),
        )
    assert error.value.message_dict["activation_due"] == [
        "Activation cannot end before Development (10 Dec 2026)."
    ]


def test_a_channel_stays_with_the_project_while_a_launch_still_to_go_out_uses_it(cast):
    import datetime as dt

    from synchrony.launches.models import LaunchStatus

    project = cast.project
    email = ChannelFactory(name="Email", projects=[project])
    press = ChannelFactory(name="Press", projects=[project])
    upcoming = LaunchFactory(project=project, name="Atlas GA", local_date=dt.date(2026, 4, 1))
    ActivationFactory(launch=upcoming, channel=email)
    ActivationFactory(
        launch=LaunchFactory(project=project, status=LaunchStatus.LAUNCHED), channel=press
    )

    with pytest.raises(ValidationError) as refused:
        services.project_update(
            actor=cast.manager, project=project, version=1, changes={}, channels=[press]
        )
    assert refused.value.message_dict == {
        "channels": [
            "Email goes out with the launch “Atlas GA” on 1 Apr 2026: take it off "
            "that launch first."
        ]
    }
    assert set(project.channels.all()) == {email, press}
    # A launched launch keeps its channel in its history; the project may let it go.
    services.project_update(
        actor=cast.manager, project=project, version=1, changes={}, channels=[email]
    )
    assert list(project.channels.all()) == [email]

"""The retrospective's rules: phases, anonymous items, votes, grouping, follow-up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from synchrony.activity.models import ActivityEvent, Notification
from synchrony.planning.models import Task
from synchrony.projects import services as projects
from synchrony.projects.models import Membership, Project, Role, Stage
from synchrony.projects.stages import missing_criteria
from synchrony.reviews import services
from synchrony.reviews.models import Item, ItemGroup, Lesson, LessonApplication, Vote
from synchrony.reviews.outcomes import goal_outcome
from synchrony.reviews.selectors import board_for, suggestions_for
from tests.factories import (
    ChannelFactory,
    GoalFactory,
    LaunchFactory,
    LessonFactory,
    ProjectFactory,
    UserFactory,
)
from tests.reviews.conftest import move, participant


def test_starting_invites_the_facilitator_and_participants(cast, retro):
    people = set(retro.participants.values_list("user__username", flat=True))
    assert people == {"manager", "contributor"}
    assert Notification.objects.filter(recipient=cast.contributor, url=retro.get_absolute_url())
    assert ActivityEvent.objects.filter(project=cast.project, verb="started").exists()


def test_the_project_retrospective_starts_in_review_only_and_once(cast, retro):
    with pytest.raises(ValidationError, match="already has its retrospective"):
        services.retrospective_start(
            actor=cast.manager, project=cast.project, facilitator=cast.manager, participants=[]
        )
    other = ProjectFactory(owner=cast.manager)
    with pytest.raises(ValidationError, match="when it enters Review"):
        services.retrospective_start(
            actor=cast.manager, project=other, facilitator=cast.manager, participants=[]
        )


def test_a_launch_that_went_out_has_its_own_retrospective(cast):
    launch = LaunchFactory(project=cast.project, status="partly_launched")
    retro = services.retrospective_start(
        actor=cast.manager,
        project=cast.project,
        facilitator=cast.manager,
        participants=[],
        launch=launch,
    )
    assert retro.launch == launch
    pending = LaunchFactory(project=cast.project)
    with pytest.raises(ValidationError, match="once it went out"):
        services.retrospective_start(
            actor=cast.manager,
            project=cast.project,
            facilitator=cast.manager,
            participants=[],
            launch=pending,
        )


def test_only_project_members_take_part(cast):
    Project.objects.filter(pk=cast.project.pk).update(stage=Stage.REVIEW)
    cast.project.refresh_from_db()
    with pytest.raises(ValidationError, match="Not on the project"):
        services.retrospective_start(
            actor=cast.manager,
            project=cast.project,
            facilitator=cast.manager,
            participants=[cast.outsider],
        )


def test_an_anonymous_item_stores_no_author_and_leaves_no_trace(cast, retro):
    events, notes = ActivityEvent.objects.count(), Notification.objects.count()
    item = services.item_add(
        participant=participant(retro, cast.contributor),
        retro=retro,
        prompt="needs_work",
        text="The sales briefing came after the press release",
        anonymous=True,
    )
    item.refresh_from_db()
    assert item.author_id is None and item.is_anonymous
    # No event, no notification: nothing timestamped to line up with who was active.
    assert (ActivityEvent.objects.count(), Notification.objects.count()) == (events, notes)
    # And the database refuses an author on an anonymous item outright.
    with pytest.raises(IntegrityError), transaction.atomic():
        Item.objects.filter(pk=item.pk).update(author=cast.contributor)


def test_the_board_hides_everyone_elses_items_until_it_is_revealed(cast, retro):
    mine = services.item_add(
        participant=participant(retro, cast.contributor),
        retro=retro,
        prompt="worked",
        text="Launch checklist",
        anonymous=False,
    )
    theirs = services.item_add(
        participant=participant(retro, cast.manager),
        retro=retro,
        prompt="worked",
        text="Early webinar invites",
        anonymous=True,
    )
    board = board_for(retro, cast.contributor)
    assert list(board.cards) == [mine.card_key] and board.total_items == 2
    # The anonymous author recognises their item only through their browser's proof.
    assert list(board_for(retro, cast.manager).cards) == []
    proof = frozenset({str(theirs.pk)})
    assert list(board_for(retro, cast.manager, anonymous_ids=proof).cards) == [theirs.card_key]
    retro = move(retro, cast.manager, "group")
    revealed = board_for(retro, cast.viewer, anonymous_ids=proof)
    assert set(revealed.cards) == {mine.card_key, theirs.card_key}
    assert not any(card.mine for card in revealed.cards.values())


def test_an_empty_board_cannot_be_revealed(cast, retro):
    with pytest.raises(ValidationError, match="The board is empty"):
        move(retro, cast.manager, "group")


def test_phases_move_one_at_a_time_and_refuse_a_stale_move(cast, retro):
    services.item_add(
        participant=participant(retro, cast.manager),
        retro=retro,
        prompt="worked",
        text="x",
        anonymous=False,
    )
    with pytest.raises(ValidationError, match="one phase at a time"):
        services.phase_move(
            actor=cast.manager, retro=retro, to_phase="vote", expected_phase="write"
        )
    move(retro, cast.manager, "group")
    with pytest.raises(ValidationError, match="already in the Group phase"):
        services.phase_move(
            actor=cast.manager, retro=retro, to_phase="group", expected_phase="write"
        )


def test_writing_is_closed_after_the_reveal(cast, retro):
    p = participant(retro, cast.contributor)
    services.item_add(participant=p, retro=retro, prompt="worked", text="x", anonymous=False)
    retro = move(retro, cast.manager, "group")
    with pytest.raises(ValidationError, match="Writing is closed"):
        services.item_add(participant=p, retro=retro, prompt="worked", text="y", anonymous=False)


def test_a_blaming_item_needs_a_second_look_but_is_never_blocked(cast, retro):
    p = participant(retro, cast.contributor)
    name = cast.manager.first_name
    with pytest.raises(ValidationError, match="may read as blaming a person"):
        services.item_add(
            participant=p, retro=retro, prompt="needs_work", text=f"{name} forgot", anonymous=False
        )
    item = services.item_add(
        participant=p,
        retro=retro,
        prompt="needs_work",
        text=f"{name} forgot",
        anonymous=False,
        confirmed=True,
    )
    assert item.text == f"{name} forgot"


def _revealed_with_cards(cast, retro):
    p = participant(retro, cast.contributor)
    a = services.item_add(participant=p, retro=retro, prompt="worked", text="A", anonymous=False)
    b = services.item_add(participant=p, retro=retro, prompt="worked", text="B", anonymous=True)
    c = services.item_add(participant=p, retro=retro, prompt="needs_work", text="C", anonymous=0)
    return move(retro, cast.manager, "group"), a, b, c


def test_grouping_similar_items_of_one_prompt(cast, retro):
    retro, a, b, c = _revealed_with_cards(cast, retro)
    a.retrospective = b.retrospective = c.retrospective = retro
    group = services.item_group(actor=cast.manager, item=b, with_item=a)
    assert set(group.items.values_list("text", flat=True)) == {"A", "B"}
    assert group.title == "A"
    with pytest.raises(ValidationError, match="within one prompt"):
        services.item_group(actor=cast.manager, item=c, group=group)
    a.refresh_from_db()
    a.retrospective = retro
    services.item_ungroup(actor=cast.manager, item=a)
    # A group of one is no group.
    assert not ItemGroup.objects.exists()
    assert Item.objects.filter(group__isnull=False).count() == 0


def test_votes_stop_at_the_limit_with_a_clear_message(cast, retro):
    retro, a, b, c = _revealed_with_cards(cast, retro)
    retro = move(retro, cast.manager, "vote")
    p = participant(retro, cast.contributor)
    assert services.vote_cast(participant=p, retro=retro, item=a, group=None) == 2
    assert services.vote_cast(participant=p, retro=retro, item=a, group=None) == 1
    assert services.vote_cast(participant=p, retro=retro, item=c, group=None) == 0
    with pytest.raises(ValidationError, match="You have used all 3 of your votes"):
        services.vote_cast(participant=p, retro=retro, item=b, group=None)
    assert services.vote_withdraw(participant=p, retro=retro, item=a, group=None) == 1
    with pytest.raises(ValidationError, match="no vote on that card"):
        services.vote_withdraw(participant=p, retro=retro, item=b, group=None)
    assert Vote.objects.count() == 2
    # Totals stay hidden while voting; each person sees their own.
    board = board_for(retro, cast.contributor)
    assert board.votes_left == 1 and not board.show_totals
    assert board.cards[a.card_key].my_votes == 1


def test_votes_only_while_voting(cast, retro):
    retro, a, *_ = _revealed_with_cards(cast, retro)
    with pytest.raises(ValidationError, match="Voting is not open"):
        services.vote_cast(
            participant=participant(retro, cast.contributor), retro=retro, item=a, group=None
        )


def test_the_vote_limit_cannot_drop_below_what_someone_used(cast, retro):
    retro, a, _b, _c = _revealed_with_cards(cast, retro)
    retro = move(retro, cast.manager, "vote")
    p = participant(retro, cast.contributor)
    for _ in range(3):
        services.vote_cast(participant=p, retro=retro, item=a, group=None)
    with pytest.raises(ValidationError, match="already used 3 votes"):
        services.retrospective_update(
            actor=cast.manager, retro=retro, version=retro.version, changes={"votes_per_person": 2}
        )


def test_a_participant_removed_mid_review_keeps_their_items_and_votes(cast, retro):
    retro, _a, _b, c = _revealed_with_cards(cast, retro)
    retro = move(retro, cast.manager, "vote")
    p = participant(retro, cast.contributor)
    services.vote_cast(participant=p, retro=retro, item=c, group=None)
    services.participant_remove(actor=cast.manager, retro=retro, participant=p)
    p.refresh_from_db()
    assert p.removed_at is not None
    assert Item.objects.count() == 3 and Vote.objects.count() == 1
    with pytest.raises(ValidationError, match="Choose another facilitator"):
        services.participant_remove(
            actor=cast.manager, retro=retro, participant=participant(retro, cast.manager)
        )
    # Invited again, they are back with what they had.
    services.participant_add(actor=cast.manager, retro=retro, user=cast.contributor)
    p.refresh_from_db()
    assert p.removed_at is None


def test_an_action_item_becomes_a_task_in_the_project_of_choice(cast, retro):
    retro, a, *_ = _revealed_with_cards(cast, retro)
    retro = move(retro, cast.manager, "vote", "discuss")
    with pytest.raises(ValidationError, match="is not a manager or contributor"):
        services.action_create(
            actor=cast.manager,
            retro=retro,
            title="Preflight the in-app webhook",
            project=cast.project,
            owner=cast.viewer,
        )
    next_project = ProjectFactory(owner=cast.manager, name="Next")
    action = services.action_create(
        actor=cast.manager,
        retro=retro,
        title="Preflight the in-app webhook",
        project=next_project,
        owner=cast.manager,
        due_date=dt.date(2030, 1, 10),
        item=a,
    )
    task = Task.objects.get(pk=action.task_id)
    assert (task.project, task.stage, task.owner) == (next_project, "development", cast.manager)
    assert "Action item from the retrospective of Atlas launch: “A”" in task.description
    # Someone who cannot add tasks to a project cannot send an action item there.
    with pytest.raises(Exception, match="No such project"):
        services.action_create(actor=cast.contributor, retro=retro, title="x", project=next_project)


def test_did_we_move_toward_the_goal_comes_from_the_figures(cast, retro):
    up = GoalFactory(project=cast.project, baseline=Decimal(100), target=Decimal(300))
    down = GoalFactory(project=cast.project, metric="Churn", baseline=Decimal(8), target=Decimal(5))
    assert goal_outcome(up, None).verdict == "unknown"
    reading = services.reading_save(
        actor=cast.contributor,
        retro=retro,
        goal=up,
        version=None,
        final_value=Decimal(250),
        reading="The webinar drove most of it.",
    )
    outcome = goal_outcome(up, reading)
    assert (outcome.verdict, outcome.percent, outcome.source) == (
        "toward",
        75,
        "recorded by the team",
    )
    reading = services.reading_save(
        actor=cast.contributor,
        retro=retro,
        goal=down,
        version=None,
        final_value=Decimal(4),
        reading="",
    )
    assert goal_outcome(down, reading).verdict == "reached"
    reading = services.reading_save(
        actor=cast.contributor,
        retro=retro,
        goal=down,
        version=reading.version,
        final_value=Decimal(9),
        reading="",
    )
    assert goal_outcome(down, reading).verdict == "away"


def test_closing_needs_the_retrospective_finished(cast, retro):
    [criterion] = [c for c in missing_criteria(cast.project) if "retrospective" in c.label]
    assert "Write phase" in criterion.missing
    retro, *_ = _revealed_with_cards(cast, retro)
    move(retro, cast.manager, "vote", "discuss", "done")
    assert not missing_criteria(cast.project)
    projects.project_move(
        actor=cast.manager, project=cast.project, to_stage="closed", expected_stage="review"
    )


def test_a_published_lesson_is_suggested_to_projects_with_its_channels(cast, retro):
    newsletter, press = ChannelFactory(name="Newsletter"), ChannelFactory(name="Press")
    retro, a, *_ = _revealed_with_cards(cast, retro)
    lesson = services.lesson_create(
        actor=cast.contributor,
        retro=retro,
        channels=[newsletter],
        item=a,
        title="Brief sales before the newsletter",
        do_differently="Sales briefing is a readiness gate, two days before go-live.",
        stage="activation",
        kind="campaign",
    )
    later = ProjectFactory(owner=cast.manager)
    later.channels.set([newsletter, press])
    assert suggestions_for(later) == ([], 0)  # a draft is not suggested
    services.lesson_publish(actor=cast.manager, lesson=lesson, version=lesson.version)
    [suggestion], total = suggestions_for(later)
    assert suggestion.lesson == lesson and suggestion.shared_channels == [newsletter]
    assert total == 1
    assert suggestions_for(cast.project) == ([], 0)  # not to its own project
    unrelated = ProjectFactory(owner=cast.manager)
    unrelated.channels.set([press])
    assert suggestions_for(unrelated) == ([], 0)


def test_marking_a_lesson_applied_shows_in_the_next_retrospective(cast):
    lesson = LessonFactory()
    services.lesson_answer(
        actor=cast.contributor,
        project=cast.project,
        lesson=lesson,
        status="applied",
        note="Gate added to every launch",
    )
    application = LessonApplication.objects.get()
    assert (application.project, application.status) == (cast.project, "applied")
    with pytest.raises(ValidationError, match="its own lessons"):
        services.lesson_answer(
            actor=cast.manager, project=lesson.project, lesson=lesson, status="applied"
        )
    from synchrony.reviews.selectors import applied_lessons

    assert applied_lessons(cast.project) == [application]
    services.application_outcome(
        actor=cast.manager, application=application, outcome="helped", note="No surprises"
    )
    application.refresh_from_db()
    assert application.outcome == "helped"


def test_a_published_lesson_cannot_be_deleted_before_it_is_withdrawn(cast, retro):
    lesson = LessonFactory(retrospective=retro)
    with pytest.raises(ValidationError, match="Withdraw the lesson"):
        services.lesson_delete(actor=cast.manager, lesson=lesson)
    lesson = services.lesson_unpublish(actor=cast.manager, lesson=lesson, version=lesson.version)
    services.lesson_delete(actor=cast.manager, lesson=lesson)
    assert not Lesson.objects.exists()


def test_a_report_link_works_until_it_is_revoked(cast):
    cast.project.user_role = Role.MANAGER
    link, token = services.report_link_create(actor=cast.manager, project=cast.project)
    assert services.report_link_by_token(token) == link
    assert link.token_hash != token and token not in link.token_hash
    services.report_link_revoke(actor=cast.manager, link=link)
    assert services.report_link_by_token(token) is None
    assert services.report_link_by_token("x" * 43) is None


def test_the_facilitator_must_be_on_the_project(cast, retro):
    stranger = UserFactory()
    with pytest.raises(ValidationError, match="is not on the project"):
        services.retrospective_update(
            actor=cast.manager,
            retro=retro,
            version=retro.version,
            changes={"facilitator": stranger},
        )
    Membership.objects.create(project=cast.project, user=stranger, role=Role.VIEWER)
    retro = services.retrospective_update(
        actor=cast.manager, retro=retro, version=retro.version, changes={"facilitator": stranger}
    )
    assert participant(retro, stranger).is_active


def test_a_figure_measured_by_performance_reporting_comes_first(cast, retro):
    from django.utils import timezone

    from synchrony.performance.models import GoalTracking
    from synchrony.reviews.selectors import outcomes_for

    goal = GoalFactory(project=cast.project, baseline=Decimal(82), target=Decimal(88), unit="%")
    services.reading_save(
        actor=cast.manager,
        retro=retro,
        goal=goal,
        version=None,
        final_value=Decimal(85),
        reading="Our estimate",
    )
    [outcome] = outcomes_for(cast.project, retro)
    assert (outcome.final, outcome.source) == (Decimal(85), "recorded by the team")
    GoalTracking.objects.create(
        goal=goal, metric="renewal_rate", actual=Decimal("86.5"), evaluated_at=timezone.now()
    )
    [outcome] = outcomes_for(cast.project, retro)
    assert outcome.final == Decimal("86.50")
    assert outcome.source.startswith("measured by Performance reporting")
    assert outcome.recorded_too == Decimal(85)
    assert (outcome.verdict, outcome.percent) == ("toward", 75)


def test_the_embedded_search_reads_phrases_and_exclusions(cast, monkeypatch):
    from django.db import connection

    from synchrony.reviews.selectors import search_lessons, words_of

    assert words_of('"sales briefing" -press OR webhook AND - ((') == [
        (False, "sales briefing"),
        (True, "press"),
        (False, "webhook"),
    ]
    LessonFactory(title="Brief sales early", do_differently="A sales briefing gate.")
    LessonFactory(title="Press kit", do_differently="Sales briefing before the press.")
    monkeypatch.setattr(connection, "vendor", "sqlite")
    titles = [x.title for x in search_lessons(cast.manager, query='"sales briefing" -press')]
    assert titles == ["Brief sales early"]
    assert len(search_lessons(cast.manager, query="OR")) == 2

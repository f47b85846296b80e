"""Writes of the Review stage: retrospectives, their board, lessons, report links.

Each function is one use-case, validated and in a transaction; the callers (views) have
fetched the objects through the selectors, which check who may do what. Changes are
recorded in the project's history and pushed to open pages after commit, with one
deliberate exception: nothing about a board item is recorded or attributed, because an
anonymous item must leave no trace of its author (see models.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from synchrony.activity.live import publish_change
from synchrony.activity.models import NotificationKind
from synchrony.activity.services import field_change, notify, record_event, update_versioned
from synchrony.launches.models import FINAL_STATUSES
from synchrony.lib.tokens import hash_token, new_token
from synchrony.projects.models import WORK_STAGES, Membership, Project, Role, Stage
from synchrony.projects.selectors import Need, get_project_for_user
from synchrony.reviews.blame import BlameFlag, check_blame, names_to_check
from synchrony.reviews.models import (
    MAX_ITEMS,
    PHASE_ORDER,
    ActionItem,
    ApplicationStatus,
    GoalReading,
    Item,
    ItemGroup,
    Lesson,
    LessonApplication,
    LessonStatus,
    Outcome,
    Participant,
    Phase,
    Prompt,
    ReportLink,
    Retrospective,
    TimelineNote,
    Vote,
)

if TYPE_CHECKING:
    from synchrony.accounts.models import User
    from synchrony.launches.models import Channel, Launch
    from synchrony.planning.models import Task
    from synchrony.projects.models import Goal


LIVE_KIND = "retrospective"


def _changed(retro: Retrospective, actor: User | None) -> None:
    """Tell open pages of the retrospective to refresh. Board changes pass no actor, so
    the live cue never says who just wrote something."""
    publish_change(kind=LIVE_KIND, obj_id=retro.pk, project_id=retro.project_id, actor=actor)


def _active_participants(retro: Retrospective) -> list[User]:
    return [
        p.user for p in retro.participants.filter(removed_at__isnull=True).select_related("user")
    ]


# Retrospectives ------------------------------------------------------------------------


def retrospective_start(
    *,
    actor: User,
    project: Project,
    facilitator: User,
    participants: Iterable[User],
    votes_per_person: int = 3,
    launch: Launch | None = None,
) -> Retrospective:
    """Start the project's retrospective (in Review), or one for a launch that went out.

    The facilitator always takes part; everyone invited must be on the project.
    """
    if project.is_closed:
        raise ValidationError("The project is closed; reopen it to hold a retrospective.")
    if launch is None and project.stage != Stage.REVIEW:
        raise ValidationError(
            "The project's retrospective starts when it enters Review; "
            "a launch that already went out can have its own at any time."
        )
    if launch is not None:
        if launch.project_id != project.pk:
            raise ValidationError({"launch": "That launch belongs to another project."})
        if launch.status not in FINAL_STATUSES:
            raise ValidationError(
                {"launch": "A launch's retrospective is held once it went out or was called off."}
            )
    members = set(project.memberships.values_list("user_id", flat=True))
    people = {u.pk: u for u in participants}
    people[facilitator.pk] = facilitator
    if facilitator.pk not in members:
        raise ValidationError({"facilitator": f"{facilitator} is not on the project."})
    strangers = [str(u) for u in people.values() if u.pk not in members]
    if strangers:
        raise ValidationError(
            {"participants": f"Not on the project: {', '.join(sorted(strangers))}."}
        )
    retro = Retrospective(
        project=project,
        launch=launch,
        facilitator=facilitator,
        votes_per_person=votes_per_person,
        created_by=actor,
    )
    retro.full_clean(validate_constraints=False)
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        exists = Retrospective.objects.filter(project=project)
        exists = exists.filter(launch=launch) if launch else exists.filter(launch__isnull=True)
        if exists.exists():
            raise ValidationError(
                "This launch already has its retrospective."
                if launch
                else "The project already has its retrospective."
            )
        retro.save()
        Participant.objects.bulk_create(
            [Participant(retrospective=retro, user=u) for u in people.values()]
        )
        record_event(actor=actor, project=project, verb="started", target=retro)
        notify(
            recipients=people.values(),
            kind=NotificationKind.STAGE_CHANGED,  # the retrospective is the Review stage's practice
            title=f"You are invited to the {str(retro)[0].lower()}{str(retro)[1:]}",
            body=f"Facilitated by {facilitator}. Write what worked and what needs work; "
            "you may write anonymously.",
            url=retro.get_absolute_url(),
            project=project,
            actor=actor,
        )
        _changed(retro, actor)
    return retro


def retrospective_update(
    *, actor: User, retro: Retrospective, version: int, changes: dict[str, Any]
) -> Retrospective:
    facilitator = changes.get("facilitator")
    if (
        facilitator is not None
        and not Membership.objects.filter(project=retro.project_id, user=facilitator).exists()
    ):
        raise ValidationError({"facilitator": f"{facilitator} is not on the project."})
    limit = changes.get("votes_per_person")
    if limit is not None and limit < retro.votes_per_person:
        most = max(
            (p.used for p in retro.participants.annotate(used=Count("votes")).only("id")),
            default=0,
        )
        if most > limit:
            raise ValidationError(
                {
                    "votes_per_person": f"Someone has already used {most} votes; the limit "
                    f"cannot go below that. Ask people to take votes back first."
                }
            )
    with transaction.atomic():
        updated, diff = update_versioned(
            actor=actor, project=retro.project, instance=retro, version=version, changes=changes
        )
        if facilitator is not None and "facilitator" in diff:
            Participant.objects.get_or_create(retrospective=retro, user=facilitator)
            Participant.objects.filter(retrospective=retro, user=facilitator).update(
                removed_at=None
            )
        _changed(retro, actor)
    updated.project = retro.project
    return updated


def participant_add(*, actor: User, retro: Retrospective, user: User) -> Participant:
    if not Membership.objects.filter(project=retro.project_id, user=user).exists():
        raise ValidationError({"user": f"{user} is not on the project; add them there first."})
    with transaction.atomic():
        participant, created = Participant.objects.get_or_create(retrospective=retro, user=user)
        if not created and participant.is_active:
            raise ValidationError({"user": f"{user} already takes part."})
        if not created:
            participant.removed_at = None
            participant.save(update_fields=["removed_at"])
        record_event(
            actor=actor, project=retro.project, verb="invited", target=retro, message=str(user)
        )
        notify(
            recipients=[user],
            kind=NotificationKind.STAGE_CHANGED,
            title=f"You are invited to the {str(retro)[0].lower()}{str(retro)[1:]}",
            url=retro.get_absolute_url(),
            project=retro.project,
            actor=actor,
        )
        _changed(retro, actor)
    return participant


def participant_remove(*, actor: User, retro: Retrospective, participant: Participant) -> None:
    """Someone leaves the retrospective mid-review. What they wrote and their votes stay:
    they were given in good faith. They can no longer write or vote."""
    if participant.user_id == retro.facilitator_id:
        raise ValidationError("Choose another facilitator before removing this one.")
    if not participant.is_active:
        raise ValidationError(f"{participant.user} no longer takes part.")
    with transaction.atomic():
        Participant.objects.filter(pk=participant.pk).update(removed_at=timezone.now())
        record_event(
            actor=actor,
            project=retro.project,
            verb="removed a participant from",
            target=retro,
            message=str(participant.user),
        )
        _changed(retro, actor)


def phase_move(
    *, actor: User, retro: Retrospective, to_phase: str, expected_phase: str
) -> Retrospective:
    """Reveal the next phase of the board, or go back one."""
    if to_phase not in PHASE_ORDER:
        raise ValidationError("No such phase.")
    with transaction.atomic():
        locked = Retrospective.objects.select_for_update().get(pk=retro.pk)
        if locked.phase != expected_phase:
            raise ValidationError(
                f"The board is already in the {Phase(locked.phase).label} phase; "
                "reload to see what changed."
            )
        forward = to_phase == locked.next_phase
        if not forward and to_phase != locked.previous_phase:
            raise ValidationError("The board moves one phase at a time.")
        if forward and locked.phase == Phase.WRITE and not locked.items.exists():
            raise ValidationError(
                "The board is empty: there is nothing to reveal yet. "
                "Ask the participants to write what worked and what needs work."
            )
        before = locked.phase
        locked.phase = to_phase
        locked.finished_at = timezone.now() if to_phase == Phase.DONE else None
        locked.version += 1
        locked.save(update_fields=["phase", "finished_at", "version", "updated_at"])
        record_event(
            actor=actor,
            project=retro.project,
            verb="moved the board of" if not forward else "revealed the next phase of",
            target=locked,
            changes={"phase": field_change(locked, "phase", before, to_phase)},
        )
        if forward and to_phase in (Phase.GROUP, Phase.VOTE):
            news: dict[str, str] = {
                Phase.GROUP: "The board is revealed",
                Phase.VOTE: f"Voting is open: you have {locked.votes_per_person} votes",
            }
            text = news[to_phase]
            notify(
                recipients=_active_participants(locked),
                kind=NotificationKind.STAGE_CHANGED,
                title=f"{text} — {locked}",
                url=locked.get_absolute_url(),
                project=retro.project,
                actor=actor,
            )
        _changed(retro, actor)
    locked.project = retro.project
    return locked


# The board -----------------------------------------------------------------------------


def blame_flags(retro: Retrospective, text: str) -> list[BlameFlag]:
    people = [m.user for m in retro.project.memberships.select_related("user")]
    return check_blame(text, names_to_check(people))


def _check_text(retro: Retrospective, text: str, confirmed: bool) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write something first."})
    if not confirmed and blame_flags(retro, text):
        # Shown with the reasons and a suggestion; "post as written" goes through.
        raise ValidationError(
            {"text": "This may read as blaming a person. Reword it, or post it as written."},
            code="blame",
        )
    return text


def item_add(
    *,
    participant: Participant,
    retro: Retrospective,
    prompt: str,
    text: str,
    anonymous: bool,
    confirmed: bool = False,
) -> Item:
    """A new item on the board. An anonymous one stores no author, and no event or
    notification is made for any item (see models.py); the live update names nobody."""
    if retro.phase != Phase.WRITE:
        raise ValidationError(
            f"Writing is closed: the board is in the {Phase(retro.phase).label} phase. "
            "The facilitator can reopen writing."
        )
    if prompt not in Prompt.values:
        raise ValidationError({"prompt": "Choose one of the prompts."})
    text = _check_text(retro, text, confirmed)
    with transaction.atomic():
        Retrospective.objects.select_for_update().filter(pk=retro.pk).first()
        if retro.items.count() >= MAX_ITEMS:
            raise ValidationError(f"The board is full ({MAX_ITEMS} items).")
        item = Item.objects.create(
            retrospective=retro,
            prompt=prompt,
            text=text,
            is_anonymous=anonymous,
            author=None if anonymous else participant.user,
        )
        _changed(retro, None)
    return item


def item_update(*, item: Item, version: int, text: str, confirmed: bool = False) -> Item:
    """The author rewords their item while writing is open (the caller checked who)."""
    retro = item.retrospective
    if retro.phase != Phase.WRITE:
        raise ValidationError("Items can be changed only while writing is open.")
    text = _check_text(retro, text, confirmed)
    with transaction.atomic():
        updated = Item.objects.filter(pk=item.pk, version=version).update(
            text=text, version=F("version") + 1
        )
        if not updated:
            raise ValidationError("Not saved: this item changed since you opened it. Reload it.")
        _changed(retro, None)
    item.text, item.version = text, version + 1
    return item


def item_withdraw(*, item: Item) -> None:
    """The author takes their item back while writing is open (the caller checked who)."""
    retro = item.retrospective
    if retro.phase != Phase.WRITE:
        raise ValidationError("Items can be withdrawn only while writing is open.")
    with transaction.atomic():
        group = item.group
        item.delete()
        if group is not None:
            _dissolve_if_small(group)
        _changed(retro, None)


def item_remove(*, actor: User, item: Item) -> None:
    """The facilitator takes an item off the revealed board (off-topic, a duplicate, or
    one that names people). Recorded against the retrospective, never the item's author."""
    retro = item.retrospective
    if not retro.is_revealed:
        raise ValidationError("Items are hidden while people write; remove them after the reveal.")
    if retro.is_finished:
        raise ValidationError("The retrospective is finished; reopen the discussion first.")
    with transaction.atomic():
        group = item.group
        item.delete()
        if group is not None:
            _dissolve_if_small(group)
        record_event(
            actor=actor,
            project=retro.project,
            verb="removed an item from",
            target=retro,
            message=str(item),
        )
        _changed(retro, actor)


def _groupable(retro: Retrospective) -> None:
    if retro.phase != Phase.GROUP:
        raise ValidationError(
            f"Grouping happens in the Group phase; the board is in {Phase(retro.phase).label}."
        )


def item_group(
    *, actor: User, item: Item, with_item: Item | None = None, group: ItemGroup | None = None
) -> ItemGroup:
    """Put an item with another (making a group) or into a group of the same prompt."""
    retro = item.retrospective
    _groupable(retro)
    target_prompt = with_item.prompt if with_item else group.prompt if group else None
    if target_prompt is None:
        raise ValidationError("Choose what to group it with.")
    if target_prompt != item.prompt:
        raise ValidationError("Items are grouped within one prompt.")
    if with_item is not None and with_item.pk == item.pk:
        raise ValidationError("An item cannot be grouped with itself.")
    with transaction.atomic():
        previous = item.group
        if with_item is not None:
            group = with_item.group
            if group is None:
                group = ItemGroup.objects.create(
                    retrospective=retro, prompt=item.prompt, title=str(with_item)[:200]
                )
                Item.objects.filter(pk=with_item.pk).update(group=group)
        assert group is not None
        Item.objects.filter(pk=item.pk).update(group=group)
        if previous is not None and previous != group:
            _dissolve_if_small(previous)
        _changed(retro, actor)
    return group


def item_ungroup(*, actor: User, item: Item) -> None:
    retro = item.retrospective
    _groupable(retro)
    group = item.group
    if group is None:
        raise ValidationError("That item is not in a group.")
    with transaction.atomic():
        Item.objects.filter(pk=item.pk).update(group=None)
        _dissolve_if_small(group)
        _changed(retro, actor)


def _dissolve_if_small(group: ItemGroup) -> None:
    """A group of one is no group. Votes on a dissolved group go back to the voters."""
    if group.items.count() <= 1:
        group.items.update(group=None)
        group.delete()


def group_rename(*, actor: User, group: ItemGroup, title: str) -> ItemGroup:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "Give the group a title."})
    if group.retrospective.is_finished:
        raise ValidationError("The retrospective is finished; reopen the discussion first.")
    ItemGroup.objects.filter(pk=group.pk).update(title=title[:200])
    group.title = title[:200]
    _changed(group.retrospective, actor)
    return group


def vote_cast(
    *, participant: Participant, retro: Retrospective, item: Item | None, group: ItemGroup | None
) -> int:
    """One more vote on a card, within the participant's limit. Returns the votes left."""
    if retro.phase != Phase.VOTE:
        raise ValidationError(
            f"Voting is not open: the board is in the {Phase(retro.phase).label} phase."
        )
    if (item is None) == (group is None):
        raise ValidationError("Choose one card to vote on.")
    if item is not None and item.group_id is not None:
        raise ValidationError("That item is in a group now: vote on the group.")
    with transaction.atomic():
        # The participant's row is the lock: two quick clicks cannot both take the last vote.
        Participant.objects.select_for_update().filter(pk=participant.pk).first()
        used = Vote.objects.filter(participant=participant).count()
        if used >= retro.votes_per_person:
            raise ValidationError(
                f"You have used all {retro.votes_per_person} of your votes. "
                "Take one back from another card to vote here."
            )
        Vote.objects.create(participant=participant, item=item, group=group)
    return retro.votes_per_person - used - 1


def vote_withdraw(
    *, participant: Participant, retro: Retrospective, item: Item | None, group: ItemGroup | None
) -> int:
    if retro.phase != Phase.VOTE:
        raise ValidationError(
            f"Voting is not open: the board is in the {Phase(retro.phase).label} phase."
        )
    with transaction.atomic():
        Participant.objects.select_for_update().filter(pk=participant.pk).first()
        vote = Vote.objects.filter(participant=participant, item=item, group=group).first()
        if vote is None:
            raise ValidationError("You have no vote on that card to take back.")
        vote.delete()
        used = Vote.objects.filter(participant=participant).count()
    return retro.votes_per_person - used


# Follow-up: action items, lessons, goals, the timeline ---------------------------------


def action_create(
    *,
    actor: User,
    retro: Retrospective,
    title: str,
    project: Project,
    owner: User | None = None,
    due_date: dt.date | None = None,
    item: Item | None = None,
    group: ItemGroup | None = None,
) -> ActionItem:
    """An action item becomes a Task in the project where the work will happen: this one
    or the next. The actor must be able to add tasks there."""
    from synchrony.planning import services as planning

    if retro.phase not in (Phase.DISCUSS, Phase.DONE):
        raise ValidationError("Action items come out of the discussion; open it first.")
    target = get_project_for_user(actor, project.pk, need=Need.CONTRIBUTE)
    if target.stage not in WORK_STAGES:
        raise ValidationError({"project": "That project is closed."})
    source = str(group or item or "")
    description = f"Action item from the {str(retro)[0].lower()}{str(retro)[1:]}"
    if source:
        description += f": “{source}”"
    with transaction.atomic():
        task: Task = planning.task_create(
            actor=actor,
            project=target,
            title=title.strip(),
            description=description,
            owner=owner,
            due_date=due_date,
            stage=target.stage,
        )
        action = ActionItem.objects.create(
            retrospective=retro,
            task=task,
            title=task.title,
            item=item,
            group=group,
            created_by=actor,
        )
        record_event(
            actor=actor,
            project=retro.project,
            verb="made an action item in",
            target=retro,
            message=f"{task.title} → {target}",
        )
        _changed(retro, actor)
    return action


def reading_save(
    *,
    actor: User,
    retro: Retrospective,
    goal: Goal,
    version: int | None,
    final_value: Decimal | None,
    reading: str,
) -> GoalReading:
    """The team's final figure for a goal and their reading of it."""
    if goal.project_id != retro.project_id:
        raise ValidationError("That goal belongs to another project.")
    with transaction.atomic():
        current, created = GoalReading.objects.get_or_create(
            retrospective=retro, goal=goal, defaults={"updated_by": actor}
        )
        if created:
            version = current.version
        elif version is None:
            raise ValidationError("Reload the page: someone recorded this goal meanwhile.")
        saved, _ = update_versioned(
            actor=actor,
            project=retro.project,
            instance=current,
            version=version,
            changes={
                "final_value": final_value,
                "reading": reading.strip(),
                "updated_by": actor,
            },
            verb="recorded the outcome of",
        )
        _changed(retro, actor)
    return saved


def note_add(*, actor: User, retro: Retrospective, date: dt.date, text: str) -> TimelineNote:
    note = TimelineNote(retrospective=retro, date=date, text=text.strip(), added_by=actor)
    note.full_clean()
    with transaction.atomic():
        note.save()
        _changed(retro, actor)
    return note


def note_delete(*, actor: User, note: TimelineNote) -> None:
    retro = note.retrospective
    with transaction.atomic():
        note.delete()
        _changed(retro, actor)


def lesson_create(
    *,
    actor: User,
    retro: Retrospective,
    channels: Iterable[Channel] = (),
    item: Item | None = None,
    group: ItemGroup | None = None,
    **fields: Any,
) -> Lesson:
    if not retro.is_revealed:
        raise ValidationError("Lessons are drafted once the board is revealed.")
    lesson = Lesson(
        retrospective=retro,
        project=retro.project,
        item=item,
        group=group,
        created_by=actor,
        **fields,
    )
    lesson.full_clean()
    with transaction.atomic():
        lesson.save()
        lesson.channels.set(channels)
        record_event(actor=actor, project=retro.project, verb="drafted", target=lesson)
        _changed(retro, actor)
    return lesson


def lesson_update(
    *,
    actor: User,
    lesson: Lesson,
    version: int,
    changes: dict[str, Any],
    channels: Iterable[Channel] | None = None,
) -> Lesson:
    with transaction.atomic():
        updated, _ = update_versioned(
            actor=actor,
            project=lesson.project,
            instance=lesson,
            version=version,
            changes=changes,
            m2m={"channels": channels} if channels is not None else None,
        )
        _changed(lesson.retrospective, actor)
    return updated


def lesson_publish(*, actor: User, lesson: Lesson, version: int) -> Lesson:
    """Published, the lesson is read by the whole workspace and suggested to projects
    that pick one of its channels."""
    if not lesson.do_differently.strip():
        raise ValidationError("Say what we do differently before publishing.")
    with transaction.atomic():
        updated, _ = update_versioned(
            actor=actor,
            project=lesson.project,
            instance=lesson,
            version=version,
            changes={
                "status": LessonStatus.PUBLISHED,
                "published_by": actor,
                "published_at": timezone.now(),
            },
            verb="published",
        )
        _changed(lesson.retrospective, actor)
    return updated


def lesson_unpublish(*, actor: User, lesson: Lesson, version: int) -> Lesson:
    with transaction.atomic():
        updated, _ = update_versioned(
            actor=actor,
            project=lesson.project,
            instance=lesson,
            version=version,
            changes={"status": LessonStatus.DRAFT, "published_by": None, "published_at": None},
            verb="withdrew",
        )
        _changed(lesson.retrospective, actor)
    return updated


def lesson_delete(*, actor: User, lesson: Lesson) -> None:
    if lesson.is_published:
        raise ValidationError("Withdraw the lesson from the library before deleting it.")
    with transaction.atomic():
        record_event(actor=actor, project=lesson.project, verb="deleted", target=lesson)
        lesson.delete()
        _changed(lesson.retrospective, actor)


def lesson_answer(
    *, actor: User, project: Project, lesson: Lesson, status: str, note: str = ""
) -> LessonApplication:
    """A project marks a suggested lesson as applied (or not relevant to it)."""
    if status not in ApplicationStatus.values:
        raise ValidationError({"status": "Choose applied or not relevant."})
    if not lesson.is_published:
        raise ValidationError("That lesson is not published.")
    if lesson.project_id == project.pk:
        raise ValidationError("A project learns its own lessons in its retrospective.")
    with transaction.atomic():
        application, _ = LessonApplication.objects.update_or_create(
            lesson=lesson,
            project=project,
            defaults={
                "status": status,
                "note": note.strip()[:500],
                "decided_by": actor,
                "decided_at": timezone.now(),
            },
        )
        record_event(
            actor=actor,
            project=project,
            verb="applied the lesson" if status == ApplicationStatus.APPLIED else "set aside",
            target=lesson,
            message=note.strip(),
        )
    return application


def lesson_unanswer(*, actor: User, project: Project, lesson: Lesson) -> None:
    with transaction.atomic():
        deleted, _ = LessonApplication.objects.filter(lesson=lesson, project=project).delete()
        if deleted:
            record_event(actor=actor, project=project, verb="undid the answer to", target=lesson)


def application_outcome(
    *, actor: User, application: LessonApplication, outcome: str, note: str = ""
) -> LessonApplication:
    """In the next retrospective: did applying the lesson help?"""
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "Choose whether it helped."})
    LessonApplication.objects.filter(pk=application.pk).update(
        outcome=outcome, outcome_note=note.strip()[:500]
    )
    application.outcome, application.outcome_note = outcome, note.strip()[:500]
    record_event(
        actor=actor,
        project=application.project,
        verb="recorded whether it helped to apply",
        target=application.lesson,
        message=f"{Outcome(outcome).label}. {note.strip()}".strip(),
    )
    return application


# Report links --------------------------------------------------------------------------


def report_link_create(
    *, actor: User, project: Project, expires_at: dt.datetime | None = None
) -> tuple[ReportLink, str]:
    """A read-only link to the summary report; the token is returned once, and only its
    hash is kept."""
    if project.user_role != Role.MANAGER:
        raise PermissionDenied("Only the project's managers share its report.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"days": "The link would expire before it is used."})
    token = new_token()
    with transaction.atomic():
        link = ReportLink.objects.create(
            project=project, token_hash=hash_token(token), created_by=actor, expires_at=expires_at
        )
        record_event(
            actor=actor,
            project=project,
            verb="shared the summary report of",
            target=project,
            message="Link expires "
            + (f"on {timezone.localtime(expires_at):%-d %b %Y}" if expires_at else "never"),
        )
    return link, token


def report_link_revoke(*, actor: User, link: ReportLink) -> None:
    with transaction.atomic():
        if ReportLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        ):
            record_event(
                actor=actor,
                project=link.project,
                verb="revoked a report link of",
                target=link.project,
            )


def report_link_by_token(token: str) -> ReportLink | None:
    link = ReportLink.objects.select_related("project").filter(token_hash=hash_token(token)).first()
    if link is None or not link.is_active:
        return None
    ReportLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
    return link

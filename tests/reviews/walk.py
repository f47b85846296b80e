"""The Review stage's objects for tests/test_permissions.py's walk over every URL."""

from __future__ import annotations

from typing import Any

from synchrony.reviews.models import (
    ActionItem,
    GoalReading,
    Item,
    ItemGroup,
    Lesson,
    LessonApplication,
    Participant,
    ReportLink,
    Retrospective,
    TimelineNote,
    Vote,
)
from tests.factories import (
    ItemFactory,
    LessonFactory,
    ParticipantFactory,
    RetrospectiveFactory,
)

# Answer without a session, by design: the shared report (a token in the URL) and the API
# item (a personal token in the header; the router's retrospectives and lessons are in
# tests/api/walk.py). tests/reviews covers both.
REVIEWS_PUBLIC = {
    "reviews:report",
    "api:retrospective-item",
}


def review_objects(cast: Any) -> dict[str, Any]:
    """A retrospective on the cast's project, facilitated by its manager, with the
    contributor taking part and the viewer only following; a published lesson of it, and
    one from elsewhere that the project applied."""
    retro = RetrospectiveFactory(project=cast.project, facilitator=cast.manager)
    ParticipantFactory(retrospective=retro, user=cast.manager)
    contributor = ParticipantFactory(retrospective=retro, user=cast.contributor)
    item = ItemFactory(retrospective=retro, author=cast.manager, text="Briefing was early")
    group = ItemGroup.objects.create(retrospective=retro, prompt="worked", title="Briefings")
    ItemFactory(retrospective=retro, author=cast.contributor, group=group)
    ItemFactory(retrospective=retro, is_anonymous=True, group=group)
    elsewhere = LessonFactory()
    return {
        "retro_pk": retro.pk,
        "item_pk": item.pk,
        "participant_pk": contributor.pk,
        "group_pk": group.pk,
        "note_pk": TimelineNote.objects.create(
            retrospective=retro,
            date="2026-01-05",
            text="Press embargo moved",
            added_by=cast.manager,
        ).pk,
        "lesson_pk": LessonFactory(retrospective=retro).pk,
        "application_pk": LessonApplication.objects.create(
            lesson=elsewhere, project=cast.project, decided_by=cast.manager
        ).pk,
        "report_link_pk": ReportLink.objects.create(project=cast.project, token_hash="r" * 64).pk,
    }


def review_snapshot() -> tuple:
    return (
        sorted(Retrospective.objects.values_list("pk", "phase", "version", "facilitator")),
        sorted(Participant.objects.values_list("pk", "removed_at")),
        sorted(
            (str(pk), text, group)
            for pk, text, group in Item.objects.values_list("pk", "text", "group")
        ),
        sorted(ItemGroup.objects.values_list("pk", "title")),
        Vote.objects.count(),
        ActionItem.objects.count(),
        GoalReading.objects.count(),
        TimelineNote.objects.count(),
        sorted(Lesson.objects.values_list("pk", "version", "status")),
        sorted(LessonApplication.objects.values_list("pk", "status", "outcome")),
        sorted(ReportLink.objects.values_list("pk", "revoked_at")),
    )

"""The Review stage: blameless retrospectives, the lessons library, summary report links.

Anonymity, and why it is built this way
---------------------------------------
An anonymous item stores no trace of its author: no foreign key (a check constraint
refuses one), no keyed hash of the author, no timestamp, no activity event, no
notification, and the live update it triggers names nobody. Items have random UUID
keys, so neither the order of the board nor an id in a URL says that an anonymous item
was written just after someone's named one.

A per-participant keyed HMAC on the item was considered and rejected: the server holds
the key, and a retrospective has a handful of participants, so whoever has the database
and the key (an administrator, a leaked backup, a future API or admin page that shows
the column) could recompute the tag for each participant and match it. Anything the
server can use to recognise the author, the server can also use to reveal them.

So the only proof of authorship lives in the author's own browser: a signed cookie,
scoped to the retrospective's URLs, listing the items they wrote anonymously. It lets
them see, change and withdraw those items while the board is still in the write phase,
from that browser; after the reveal nobody can edit items and nothing marks them as
anyone's, not even on the author's own screen (which may be shared in the meeting).

Nothing limits anonymous items per person, because a limit would need a per-person
count the server could correlate; the facilitator removes noise, and a retrospective
holds at most MAX_ITEMS items. Votes are about cards, not authorship: they keep their
voter, to enforce each participant's vote limit, and are shown only as totals.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from synchrony.projects.models import WORK_STAGES, Stage

MAX_ITEMS = 500


class Phase(models.TextChoices):
    WRITE = "write", "Write"
    GROUP = "group", "Group"
    VOTE = "vote", "Vote"
    DISCUSS = "discuss", "Discuss"
    DONE = "done", "Done"


PHASE_ORDER: list[str] = list(Phase.values)

PHASE_HELP: dict[str, str] = {
    Phase.WRITE: "Everyone writes on their own. Items stay hidden until the facilitator "
    "reveals the board, so nobody anchors on the first opinion.",
    Phase.GROUP: "The board is revealed. The facilitator groups items that say the same thing.",
    Phase.VOTE: "Each participant spends their votes on what to discuss first. "
    "Totals stay hidden until the discussion.",
    Phase.DISCUSS: "Cards in order of votes. Turn what matters into action items and lessons.",
    Phase.DONE: "The retrospective is finished. Its lessons go to the library.",
}


class Prompt(models.TextChoices):
    WORKED = "worked", "What worked"
    NEEDS_WORK = "needs_work", "What needs work"
    TRY_NEXT = "try_next", "What we will try next time"


class Retrospective(models.Model):
    """One per project when it is in Review; also possible per launch once it went out."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="retrospectives"
    )
    launch = models.ForeignKey(
        "launches.Launch",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="retrospectives",
        help_text="Empty for the project's own retrospective.",
    )
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Reveals the board phase by phase, groups items and keeps time.",
    )
    phase = models.CharField(max_length=10, choices=Phase.choices, default=Phase.WRITE)
    votes_per_person = models.PositiveSmallIntegerField(
        "votes per person",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(launch__isnull=True),
                name="one_project_retrospective",
            ),
            models.UniqueConstraint(
                fields=["launch"],
                condition=Q(launch__isnull=False),
                name="one_retrospective_per_launch",
            ),
        ]

    def __str__(self) -> str:
        if self.launch_id:
            return f"Retrospective of the launch “{self.launch}”"
        return f"Retrospective of {self.project}"

    def get_absolute_url(self) -> str:
        return reverse("reviews:retro", args=[self.pk])

    @property
    def phase_index(self) -> int:
        return PHASE_ORDER.index(self.phase)

    @property
    def next_phase(self) -> str | None:
        i = self.phase_index
        return PHASE_ORDER[i + 1] if i + 1 < len(PHASE_ORDER) else None

    @property
    def previous_phase(self) -> str | None:
        i = self.phase_index
        return PHASE_ORDER[i - 1] if i > 0 else None

    @property
    def is_revealed(self) -> bool:
        """Past the write phase: every item is on the board for everyone."""
        return self.phase != Phase.WRITE

    @property
    def is_finished(self) -> bool:
        return self.phase == Phase.DONE


class Participant(models.Model):
    """Someone invited to the retrospective. Removal is kept as a date, so their votes
    and named items stay part of the record."""

    retrospective = models.ForeignKey(
        Retrospective, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user__first_name", "user__last_name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["retrospective", "user"], name="one_participation_per_user"
            )
        ]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def is_active(self) -> bool:
        return self.removed_at is None


class ItemGroup(models.Model):
    """Similar items of one prompt, voted on and discussed as one card."""

    retrospective = models.ForeignKey(
        Retrospective, on_delete=models.CASCADE, related_name="groups"
    )
    prompt = models.CharField(max_length=12, choices=Prompt.choices)
    title = models.CharField(max_length=200)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title

    @property
    def card_key(self) -> str:
        return f"group:{self.pk}"


class Item(models.Model):
    """A sticky note on the board. See the module docstring on anonymity: an anonymous
    item has no author here, and deliberately no timestamp either."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="items")
    prompt = models.CharField(max_length=12, choices=Prompt.choices)
    text = models.TextField(max_length=1000)
    is_anonymous = models.BooleanField(default=False)
    # Only for named items. SET_NULL keeps a departed person's item on the board.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    group = models.ForeignKey(
        ItemGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        # Random UUIDs: the board's order says nothing about who wrote what when.
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_anonymous=False) | Q(author__isnull=True),
                name="anonymous_item_has_no_author",
            )
        ]

    def __str__(self) -> str:
        return self.text if len(self.text) <= 60 else self.text[:59] + "…"

    @property
    def card_key(self) -> str:
        return f"item:{self.pk}"


class Vote(models.Model):
    """One of a participant's votes, on an ungrouped item or on a group."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="votes")
    item = models.ForeignKey(
        Item, on_delete=models.CASCADE, null=True, blank=True, related_name="votes"
    )
    group = models.ForeignKey(
        ItemGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="votes"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(item__isnull=False, group__isnull=True)
                | Q(item__isnull=True, group__isnull=False),
                name="vote_on_one_card",
            )
        ]

    def __str__(self) -> str:
        return f"vote by {self.participant}"


class ActionItem(models.Model):
    """A card the team decided to act on; the work itself is a planning Task."""

    retrospective = models.ForeignKey(
        Retrospective, on_delete=models.CASCADE, related_name="actions"
    )
    task = models.ForeignKey(
        "planning.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    item = models.ForeignKey(Item, on_delete=models.SET_NULL, null=True, blank=True)
    group = models.ForeignKey(ItemGroup, on_delete=models.SET_NULL, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title


class GoalReading(models.Model):
    """ "Did we move toward the goal?": the final figure the team records, and its reading.

    A measured figure from Performance reporting takes precedence when there is one
    (see synchrony/reviews/outcomes.py, `measured_final_value`).
    """

    retrospective = models.ForeignKey(
        Retrospective, on_delete=models.CASCADE, related_name="readings"
    )
    goal = models.ForeignKey("projects.Goal", on_delete=models.CASCADE, related_name="readings")
    final_value = models.DecimalField(
        "final figure", max_digits=14, decimal_places=2, null=True, blank=True
    )
    reading = models.TextField(
        "the team's reading",
        blank=True,
        max_length=2000,
        help_text="What the figure means: what moved it, what else was going on.",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "goal reading"
        constraints = [
            models.UniqueConstraint(
                fields=["retrospective", "goal"], name="one_reading_per_goal_and_retrospective"
            )
        ]

    def __str__(self) -> str:
        return f"{self.goal}"


class TimelineNote(models.Model):
    """Something the project's record does not know, added to the timeline by the team."""

    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="notes")
    date = models.DateField()
    text = models.CharField(max_length=300)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = "timeline note"

    def __str__(self) -> str:
        return self.text


class LaunchKind(models.TextChoices):
    """What kind of launch a lesson came from: lessons travel between similar launches."""

    PRODUCT_LAUNCH = "product_launch", "Product launch"
    FEATURE_RELEASE = "feature_release", "Feature release"
    CAMPAIGN = "campaign", "Campaign"
    EVENT = "event", "Event or webinar"
    RETENTION = "retention", "Renewal or retention"
    ANNOUNCEMENT = "announcement", "Announcement"
    OTHER = "other", "Other"


class LessonStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


LESSON_STAGES = [(s, Stage(s).label) for s in WORK_STAGES]


class Lesson(models.Model):
    """What a retrospective learned, tagged so the next project with the same channels
    finds it. Drafts are the project's; published lessons are the whole workspace's."""

    retrospective = models.ForeignKey(
        Retrospective, on_delete=models.CASCADE, related_name="lessons"
    )
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    title = models.CharField("lesson", max_length=200)
    what_happened = models.TextField(blank=True, max_length=3000)
    do_differently = models.TextField("what we do differently", max_length=2000)
    channels = models.ManyToManyField("launches.Channel", blank=True, related_name="lessons")
    stage = models.CharField("stage it concerns", max_length=20, choices=LESSON_STAGES, blank=True)
    kind = models.CharField("kind of launch", max_length=20, choices=LaunchKind.choices, blank=True)
    status = models.CharField(
        max_length=10, choices=LessonStatus.choices, default=LessonStatus.DRAFT
    )
    item = models.ForeignKey(Item, on_delete=models.SET_NULL, null=True, blank=True)
    group = models.ForeignKey(ItemGroup, on_delete=models.SET_NULL, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-published_at", "-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-published_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("reviews:lesson", args=[self.pk])

    @property
    def is_published(self) -> bool:
        return self.status == LessonStatus.PUBLISHED


class ApplicationStatus(models.TextChoices):
    APPLIED = "applied", "Applied"
    NOT_RELEVANT = "not_relevant", "Not relevant here"


class Outcome(models.TextChoices):
    HELPED = "helped", "It helped"
    DID_NOT_HELP = "did_not_help", "It did not help"
    TOO_EARLY = "too_early", "Too early to say"


class LessonApplication(models.Model):
    """A project's answer to a suggested lesson, and, in its own retrospective, whether
    applying it helped."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="applications")
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="lesson_applications"
    )
    status = models.CharField(
        max_length=15, choices=ApplicationStatus.choices, default=ApplicationStatus.APPLIED
    )
    note = models.CharField("how we apply it", max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=15, choices=Outcome.choices, blank=True)
    outcome_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "project"], name="one_answer_per_lesson")
        ]

    def __str__(self) -> str:
        return f"{self.lesson} in {self.project}"


class ReportLink(models.Model):
    """A read-only link to a project's summary report. Only the token's hash is stored
    (the calendars' share-link pattern); an unknown, expired or revoked link is a 404."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="report_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Report link of {self.project}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )

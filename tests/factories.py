from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from decimal import Decimal

import factory
from django.contrib.auth.models import Permission
from django.utils import timezone

from synchrony.accounts.models import Team, User
from synchrony.launches.models import Channel
from synchrony.planning.models import BudgetLine, ContentItem, Task
from synchrony.projects.models import Goal, InputRequest, Membership, Project, Role

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    time_zone = "Europe/Berlin"
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def starts_projects(user: User, create: bool, extracted: bool, **kwargs: object) -> None:
        """UserFactory(starts_projects=True): a marketing manager, who may start projects."""
        if extracted:
            let_start_projects(user)


def let_start_projects(user: User) -> None:
    """Make `user` a marketing manager, who may start projects."""
    user.user_permissions.add(
        Permission.objects.get_by_natural_key("add_project", "projects", "project")
    )


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Channel {n}")
    owner = factory.SubFactory(UserFactory)

    @factory.post_generation
    def projects(self, create: bool, extracted: Iterable[Project] | None, **kwargs: object) -> None:
        """`ChannelFactory(projects=[project])`: one of those projects' channels, which their
        launches may go out on."""
        if create and extracted:
            self.projects.add(*extracted)


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Project {n}")
    owner = factory.SubFactory(UserFactory)

    @factory.post_generation
    def owner_is_manager(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            Membership.objects.get_or_create(
                project=self, user=self.owner, defaults={"role": Role.MANAGER}
            )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.CONTRIBUTOR


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    project = factory.SubFactory(ProjectFactory)
    metric = "Qualified leads"
    baseline = Decimal(100)
    target = Decimal(300)
    unit = "leads"
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=60))


class InputRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InputRequest

    project = factory.SubFactory(ProjectFactory)
    title = "Pricing sign-off"
    requested_from_user = factory.SubFactory(UserFactory)
    requested_by = factory.SelfAttribute("project.owner")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Task {n}")
    created_by = factory.SelfAttribute("project.owner")


class ContentItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContentItem

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Content {n}")
    created_by = factory.SelfAttribute("project.owner")


class BudgetLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetLine

    project = factory.SubFactory(ProjectFactory)
    category = "media"
    description = factory.Sequence(lambda n: f"Line {n}")
    planned = Decimal(1000)


class LaunchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "launches.Launch"

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Launch {n}")
    time_zone = "Europe/Berlin"
    go_live = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=10))
    local_date = factory.LazyAttribute(
        lambda o: o.go_live.astimezone(zoneinfo.ZoneInfo(o.time_zone)).date()
    )
    local_time = factory.LazyAttribute(
        lambda o: o.go_live.astimezone(zoneinfo.ZoneInfo(o.time_zone)).time().replace(tzinfo=None)
    )
    created_by = factory.SelfAttribute("project.owner")


class ActivationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "launches.Activation"
        skip_postgeneration_save = True

    launch = factory.SubFactory(LaunchFactory)
    channel = factory.SubFactory(ChannelFactory)

    @factory.post_generation
    def joins_the_project(self, create: bool, extracted: object, **kwargs: object) -> None:
        """A launch goes out on its project's channels (launches.selectors)."""
        if create:
            self.launch.project.channels.add(self.channel)


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "launches.Milestone"

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Milestone {n}")
    date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=5))


class RetrospectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reviews.Retrospective"

    project = factory.SubFactory(ProjectFactory)
    facilitator = factory.SelfAttribute("project.owner")
    created_by = factory.SelfAttribute("project.owner")


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reviews.Participant"

    retrospective = factory.SubFactory(RetrospectiveFactory)
    user = factory.SubFactory(UserFactory)


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reviews.Item"

    retrospective = factory.SubFactory(RetrospectiveFactory)
    prompt = "worked"
    text = factory.Sequence(lambda n: f"Item {n}")


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reviews.Lesson"

    retrospective = factory.SubFactory(RetrospectiveFactory)
    project = factory.SelfAttribute("retrospective.project")
    title = factory.Sequence(lambda n: f"Lesson {n}")
    do_differently = "Check the webhook endpoint a day before go-live."
    status = "published"
    published_at = factory.LazyFunction(timezone.now)

"""The benchmark's data set: issue 3's sizes, spread over about a year around today.

200 projects, 2,000 launches, 20,000 activations (10 per launch, out of 50 channels),
10,000 tasks with dependencies, 1,000 milestones, readiness gates and stage history.
Written with bulk_create in a few seconds; `present()` tells whether a usable set is
already there, so a second `make bench` measures at once.

The generator is seeded: the same day gives the same data. Dates are relative to the
day the set was made, so a set older than MAX_AGE is made again (see `present`).
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from synchrony.accounts.models import Team, User
from synchrony.launches.models import (
    Activation,
    Blackout,
    Channel,
    ChannelKind,
    GateStatus,
    Launch,
    LaunchStatus,
    Milestone,
    ReadinessGate,
)
from synchrony.planning.models import Task, TaskStatus
from synchrony.projects.models import (
    STAGE_ORDER,
    WORK_STAGES,
    Membership,
    Project,
    Role,
    Stage,
    StageTransition,
)

PROJECTS = 200
CHANNELS = 50
LAUNCHES_PER_PROJECT = 10  # 2,000
CHANNELS_PER_LAUNCH = 10  # 20,000 activations
TASKS_PER_PROJECT = 50  # 10,000
MILESTONES_PER_PROJECT = 5  # 1,000
GATES_PER_LAUNCH = 2
OWNERS = 20
CONTRIBUTORS = 60
SALES = 20

MANAGER = "bench-manager"  # manager of every project: sees everything
VIEWER = "bench-viewer"  # viewer of LIVE_PROJECT only: the live-update reader
LIVE_PROJECT = "Bench live project"
LIVE_LAUNCH = "Bench live launch"
LIVE_ZONE = "Europe/Berlin"  # the live launch's zone and both bench users' zone
# Dates are relative to the day the set was made: after this it no longer sits
# "around today" and is made again.
MAX_AGE = dt.timedelta(days=14)

ZONES = ["Europe/Berlin", "America/New_York", "Europe/London", "Asia/Tokyo", "UTC"]
KINDS = [k for k, _ in ChannelKind.choices]
BATCH = 2_000


@dataclass(frozen=True)
class Counts:
    projects: int
    launches: int
    activations: int
    tasks: int
    milestones: int
    channels: int

    @classmethod
    def now(cls) -> Counts:
        return cls(
            projects=Project.objects.count(),
            launches=Launch.objects.count(),
            activations=Activation.objects.count(),
            tasks=Task.objects.count(),
            milestones=Milestone.objects.count(),
            channels=Channel.objects.count(),
        )


EXPECTED = Counts(
    projects=PROJECTS,
    launches=PROJECTS * LAUNCHES_PER_PROJECT,
    activations=PROJECTS * LAUNCHES_PER_PROJECT * CHANNELS_PER_LAUNCH,
    tasks=PROJECTS * TASKS_PER_PROJECT,
    milestones=PROJECTS * MILESTONES_PER_PROJECT,
    channels=CHANNELS,
)


def present() -> str:
    """'' when a complete, recent set is there; else why it must be (re)made."""
    manager = User.objects.filter(username=MANAGER).first()
    if manager is None:
        return "empty" if not Project.objects.exists() else "not a benchmark data set"
    counts = Counts.now()
    if counts != EXPECTED:
        return f"incomplete ({counts})"
    if timezone.now() - manager.date_joined > MAX_AGE:
        return f"made {manager.date_joined:%Y-%m-%d}, older than {MAX_AGE.days} days"
    return ""


def is_empty() -> bool:
    return not (Project.objects.exists() or User.objects.exists())


def _moment(day: dt.date, at: dt.time, zone: str) -> dt.datetime:
    # Hours 08 to 18 only: never in a daylight-saving gap or fold.
    return dt.datetime.combine(day, at, tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(dt.UTC)


def _users(rng: random.Random, now: dt.datetime) -> dict[str, list[User]]:
    def user(username: str, first: str, last: str, zone: str = "Europe/Berlin") -> User:
        u = User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@example.com",
            time_zone=zone,
            date_joined=now,
        )
        u.set_unusable_password()
        return u

    people = [
        user(MANAGER, "Bench", "Manager", LIVE_ZONE),
        user(VIEWER, "Bench", "Viewer", LIVE_ZONE),
    ]
    people += [user(f"owner{i}", "Owner", str(i), rng.choice(ZONES)) for i in range(OWNERS)]
    people += [user(f"member{i}", "Member", str(i), rng.choice(ZONES)) for i in range(CONTRIBUTORS)]
    people += [user(f"sales{i}", "Sales", str(i), rng.choice(ZONES)) for i in range(SALES)]
    User.objects.bulk_create(people, batch_size=BATCH)
    teams = list(Team.objects.all()) or Team.objects.bulk_create(
        [Team(name=n) for n in ("Marketing", "Sales", "Customer success", "IT")]
    )
    through = User.teams.through
    rows = [through(user_id=u.pk, team_id=rng.choice(teams).pk) for u in people[2:]]
    through.objects.bulk_create(rows, batch_size=BATCH)
    return {
        "manager": people[:1],
        "viewer": people[1:2],
        "owners": people[2 : 2 + OWNERS],
        "members": people[2 + OWNERS : 2 + OWNERS + CONTRIBUTORS],
        "sales": people[2 + OWNERS + CONTRIBUTORS :],
    }


def _channels(rng: random.Random, owners: list[User], today: dt.date) -> list[Channel]:
    channels = Channel.objects.bulk_create(
        [
            Channel(
                name=f"Channel {i:02d}",
                kind=KINDS[i % len(KINDS)],
                colour=f"#{rng.randrange(0x202020, 0xD0D0D0):06x}",
                owner=owners[i % len(owners)],
                collision_window_hours=24,
                allow_collisions=True,  # moves are warned about, never refused
            )
            for i in range(CHANNELS)
        ]
    )
    blackouts = []
    for channel in rng.sample(channels, 10):
        starts = today + dt.timedelta(days=rng.randint(-150, 150))
        blackouts.append(
            Blackout(
                channel=channel,
                starts_on=starts,
                ends_on=starts + dt.timedelta(days=rng.randint(1, 10)),
                reason="Holiday freeze",
            )
        )
    Blackout.objects.bulk_create(blackouts)
    return channels


def _stage_plan(rng: random.Random, center: dt.date) -> list[dt.date]:
    """Planned ends of the five work stages, in order, around `center`."""
    dev = center - dt.timedelta(days=rng.randint(60, 110))
    dues = [dev]
    for low, high in ((20, 50), (40, 80), (30, 60), (14, 30)):
        dues.append(dues[-1] + dt.timedelta(days=rng.randint(low, high)))
    return dues


def generate(*, seed: int = 3) -> Counts:
    """Write the whole set in one transaction."""
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not secrets
    now = timezone.now()
    today = now.date()
    with transaction.atomic():
        people = _users(rng, now)
        manager, viewer = people["manager"][0], people["viewer"][0]
        owners, members, sales = people["owners"], people["members"], people["sales"]
        channels = _channels(rng, owners, today)

        projects: list[Project] = []
        plans: list[list[dt.date]] = []
        for i in range(PROJECTS):
            center = today + dt.timedelta(days=rng.randint(-150, 150))
            dues = _stage_plan(rng, center)
            passed = sum(1 for due in dues if due < today)
            stage = STAGE_ORDER[passed] if passed < len(WORK_STAGES) else Stage.CLOSED
            name = LIVE_PROJECT if i == 0 else f"Project {i:03d}"
            projects.append(
                Project(
                    name=name,
                    summary=f"Launch programme {i}",
                    owner=owners[i % OWNERS],
                    stage=stage,
                    promotion_start=dues[1],
                    promotion_end=dues[3],
                    **{f"{s}_due": due for s, due in zip(WORK_STAGES, dues, strict=True)},
                )
            )
            plans.append(dues)
        # The live project is open and current, whatever the draw.
        projects[0].stage = Stage.ACTIVATION
        Project.objects.bulk_create(projects, batch_size=BATCH)
        # created_at is auto_now_add: set the real start afterwards (bulk_update skips it).
        for project, dues in zip(projects, plans, strict=True):
            started = dues[0] - dt.timedelta(days=rng.randint(30, 60))
            project.created_at = min(
                dt.datetime.combine(started, dt.time(9), tzinfo=dt.UTC),
                now - dt.timedelta(days=1),
            )
        Project.objects.bulk_update(projects, ["created_at"], batch_size=BATCH)

        transitions = []
        for project, dues in zip(projects, plans, strict=True):
            for k in range(project.stage_index):
                moved = dt.datetime.combine(
                    dues[k] + dt.timedelta(days=rng.randint(-3, 3)), dt.time(15), tzinfo=dt.UTC
                )
                moved = max(project.created_at, min(moved, now - dt.timedelta(hours=1)))
                transitions.append(
                    StageTransition(
                        project=project,
                        from_stage=STAGE_ORDER[k],
                        to_stage=STAGE_ORDER[k + 1],
                        actor=project.owner,
                        created_at=moved,
                    )
                )
        StageTransition.objects.bulk_create(transitions, batch_size=BATCH)
        # auto_now_add again: put each transition back at its own moment.
        StageTransition.objects.bulk_update(transitions, ["created_at"], batch_size=BATCH)

        memberships = []
        workers: dict[int, list[User]] = {}
        for project in projects:
            crew = rng.sample(members, 4)
            workers[project.pk] = [project.owner, *crew]
            memberships.append(Membership(project=project, user=manager, role=Role.MANAGER))
            memberships.append(Membership(project=project, user=project.owner, role=Role.MANAGER))
            memberships += [
                Membership(project=project, user=u, role=Role.CONTRIBUTOR) for u in crew
            ]
            memberships.append(
                Membership(project=project, user=rng.choice(sales), role=Role.VIEWER)
            )
        memberships.append(Membership(project=projects[0], user=viewer, role=Role.VIEWER))
        Membership.objects.bulk_create(memberships, batch_size=BATCH)

        project_channels = Project.channels.through
        pools: dict[int, list[Channel]] = {}
        rows: list[Any] = []
        for project in projects:
            pools[project.pk] = rng.sample(channels, 15)
            rows += [
                project_channels(project_id=project.pk, channel_id=c.pk) for c in pools[project.pk]
            ]
        project_channels.objects.bulk_create(rows, batch_size=BATCH)

        launches: list[Launch] = []
        for project, dues in zip(projects, plans, strict=True):
            zone = LIVE_ZONE if project is projects[0] else rng.choice(ZONES)
            for k in range(LAUNCHES_PER_PROJECT):
                day = dues[1] + dt.timedelta(days=rng.randint(-20, 90))
                at = dt.time(rng.randint(8, 17), rng.choice((0, 15, 30, 45)))
                go_live = _moment(day, at, zone)
                if go_live < now:
                    status = rng.choices(
                        [
                            LaunchStatus.LAUNCHED,
                            LaunchStatus.PARTLY_LAUNCHED,
                            LaunchStatus.FAILED,
                            LaunchStatus.CANCELLED,
                        ],
                        [85, 7, 3, 5],
                    )[0]
                else:
                    status = rng.choices(
                        [
                            LaunchStatus.SCHEDULED,
                            LaunchStatus.DRAFT,
                            LaunchStatus.HELD,
                            LaunchStatus.CANCELLED,
                        ],
                        [60, 30, 5, 5],
                    )[0]
                name = f"{project.name} · launch {k + 1}"
                if project is projects[0] and k == 0:
                    # Moved by the live benchmark; it sets a future date on every move.
                    name, status = LIVE_LAUNCH, LaunchStatus.SCHEDULED
                    day, at = today + dt.timedelta(days=7), dt.time(10)
                    go_live = _moment(day, at, zone)
                launches.append(
                    Launch(
                        project=project,
                        name=name,
                        go_live=go_live,
                        local_date=day,
                        local_time=at,
                        time_zone=zone,
                        status=status,
                        notes="Coordinated launch across channels.",
                        created_by=project.owner,
                    )
                )
        Launch.objects.bulk_create(launches, batch_size=BATCH)

        activations = []
        gates = []
        for launch in launches:
            for channel in rng.sample(pools[launch.project_id], CHANNELS_PER_LAUNCH):
                activations.append(
                    Activation(
                        launch=launch,
                        channel=channel,
                        subject=f"{launch.name} on {channel.name}",
                        body="What goes out, in a few sentences.",
                        link="https://example.com/launch",
                        audience="All customers",
                    )
                )
            past = launch.go_live < now
            for g in range(GATES_PER_LAUNCH):
                gates.append(
                    ReadinessGate(
                        launch=launch,
                        title=("Product shipped", "Sales briefed")[g],
                        owner=launch.project.owner,
                        due_date=launch.local_date - dt.timedelta(days=rng.randint(-3, 14)),
                        required=True,
                        status=GateStatus.READY
                        if past or rng.random() < 0.5
                        else GateStatus.PENDING,
                    )
                )
        Activation.objects.bulk_create(activations, batch_size=BATCH)
        ReadinessGate.objects.bulk_create(gates, batch_size=BATCH)

        tasks: list[Task] = []
        for project, dues in zip(projects, plans, strict=True):
            for k in range(TASKS_PER_PROJECT):
                stage = WORK_STAGES[min(k * len(WORK_STAGES) // TASKS_PER_PROJECT, 4)]
                end = dues[WORK_STAGES.index(stage)]
                due = end - dt.timedelta(days=rng.randint(0, 30))
                if due < today - dt.timedelta(days=7):
                    state = rng.choices(
                        [TaskStatus.DONE, TaskStatus.DOING, TaskStatus.BLOCKED], [90, 7, 3]
                    )[0]
                else:
                    state = rng.choices(
                        [TaskStatus.TODO, TaskStatus.DOING, TaskStatus.BLOCKED, TaskStatus.DONE],
                        [55, 25, 5, 15],
                    )[0]
                tasks.append(
                    Task(
                        project=project,
                        title=f"{Stage(stage).label} task {k + 1}",
                        stage=stage,
                        owner=None if rng.random() < 0.1 else rng.choice(workers[project.pk]),
                        due_date=due,
                        status=state,
                        blocked_reason="Waiting for legal" if state == TaskStatus.BLOCKED else "",
                        completed_at=now if state == TaskStatus.DONE else None,
                        created_by=project.owner,
                    )
                )
        Task.objects.bulk_create(tasks, batch_size=BATCH)

        edge = Task.depends_on.through
        edges = []
        for p in range(PROJECTS):
            chunk = tasks[p * TASKS_PER_PROJECT : (p + 1) * TASKS_PER_PROJECT]
            for k in range(1, len(chunk)):
                if rng.random() < 0.4:
                    for dep in rng.sample(chunk[max(0, k - 8) : k], min(k, rng.randint(1, 2))):
                        edges.append(edge(from_task_id=chunk[k].pk, to_task_id=dep.pk))
        edge.objects.bulk_create(edges, batch_size=BATCH, ignore_conflicts=True)

        milestones = []
        for project, dues in zip(projects, plans, strict=True):
            for k in range(MILESTONES_PER_PROJECT):
                milestones.append(
                    Milestone(
                        project=project,
                        title=f"Milestone {k + 1}",
                        date=dues[0] + dt.timedelta(days=rng.randint(0, 180)),
                    )
                )
        Milestone.objects.bulk_create(milestones, batch_size=BATCH)
    return Counts.now()

"""A client generated from the served schema works: openapi-python-client generates a
Python package from /api/schema/ as a live server serves it, and an integration written
against that package runs on the live server with a real personal token.

The generator must read the schema without one warning (a warning means an operation, an
answer or a model left out of the client), and every answer must parse into its typed
model, with no key the schema does not name. When this fails, the schema is wrong: fix it
at its source (the app's api.py, synchrony/api/schema.py), never here.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import re
import subprocess
import sys
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import httpx
import pytest
from django.utils import timezone

from synchrony.activity.models import Notification
from synchrony.api.services import token_create
from synchrony.api.urls import router
from synchrony.planning.models import Task, TaskStatus
from synchrony.projects.models import Stage
from synchrony.reviews.models import Item, Phase, Prompt, Retrospective
from tests.api.walk import api_rows
from tests.factories import ChannelFactory, ProjectFactory

# The generator beside this Python (the dev group installs it).
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "synchrony_api_client"


class Generated:
    """The generated package, imported: `api("tasks", "tasks_create")`, `models.Task`."""

    def __init__(self, root: Path, schema: dict[str, Any], output: str) -> None:
        self.root = root
        self.schema = schema
        self.output = output
        self.package = importlib.import_module(PACKAGE)
        self.models = importlib.import_module(f"{PACKAGE}.models")

    def api(self, tag: str, operation: str) -> ModuleType:
        return importlib.import_module(f"{PACKAGE}.api.{tag}.{operation}")

    def client(self, base_url: str, token: str) -> Any:
        # An answer the schema does not list raises instead of parsing as None.
        return self.package.AuthenticatedClient(
            base_url=base_url, token=token, raise_on_unexpected_status=True
        )


@pytest.fixture(scope="module")
def generated(live_server, tmp_path_factory) -> Iterator[Generated]:
    """Generate the client once for this module (each xdist worker in its own tmp dir)."""
    work = tmp_path_factory.mktemp("generated-client")
    answer = httpx.get(f"{live_server.url}/api/schema/", params={"format": "json"}, timeout=30)
    assert answer.status_code == 200, answer.text[:500]
    (work / "schema.json").write_bytes(answer.content)
    # No post-hooks: they would run ruff over the generated code, which is not ours to
    # lint; importing it proves it is Python.
    (work / "config.yaml").write_text("post_hooks: []\n")
    result = subprocess.run(
        [
            GENERATOR,
            "generate",
            "--path",
            work / "schema.json",
            "--output-path",
            work / PACKAGE,
            "--meta",
            "none",
            "--config",
            work / "config.yaml",
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    sys.path.insert(0, str(work))
    try:
        yield Generated(work / PACKAGE, answer.json(), output)
    finally:
        sys.path.remove(str(work))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest.fixture
def connect(generated, live_server):
    """A generated client acting as the user, with a real personal token."""

    def make(user) -> Any:
        return generated.client(live_server.url, token_create(actor=user, name="integration")[1])

    return make


def assert_parsed(answer: Any, *, status: int, model: type | None = None) -> Any:
    """The answer has the status, parsed into the model, naming nothing the schema does
    not (a key the schema lacks would land in `additional_properties`)."""
    assert answer.status_code == status, (answer.status_code, answer.content[:500])
    if model is not None:
        assert isinstance(answer.parsed, model), (type(answer.parsed), answer.content[:500])
    undeclared = list(_undeclared(answer.parsed, type(answer.parsed).__name__))
    assert not undeclared, f"keys the schema does not name: {undeclared}"
    return answer.parsed


def _undeclared(value: Any, where: str) -> Iterator[str]:
    if attrs.has(type(value)):
        declared = [f.name for f in attrs.fields(type(value)) if f.name != "additional_properties"]
        # A model with no fields of its own is a map (an error's field → messages).
        if declared and value.additional_properties:
            yield f"{where}: {sorted(value.additional_properties)}"
        for name in declared:
            yield from _undeclared(getattr(value, name), f"{where}.{name}")
        for key, inner in value.additional_properties.items():
            yield from _undeclared(inner, f"{where}[{key!r}]")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _undeclared(inner, f"{where}[{index}]")


def etag(answer: Any) -> str:
    value = answer.headers["ETag"]
    assert re.fullmatch(r'"[0-9]+"', value), value
    return value


# ── An integration on the generated client ────────────────────────────────────


def test_projects_are_listed_by_stage_page_by_page(generated, connect, cast):
    models = generated.models
    planning = [
        ProjectFactory(owner=cast.manager, name=name, stage=Stage.PLANNING)
        for name in ("Beta launch", "Alpha launch")
    ]
    ProjectFactory(name="Not theirs", stage=Stage.PLANNING)
    client = connect(cast.manager)
    projects_list = generated.api("projects", "projects_list")

    page = assert_parsed(
        projects_list.sync_detailed(
            client=client,
            stage=[models.ProjectsListStageItem.PLANNING],
            ordering="name",
            page_size=1,
            page=2,
        ),
        status=200,
        model=models.PaginatedProjectList,
    )
    assert page.count == 2 and page.next_ is None and page.previous is not None
    (project,) = page.results
    assert (project.id, project.name) == (planning[0].pk, "Beta launch")
    assert project.stage is models.ProjectStageEnum.PLANNING
    assert project.your_role is models.YourRoleEnum.MANAGER
    assert isinstance(project.updated_at, dt.datetime) and project.updated_at.utcoffset() == (
        dt.timedelta(0)
    )

    # Past the last page: a 404 in the one error body.
    gone = projects_list.sync_detailed(client=client, page=9)
    assert assert_parsed(gone, status=404, model=models.Error).code == "not_found"


def test_a_launch_is_planned_scheduled_and_guarded_by_its_etag(generated, connect, cast):
    models = generated.models
    channels = [
        ChannelFactory(owner=cast.manager, name=n, projects=[cast.project])
        for n in ("Newsletter", "Press")
    ]
    client = connect(cast.manager)
    day = timezone.localdate() + dt.timedelta(days=30)

    created = generated.api("launches", "launches_create").sync_detailed(
        client=client,
        body=models.LaunchCreateRequest(
            project=cast.project.pk,
            name="Spring campaign",
            local_date=day,
            local_time="09:30",
            time_zone="Europe/Berlin",
            channels=[c.pk for c in channels],
        ),
    )
    launch = assert_parsed(created, status=201, model=models.Launch)
    assert launch.status is models.LaunchStatusEnum.DRAFT
    assert (launch.local_date, launch.local_time, launch.time_zone) == (
        day,
        "09:30:00",
        "Europe/Berlin",
    )
    berlin = dt.datetime.combine(day, dt.time(9, 30), tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    assert launch.go_live == berlin and launch.go_live.utcoffset() == dt.timedelta(0)
    assert sorted(a.channel for a in launch.activations) == [c.pk for c in channels]
    assert {a.state for a in launch.activations} == {models.ActivationStateEnum.PENDING}
    assert etag(created) == f'"{launch.version}"'

    # A gate that must be ready before it goes live; preflight would hold it for it.
    gate = generated.api("readiness_gates", "readiness_gates_create").sync_detailed(
        client=client,
        body=models.ReadinessGateCreateRequest(
            launch=launch.id, title="Legal sign-off", owner=cast.manager.pk, required=True
        ),
    )
    assert assert_parsed(gate, status=201, model=models.ReadinessGate).status is (
        models.GateStatusEnum.PENDING
    )
    problems = generated.api("launches", "launches_readiness_list").sync_detailed(
        launch.id, client=client
    )
    assert problems.status_code == 200
    assert [(p.kind, p.subject, p.channel_id) for p in problems.parsed] == [
        (models.ProblemKindEnum.GATE, "Legal sign-off", None)
    ]
    read = generated.api("launches", "launches_retrieve").sync_detailed(launch.id, client=client)
    gated = assert_parsed(read, status=200, model=models.Launch)
    assert [(g.title, g.required) for g in gated.gates] == [("Legal sign-off", True)]
    first_read = etag(read)

    scheduled = generated.api("launches", "launches_schedule_create").sync_detailed(
        launch.id, client=client, if_match=first_read
    )
    # The answer says what preflight would hold it for, as …/readiness/ does.
    now = assert_parsed(scheduled, status=200, model=models.ScheduledLaunch)
    assert now.status is models.LaunchStatusEnum.SCHEDULED
    assert [(p.kind, p.subject) for p in now.problems] == [
        (models.ProblemKindEnum.GATE, "Legal sign-off")
    ]
    assert etag(scheduled) == f'"{now.version}"' != first_read

    # Another integration, still holding the first read, is told what changed meanwhile.
    stale = generated.api("launches", "launches_hold_create").sync_detailed(
        launch.id,
        client=client,
        body=models.HoldRequest(reason="Legal has not signed off"),
        if_match=first_read,
    )
    body = assert_parsed(stale, status=412, model=models.LaunchStale)
    assert body.code == "stale" and body.version == now.version
    assert body.current.status is models.LaunchStatusEnum.SCHEDULED
    assert body.current.hold_reason == ""
    assert etag(stale) == f'"{now.version}"'
    (change,) = body.changes
    assert change.by == str(cast.manager) and isinstance(change.at, dt.datetime)
    # The API's value, as the representation has it, and the page's label beside it.
    assert (change.fields["status"].after, change.fields["status"].after_label) == (
        "scheduled",
        "Scheduled",
    )

    # Without If-Match (empty: the generated function insists on the header) it is 428.
    unguarded = generated.api("launches", "launches_unschedule_create").sync_detailed(
        launch.id, client=client, if_match=""
    )
    assert assert_parsed(unguarded, status=428, model=models.Error).code == (
        "precondition_required"
    )


def test_a_task_is_created_changed_and_refused_at_its_field(generated, connect, cast):
    models = generated.models
    client = connect(cast.manager)
    due = timezone.localdate() + dt.timedelta(days=7)

    created = generated.api("tasks", "tasks_create").sync_detailed(
        client=client,
        body=models.TaskCreateRequest(
            project=cast.project.pk,
            title="Brief the agency",
            owner=cast.contributor.pk,
            due_date=due,
        ),
    )
    task = assert_parsed(created, status=201, model=models.Task)
    assert (task.owner, task.due_date, task.status) == (
        cast.contributor.pk,
        due,
        models.TaskStatusEnum.TODO,
    )
    assert task.completed_at is None and task.depends_on == []

    patch = generated.api("tasks", "tasks_partial_update")
    changed = patch.sync_detailed(
        task.id,
        client=client,
        body=models.PatchedTaskRequest(status=models.TaskStatusEnum.DOING, due_date=None),
        if_match=etag(created),
    )
    task = assert_parsed(changed, status=200, model=models.Task)
    assert (task.status, task.due_date, task.version) == (models.TaskStatusEnum.DOING, None, 2)

    # A rule of the service, named at its field; nothing saved.
    refused = patch.sync_detailed(
        task.id,
        client=client,
        body=models.PatchedTaskRequest(status=models.TaskStatusEnum.BLOCKED),
        if_match=etag(changed),
    )
    error = assert_parsed(refused, status=400, model=models.Error)
    assert error.code == "invalid" and error.message
    assert list(error.errors.additional_properties) == ["blocked_reason"]
    assert error.errors["blocked_reason"] == ["Say why the task is blocked."]
    assert Task.objects.get(pk=task.id).status == TaskStatus.DOING
    # A wrong type in the body, refused by name too.
    wrong = patch.sync_detailed(
        task.id,
        client=client,
        body=models.PatchedTaskRequest.from_dict({"depends_on": ["first"]}),
        if_match=etag(changed),
    )
    assert "depends_on" in assert_parsed(wrong, status=400, model=models.Error).errors

    # The new owner was told, and reads it through their own token.
    their_client = connect(cast.contributor)
    inbox = assert_parsed(
        generated.api("notifications", "notifications_list").sync_detailed(
            client=their_client, unread=True, project=cast.project.pk
        ),
        status=200,
        model=models.PaginatedNotificationList,
    )
    assert inbox.count == 1 and inbox.next_ is None
    (note,) = inbox.results
    assert note.kind is models.NotificationKindEnum.TASK_ASSIGNED
    assert note.project == cast.project.pk and note.read_at is None
    assert "Brief the agency" in note.title and note.link
    read = generated.api("notifications", "notifications_read_create").sync_detailed(
        note.id, client=their_client
    )
    note = assert_parsed(read, status=200, model=models.Notification)
    assert isinstance(note.read_at, dt.datetime)
    assert Notification.objects.get(pk=note.id).read_at is not None


def test_every_operation_is_generated_and_every_read_parses_into_its_model(
    generated, connect, cast
):
    """Every operation of the schema has its function; every GET, on a row of each
    resource (tests/api/walk.py), parses into its typed model."""
    assert "warning" not in generated.output.lower(), generated.output
    operations = [
        (operation["tags"][0], operation["operationId"])
        for path in generated.schema["paths"].values()
        for operation in path.values()
    ]
    assert len(operations) > 80
    for tag, operation_id in operations:
        module = generated.api(tag.replace("-", "_"), operation_id)
        assert callable(module.sync_detailed), operation_id
    # A row's id is an int; its 412 is one type per resource, not one per operation.
    patch = inspect.signature(generated.api("tasks", "tasks_partial_update").sync_detailed)
    assert patch.parameters["id"].annotation is int
    assert "TaskStale" in str(patch.return_annotation)
    assert not list(generated.root.glob("models/*_response_412*.py"))

    rows = api_rows(cast)
    retro = Retrospective.objects.get(pk=rows["retrospective"])
    retro.phase = Phase.DISCUSS  # the whole board, anonymous items and votes shown
    retro.save()
    items = [
        Item.objects.create(
            retrospective=retro, prompt=Prompt.WORKED, text="Briefs on time", author=cast.manager
        ),
        Item.objects.create(
            retrospective=retro, prompt=Prompt.NEEDS_WORK, text="Late assets", is_anonymous=True
        ),
    ]
    basenames = {prefix: basename for prefix, _, basename in router.registry}
    client = connect(cast.manager)
    read = []
    for path, methods in generated.schema["paths"].items():
        if "get" not in methods:
            continue
        operation = methods["get"]
        module = generated.api(operation["tags"][0].replace("-", "_"), operation["operationId"])
        if "{item_pk}" in path:
            calls = [{"retro_pk": retro.pk, "item_pk": item.pk} for item in items]
        elif "{id}" in path:
            calls = [{"id": rows[basenames[path.split("/")[3]]]}]
        else:
            calls = [{}]
        for kwargs in calls:
            answer = module.sync_detailed(client=client, **kwargs)
            parsed = assert_parsed(answer, status=200)
            assert not isinstance(parsed, generated.models.Error), path
            read.append(path)
    assert len(read) > 30
    # The board as data, and an anonymous item: without an author, and saying why.
    board = generated.api("retrospectives", "retrospectives_retrieve").sync_detailed(
        retro.pk, client=client
    )
    data = assert_parsed(board, status=200, model=generated.models.RetrospectiveData)
    cards = {card.items[0].text: card.items[0] for card in data.cards}
    assert cards["Late assets"].author is None and cards["Late assets"].anonymous
    assert cards["Briefs on time"].author == str(cast.manager)
    item = generated.api("retrospectives", "retrospectives_items_retrieve").sync_detailed(
        retro.pk, items[1].pk, client=client
    )
    anonymous = assert_parsed(item, status=200, model=generated.models.RetrospectiveItem)
    assert anonymous.author is None and anonymous.anonymous and anonymous.author_note

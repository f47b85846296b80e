"""The API core (synchrony/api/base.py): authentication, one error body, ETag/If-Match,
strict bodies and queries, pagination, throttling and the schema."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from rest_framework.exceptions import ValidationError

from synchrony.activity.models import ActivityEvent
from synchrony.api.services import token_create, token_revoke
from synchrony.planning.models import Task
from tests.api.conftest import Api, assert_error
from tests.conftest import client_for
from tests.factories import TaskFactory

ROOT = Path(__file__).resolve().parent.parent.parent


def task_url(task: Task) -> str:
    return f"/api/v1/tasks/{task.pk}/"


# ── Authentication ────────────────────────────────────────────────────────────


def test_an_anonymous_call_is_401_json_never_a_login_redirect(cast, api):
    task = TaskFactory(project=cast.project)
    for response in (
        api.anonymous.get("/api/v1/tasks/"),
        api.anonymous.get(task_url(task)),
        api.anonymous.post("/api/v1/tasks/", {"project": cast.project.pk, "title": "T"}),
        api.anonymous.patch(task_url(task), {"title": "T"}, if_match=1),
        api.anonymous.delete(task_url(task), if_match=1),
    ):
        body = assert_error(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"] == "Bearer"
        assert "Authorization: Bearer" in body["message"]
    assert Task.objects.get().title == task.title and Task.objects.count() == 1


def test_a_revoked_or_unknown_token_is_401(cast, api):
    api_token, token = token_create(actor=cast.manager, name="gone")
    assert Api(token).get("/api/v1/tasks/").status_code == 200
    token_revoke(actor=cast.manager, token=api_token)
    assert_error(Api(token).get("/api/v1/tasks/"), 401, "authentication_failed")
    assert_error(Api("syn_" + "x" * 40).get("/api/v1/tasks/"), 401, "authentication_failed")
    response = Client().get("/api/v1/tasks/", HTTP_AUTHORIZATION="Bearer two words")
    assert_error(response, 401, "authentication_failed")


def test_an_inactive_owner_makes_the_token_useless(cast, api):
    cast.manager.is_active = False
    cast.manager.save()
    assert_error(api.manager.get("/api/v1/projects/"), 401)


def test_a_session_reads_and_writes_with_its_csrf_token(cast):
    task = TaskFactory(project=cast.project, title="Draft")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.manager)
    session = Api(client=browser)
    assert session.get(task_url(task)).json()["title"] == "Draft"
    # No CSRF token: refused, as a form post would be.
    response = session.patch(task_url(task), {"title": "Hijack"}, if_match=1)
    assert_error(response, 403, "permission_denied")
    assert "CSRF" in response.json()["message"]
    browser.get("/settings/api-tokens/")  # a page with a form sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    response = session.patch(task_url(task), {"title": "Final"}, if_match=1, HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200, response.json()
    task.refresh_from_db()
    assert task.title == "Final"


def test_the_token_settings_page_shows_when_each_token_was_last_used(cast, api):
    page = client_for(cast.manager)
    assert "never" in page.get("/settings/api-tokens/").content.decode()
    api.manager.get("/api/v1/projects/")
    html = page.get("/settings/api-tokens/").content.decode()
    used = [t for t in cast.manager.api_tokens.all() if t.last_used_at]
    assert len(used) == 1
    assert f'datetime="{used[0].last_used_at.isoformat()}"' in html


# ── ETag, If-Match, 428, 412 ──────────────────────────────────────────────────


def test_the_representation_carries_its_version_as_etag(cast, api):
    task = TaskFactory(project=cast.project)
    response = api.manager.get(task_url(task))
    assert response["ETag"] == '"1"'
    response = api.manager.patch(task_url(task), {"title": "Two"}, if_match='"1"')
    assert response.status_code == 200 and response["ETag"] == '"2"'
    assert response.json()["version"] == 2
    # A weak ETag names the same version.
    response = api.manager.patch(task_url(task), {"title": "Three"}, if_match='W/"2"')
    assert response.status_code == 200 and response["ETag"] == '"3"'


def test_a_change_without_if_match_is_428_and_changes_nothing(cast, api):
    task = TaskFactory(project=cast.project, title="Same")
    for response in (
        api.manager.patch(task_url(task), {"title": "New"}),
        api.manager.put(task_url(task), {"title": "New"}),
        api.manager.delete(task_url(task)),
        api.manager.patch(task_url(task), {"title": "New"}, if_match="*"),
    ):
        body = assert_error(response, 428, "precondition_required")
        assert "If-Match" in body["message"]
    task.refresh_from_db()
    assert (task.title, task.version) == ("Same", 1)


def test_a_malformed_if_match_is_400_naming_the_header(cast, api):
    task = TaskFactory(project=cast.project)
    for value in ("1", '"abc"', '"1", "2"', '"-1"'):
        assert_error(
            api.manager.patch(task_url(task), {"title": "x"}, if_match=value),
            400,
            "invalid",
            "If-Match",
        )
    assert Task.objects.get().version == 1


def test_a_stale_change_is_412_with_the_current_representation_and_who_changed_it(cast, api):
    task = TaskFactory(project=cast.project, title="Draft", owner=cast.contributor)
    assert api.contributor.patch(task_url(task), {"title": "Final"}, if_match=1).status_code == 200
    response = api.manager.patch(task_url(task), {"status": "doing"}, if_match=1)
    body = assert_error(response, 412, "stale")
    assert response["ETag"] == '"2"'
    assert body["version"] == 2
    assert body["current"]["title"] == "Final" and body["current"]["status"] == "todo"
    assert body["changes"][0]["by"] == str(cast.contributor)
    assert body["changes"][0]["fields"]["title"] == {
        "label": "Title",
        "before": "Draft",
        "after": "Final",
        "before_label": "Draft",
        "after_label": "Final",
    }
    assert 'If-Match: "2"' in body["message"]
    task.refresh_from_db()
    assert (task.status, task.version) == ("todo", 2)
    # With the version it was told, the change goes through.
    assert api.manager.patch(task_url(task), {"status": "doing"}, if_match=2).status_code == 200


def test_a_412_says_what_changed_in_the_apis_values_beside_the_pages_labels(cast, api):
    """An integration writes `doing`, ids and ISO dates: it must be able to compare what
    changed with what it sent. The pages keep reading labels from the same record."""
    blocker = TaskFactory(project=cast.project, title="Brief")
    task = TaskFactory(project=cast.project, title="Draft", status="todo", owner=None)
    change = {
        "status": "doing",
        "owner": cast.contributor.pk,
        "depends_on": [blocker.pk],
        "due_date": "2026-03-01",
    }
    assert api.manager.patch(task_url(task), change, if_match=1).status_code == 200
    response = api.manager.patch(
        f"/api/v1/projects/{cast.project.pk}/", {"name": "Atlas 2"}, if_match=1
    )
    assert response.status_code == 200
    project_version = response.json()["version"]
    response = api.manager.post(
        f"/api/v1/projects/{cast.project.pk}/transition/",
        {"to_stage": "planning", "reason": "Plan agreed", "override": True},
        if_match=project_version,
    )
    assert response.status_code == 200, response.json()

    fields = assert_error(
        api.contributor.patch(task_url(task), {"title": "Mine"}, if_match=1), 412
    )["changes"][0]["fields"]
    assert fields["status"] == {
        "label": "Status",
        "before": "todo",
        "after": "doing",
        "before_label": "To do",
        "after_label": "Doing",
    }
    assert (fields["owner"]["before"], fields["owner"]["after"]) == (None, cast.contributor.pk)
    assert fields["owner"]["after_label"] == str(cast.contributor)
    assert (fields["depends_on"]["before"], fields["depends_on"]["after"]) == ([], [blocker.pk])
    assert (fields["due_date"]["before"], fields["due_date"]["after"]) == (None, "2026-03-01")
    # Values are what the representation has: a client can compare them with `current`.
    current = api.manager.get(task_url(task)).json()
    assert {name: fields[name]["after"] for name in change} == {
        name: current[name] for name in change
    }

    body = assert_error(
        api.manager.patch(f"/api/v1/projects/{cast.project.pk}/", {"name": "Old"}, if_match=1),
        412,
    )
    stage = body["changes"][-1]["fields"]["stage"]
    assert (stage["before"], stage["after"]) == ("development", "planning")
    assert (stage["before_label"], stage["after_label"]) == ("Development", "Planning")
    # The project's history page still reads labels.
    html = client_for(cast.manager).get(f"/projects/{cast.project.pk}/history/").content.decode()
    assert "<del>Development</del> → <ins>Planning</ins>" in html


def test_a_412_gives_null_values_for_a_change_recorded_before_values_were_kept(cast, api):
    task = TaskFactory(project=cast.project, title="Draft")
    assert api.manager.patch(task_url(task), {"title": "Final"}, if_match=1).status_code == 200
    event = ActivityEvent.objects.get(target_id=task.pk, verb="updated")
    event.changes = {"title": {"label": "Title", "before": "Draft", "after": "Final"}}
    event.save()
    body = assert_error(api.manager.patch(task_url(task), {"title": "x"}, if_match=1), 412)
    assert body["changes"][0]["fields"]["title"] == {
        "label": "Title",
        "before": None,
        "after": None,
        "before_label": "Draft",
        "after_label": "Final",
    }


def test_a_stale_delete_is_412_and_deletes_nothing(cast, api):
    task = TaskFactory(project=cast.project)
    api.manager.patch(task_url(task), {"title": "Moved on"}, if_match=1)
    assert_error(api.manager.delete(task_url(task), if_match=1), 412, "stale")
    assert Task.objects.filter(pk=task.pk).exists()
    assert api.manager.delete(task_url(task), if_match=2).status_code == 204
    assert not Task.objects.filter(pk=task.pk).exists()


def test_a_stale_version_is_refused_even_when_the_service_is_reached(cast, api):
    """The service re-checks the version under its row lock: a save that raced past
    the view's check is still refused (StaleEdit → 412)."""
    from synchrony.planning.api import TaskViewSet

    task = TaskFactory(project=cast.project)
    original = TaskViewSet.check_version
    TaskViewSet.check_version = lambda self, obj, version: None  # as if the race was lost
    try:
        Task.objects.filter(pk=task.pk).update(version=5)
        response = api.manager.patch(task_url(task), {"title": "Late"}, if_match=1)
    finally:
        TaskViewSet.check_version = original
    assert_error(response, 412, "stale")
    assert Task.objects.get().title == task.title


def test_creating_needs_no_if_match_and_answers_201_with_location_and_etag(cast, api):
    response = api.manager.post("/api/v1/tasks/", {"project": cast.project.pk, "title": "New"})
    assert response.status_code == 201
    task = Task.objects.get()
    assert response["Location"] == f"http://testserver/api/v1/tasks/{task.pk}/"
    assert response["ETag"] == '"1"'
    assert response.json()["created_by"] == cast.manager.pk


# ── Bodies: unknown fields, wrong types, size, media type ─────────────────────


def test_unknown_and_read_only_fields_are_refused_by_name(cast, api):
    task = TaskFactory(project=cast.project, title="Keep")
    body = assert_error(
        api.manager.patch(task_url(task), {"title": "x", "titel": "y", "version": 9}, if_match=1),
        400,
        "invalid",
    )
    assert body["errors"] == {
        "titel": ["Unknown field."],
        "version": ["Read-only: it cannot be set in this request."],
    }
    # A new project is its creator's; the project of a row never moves by an edit.
    response = api.manager.post("/api/v1/projects/", {"name": "P", "owner": cast.viewer.pk})
    assert_error(response, 400, "invalid", "owner")
    assert_error(
        api.manager.patch(task_url(task), {"project": 1}, if_match=1), 400, "invalid", "project"
    )
    assert Task.objects.get().title == "Keep"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", 42),
        ("title", ["a"]),
        ("title", None),
        ("title", "x" * 201),
        ("due_date", "2026-02-30"),
        ("due_date", "tomorrow"),
        ("due_date", "2026-01-01T10:00:00Z"),
        ("status", "exploded"),
        ("owner", "abc"),
        ("owner", 1.5),
        ("owner", True),
        ("owner", 2**70),
        ("owner", 424242),
        ("depends_on", "1"),
        ("depends_on", [{"id": 1}]),
        ("stage", "closed"),
    ],
)
def test_wrong_types_and_values_are_400_at_the_field_and_nothing_is_saved(cast, api, field, value):
    body = {"project": cast.project.pk, "title": "T", field: value}
    assert_error(api.manager.post("/api/v1/tasks/", body), 400, "invalid", field)
    assert not Task.objects.exists()
    assert not ActivityEvent.objects.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-02-30", "2026-02-30 is not a date: February 2026 has 28 days."),
        (
            "2026-13-01",
            "2026-13-01 is not a date: there is no month 13 (months run from 01 to 12).",
        ),
        # Written wrongly: the format is what to fix.
        ("30.02.2026", "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."),
    ],
)
def test_a_date_that_does_not_exist_is_refused_as_such_not_as_a_format(cast, api, value, message):
    task = TaskFactory(project=cast.project)
    for response in (
        api.manager.post(
            "/api/v1/tasks/", {"project": cast.project.pk, "title": "T", "due_date": value}
        ),
        api.manager.patch(task_url(task), {"due_date": value}, if_match=1),
        api.manager.patch(
            f"/api/v1/projects/{cast.project.pk}/", {"review_due": value}, if_match=1
        ),
        api.manager.post(
            "/api/v1/launches/",
            {
                "project": cast.project.pk,
                "name": "L",
                "local_date": value,
                "local_time": "09:00",
                "time_zone": "Europe/Berlin",
            },
        ),
    ):
        body = assert_error(response, 400, "invalid")
        assert list(body["errors"].values()) == [[message]], body
    assert Task.objects.get().version == 1


def test_a_wall_time_that_does_not_exist_is_refused_as_such(cast, api):
    body = {
        "project": cast.project.pk,
        "name": "L",
        "local_date": "2026-06-01",
        "local_time": "24:30",
        "time_zone": "Europe/Berlin",
    }
    response = api.manager.post("/api/v1/launches/", body)
    assert assert_error(response, 400, "invalid", "local_time")["errors"]["local_time"] == [
        "24:30 is not a time: there is no hour 24 (hours run from 00 to 23)."
    ]


def test_every_date_and_time_an_api_body_takes_is_the_cores():
    """One place says what is no date (synchrony/api/base.py): a field of a write body
    declared with DRF's own class would call February 30th a format error again."""
    import importlib

    from rest_framework import serializers

    from synchrony.api import base

    for app in ("activity", "launches", "planning", "projects", "reviews", "standups"):
        importlib.import_module(f"synchrony.{app}.api")
    ours = (base.DateField, base.DateTimeField, base.TimeField)
    theirs = (serializers.DateField, serializers.DateTimeField, serializers.TimeField)
    found = []

    def walk(field, path):
        if isinstance(field, serializers.ListSerializer | serializers.ListField):
            walk(field.child, f"{path}[]")
        elif isinstance(field, serializers.BaseSerializer):
            for name, inner in field.fields.items():
                walk(inner, f"{path}.{name}")
        elif isinstance(field, theirs) and not field.read_only:
            found.append(path)
            assert isinstance(field, ours), f"{path}: use synchrony.api.base.{type(field).__name__}"

    def bodies(cls):  # the core's write bodies: resources and action bodies
        for sub in cls.__subclasses__():
            yield sub
            yield from bodies(sub)

    for cls in {*bodies(base.ResourceSerializer), *bodies(base.StrictSerializer)}:
        walk(cls(), cls.__name__)
    assert {"TaskSerializer.due_date", "LaunchSerializer.local_time"} <= set(found)


def test_an_impossible_moment_is_refused_as_such(db):
    from synchrony.api.base import DateTimeField

    field = DateTimeField()
    with pytest.raises(ValidationError) as refused:
        field.run_validation("2026-02-30T10:00:00Z")
    assert refused.value.detail == [
        "2026-02-30T10:00:00Z is not a date and time: February 2026 has 28 days."
    ]
    with pytest.raises(ValidationError) as refused:
        field.run_validation("next week")
    assert "wrong format" in str(refused.value.detail[0])


@pytest.mark.parametrize(
    "raw",
    [
        "{",
        "[1, 2]",
        "null",
        "42",
        '"text"',
        '{"title": NaN}',
        b"\xff\xfe",
        '{"title": "\\ud800"}',
        "[" * 100_000 + "]" * 100_000,
        '{"title": ' + "[" * 5000 + "]" * 5000 + "}",
    ],
)
def test_malformed_bodies_are_400(cast, api, raw):
    response = api.manager.post("/api/v1/tasks/", raw)
    assert_error(response, 400)
    assert not Task.objects.exists()


def test_a_list_of_ids_is_bounded_before_any_is_looked_up(cast, api):
    body = {"project": cast.project.pk, "title": "T", "depends_on": list(range(1, 502))}
    response = api.manager.post("/api/v1/tasks/", body)
    assert_error(response, 400, "invalid", "depends_on")
    assert response.json()["errors"]["depends_on"] == ["At most 500 ids; got 501."]


def test_a_nul_in_text_is_refused_not_a_database_error(cast, api):
    response = api.manager.post("/api/v1/tasks/", {"project": cast.project.pk, "title": "a\x00b"})
    assert_error(response, 400, "invalid", "title")


def test_a_huge_body_is_413_before_it_is_read(cast, api, settings):
    settings.API_MAX_BODY_BYTES = 1000
    body = {"project": cast.project.pk, "title": "T", "description": "x" * 2000}
    response = api.manager.post("/api/v1/tasks/", body)
    assert_error(response, 413, "too_large")
    assert "at most 1,000" in response.json()["message"]
    assert not Task.objects.exists()


def test_a_body_over_the_site_wide_limit_is_refused_in_the_api_error_body(cast, api, settings):
    settings.MAX_REQUEST_BYTES = 100
    response = api.manager.post("/api/v1/tasks/", {"project": cast.project.pk, "title": "x" * 200})
    body = assert_error(response, 413, "too_large")
    assert re.fullmatch(
        r"This request body is 2\d\d bytes; at most 100 are accepted\.", body["message"]
    )
    # Pages keep their plain answer.
    page = client_for(cast.manager).post("/projects/new/", {"name": "x" * 200})
    assert page.status_code == 413 and page["Content-Type"].startswith("text/plain")
    assert "Split the file" in page.content.decode()
    assert not Task.objects.exists()


@pytest.mark.parametrize("size", [3_000_000, 30_000_000])
def test_every_layer_refuses_an_api_body_with_the_apis_message(cast, api, size):
    """3 MB is refused by the API's own check, 30 MB by the site-wide one in front of it
    (whose message is about the metrics files of the pages): the same answer for both."""
    task = TaskFactory(project=cast.project, title="Keep")
    response = api.manager.patch(
        task_url(task), {"title": "x"}, if_match=1, CONTENT_LENGTH=str(size)
    )
    body = assert_error(response, 413, "too_large")
    assert (
        body["message"] == f"This request body is {size:,} bytes; at most 2,500,000 are accepted."
    )
    assert Task.objects.get().title == "Keep"


@pytest.mark.parametrize("debug", [False, True])
def test_an_api_limit_above_djangos_upload_limit_is_refused_at_the_lower_one(
    cast, api, settings, debug
):
    """DRF reads a JSON body through DATA_UPLOAD_MAX_MEMORY_SIZE: a body the API's own limit
    lets through but that one does not was a 400 "could not be read" (an HTML page under
    DEBUG). settings.py keeps it at least API_MAX_BODY_BYTES; were it lower, the API says
    the limit that holds."""
    settings.API_MAX_BODY_BYTES = 10_000_000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    with override_settings(DEBUG=debug):
        response = api.manager.post(
            "/api/v1/tasks/", {"project": cast.project.pk, "title": "T", "description": "x" * 2000}
        )
    body = assert_error(response, 413, "too_large")
    assert body["message"].endswith("; at most 1,000 are accepted.")
    assert not Task.objects.exists()


def test_a_chunked_body_is_411_not_read_as_empty(cast, api):
    task = TaskFactory(project=cast.project, title="Before")
    response = api.manager.patch(
        f"/api/v1/tasks/{task.pk}/",
        {"title": "After"},
        if_match=task.version,
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
    )
    body = assert_error(response, 411, "length_required")
    assert "Content-Length" in body["message"]
    task.refresh_from_db()
    assert (task.title, task.version) == ("Before", 1)


@pytest.mark.django_db(transaction=True)
def test_the_asgi_server_refuses_chunked_and_oversized_bodies_before_reading_them(settings):
    """Through uvicorn, as `make run` and the Dockerfile serve: the wrapper answers from
    the headers, so a chunked body of any size is never spooled to disk."""
    import socket

    from tests.asgi_server import AsgiServer

    settings.MAX_REQUEST_BYTES = 1000
    server = AsgiServer()
    host, port = server.url.removeprefix("http://").split(":")

    def send(head: str, body: bytes = b"") -> tuple[int, str]:
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(head.encode() + b"\r\n" + body)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        status = int(answer.split(b" ", 2)[1])
        return status, answer.partition(b"\r\n\r\n")[2].decode()

    try:
        chunk = b"x" * 500
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(4)) + b"0\r\n\r\n"
        status, body = send(
            "PATCH /api/v1/tasks/1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            "Connection: close\r\n",
            chunked,
        )
        assert status == 411 and json.loads(body)["code"] == "length_required"
        status, body = send(
            "PATCH /api/v1/tasks/1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000\r\n"
            "Content-Type: application/json\r\nConnection: close\r\n"
        )
        assert status == 413 and json.loads(body) == {
            "code": "too_large",
            "message": "This request body is 5,000 bytes; at most 1,000 are accepted.",
            "errors": {},
        }
        status, body = send(
            "POST /projects/new/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000\r\n"
            "Connection: close\r\n"
        )
        assert status == 413 and "at most 0.001 MB" in body
    finally:
        server.stop()


def test_only_json_is_read_and_served(cast, api):
    response = api.manager.post(
        "/api/v1/tasks/", "title=T", content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 415, "unsupported_media_type")
    body = assert_error(api.manager.get("/api/v1/tasks/", HTTP_ACCEPT="text/html"), 406)
    assert "Accept: application/json" in body["message"]
    assert_error(api.manager.get("/api/v1/tasks/", {"format": "csv"}), 406, "not_acceptable")
    assert api.manager.get("/api/v1/tasks/", HTTP_ACCEPT="text/html, */*;q=0.1").status_code == 200
    assert not Task.objects.exists()


def test_errors_are_json_whatever_accept_says_and_406_only_replaces_a_success(cast, api, settings):
    """Accept: text/html (a browser, a misconfigured client) must not hide why a call
    fails: 406 was decided before everything, even before the 401 of a call without a
    token."""
    html = {"HTTP_ACCEPT": "text/html"}
    task = TaskFactory(project=cast.project, title="Keep")
    for response, status, code in (
        (api.anonymous.get("/api/v1/tasks/", **html), 401, "not_authenticated"),
        (api.anonymous.patch(task_url(task), {"title": "x"}, if_match=1, **html), 401, None),
        (Api("syn_" + "x" * 40).get(task_url(task), **html), 401, "authentication_failed"),
        (api.read_only.patch(task_url(task), {"title": "x"}, if_match=1, **html), 403, None),
        # Reads run: what they find wrong is said.
        (api.manager.get("/api/v1/tasks/424242/", **html), 404, "not_found"),
        (api.outsider.get(task_url(task), **html), 404, "not_found"),
        (api.manager.get("/api/v1/tasks/", {"ordering": "password"}, **html), 400, "invalid"),
        # A write that would succeed is not made: its answer could not be read.
        (api.manager.patch(task_url(task), {"title": "Lost"}, if_match=1, **html), 406, None),
        (api.manager.get(task_url(task), **html), 406, "not_acceptable"),
    ):
        assert_error(response, status, code)
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {"token": "1/minute", "user": "1000/minute"}
    settings.REST_FRAMEWORK = rest
    api_token, token = token_create(actor=cast.manager, name="busy")
    cache.delete(f"throttle_token_{api_token.pk}")
    assert Api(token).get("/api/v1/tasks/").status_code == 200
    assert_error(Api(token).get("/api/v1/tasks/", **html), 429, "throttled")
    cache.delete(f"throttle_token_{api_token.pk}")
    assert Task.objects.get().title == "Keep"


# ── Ids, lists, filters, ordering, pages ──────────────────────────────────────


@pytest.mark.parametrize("junk", ["abc", "0", "-1", "1.5", str(2**64), "%00", "1e3"])
def test_an_id_that_is_no_id_is_a_json_404(cast, api, junk):
    body = assert_error(api.manager.get(f"/api/v1/tasks/{junk}/"), 404, "not_found")
    assert body["message"] == "No such task."


@pytest.mark.parametrize("debug", [False, True])
def test_an_api_address_that_matches_nothing_is_a_json_404(cast, api, debug):
    """With DEBUG on (`make run`) too, where Django would answer its HTML technical 404."""
    anonymous = Api(client=Client(enforce_csrf_checks=True))
    with override_settings(DEBUG=debug):
        for response in (
            api.manager.get("/api/v1/no-such-thing/"),
            api.manager.get("/api/v1/"),
            api.manager.get("/api/"),
            api.manager.get("/api"),
            api.manager.post("/api/v1/no-such-thing/", {"title": "T"}),
            api.manager.patch("/api/v1/tasks/1/nope/", {"title": "T"}, if_match=1),
            anonymous.get("/api/v1/nope"),
            anonymous.post("/api/v1/nope/", {"title": "T"}),  # no CSRF token: still a 404
        ):
            body = assert_error(response, 404, "not_found")
            assert body["message"] == "No such address in the API; /api/docs/ lists them all."
        page = client_for(cast.manager).get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("debug", [False, True])
def test_an_api_address_without_its_trailing_slash_is_a_404_naming_the_right_one(cast, api, debug):
    """Never APPEND_SLASH's redirect, which clients follow as a GET (a POST that creates
    would list and answer 200), nor, under DEBUG, its 500 for a write."""
    task = TaskFactory(project=cast.project, title="Keep")
    with override_settings(DEBUG=debug):
        calls = [
            (f"/api/v1/tasks/{task.pk}/", api.manager.get(f"/api/v1/tasks/{task.pk}")),
            (
                f"/api/v1/tasks/{task.pk}/",
                api.manager.patch(f"/api/v1/tasks/{task.pk}", {"title": "Lost"}, if_match=1),
            ),
            (
                "/api/v1/tasks/",
                api.manager.post("/api/v1/tasks", {"project": cast.project.pk, "title": "New"}),
            ),
            ("/api/v1/tasks/?status=todo", api.manager.get("/api/v1/tasks", {"status": "todo"})),
            ("/api/v1/launches/", api.anonymous.post("/api/v1/launches", {})),
            ("/api/schema/", api.manager.get("/api/schema")),
        ]
    for address, response in calls:
        body = assert_error(response, 404, "not_found")
        assert body["message"] == f"API addresses end in a slash: {address}"
        assert not response.has_header("Location")
    assert list(Task.objects.values_list("title", "version")) == [("Keep", 1)]


def test_a_crash_under_api_answers_in_the_error_body(rf):
    from synchrony.api.errors import server_error

    response = server_error(rf.get("/api/v1/tasks/"))
    assert response.status_code == 500
    assert json.loads(response.content)["code"] == "server_error"
    assert server_error(rf.get("/projects/"))["Content-Type"].startswith("text/html")


def test_lists_are_paginated_and_page_size_is_bounded(cast, api):
    TaskFactory.create_batch(5, project=cast.project)
    page = api.manager.get("/api/v1/tasks/", {"page_size": 2, "page": 2}).json()
    assert page["count"] == 5 and len(page["results"]) == 2
    assert "page=3" in page["next"] and "page_size=2" in page["next"]
    assert_error(api.manager.get("/api/v1/tasks/", {"page_size": 201}), 400, "invalid", "page_size")
    assert_error(api.manager.get("/api/v1/tasks/", {"page_size": "x"}), 400, "invalid", "page_size")
    assert_error(api.manager.get("/api/v1/tasks/", {"page": "0"}), 400, "invalid", "page")
    assert_error(api.manager.get("/api/v1/tasks/", {"page": 9}), 404, "not_found")


def test_bad_filters_and_ordering_are_400_naming_the_parameter(cast, api):
    for params, name in (
        ({"due_from": "2026-13-01"}, "due_from"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"updated_since": "2026-01-01T00:00:00+25:00"}, "updated_since"),
        ({"updated_since": "9999-12-31T23:00:00-05:00"}, "updated_since"),
        ({"status": "exploded"}, "status"),
        ({"project": "abc"}, "project"),
        ({"project": str(2**64)}, "project"),
        ({"ordering": "password"}, "ordering"),
        ({"ordering": "title,-nope"}, "ordering"),
    ):
        body = assert_error(api.manager.get("/api/v1/tasks/", params), 400, "invalid", name)
        assert not body["message"].startswith("Not saved"), body


def test_a_moment_with_any_valid_offset_filters_as_utc(cast, api):
    """PostgreSQL takes offsets up to ±15:59; a query's moment is read as UTC first."""
    TaskFactory(project=cast.project)
    for since, count in (("2000-01-01T00:00:00-18:17", 1), ("3660-10-09T06:54:12+18:00", 0)):
        response = api.manager.get("/api/v1/tasks/", {"updated_since": since})
        assert response.status_code == 200 and response.json()["count"] == count, since


def test_ordering_by_an_offered_field(cast, api):
    TaskFactory(project=cast.project, title="B")
    TaskFactory(project=cast.project, title="A")
    rows = api.manager.get("/api/v1/tasks/", {"ordering": "-title"}).json()["results"]
    assert [r["title"] for r in rows] == ["B", "A"]


def test_times_are_utc_whatever_the_callers_zone(cast, api):
    assert cast.manager.time_zone == "Europe/Berlin"
    TaskFactory(project=cast.project)
    row = api.manager.get("/api/v1/tasks/").json()["results"][0]
    assert row["created_at"].endswith("Z")
    session = Api(client=client_for(cast.manager))
    assert session.get("/api/v1/tasks/").json()["results"][0]["created_at"] == row["created_at"]


# ── Throttling ────────────────────────────────────────────────────────────────


def test_a_token_over_its_rate_gets_429_with_retry_after(cast, api, settings):
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {"token": "3/minute", "user": "1000/minute"}
    settings.REST_FRAMEWORK = rest
    api_token, token = token_create(actor=cast.manager, name="busy")
    cache.delete(f"throttle_token_{api_token.pk}")
    client = Api(token)
    assert [client.get("/api/v1/tasks/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/v1/tasks/")
    body = assert_error(response, 429, "throttled")
    assert "throttled" in body["message"] and int(response["Retry-After"]) > 0
    # Another token of the same person has its own allowance.
    assert api.manager.get("/api/v1/tasks/").status_code == 200
    cache.delete(f"throttle_token_{api_token.pk}")


def test_a_user_over_the_rate_of_all_their_tokens_gets_429(cast, settings):
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {"token": "1000/minute", "user": "2/minute"}
    settings.REST_FRAMEWORK = rest
    cache.delete(f"throttle_user_{cast.viewer.pk}")
    first = Api(token_create(actor=cast.viewer, name="a")[1])
    second = Api(token_create(actor=cast.viewer, name="b")[1])
    assert first.get("/api/v1/projects/").status_code == 200
    assert second.get("/api/v1/projects/").status_code == 200
    assert_error(first.get("/api/v1/projects/"), 429, "throttled")
    cache.delete(f"throttle_user_{cast.viewer.pk}")


def test_a_malformed_rate_stops_start_up_naming_the_variable():
    from tests.test_settings import PROD, run

    result = run(["check"], **{**PROD, "API_THROTTLE_TOKEN": "fast"})
    assert result.returncode != 0 and "API_THROTTLE_TOKEN" in result.stderr
    assert run(["check"], **{**PROD, "API_THROTTLE_USER": "off"}).returncode == 0


# ── Schema and docs ───────────────────────────────────────────────────────────


def test_the_schema_validates_without_a_warning():
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            "/dev/null",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_is_public_and_describes_auth_errors_and_concurrency(db):
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["tokenAuth"]["scheme"] == "bearer"
    patch = schema["paths"]["/api/v1/tasks/{id}/"]["patch"]
    assert {p["name"]: p["required"] for p in patch["parameters"] if p["in"] == "header"} == {
        "If-Match": True
    }
    assert {"400", "401", "403", "404", "412", "428", "429"} <= set(patch["responses"])
    assert "ETag" in patch["responses"]["200"]["headers"]
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message", "errors"}
    assert schema["components"]["schemas"]["PatchedTaskRequest"]["additionalProperties"] is False
    # Only the core's resources: the ad-hoc endpoints are documented in the README.
    assert all(path.startswith("/api/v1/") for path in schema["paths"])
    # Every $ref points at a schema that is there, or generated clients break on it.
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(schema)))
    assert refs and refs <= set(schema["components"]["schemas"]), refs - set(
        schema["components"]["schemas"]
    )


def test_the_docs_page_loads_swagger_ui_from_our_static_files(db):
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "jsdelivr" not in html
    assert (ROOT / "static/vendor/swagger-ui/swagger-ui-bundle.js").exists()

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
from django.test import Client

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
    }
    assert 'If-Match: "2"' in body["message"]
    task.refresh_from_db()
    assert (task.status, task.version) == ("todo", 2)
    # With the version it was told, the change goes through.
    assert api.manager.patch(task_url(task), {"status": "doing"}, if_match=2).status_code == 200


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
    assert_error(response, 413, "too_large")
    # Pages keep their plain answer.
    page = client_for(cast.manager).post("/projects/new/", {"name": "x" * 200})
    assert page.status_code == 413 and page["Content-Type"].startswith("text/plain")
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
    assert_error(api.manager.get("/api/v1/tasks/", HTTP_ACCEPT="text/html"), 406)
    assert not Task.objects.exists()


# ── Ids, lists, filters, ordering, pages ──────────────────────────────────────


@pytest.mark.parametrize("junk", ["abc", "0", "-1", "1.5", str(2**64), "%00", "1e3"])
def test_an_id_that_is_no_id_is_a_json_404(cast, api, junk):
    body = assert_error(api.manager.get(f"/api/v1/tasks/{junk}/"), 404, "not_found")
    assert body["message"] == "No such task."


def test_an_api_address_that_matches_nothing_is_a_json_404(cast, api):
    for client in (api.manager, api.anonymous):
        body = assert_error(client.get("/api/v1/no-such-thing/"), 404, "not_found")
        assert "/api/docs/" in body["message"]
    page = client_for(cast.manager).get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


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

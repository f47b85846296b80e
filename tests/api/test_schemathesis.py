"""A property-based run of Schemathesis against the served OpenAPI schema (/api/schema/).

Every operation gets up to MAX_EXAMPLES generated requests (valid and invalid ones),
sent through the real WSGI application with a real token of a project's manager, on
seeded rows (tests/api/walk.py): about half of the generated ids and If-Match values
are swapped for a real row and its current version, so writes get past the 404 and 412
and reach the services. Each response must not be a 5xx and must conform to the schema
(status, content type, headers, body). Each write is also sent without credentials
first, and must be refused with 401, changing nothing; Schemathesis' own `ignored_auth`
check probes every accepted request without (and with wrong) credentials.

How many cases ran is printed at the end of the test session and kept in
var/schemathesis-cases.txt.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from synchrony.activity.models import ActivityEvent
from synchrony.api.pagination import parse_id
from synchrony.api.services import token_create
from synchrony.api.urls import router
from tests.api.walk import api_rows

MAX_EXAMPLES = 25
ROOT = Path(__file__).resolve().parent.parent.parent
REPORT = ROOT / "var" / "schemathesis-cases.txt"
CASES: Counter[str] = Counter()
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
]
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# URL prefix → (basename, model), from the router: a new resource is covered at once.
RESOURCES = {
    prefix: (basename, viewset.serializer_class.Meta.model)
    for prefix, viewset, basename in router.registry
}


# The schema as the app serves it (no database needed to build it).
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/",
    get_wsgi_application(),
    headers={"Accept": "application/vnd.oai.openapi+json"},
)
# The rows and token of the running test (each operation is a test of its own).
SEEDED: dict[str, Any] = {}


@pytest.fixture
def seeded(cast) -> dict[str, Any]:
    # Requests go through the plain WSGI handler, whose signals would close the test's
    # database connection (and its transaction) after each one; Django's test client
    # disconnects them the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # Thousands of refused requests are the point here, not news for the log.
    requests_log = logging.getLogger("django.request")
    level = requests_log.level
    requests_log.setLevel(logging.ERROR)
    SEEDED.clear()
    SEEDED.update(
        rows=api_rows(cast),
        project=cast.project.pk,
        token=token_create(actor=cast.manager, name="schemathesis")[1],
    )
    yield SEEDED
    SEEDED.clear()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    requests_log.setLevel(level)


@schema.hook
def flatmap_case(context: Any, case: Any) -> Any:
    """Sometimes a real row instead of a random id, its current version in If-Match, and
    the seeded project in a create body."""
    prefix = case.operation.path.removeprefix("/api/v1/").split("/", 1)[0]
    if prefix not in RESOURCES:
        return st.just(case)  # an endpoint outside the router: as generated
    basename, model = RESOURCES[prefix]

    def use(choices: tuple[bool, bool, bool]) -> Any:
        real_id, fresh, in_project = choices
        rows = SEEDED.get("rows", {})
        params = case.path_parameters
        if real_id and params and "id" in params and basename in rows:
            params["id"] = rows[basename]
        pk = parse_id(params.get("id")) if params else None
        if fresh and pk is not None and case.headers and "If-Match" in case.headers:
            version = model._default_manager.filter(pk=pk).values_list("version", flat=True)
            if version:
                case.headers["If-Match"] = f'"{version[0]}"'
        if in_project and isinstance(case.body, dict) and "project" in case.body:
            case.body["project"] = SEEDED.get("project")
        return case

    return st.tuples(st.booleans(), st.booleans(), st.booleans()).map(use)


STARTED: list[float] = []


@pytest.fixture(scope="module", autouse=True)
def _record_cases():
    yield
    total = sum(CASES.values())
    writes = sum(n for label, n in CASES.items() if label.split()[0] in UNSAFE)
    line = (
        f"Schemathesis: {total} generated cases over {len(CASES)} operations "
        f"({writes} writes, each also sent without credentials), at most {MAX_EXAMPLES} "
        f"per operation, in {time.monotonic() - (STARTED or [time.monotonic()])[0]:.0f} s."
    )
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(line + "\n" + "".join(f"{n:4d}  {op}\n" for op, n in sorted(CASES.items())))
    print("\n" + line)


# One test per operation, with ids of their own (so pytest-xdist tells them apart).
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_the_api_against_its_schema(operation, seeded):
    STARTED[:] = STARTED or [time.monotonic()]
    token = seeded["token"]

    @given(
        case=st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )
    )
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,  # no example database in the repository
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        CASES[operation.label] += 1
        if case.method in UNSAFE:
            # Every write a service makes is recorded as an activity event.
            before = ActivityEvent.objects.count()
            anonymous = case.call(headers={"Authorization": ""})
            assert anonymous.status_code == 401, (case.method, case.path, anonymous.status_code)
            assert ActivityEvent.objects.count() == before
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    check()

"""Bad input to every resource of the API: each writable field given a value of the wrong
kind, one at a time, on create and on edit. Every one is a 400 naming that field, in the
one error body, and nothing is saved (tests/api/walk.py lists the resources).

Who may write is not the question here (tests/api/test_permissions.py asks it): an admin
makes the calls, so that what answers is the validation.
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework import serializers

from synchrony.api.services import token_create
from synchrony.api.urls import router
from tests.api.conftest import Api, assert_error
from tests.api.walk import api_rows, create_bodies, routes
from tests.factories import UserFactory
from tests.test_permissions import snapshot

VIEWSETS = {basename: viewset for _, viewset, basename in router.registry}


def junk_for(field: serializers.Field) -> Any:
    """A value of the wrong kind for this field, or None when any JSON value could do."""
    kinds: list[tuple[type, Any]] = [
        (serializers.ManyRelatedField, "not a list"),
        (serializers.RelatedField, "abc"),
        (serializers.BooleanField, "maybe"),
        (serializers.ChoiceField, "no-such-choice"),
        (serializers.DateTimeField, "2026-02-30T10:00:00Z"),
        (serializers.DateField, "2026-02-30"),
        (serializers.TimeField, "25:61"),
        (serializers.DecimalField, "NaN"),
        (serializers.IntegerField, "abc"),
        (serializers.FloatField, "abc"),
        (serializers.ListField, "not a list"),
        (serializers.CharField, 42),
    ]
    for kind, value in kinds:
        if isinstance(field, kind):
            return value
    return None


def writable(serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    fields = serializer_class().fields
    return {
        name: junk
        for name, field in fields.items()
        if not field.read_only and (junk := junk_for(field)) is not None
    }


@pytest.fixture
def admin_api(cast) -> Api:
    admin = UserFactory(is_staff=True, is_superuser=True)
    return Api(token_create(actor=admin, name="admin")[1])


def test_every_field_of_every_create_refuses_a_value_of_the_wrong_kind(cast, admin_api):
    rows = api_rows(cast)
    bodies = create_bodies(cast)
    tried = 0
    for route in routes(rows):
        if not route.name.endswith("-list") or "post" not in route.methods:
            continue
        viewset = VIEWSETS[route.basename]
        body = bodies[route.basename]
        serializer_class = getattr(viewset, "create_serializer_class", None)
        serializer_class = serializer_class or viewset.serializer_class
        before = snapshot()
        for name, junk in writable(serializer_class).items():
            response = admin_api.post(route.url, {**body, name: junk})
            errors = assert_error(response, 400, "invalid")["errors"]
            assert any(key.split(".")[0] == name for key in errors), (route.url, name, errors)
            tried += 1
        assert snapshot() == before, route.url
    assert tried > 50


def test_every_field_of_every_edit_refuses_a_value_of_the_wrong_kind(cast, admin_api):
    rows = api_rows(cast)
    tried = 0
    for route in routes(rows):
        if not route.name.endswith("-detail") or "patch" not in route.methods:
            continue
        etag = admin_api.get(route.url).get("ETag")  # None: a row with no version
        before = snapshot()
        for name, junk in writable(VIEWSETS[route.basename].serializer_class).items():
            response = admin_api.patch(route.url, {name: junk}, if_match=etag)
            errors = assert_error(response, 400, "invalid")["errors"]
            assert any(key.split(".")[0] == name for key in errors), (route.url, name, errors)
            tried += 1
        assert snapshot() == before, route.url
        assert admin_api.get(route.url).get("ETag") == etag
    assert tried > 30


def test_unknown_fields_and_bodies_that_are_no_object_are_refused_everywhere(cast, admin_api):
    rows = api_rows(cast)
    bodies = create_bodies(cast)
    before = snapshot()
    for route in routes(rows):
        for method in ("post", "put", "patch"):
            if method not in route.methods:
                continue
            row = "/".join(route.url.split("/")[:5]) + "/"  # an action's row
            etag = admin_api.get(row).get("ETag") if route.detail else None
            base = bodies.get(route.basename, {}) if route.name.endswith("-list") else {}
            for body in ({**base, "no_such_field": 1}, [base], "text", 7):
                response = getattr(admin_api, method)(route.url, body, if_match=etag)
                assert 400 <= response.status_code < 500, (route.url, method, body)
                assert_error(response, response.status_code)
    assert snapshot() == before

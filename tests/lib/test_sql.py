from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from synchrony.launches.models import Launch
from synchrony.lib.sql import AnyOf, UtcTimestamp
from synchrony.projects.models import Project
from tests.factories import LaunchFactory, ProjectFactory


@pytest.mark.django_db
def test_any_of_finds_what_in_finds_with_one_parameter():
    projects = [ProjectFactory() for _ in range(5)]
    wanted = [p.pk for p in projects[1:4]] + [2147483647]  # an id that does not exist
    with CaptureQueriesContext(connection) as queries:
        found = sorted(Project.objects.filter(AnyOf("pk", wanted)).values_list("pk", flat=True))
    assert found == sorted(Project.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    assert found == [p.pk for p in projects[1:4]]
    sql = queries.captured_queries[0]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql and " IN (" not in sql


@pytest.mark.django_db
def test_any_of_nothing_reads_nothing():
    ProjectFactory()
    with CaptureQueriesContext(connection) as queries:
        assert list(Project.objects.filter(AnyOf("pk", []))) == []
    assert queries.captured_queries == []


@pytest.mark.django_db
def test_any_of_refuses_what_is_not_an_id():
    with pytest.raises((TypeError, ValueError)):
        list(Project.objects.filter(AnyOf("pk", ["1; DROP TABLE x"])))


@pytest.mark.django_db
def test_utc_timestamp_reads_the_same_moment_without_its_zone():
    moments = [
        dt.datetime(2026, 3, 29, 0, 30, 15, 123456, tzinfo=dt.UTC),  # the night Berlin springs
        dt.datetime(2026, 10, 25, 1, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")),
    ]
    launches = [LaunchFactory(go_live=moment) for moment in moments]
    rows = Launch.objects.filter(AnyOf("pk", [x.pk for x in launches])).order_by("pk")
    naive = list(rows.values_list(UtcTimestamp("go_live"), flat=True))
    assert [n.replace(tzinfo=dt.UTC) for n in naive] == moments
    assert [n.replace(tzinfo=dt.UTC) for n in naive] == list(rows.values_list("go_live", flat=True))

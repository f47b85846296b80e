from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from synchrony.lib.sql import AnyOf
from synchrony.projects.models import Project
from tests.factories import ProjectFactory


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

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from synchrony.activity.services import field_change
from synchrony.launches.api import LaunchSerializer
from synchrony.planning.api import BudgetLineSerializer
from tests.factories import BudgetLineFactory, LaunchFactory


def test_a_change_keeps_its_values_as_the_api_writes_them_beside_the_labels(db):
    """The API's 412 gives these values: they must read as the representation does."""
    line = BudgetLineFactory(planned=Decimal("10.5"))
    change = field_change(line, "planned", Decimal("1200"), Decimal("10.5"))
    assert (change["before_value"], change["after_value"]) == ("1200.00", "10.50")
    assert change["after_value"] == BudgetLineSerializer(line).data["planned"]
    assert (change["before"], change["after"]) == ("1,200.00", "10.50")

    launch = LaunchFactory()
    moment = dt.datetime(2026, 3, 1, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    change = field_change(launch, "go_live", None, moment)
    assert (change["before_value"], change["after_value"]) == (None, "2026-03-01T09:00:00Z")
    launch.go_live = moment
    with timezone.override(dt.UTC):  # as the API reads and writes every time
        assert change["after_value"] == LaunchSerializer(launch).data["go_live"]
    change = field_change(launch, "local_time", dt.time(9, 30), dt.time(10, 0))
    assert (change["before_value"], change["after_value"]) == ("09:30:00", "10:00:00")

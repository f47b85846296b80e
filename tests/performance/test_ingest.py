"""Checking and writing samples: every way in ends in the same rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from synchrony.performance.ingest import SamplesInvalid
from synchrony.performance.models import CustomMetric, MetricKind, MetricSample
from synchrony.performance.services import samples_ingest, samples_record


def rows(perf, **extra):
    day = (perf.today - dt.timedelta(days=1)).isoformat()
    base = {"channel": "Newsletter", "metric": "leads", "date": day, "value": "12"}
    return [{**base, **extra}]


def test_a_figure_is_saved_and_saving_it_again_changes_nothing(cast, perf):
    samples_record(actor=cast.manager, project=perf.project, rows=rows(perf))
    samples_record(actor=cast.manager, project=perf.project, rows=rows(perf))
    assert MetricSample.objects.count() == 1
    samples_record(actor=cast.manager, project=perf.project, rows=rows(perf, value="15"))
    sample = MetricSample.objects.get()
    assert sample.value == Decimal(15) and sample.source == "manual"
    assert sample.channel == perf.newsletter and sample.activation is None


def test_an_activation_and_its_channel_are_separate_samples(cast, perf):
    samples_record(
        actor=cast.manager,
        project=perf.project,
        rows=[*rows(perf), {**rows(perf)[0], "channel": "", "activation": perf.activation.pk}],
    )
    assert MetricSample.objects.count() == 2
    assert MetricSample.objects.filter(activation=perf.activation).get().channel == perf.newsletter


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"metric": "likes"}, "metric", "Unknown metric “likes”"),
        ({"channel": "Billboards"}, "channel", "not one of this project's channels"),
        ({"value": "-3"}, "value", "A count cannot be negative."),
        ({"value": "2.5"}, "value", "A count is a whole number."),
        ({"value": "NaN"}, "value", "out of range"),
        ({"value": "abc"}, "value", "is not a number"),
        ({"date": "2020-01-01"}, "date", "outside this project's measuring window"),
        ({"date": "2999-01-01"}, "date", "in the future"),
        ({"date": "31/01/2026"}, "date", "YYYY-MM-DD"),
        ({"activation": 999999}, "activation", "No activation"),
        ({"metric": "spend", "value": "-1"}, "value", "An amount cannot be negative."),
        ({"metric": "spend", "value": "1.234"}, "value", "two digits"),
        ({"source": "Bad Source!"}, "source", "lower-case"),
    ],
)
def test_bad_rows_are_refused_at_their_field_and_nothing_is_saved(
    cast, perf, change, field, message
):
    batch = [*rows(perf, metric="clicks"), *rows(perf, **change)]
    with pytest.raises(SamplesInvalid) as caught:
        samples_record(actor=cast.manager, project=perf.project, rows=batch)
    (error,) = caught.value.errors
    assert (error.row, error.field) == (2, field)
    assert message in error.message
    assert not MetricSample.objects.exists()


def test_a_row_repeated_in_a_batch_is_named(cast, perf):
    with pytest.raises(SamplesInvalid) as caught:
        samples_record(actor=cast.manager, project=perf.project, rows=rows(perf) * 2)
    assert caught.value.errors[0].message.startswith("Repeats row 1")


def test_custom_metrics_follow_their_kind(cast, perf):
    CustomMetric.objects.create(project=perf.project, key="nps", name="NPS", kind=MetricKind.LEVEL)
    samples_record(
        actor=cast.manager, project=perf.project, rows=rows(perf, metric="NPS", value="-12.5")
    )
    assert MetricSample.objects.get().value == Decimal("-12.50")


def test_a_batch_names_its_projects_and_roles_are_checked(cast, perf):
    batch = [{**rows(perf)[0], "project": perf.project.pk}]
    assert samples_ingest(actor=cast.contributor, rows=batch) == 1
    with pytest.raises(SamplesInvalid) as caught:
        samples_ingest(actor=cast.viewer, rows=batch)
    assert "does not allow" in caught.value.errors[0].message
    with pytest.raises(SamplesInvalid) as caught:
        samples_ingest(actor=cast.outsider, rows=batch)
    assert "No project" in caught.value.errors[0].message
    # The activation says which project.
    assert (
        samples_ingest(
            actor=cast.manager,
            rows=[{**rows(perf)[0], "channel": None, "activation": perf.activation.pk}],
        )
        == 1
    )

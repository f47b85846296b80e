"""The dashboard's figures: the trajectory rule, sums in the database, snapshots frozen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.urls import reverse

from synchrony.performance.models import Aggregation, CustomMetric, Trajectory
from synchrony.performance.selectors import goals_below_trajectory, report_figures
from synchrony.performance.services import (
    report_link_by_token,
    report_link_create,
    report_link_revoke,
    samples_record,
    snapshot_create,
    tracking_set,
)
from synchrony.performance.trajectory import classify
from tests.conftest import client_for
from tests.factories import BudgetLineFactory


def test_the_trajectory_rule():
    start, due = dt.date(2026, 1, 1), dt.date(2026, 1, 11)
    day = dt.date(2026, 1, 6)  # halfway: 100 → 200 expects 150
    args = {"baseline": Decimal(100), "target": Decimal(200), "start": start, "due": due}
    assert classify(**args, actual=Decimal(141), day=day)[0] == Trajectory.ON_TRACK  # 9 % behind
    assert classify(**args, actual=Decimal(130), day=day)[0] == Trajectory.AT_RISK  # 20 %
    assert classify(**args, actual=Decimal(120), day=day)[0] == Trajectory.OFF_TRACK  # 30 %
    assert classify(**args, actual=Decimal(200), day=day)[0] == Trajectory.ACHIEVED
    assert classify(**args, actual=None, day=day)[0] == Trajectory.NO_DATA
    # A goal that aims down (cost per lead 50 → 30): below the line is ahead.
    down = {"baseline": Decimal(50), "target": Decimal(30), "start": start, "due": due}
    assert classify(**down, actual=Decimal(41), day=day)[0] == Trajectory.ON_TRACK
    assert classify(**down, actual=Decimal(46), day=day)[0] == Trajectory.OFF_TRACK


def figures_for(perf, n_days):
    rows = []
    for n in range(1, n_days + 1):
        day = perf.today - dt.timedelta(days=n)
        for channel in ("Newsletter", "Google Ads"):
            for metric, value in (("leads", 3), ("spend", "10.50"), ("revenue", 40)):
                rows.append({"channel": channel, "metric": metric, "date": day, "value": value})
    return rows


def count_queries(client, url):
    """Counted by an execute wrapper: the request's start resets Django's query log."""
    seen = []
    with connection.execute_wrapper(
        lambda execute, sql, *args: seen.append(sql) or execute(sql, *args)
    ):
        assert client.get(url).status_code == 200
    return len(seen)


def test_the_dashboard_takes_the_same_queries_for_5_or_25_days_of_figures(cast, perf):
    client = client_for(cast.manager)
    url = reverse("performance:dashboard", args=[perf.project.pk])
    samples_record(actor=cast.manager, project=perf.project, rows=figures_for(perf, 5))
    few = count_queries(client, url)
    samples_record(actor=cast.manager, project=perf.project, rows=figures_for(perf, 25))
    many = count_queries(client, url)
    assert 5 <= few == many <= 20


def test_cost_per_lead_and_return_on_spend_use_budget_actuals(cast, perf):
    BudgetLineFactory(project=perf.project, planned=Decimal(500), actual=Decimal(79))
    samples_record(actor=cast.manager, project=perf.project, rows=figures_for(perf, 2))
    money = report_figures(perf.project)["money"]
    # Leads 12; spend 42.00 + budget actuals 79 = cost 121; revenue 160.
    assert money["cost"] == "121.00"
    assert money["cost_per_lead"] == "10.08"
    assert money["return_on_spend"] == "1.32"
    channels = {c["name"]: c for c in report_figures(perf.project)["channels"]}
    assert channels["Newsletter"]["cost_per_lead"] == "3.50"


def test_a_percentage_goal_and_the_standup_selector(cast, perf):
    for key in ("renewals", "renewals_due"):
        CustomMetric.objects.create(project=perf.project, key=key, name=key, kind="count")
    perf.goal.baseline, perf.goal.target, perf.goal.unit = Decimal(80), Decimal(90), "%"
    perf.goal.save()
    day = perf.today - dt.timedelta(days=1)
    rows = [
        {"channel": "Newsletter", "metric": "renewals_due", "date": day, "value": 100},
        {"channel": "Newsletter", "metric": "renewals", "date": day, "value": 81},
    ]
    samples_record(actor=cast.manager, project=perf.project, rows=rows)
    tracking_set(
        actor=cast.manager,
        goal=perf.goal,
        aggregation=Aggregation.RATIO,
        metric="renewals",
        denominator="renewals_due",
    )
    (below,) = goals_below_trajectory(perf.project)
    # Halfway from 80 to 90 expects 85; 81 is 40 % of the distance behind.
    assert (below["actual"], below["expected"], below["status"]) == ("81.00", "85.00", "off_track")


def test_a_snapshot_keeps_its_figures_and_its_link_dies_when_revoked(cast, perf):
    samples_record(actor=cast.manager, project=perf.project, rows=figures_for(perf, 3))
    snapshot = snapshot_create(actor=cast.manager, project=perf.project, as_of=perf.today)
    link, token = report_link_create(actor=cast.manager, project=perf.project, snapshot=snapshot)
    samples_record(actor=cast.manager, project=perf.project, rows=figures_for(perf, 6))
    shared = client_for(cast.outsider).get(reverse("performance:shared", args=[token]))
    anonymous = (
        client_for(cast.outsider).__class__().get(reverse("performance:shared", args=[token]))
    )
    for response in (shared, anonymous):
        assert response.status_code == 200
        assert response.context["figures"]["totals"]["leads"] == "18.00"  # not 36
    csv = client_for(cast.viewer).get(reverse("performance:snapshot-csv", args=[snapshot.pk]))
    assert "Qualified leads" in csv.content.decode()
    report_link_revoke(actor=cast.manager, link=link)
    assert report_link_by_token(token) is None
    gone = client_for(cast.viewer).__class__().get(reverse("performance:shared", args=[token]))
    assert gone.status_code == 404 and "Atlas" not in gone.content.decode()


def test_the_dashboard_loads_each_charts_data_table_when_it_is_opened(cast, perf):
    samples_record(actor=cast.manager, project=perf.project, rows=figures_for(perf, 3))
    client = client_for(cast.viewer)
    tables = reverse("performance:tables", args=[perf.project.pk])
    page = client.get(reverse("performance:dashboard", args=[perf.project.pk])).content.decode()
    # Under each chart: a <details> that fetches its table, with a link for no JavaScript.
    assert f'hx-get="{tables}?table=trend-leads" hx-trigger="toggle once"' in page
    assert f'href="{tables}#trend-leads"' in page
    assert f'hx-get="{tables}?table=goal-{perf.goal.pk}"' in page
    assert "<tbody>" not in page.split('id="trend-title"')[1]  # no rows in the page
    one = client.get(f"{tables}?table=trend-leads", headers={"HX-Request": "true"})
    assert one.status_code == 200 and "HX-Request" in one["Vary"]
    body = one.content.decode()
    assert body.startswith("<table") and body.count("<tr>") == 4  # a header and 3 days
    day = (perf.today - dt.timedelta(days=1)).isoformat()
    assert f'<tr><td>{day}</td><td class="num">6</td></tr>' in body  # 3 leads x 2 channels
    missing = client.get(f"{tables}?table=trend-nothing", headers={"HX-Request": "true"})
    assert missing.status_code == 404
    # Without htmx: a page of every table, one anchor per chart.
    full = client.get(tables).content.decode()
    for anchor in ("trend-leads", "trend-spend", "trend-revenue", f"goal-{perf.goal.pk}"):
        assert f'id="{anchor}"' in full
    assert client_for(cast.outsider).get(tables).status_code == 404


def test_the_report_keeps_its_data_tables_in_the_page_for_printing(cast, perf):
    samples_record(actor=cast.manager, project=perf.project, rows=figures_for(perf, 3))
    page = client_for(cast.viewer).get(reverse("performance:report", args=[perf.project.pk]))
    html = page.content.decode()
    assert 'hx-trigger="toggle once"' not in html
    assert html.count('<td class="num">6</td>') >= 3

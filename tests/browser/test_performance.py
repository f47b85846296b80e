"""Performance in the browser: a CSV with errors, fixed, imported; the goal falls off its
line and the manager is told; a frozen snapshot shared with someone without a login."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from synchrony.activity.models import Notification
from synchrony.performance.services import samples_record
from tests.browser.conftest import assert_accessible, shot
from tests.performance.conftest import perf  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def csv_file(name: str, lines: list[str]) -> dict:
    text = "date;channel;metric;value\n" + "\n".join(lines) + "\n"
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}


def test_upload_fix_import_alert_and_share_a_frozen_snapshot(
    live_server,
    page_for,
    new_context,
    cast,
    perf,  # noqa: F811
    celery_worker_thread,
):
    day = (perf.today - dt.timedelta(days=2)).isoformat()
    earlier = (perf.today - dt.timedelta(days=3)).isoformat()
    page = page_for(cast.manager)
    base = f"{live_server.url}/projects/{perf.project.pk}"

    page.goto(f"{base}/performance/")
    goal = page.get_by_test_id(f"goal-{perf.goal.pk}")
    expect(goal.get_by_test_id("trajectory")).to_have_text("No data yet")

    # A file with mistakes: every one is named, by line and column; nothing is saved.
    page.goto(f"{base}/performance/data/")
    page.set_input_files(
        "#id_file",
        csv_file(
            "leads.csv",
            [
                f"{day};Newsletter;leads;30",
                f"{day};Billboards;leads;5",
                f"{earlier};Google Ads;leads;-2",
                f"{earlier};Google Ads;spend;120,50",
            ],
        ),
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_test_id("import-errors")).to_be_visible()
    table = page.get_by_test_id("error-table")
    expect(table).to_contain_text("“Billboards” is not one of this project's channels.")
    expect(table).to_contain_text("A count cannot be negative.")
    shot(page, "performance-import-errors")
    assert_accessible(page, "the import errors page")

    # Fixed: previewed, then imported in one go.
    page.set_input_files(
        "#id_file",
        csv_file(
            "leads-fixed.csv",
            [
                f"{day};Newsletter;leads;30",
                f"{day};Google Ads;leads;5",
                f"{earlier};Google Ads;leads;15",
                f"{earlier};Google Ads;spend;120,50",
            ],
        ),
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_test_id("import-rows")).to_have_text("4")
    expect(page.get_by_test_id("import-status")).to_contain_text(
        "Nothing is saved until you import"
    )
    shot(page, "performance-import-preview")
    page.get_by_role("button", name="Import 4 rows").click()
    expect(page.get_by_test_id("import-status")).to_contain_text("Imported 4 figures")

    # 50 leads on top of the baseline of 100, halfway to 400: well behind the line.
    celery_worker_thread.wait_for(
        lambda: Notification.objects.filter(recipient=cast.manager, kind="goal_off_track").exists()
    )
    page.goto(f"{base}/performance/")
    expect(goal.get_by_test_id("trajectory")).to_have_text("Off track")
    expect(goal.get_by_test_id("actual")).to_have_text("150 leads")
    expect(page.get_by_test_id("cost-per-lead")).to_contain_text("2.41")
    expect(page.get_by_test_id("unread-count")).to_be_visible()
    shot(page, "performance-dashboard")
    assert_accessible(page, "the performance dashboard")
    # A chart's data table loads when its <details> is opened.
    table = goal.locator("details.data-table")
    table.locator("summary").click()
    expect(table.locator("table tbody tr")).not_to_have_count(0)
    expect(table.locator("table")).to_contain_text("150")
    page.goto(f"{live_server.url}/notifications/")
    expect(page.locator("main")).to_contain_text(
        "Goal “Qualified leads” of Atlas launch is off track"
    )

    # A snapshot of today, shared by a read-only link.
    page.goto(f"{base}/report/")
    page.get_by_role("button", name="Freeze a snapshot").click()
    expect(page.get_by_test_id("report-as-of")).to_contain_text("Snapshot")
    snapshot_url = page.url
    page.get_by_role("button", name="Create a read-only link").click()
    link = page.get_by_test_id("new-link").input_value()
    shot(page, "performance-snapshot")
    assert_accessible(page, "a snapshot")

    visitor = new_context().new_page()
    visitor.goto(link)
    expect(visitor.get_by_test_id(f"goal-{perf.goal.pk}").get_by_test_id("actual")).to_have_text(
        "150 leads"
    )
    expect(visitor.get_by_role("link", name="Log out")).to_have_count(0)
    shot(visitor, "performance-shared-snapshot")

    # Later figures do not change a frozen snapshot.
    samples_record(
        actor=cast.manager,
        project=perf.project,
        rows=[{"channel": "Newsletter", "metric": "leads", "date": perf.today, "value": 200}],
    )
    visitor.reload()
    expect(visitor.get_by_test_id(f"goal-{perf.goal.pk}").get_by_test_id("actual")).to_have_text(
        "150 leads"
    )

    # Revoked: the link leads nowhere.
    page.goto(snapshot_url)
    page.get_by_role("button", name="Revoke").click()
    shot(page, "performance-revoked")
    expect(page.get_by_role("cell", name="Revoked")).to_be_visible()
    response = visitor.goto(link)
    assert response is not None and response.status == 404
    assert "Atlas" not in visitor.content()

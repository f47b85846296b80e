"""Metrics in through the pages: CSV preview, all-or-nothing import, manual entry, limits."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from synchrony.activity.models import Notification
from synchrony.performance.models import ImportStatus, MetricImport, MetricSample
from synchrony.performance.tasks import evaluate_project_goals
from tests.conftest import client_for


def csv_bytes(perf, lines, *, delimiter=",", encoding="utf-8", header="date,channel,metric,value"):
    text = "\n".join([header.replace(",", delimiter), *[delimiter.join(line) for line in lines]])
    return text.encode(encoding)


def day(perf, back=1):
    return (perf.today - dt.timedelta(days=back)).isoformat()


def upload(client, perf, data, name="figures.csv", source="crm"):
    return client.post(
        reverse("performance:upload", args=[perf.project.pk]),
        {"file": SimpleUploadedFile(name, data, content_type="text/csv"), "source": source},
    )


def test_a_file_with_errors_shows_them_row_by_row_and_saves_nothing(cast, perf):
    client = client_for(cast.contributor)
    data = csv_bytes(
        perf,
        [
            [day(perf), "Newsletter", "leads", "10"],
            [day(perf), "Billboards", "leads", "10"],
            [day(perf), "Newsletter", "likes", "-1"],
            [day(perf), "Newsletter", "leads", "12"],
        ],
    )
    response = upload(client, perf, data)
    assert response.status_code == 422
    body = response.content.decode()
    assert "3 problems, nothing saved" in body
    assert "“Billboards” is not one of this project" in body and "Unknown metric" in body
    assert "Repeats row 2" in body  # line numbers count the header
    assert not MetricImport.objects.exists() and not MetricSample.objects.exists()


def test_a_clean_file_is_previewed_then_imported_once(cast, perf):
    client = client_for(cast.contributor)
    data = csv_bytes(
        perf,
        [[day(perf, n), "Newsletter", "leads", "20"] for n in range(1, 6)]
        + [[day(perf), "Google Ads", "spend", "99.50"]],
    )
    response = upload(client, perf, data)
    assert response.status_code == 302
    imp = MetricImport.objects.get()
    assert (imp.status, imp.rows, imp.source, imp.created_by) == (
        "ready",
        6,
        "crm",
        cast.contributor,
    )
    assert not MetricSample.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "Import 6 rows" in page and "Nothing is saved until you import" in page
    confirm = reverse("performance:import-confirm", args=[imp.pk])
    assert client.post(confirm).status_code == 302
    imp.refresh_from_db()
    assert imp.status == ImportStatus.DONE and imp.content == b""
    assert MetricSample.objects.filter(metric_import=imp, source="crm").count() == 6
    # A second confirmation imports nothing twice.
    client.post(confirm)
    assert MetricSample.objects.count() == 6


def test_encodings_and_delimiters_are_detected(cast, perf):
    client = client_for(cast.manager)
    perf.newsletter.name = "Café news"
    perf.newsletter.save()
    cases = [
        ("utf-8-sig", ";", "12,5"),
        ("latin-1", "\t", "7"),
        ("utf-8", ",", "3"),
    ]
    for n, (encoding, delimiter, value) in enumerate(cases, start=1):
        data = csv_bytes(
            perf,
            [[day(perf, n), "Café news", "spend", value]],
            delimiter=delimiter,
            encoding=encoding,
        )
        response = upload(client, perf, data, name=f"f{n}.csv")
        assert response.status_code == 302, response.content.decode()[:3000]
    imports = list(MetricImport.objects.order_by("pk"))
    assert [(i.encoding, i.delimiter) for i in imports] == [
        ("utf-8-sig", ";"),
        ("windows-1252", "\t"),
        ("utf-8", ","),
    ]
    assert imports[0].summary["metrics"] == [["spend", "12.50"]]


def test_a_file_without_the_columns_is_refused_as_a_whole(cast, perf):
    response = upload(client_for(cast.manager), perf, b"when;what\n2026-01-01;5\n")
    assert response.status_code == 422
    assert "Missing column(s): date, metric, value" in response.content.decode()


@override_settings(METRICS_UPLOAD_MAX_BYTES=1000, MAX_REQUEST_BYTES=2000)
def test_a_too_large_upload_is_refused_before_it_is_read(cast, perf):
    client = client_for(cast.manager)
    # Over the request limit: the middleware answers from Content-Length alone.
    response = upload(client, perf, b"x" * 5000)
    assert response.status_code == 413
    assert "at most 0.002 MB is accepted" in response.content.decode()
    # Over the file limit but within the request: the view says so from the file's size.
    response = upload(client, perf, b"x" * 1500)
    assert response.status_code == 413
    assert "files up to 0.001 MB are accepted" in response.content.decode()
    assert not MetricImport.objects.exists()


def test_a_manual_figure_is_saved_or_refused_at_its_field(cast, perf):
    client = client_for(cast.contributor)
    url = reverse("performance:sample-create", args=[perf.project.pk])
    data = {
        "channel": f"c{perf.newsletter.pk}",
        "metric": "leads",
        "date": day(perf),
        "value": "-4",
    }
    response = client.post(url, data)
    assert response.status_code == 422
    assert "A count cannot be negative." in response.content.decode()
    assert client.post(url, {**data, "value": "4"}).status_code == 302
    assert MetricSample.objects.get().value == 4


def test_an_import_moves_a_goal_off_track_and_tells_the_managers(
    cast, perf, django_capture_on_commit_callbacks
):
    client = client_for(cast.contributor)
    data = csv_bytes(perf, [[day(perf), "Newsletter", "leads", "5"]])
    upload(client, perf, data)
    imp = MetricImport.objects.get()
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("performance:import-confirm", args=[imp.pk]))
    assert callbacks  # the evaluation is enqueued after the import commits; run it here
    evaluate_project_goals(perf.project.pk)
    evaluate_project_goals(perf.project.pk)  # twice: tells once
    note = Notification.objects.get(recipient=cast.manager, kind="goal_off_track")
    assert "is off track" in note.title
    assert not Notification.objects.filter(recipient=cast.viewer, kind="goal_off_track").exists()


def test_pages_render_for_a_viewer(cast, perf):
    client = client_for(cast.viewer)
    for name in ("dashboard", "data", "report"):
        response = client.get(reverse(f"performance:{name}", args=[perf.project.pk]))
        assert response.status_code == 200
        assert "Check the file" not in response.content.decode()

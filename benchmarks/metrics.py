"""`make bench-metrics`: issue 6's speed figures, into benchmarks/results/metrics.{md,json}.

    python -m benchmarks.metrics [--samples 1000000] [--runs 30]

1. API: 1,000,000 samples POSTed to /api/v1/metrics/samples/ in batches of 10,000
   (in-process, django.test.Client, a personal token), samples per second, the process's
   resident memory after every batch (it must not grow with the batch count).
2. The project dashboard with those samples in the database: p50/p95 of 30 runs after
   3 warm-ups, beside a floor (one SQL query summing the project's samples per metric,
   json.dumps'ed), alternating run by run.
3. CSV: the same number of samples again, for 50 other projects, through the import
   service (check → preview stored → confirm → import, all or nothing) in files of
   100,000 rows; samples per second and memory per file.

Its own database (synchrony_bench_metrics, made fresh each run) and Redis database 9,
production settings; BENCH_METRICS_DATABASE_URL / BENCH_METRICS_REDIS_URL point it
elsewhere. Not a test: a missed target is reported, not failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from unittest import mock

from benchmarks import run
from benchmarks.run import RESULTS, log
from synchrony.lib.stats import percentile

DATABASE_URL = os.environ.get(
    "BENCH_METRICS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/synchrony_bench_metrics"
)
REDIS_URL = os.environ.get("BENCH_METRICS_REDIS_URL", "redis://127.0.0.1:6379/9")
TARGET_DASHBOARD_P95_MS = 200
PROJECTS = 50
CHANNELS_PER_PROJECT = 5
METRICS = ["impressions", "clicks", "leads", "conversions", "spend", "revenue"]
SOURCES = ["api", "ads"]
BATCH = 10_000
CSV_ROWS_PER_FILE = 100_000


def configure() -> None:
    run.configure()
    os.environ.update({"DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL})


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def make_world(days: int) -> dict[str, Any]:
    from decimal import Decimal

    from django.utils import timezone

    from synchrony.accounts.models import User
    from synchrony.api.services import token_create
    from synchrony.launches.models import Channel
    from synchrony.projects.models import Goal, Membership, Project, Role

    today = timezone.localdate()
    manager = User.objects.create_user("bench-manager", "m@example.com", "x" * 20)
    channels = [Channel.objects.create(name=f"Channel {i:02d}", owner=manager) for i in range(25)]
    projects = []
    for i in range(PROJECTS * 2):
        project = Project.objects.create(
            name=f"Project {i:03d}",
            owner=manager,
            stage="performance",
            promotion_start=today - dt.timedelta(days=days),
            promotion_end=today + dt.timedelta(days=30),
        )
        Membership.objects.create(project=project, user=manager, role=Role.MANAGER)
        mine = [channels[(i + k) % len(channels)] for k in range(CHANNELS_PER_PROJECT)]
        project.channels.set(mine)
        Goal.objects.create(
            project=project,
            metric="Leads",
            baseline=Decimal(0),
            target=Decimal(2_000_000),
            due_date=today + dt.timedelta(days=30),
        )
        projects.append((project, mine))
    _, token = token_create(actor=manager, name="bench")
    return {"manager": manager, "projects": projects, "token": token, "today": today}


def sample_rows(world: dict[str, Any], projects: list, total: int, days: int):
    """Samples in order: project, source, channel, metric, day — a batch is one slice."""
    today = world["today"]
    n = 0
    for project, channels in projects:
        for source in SOURCES:
            for channel in channels:
                for metric in METRICS:
                    for d in range(days):
                        if n >= total:
                            return
                        n += 1
                        value = (n * 7919) % 500 + (0.5 if metric in ("spend", "revenue") else 0)
                        yield (
                            project,
                            channel,
                            metric,
                            today - dt.timedelta(days=d + 1),
                            source,
                            value,
                        )


def bench_api(world: dict[str, Any], total: int, days: int) -> dict[str, Any]:
    from django.test import Client

    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {world['token']}"}
    projects = world["projects"][:PROJECTS]
    batch: list[dict[str, Any]] = []
    timings, memory = [], []
    saved = 0
    t_all = time.perf_counter()

    def send() -> None:
        nonlocal saved
        body = json.dumps({"samples": batch})
        t0 = time.perf_counter()
        response = client.post(
            "/api/v1/metrics/samples/", body, content_type="application/json", **headers
        )
        timings.append(time.perf_counter() - t0)
        if response.status_code != 200:
            raise SystemExit(
                f"API batch refused: {response.status_code} {response.content[:500]!r}"
            )
        saved += response.json()["saved"]
        memory.append(rss_mb()[0])
        if len(timings) % 10 == 0:
            log(f"  API: {saved:,} samples, {len(timings)} batches, RSS {memory[-1]:.0f} MB")

    for project, channel, metric, day, source, value in sample_rows(world, projects, total, days):
        batch.append(
            {
                "project": project.pk,
                "channel": channel.pk,
                "metric": metric,
                "date": day.isoformat(),
                "value": value,
                "source": source,
            }
        )
        if len(batch) == BATCH:
            send()
            batch = []
    if batch:
        send()
    wall = time.perf_counter() - t_all
    server = sum(timings)
    return {
        "samples": saved,
        "batches": len(timings),
        "wall_seconds": round(wall, 1),
        "request_seconds": round(server, 1),
        "samples_per_second_requests": round(saved / server),
        "samples_per_second_wall": round(saved / wall),
        "batch_p50_ms": round(percentile(timings, 0.5) * 1000),
        "batch_p95_ms": round(percentile(timings, 0.95) * 1000),
        "rss_mb_after_batch": {
            "1": round(memory[0]),
            "10": round(memory[min(9, len(memory) - 1)]),
            "50": round(memory[min(49, len(memory) - 1)]),
            "last": round(memory[-1]),
        },
        "peak_rss_mb": round(rss_mb()[1]),
    }


def bench_csv(world: dict[str, Any], total: int, days: int) -> dict[str, Any]:
    from synchrony.performance import services
    from synchrony.performance.models import ImportStatus

    projects = world["projects"][PROJECTS:]
    timings, memory, files = [], [], 0
    saved = 0

    def flush(project: Any, lines: list[str]) -> None:
        nonlocal saved, files
        data = ("date,channel,metric,value,source\n" + "\n".join(lines)).encode()
        t0 = time.perf_counter()
        imp, _ = services.import_check(
            actor=world["manager"],
            project=project,
            file_name=f"f{files}.csv",
            data=data,
            source="csv",
        )
        # The confirmation hands big files to a worker; the bench runs the same service here.
        with mock.patch.object(services, "INLINE_IMPORT_ROWS", 10**9):
            imp = services.import_confirm(actor=world["manager"], metric_import=imp)
        timings.append(time.perf_counter() - t0)
        if imp.status != ImportStatus.DONE:
            raise SystemExit(f"CSV import failed: {imp.error}")
        saved += imp.rows
        files += 1
        memory.append(rss_mb()[0])
        log(f"  CSV: {saved:,} samples, {files} files, RSS {memory[-1]:.0f} MB")

    current = None
    lines: list[str] = []
    for project, channel, metric, day, source, value in sample_rows(world, projects, total, days):
        if current is not None and (project.pk != current.pk or len(lines) >= CSV_ROWS_PER_FILE):
            flush(current, lines)
            lines = []
        current = project
        lines.append(f"{day.isoformat()},{channel.name},{metric},{value},{source}")
    if lines:
        flush(current, lines)
    seconds = sum(timings)
    return {
        "samples": saved,
        "files": files,
        "seconds": round(seconds, 1),
        "samples_per_second": round(saved / seconds),
        "file_p50_seconds": round(percentile(timings, 0.5), 2),
        "rss_mb_after_file": {"1": round(memory[0]), "last": round(memory[-1])},
        "peak_rss_mb": round(rss_mb()[1]),
    }


def bench_dashboard(world: dict[str, Any], runs: int, warmup: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client

    from synchrony.performance.models import MetricSample

    project = world["projects"][0][0]
    client = Client()
    client.force_login(world["manager"])
    url = f"/projects/{project.pk}/performance/"
    floor_sql = (
        "SELECT metric, SUM(value) FROM performance_metricsample "
        "WHERE project_id = %s GROUP BY metric"
    )

    def page() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    def floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute(floor_sql, [project.pk])
            json.dumps([[m, str(v)] for m, v in cursor.fetchall()])

    for _ in range(warmup):
        page()
        floor()
    queries: list[str] = []  # an execute wrapper: each request's start resets the query log
    with connection.execute_wrapper(
        lambda execute, sql, *a: queries.append(sql) or execute(sql, *a)
    ):
        page()
    gc.collect()
    gc.freeze()
    pages, floors = [], []
    for _ in range(runs):
        for fn, out in ((page, pages), (floor, floors)):
            t0 = time.perf_counter()
            fn()
            gc.collect()
            out.append((time.perf_counter() - t0) * 1000)
    gc.unfreeze()
    p95 = percentile(pages, 0.95)
    return {
        "project_samples": MetricSample.objects.filter(project=project).count(),
        "all_samples": MetricSample.objects.count(),
        "queries": len(queries),
        "page_p50_ms": round(percentile(pages, 0.5), 1),
        "page_p95_ms": round(p95, 1),
        "floor_p50_ms": round(percentile(floors, 0.5), 1),
        "floor_p95_ms": round(percentile(floors, 0.95), 1),
        "target_p95_ms": TARGET_DASHBOARD_P95_MS,
        "met": p95 < TARGET_DASHBOARD_P95_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--no-csv", action="store_true")
    args = parser.parse_args()
    configure()
    with mock.patch.object(run, "DATABASE_URL", DATABASE_URL):
        run.create_database(drop=True)
    import django

    django.setup()
    import redis
    from django.core.management import call_command
    from django.db import connection

    redis.Redis.from_url(REDIS_URL).flushdb()
    call_command("migrate", interactive=False, verbosity=0)
    run.collect_static()
    per_project = len(SOURCES) * CHANNELS_PER_PROJECT * len(METRICS)
    days = -(-args.samples // (PROJECTS * per_project))
    log(f"World: {PROJECTS * 2} projects, {days} days each; {args.samples:,} samples per pass")
    world = make_world(days)
    started = dt.datetime.now(dt.UTC)

    log("API ingestion")
    api = bench_api(world, args.samples, days)
    log(f"  {api}")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log("Dashboard")
    dashboard = bench_dashboard(world, args.runs, args.warmup)
    log(f"  {dashboard}")
    csv = None
    if not args.no_csv:
        log("CSV ingestion")
        csv = bench_csv(world, args.samples, days)
        log(f"  {csv}")
    redis.Redis.from_url(REDIS_URL).flushdb()

    result = {
        "started": started.isoformat(),
        "machine": run.machine(),
        "api": api,
        "dashboard": dashboard,
        "csv": csv,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "metrics.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    md = [
        "# Metrics benchmark (issue 6)",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC; see metrics.json for the machine and every figure.",
        "",
        "| what | figure |",
        "| --- | --- |",
        f"| API: samples in {api['batches']} batches of ≤10,000 | {api['samples']:,} |",
        f"| API: samples/s (request time; wall incl. building JSON) | "
        f"{api['samples_per_second_requests']:,}; {api['samples_per_second_wall']:,} |",
        f"| API: batch p50 / p95 | {api['batch_p50_ms']} ms / {api['batch_p95_ms']} ms |",
        f"| API: RSS after batch 1 / 10 / 50 / last; peak | "
        f"{api['rss_mb_after_batch']['1']} / {api['rss_mb_after_batch']['10']} / "
        f"{api['rss_mb_after_batch']['50']} / {api['rss_mb_after_batch']['last']} MB; "
        f"{api['peak_rss_mb']} MB |",
        f"| Dashboard ({dashboard['project_samples']:,} of the project's samples, "
        f"{dashboard['all_samples']:,} in all): p50 / p95 | "
        f"{dashboard['page_p50_ms']} ms / **{dashboard['page_p95_ms']} ms** "
        f"(target < {TARGET_DASHBOARD_P95_MS} ms: {'met' if dashboard['met'] else 'missed'}) |",
        f"| Dashboard floor (one SUM … GROUP BY metric) p50 / p95 | "
        f"{dashboard['floor_p50_ms']} ms / {dashboard['floor_p95_ms']} ms |",
        f"| Dashboard SQL queries | {dashboard['queries']} |",
    ]
    if csv:
        md += [
            f"| CSV: samples in {csv['files']} files (check, preview, import) | "
            f"{csv['samples']:,} |",
            f"| CSV: samples/s | {csv['samples_per_second']:,} |",
            f"| CSV: RSS after file 1 / last; peak | {csv['rss_mb_after_file']['1']} / "
            f"{csv['rss_mb_after_file']['last']} MB; {csv['peak_rss_mb']} MB |",
        ]
    (RESULTS / "metrics.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    sys.exit(main())

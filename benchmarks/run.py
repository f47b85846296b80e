"""`make bench`: issue 3's speed figures, written to benchmarks/results/.

    python -m benchmarks.run [--runs 30] [--warmup 3] [--moves 50] [--no-live] [--remake]

Runs against its own PostgreSQL database (synchrony_bench, created and migrated when
missing) and Redis database 5, with production settings (DEBUG off): never against
the development or test databases, whatever DATABASE_URL says in the shell. Set
BENCH_DATABASE_URL or BENCH_REDIS_URL to point it elsewhere.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/synchrony_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
TARGET_SERVER_P95_MS = 150
TARGET_LIVE_P95_MS = 1000


def configure() -> None:
    """Production settings on the bench's own database: set before Django reads them."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "synchrony.settings",
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "SECRET_KEY": secrets.token_urlsafe(64),
            "DEBUG": "false",
            "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
        }
    )


def log(message: str) -> None:
    print(message, flush=True)


def admin_connection() -> Any:
    import psycopg

    url = urlsplit(DATABASE_URL)
    return psycopg.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        dbname="postgres",
        autocommit=True,
        connect_timeout=10,
    )


def database_name() -> str:
    return urlsplit(DATABASE_URL).path.lstrip("/")


def create_database(*, drop: bool = False) -> None:
    from psycopg import sql

    name = database_name()
    with admin_connection() as conn:
        if drop:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            log(f"Creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def prepare_data(*, remake: bool) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connections

    from benchmarks import dataset

    call_command("migrate", interactive=False, verbosity=0)
    why = "asked to" if remake else dataset.present()
    made = None
    if why:
        if not dataset.is_empty():
            log(f"Data set {why}: making it again in a fresh database")
            connections.close_all()
            create_database(drop=True)
            call_command("migrate", interactive=False, verbosity=0)
        else:
            log("Generating the data set")
        t0 = time.perf_counter()
        counts = dataset.generate()
        made = round(time.perf_counter() - t0, 1)
        log(f"  generated in {made} s: {counts}")
    else:
        log("Data set present")
    # As autovacuum leaves a database in service: statistics, and visibility maps for
    # index-only scans. This machine's PostgreSQL runs with autovacuum off (its CI
    # configuration), and a table never vacuumed made the planner scan all 20,000
    # activations where it reads a few hundred index entries in production.
    with connections["default"].cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"counts": dataset.Counts.now().__dict__, "generated_seconds": made}


def collect_static() -> None:
    """DEBUG off serves hashed static files from STATIC_ROOT (var/static), as deployed."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def machine() -> dict[str, Any]:
    import django
    from django.db import connection

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"],  # noqa: S607 - git from PATH
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "host": platform.node(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024**2, 1),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": postgres,
        "commit": commit,
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }


def write(report: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    for name, text in (
        ("latest.json", json.dumps(report, indent=2, default=str) + "\n"),
        ("latest.md", markdown(report)),
    ):
        tmp = RESULTS / f"{name}.tmp"
        tmp.write_text(text)
        tmp.replace(RESULTS / name)


def fmt(value: Any, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"{report['finished']} · {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB · "
        f"Python {m['python']}, Django {m['django']}, PostgreSQL {m['postgresql']} · "
        f"commit {m['commit']} · load average {m['load_average_start']} at start.",
        "",
        f"Data: {', '.join(f'{n:,} {k}' for k, n in report['data']['counts'].items())}. "
        f"Server time: {report['runs']} runs after "
        f"{report['warmup']} warm-ups, in-process (django.test.Client, DEBUG off) as a manager "
        "of all 200 projects. Floor: one SQL query for the same rows, json.dumps'ed. "
        "CPU: this process's CPU time for the page (not PostgreSQL's), which other load "
        "on the machine moves far less than the wall time.",
        "",
        f"Targets: server p95 < {TARGET_SERVER_P95_MS} ms; live p95 < {TARGET_LIVE_P95_MS} ms.",
        "",
        "| view | queries | p50 ms | p95 ms | floor p95 ms | ratio | CPU p50 ms | HTML KiB "
        "| target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in report["server"]:
        if r.get("error"):
            lines.append(
                f"| {r['name']} | — | — | — | — | — | — | — | not measured: {r['error'][:80]} |"
            )
            continue
        ok = r["view_p95"] < TARGET_SERVER_P95_MS
        lines.append(
            f"| {r['name']} | {r['queries']} | {fmt(r['view_p50'])} | {fmt(r['view_p95'])} | "
            f"{fmt(r['floor_p95'])} | ×{r['ratio_p95']} | {fmt(r.get('cpu_p50'))} | "
            f"{r['bytes'] // 1024} | "
            f"{'met' if ok else 'missed'} |"
        )
    live = report.get("live")
    lines.append("")
    if live and live.get("latency"):
        lat = live["latency"]
        ok = lat["p95"] < TARGET_LIVE_P95_MS and not live["missed"]
        lines += [
            "| live update | moves seen | p50 ms | p95 ms | max ms | target |",
            "| --- | ---: | ---: | ---: | ---: | --- |",
            f"| manager moves, viewer sees | {live['seen']}/{live['moves']} | {fmt(lat['p50'], 0)} "
            f"| {fmt(lat['p95'], 0)} | {fmt(lat['max'], 0)} | {'met' if ok else 'missed'} |",
        ]
    elif live:
        lines.append(f"Live update not measured: {'; '.join(live.get('errors', [])) or 'skipped'}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--moves", type=int, default=50)
    parser.add_argument("--no-live", action="store_true", help="skip the browser part")
    parser.add_argument("--remake", action="store_true", help="generate the data set again")
    args = parser.parse_args(argv)
    if not (1 <= args.runs <= 1000 and 0 <= args.warmup <= 100 and 1 <= args.moves <= 500):
        parser.error("runs 1–1000, warmup 0–100, moves 1–500")

    started = time.perf_counter()
    configure()
    create_database()
    import django

    django.setup()
    from django.utils import timezone

    from benchmarks import dataset, live, server
    from synchrony.accounts.models import User
    from synchrony.launches.models import Launch
    from synchrony.projects.models import Project

    data = prepare_data(remake=args.remake)
    collect_static()
    report: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "data": data,
        "runs": args.runs,
        "warmup": args.warmup,
        "targets_ms": {"server_p95": TARGET_SERVER_P95_MS, "live_p95": TARGET_LIVE_P95_MS},
    }
    manager = User.objects.get(username=dataset.MANAGER)
    viewer = User.objects.get(username=dataset.VIEWER)
    timezone.activate(manager.time_zone)
    today = timezone.localdate()
    project = Project.objects.get(name=dataset.LIVE_PROJECT)

    log(f"Server time ({args.runs} runs after {args.warmup} warm-ups)")
    results = server.measure(manager, project, today, runs=args.runs, warmup=args.warmup, log=log)
    report["server"] = [r.summary() for r in results]

    if args.no_live:
        report["live"] = {"errors": ["skipped (--no-live)"]}
    else:
        log(f"Live updates ({args.moves} moves)")
        launch = Launch.objects.get(name=dataset.LIVE_LAUNCH)
        try:
            outcome = live.measure(
                manager=manager, viewer=viewer, launch_pk=launch.pk, moves=args.moves, log=log
            )
            report["live"] = outcome.summary()
        except Exception as error:
            log(f"  live update not measured: {type(error).__name__}: {error}")
            report["live"] = {"errors": [f"{type(error).__name__}: {error}"[:500]]}

    report["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    report["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    report["seconds"] = round(time.perf_counter() - started, 1)
    write(report)
    log(f"Wrote {RESULTS.relative_to(ROOT)}/latest.json and latest.md in {report['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

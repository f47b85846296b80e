"""`make bench-launches`: issue 4's figures — do launches go out together, on time, once?

    python -m benchmarks.launches [--rounds 3] [--launches 100] [--channels 10]
                                  [--burst 5] [--bursts 6] [--lead 40] [--keep-logs DIR]
                                  [--concurrency N]

Starts the real engine (`celery -A synchrony worker` and `celery -A synchrony beat` as
subprocesses) against its own PostgreSQL database (synchrony_bench_launches, dropped
and migrated fresh each run) and Redis database 6 (flushed), on its own Celery queue,
with loopback outbound calls allowed. Each round schedules 100 launches of 10 webhook
channels whose go-lives fall within one minute starting `--lead` seconds later, waits
until every launch settles, and measures lateness and skew at the receiving end
(tests.receiver) and as the database recorded them (first_sent_at). Set
BENCH_LAUNCHES_DATABASE_URL or BENCH_LAUNCHES_REDIS_URL to point it elsewhere.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zoneinfo
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from unittest import mock
from urllib.parse import urlsplit

from benchmarks import run
from benchmarks.run import ROOT, fmt, log
from synchrony.lib.stats import nearest_rank
from tests.receiver import Receiver

RESULTS = Path(__file__).resolve().parent / "results"
DATABASE_URL = os.environ.get(
    "BENCH_LAUNCHES_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/synchrony_bench_launches"
)
REDIS_URL = os.environ.get("BENCH_LAUNCHES_REDIS_URL", "redis://127.0.0.1:6379/6")
WORKER_NAME = f"bench-launches@{platform.node()}"
TIME_ZONE = "Europe/Berlin"
TARGETS_MS = {"lateness_p99": 250, "skew_p99": 50}
SETTLED = ("launched", "partly_launched", "failed")
FLOOR_POSTS = 50
STOP_TIMEOUT = 20.0  # seconds a process gets to stop after SIGTERM before SIGKILL


def configure() -> None:
    """The make-bench environment, on this bench's own database, Redis and settings."""
    run.configure()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "benchmarks.launch_settings",
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            # The receiver stands in for the outside world on loopback.
            "OUTBOUND_ALLOWED_NETWORKS": "127.0.0.0/8",
        }
    )


def fresh_database() -> None:
    # run.create_database works on run.DATABASE_URL; point it at this bench's database.
    with mock.patch.object(run, "DATABASE_URL", DATABASE_URL):
        run.create_database(drop=True)


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


# ── The engine as subprocesses ────────────────────────────────────────────────


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]

    def tail(self, lines: int = 30) -> str:
        self.log_file.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def start(name: str, args: list[str], logs: Path) -> Proc:
    log_path = logs / f"{name}.log"
    log_file = log_path.open("wb")
    popen = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "celery", "-A", "synchrony", *args],
        cwd=ROOT,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        # Its own session: a Ctrl-C reaches the bench, which stops it in order.
        start_new_session=True,
    )
    return Proc(name, popen, log_path, log_file)


def stop(proc: Proc) -> str:
    """SIGTERM (Celery's warm shutdown), SIGKILL after STOP_TIMEOUT; how it ended."""
    how = "already exited"
    if proc.popen.poll() is None:
        proc.popen.send_signal(signal.SIGTERM)
        try:
            proc.popen.wait(timeout=STOP_TIMEOUT)
            how = "stopped on SIGTERM"
        except subprocess.TimeoutExpired:
            proc.popen.kill()
            proc.popen.wait(timeout=10)
            how = f"killed (no exit {STOP_TIMEOUT:g} s after SIGTERM)"
    proc.log_file.close()
    return f"{how}, exit code {proc.popen.returncode}"


@contextmanager
def engine(logs: Path, concurrency: int | None = None) -> Iterator[dict[str, Any]]:
    """A worker (the settings choose its threads pool) and beat; stopped however we leave."""
    worker = ["worker", "--hostname", WORKER_NAME, "--loglevel", "INFO"]
    if concurrency:
        worker += ["--concurrency", str(concurrency)]
    procs = [
        start("worker", worker, logs),
        start(
            "beat",
            [
                "beat",
                "--schedule",
                str(logs / "celerybeat-schedule"),
                "--pidfile",
                str(logs / "celerybeat.pid"),
                "--loglevel",
                "INFO",
            ],
            logs,
        ),
    ]
    info: dict[str, Any] = {}
    try:
        info["ready_seconds"] = wait_ready(procs)
        yield info
    finally:
        # Beat first, so no tick is sent to a worker that is going away.
        info["stopped"] = {proc.name: stop(proc) for proc in reversed(procs)}
        log("  " + "; ".join(f"{name} {how}" for name, how in info["stopped"].items()))


def wait_ready(procs: list[Proc], timeout: float = 90.0) -> float:
    """The worker answers a ping, then a dispatcher tick newer than that is recorded."""
    from synchrony.celery import app
    from synchrony.launches.engine import last_tick

    t0 = time.monotonic()
    pinged: dt.datetime | None = None
    while time.monotonic() - t0 < timeout:
        for proc in procs:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"{proc.name} exited at start:\n{proc.tail()}")
        if pinged is None:
            if app.control.ping(destination=[WORKER_NAME], timeout=1.0):
                pinged = dt.datetime.now(dt.UTC)
        else:
            tick = last_tick()
            if tick and tick > pinged:
                return round(time.monotonic() - t0, 1)
            time.sleep(0.2)
    raise RuntimeError("the engine did not start in time:\n" + "\n".join(p.tail(15) for p in procs))


# ── The launches ──────────────────────────────────────────────────────────────


def make_world(receiver: Receiver, channels: int) -> tuple[Any, Any, list[Any]]:
    """One manager, one project, and `channels` webhook channels shared by every launch."""
    from synchrony.accounts.models import User
    from synchrony.launches.models import AdapterKind, Channel, ChannelKind
    from synchrony.projects.models import Membership, Project, Role

    user = User.objects.create_user(
        username="bench-launcher", email="bench-launcher@example.com", time_zone=TIME_ZONE
    )
    project = Project.objects.create(name="Launch engine bench", owner=user)
    Membership.objects.create(project=project, user=user, role=Role.MANAGER)
    made = Channel.objects.bulk_create(
        Channel(
            name=f"Bench webhook {i}",
            kind=ChannelKind.SOCIAL,
            owner=user,
            adapter=AdapterKind.WEBHOOK,
            endpoint_url=f"{receiver.url}/ch{i}",
        )
        for i in range(channels)
    )
    project.channels.set(made)
    return user, project, made


def go_lives(
    start: dt.datetime, *, count: int, burst: int, bursts: int, rng: random.Random
) -> list[dt.datetime]:
    """`bursts` groups of `burst` launches at one whole second (people pick 09:00:00),
    evenly across the minute; the rest at random milliseconds within it."""
    moments = [
        start + dt.timedelta(seconds=round((b + 0.5) * 60 / bursts))
        for b in range(bursts)
        for _ in range(burst)
    ][:count]
    moments += [
        start + dt.timedelta(milliseconds=rng.randrange(60_000))
        for _ in range(count - len(moments))
    ]
    return sorted(moments)


def create_round(
    number: int, *, user: Any, project: Any, channels: list[Any], moments: list[dt.datetime]
) -> list[int]:
    """Launches already scheduled, their preflights done (next_check_at None), so only
    arming and firing happen in the measured minute."""
    from django.db import transaction

    from synchrony.launches.models import Activation, Launch, LaunchStatus

    zone = zoneinfo.ZoneInfo(TIME_ZONE)
    with transaction.atomic():
        launches = Launch.objects.bulk_create(
            Launch(
                project=project,
                name=f"Round {number} launch {i}",
                go_live=moment,
                local_date=moment.astimezone(zone).date(),
                local_time=moment.astimezone(zone).time().replace(tzinfo=None),
                time_zone=TIME_ZONE,
                status=LaunchStatus.SCHEDULED,
                next_check_at=None,
                created_by=user,
            )
            for i, moment in enumerate(moments)
        )
        Activation.objects.bulk_create(
            Activation(
                launch=launch,
                channel=channel,
                subject=f"{launch.name} is live on {channel.name}",
                body=(
                    f"{launch.name}: the new release is out today. Here is what changes for "
                    "you, why it matters, and where to read more. " * 3
                ).strip(),
                link=f"https://example.com/launches/{launch.pk}",
                audience="Everyone",
            )
            for launch in launches
            for channel in channels
        )
    return [launch.pk for launch in launches]


def measure_floor(receiver: Receiver, body: bytes, posts: int = FLOOR_POSTS) -> list[float]:
    """Round trips of one POST to the receiver over a kept-alive connection, in ms."""
    import httpx

    times = []
    with httpx.Client() as client:
        headers = {"content-type": "application/json", "webhook-id": ""}
        client.post(f"{receiver.url}/floor", content=body, headers=headers)  # connect
        for _ in range(posts):
            t0 = time.perf_counter()
            client.post(f"{receiver.url}/floor", content=body, headers=headers)
            times.append((time.perf_counter() - t0) * 1000)
    return times


def burst_client(url: str, size: int, reps: int) -> None:
    """In a process of its own, like the worker: `size` threads, each connected ahead
    (synchrony.lib.wire, as the engine sends) and waiting; one event releases them and
    each writes its POST and reads the answer (the engine's shape, without the engine);
    `reps` times. Prints each release time (time.time()) as a JSON list."""
    import threading

    import django

    configure()
    django.setup()
    from synchrony.lib.wire import Wire

    released = []
    for rep in range(reps):
        go = threading.Event()
        ready = threading.Semaphore(0)

        def post(
            i: int, rep: int = rep, go: threading.Event = go, ready: threading.Semaphore = ready
        ) -> None:
            headers = {"content-type": "application/json", "webhook-id": f"floor-{rep}-{i}"}
            wire = Wire(f"{url}/floor-burst", b"{}" * 600, headers, timeout=10)
            wire.connect()
            ready.release()
            go.wait()
            wire.write()
            wire.answer()

        threads = [threading.Thread(target=post, args=(i,)) for i in range(size)]
        for thread in threads:
            thread.start()
        for _ in threads:
            ready.acquire(timeout=10)
        time.sleep(0.2)
        released.append(time.time())
        go.set()
        for thread in threads:
            thread.join()
        time.sleep(0.3)
    print(json.dumps(released), flush=True)


def measure_burst_floor(receiver: Receiver, size: int, reps: int = 6) -> dict[str, Any]:
    """Lateness and skew at the receiver for `size` simultaneous POSTs, no engine involved."""
    before = len(receiver.hits)
    client = [receiver.url, str(size), str(reps)]
    out = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "benchmarks.launches", "--burst-client", *client],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    released = json.loads(out.stdout.strip().splitlines()[-1])
    arrivals: dict[int, list[float]] = {}
    for hit in receiver.hits[before:]:
        if hit.key.startswith("floor-"):
            arrivals.setdefault(int(hit.key.split("-")[1]), []).append(hit.arrived)
    runs = [
        {
            "lateness_ms": ms(min(arrivals[rep]) - at),
            "skew_ms": ms(max(arrivals[rep]) - min(arrivals[rep])),
            "received": len(arrivals[rep]),
        }
        for rep, at in enumerate(released)
        if arrivals.get(rep)
    ]
    warm = runs[1:] or runs
    return {
        "size": size,
        "cold": runs[0] if runs else None,
        "warm_lateness_ms": round(statistics.median(r["lateness_ms"] for r in warm), 1),
        "warm_skew_ms": round(statistics.median(r["skew_ms"] for r in warm), 1),
        "runs": runs,
    }


def start_receiver() -> Receiver:
    # The receiver answers without Nagle's delay and with a deep listen backlog (see
    # tests/receiver.py); arrival times are taken before the answer.
    return Receiver().start()


def tcp_counters() -> dict[str, int]:
    """Host-wide TCP trouble: a listen queue overflowed, a SYN sent again (1 s late)."""
    try:
        header, values = (
            line.split()
            for line in Path("/proc/net/netstat").read_text().splitlines()
            if line.startswith("TcpExt:")
        )
    except (OSError, ValueError):
        return {}
    counters = dict(zip(header[1:], map(int, values[1:]), strict=True))
    return {k: counters.get(k, 0) for k in ("ListenOverflows", "TCPSynRetrans")}


def wait_settled(pks: list[int], deadline: float) -> bool:
    from synchrony.launches.models import Launch

    while time.time() < deadline:
        if not Launch.objects.filter(pk__in=pks).exclude(status__in=SETTLED).exists():
            return True
        time.sleep(0.5)
    return False


# ── Measuring ─────────────────────────────────────────────────────────────────


def ms(delta: dt.timedelta | float) -> float:
    seconds = delta.total_seconds() if isinstance(delta, dt.timedelta) else delta
    return round(seconds * 1000, 1)


def stats(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None, "max": None}
    return {
        "p50": round(statistics.median(values), 1),
        "p99": round(nearest_rank(values, 0.99), 1),
        "max": round(max(values), 1),
    }


@dataclass
class Round:
    number: int
    pks: list[int]
    first_go_live: dt.datetime
    floor_ms: list[float]
    settled_in_time: bool = False
    launches: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def collect(rnd: Round, receiver: Receiver) -> None:
    """Per launch: the receiver's truth and the database's record, side by side."""
    from synchrony.launches.models import Activation, Launch

    arrivals: dict[str, list[float]] = {}
    for hit in list(receiver.hits):
        arrivals.setdefault(hit.key, []).append(hit.arrived)
    activations: dict[int, list[Any]] = {}
    for row in Activation.objects.filter(launch_id__in=rnd.pks).values(
        "launch_id", "idempotency_key", "first_sent_at", "state", "attempts"
    ):
        activations.setdefault(row["launch_id"], []).append(row)

    lost = duplicates = retried = 0
    states: Counter[str] = Counter()
    transit: list[float] = []  # first_sent_at → first arrival, per activation
    for launch in Launch.objects.filter(pk__in=rnd.pks).values(
        "pk", "go_live", "status", "armed_at", "fired_at", "finished_at"
    ):
        go_live = launch["go_live"]
        rows = activations.get(launch["pk"], [])
        got = [arrivals[r["idempotency_key"]] for r in rows if r["idempotency_key"] in arrivals]
        first = [min(times) for times in got]
        sent = [r["first_sent_at"] for r in rows if r["first_sent_at"]]
        for r in rows:
            states[r["state"]] += 1
            retried += r["attempts"] > 1
            if r["first_sent_at"] and r["idempotency_key"] in arrivals:
                transit.append(
                    ms(min(arrivals[r["idempotency_key"]]) - r["first_sent_at"].timestamp())
                )
        launch_lost = len(rows) - len(got)
        launch_dupes = sum(len(times) - 1 for times in got)
        lost += launch_lost
        duplicates += launch_dupes
        rnd.launches.append(
            {
                "id": launch["pk"],
                "go_live": go_live.isoformat(timespec="milliseconds"),
                "status": launch["status"],
                "lateness_ms": ms(min(first) - go_live.timestamp()) if first else None,
                "skew_ms": ms(max(first) - min(first)) if first else None,
                "db_lateness_ms": ms(min(sent) - go_live) if sent else None,
                "db_skew_ms": ms(max(sent) - min(sent)) if sent else None,
                # Where the time goes: when the engine armed the launch and when the
                # firing task started, relative to go-live; when the launch settled.
                "armed_ms": ms(launch["armed_at"] - go_live) if launch["armed_at"] else None,
                "fire_start_ms": ms(launch["fired_at"] - go_live) if launch["fired_at"] else None,
                "settled_ms": ms(launch["finished_at"] - go_live)
                if launch["finished_at"]
                else None,
                "lost": launch_lost,
                "duplicates": launch_dupes,
            }
        )

    sharing = Counter(x["go_live"] for x in rnd.launches)
    for x in rnd.launches:
        x["shares_its_second"] = sharing[x["go_live"]] > 1

    def of(key: str, shares: bool | None = None) -> list[float]:
        return [
            x[key]
            for x in rnd.launches
            if x[key] is not None and shares in (None, x["shares_its_second"])
        ]

    rnd.summary = {
        "lateness": stats(of("lateness_ms")),
        "skew": stats(of("skew_ms")),
        "db_lateness": stats(of("db_lateness_ms")),
        "db_skew": stats(of("db_skew_ms")),
        "armed": stats(of("armed_ms")),
        "fire_start": stats(of("fire_start_ms")),
        "settled": stats(of("settled_ms")),
        "transit": stats(transit),
        # Alone at its moment, or one of a group at the same instant (more sends at once).
        **{
            f"{key}_{group}": stats(of(key + "_ms", shares))
            for key, *_ in MEASURES
            for group, shares in (("alone", False), ("shared", True))
        },
        "floor_ms": round(statistics.median(rnd.floor_ms), 2),
        "lost": lost,
        "duplicates": duplicates,
        "retried_activations": retried,
        "statuses": dict(Counter(x["status"] for x in rnd.launches)),
        "activation_states": dict(states),
        "settled_in_time": rnd.settled_in_time,
    }


def run_round(
    number: int, *, args: argparse.Namespace, world: tuple[Any, Any, list[Any]], receiver: Receiver
) -> Round:
    from synchrony.launches.adapters import encoded_payload
    from synchrony.launches.models import Activation

    user, project, channels = world
    now = dt.datetime.now(dt.UTC)
    first = (now + dt.timedelta(seconds=args.lead + 1)).replace(microsecond=0)
    moments = go_lives(
        first,
        count=args.launches,
        burst=args.burst,
        bursts=args.bursts,
        rng=random.Random(number),  # noqa: S311 - a seeded schedule, not a secret
    )
    pks = create_round(number, user=user, project=project, channels=channels, moments=moments)
    sample = Activation.objects.select_related("launch__project", "channel").get(
        launch_id=pks[0], channel=channels[0]
    )
    floor = measure_floor(receiver, encoded_payload(sample))
    rnd = Round(number, pks, first, floor)
    tcp_before = tcp_counters()
    log(
        f"Round {number}: {len(pks)} launches × {len(channels)} channels, go-lives "
        f"{first:%H:%M:%S}–{moments[-1]:%H:%M:%S} UTC; floor p50 "
        f"{statistics.median(floor):.2f} ms"
    )
    rnd.settled_in_time = wait_settled(pks, moments[-1].timestamp() + args.settle_timeout)
    time.sleep(2)  # a late second copy of a delivery would arrive now
    collect(rnd, receiver)
    # Host-wide, so another program's trouble counts too: a hint, not a measure.
    rnd.summary["tcp"] = {k: v - tcp_before.get(k, 0) for k, v in tcp_counters().items()}
    s = rnd.summary
    log(
        f"  lateness p50/p99/max {fmt(s['lateness']['p50'])}/{fmt(s['lateness']['p99'])}/"
        f"{fmt(s['lateness']['max'])} ms; skew {fmt(s['skew']['p50'])}/{fmt(s['skew']['p99'])}/"
        f"{fmt(s['skew']['max'])} ms; lost {s['lost']}, duplicates {s['duplicates']}; "
        f"{s['statuses']}; host TCP {s['tcp']}"
    )
    return rnd


# ── Report ────────────────────────────────────────────────────────────────────

MEASURES = (
    ("lateness", "lateness, receiver (first arrival − go-live)", "lateness_p99"),
    ("db_lateness", "lateness, database (first first_sent_at − go-live)", "lateness_p99"),
    ("skew", "skew, receiver (last − first arrival)", "skew_p99"),
    ("db_skew", "skew, database (last − first first_sent_at)", "skew_p99"),
)
BREAKDOWN = (
    ("armed", "armed (armed_at − go-live)"),
    ("fire_start", "firing task started (fired_at − go-live)"),
    ("transit", "send → arrival, per activation"),
    ("settled", "settled (finished_at − go-live)"),
)


def across(rounds: list[dict[str, Any]], key: str) -> dict[str, dict[str, float | None]]:
    """Each statistic's median across rounds, and its worst (highest) round."""
    out: dict[str, dict[str, float | None]] = {}
    for stat in ("p50", "p99", "max"):
        values = [r[key][stat] for r in rounds if r[key][stat] is not None]
        out[stat] = {
            "median": round(statistics.median(values), 1) if values else None,
            "worst": max(values) if values else None,
        }
    return out


def summarise(rounds: list[Round]) -> dict[str, Any]:
    summaries = [r.summary for r in rounds]
    keys = [key for key, *_ in (*MEASURES, *BREAKDOWN)]
    keys += [f"{key}_{group}" for key, *_ in MEASURES for group in ("alone", "shared")]
    out: dict[str, Any] = {key: across(summaries, key) for key in keys}
    statuses: Counter[str] = Counter()
    for s in summaries:
        statuses.update(s["statuses"])
    floors = [s["floor_ms"] for s in summaries]
    out |= {
        "lost": sum(s["lost"] for s in summaries),
        "duplicates": sum(s["duplicates"] for s in summaries),
        "retried_activations": sum(s["retried_activations"] for s in summaries),
        "statuses": dict(statuses),
        "floor_ms": round(statistics.median(floors), 2),
        # How many rounds met each target (a round with nothing measured does not).
        "targets_met_rounds": {
            key: sum((s[key]["p99"] or math.inf) < TARGETS_MS[target] for s in summaries)
            for key, _, target in MEASURES
        }
        | {"nothing_lost_or_doubled": sum(s["lost"] == s["duplicates"] == 0 for s in summaries)},
    }
    return out


def cell(agg: dict[str, dict[str, float | None]], stat: str) -> str:
    return f"{fmt(agg[stat]['median'])} ({fmt(agg[stat]['worst'])})"


def markdown(report: dict[str, Any]) -> str:
    m, a, cfg = report["machine"], report["all"], report["config"]
    n = len(report["rounds"])
    met = a["targets_met_rounds"]
    lines = [
        "# Launch engine benchmark (issue 4)",
        "",
        f"{report['finished']} · {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB · "
        f"Python {m['python']}, Django {m['django']}, PostgreSQL {m['postgresql']} · "
        f"commit {m['commit']} · load average {m['load_average_start']} at start, "
        f"{m['load_average_end']} at end · {report['seconds']} s in all.",
        "",
        f"{n} rounds of {cfg['launches']} launches × {cfg['channels']} webhook channels "
        f"(shared by every launch), go-lives within one minute starting {cfg['lead']} s after "
        f"creation: {cfg['bursts']} groups of {cfg['burst']} launches at the same whole second, "
        "the rest at random milliseconds. The real worker (threads pool, concurrency "
        f"{cfg['worker_concurrency']}) and beat as subprocesses; receiver on 127.0.0.1. "
        "Figures in ms: median of the rounds' values (worst round in brackets); p50/p99/max "
        "are over the launches of a round (nearest rank: p99 of 100 launches is the 99th "
        "value, so one outlier shows in the max only).",
        "",
        f"Floor: one POST to the receiver, kept-alive connection, median of {FLOOR_POSTS} per "
        f"round: **{fmt(a['floor_ms'], 2)} ms**. Burst floor, no engine: the same number of "
        "POSTs released at once by one event from threads of another process, each "
        "connected ahead as the engine's are (the engine's shape), lateness / skew at the "
        "receiver, median of the 5 repeats after the first (the first, in a fresh process, "
        "in brackets): "
        + "; ".join(
            f"{f['size']} at once {fmt(f['warm_lateness_ms'])} / {fmt(f['warm_skew_ms'])} ms "
            f"({fmt(f['cold']['lateness_ms'])} / {fmt(f['cold']['skew_ms'])})"
            for f in report.get("burst_floor", [])
            if f["cold"]
        )
        + ".",
        "",
        "| measure | p50 | p99 | max | target | met |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for key, label, target in MEASURES:
        lines.append(
            f"| {label} | {cell(a[key], 'p50')} | {cell(a[key], 'p99')} | {cell(a[key], 'max')} "
            f"| p99 < {TARGETS_MS[target]} | {met[key]}/{n} rounds |"
        )
    shared = cfg["burst"] * cfg["bursts"]
    lines += [
        "",
        f"Split by moment: the {cfg['launches'] - shared} launches alone at theirs, and the "
        f"{shared} that share theirs with {cfg['burst'] - 1} others (so "
        f"{cfg['burst'] * cfg['channels']} sends leave at once):",
        "",
        "| measure | alone p50 | alone p99 | shared p50 | shared p99 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for key, label, _ in MEASURES:
        alone, together = a[f"{key}_alone"], a[f"{key}_shared"]
        lines.append(
            f"| {label.split(' (')[0]} | {cell(alone, 'p50')} | {cell(alone, 'p99')} | "
            f"{cell(together, 'p50')} | {cell(together, 'p99')} |"
        )
    lines += [
        "",
        "| deliveries | count | target |",
        "| --- | ---: | --- |",
        f"| lost (a key never received) | {a['lost']} | 0 |",
        f"| duplicates (a key received twice or more) | {a['duplicates']} | 0 |",
        f"| activations that needed a retry | {a['retried_activations']} | — |",
        "",
        "Launches per final status: "
        + ", ".join(f"{status} {count}" for status, count in sorted(a["statuses"].items()))
        + ".",
        "",
        "Where the time goes (relative to go-live; the firing task is due "
        f"{cfg['fire_prepare_seconds']:g} s before it):",
        "",
        "| step | p50 | p99 | max |",
        "| --- | ---: | ---: | ---: |",
    ]
    for key, label in BREAKDOWN:
        lines.append(
            f"| {label} | {cell(a[key], 'p50')} | {cell(a[key], 'p99')} | {cell(a[key], 'max')} |"
        )
    lines += [
        "",
        "Per round (receiver's figures):",
        "",
        "| round | lateness p50 / p99 / max | skew p50 / p99 / max | lost | dup | floor | "
        "statuses | host TCP: listen overflows, SYNs resent |",
        "| ---: | --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for r in report["rounds"]:
        s = r["summary"]
        la, sk = s["lateness"], s["skew"]
        lines.append(
            f"| {r['number']} | {fmt(la['p50'])} / {fmt(la['p99'])} / {fmt(la['max'])} | "
            f"{fmt(sk['p50'])} / {fmt(sk['p99'])} / {fmt(sk['max'])} | {s['lost']} | "
            f"{s['duplicates']} | {fmt(s['floor_ms'], 2)} | "
            + ", ".join(f"{k} {v}" for k, v in sorted(s["statuses"].items()))
            + f" | {s['tcp'].get('ListenOverflows', '—')}, {s['tcp'].get('TCPSynRetrans', '—')} |"
        )
    return "\n".join(lines) + "\n"


def write(report: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    for name, text in (
        ("launches.json", json.dumps(report, indent=2, default=str) + "\n"),
        ("launches.md", markdown(report)),
    ):
        tmp = RESULTS / f"{name}.tmp"
        tmp.write_text(text)
        tmp.replace(RESULTS / name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--launches", type=int, default=100, help="per round")
    parser.add_argument("--channels", type=int, default=10, help="webhook channels per launch")
    parser.add_argument("--burst", type=int, default=5, help="launches sharing one second")
    parser.add_argument("--bursts", type=int, default=6, help="such groups per minute")
    parser.add_argument("--lead", type=int, default=40, help="seconds from creation to go-live")
    parser.add_argument(
        "--settle-timeout", type=int, default=60, help="seconds after the last go-live"
    )
    parser.add_argument("--keep-logs", type=Path, help="keep worker and beat logs here")
    parser.add_argument(
        "--concurrency", type=int, help="worker threads (default: the settings'), for what-ifs"
    )
    parser.add_argument("--burst-client", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.burst_client:  # the burst floor's client process (measure_burst_floor)
        url, size, reps = args.burst_client
        burst_client(url, int(size), int(reps))
        return 0
    if not (
        1 <= args.rounds <= 20
        and 1 <= args.launches <= 1000
        and 1 <= args.channels <= 50
        and 0 <= args.burst * args.bursts <= args.launches
        and 1 <= args.bursts <= 60
        and 15 <= args.lead <= 600
        and 5 <= args.settle_timeout <= 600
        and 1 <= (args.concurrency or 1) <= 256
    ):
        parser.error(
            "rounds 1–20, launches 1–1000, channels 1–50, burst × bursts ≤ launches, "
            "bursts 1–60, lead 15–600 s, settle-timeout 5–600 s, concurrency 1–256"
        )

    # A SIGTERM (make interrupted, a CI timeout) unwinds like Ctrl-C: worker and beat are
    # stopped in the finally blocks, never left running.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    started = time.perf_counter()
    configure()
    fresh_database()
    flush_redis()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    log(
        f"Fresh database {urlsplit(DATABASE_URL).path.lstrip('/')} migrated, "
        f"Redis {REDIS_URL} flushed"
    )

    receiver = start_receiver()
    report: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": run.machine(),
        "config": {
            "rounds": args.rounds,
            "launches": args.launches,
            "channels": args.channels,
            "burst": args.burst,
            "bursts": args.bursts,
            "lead": args.lead,
            "settle_timeout": args.settle_timeout,
            "worker_pool": settings.CELERY_WORKER_POOL,
            "worker_concurrency": args.concurrency or settings.CELERY_WORKER_CONCURRENCY,
            "timer_precision": settings.CELERY_WORKER_TIMER_PRECISION,
            "arm_lead_seconds": settings.LAUNCH_ARM_LEAD_SECONDS,
            "fire_prepare_seconds": settings.LAUNCH_FIRE_PREPARE_SECONDS,
            "queue": getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"),
        },
        "targets_ms": TARGETS_MS,
    }
    rounds: list[Round] = []
    logs_dir = args.keep_logs or Path(tempfile.mkdtemp(prefix="bench-launches-"))
    logs_dir.mkdir(parents=True, exist_ok=True)
    try:
        world = make_world(receiver, args.channels)
        sizes = sorted({args.channels, args.channels * max(1, args.burst)})
        log(f"Burst floor: {' and '.join(map(str, sizes))} POSTs at once, no engine")
        report["burst_floor"] = [measure_burst_floor(receiver, size) for size in sizes]
        for f in report["burst_floor"]:
            log(
                f"  {f['size']} at once: lateness {f['warm_lateness_ms']} ms, skew "
                f"{f['warm_skew_ms']} ms (first repeat: {f['cold']})"
            )
        log(f"Starting worker and beat (logs in {logs_dir})")
        with engine(logs_dir, args.concurrency) as info:
            log(f"  ready in {info['ready_seconds']} s")
            for number in range(1, args.rounds + 1):
                rounds.append(run_round(number, args=args, world=world, receiver=receiver))
        report["engine"] = info
    finally:
        receiver.stop()
        if not args.keep_logs:
            shutil.rmtree(logs_dir, ignore_errors=True)
        flush_redis()

    report["rounds"] = [
        {
            "number": r.number,
            "first_go_live": r.first_go_live.isoformat(),
            "settled_in_time": r.settled_in_time,
            "summary": r.summary,
            "floor_ms": [round(x, 3) for x in r.floor_ms],
            "launches": r.launches,
        }
        for r in rounds
    ]
    report["all"] = summarise(rounds)
    report["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    report["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    report["seconds"] = round(time.perf_counter() - started, 1)
    write(report)
    print(markdown(report), flush=True)
    log(f"Wrote {RESULTS.relative_to(ROOT)}/launches.json and launches.md in {report['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

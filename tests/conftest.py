from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from celery import Task
from django.test import Client

from synchrony.accounts.models import User
from synchrony.projects.models import Membership, Project, Role
from tests.factories import ProjectFactory, UserFactory

SESSION_STARTED = pytest.StashKey[float]()


@dataclass
class Cast:
    """A project with one person in each role, and one outsider."""

    project: Project
    manager: User
    contributor: User
    viewer: User
    outsider: User


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[SESSION_STARTED] = time.time()


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Say how many cases the Schemathesis run (tests/api/test_schemathesis.py) sent, when it
    ran in this session (in whichever worker): the closing note of issue 8 reports it."""
    report = Path(config.rootpath) / "var" / "schemathesis-cases.txt"
    started = config.stash.get(SESSION_STARTED, None)
    if started is not None and report.exists() and report.stat().st_mtime >= started:
        terminalreporter.write_line(report.read_text().splitlines()[0])


@pytest.fixture(scope="session", autouse=True)
def _empty_test_queue():
    """Messages enqueued by tests whose database is gone must not outlive the run."""
    yield
    from synchrony.celery import app

    app.control.purge()


@pytest.fixture
def cast(db: None) -> Cast:
    manager = UserFactory(username="manager", starts_projects=True)
    project = ProjectFactory(owner=manager, name="Atlas launch")
    contributor = UserFactory(username="contributor")
    viewer = UserFactory(username="viewer")
    Membership.objects.create(project=project, user=contributor, role=Role.CONTRIBUTOR)
    Membership.objects.create(project=project, user=viewer, role=Role.VIEWER)
    return Cast(project, manager, contributor, viewer, UserFactory(username="outsider"))


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_user():
    return client_for


class WorkerThread:
    def wait_for(self, condition, timeout: float = 20.0):
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError("the Celery worker did not get there in time")


@pytest.fixture
def celery_worker_thread(transactional_db: None):
    """A real Celery worker, in a thread, consuming the test queue on the real Redis."""
    from celery.contrib.testing.worker import start_worker

    from synchrony.celery import app

    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield WorkerThread()


class EngineProcesses:
    """The real thing: a Celery worker and beat as processes, on this test's database.

    The test must commit its data (transactional_db or a live server fixture) for the
    processes to see it. `kill_worker` is SIGKILL: nothing is cleaned up.
    """

    def __init__(self, directory) -> None:
        from django.conf import settings
        from django.db import connection

        db = connection.settings_dict
        self.directory = directory
        self.queue = settings.CELERY_TASK_DEFAULT_QUEUE
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "synchrony.settings_test",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": settings.REDIS_URL,
            "PYTEST_XDIST_WORKER": os.environ.get("PYTEST_XDIST_WORKER", "main"),
        }
        self.celery = str(Path(sys.executable).parent / "celery")
        self.worker: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.started = 0

    def _spawn(self, *args: str, log: str) -> subprocess.Popen:
        return subprocess.Popen(
            [self.celery, "-A", "synchrony", *args],
            env=self.env,
            stdout=open(self.directory / log, "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_worker(self) -> None:
        self.started += 1
        log = f"worker-{self.started}.log"
        # Unique on this broker: remote control (`consume`) reaches every worker of that
        # name on the Redis database, whichever queue it serves. Named only `w1@host`, the
        # other pytest-xdist worker's engine worker also obeyed `add_consumer` for this
        # queue, then took this worker's messages and ran them on its own test database.
        self.worker_name = f"{self.queue}-w{self.started}-{os.getpid()}@{socket.gethostname()}"
        self.worker = self._spawn("worker", "--loglevel", "INFO", "-n", self.worker_name, log=log)
        deadline = time.monotonic() + 30
        while b" ready." not in (self.directory / log).read_bytes():
            if time.monotonic() > deadline or self.worker.poll() is not None:
                raise AssertionError((self.directory / log).read_text())
            time.sleep(0.1)

    def start_beat(self) -> None:
        schedule = str(self.directory / "beat-schedule")
        self.beat = self._spawn(
            "beat", "--loglevel", "INFO", "--schedule", schedule, log="beat.log"
        )

    def consume(self, on: bool) -> None:
        """Stop (or resume) the worker taking messages from the queue; it stays up.

        A fetch (BRPOP) the worker sent before it stopped may still take the next message;
        with no consumer left, kombu puts it back. So a test that needs a message to sit in
        Redis waits for `queued()` to see it, and then the worker cannot hold it.
        """
        from synchrony.celery import app

        command = app.control.add_consumer if on else app.control.cancel_consumer
        replies = command(self.queue, destination=[self.worker_name], reply=True)
        assert replies, f"{self.worker_name} did not answer"

    def queued(self, task: Task) -> int:
        """How many messages for `task` wait in Redis in this engine's queue."""
        import redis
        from django.conf import settings

        waiting = redis.Redis.from_url(settings.CELERY_BROKER_URL).lrange(self.queue, 0, -1)
        return sum(json.loads(m)["headers"]["task"] == task.name for m in waiting)

    def kill_worker(self) -> None:
        assert self.worker is not None
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(10)

    def stop(self) -> None:
        for process in (self.worker, self.beat):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in (self.worker, self.beat):
            if process is None:
                continue
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)

    def wait_for(self, condition, timeout: float = 30.0, what: str = "it"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.1)
        logs = "\n".join(
            f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.directory.glob("*.log"))
        )
        raise AssertionError(f"the engine did not get to {what} within {timeout:g} s\n{logs}")


@pytest.fixture
def engine_processes(transactional_db: None, tmp_path):
    """A real worker and beat (as processes) on this test's database and queue."""
    from synchrony.celery import app

    app.control.purge()
    processes = EngineProcesses(tmp_path)
    processes.start_worker()
    processes.start_beat()
    yield processes
    processes.stop()
    app.control.purge()

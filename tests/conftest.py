from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from synchrony.accounts.models import User
from synchrony.projects.models import Membership, Project, Role
from tests.factories import ProjectFactory, UserFactory


@dataclass
class Cast:
    """A project with one person in each role, and one outsider."""

    project: Project
    manager: User
    contributor: User
    viewer: User
    outsider: User


@pytest.fixture(scope="session", autouse=True)
def _empty_test_queue():
    """Messages enqueued by tests whose database is gone must not outlive the run."""
    yield
    from synchrony.celery import app

    app.control.purge()


@pytest.fixture
def cast(db: None) -> Cast:
    manager = UserFactory(username="manager")
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

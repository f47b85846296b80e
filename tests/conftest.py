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

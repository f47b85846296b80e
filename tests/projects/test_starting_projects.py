"""Who starts a project: marketing managers (Django's "Can add project" permission,
through the Marketing managers group or given directly) and admins; nobody else."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from synchrony.projects import services
from synchrony.projects.models import Membership, Project, Role
from synchrony.projects.selectors import PROJECT_STARTERS, can_create_project
from tests.conftest import client_for
from tests.factories import ProjectFactory, UserFactory

starters = importlib.import_module("synchrony.projects.migrations.0004_project_starters")


def test_a_contributor_cannot_start_a_project_anywhere(cast):
    client = client_for(cast.contributor)
    page = client.get("/projects/")
    assert "New project" not in page.content.decode()
    assert "Marketing managers start projects" in page.content.decode()
    assert client.get("/projects/new/").status_code == 403
    response = client.post("/projects/new/", {"name": "Side project"})
    assert response.status_code == 403
    assert "ask an admin to add you to Marketing managers" in response.content.decode()
    with pytest.raises(PermissionDenied):
        services.project_create(actor=cast.contributor, name="Side project")
    assert not Project.objects.filter(name="Side project").exists()


def test_a_marketing_manager_starts_one_and_manages_it(cast):
    client = client_for(cast.manager)
    assert 'href="/projects/new/"' in client.get("/projects/").content.decode()
    response = client.post("/projects/new/", {"name": "Spring push"})
    project = Project.objects.get(name="Spring push")
    assert response.status_code == 302
    assert project.owner == cast.manager
    assert Membership.objects.get(project=project, user=cast.manager).role == Role.MANAGER


def test_the_group_admins_and_inactive_users(db):
    # The migration made the group; a flush by an earlier transactional test may not have
    # left it, so it is made again here as the migration makes it.
    Group.objects.filter(name=PROJECT_STARTERS).delete()
    starters.grant_to_managers(apps, None)
    member = UserFactory()
    assert not can_create_project(member)
    member.groups.add(Group.objects.get(name=PROJECT_STARTERS))
    member = type(member).objects.get(pk=member.pk)  # permissions are cached per object
    assert can_create_project(member)
    assert can_create_project(UserFactory(is_staff=True))
    assert not can_create_project(UserFactory(starts_projects=True, is_active=False))


def test_the_migration_keeps_everyone_who_manages_a_project_a_starter(db):
    models_module = apps.get_app_config("projects").models_module
    Group.objects.filter(name=PROJECT_STARTERS).delete()
    manager, contributor = UserFactory(), UserFactory()
    project = ProjectFactory(owner=manager)  # its owner manages it
    Membership.objects.create(project=project, user=contributor, role=Role.CONTRIBUTOR)
    starters.grant_to_managers(apps, None)
    group = Group.objects.get(name=PROJECT_STARTERS)
    assert list(group.user_set.all()) == [manager]
    assert can_create_project(type(manager).objects.get(pk=manager.pk))
    assert not can_create_project(type(contributor).objects.get(pk=contributor.pk))
    # Run on the app registry (not a migration's), it leaves it as it was: content types
    # and permissions are made again after a flush only for apps with a models module.
    assert apps.get_app_config("projects").models_module is models_module is not None

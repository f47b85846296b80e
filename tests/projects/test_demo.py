from __future__ import annotations

from django.core.management import call_command

from synchrony.accounts.models import Team, User
from synchrony.projects.models import Project, Role, Stage


def test_the_demo_workspace_loads_once_with_people_in_every_role(db, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    # Seeded teams may be gone (an admin deleted them, or a transactional test flushed them).
    Team.objects.all().delete()
    call_command("load_demo", "--if-empty")
    stages = set(Project.objects.values_list("stage", flat=True))
    assert stages == {Stage.DEVELOPMENT, Stage.PLANNING, Stage.PERFORMANCE, Stage.CLOSED}
    roles = set(
        Project.objects.get(stage=Stage.PLANNING).memberships.values_list("role", flat=True)
    )
    assert roles == {Role.MANAGER, Role.CONTRIBUTOR, Role.VIEWER}
    logins = (tmp_path / "demo-logins.txt").read_text()
    password = logins.split("everyone: ")[1].split(")")[0]
    assert User.objects.get(username="maria").check_password(password)
    atlas = Project.objects.get(stage=Stage.PLANNING)
    assert atlas.tasks.exists() and atlas.content_items.exists() and atlas.budget_lines.exists()
    assert atlas.events.count() > 10
    # Launch history for the sync-health page: one recovered retry, one open failure.
    from synchrony.launches.engine import check_launch
    from synchrony.launches.models import Activation, LaunchStatus

    history = Activation.objects.filter(launch__status__in=["launched", "partly_launched"])
    assert sum(a.recovered for a in history) == 1
    assert history.get(state="failed").owner_notified_at is not None
    assert {a.launch.status for a in history} == {
        LaunchStatus.LAUNCHED,
        LaunchStatus.PARTLY_LAUNCHED,
    }
    scheduled = atlas.launches.get(status=LaunchStatus.SCHEDULED)
    assert [p.kind for p in check_launch(scheduled)].count("gate") >= 1  # not ready yet
    count = User.objects.count()
    call_command("load_demo", "--if-empty")
    assert User.objects.count() == count


def test_the_demo_has_a_closed_project_whose_lessons_reach_the_next_ones(db, tmp_path, settings):
    from synchrony.reviews.models import Item, LessonApplication
    from synchrony.reviews.selectors import suggestions_for

    settings.VAR_DIR = tmp_path
    call_command("load_demo", "--if-empty")
    closed = Project.objects.get(stage=Stage.CLOSED)
    retro = closed.retrospectives.get()
    assert retro.is_finished
    assert Item.objects.filter(retrospective=retro, is_anonymous=True, author__isnull=True)
    assert retro.lessons.filter(status="published").count() == 2
    webinars = Project.objects.get(name="Spring webinar series")
    assert suggestions_for(webinars)[1] == 2
    assert webinars.tasks.filter(description__contains="retrospective").exists()
    assert LessonApplication.objects.get().project.name == "Atlas 3.0 product launch"

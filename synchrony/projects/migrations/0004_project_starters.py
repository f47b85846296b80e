"""Starting a project takes Django's "Can add project" permission (before, anyone could).

The Marketing managers group holds it; everyone who already manages a project joins the
group, so nobody who started projects before loses the button.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Marketing managers"


def grant_to_managers(apps, schema_editor):
    # Permissions are made after migrating (post_migrate); this one is needed now. A
    # migration's app registry has no models module, which create_permissions wants.
    projects = apps.get_app_config("projects")
    models_module = getattr(projects, "models_module", None)
    projects.models_module = models_module or True
    try:
        create_permissions(projects, apps=apps, verbosity=0)
    finally:
        projects.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Membership = apps.get_model("projects", "Membership")
    User = apps.get_model("accounts", "User")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        Permission.objects.get(content_type__app_label="projects", codename="add_project")
    )
    managers = Membership.objects.filter(role="manager").values("user_id")
    group.user_set.add(*User.objects.filter(pk__in=managers))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("projects", "0003_stage_deadlines"),
    ]

    operations = [migrations.RunPython(grant_to_managers, migrations.RunPython.noop)]

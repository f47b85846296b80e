"""A launch now goes out on its project's channels only (selectors.launchable_channels).
The channels launches already use join their projects, so no launch is left outside."""

from __future__ import annotations

from django.db import migrations


def join(apps, schema_editor) -> None:
    Activation = apps.get_model("launches", "Activation")
    Through = apps.get_model("projects", "Project").channels.through
    used = set(Activation.objects.values_list("launch__project_id", "channel_id").distinct())
    had = set(Through.objects.values_list("project_id", "channel_id"))
    Through.objects.bulk_create(
        [Through(project_id=p, channel_id=c) for p, c in sorted(used - had)]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("launches", "0006_preflight_occasion"),
        ("projects", "0004_project_starters"),
    ]

    operations = [migrations.RunPython(join, migrations.RunPython.noop)]

from django.db import migrations

TEAMS = [
    ("Marketing", "Plans and runs the campaigns."),
    ("Sales", "Needs to know about every launch before customers do."),
    ("Customer success", "Answers customers about what marketing announced."),
    ("Operations", "Keeps the launch machinery running."),
    ("IT", "Owns systems, integrations and the product release."),
    ("Finance", "Accounting: approves budgets and tracks spend."),
]


def add_teams(apps, schema_editor):
    Team = apps.get_model("accounts", "Team")
    for name, description in TEAMS:
        Team.objects.get_or_create(name=name, defaults={"description": description})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(add_teams, migrations.RunPython.noop)]

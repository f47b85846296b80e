"""What occasion each preflight check ran on, so the control room labels it truthfully.

Checks recorded before this kept only `final`: the check at the last offset and the one
at arming both read "final check". The arming check is the one the dispatcher runs once
go-live is within LAUNCH_ARM_LEAD_SECONDS, and no other check runs that close (the
dispatcher's preflights stop there), so the old ones are told apart by when they ran.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def label_arming_checks(apps, schema_editor):
    PreflightCheck = apps.get_model("launches", "PreflightCheck")
    lead = dt.timedelta(seconds=settings.LAUNCH_ARM_LEAD_SECONDS)
    PreflightCheck.objects.filter(final=True, ran_at__gte=F("go_live") - lead).update(
        occasion="arming"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("launches", "0005_channel_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="preflightcheck",
            name="occasion",
            field=models.CharField(
                choices=[
                    ("planned", "Before go-live"),
                    ("scheduling", "On scheduling"),
                    ("arming", "At arming"),
                ],
                default="planned",
                max_length=12,
            ),
        ),
        migrations.RunPython(label_arming_checks, migrations.RunPython.noop),
    ]

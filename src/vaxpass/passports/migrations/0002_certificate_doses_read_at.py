"""When a passport read the doses it holds: how a dose is known to be certified now that
no dose row is marked so (records 0007). A passport issued before this read its doses
within a second of its (whole-second) issuing time."""

from datetime import timedelta

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def fill(apps, schema_editor):
    Certificate = apps.get_model("passports", "Certificate")
    Certificate.objects.update(doses_read_at=F("issued_at") + timedelta(seconds=1))


class Migration(migrations.Migration):
    dependencies = [("passports", "0001_initial"), ("records", "0007_dose_stage_certified_derived")]

    operations = [
        migrations.AddField(
            model_name="certificate",
            name="doses_read_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]

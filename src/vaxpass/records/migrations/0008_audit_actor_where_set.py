"""Audit entries indexed by actor only where one is set: a batch run's entries, two for
each dose it links, have none, and each paid for an index entry of its NULL actor.

SQLite alters the column by remaking the table, which drops the append-only triggers:
made again as in 0006.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from vaxpass.records.migrations._triggers import append_only_again


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0007_dose_stage_certified_derived"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Undone last, after the table is remade once more.
        migrations.RunPython(migrations.RunPython.noop, append_only_again),
        migrations.AlterField(
            model_name="auditentry",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(
                condition=models.Q(("actor__isnull", False)), fields=["actor"], name="audit_by"
            ),
        ),
        migrations.RunPython(append_only_again, migrations.RunPython.noop),
    ]

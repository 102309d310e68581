"""The audit log's object_id needs no index of its own: the (model, object_id) one serves
every look-up, and each bulk-loaded dose pays for every index of its audit entry.

SQLite alters a column by remaking the table, which drops its triggers: the append-only
triggers of 0002 are made again.
"""

from django.db import migrations, models

from vaxpass.records.migrations._triggers import append_only_again


class Migration(migrations.Migration):

    dependencies = [
        ('records', '0005_bulk_load_indexes'),
    ]

    operations = [
        # Undone last, after the table is remade once more.
        migrations.RunPython(migrations.RunPython.noop, append_only_again),
        migrations.AlterField(
            model_name='auditentry',
            name='object_id',
            field=models.CharField(max_length=40),
        ),
        migrations.RunPython(append_only_again, migrations.RunPython.noop),
    ]

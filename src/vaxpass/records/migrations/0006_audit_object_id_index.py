"""The audit log's object_id needs no index of its own: the (model, object_id) one serves
every look-up, and each bulk-loaded dose pays for every index of its audit entry.

SQLite alters a column by remaking the table, which drops its triggers: the append-only
triggers of 0002 are made again.
"""

from django.db import migrations, models

SQLITE_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON records_auditentry "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON records_auditentry "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
]


def append_only_again(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_TRIGGERS:
            schema_editor.execute(sql)


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

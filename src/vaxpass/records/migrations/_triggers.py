"""The append-only triggers of 0002 on SQLite, made again after a migration remakes the
audit table (SQLite alters a column that way, and the remade table has no triggers)."""

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

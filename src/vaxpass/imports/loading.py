"""The load pass of an import: staged rows (`imports.staging`) into people, doses and
their audit entries, one chunk of lines at a time, in set-based SQL.

Per chunk, in the caller's transaction: the rows whose dedup key is not stored yet (and the
first of a key repeated in the file) are the fresh ones; a person is created for each
identity of a fresh row that no stored person has (from its first row), every fresh row
becomes a dose of its person, and each new person and dose gets its audit entry, its
`after` built by the database (`records.audit.bulk_audit_sql`). The same SQL runs on
PostgreSQL and SQLite.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone

from vaxpass.imports import staging
from vaxpass.imports.models import ImportBatch
from vaxpass.records.audit import bulk_audit_sql
from vaxpass.records.models import Dose, DoseSource, DoseStatus, Person


def _fresh_rows(table: str) -> str:
    """CTEs `chunk` (the staged rows of the part between two lines) and `fresh`."""
    return f"""
    chunk AS (
        SELECT * FROM {table}
        WHERE part = %(part)s AND line > %(after)s AND line <= %(through)s
    ),
    fresh AS (
        SELECT * FROM (
            SELECT c.*, row_number() OVER (PARTITION BY c.dedup_key ORDER BY c.line) AS nth_of_key
            FROM chunk c
        ) copies
        WHERE nth_of_key = 1
          AND NOT EXISTS (SELECT 1 FROM records_dose d WHERE d.dedup_key = copies.dedup_key)
    )"""


def _person_of(alias: str) -> str:
    """The stored person of a staged row: the oldest with its old ID card number (CMND
    rows, whatever else that person has), else the oldest with its identity key. The
    condition is written as the partial index's (``person_old_id``): SQLite uses such an
    index only for the very same expression, and scans the table for ``<> ''``."""
    return f"""CASE WHEN {alias}.old_id_number <> ''
        THEN (SELECT min(p.id) FROM records_person p
              WHERE NOT (p.old_id_number = '') AND p.old_id_number = {alias}.old_id_number)
        ELSE (SELECT min(p.id) FROM records_person p
              WHERE p.identity_key = {alias}.identity_key)
        END"""


# Each column of the new rows and its SQL over the staged row `s`; checked against the models.
_PERSON_VALUES = {
    "citizen_id": "s.citizen_id", "old_id_number": "s.old_id_number",
    "full_name": "s.full_name", "search_name": "s.search_name", "birth_date": "s.birth_date",
    "sex": "s.sex", "phone": "s.phone", "address": "s.address", "registry_id": "''",
    "registration_id": "NULL", "ward_id": "s.ward_id", "legacy_ward_id": "NULL",
    "legacy_district_id": "NULL", "legacy_province_id": "NULL", "current_ward_id": "s.ward_id",
    "current_province_id": "s.current_province_id", "created_at": "%(now)s",
}  # fmt: skip
_DOSE_VALUES = {
    "person_id": "", "captured_citizen_id": "s.captured_citizen_id",
    "captured_name": "s.captured_name", "captured_birth_date": "s.captured_birth_date",
    "captured_sex": "s.sex", "captured_phone": "s.captured_phone",
    "captured_address": "s.address", "captured_ward_id": "s.ward_id", "registry_id": "''",
    "product": "s.product", "lot": "s.lot", "given_on": "s.given_on",
    "dose_number": "s.dose_number", "facility_id": "s.facility_id",
    "entered_by_id": "%(actor)s", "source": "%(source)s", "status": "%(status)s",
    "flags": "s.flags", "override_reason": "''", "idempotency_key": "NULL",
    "dedup_key": "s.dedup_key", "import_batch_id": "%(batch)s", "import_line": "s.line",
    "created_at": "%(now)s", "updated_at": "%(now)s",
}  # fmt: skip


def _columns(model: type[models.Model]) -> set[str]:
    return {f.column for f in model._meta.concrete_fields if not (f.primary_key or f.generated)}


assert set(_PERSON_VALUES) == _columns(Person), "a Person column the load does not fill"
assert set(_DOSE_VALUES) == _columns(Dose), "a Dose column the load does not fill"


def _insert(model: type[models.Model], values: dict[str, str], select: str) -> str:
    columns = ", ".join(connection.ops.quote_name(c) for c in values)
    return f"INSERT INTO {model._meta.db_table} ({columns}) SELECT {', '.join(values.values())} {select}"


_FIRSTS = """
    firsts AS (
        SELECT * FROM (
            SELECT f.*,
                row_number() OVER (PARTITION BY f.identity_key ORDER BY f.line) AS nth_of_person
            FROM fresh f
        ) ranked
        WHERE nth_of_person = 1
    )"""


def _dose_values(person: str) -> dict[str, str]:
    values = {**_DOSE_VALUES, "person_id": person}
    if connection.vendor == "postgresql":
        values["flags"] = "CAST(s.flags AS jsonb)"
    return values


def _people_select(ending: str = "") -> str:
    return f"FROM firsts s WHERE ({_person_of('s')}) IS NULL ORDER BY s.line{ending}"


def _chunk_sql_postgresql(table: str, person_sequence: str) -> str:
    """The whole chunk as one statement. Each fresh row gets its person's id without a
    join (a join of CTEs is planned blind, as a nested loop): the stored person's, or one
    drawn from the sequence for the first row of a new identity and shared with the
    identity's other rows by a window. People, doses and audit entries are inserted in
    CTEs, the audit entries built from what the inserts returned."""
    resolved = f"""
    resolved AS MATERIALIZED (
        SELECT f.*, {_person_of("f")} AS known_person,
            row_number() OVER (PARTITION BY f.identity_key ORDER BY f.line) AS nth_of_person
        FROM fresh f
    ),
    numbered AS MATERIALIZED (
        SELECT r.*, CASE WHEN r.known_person IS NULL AND r.nth_of_person = 1
            THEN nextval({person_sequence}::regclass) END AS new_person
        FROM resolved r
    ),
    placed AS MATERIALIZED (
        SELECT n.*, COALESCE(
            n.known_person, max(n.new_person) OVER (PARTITION BY n.identity_key)
        ) AS person
        FROM numbered n
    )"""
    new_people = _insert(
        Person,
        {"id": "s.new_person", **_PERSON_VALUES},
        "FROM placed s WHERE s.new_person IS NOT NULL ORDER BY s.line",
    )
    new_doses = _insert(Dose, _dose_values("s.person"), "FROM placed s ORDER BY s.line")
    return f"""WITH {_fresh_rows(table)},{resolved},
    born AS ({new_people} RETURNING *),
    given AS ({new_doses} RETURNING *),
    people_audit AS ({bulk_audit_sql(Person, "born n")}),
    doses_audit AS ({bulk_audit_sql(Dose, "given n")})
    SELECT count(*) FROM given"""


def _person_sequence() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Person._meta.db_table])
        name = cursor.fetchone()[0]
    return "'" + name.replace("'", "''") + "'"


def _people_sql_sqlite(table: str) -> str:
    people = _insert(Person, _PERSON_VALUES, _people_select(" RETURNING id"))
    return f"WITH {_fresh_rows(table)},{_FIRSTS} {people}"


def _doses_sql_sqlite(table: str) -> str:
    doses = _insert(
        Dose, _dose_values(_person_of("s")), "FROM fresh s ORDER BY s.line RETURNING id"
    )
    return f"WITH {_fresh_rows(table)} {doses}"


def chunk_bounds(batch_id: int, part: int, after: int, limit: int) -> tuple[int, int]:
    """How many staged rows the next chunk of a part holds, and its last line."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), max(line) FROM (SELECT line FROM {staging.table(batch_id)}"
            " WHERE part = %s AND line > %s ORDER BY line LIMIT %s) c",
            [part, after, limit],
        )
        rows, last = cursor.fetchone()
    return rows, last or after


def load_chunk(batch: ImportBatch, part: int, after: int, through: int) -> int:
    """Store the staged rows of `part` with lines in (after, through]; returns how many
    doses were created. Run it in the transaction that records the chunk's progress."""
    table = staging.table(batch.pk)
    now = timezone.now()
    params = {
        "part": part,
        "after": after,
        "through": through,
        "batch": batch.pk,
        "actor": batch.uploaded_by_id,
        "source": DoseSource.IMPORT.value,
        "status": DoseStatus.RECORDED.value,
        "now": models.DateTimeField().get_db_prep_save(now, connection),
        "now_json": DjangoJSONEncoder().default(now),
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The chunk and its progress commit together; a crash of the server may lose
            # the last chunks, never half of one, and the load resumes from what is there.
            cursor.execute("SET LOCAL synchronous_commit TO off")
            cursor.execute(_chunk_sql_postgresql(table, _person_sequence()), params)
            return cursor.fetchone()[0]
        cursor.execute(_people_sql_sqlite(table), params)
        people = [row[0] for row in cursor.fetchall()]
        cursor.execute(_doses_sql_sqlite(table), params)
        doses = [row[0] for row in cursor.fetchall()]
        for model, ids in ((Person, people), (Dose, doses)):
            if ids:
                where = (
                    f"{model._meta.db_table} n WHERE n.id IN (SELECT value FROM json_each(%(ids)s))"
                )
                cursor.execute(bulk_audit_sql(model, where), {**params, "ids": json.dumps(ids)})
    return len(doses)

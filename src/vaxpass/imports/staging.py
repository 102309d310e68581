"""The rows of a batch as the check pass cleaned them, waiting to be loaded.

One table per batch (`imports_staged_<id>`): the check pass writes each good row once (COPY
on PostgreSQL, executemany on SQLite), with everything the load needs (the person as
cleaned, the dose with its number and flags, its dedup key); the load pass reads it in
chunks of lines with set-based SQL (`imports.loading`). The table is dropped when the
batch is loaded or checked again: dropping a table takes an instant, where deleting a
million rows from a shared one would take seconds. It is an ordinary (logged) table, so a
crash of the database server cannot lose the rows a resumed load still needs.
"""

from collections.abc import Iterable, Sequence

from django.db import connection

# (name, SQL type); the order of the values in each staged row.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("part", "smallint NOT NULL"),  # rows of one person share a part
    ("line", "integer NOT NULL"),  # as the user sees it in the spreadsheet
    ("identity_key", "varchar(131) NOT NULL"),
    ("citizen_id", "varchar(12) NOT NULL"),
    ("old_id_number", "varchar(9) NOT NULL"),
    ("full_name", "varchar(120) NOT NULL"),
    ("search_name", "varchar(120) NOT NULL"),
    ("birth_date", "varchar(10) NOT NULL"),
    ("sex", "varchar(1) NOT NULL"),
    ("phone", "varchar(15) NOT NULL"),
    ("address", "varchar(250) NOT NULL"),
    ("ward_id", "bigint"),  # current-era ward, if the row names a known one
    ("current_province_id", "bigint"),
    ("captured_citizen_id", "varchar(20) NOT NULL"),  # the cells as typed
    ("captured_name", "varchar(120) NOT NULL"),
    ("captured_birth_date", "varchar(10) NOT NULL"),
    ("captured_phone", "varchar(15) NOT NULL"),
    ("product", "varchar(40) NOT NULL"),
    ("lot", "varchar(40) NOT NULL"),
    ("given_on", "date NOT NULL"),
    ("dose_number", "smallint NOT NULL"),
    ("facility_id", "bigint NOT NULL"),
    ("flags", "text NOT NULL"),  # JSON list of the dose rules' warning codes
    ("dedup_key", "varchar(32) NOT NULL"),
)
NAMES = tuple(name for name, _type in COLUMNS)
GIVEN_ON = NAMES.index("given_on")


def table(batch_id: int) -> str:
    return f"imports_staged_{int(batch_id)}"


def create(batch_id: int) -> None:
    """A new, empty staging table for the batch (an earlier one is dropped)."""
    drop(batch_id)
    name = table(batch_id)
    columns = ", ".join(f"{column} {kind}" for column, kind in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {name} ({columns}, PRIMARY KEY (part, line))")


def drop(batch_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table(batch_id)}")


def exists(batch_id: int) -> bool:
    with connection.cursor() as cursor:
        return table(batch_id) in connection.introspection.table_names(cursor)


def write(batch_id: int, rows: Sequence[Sequence]) -> None:
    """Append staged rows (values in COLUMNS order)."""
    if not rows:
        return
    name, names = table(batch_id), ", ".join(NAMES)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(NAMES))
        cursor.executemany(
            f"INSERT INTO {name} ({names}) VALUES ({marks})", list(_sqlite_values(rows))
        )


def _sqlite_values(rows: Iterable[Sequence]) -> Iterable[list]:
    for row in rows:
        values = list(row)
        values[GIVEN_ON] = values[GIVEN_ON].isoformat()  # as Django stores a DateField
        yield values


def count(batch_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table(batch_id)}")
        return cursor.fetchone()[0]

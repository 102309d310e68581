"""Fast inserts of many rows: COPY on PostgreSQL, multi-row INSERT ... RETURNING on SQLite.

Django's bulk_create spends most of its time preparing each field of each object through
the generic field API. Here each model gets a list of plain attribute getters once (a
conversion only for the fields that need one), and rows go to the database as tuples:
PostgreSQL's COPY is several times faster again than INSERT. Primary keys come from the
table's sequence first (PostgreSQL) or from RETURNING (SQLite), so the objects come back
with their ids as bulk_create's do.
"""

from collections.abc import Callable, Iterable, Sequence
from functools import cache
from operator import attrgetter

from django.db import connection, models
from django.db.models import Model
from django.utils import timezone

# Fields whose stored value is the attribute as it is: no conversion, no pre_save hook.
_PLAIN = (
    models.CharField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
    models.DateField,
)
_SQLITE_ROWS = 500  # rows per INSERT: 500 x ~30 columns stays under SQLite's variable limit


@cache
def _getters(
    model: type[Model],
) -> tuple[tuple[str, ...], tuple[Callable | None, ...], tuple[str, ...]]:
    """Columns, a getter per column, and the attributes stamped with the time of the insert
    (auto_now / auto_now_add: their getter is None, filled in per call)."""
    columns: list[str] = []
    getters: list[Callable | None] = []
    stamped: list[str] = []
    for field in model._meta.concrete_fields:
        if field.primary_key and connection.vendor != "postgresql":
            continue  # SQLite numbers the rows itself
        if field.generated:
            continue  # computed by the database
        columns.append(field.column)
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            stamped.append(field.attname)
            getters.append(None)
        elif isinstance(field, _PLAIN) and not isinstance(field, models.DateTimeField):
            getters.append(attrgetter(field.attname))
        else:
            getters.append(
                lambda obj, f=field: f.get_db_prep_save(f.pre_save(obj, True), connection)
            )
    return tuple(columns), tuple(getters), tuple(stamped)


def insert_values(
    model: type[Model], columns: Sequence[str], rows: Iterable[Sequence]
) -> list[int]:
    """Insert raw rows (values already in database form); returns the new ids in order on
    SQLite, nothing on PostgreSQL (where callers supply the ids)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return []
        ids: list[int] = []
        pk = quote(model._meta.pk.column)
        batch: list[Sequence] = []

        def flush() -> None:
            marks = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(batch))
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {marks} RETURNING {pk}",
                [value for row in batch for value in row],
            )
            ids.extend(r[0] for r in cursor.fetchall())
            batch.clear()

        for row in rows:
            batch.append(row)
            if len(batch) == _SQLITE_ROWS:
                flush()
        if batch:
            flush()
        return ids


def next_ids(model: type[Model], count: int) -> list[int]:
    """PostgreSQL: reserve ids from the table's sequence."""
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def insert_rows(objs: Sequence[Model]) -> None:
    """Insert model objects (pre_save hooks run, e.g. auto_now_add); sets their ids."""
    if not objs:
        return
    model = type(objs[0])
    columns, getters, stamped = _getters(model)
    if stamped:  # one time for the whole insert, converted once
        now = timezone.now()
        for obj in objs:
            for attname in stamped:
                setattr(obj, attname, now)
        prepared = models.DateTimeField().get_db_prep_save(now, connection)
        getters = tuple(get if get is not None else (lambda obj: prepared) for get in getters)
    if connection.vendor == "postgresql":
        missing = [obj for obj in objs if obj.pk is None]
        for obj, pk in zip(missing, next_ids(model, len(missing)), strict=True):
            obj.pk = pk
        insert_values(model, columns, ([get(obj) for get in getters] for obj in objs))
    else:
        ids = insert_values(model, columns, ([get(obj) for get in getters] for obj in objs))
        for obj, pk in zip(objs, ids, strict=True):
            obj.pk = pk
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias

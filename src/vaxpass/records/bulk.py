"""Fast inserts of many rows: PostgreSQL's COPY, or bulk_create elsewhere.

Django's bulk_create builds one big INSERT per batch, and spends most of its time in the
ORM; COPY streams the rows in the binary-free text protocol and is several times faster.
Primary keys are taken from the table's sequence first, so the objects come back with
their ids as bulk_create's do, and foreign keys to them can be set before their own COPY.
"""

from collections.abc import Callable, Sequence
from functools import cache
from operator import attrgetter

from django.db import connection, models
from django.db.models import Model

# Fields whose stored value is the attribute as it is: no conversion, no pre_save hook.
_PLAIN = (
    models.CharField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
    models.DateField,
)


@cache
def _getters(model: type[Model]) -> tuple[tuple[str, ...], tuple[Callable, ...]]:
    columns, getters = [], []
    for field in model._meta.concrete_fields:
        columns.append(field.column)
        automatic = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        if (
            isinstance(field, _PLAIN)
            and not isinstance(field, models.DateTimeField)
            and not automatic
        ):
            getters.append(attrgetter(field.attname))
        else:
            getters.append(
                lambda obj, f=field: f.get_db_prep_save(f.pre_save(obj, True), connection)
            )
    return tuple(columns), tuple(getters)


def insert_rows(objs: Sequence[Model], *, batch_size: int = 2000) -> None:
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=batch_size)
        return
    meta = model._meta
    columns, getters = _getters(model)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        missing = [obj for obj in objs if obj.pk is None]
        if missing:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(missing)],
            )
            for obj, (pk,) in zip(missing, cursor.fetchall(), strict=True):
                obj.pk = pk
        names = ", ".join(quote(c) for c in columns)
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({names}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([get(obj) for get in getters])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias

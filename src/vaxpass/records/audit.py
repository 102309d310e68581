"""The append-only audit log of people, doses and facilities.

Every ORM save and delete of an audited model writes an entry through signals, so the
admin, services, commands and jobs are all covered; bulk loads call `record_bulk`. The
acting user comes from a context variable that the request middleware and the services set.
"""

import contextlib
import contextvars
from collections.abc import Iterable, Iterator

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model
from django.db.models.signals import post_delete, post_save, pre_save

_actor: contextvars.ContextVar = contextvars.ContextVar("audit_actor", default=None)
_ENCODER = DjangoJSONEncoder()


@contextlib.contextmanager
def acting_as(user) -> Iterator[None]:
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor():
    return _actor.get()


_JSON_NATIVE = (str, int, float, bool, list, dict, type(None))


def snapshot(instance: Model) -> dict:
    """Every stored field by name (foreign keys as ids), as JSON values: dates, times and
    decimals in DjangoJSONEncoder's form. Fields the database computes (Person.identity_key)
    are left out: they add nothing, and reading one after a save costs a query."""
    data = {}
    for field in instance._meta.concrete_fields:
        if field.generated:
            continue
        value = field.value_from_object(instance)
        data[field.name] = value if isinstance(value, _JSON_NATIVE) else _ENCODER.default(value)
    data["id"] = instance.pk
    return data


def _audited_models():
    from vaxpass.places.models import Facility
    from vaxpass.records.models import Dose, Person

    return (Person, Dose, Facility)


def _before_save(sender, instance, **kwargs) -> None:
    if instance.pk is None or kwargs.get("raw"):
        instance._audit_before = None
        return
    previous = sender.objects.filter(pk=instance.pk).first()
    instance._audit_before = snapshot(previous) if previous else None


def _after_save(sender, instance, created, **kwargs) -> None:
    from vaxpass.records.models import AuditEntry

    before = None if created else getattr(instance, "_audit_before", None)
    after = snapshot(instance)
    if before == after:
        return
    AuditEntry.objects.create(
        actor=current_actor(),
        action="create" if created else "update",
        model=sender._meta.label,
        object_id=str(instance.pk),
        before=before,
        after=after,
    )


def _after_delete(sender, instance, **kwargs) -> None:
    from vaxpass.records.models import AuditEntry

    AuditEntry.objects.create(
        actor=current_actor(),
        action="delete",
        model=sender._meta.label,
        object_id=str(instance.pk),
        before=snapshot(instance),
        after=None,
    )


def record_bulk(instances: Iterable[Model], *, actor=None, action: str = "create") -> int:
    """Audit entries for rows written in bulk (which sends no signals), inserted as rows
    straight away: at a million imported doses, model objects per entry would cost more
    than the doses themselves."""
    from django.db import connection
    from django.utils import timezone

    from vaxpass.records.bulk import insert_values
    from vaxpass.records.models import AuditEntry

    who = actor if actor is not None else current_actor()
    actor_id = who.pk if who is not None else None
    after = AuditEntry._meta.get_field("after")
    at = AuditEntry._meta.get_field("at").get_db_prep_save(timezone.now(), connection)
    rows = [
        (
            at,
            actor_id,
            action,
            obj._meta.label,
            str(obj.pk),
            None,
            after.get_db_prep_save(snapshot(obj), connection),
        )
        for obj in instances
    ]
    columns = ["at", "actor_id", "action", "model", "object_id", "before", "after"]
    insert_values(AuditEntry, columns, rows)  # ids from the table's own sequence
    return len(rows)


def connect() -> None:
    for model in _audited_models():
        uid = f"audit-{model._meta.label}"
        pre_save.connect(_before_save, sender=model, dispatch_uid=uid + "-pre")
        post_save.connect(_after_save, sender=model, dispatch_uid=uid + "-post")
        post_delete.connect(_after_delete, sender=model, dispatch_uid=uid + "-del")


def _json_datetime_sql(column: str) -> str:
    """PostgreSQL: a stored time as DjangoJSONEncoder writes it (UTC, milliseconds cut,
    none when the time has no fraction of a second, ``Z``)."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN"
        f" CAST(extract(microseconds FROM {column}) AS bigint) %% 1000000 = 0 THEN ''"
        f" ELSE to_char({utc}, '.MS') END || 'Z'"
    )


def bulk_audit_sql(model: type[Model], source: str) -> str:
    """An INSERT ... SELECT writing the audit entries of rows of `model` written in bulk
    (`source`: a FROM clause giving them as `n`, such as "records_dose n WHERE ..." or the
    name of a CTE that returned them), with the same `after` that `snapshot` gives, built
    by the database. Parameters: `%(now)s` and `%(now_json)s` (the write's time, as stored
    and as DjangoJSONEncoder writes it, for the auto_now fields and the entry) and
    `%(actor)s`. Rows updated in bulk: ``bulk_change_audit_sql``."""
    from django.db import connection, models

    from vaxpass.records.models import AuditEntry

    postgresql = connection.vendor == "postgresql"
    quote = connection.ops.quote_name
    values = []  # (key, SQL of its JSON value)
    for field in model._meta.concrete_fields:
        if field.generated:
            continue
        column = f"n.{quote(field.column)}"
        if isinstance(field, models.DateTimeField):
            if not (field.auto_now or field.auto_now_add):
                raise TypeError(f"{field}: only auto_now times are known to a bulk insert")
            value = "CAST(%(now_json)s AS TEXT)"
        elif isinstance(field, models.DateField):
            value = f"to_char({column}, 'YYYY-MM-DD')" if postgresql else column
        elif isinstance(field, models.JSONField):
            value = column if postgresql else f"json({column})"
        elif isinstance(field, (models.CharField, models.IntegerField, models.ForeignKey)):
            value = column
        else:  # booleans, decimals...: SQL's JSON differs from DjangoJSONEncoder's
            raise TypeError(f"{field}: no SQL for its JSON form")
        values.append((field.name, value))
    if postgresql:  # a row's to_jsonb is several times faster than jsonb_build_object
        row = ", ".join(f"{value} AS {quote(key)}" for key, value in values)
        source = f"(SELECT {row} FROM {source}) r"
        after, object_id = "to_jsonb(r)", "CAST(r.id AS TEXT)"
    else:
        after = "json_object(" + ", ".join(f"'{key}', {value}" for key, value in values) + ")"
        object_id = "CAST(n.id AS TEXT)"
    return (
        f"INSERT INTO {quote(AuditEntry._meta.db_table)}"
        " (at, actor_id, action, model, object_id, before, after)"
        f" SELECT %(now)s, %(actor)s, 'create', '{model._meta.label}', {object_id}, NULL,"
        f" {after} FROM {source}"
    )


def bulk_change_audit_sql(model: type[Model], source: str, fields: tuple[str, ...]) -> str:
    """An INSERT ... SELECT writing the audit entries of rows of `model` updated in bulk
    (PostgreSQL), each entry holding the fields of ``fields`` the update changed, their
    values before and after (an ORM save's entry holds every field, before and after; at
    a million doses a whole row twice was a third of a cleaning run's write-back).
    `source` gives the updated rows as `n`: `n.id`, each field's column as it is now and,
    prefixed `b_`, as it was. The fields must not be nullable (an unchanged field's value
    is left out as a NULL). Parameters: `%(now)s`, `%(now_json)s` and `%(actor)s`, as
    for ``bulk_audit_sql``."""
    from django.db import connection, models

    from vaxpass.records.models import AuditEntry

    before, after = [], []
    for name in fields:
        field = model._meta.get_field(name)
        if field.null:
            raise TypeError(f"{field}: a nullable field's change cannot be told from no change")
        now, was = f"n.{field.column}", f"n.b_{field.column}"
        if isinstance(field, models.DateTimeField) and field.auto_now:
            now_json, was_json = "CAST(%(now_json)s AS TEXT)", _json_datetime_sql(was)
        elif isinstance(field, (models.CharField, models.IntegerField, models.ForeignKey)):
            now_json, was_json = now, was
        else:
            raise TypeError(f"{field}: no SQL for its JSON form")
        changed = f"{now} IS DISTINCT FROM {was}"
        before.append(f"'{field.name}', CASE WHEN {changed} THEN {was_json} END")
        after.append(f"'{field.name}', CASE WHEN {changed} THEN {now_json} END")
    return (
        f"INSERT INTO {connection.ops.quote_name(AuditEntry._meta.db_table)}"
        " (at, actor_id, action, model, object_id, before, after)"
        f" SELECT %(now)s, %(actor)s, 'update', '{model._meta.label}', CAST(n.id AS TEXT),"
        f" jsonb_strip_nulls(jsonb_build_object({', '.join(before)})),"
        f" jsonb_strip_nulls(jsonb_build_object({', '.join(after)})) FROM {source}"
    )

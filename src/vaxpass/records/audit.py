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
    decimals in DjangoJSONEncoder's form."""
    data = {}
    for field in instance._meta.concrete_fields:
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

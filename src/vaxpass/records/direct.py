"""Recording one dose in two statements on PostgreSQL, instead of a dozen.

The ORM path (BEGIN, the idempotency look-up, the person look-up, the history, the person
and its audit entry, a savepoint, the dose and its audit entry, RELEASE, COMMIT) costs a
round trip each. Here one read gives the earlier dose of the idempotency key, the person
of the ID and their doses; the rules run in Python; one write inserts the new person (if
any), the dose and both audit entries (built by the database, as `snapshot` would) in
CTEs. A single statement is atomic by itself: no transaction to open. A concurrent retry
with the same key makes it fail on the unique constraint, and the caller answers with the
dose that won.

No model signals are sent: the audit entries are written here, and the caller sends
records.signals.doses_recorded, which cleaning's trigger hears.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone

from vaxpass.core import doses as rules
from vaxpass.records.audit import bulk_audit_sql
from vaxpass.records.models import Dose, Person


@dataclass
class Found:
    """What one read finds: the dose already made with the idempotency key, the person
    of the ID and their doses."""

    replay: bool = False
    person: Person | None = None
    history: list[rules.DoseFacts] = field(default_factory=list)


def look_up(
    actor_id: int, idempotency_key: str | None, *, person_id: int | None, id_number: str
) -> Found:
    """`person_id`: a known person; else `id_number`, a normalised CCCD (12 digits) or
    CMND (9), the oldest person with it; neither: a new person, without history."""
    parts = [
        "SELECT 'replay', d.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
        " FROM records_dose d WHERE d.entered_by_id = %(actor)s"
        " AND d.idempotency_key = %(key)s"
    ]
    if person_id is not None:
        match = "SELECT %(person)s::bigint AS id"
    elif len(id_number) == 12:
        match = "SELECT min(id) AS id FROM records_person WHERE citizen_id = %(id_number)s"
    elif id_number:
        match = (
            "SELECT min(id) AS id FROM records_person"
            " WHERE NOT (old_id_number = '') AND old_id_number = %(id_number)s"
        )
    else:
        match = None
    if match:
        parts.append(
            "SELECT 'person', p.id, p.citizen_id, p.old_id_number, p.full_name, p.birth_date,"
            " d.id, d.product, d.given_on, d.dose_number, f.code"
            f" FROM ({match}) m JOIN records_person p ON p.id = m.id"
            " LEFT JOIN records_dose d ON d.person_id = p.id"
            " LEFT JOIN places_facility f ON f.id = d.facility_id"
        )
    sql = " UNION ALL ".join(f"({part})" for part in parts)
    params = {"actor": actor_id, "key": idempotency_key, "person": person_id}
    params["id_number"] = id_number
    found = Found()
    doses = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, pk, cid, old, name, birth, dose, product, given_on, number, code in cursor:
            if kind == "replay":
                found.replay = True
                continue
            if found.person is None:
                found.person = Person(
                    pk=pk, citizen_id=cid, old_id_number=old, full_name=name, birth_date=birth
                )
            if dose is not None:
                doses.append(
                    (given_on, dose, rules.DoseFacts(product, given_on, number, code, str(dose)))
                )
    found.history = [facts for _day, _id, facts in sorted(doses, key=lambda d: d[:2])]
    return found


def _values(obj: models.Model, prefix: str, now: datetime) -> tuple[list[str], dict, list[str]]:
    """Columns, parameters and placeholders of a new row of `obj` (its auto_now times set
    to `now`), the id and database-computed columns left to the database."""
    columns, params, marks = [], {}, []
    for index, model_field in enumerate(obj._meta.concrete_fields):
        if model_field.primary_key or model_field.generated:
            continue
        if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            setattr(obj, model_field.attname, now)
        name = f"{prefix}{index}"
        columns.append(connection.ops.quote_name(model_field.column))
        params[name] = model_field.get_db_prep_save(getattr(obj, model_field.attname), connection)
        marks.append(f"%({name})s")
    return columns, params, marks


def insert(dose: Dose, new_person: Person | None) -> None:
    """Insert the dose (after its new person, if any) with their audit entries; sets their
    ids. Raises IntegrityError if the dose's idempotency key was used meanwhile."""
    now = timezone.now()
    dose_columns, params, dose_marks = _values(dose, "d", now)
    person_column = dose_columns.index(connection.ops.quote_name("person_id"))
    ctes = []
    if new_person is not None:
        person_columns, person_params, person_marks = _values(new_person, "p", now)
        params.update(person_params)
        ctes.append(
            f"born AS (INSERT INTO records_person ({', '.join(person_columns)})"
            f" VALUES ({', '.join(person_marks)}) RETURNING *)"
        )
        ctes.append(f"people_audit AS ({bulk_audit_sql(Person, 'born n')})")
        dose_marks[person_column] = "(SELECT id FROM born)"
    ctes.insert(
        0 if new_person is None else 1,
        f"given AS (INSERT INTO records_dose ({', '.join(dose_columns)})"
        f" VALUES ({', '.join(dose_marks)}) RETURNING *)",
    )
    ctes.append(f"doses_audit AS ({bulk_audit_sql(Dose, 'given n')})")
    params.update(
        actor=dose.entered_by_id,
        now=models.DateTimeField().get_db_prep_save(now, connection),
        now_json=DjangoJSONEncoder().default(now),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(ctes)} SELECT id, person_id FROM given", params)
        dose.pk, dose.person_id = cursor.fetchone()
    if new_person is not None:
        new_person.pk = dose.person_id
        new_person._state.adding = False
    dose._state.adding = False
    dose._state.db = connection.alias

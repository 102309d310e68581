"""Recording many doses at once: the same checks as `services.record_dose`, with the
database work done in a handful of set-based queries instead of a few per dose."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from vaxpass.accounts.models import User
from vaxpass.core import doses as rules
from vaxpass.records.audit import acting_as, record_bulk
from vaxpass.records.bulk import insert_rows
from vaxpass.records.models import Dose, Person
from vaxpass.records.services import (
    CleanIdentity,
    DoseRequest,
    Problem,
    RecordError,
    check_item,
    check_scope,
    check_series,
    new_dose,
)


@dataclass
class BatchItemResult:
    index: int
    status: str  # created, existing, rejected
    dose: Dose | None = None
    problems: list[Problem] | None = None


def record_doses(
    actor: User, requests: list[DoseRequest], *, today: date | None = None
) -> list[BatchItemResult]:
    """Each item is created, recognised as already created (same idempotency key), or
    rejected with its problems; rejected items do not stop the others."""
    today = today or timezone.localdate()
    results: list[BatchItemResult | None] = [None] * len(requests)
    keys = [r.idempotency_key for r in requests if r.idempotency_key]
    existing = (
        {
            d.idempotency_key: d
            for d in Dose.objects.filter(entered_by=actor, idempotency_key__in=keys)
        }
        if keys
        else {}
    )
    cleaned: dict[int, CleanIdentity | None] = {}
    seen_keys: set[str] = set()
    scope_ok: dict[int, bool] = {}
    for index, request in enumerate(requests):
        key = request.idempotency_key
        if key and key in existing:
            results[index] = BatchItemResult(index, "existing", existing[key])
            continue
        if key and key in seen_keys:
            results[index] = BatchItemResult(
                index,
                "rejected",
                problems=[
                    Problem(
                        "idempotency_key",
                        "duplicate_in_batch",
                        "This idempotency key appears twice in the batch.",
                    )
                ],
            )
            continue
        if key:
            seen_keys.add(key)
        try:
            if request.facility.pk not in scope_ok:
                check_scope(actor, request.facility)
                scope_ok[request.facility.pk] = True
            cleaned[index] = check_item(request, today=today)
        except RecordError as error:
            results[index] = BatchItemResult(index, "rejected", problems=error.problems)

    with transaction.atomic(), acting_as(actor):
        people = _resolve_people(requests, cleaned)
        histories = _histories(people.values())
        new_doses: list[Dose] = []
        for index, clean in cleaned.items():
            request = requests[index]
            person = people[index]
            history = histories[person.pk]
            try:  # the rules of a single creation, against the history so far
                number, warnings = check_series(request, history, today)
            except RecordError as error:
                results[index] = BatchItemResult(index, "rejected", problems=error.problems)
                continue
            dose = new_dose(actor, request, person, clean, number, warnings)
            dose.dedup_key = dose.compute_dedup_key()
            history.append(
                rules.DoseFacts(request.product, request.given_on, number, request.facility.code)
            )
            new_doses.append(dose)
            results[index] = BatchItemResult(index, "created", dose)
        insert_rows(new_doses)
        record_bulk(new_doses, actor=actor)
    return [r for r in results if r is not None]


def _resolve_people(
    requests: list[DoseRequest], cleaned: dict[int, CleanIdentity | None]
) -> dict[int, Person]:
    people: dict[int, Person] = {}
    ids = {c.citizen_id for c in cleaned.values() if c and c.citizen_id}
    olds = {c.old_id_number for c in cleaned.values() if c and c.old_id_number}
    known: dict[str, Person] = {}
    if ids or olds:
        for person in Person.objects.filter(
            Q(citizen_id__in=ids) | Q(old_id_number__in=olds)
        ).order_by("-id"):
            for key in (person.citizen_id, person.old_id_number):
                if key:
                    known[key] = person  # ordered newest first, so the oldest wins
    created: list[Person] = []
    for index, clean in cleaned.items():
        request = requests[index]
        if request.person is not None:
            people[index] = request.person
            continue
        key = clean.citizen_id or clean.old_id_number
        if key and key in known:
            people[index] = known[key]
            continue
        person = Person.from_identity(clean, address=request.identity.address)
        person.place_in(request.identity.ward)
        created.append(person)
        people[index] = person
        if key:
            known[key] = person
    insert_rows(created)
    record_bulk(created)
    return people


def _histories(people) -> dict[int, list[rules.DoseFacts]]:
    histories: dict[int, list[rules.DoseFacts]] = defaultdict(list)
    pks = {p.pk for p in people}
    rows = Dose.objects.filter(person_id__in=pks).values_list(
        "person_id", "product", "given_on", "dose_number", "facility__code", "pk"
    )
    for person_id, product, given_on, number, facility, pk in rows.iterator(chunk_size=5000):
        histories[person_id].append(rules.DoseFacts(product, given_on, number, facility, str(pk)))
    for pk in pks:
        histories.setdefault(pk, [])
    return histories

"""Linking doses to registry people, and undoing a link: the mechanics the services use.

A link sets the dose's ``registry_id``, puts the dose on the vaxpass Person of that
registry person, aligns the Person's identity to the registry's values, and moves the
dose from recorded to verified. The dose's captured identity is never touched.

Which Person: the one already linked to the registry person; else the dose's own Person
when nothing ties it to somebody else (no registry link yet, and its ID is empty or the
registry person's); else a new Person made from the registry's values. So a dose typed
with a relative's ID, which recording put on the relative's Person, moves to its own.

Everything is written in bulk (one statement per table and chunk, audit rows through
``records.audit.record_bulk``), except People who already have signed doses: those are
saved one by one, so the passports app's signals re-check what was signed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from vaxpass.adapters.registry import RegistryPerson
from vaxpass.cleaning.bulk import update_rows
from vaxpass.cleaning.models import CleaningDecision, Correction
from vaxpass.cleaning.routing import CurrentWards
from vaxpass.core.identity import name_key
from vaxpass.places.models import Division
from vaxpass.places.services import location_path
from vaxpass.records.audit import acting_as, record_bulk
from vaxpass.records.bulk import insert_rows
from vaxpass.records.models import Dose, DoseStatus, Person
from vaxpass.records.signals import doses_verified

SIGNED_STATES = (DoseStatus.SIGNED,)
# Person field -> the dose's captured field shown next to it.
CAPTURED_FIELD = {
    "citizen_id": "captured_citizen_id",
    "old_id_number": "captured_citizen_id",
    "full_name": "captured_name",
    "birth_date": "captured_birth_date",
    "sex": "captured_sex",
}
IDENTITY_FIELDS = tuple(CAPTURED_FIELD)


@dataclass
class Link:
    dose: Dose  # with .person loaded
    decision: CleaningDecision  # saved; the decision that links
    person: RegistryPerson
    why: str = ""


def registry_values(person: RegistryPerson) -> dict[str, str]:
    """The registry's identity of a person, as aligned onto a vaxpass Person."""
    return {
        "citizen_id": person.citizen_id,
        "old_id_number": person.old_id_number or "",
        "full_name": person.full_name,
        "birth_date": person.birth_date,
        "sex": person.sex,
    }


def aligned_value(field: str, current: str, registry: str) -> str:
    """What a Person's field becomes when aligned to the registry: the registry's value,
    except where the registry knows less (an empty value, or only the birth year of a
    full date with the same year)."""
    if not registry:
        return current
    if field == "birth_date" and len(registry) == 4 and current[:4] == registry:
        return current
    return registry


def _adoptable(person: Person, registry: RegistryPerson) -> bool:
    """Whether a dose's own Person may become the registry person's: nothing ties it to
    anyone else yet."""
    return (
        not person.registry_id
        and person.citizen_id in ("", registry.citizen_id)
        and person.old_id_number in ("", registry.old_id_number)
    )


def _new_person(registry: RegistryPerson, wards: CurrentWards, paths: dict) -> Person:
    person = Person(
        citizen_id=registry.citizen_id,
        old_id_number=registry.old_id_number or "",
        full_name=registry.full_name,
        search_name=name_key(registry.full_name),
        birth_date=registry.birth_date,
        sex=registry.sex,
        phone=registry.phone or "",
        registry_id=registry.citizen_id,
    )
    ward_id = wards.by_codes([registry.ward_code]).get(registry.ward_code)
    if ward_id:
        if ward_id not in paths:
            ward = Division.objects.get(pk=ward_id)
            paths[ward_id] = {"ward": ward, **location_path(ward)}
        for column, value in paths[ward_id].items():
            setattr(person, column, value)
    return person


def _signed_people(person_ids: Iterable[int]) -> set[int]:
    return set(
        Dose.objects.filter(person_id__in=list(person_ids), status__in=SIGNED_STATES)
        .values_list("person_id", flat=True)
        .distinct()
    )


def link_doses(links: Sequence[Link], *, actor=None, method: str) -> list[int]:
    """Apply the links (in the caller's transaction); returns the ids of doses that became
    verified. ``doses_verified`` is sent for them once the transaction commits."""
    if not links:
        return []
    now = timezone.now()
    wards = CurrentWards()
    paths: dict[int, dict] = {}
    cids = {link.person.citizen_id for link in links}
    people: dict[int, Person] = {}
    for person in Person.objects.filter(registry_id__in=cids).order_by("id"):
        people[person.pk] = person
    missing = {link.dose.person_id for link in links} - set(people)
    for person in Person.objects.filter(pk__in=missing):
        people[person.pk] = person
    by_registry: dict[str, Person] = {}
    for person in sorted(people.values(), key=lambda p: p.pk):
        if person.registry_id:
            by_registry.setdefault(person.registry_id, person)

    # Pass 1: the target Person of each dose (new ones made, not yet stored).
    targets: list[tuple[Link, Person, bool, str]] = []
    new_people: list[Person] = []
    for link in links:
        cid = link.person.citizen_id
        target = by_registry.get(cid)
        created, registry_id_before = False, ""
        if target is None:
            own = people[link.dose.person_id]
            if _adoptable(own, link.person):
                target = own
            else:
                target = _new_person(link.person, wards, paths)
                new_people.append(target)
                created = True
            registry_id_before = "" if created else target.registry_id
            target.registry_id = cid
            by_registry[cid] = target
        else:
            registry_id_before = target.registry_id
        targets.append((link, target, created, registry_id_before))
    with acting_as(actor):
        if new_people:
            insert_rows(new_people)
            record_bulk(new_people, actor=actor)

    # Pass 2: align identities, move doses, write down each correction.
    changed: dict[int, Person] = {}
    corrections: list[Correction] = []
    verified: list[int] = []
    moved: list[Dose] = []
    for link, target, created, registry_id_before in targets:
        dose = link.dose
        values = registry_values(link.person)
        changes = []
        for field in IDENTITY_FIELDS:
            before = getattr(target, field)
            after = aligned_value(field, before, values[field])
            if after != before:
                setattr(target, field, after)
                changes.append(
                    {
                        "field": field,
                        "captured": getattr(dose, CAPTURED_FIELD[field]),
                        "registry": values[field],
                        "before": before,
                        "after": after,
                    }
                )
        if changes:
            target.search_name = name_key(target.full_name)
        if (changes or registry_id_before != target.registry_id) and not created:
            changed[target.pk] = target
        corrections.append(
            Correction(
                dose=dose,
                decision=link.decision,
                citizen_id=link.person.citizen_id,
                person_before_id=dose.person_id,
                person=target,
                person_created=created,
                registry_id_before=dose.registry_id,
                status_before=dose.status,
                person_registry_id_before=registry_id_before,
                changes=changes,
                method=method,
                applied_by=actor,
                applied_at=now,
                why=link.why,
            )
        )
        dose.person_id = target.pk
        dose.registry_id = link.person.citizen_id
        if dose.status == DoseStatus.RECORDED:
            dose.status = DoseStatus.VERIFIED
            verified.append(dose.pk)
        dose.updated_at = now
        moved.append(dose)

    with acting_as(actor):
        signed = _signed_people(changed)
        plain = [p for pk, p in changed.items() if pk not in signed]
        fields = ["registry_id", "search_name", *IDENTITY_FIELDS]
        update_rows(plain, fields)
        record_bulk(plain, actor=actor, action="update")
        for pk in signed:  # signals: the passports app re-checks what was signed
            changed[pk].save(update_fields=fields)
        update_rows(moved, ["person", "registry_id", "status", "updated_at"])
        record_bulk(moved, actor=actor, action="update")
        insert_rows(corrections)
    announce_verified(verified)
    return verified


def announce_verified(dose_ids: list[int]) -> None:
    """Tell signing (records.signals.doses_verified) once the transaction commits."""
    if dose_ids:
        ids = list(dose_ids)
        transaction.on_commit(lambda: doses_verified.send(sender=Dose, dose_ids=ids))


class UndoConflict(Exception):
    def __init__(self, field: str, current: str, expected: str):
        super().__init__(field)
        self.field, self.current, self.expected = field, current, expected


def unlink_dose(correction: Correction, *, actor, note: str) -> Dose:
    """Put back what the correction changed (in the caller's transaction): the dose's
    person, registry link and status, and the Person's identity if no other dose still
    relies on the link. Raises UndoConflict when a field was changed again since."""
    dose = Dose.objects.select_for_update().get(pk=correction.dose_id)
    person = Person.objects.select_for_update().get(pk=correction.person_id)
    others = (
        Dose.objects.filter(person=person, registry_id=correction.citizen_id)
        .exclude(pk=dose.pk)
        .exists()
    )
    with acting_as(actor):
        if not others:
            for change in correction.changes:
                current = getattr(person, change["field"])
                if current != change["after"]:
                    raise UndoConflict(change["field"], current, change["after"])
            for change in correction.changes:
                setattr(person, change["field"], change["before"])
            person.search_name = name_key(person.full_name)
            person.registry_id = correction.person_registry_id_before
            person.save()
            back_to = correction.person_before_id
        elif correction.person_before_id == person.pk:
            # The dose came with its own Person, which stays the registry person's for
            # the other doses: the dose gets a Person of its own, as recorded.
            back_to = _person_as_captured(dose).pk
        else:
            back_to = correction.person_before_id
        dose.person_id = back_to
        dose.registry_id = correction.registry_id_before
        dose.status = correction.status_before
        dose.save()  # signals: audit, and passports drop a signature that no longer holds
        correction.undone_at = timezone.now()
        correction.undone_by = actor
        correction.undo_note = note[:500]
        correction.save(update_fields=["undone_at", "undone_by", "undo_note"])
    return dose


def _person_as_captured(dose: Dose) -> Person:
    from vaxpass.core.identity import IdentityError, normalize_citizen_id, normalize_name

    citizen_id = old_id = ""
    try:
        normalized = normalize_citizen_id(dose.captured_citizen_id)
    except IdentityError:
        normalized = None
    if normalized is not None:
        if normalized.kind == "cccd":
            citizen_id = normalized.value
        else:
            old_id = normalized.value
    name = normalize_name(dose.captured_name)
    person = Person(
        citizen_id=citizen_id,
        old_id_number=old_id,
        full_name=name,
        search_name=name_key(name),
        birth_date=dose.captured_birth_date,
        sex=dose.captured_sex,
        phone=dose.captured_phone,
        address=dose.captured_address,
    )
    person.place_in(dose.captured_ward)
    person.save()
    return person


def people_by_citizen_id(lookup, citizen_ids: Iterable[str]) -> Mapping[str, RegistryPerson]:
    wanted = sorted({c for c in citizen_ids if c})
    return lookup(wanted) if wanted else {}

"""Load a generated data set (see vaxpass.synth) into the registry and the database: the
registry export, the facility list, and the dose records as the old system held them.

The records keep every error the generator injected: they enter the pipeline as
"recorded", exactly as an import would leave them, for cleaning to find. Dose rules run
on each person's records in file order and their findings become the dose's flags (a
dose 2 whose dose 1 was never uploaded, two sites on one day), but nothing is rejected:
this is history, not data entry. A record at a site missing from the facility list
cannot be stored (a dose needs a facility) and is counted instead.

All-or-nothing per load: one transaction. Loading the same directory twice adds nothing.
"""

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from vaxpass.core import doses as rules
from vaxpass.core.dose_rows import dedup_key, identity_key
from vaxpass.core.identity import (
    IdentityError,
    IdKind,
    name_key,
    normalize_citizen_id,
    normalize_name,
    normalize_phone,
)
from vaxpass.places.models import Facility
from vaxpass.places.services import legacy_ward_paths
from vaxpass.records.audit import record_bulk
from vaxpass.records.models import Dose, DoseSource, Person, Registration
from vaxpass.records.registry import registry_admin

CHUNK = 5000


@dataclass
class LoadReport:
    registry_people: int = 0
    facilities: int = 0
    registrations: int = 0
    people: int = 0
    doses: int = 0
    unlisted_site: int = 0
    already_loaded: bool = False
    flags: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        if self.already_loaded:
            return "already loaded: nothing added"
        flags = ", ".join(f"{k} {v}" for k, v in sorted(self.flags.items())) or "none"
        return (
            f"registry: {self.registry_people} people; {self.facilities} facilities; "
            f"{self.registrations} registrations, {self.people} people, {self.doses} doses; "
            f"{self.unlisted_site} records at sites missing from the facility list not stored; "
            f"flags: {flags}"
        )


def _chunks(rows: Iterator[dict[str, str]], size: int) -> Iterator[list[dict[str, str]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _idempotency_key(record_id: str) -> str:
    return f"synth:{record_id}"


@transaction.atomic
def load_generated(
    directory: str | Path, *, progress: Callable[[int], None] | None = None
) -> LoadReport:
    directory = Path(directory)
    report = LoadReport()
    with (directory / "doses.csv").open(newline="", encoding="utf-8") as handle:
        first = next(csv.DictReader(handle), None)
    if first and Dose.objects.filter(idempotency_key=_idempotency_key(first["record_id"])).exists():
        report.already_loaded = True
        return report

    today = timezone.localdate()
    report.registry_people = registry_admin().load_csv(directory / "registry.csv")
    paths = legacy_ward_paths()
    report.facilities = load_facility_list(directory / "facilities.csv", paths)
    facilities = dict(Facility.objects.values_list("code", "id"))

    with (directory / "doses.csv").open(newline="", encoding="utf-8") as handle:
        # Records of one person, and of one registration, are contiguous in the file, so
        # only the current and the previous chunk's refs need remembering.
        registrations: dict[str, Registration] = {}
        people: dict[str, Person] = {}
        histories: dict[str, list[rules.DoseFacts]] = {}
        for chunk in _chunks(csv.DictReader(handle), CHUNK):
            rows = []
            for row in chunk:
                if row["facility_code"] not in facilities:
                    report.unlisted_site += 1
                else:
                    rows.append(row)
            new_registrations = []
            for row in rows:
                if row["registration_ref"] not in registrations:
                    registration = Registration(phone=row["registration_phone"], channel="import")
                    registrations[row["registration_ref"]] = registration
                    new_registrations.append(registration)
            Registration.objects.bulk_create(new_registrations, batch_size=2000)
            report.registrations += len(new_registrations)

            new_people = []
            for row in rows:
                if row["person_ref"] not in people:
                    person = _person(row, registrations[row["registration_ref"]], paths)
                    people[row["person_ref"]] = person
                    new_people.append(person)
            Person.objects.bulk_create(new_people, batch_size=2000)
            record_bulk(new_people)
            report.people += len(new_people)

            new_doses = []
            for row in rows:
                dose = _dose(row, people[row["person_ref"]], facilities, paths)
                history = histories.setdefault(row["person_ref"], [])
                facts = rules.DoseFacts(
                    dose.product, dose.given_on, dose.dose_number, row["facility_code"]
                )
                issues = rules.check_dose(facts, history, today=today)
                dose.flags = sorted({issue.code for issue in issues})
                for code in dose.flags:
                    report.flags[code] = report.flags.get(code, 0) + 1
                history.append(facts)
                new_doses.append(dose)
            Dose.objects.bulk_create(new_doses, batch_size=2000)
            record_bulk(new_doses)
            report.doses += len(new_doses)
            tail = chunk[-50:]  # refs that may continue into the next chunk
            keep_people = {r["person_ref"] for r in tail}
            keep_registrations = {r["registration_ref"] for r in tail}
            people = {k: v for k, v in people.items() if k in keep_people}
            histories = {k: v for k, v in histories.items() if k in keep_people}
            registrations = {k: v for k, v in registrations.items() if k in keep_registrations}
            if progress:
                progress(len(chunk))
    return report


def load_facility_list(path: Path, paths: dict[str, dict[str, int | None]] | None = None) -> int:
    """The generator's facilities.csv (legacy ward codes); codes already stored are kept."""
    paths = paths if paths is not None else legacy_ward_paths()
    existing = set(Facility.objects.values_list("code", flat=True))
    created: dict[str, Facility] = {}
    parents: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["code"] in existing:
                continue
            if row["ward_era"] != "legacy":
                raise ValueError(
                    f"{path}: facility {row['code']}: generated facilities use legacy ward codes"
                )
            facility = Facility(code=row["code"], name=row["name"], kind=row["kind"], official=True)
            for column, value in paths[row["ward_code"]].items():
                setattr(facility, column, value)
            created[row["code"]] = facility
            if row["parent_code"]:
                parents[row["code"]] = row["parent_code"]
    Facility.objects.bulk_create(list(created.values()), batch_size=2000)
    ids = dict(Facility.objects.filter(code__in=set(parents.values())).values_list("code", "id"))
    children = [created[code] for code in parents]
    for child in children:
        child.parent_id = ids[parents[child.code]]
    Facility.objects.bulk_update(children, ["parent"], batch_size=2000)
    record_bulk(created.values())
    return len(created)


def _person(row: dict[str, str], registration: Registration, paths) -> Person:
    citizen_id = old_id = ""
    try:
        normalized = normalize_citizen_id(row["citizen_id"])
        if normalized is not None:
            if normalized.kind == IdKind.CCCD:
                citizen_id = normalized.value
            else:
                old_id = normalized.value
    except IdentityError:
        pass  # kept as captured on the dose, for cleaning to sort out
    try:
        phone = normalize_phone(row["phone"])[0]
    except IdentityError:
        phone = ""
    full_name = normalize_name(row["full_name"])
    person = Person(
        registration=registration,
        citizen_id=citizen_id,
        old_id_number=old_id,
        full_name=full_name,
        search_name=name_key(full_name),
        birth_date=row["birth_date"],
        sex=row["sex"],
        phone=phone,
        address=row["address"],
    )
    for column, value in paths[row["ward_code"]].items():
        setattr(person, column, value)
    return person


def _dose(row: dict[str, str], person: Person, facilities: dict[str, int], paths) -> Dose:
    return Dose(
        person=person,
        captured_citizen_id=row["citizen_id"],
        captured_name=row["full_name"],
        captured_birth_date=row["birth_date"],
        captured_sex=row["sex"],
        captured_phone=row["phone"],
        captured_address=row["address"],
        captured_ward_id=paths[row["ward_code"]]["ward_id"],
        product=row["product"],
        lot=row["lot"],
        given_on=date.fromisoformat(row["given_on"]),
        dose_number=int(row["dose_number"]),
        facility_id=facilities[row["facility_code"]],
        source=DoseSource.IMPORT,
        idempotency_key=_idempotency_key(row["record_id"]),
        dedup_key=dedup_key(
            identity_key(
                person.citizen_id, person.old_id_number, person.full_name, person.birth_date
            ),
            row["product"],
            date.fromisoformat(row["given_on"]),
            row["facility_code"],
        ),
    )

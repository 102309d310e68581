"""Cleaning fixtures: a small registry around the two personas' wards, and doses recorded
as a nurse would, typed right or with the usual errors."""

import csv
from dataclasses import dataclass
from datetime import date

import pytest

from vaxpass.adapters.registry import REGISTRY_COLUMNS
from vaxpass.core.identity import make_cccd


@dataclass(frozen=True)
class RegistryRow:
    citizen_id: str
    old_id_number: str
    full_name: str
    birth_date: str
    sex: str
    ward_code: str
    household_id: str
    phone: str


def person(n, name, birth, sex, ward, household="H1", phone="0912000111", old=""):
    year = int(birth[:4])
    return RegistryRow(make_cccd("001", sex, year, 100000 + n), old, name, birth, sex, ward,
                       household, phone)  # fmt: skip


@dataclass
class Town:
    """Registry people of facility A's ward (a family) and of facility B's ward."""

    mother: RegistryRow
    son: RegistryRow
    neighbour: RegistryRow
    far: RegistryRow  # lives in facility B's ward

    @property
    def everyone(self):
        return [self.mother, self.son, self.neighbour, self.far]


@pytest.fixture
def town(personas, tmp_path):
    from vaxpass.records.registry import registry_admin

    ward_a = personas.facility_a.current_ward.code
    ward_b = personas.facility_b.current_ward.code
    built = Town(
        mother=person(1, "Nguyễn Thị Hoà", "1962-04-05", "F", ward_a),
        son=person(2, "Trần Văn Minh", "1990-11-20", "M", ward_a),
        neighbour=person(3, "Lê Thị Lan", "1975-02-03", "F", ward_a, "H2", "0912000222"),
        far=person(4, "Phạm Văn Bình", "1980-07-08", "M", ward_b, "H3", "0988000333"),
    )
    path = tmp_path / "registry.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(REGISTRY_COLUMNS)
        for row in built.everyone:
            writer.writerow([getattr(row, c) for c in REGISTRY_COLUMNS])
    registry_admin().load_csv(path)
    return built


@pytest.fixture
def record(personas):
    """record(name=..., birth=..., citizen_id=..., facility=A) -> the new Dose."""
    from vaxpass.records.services import DoseRequest, Identity, record_dose

    counter = [0]

    def _record(*, name, birth, citizen_id="", sex="", facility=None, staff=None,
                given_on=date(2021, 8, 1), product="EU/1/20/1528"):  # fmt: skip
        facility = facility or personas.facility_a
        staff = staff or (personas.staff_a if facility == personas.facility_a else personas.staff_b)
        counter[0] += 1
        identity = Identity(full_name=name, birth_date=birth, citizen_id=citizen_id, sex=sex,
                            ward=facility.legacy_ward)  # fmt: skip
        request = DoseRequest(facility=facility, product=product, given_on=given_on,
                              identity=identity, override_reason="test")  # fmt: skip
        return record_dose(staff, request).dose

    return _record


@pytest.fixture
def verified_signals():
    """The dose ids announced by records.signals.doses_verified during the test."""
    from vaxpass.records.signals import doses_verified

    seen: list[int] = []

    def receiver(sender, dose_ids, **kwargs):
        seen.extend(dose_ids)

    doses_verified.connect(receiver, dispatch_uid="test-cleaning-verified")
    yield seen
    doses_verified.disconnect(dispatch_uid="test-cleaning-verified")


def _wrong_digit(citizen_id: str) -> str:
    return citizen_id[:-1] + str((int(citizen_id[-1]) + 5) % 10)


@pytest.fixture
def items(town, record, personas):
    """A police item of ward A (the son's dose typed with his mother's ID), a station item
    of ward A (the neighbour's ID and name both mistyped: nobody in the registry), and a
    police item of ward B (a man of ward B whose dose was typed with the mother's ID)."""
    from vaxpass.cleaning.incremental import clean_pending
    from vaxpass.cleaning.models import Queue, ReviewItem

    record(name=town.mother.full_name, birth="05/04/1962", citizen_id=town.mother.citizen_id)
    son = record(name=town.son.full_name, birth="20/11/1990", citizen_id=town.mother.citizen_id,
                 sex="M")  # fmt: skip
    neighbour = record(name="Lê Thị Lam", birth="03/02/1975", sex="F",
                       citizen_id=_wrong_digit(town.neighbour.citizen_id))  # fmt: skip
    far = record(name="Pham Van Binh", birth="1980", citizen_id=town.mother.citizen_id,
                 facility=personas.facility_b)  # fmt: skip
    clean_pending()
    found = {
        "police_a": ReviewItem.objects.get(dose=son),
        "station_a": ReviewItem.objects.get(dose=neighbour),
        "police_b": ReviewItem.objects.get(dose=far),
    }
    assert found["police_a"].queue == Queue.POLICE
    assert found["station_a"].queue == Queue.STATION
    assert found["station_a"].ward == personas.facility_a.current_ward
    assert found["police_b"].queue == Queue.POLICE  # found by name and year in ward B
    assert found["police_b"].ward == personas.facility_b.current_ward
    return found

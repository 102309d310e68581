"""Person.identity_key, computed by the database, is right on every path that writes people."""

from datetime import date

import pytest

from vaxpass.core.dose_rows import identity_key
from vaxpass.records.batch import record_doses
from vaxpass.records.bulk import insert_rows
from vaxpass.records.models import Person
from vaxpass.records.services import DoseRequest, Identity, record_dose, register_people

pytestmark = pytest.mark.django_db


def expected(person: Person) -> str:
    return identity_key(
        person.citizen_id, person.old_id_number, person.full_name, person.birth_date
    )


def stored_keys() -> dict[int, str]:
    return dict(Person.objects.values_list("pk", "identity_key"))


def assert_every_key_right():
    people = list(Person.objects.all())
    assert people
    keys = stored_keys()
    for person in people:
        assert keys[person.pk] == expected(person), person


def request(facility, **identity):
    return DoseRequest(
        facility=facility,
        product="EU/1/20/1528",
        given_on=date(2021, 9, 1),
        identity=Identity(**identity),
    )


def test_single_and_batch_recording_and_registration(personas):
    a = personas.facility_a
    record_dose(personas.staff_a, request(a, full_name="Lê Văn E", birth_date="1985"))
    record_dose(
        personas.staff_a,
        request(a, full_name="Trần An", birth_date="02/03/1990", citizen_id="001090001234"),
    )
    record_doses(
        personas.staff_a,
        [
            request(a, full_name="Đỗ Bình", birth_date="1970", citizen_id="123456789"),
            request(a, full_name="NGUYỄN thị   hoà", birth_date="04/03/1957"),
        ],
    )
    register_people(
        actor=personas.staff_a,
        phone="0912345678",
        people=[Identity(full_name="Phạm Chi", birth_date="2001-05-06")],
    )
    assert_every_key_right()
    keys = set(stored_keys().values())
    assert {"le van e|1985", "001090001234", "123456789", "nguyen thi hoa|1957-03-04"} <= keys


def test_bulk_inserts_and_later_changes(db):
    person = Person(full_name="Võ Dũng", search_name="vo dung", birth_date="1960")
    insert_rows([person])  # COPY on PostgreSQL, INSERT ... RETURNING on SQLite
    assert stored_keys()[person.pk] == "vo dung|1960"
    Person.objects.filter(pk=person.pk).update(old_id_number="987654321")
    assert stored_keys()[person.pk] == "987654321"
    person.refresh_from_db()
    person.citizen_id = "079060000001"
    person.save()
    assert stored_keys()[person.pk] == "079060000001"


def test_loading_generated_data(tmp_path):
    from django.core.management import call_command

    from vaxpass.records.loading import load_generated

    call_command("generate", people=200, seed=3, provinces="01", out=str(tmp_path), verbosity=0)
    load_generated(tmp_path)
    assert_every_key_right()

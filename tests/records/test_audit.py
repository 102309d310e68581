from datetime import date

import pytest
from django.db import DatabaseError, transaction

from vaxpass.records.models import AuditEntry
from vaxpass.records.services import DoseRequest, Identity, record_dose


def test_create_change_delete_are_audited_with_before_and_after(personas):
    dose = record_dose(
        personas.staff_a,
        DoseRequest(
            facility=personas.facility_a,
            product="EU/1/20/1528",
            given_on=date(2021, 9, 1),
            identity=Identity(full_name="Lê Văn E", birth_date="1985"),
        ),
    ).dose
    created = AuditEntry.objects.get(model="records.Dose", action="create")
    assert created.actor == personas.staff_a and created.after["lot"] == ""
    dose.lot = "AB123"
    dose.save()
    change = AuditEntry.objects.get(model="records.Dose", action="update")
    assert (change.before["lot"], change.after["lot"]) == ("", "AB123")
    person = dose.person
    dose.delete()
    deleted = AuditEntry.objects.get(model="records.Dose", action="delete")
    assert deleted.before["id"] == created.after["id"] and deleted.after is None
    assert AuditEntry.objects.filter(
        model="records.Person", object_id=str(person.pk), action="create"
    ).exists()
    assert AuditEntry.objects.filter(
        model="places.Facility", object_id=str(personas.facility_a.pk)
    ).exists()


def test_audit_log_is_append_only_in_the_database(personas):
    entry = AuditEntry.objects.filter(model="places.Facility").first()
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    for query in (
        AuditEntry.objects.filter(pk=entry.pk).update,
        AuditEntry.objects.filter(pk=entry.pk).delete,
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            query(model="x") if query.__name__ == "update" else query()


def test_entries_of_a_new_dose_and_person_hold_every_field_as_stored(personas):
    from vaxpass.records.audit import snapshot
    from vaxpass.records.models import Dose, Person

    request = DoseRequest(
        facility=personas.facility_a,
        product="EU/1/20/1528",
        given_on=date(2021, 9, 1),
        lot=" AB1 ",
        identity=Identity(
            full_name="NGUYỄN  thị hoà",
            birth_date="04/03/1957",
            citizen_id="1157012345",
            phone="0912345678",
            address="Số 1",
            ward=personas.facility_a.current_ward,
        ),  # fmt: skip
        idempotency_key="k-1",
    )
    dose = record_dose(personas.staff_a, request).dose
    for model, pk in ((Dose, dose.pk), (Person, dose.person_id)):
        entry = AuditEntry.objects.get(model=model._meta.label, object_id=str(pk))
        assert (entry.action, entry.actor, entry.before) == ("create", personas.staff_a, None)
        assert entry.after == snapshot(model.objects.get(pk=pk))
    assert record_dose(personas.staff_a, request).created is False  # the retry: no entry
    assert AuditEntry.objects.filter(model="records.Dose").count() == 1

"""Decisions applied to doses: links verify them on the right Person with the registry's
identity, captured values stay as typed, corrections can be undone."""

import pytest
from django.utils import timezone

from vaxpass.cleaning.incremental import clean_pending
from vaxpass.cleaning.models import (
    CleaningDecision,
    Correction,
    ItemStatus,
    Outcome,
    Queue,
    ReviewItem,
)
from vaxpass.cleaning.services import (
    ReviewError,
    confirm_candidate,
    review_state,
    undo_correction,
)
from vaxpass.records.models import AuditEntry, Dose, DoseStatus, Person

pytestmark = pytest.mark.django_db


def test_a_dose_typed_right_is_verified_and_announced(
    town, record, verified_signals, django_capture_on_commit_callbacks
):
    dose = record(name=town.far.full_name, birth="08/07/1980", citizen_id=town.far.citizen_id,
                  sex="M")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        claimed, written = clean_pending()
    assert claimed == 1 and written.decisions == {"verified": 1}
    dose.refresh_from_db()
    assert dose.status == DoseStatus.VERIFIED
    assert dose.registry_id == town.far.citizen_id
    assert dose.person.registry_id == town.far.citizen_id
    assert verified_signals == [dose.pk]
    decision = CleaningDecision.objects.get(dose=dose, current=True)
    assert (decision.decision, decision.stage, decision.method) == ("verified", 1, "incremental")
    # Cleaned once: nothing is pending any more.
    assert clean_pending() == (0, clean_pending()[1])


def test_unaccented_name_is_corrected_on_the_person_not_on_the_dose(town, record):
    dose = record(name="NGUYEN THI HOA", birth="05/04/1962", citizen_id=town.mother.citizen_id,
                  sex="F")  # fmt: skip
    person_name_before = dose.person.full_name
    clean_pending()
    dose.refresh_from_db()
    assert dose.status == DoseStatus.VERIFIED
    assert dose.captured_name == "NGUYEN THI HOA"  # the evidence stays as typed
    person = Person.objects.get(pk=dose.person_id)
    assert person.full_name == "Nguyễn Thị Hoà"
    decision = CleaningDecision.objects.get(dose=dose, current=True)
    assert decision.decision == Outcome.CORRECTED
    assert "name_unaccented" in decision.reasons
    correction = Correction.objects.get(dose=dose)
    [change] = correction.changes
    assert change == {"field": "full_name", "captured": "NGUYEN THI HOA",
                      "registry": "Nguyễn Thị Hoà", "before": person_name_before,
                      "after": "Nguyễn Thị Hoà"}  # fmt: skip
    assert AuditEntry.objects.filter(model="records.Person", object_id=str(person.pk),
                                     action="update").exists()  # fmt: skip


def test_undo_of_a_correction_restores_the_before_values(town, record, personas):
    dose = record(name="NGUYEN THI HOA", birth="05/04/1962", citizen_id=town.mother.citizen_id,
                  sex="F")  # fmt: skip
    before = Person.objects.values("full_name", "registry_id").get(pk=dose.person_id)
    clean_pending()
    correction = Correction.objects.get(dose=dose)
    undo_correction(actor=personas.admin, correction=correction, note="wrong person")
    dose.refresh_from_db()
    person = Person.objects.get(pk=dose.person_id)
    assert (dose.status, dose.registry_id) == (DoseStatus.RECORDED, "")
    assert {"full_name": person.full_name, "registry_id": person.registry_id} == before
    assert dose.captured_name == "NGUYEN THI HOA"
    correction.refresh_from_db()
    assert correction.undone_by == personas.admin and correction.undone_at is not None
    # A person decides next: the dose waits in a queue, and no run takes it again.
    item = ReviewItem.objects.get(dose=dose, status=ItemStatus.OPEN)
    assert "correction_undone" in item.decision.reasons
    assert clean_pending()[0] == 0
    with pytest.raises(ReviewError) as refused:
        undo_correction(actor=personas.admin, correction=correction)
    assert refused.value.code == "already_undone"


def test_undo_is_refused_when_the_value_changed_since(town, record, personas):
    dose = record(name="NGUYEN THI HOA", birth="05/04/1962", citizen_id=town.mother.citizen_id,
                  sex="F")  # fmt: skip
    clean_pending()
    Person.objects.filter(pk=dose.person_id).update(full_name="Nguyễn Thị Hòa Bình")
    with pytest.raises(ReviewError) as refused:
        undo_correction(actor=personas.admin, correction=Correction.objects.get(dose=dose))
    assert (refused.value.code, refused.value.field) == ("changed_since", "full_name")
    assert Dose.objects.get(pk=dose.pk).status == DoseStatus.VERIFIED


def test_relatives_id_goes_to_the_police_and_confirming_moves_the_dose(town, record, personas):
    mother = record(name=town.mother.full_name, birth="05/04/1962",
                    citizen_id=town.mother.citizen_id, sex="F")  # fmt: skip
    # The son's dose typed with his mother's ID: recording puts it on her Person.
    son = record(name=town.son.full_name, birth="20/11/1990", citizen_id=town.mother.citizen_id,
                 sex="M", given_on=timezone.localdate().replace(year=2021, month=9, day=1))  # fmt: skip
    assert son.person_id == mother.person_id
    clean_pending()
    item = ReviewItem.objects.get(dose=son, status=ItemStatus.OPEN)
    assert item.queue == Queue.POLICE
    assert item.ward == personas.facility_a.current_ward
    entries = {e["citizen_id"]: e for e in item.decision.candidates}
    assert entries[town.mother.citizen_id]["holder"] is True
    assert entries[town.son.citizen_id]["registry"]["full_name"] == town.son.full_name
    assert review_state([son.pk, mother.pk]) == {son.pk: ("police", item.ward)}

    with pytest.raises(ReviewError) as refused:  # another ward's police: no such item
        confirm_candidate(actor=personas.police_b, item=item, citizen_id=town.son.citizen_id)
    assert refused.value.status == 404

    confirm_candidate(actor=personas.police_a, item=item, citizen_id=town.son.citizen_id)
    son.refresh_from_db()
    mother.refresh_from_db()
    assert (son.status, son.registry_id) == (DoseStatus.VERIFIED, town.son.citizen_id)
    assert son.person_id != mother.person_id  # moved to a Person of its own
    own = Person.objects.get(pk=son.person_id)
    assert (own.full_name, own.birth_date, own.registry_id) == (
        town.son.full_name, town.son.birth_date, town.son.citizen_id)  # fmt: skip
    assert mother.person.registry_id == town.mother.citizen_id
    item.refresh_from_db()
    assert item.status == ItemStatus.RESOLVED and item.resolved_by == personas.police_a
    assert review_state([son.pk]) == {}
    with pytest.raises(ReviewError) as again:
        confirm_candidate(actor=personas.police_a, item=item, citizen_id=town.son.citizen_id)
    assert again.value.code == "already_decided"

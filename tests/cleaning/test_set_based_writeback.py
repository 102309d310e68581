"""The set-based write-back (cleaning.setwrite, PostgreSQL) leaves the database as the
model path (services.record_engine_decisions) does: the same decisions, corrections,
People, doses and audit entries, for every kind of link and for the cases it hands back.

Each path runs on the same recorded doses inside a savepoint, its result is read, and the
savepoint is rolled back before the other path runs."""

import threading
import time

import pytest
from django.db import connection, transaction

from vaxpass.cleaning import setwrite
from vaxpass.cleaning.models import CleaningDecision, Correction, MergeProposal, Method
from vaxpass.cleaning.services import record_engine_decisions, registry_lookup
from vaxpass.core.matching import Decision, DoseDecision
from vaxpass.core.matching.decisions import Correction as Align
from vaxpass.records.audit import snapshot
from vaxpass.records.models import AuditEntry, Dose, DoseStatus, Person

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the set-based path is PostgreSQL's"
    ),
]


class Rollback(Exception):
    pass


@pytest.fixture(autouse=True)
def _set_based_for_any_size(monkeypatch):
    monkeypatch.setattr(setwrite, "SET_BASED_FROM", 1)


def _decision(dose, kind, citizen_id="", stage=1, reasons=("id_match",), corrections=(),
              merge_with=()):  # fmt: skip
    return DoseDecision(
        dose_id=str(dose.pk), decision=kind, citizen_id=citizen_id or None,
        probability=None if stage == 1 else 0.999, reasons=tuple(reasons), stage=stage,
        corrections=tuple(corrections), merge_with=tuple(str(x) for x in merge_with),
        policy_version="national-test",
        model_version="" if stage == 1 else "m1",
    )  # fmt: skip


def _state(doses, people_before: set[int], audit_after: int, snapshots: dict):
    """What a write-back left, with the ids of People it made replaced by their registry
    person (they differ between the two runs)."""

    def who(pk):
        if pk in people_before:
            return pk
        return "new:" + Person.objects.get(pk=pk).registry_id

    people = {}
    for p in Person.objects.all():
        key = who(p.pk)
        people[key] = (p.citizen_id, p.old_id_number, p.full_name, p.search_name,
                       p.birth_date, p.sex, p.phone, p.registry_id, p.ward_id,
                       p.current_ward_id, p.current_province_id)  # fmt: skip
    dose_rows = {}
    for d in Dose.objects.filter(pk__in=[d.pk for d in doses]):
        decision = CleaningDecision.objects.filter(dose=d, current=True).first()
        correction = Correction.objects.filter(dose=d).first()
        dose_rows[d.pk] = (
            d.status, d.registry_id, who(d.person_id),
            decision and (decision.decision, decision.stage, decision.citizen_id,
                          decision.candidate_id, decision.probability, decision.reasons,
                          decision.candidates, decision.corrections, decision.merge_with,
                          decision.policy_version, decision.model_version, decision.method,
                          decision.run_id, decision.note),
            correction and (correction.citizen_id, who(correction.person_before_id),
                            who(correction.person_id), correction.person_created,
                            correction.registry_id_before, correction.status_before,
                            correction.person_registry_id_before, correction.changes,
                            correction.method, correction.applied_by_id, correction.why,
                            correction.decision.dose_id),
        )  # fmt: skip

    def ids(model: str, values: dict) -> dict:
        values.pop("updated_at", None)  # the time of the write
        values.pop("created_at", None)
        key = "id" if model == "records.Person" else "person"
        values[key] = who(values[key])
        return values

    # The story the log tells of each object: its entries applied in turn to what was
    # stored before the write (an ORM save's entry holds every field, a bulk update's only
    # those it changed), each entry's "before" checked against the story so far.
    told: dict = {}
    for entry in AuditEntry.objects.filter(pk__gt=audit_after).order_by("pk"):
        key = (entry.model, entry.object_id)
        actions, state = told.get(key, ((), None if entry.action == "create" else snapshots[key]))
        if entry.before is not None:
            assert {k: state.get(k) for k in entry.before} == entry.before, entry.pk
        told[key] = ((*actions, (entry.action, entry.actor_id)), {**(state or {}), **entry.after})
    audits = []
    for (model, object_id), (actions, state) in told.items():
        obj = who(int(object_id)) if model == "records.Person" else object_id
        audits.append((model, obj, actions, repr(sorted(ids(model, dict(state)).items()))))
    proposals = sorted(
        MergeProposal.objects.values_list("dose_id", "other_id", "citizen_id", "run_id", "status")
    )
    return people, dose_rows, sorted(audits, key=repr), proposals


def _both_ways(doses, decisions, django_capture_on_commit_callbacks):
    people_before = set(Person.objects.values_list("pk", flat=True))
    audit_after = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    snapshots = {
        (obj._meta.label, str(obj.pk)): snapshot(obj)
        for obj in [*Person.objects.all(), *Dose.objects.filter(pk__in=[d.pk for d in doses])]
    }
    outcomes = []
    for write in (record_engine_decisions, setwrite.write_engine_decisions):
        try:
            with transaction.atomic():
                with django_capture_on_commit_callbacks() as callbacks:
                    result = write(
                        decisions, run=None, method=Method.BATCH, lookup=registry_lookup()
                    )
                outcomes.append(
                    (result, len(callbacks), _state(doses, people_before, audit_after, snapshots))
                )
                raise Rollback
        except Rollback:
            pass
    (model_result, model_calls, model_state), (sql_result, sql_calls, sql_state) = outcomes
    return model_result, sql_result, model_state, sql_state, (model_calls, sql_calls)


def test_every_kind_of_link_writes_what_the_model_path_writes(
    town, record, personas, django_capture_on_commit_callbacks
):
    far = record(name=town.far.full_name, birth="08/07/1980", citizen_id=town.far.citizen_id,
                 sex="M")  # fmt: skip
    far_again = record(name="PHAM VAN BINH", birth="1980", citizen_id=town.far.citizen_id,
                       sex="M")  # fmt: skip
    mother = record(name="NGUYEN THI HOA", birth="04/05/1962", citizen_id=town.mother.citizen_id,
                    sex="F")  # fmt: skip
    # The son typed with his mother's ID: recording put it on her Person.
    son = record(name=town.son.full_name, birth="20/11/1990", citizen_id=town.mother.citizen_id,
                 sex="M")  # fmt: skip
    neighbour = record(name="Le Thi Lan", birth="03/02/1975", sex="F")  # no ID: its own Person
    neighbour_again = record(name="Lê Thị Lan", birth="1975", sex="F")
    nobody = record(name="Vũ Văn Không", birth="01/01/1950", sex="M")
    doses = [far, far_again, mother, son, neighbour, neighbour_again, nobody]
    decisions = [
        _decision(far, Decision.VERIFIED, town.far.citizen_id),
        _decision(far_again, Decision.CORRECTED, town.far.citizen_id,
                  reasons=("name_unaccented", "birth_year_only"),
                  corrections=[Align("full_name", "PHAM VAN BINH", town.far.full_name)]),
        _decision(mother, Decision.CORRECTED, town.mother.citizen_id,
                  reasons=("name_unaccented", "day_month_swapped"),
                  corrections=[Align("full_name", "NGUYEN THI HOA", town.mother.full_name),
                               Align("birth_date", "1962-05-04", town.mother.birth_date)]),
        _decision(son, Decision.LINKED, town.son.citizen_id, stage=2,
                  reasons=("id_other_person", "probable_match")),
        _decision(neighbour, Decision.LINKED, town.neighbour.citizen_id, stage=2,
                  reasons=("no_id", "probable_match")),
        _decision(neighbour_again, Decision.LINKED, town.neighbour.citizen_id, stage=2,
                  reasons=("no_id", "probable_match")),
        _decision(nobody, Decision.NOT_FOUND, stage=2, reasons=("no_id", "no_candidate")),
    ]  # fmt: skip
    model, sql, model_state, sql_state, calls = _both_ways(
        doses, decisions, django_capture_on_commit_callbacks
    )
    assert sql_state[1] == model_state[1]  # doses, decisions, corrections
    assert sql_state[0] == model_state[0]  # People
    assert sql_state[2] == model_state[2]  # audit entries
    assert (
        (sql.applied, sql.skipped, sql.verified) == (model.applied, model.skipped, 6) == (7, 0, 6)
    )
    assert sql.decisions == model.decisions and sql.reasons == model.reasons
    assert calls == (1, 1)  # doses_verified, once the transaction commits
    # The cases are what they say: a new Person for the son, the neighbour's own adopted.
    rows = sql_state[1]
    assert rows[son.pk][2] == "new:" + town.son.citizen_id
    assert rows[neighbour.pk][2] == neighbour.person_id == rows[neighbour_again.pk][2]
    assert rows[mother.pk][4][7] and rows[nobody.pk][0] == DoseStatus.RECORDED


def test_a_person_already_linked_is_found_and_signed_people_go_the_model_way(
    town, record, personas, django_capture_on_commit_callbacks
):
    first = record(name=town.far.full_name, birth="08/07/1980", citizen_id=town.far.citizen_id,
                   sex="M")  # fmt: skip
    setwrite.write_engine_decisions(
        [_decision(first, Decision.VERIFIED, town.far.citizen_id)],
        run=None, method=Method.BATCH, lookup=registry_lookup(),
    )  # fmt: skip
    # Another Person of the same registry person, typed without an ID.
    later = record(name="Pham Van Binh", birth="08/07/1980", sex="M")
    mother = record(name=town.mother.full_name, birth="05/04/1962",
                    citizen_id=town.mother.citizen_id, sex="F")  # fmt: skip
    mother_again = record(name="Nguyen Thi Hoa", birth="05/04/1962",
                          citizen_id=town.mother.citizen_id, sex="F", given_on=first.given_on.replace(month=10))  # fmt: skip
    Dose.objects.filter(pk=mother.pk).update(status=DoseStatus.SIGNED)  # signed meanwhile
    doses = [later, mother_again]
    decisions = [
        _decision(later, Decision.LINKED, town.far.citizen_id, stage=2,
                  reasons=("no_id", "probable_match")),
        _decision(mother_again, Decision.CORRECTED, town.mother.citizen_id,
                  reasons=("name_unaccented",),
                  corrections=[Align("full_name", "Nguyen Thi Hoa", town.mother.full_name)]),
        _decision(first, Decision.VERIFIED, town.far.citizen_id),  # decided already: skipped
    ]  # fmt: skip
    model, sql, model_state, sql_state, _calls = _both_ways(
        doses, decisions, django_capture_on_commit_callbacks
    )
    assert sql_state == model_state
    assert (
        (sql.applied, sql.skipped, sql.verified) == (model.applied, model.skipped, 2) == (2, 1, 2)
    )
    assert sql_state[1][later.pk][2] == first.person_id  # the Person linked before


def test_an_incremental_run_takes_the_set_based_path(
    town, record, verified_signals, django_capture_on_commit_callbacks, monkeypatch
):
    from vaxpass.cleaning.incremental import clean_pending

    applied = []
    apply = setwrite._apply

    def spy(chunk, **kwargs):
        applied.append(chunk.staged)
        return apply(chunk, **kwargs)

    monkeypatch.setattr(setwrite, "_apply", spy)
    far = record(name=town.far.full_name, birth="08/07/1980", citizen_id=town.far.citizen_id,
                 sex="M")  # fmt: skip
    mother = record(name="NGUYEN THI HOA", birth="05/04/1962", citizen_id=town.mother.citizen_id,
                    sex="F")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        claimed, written = clean_pending()
    assert applied == [2]
    assert claimed == 2 and written.decisions == {"verified": 1, "corrected": 1}
    assert sorted(verified_signals) == sorted([far.pk, mother.pk])
    for dose, registered in ((far, town.far), (mother, town.mother)):
        dose.refresh_from_db()
        assert (dose.status, dose.registry_id) == (DoseStatus.VERIFIED, registered.citizen_id)
        assert dose.person.full_name == registered.full_name
        assert CleaningDecision.objects.get(dose=dose, current=True).method == "incremental"
    assert Correction.objects.get(dose=mother).changes[0]["after"] == town.mother.full_name


@pytest.mark.django_db(transaction=True)
def test_two_writers_never_give_one_person_to_two_registry_people(
    committed_places, town, record, personas
):
    """Two doses typed without an ID sit on one Person (one registration for two people)
    and are linked to two registry people. Written by two connections at once (a batch
    run's two writers), the first adopts the Person; the second, waiting for it, makes a
    Person of its own instead of taking the same one."""
    hers = record(name=town.neighbour.full_name, birth="03/02/1975", sex="F")
    his = record(name=town.far.full_name, birth="08/07/1980", sex="M")
    Dose.objects.filter(pk=his.pk).update(person_id=hers.person_id)
    shared = hers.person_id
    lookup = registry_lookup()
    first_part, second_part = (
        setwrite.prepare(
            [_decision(dose, Decision.LINKED, registered.citizen_id, stage=2,
                       reasons=("no_id", "probable_match"))],
            lookup=lookup,
        )
        for dose, registered in ((hers, town.neighbour), (his, town.far))
    )  # fmt: skip
    applied = threading.Event()

    def first_writer():
        try:
            with transaction.atomic():
                setwrite._apply(first_part, run=None, method=Method.BATCH)
                applied.set()
                time.sleep(1)  # the second writer reaches the Person before this commits
        finally:
            applied.set()
            connection.close()

    first = threading.Thread(target=first_writer)
    first.start()
    assert applied.wait(30)
    setwrite.write_prepared(second_part, run=None, method=Method.BATCH, lookup=lookup)
    first.join()
    hers.refresh_from_db()
    his.refresh_from_db()
    assert hers.person_id == shared and his.person_id != shared
    assert (hers.person.registry_id, his.person.registry_id) == (
        town.neighbour.citizen_id, town.far.citizen_id)  # fmt: skip
    assert (hers.person.full_name, his.person.full_name) == (
        town.neighbour.full_name, town.far.full_name)  # fmt: skip


def test_join_settings_come_back_as_they_were():
    """The set-based path turns hash joins, merge joins and JIT off for its own statements
    only; the model path after it in the same transaction plans as the server is
    configured."""

    def shown():
        cursor.execute(
            "SELECT current_setting('enable_hashjoin'), current_setting('enable_mergejoin'),"
            " current_setting('jit')"
        )
        return list(cursor.fetchone())

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_mergejoin = off")  # a server configured so
        cursor.execute("SET LOCAL jit = on")
        saved = setwrite._planned_for_chunks(cursor)
        assert saved == ["on", "off", "on"] and shown() == ["off", "off", "off"]
        setwrite._restore(cursor, saved)
        assert shown() == ["on", "off", "on"]


def test_doses_of_one_person_and_day_are_proposed_for_merging_as_the_model_path_does(
    town, record, personas, django_capture_on_commit_callbacks
):
    """Each pair once, lower dose id first, with the registry person of its last decision;
    a pair proposed before is not proposed again, a pair with a dose gone not at all."""
    here = record(name=town.far.full_name, birth="08/07/1980", citizen_id=town.far.citizen_id,
                  sex="M")  # fmt: skip
    there = record(name="PHAM VAN BINH", birth="08/07/1980", citizen_id=town.far.citizen_id,
                   sex="M")  # fmt: skip
    unknown = record(name="Vũ Văn Không", birth="01/01/1950", sex="M")
    unknown_again = record(name="Vu Van Khong", birth="01/01/1950", sex="M")
    mother = record(name=town.mother.full_name, birth="05/04/1962",
                    citizen_id=town.mother.citizen_id, sex="F")  # fmt: skip
    mother_before = record(name=town.mother.full_name, birth="05/04/1962",
                           citizen_id=town.mother.citizen_id, sex="F")  # fmt: skip
    low, high = sorted((mother.pk, mother_before.pk))
    MergeProposal.objects.create(dose_id=low, other_id=high, citizen_id="")
    gone = Dose.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    doses = [here, there, unknown, unknown_again, mother]
    decisions = [
        _decision(here, Decision.VERIFIED, town.far.citizen_id, merge_with=[there.pk]),
        _decision(there, Decision.CORRECTED, town.far.citizen_id,
                  reasons=("name_unaccented", "duplicate_dose"),
                  corrections=[Align("full_name", "PHAM VAN BINH", town.far.full_name)],
                  merge_with=[here.pk]),
        _decision(unknown_again, Decision.NOT_FOUND, stage=2, reasons=("no_id", "no_candidate"),
                  merge_with=[unknown.pk, gone]),
        _decision(mother, Decision.VERIFIED, town.mother.citizen_id,
                  merge_with=[mother_before.pk]),
    ]  # fmt: skip
    model, sql, model_state, sql_state, _calls = _both_ways(
        doses, decisions, django_capture_on_commit_callbacks
    )
    assert sql_state == model_state
    assert sql.merges == model.merges == 3
    assert [row[:3] for row in sql_state[3]] == sorted([
        (here.pk, there.pk, town.far.citizen_id), (unknown.pk, unknown_again.pk, ""),
        (low, high, ""),
    ])  # fmt: skip

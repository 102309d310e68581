"""Stage 2 on a generated set: automatic links against the ground truth, the batch's
policy SQL against Policy.settle, and the pure-Python scorer against Splink."""

import math

import pytest
from linkage_helpers import TODAY, read_csv

from vaxpass.core.matching import NATIONAL, Candidate, Outcome, Reason, RegisteredIdentity
from vaxpass.core.matching.records import dose_record, person_record
from vaxpass.core.matching.scoring import score
from vaxpass.core.matching.stage1 import CapturedIdentity, Stage1Result
from vaxpass.linkage import stage2


@pytest.fixture(scope="module")
def judged(generated, cleaned):
    truth = {row["record_id"]: row for row in read_csv(generated / "truth.csv")}
    household = {
        row["citizen_id"]: row["household_id"] for row in read_csv(generated / "registry.csv")
    }
    decisions = [d for chunk in cleaned.decisions(chunk_size=1000) for d in chunk]
    return decisions, truth, household


def test_automatic_links_are_right_and_never_a_relative(judged):
    decisions, truth, household = judged
    links = [d for d in decisions if d.decision.links]
    wrong = [d for d in links if d.citizen_id != truth[d.dose_id]["citizen_id"]]
    assert len(links) > 0.95 * len(decisions)
    assert len(wrong) <= 0.001 * len(links), wrong[:5]
    relatives = [
        d for d in wrong if household.get(d.citizen_id) == truth[d.dose_id]["household_id"]
    ]
    assert not relatives


def test_stage2_finds_the_person_behind_a_missing_mistyped_or_relatives_id(judged):
    decisions, truth, _ = judged
    by_error = {}
    for d in decisions:
        t = truth[d.dose_id]
        for error in ("id_missing", "id_mistyped", "id_of_relative"):
            if error in t["errors"].split(";") and t["in_registry"] == "1":
                by_error.setdefault(error, []).append(d.citizen_id == t["citizen_id"])
    for error, found in by_error.items():
        assert len(found) >= 10, error
        assert sum(found) / len(found) >= 0.9, (error, sum(found), len(found))


def test_people_missing_from_the_registry_are_not_found_not_linked(judged):
    decisions, truth, _ = judged
    absent = [d for d in decisions if truth[d.dose_id]["in_registry"] == "0"]
    assert absent
    assert all(not d.decision.links for d in absent)


def test_batch_policy_sql_equals_policy_settle(cleaned, trained):
    con = cleaned.con
    candidates = {
        dose_id: [
            Candidate(
                c["citizen_id"],
                c["probability"],
                c["match_weight"],
                c["birth_date_level"],
                c["name_level"],
            )
            for c in cs
        ]
        for dose_id, cs in con.execute("SELECT dose_id, candidates FROM s2_candidates").fetchall()
    }
    rows = con.execute("SELECT dose_id, outcome, reasons, holder_id FROM stage1").fetchall()
    batch = {d.dose_id: d for chunk in cleaned.decisions() for d in chunk}
    stage2_seen = 0
    for dose_id, outcome, reasons, holder in rows:
        stage1 = Stage1Result(
            Outcome(outcome),
            tuple(Reason(r) for r in reasons),
            holder,
            RegisteredIdentity(holder) if holder else None,
        )
        expected = NATIONAL.settle(
            dose_id, stage1, candidates.get(dose_id, []), model_version=trained.version
        )
        got = batch[dose_id]
        duplicate = (Reason.DUPLICATE_DOSE,) if got.merge_with else ()
        assert (got.decision, got.citizen_id, got.candidate_id, got.reasons, got.stage) == (
            expected.decision,
            expected.citizen_id,
            expected.candidate_id,
            (*expected.reasons, *duplicate),
            expected.stage,
        ), dose_id
        if expected.stage == 2:
            stage2_seen += 1
            assert got.probability == pytest.approx(expected.probability)
            assert [c.citizen_id for c in got.candidates] == [
                c.citizen_id for c in expected.candidates
            ]
    assert stage2_seen > 50


def test_python_scorer_gives_splinks_match_weights(generated, cleaned, trained):
    con = cleaned.con
    stage2.make_inputs(con)
    size = stage2.registry_size(con)
    linker = stage2._linker(con, trained.settings_for(size))
    pairs = linker.inference.predict(warning_mode="never")
    scored = con.execute(
        f"SELECT unique_id_l, unique_id_r, match_weight FROM {pairs.physical_name}"
    ).fetchall()
    assert len(scored) > 500
    doses = {row["dose_id"]: row for row in read_csv(generated / "contract/doses.csv")}
    people = {row["citizen_id"]: row for row in read_csv(generated / "contract/registry.csv")}
    phones = dict(
        (cid, (a, b))
        for cid, a, b in con.execute(
            "SELECT citizen_id, household_phone, household_phone2 FROM reg"
        ).fetchall()
    )
    tf = {
        column: dict(con.execute(f"SELECT {column}, tf_{column} FROM tf_{column}").fetchall())
        for column in ("name_key", "phone")
    }
    parameters = trained.parameters(size)
    for dose_id, citizen_id, weight in scored:
        dose = doses[dose_id]
        captured = CapturedIdentity(**{k: dose[k] for k in CapturedIdentity.__dataclass_fields__})
        person = RegisteredIdentity(**people[citizen_id])
        ours = score(
            parameters,
            dose_record(dose_id, captured, today=TODAY),
            person_record(person, today=TODAY, household_phones=phones[citizen_id]),
            tf,
        )
        assert math.isclose(ours.match_weight, weight, abs_tol=1e-6), (dose_id, citizen_id)

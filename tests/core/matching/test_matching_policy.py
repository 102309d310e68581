"""The national policy: what is applied automatically, what goes to review."""

import json
from datetime import date

import pytest

from vaxpass.core.identity import make_cccd
from vaxpass.core.matching import (
    NATIONAL,
    Candidate,
    CapturedIdentity,
    Correction,
    Decision,
    Policy,
    Reason,
    RegisteredIdentity,
    corrections_for,
    decide_by_id,
)

TODAY = date(2026, 12, 1)
ID = make_cccd("079", "M", 1980, 42)
PERSON = RegisteredIdentity(ID, "", "Lê Văn Hòa", "1980-07-02", "M")


def stage1(**typed):
    base = dict(citizen_id=ID, full_name="Lê Văn Hòa", birth_date="1980-07-02", sex="M")
    return decide_by_id(CapturedIdentity(**{**base, **typed}), PERSON, today=TODAY)


def test_verified_and_corrected_link_to_the_id_holder():
    verified = NATIONAL.settle("d1", stage1())
    assert (verified.decision, verified.citizen_id, verified.stage) == (Decision.VERIFIED, ID, 1)
    corrected = NATIONAL.settle("d2", stage1(full_name="LE VAN HOA"))
    assert corrected.decision is Decision.CORRECTED and corrected.citizen_id == ID
    assert corrected.reasons == (Reason.NAME_UNACCENTED,)
    assert corrected.policy_version == "national@2026-12-01"


def test_a_policy_can_keep_typos_for_review():
    strict = Policy(
        name="strict", auto_correct_reasons=NATIONAL.auto_correct_reasons - {Reason.NAME_TYPO}
    )
    decision = strict.settle("d", stage1(full_name="Lê Văn Hoàa"))
    assert decision.decision is Decision.REVIEW
    assert decision.citizen_id is None and decision.candidate_id == ID
    assert decision.reasons == (Reason.NAME_TYPO, Reason.NOT_AUTO_CORRECTED)


def candidates(*pairs):
    return [Candidate(f"P{i}", p, w, "exact", "exact") for i, (p, w) in enumerate(pairs)]


def not_found():
    return stage1(citizen_id="")  # no ID: stage 2 decides


@pytest.mark.parametrize(
    ("scored", "decision", "reason"),
    [
        ((), Decision.NOT_FOUND, Reason.NO_CANDIDATE),
        (((0.1, -3.2),), Decision.NOT_FOUND, Reason.NO_CANDIDATE),
        (((0.9, 3.2),), Decision.REVIEW, Reason.BELOW_AUTO_THRESHOLD),
        (((0.9999, 13.3), (0.99, 9.0)), Decision.REVIEW, Reason.AMBIGUOUS_CANDIDATES),
        (((0.9999, 13.3), (0.5, 0.0)), Decision.LINKED, Reason.PROBABLE_MATCH),
        (((0.9999, 13.3),), Decision.LINKED, Reason.PROBABLE_MATCH),
    ],
)
def test_stage2_thresholds_and_margin(scored, decision, reason):
    result = NATIONAL.settle("d", not_found(), candidates(*scored))
    assert result.decision is decision
    assert result.reasons == (Reason.ID_MISSING, reason)
    assert result.stage == 2
    if decision is Decision.LINKED:
        assert result.citizen_id == "P0" and result.candidate_id is None
    elif decision is Decision.REVIEW:
        assert result.citizen_id is None and result.candidate_id == "P0"
    if scored:
        assert result.probability == scored[0][0]


@pytest.mark.parametrize(
    ("level", "decision"),
    [
        ("exact", Decision.LINKED),
        ("day and month swapped", Decision.LINKED),
        ("two of three parts", Decision.LINKED),
        ("same year", Decision.REVIEW),
        ("else", Decision.REVIEW),
        (None, Decision.REVIEW),
    ],
)
def test_automatic_link_needs_the_birth_date_to_agree_at_least_in_part(level, decision):
    # a father and son of the same name share phone, ward and household
    result = NATIONAL.settle("d", not_found(), [Candidate("P0", 0.99999, 16.0, level, "exact")])
    assert result.decision is decision
    if decision is Decision.REVIEW:
        assert result.reasons[-1] is Reason.CANDIDATE_BIRTH_DATE_DIFFERS


@pytest.mark.parametrize(
    ("level", "decision"),
    [
        ("exact", Decision.LINKED),
        ("one edit", Decision.LINKED),
        ("given", Decision.LINKED),  # family name mistyped
        ("else", Decision.REVIEW),
        (None, Decision.REVIEW),
    ],
)
def test_automatic_link_needs_the_name_to_agree_at_least_in_part(level, decision):
    # two people of one household born the same day share phone, ward and date
    result = NATIONAL.settle("d", not_found(), [Candidate("P0", 0.99999, 16.0, "exact", level)])
    assert result.decision is decision
    if decision is Decision.REVIEW:
        assert result.reasons[-1] is Reason.CANDIDATE_NAME_DIFFERS


def test_candidates_are_ranked_by_weight_and_kept_for_review():
    result = NATIONAL.settle(
        "d", not_found(), [Candidate("B", 0.9, 3.0), Candidate("A", 0.99, 6.0),
                           Candidate("C", 0.1, -3.0), Candidate("D", 0.05, -4.0)]
    )  # fmt: skip
    assert [c.citizen_id for c in result.candidates] == ["A", "B", "C"]
    assert result.candidate_id == "A"


def test_policy_round_trips_through_json_and_refuses_unknown_fields(tmp_path):
    custom = Policy(name="hcm", version="2", auto_link_probability=0.9999, review_probability=0.5)
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(custom.to_dict()))
    assert Policy.from_json_file(path) == custom
    with pytest.raises(ValueError, match="unknown policy fields"):
        Policy.from_dict({"auto_link_threshold": 0.9})
    with pytest.raises(ValueError):
        Policy.from_dict({"auto_correct_reasons": ["name_typoo"]})
    with pytest.raises(ValueError):
        Policy.from_dict({"review_probability": 0.99, "auto_link_probability": 0.9})
    with pytest.raises(ValueError, match="unknown birth_date levels"):
        Policy.from_dict({"auto_link_birth_date_levels": ["exactly"]})


def test_corrections_keep_captured_and_registry_values():
    captured = CapturedIdentity(ID[1:], "LE VAN HOA", "02/07/1980", "Nam")
    assert corrections_for(captured, PERSON) == (
        Correction("citizen_id", ID[1:], ID),
        Correction("full_name", "LE VAN HOA", "Lê Văn Hòa"),
        Correction("birth_date", "02/07/1980", "1980-07-02"),
    )
    year_only = RegisteredIdentity(ID, "", "Lê Văn Hòa", "1980", "M")
    assert corrections_for(CapturedIdentity(ID, "Lê Văn Hòa", "1980-07-02", "M"), year_only) == ()

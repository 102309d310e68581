"""Stage 1, by ID: every outcome with its reasons, including the relative's-ID case and
the checks of the birth year and sex the ID's digits encode."""

from datetime import date

import pytest

from vaxpass.core.identity import make_cccd
from vaxpass.core.matching import CapturedIdentity, Outcome, Reason, RegisteredIdentity
from vaxpass.core.matching import decide_by_id as _decide

TODAY = date(2026, 12, 1)
MOTHER_ID = make_cccd("001", "F", 1968, 123)
SON_ID = make_cccd("001", "M", 1995, 456)
MOTHER = RegisteredIdentity(
    MOTHER_ID, "011223344", "Nguyễn Thị Hòa", "1968-05-09", "F", "0912345678", "01", "00004",
    "HGD1"
)  # fmt: skip
SON = RegisteredIdentity(
    SON_ID, "", "Trần Văn Hùng", "1995-11-03", "M", "0912345678", "01", "00004", "HGD1"
)


def typed(**changes) -> CapturedIdentity:
    base = dict(citizen_id=MOTHER_ID, full_name="Nguyễn Thị Hòa", birth_date="1968-05-09", sex="F")
    return CapturedIdentity(**{**base, **changes})


def decide(captured, person=MOTHER):
    return _decide(captured, person, today=TODAY)


def test_everything_agrees_verified():
    result = decide(typed())
    assert result.outcome is Outcome.VERIFIED
    assert result.reasons == ()
    assert result.person == MOTHER and result.lookup_id == MOTHER_ID


@pytest.mark.parametrize(
    ("changes", "reasons"),
    [
        ({"full_name": "NGUYỄN THỊ HÒA"}, (Reason.NAME_CASE,)),
        ({"full_name": "Nguyễn Thị Hoà"}, (Reason.NAME_TONE_STYLE,)),
        ({"full_name": "NGUYEN THI HOA"}, (Reason.NAME_UNACCENTED,)),
        ({"full_name": "Nguyễn Thị  Hòa"}, (Reason.NAME_ENCODING,)),
        ({"full_name": "Nguyễn Thị Hoa"}, (Reason.NAME_MARKS_DIFFER,)),
        ({"full_name": "Nguyễn Thị Hoaf"}, (Reason.NAME_TYPO,)),
        ({"birth_date": "1968"}, (Reason.BIRTH_YEAR_ONLY,)),
        ({"birth_date": "1968-09-05"}, (Reason.BIRTH_DAY_MONTH_SWAPPED,)),
        ({"birth_date": "1968-05-19"}, (Reason.BIRTH_DATE_TYPO,)),
        ({"birth_date": ""}, (Reason.BIRTH_DATE_MISSING,)),
        ({"sex": ""}, (Reason.SEX_MISSING,)),
        ({"citizen_id": MOTHER_ID.lstrip("0")}, (Reason.ID_REPAIRED,)),
        ({"citizen_id": "011223344"}, (Reason.ID_OLD_NUMBER,)),  # the old 9-digit CMND
    ],
)
def test_right_id_with_benign_differences_is_correctable(changes, reasons):
    result = decide(typed(**changes))
    assert result.outcome is Outcome.CORRECTABLE
    assert result.reasons == reasons
    assert result.person == MOTHER


def test_a_year_typo_contradicts_the_id_but_the_registry_explains_it():
    result = decide(typed(birth_date="1969-05-09"))
    assert result.outcome is Outcome.CORRECTABLE
    assert result.reasons == (Reason.ID_BIRTH_YEAR_CONTRADICTS, Reason.BIRTH_DATE_TYPO)


@pytest.mark.parametrize("year", ["1967", "1978", "1986"])  # one off, one digit, swapped
def test_a_slip_of_the_year_is_a_typo(year):
    result = decide(typed(birth_date=f"{year}-05-09"))
    assert result.outcome is Outcome.CORRECTABLE
    assert Reason.BIRTH_DATE_TYPO in result.reasons


def test_a_fathers_year_on_his_namesake_sons_id_is_no_typo():
    # the son (born 2020) carries his father's name; the father's dose typed with the
    # son's ID agrees on name, day and month, but 1991 is no slip of 2020
    son = RegisteredIdentity(
        make_cccd("031", "M", 2020, 7), "", "Trần Văn Thành", "2020-09-29", "M"
    )
    father = CapturedIdentity(son.citizen_id, "Trần Văn Thành", "1991-09-29", "M")
    result = decide(father, son)
    assert result.outcome is Outcome.WRONG_PERSON
    assert Reason.BIRTH_DATE_DIFFERS in result.reasons


def test_registry_knowing_only_the_year_verifies_a_full_date():
    person = RegisteredIdentity(MOTHER_ID, "", "Nguyễn Thị Hòa", "1968", "F")
    result = decide(typed(), person)
    assert result.outcome is Outcome.VERIFIED
    assert result.reasons == (Reason.REGISTRY_BIRTH_YEAR_ONLY,)


def test_relatives_id_wrong_person_with_the_encoded_year_and_sex_contradicting():
    # The son's dose typed with his mother's ID: her ID encodes 1968 and a woman.
    son_typed = CapturedIdentity(MOTHER_ID, "Trần Văn Hùng", "1995-11-03", "M")
    result = decide(son_typed)
    assert result.outcome is Outcome.WRONG_PERSON
    assert result.reasons == (
        Reason.ID_BIRTH_YEAR_CONTRADICTS,
        Reason.ID_SEX_CONTRADICTS,
        Reason.NAME_DIFFERS,
        Reason.BIRTH_DATE_DIFFERS,
        Reason.SEX_DIFFERS,
        Reason.ID_OF_OTHER_PERSON,
    )


def test_relative_with_the_same_sex_and_a_close_name_is_still_caught_by_the_date():
    sister = CapturedIdentity(MOTHER_ID, "Nguyễn Thị Hoa", "1971-02-14", "F")
    result = decide(sister)
    assert result.outcome is Outcome.WRONG_PERSON
    assert Reason.ID_BIRTH_YEAR_CONTRADICTS in result.reasons
    assert Reason.BIRTH_DATE_DIFFERS in result.reasons


def test_two_typos_are_not_certain_by_id():
    result = decide(typed(full_name="Nguyễn Thị Hoaf", birth_date="1968-05-19"))
    assert result.outcome is Outcome.WRONG_PERSON
    assert result.reasons[-2:] == (Reason.SEVERAL_DIFFERENCES, Reason.ID_OF_OTHER_PERSON)


def test_other_name_on_the_right_date_is_another_person():
    result = decide(typed(full_name="Lê Văn Tám", sex="F"))
    assert result.outcome is Outcome.WRONG_PERSON
    assert Reason.NAME_DIFFERS in result.reasons


def test_unknown_id_is_not_found_and_says_what_its_digits_contradict():
    unknown = make_cccd("079", "M", 1990, 999_999)
    result = decide(typed(citizen_id=unknown), None)
    assert result.outcome is Outcome.NOT_FOUND
    assert result.reasons == (
        Reason.ID_BIRTH_YEAR_CONTRADICTS,
        Reason.ID_SEX_CONTRADICTS,
        Reason.ID_NOT_IN_REGISTRY,
    )
    assert result.lookup_id == unknown and result.person is None


@pytest.mark.parametrize(
    ("citizen_id", "reason"),
    [("", Reason.ID_MISSING), ("12-34", Reason.ID_MALFORMED), ("0912345678", Reason.ID_MALFORMED)],
)
def test_no_usable_id(citizen_id, reason):
    result = decide(typed(citizen_id=citizen_id), None)
    assert result.outcome is Outcome.NO_ID
    assert result.reasons == (reason,)
    assert result.lookup_id is None


def test_typed_son_of_his_own_id_is_verified():
    result = decide(CapturedIdentity(SON_ID, "Trần Văn Hùng", "03/11/1995", "Nam"), SON)
    assert result.outcome is Outcome.VERIFIED

from datetime import date, timedelta

import pytest

from vaxpass.core.doses import (
    DoseFacts,
    Issue,
    blocking,
    check_dose,
    series_complete,
    suggest_dose_number,
    warnings,
)

PFIZER, MODERNA, AZ = "EU/1/20/1528", "EU/1/20/1507", "EU/1/21/1529"
JANSSEN, ABDALA, VERO = "EU/1/20/1525", "Abdala", "BBIBP-CorV"
TODAY = date(2022, 6, 30)
D1 = date(2021, 8, 1)


def dose(
    n: int, on: date, product: str = PFIZER, facility: str = "TYT-A", ref: str | None = None
) -> DoseFacts:
    return DoseFacts(product=product, given_on=on, dose_number=n, facility=facility, ref=ref)


def codes(issues: list[Issue]) -> list[tuple[str, str, str]]:
    return [(i.severity, i.field, i.code) for i in issues]


def test_a_clean_series_has_no_issues() -> None:
    first = dose(1, D1)
    assert check_dose(first, [], today=TODAY) == []
    second = dose(2, D1 + timedelta(days=21))
    assert check_dose(second, [first], today=TODAY) == []
    booster = dose(3, D1 + timedelta(days=21 + 90), MODERNA)
    assert check_dose(booster, [second, first], today=TODAY) == []


def test_unknown_product() -> None:
    issues = check_dose(dose(1, D1, "Vacxin-XYZ"), [], today=TODAY)
    assert codes(issues) == [("error", "product", "unknown_product")]
    assert issues[0].params == {"product": "Vacxin-XYZ"}
    assert "Vacxin-XYZ" in issues[0].message


def test_future_date() -> None:
    issues = check_dose(dose(1, TODAY + timedelta(days=1)), [], today=TODAY)
    assert codes(issues) == [("error", "given_on", "in_future")]
    assert check_dose(dose(1, TODAY), [], today=TODAY) == []


def test_before_the_products_first_use() -> None:
    issues = check_dose(dose(1, date(2020, 12, 7)), [], today=TODAY)
    assert codes(issues) == [("error", "given_on", "before_first_use")]
    assert issues[0].params["first_use"] == "2020-12-08"
    assert check_dose(dose(1, date(2020, 12, 8)), [], today=TODAY) == []


@pytest.mark.parametrize("n", [0, -1, 11])
def test_dose_number_out_of_range(n: int) -> None:
    issues = check_dose(dose(n, D1), [], today=TODAY)
    assert codes(issues) == [("error", "dose_number", "dose_number_out_of_range")]


def test_dose_number_taken_names_the_date() -> None:
    issues = check_dose(dose(1, date(2021, 9, 1)), [dose(1, D1)], today=TODAY)
    assert ("error", "dose_number", "dose_number_taken") in codes(issues)
    taken = next(i for i in issues if i.code == "dose_number_taken")
    assert taken.params["date"] == "2021-08-01"
    assert "2021-08-01" in taken.message


def test_dose_number_gap_is_a_warning() -> None:
    # Dose 1 was never uploaded: dose 2 as the first record is kept, flagged.
    issues = check_dose(dose(2, D1), [], today=TODAY)
    assert codes(issues) == [("warning", "dose_number", "dose_number_gap")]
    assert issues[0].params == {"dose_number": 2, "expected": 1}
    assert blocking(issues) == [] and warnings(issues) == issues


def test_a_gap_is_not_flagged_again_on_later_doses() -> None:
    history = [dose(2, D1)]
    assert suggest_dose_number(history, D1 + timedelta(days=100)) == 3
    assert check_dose(dose(3, D1 + timedelta(days=100)), history, today=TODAY) == []


def test_dose_number_too_low_is_an_error() -> None:
    history = [dose(1, D1), dose(3, D1 + timedelta(days=30))]  # dose 2 missing
    issues = check_dose(dose(2, D1 + timedelta(days=200)), history, today=TODAY)
    assert codes(issues) == [("error", "dose_number", "dose_number_too_low")]
    assert issues[0].params == {"dose_number": 2, "expected": 4}


def test_dose_numbers_must_follow_dates() -> None:
    history = [dose(1, D1)]
    issues = check_dose(dose(2, D1 - timedelta(days=60)), history, today=TODAY)
    assert ("error", "dose_number", "dose_number_order") in codes(issues)


def test_retrospective_earlier_dose_is_accepted() -> None:
    # Dose 2 was recorded; the missing dose 1 is now entered from the paper record.
    history = [dose(2, D1, AZ)]
    assert check_dose(dose(1, D1 - timedelta(days=56), AZ), history, today=TODAY) == []


def test_interval_too_short_in_primary_series() -> None:
    issues = check_dose(dose(2, D1 + timedelta(days=20)), [dose(1, D1)], today=TODAY)
    assert codes(issues) == [("warning", "given_on", "interval_too_short")]
    assert issues[0].params == {"days": 20, "minimum": 21, "other_date": "2021-08-01"}


def test_interval_uses_the_previous_doses_product() -> None:
    # AstraZeneca then Pfizer (heterologous): the AstraZeneca interval of 28 days applies.
    issues = check_dose(dose(2, D1 + timedelta(days=25)), [dose(1, D1, AZ)], today=TODAY)
    assert issues[0].params["minimum"] == 28
    assert check_dose(dose(2, D1 + timedelta(days=28)), [dose(1, D1, AZ)], today=TODAY) == []


def test_abdala_three_dose_series_intervals() -> None:
    history = [dose(1, D1, ABDALA), dose(2, D1 + timedelta(days=14), ABDALA)]
    third = dose(3, D1 + timedelta(days=28), ABDALA)
    assert check_dose(third, history, today=TODAY) == []


def test_booster_interval_after_the_series() -> None:
    history = [dose(1, D1), dose(2, D1 + timedelta(days=21))]
    issues = check_dose(dose(3, D1 + timedelta(days=21 + 60)), history, today=TODAY)
    assert codes(issues) == [("warning", "given_on", "interval_too_short")]
    assert issues[0].params["minimum"] == 90
    # After a single-dose product, the next dose is already a booster.
    issues = check_dose(dose(2, D1 + timedelta(days=60)), [dose(1, D1, JANSSEN)], today=TODAY)
    assert issues[0].params["minimum"] == 90


def test_interval_to_a_later_dose_is_checked_too() -> None:
    later = dose(2, D1 + timedelta(days=10))
    issues = check_dose(dose(1, D1), [later], today=TODAY)
    assert codes(issues) == [("warning", "given_on", "interval_too_short")]
    assert issues[0].params["other_date"] == "2021-08-11"


def test_same_day_duplicate_names_the_other_facility() -> None:
    other = dose(1, D1, facility="TYT-B")
    issues = check_dose(dose(1, D1, facility="TYT-A"), [other], today=TODAY)
    assert codes(issues) == [("warning", "given_on", "same_day_duplicate")]
    assert issues[0].params["facility"] == "TYT-B"
    assert "TYT-B" in issues[0].message


def test_the_stored_version_of_the_same_dose_is_ignored() -> None:
    stored = dose(1, D1, ref="42")
    assert check_dose(dose(1, D1 + timedelta(days=1), ref="42"), [stored], today=TODAY) == []


def test_blocking_and_warnings_split() -> None:
    issues = check_dose(dose(2, TODAY + timedelta(days=1), "Vacxin-XYZ"), [], today=TODAY)
    assert [i.code for i in blocking(issues)] == ["unknown_product", "in_future"]
    assert [i.code for i in warnings(issues)] == ["dose_number_gap"]


def test_issues_are_hashable_and_messages_filled() -> None:
    issues = check_dose(dose(2, D1 + timedelta(days=5)), [dose(1, D1)], today=TODAY)
    assert len(set(issues)) == len(issues)
    assert all("%(" not in i.message for i in issues)


def test_suggest_dose_number() -> None:
    history = [dose(1, D1), dose(2, D1 + timedelta(days=21))]
    assert suggest_dose_number([], D1) == 1
    assert suggest_dose_number(history, D1 + timedelta(days=10)) == 2
    assert suggest_dose_number(history, D1 + timedelta(days=200)) == 3


@pytest.mark.parametrize(
    ("products", "complete"),
    [
        ([PFIZER], False),
        ([PFIZER, PFIZER], True),
        ([AZ, PFIZER], True),  # heterologous
        ([JANSSEN], True),
        ([ABDALA, ABDALA], False),
        ([ABDALA, ABDALA, ABDALA], True),
        ([VERO, ABDALA], False),  # the longest series so far decides
        ([JANSSEN, PFIZER], True),
        (["Vacxin-XYZ", PFIZER], False),  # unknown products do not count
        ([], False),
    ],
)
def test_series_complete(products: list[str], complete: bool) -> None:
    history = [dose(i + 1, D1 + timedelta(days=30 * i), p) for i, p in enumerate(products)]
    assert series_complete(list(reversed(history))) is complete


def test_same_day_duplicates_do_not_complete_a_series() -> None:
    assert not series_complete([dose(1, D1, facility="TYT-A"), dose(1, D1, facility="TYT-B")])

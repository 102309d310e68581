"""One row of a retrospective import: every problem named by column, safe repairs made."""

from datetime import date

import pytest

from vaxpass.core.dose_rows import DOSE_COLUMNS, match_header, parse_dose_row, parse_product

TODAY = date(2022, 6, 1)


def good(**changes) -> dict[str, object]:
    row = {
        "citizen_id": "001190012345", "full_name": "Nguyễn Thị Hoà", "birth_date": "04/03/1990",
        "sex": "Nữ", "phone": "0912345678", "address": "Số 1", "ward_code": "00004",
        "product": "Comirnaty (Pfizer-BioNTech)", "lot": "FK8891", "given_on": "15/09/2021",
        "dose_number": "1", "facility_code": "tyt00004",
    }  # fmt: skip
    row.update(changes)
    return row


def errors(issues) -> dict[str, str]:
    return {i.column: i.code for i in issues if i.severity == "error"}


def repairs(issues) -> dict[str, str]:
    return {i.column: i.code for i in issues if i.severity == "repair"}


def test_a_clean_row():
    row, issues = parse_dose_row(7, good(), today=TODAY)
    assert row is not None and not errors(issues)
    assert (row.line, row.citizen_id, row.birth_date, row.sex) == (
        7,
        "001190012345",
        "1990-03-04",
        "F",
    )
    assert (row.product, row.given_on, row.dose_number) == ("EU/1/20/1528", date(2021, 9, 15), 1)
    assert row.facility_code == "TYT00004"
    assert row.full_name == "Nguyễn Thị Hòa"  # one tone-mark style


def test_spreadsheet_damage_is_repaired_with_a_note():
    row, issues = parse_dose_row(
        2,
        good(
            citizen_id=1190012345.0,
            full_name="NGUYỄN THỊ HOÀ",
            birth_date="1990",
            phone="01688123456",
            ward_code=4,
            given_on="9/15/21",
            dose_number=2.0,
        ),
        today=TODAY,
    )
    assert row is not None, issues
    assert row.citizen_id == "001190012345"
    assert row.birth_date == "1990" and row.phone == "0388123456" and row.ward_code == "00004"
    assert row.given_on == date(2021, 9, 15) and row.dose_number == 2
    fixed = repairs(issues)
    assert fixed["citizen_id"] == "leading_zero_restored"
    assert fixed["full_name"] == "name_normalised"
    assert fixed["phone"] == "old_11_digit_converted"
    assert fixed["given_on"] in ("two_digit_year_expanded", "day_month_swapped")


def test_every_bad_cell_is_reported_at_once():
    row, issues = parse_dose_row(
        3,
        good(
            citizen_id="12345",
            full_name="",
            birth_date="31/02/1990",
            sex="x",
            phone="123",
            ward_code="abc",
            product="Sinovac??",
            given_on="",
            dose_number="11",
            facility_code="",
        ),
        today=TODAY,
    )
    assert row is None
    assert errors(issues) == {
        "citizen_id": "wrong_length", "full_name": "required", "birth_date": "invalid_date",
        "sex": "invalid", "phone": "invalid_number", "ward_code": "invalid_ward_code",
        "product": "unknown_product", "given_on": "required",
        "dose_number": "invalid_dose_number", "facility_code": "required",
    }  # fmt: skip
    assert all(i.message for i in issues)


def test_future_date_and_names_with_digits():
    _row, issues = parse_dose_row(
        4, good(given_on="01/01/2023", full_name="Nguyen 123"), today=TODAY
    )
    assert errors(issues) == {"given_on": "in_future", "full_name": "invalid_name"}


def test_empty_row():
    row, issues = parse_dose_row(5, {}, today=TODAY)
    assert row is None and issues[0].code == "empty_row"


@pytest.mark.parametrize(
    "typed, code",
    [
        ("Pfizer", "EU/1/20/1528"),
        ("AstraZeneca", "EU/1/21/1529"),
        ("Vero Cell", "BBIBP-CorV"),
        ("EU/1/20/1507", "EU/1/20/1507"),
        ("Spikevax (Moderna)", "EU/1/20/1507"),
        ("abdala", "Abdala"),
        ("Covishield", "Covishield"),
        ("Janssen", "EU/1/20/1525"),
    ],
)
def test_products_by_any_common_name(typed, code):
    assert parse_product(typed) == code


def test_headers_in_either_language_any_order():
    vi = [c.vi for c in DOSE_COLUMNS]
    en = [c.en.upper() for c in reversed(DOSE_COLUMNS)]
    assert match_header(vi).positions["given_on"] == vi.index("Ngày tiêm")
    assert match_header(en).positions["full_name"] == len(DOSE_COLUMNS) - 2
    assert not match_header(vi).issues
    assert match_header(["Ho va ten (co dau)", "Ngay sinh"]).positions == {
        "full_name": 0,
        "birth_date": 1,
    }


def test_missing_and_repeated_headers():
    issues = match_header(["Họ và tên", "Họ và tên", "Ngày sinh"]).issues
    codes = {(i.column, i.code) for i in issues}
    assert ("full_name", "duplicate_column") in codes
    assert {
        ("product", "missing_column"),
        ("given_on", "missing_column"),
        ("facility_code", "missing_column"),
    } <= codes


def test_identity_key_prefers_the_id():
    row, _ = parse_dose_row(2, good(), today=TODAY)
    assert row.identity_key() == "001190012345"
    row, _ = parse_dose_row(2, good(citizen_id=""), today=TODAY)
    assert row.identity_key() == "nguyen thi hoa|1990-03-04"

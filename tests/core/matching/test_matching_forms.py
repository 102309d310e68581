"""Normalisation for matching: the cases of MISSION.md ("Vietnamese identity data")."""

import unicodedata
from datetime import date

import pytest

from vaxpass.core.identity import has_diacritics, name_sound_key
from vaxpass.core.matching.forms import (
    at_most_one_edit,
    date_forms,
    id_forms,
    name_forms,
    phone_form,
    sex_form,
)

TODAY = date(2026, 12, 1)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize(
    "typed",
    [
        "Nguyễn Thị Hòa",
        nfd("Nguyễn Thị Hòa"),  # decomposed
        "Nguyễn Thị Hoà",  # the other tone-mark style
        "NGUYỄN THỊ HOÀ",  # capitals
        "nguyễn   thị hòa ",  # spaces
    ],
)
def test_same_name_in_every_encoding_case_and_tone_style_has_one_canonical_form(typed):
    forms = name_forms(typed)
    assert forms.canonical == "Nguyễn Thị Hòa"
    assert forms.key == "nguyen thi hoa"
    assert forms.has_marks


def test_nfd_and_spaces_are_an_encoding_difference_not_a_spelling_one():
    assert not name_forms(nfd("Nguyễn Thị Hòa")).encoding_clean
    assert not name_forms("Nguyễn  Thị Hòa").encoding_clean
    assert name_forms("Nguyễn Thị Hòa").encoding_clean
    assert name_forms(nfd("Nguyễn Thị Hòa")).nfc == "Nguyễn Thị Hòa"


def test_d_with_stroke_and_its_look_alike_eth():
    # "Đ" has no decomposition; legacy data holds the look-alike "Ð" (U+00D0).
    eth, stroke = name_forms("\u00d0ặng Văn Hùng"), name_forms("Đặng Văn Hùng")
    assert eth.nfc == stroke.nfc == "Đặng Văn Hùng"
    assert eth.key == stroke.key == "dang van hung"
    assert has_diacritics("Dang Van Đông") and not has_diacritics("DANG VAN HUNG")


def test_name_typed_without_diacritics_keeps_the_key():
    bare = name_forms("NGUYEN THI HOA")
    assert bare.key == name_forms("Nguyễn Thị Hòa").key
    assert not bare.has_marks
    assert bare.canonical != name_forms("Nguyễn Thị Hòa").canonical


def test_family_given_and_sound_keys():
    forms = name_forms("Nguyễn Thị Minh Hường")
    assert (forms.family, forms.given) == ("nguyen", "huong")
    # vowel and tone typos keep the sound key; doubled letters collapse
    assert name_sound_key("Nguyễn Thị Hường") == name_sound_key("Nguyen Thi Huongg")
    assert name_sound_key("Nguyễn Thị Hường") == name_sound_key("Nguyễn Thị Hưng")
    assert name_sound_key("Trần Văn An") != name_sound_key("Trần Văn Bình")


def test_empty_name_has_empty_forms():
    forms = name_forms("")
    assert forms.key == forms.canonical == forms.given == "" and not forms.has_marks


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("ly", "li", True),  # spelling variant Lý / Lí
        ("huong", "hung", True),  # dropped letter
        ("huong", "huongg", True),  # doubled letter
        ("an", "na", True),  # swapped neighbours
        ("hoa", "hoa", True),
        ("huong", "hang", False),
        ("lan", "lanhh", False),
        ("", "a", True),
    ],
)
def test_at_most_one_edit(a, b, expected):
    assert at_most_one_edit(a, b) is expected
    assert at_most_one_edit(b, a) is expected


# --- IDs -------------------------------------------------------------------------------


def test_twelve_digit_id_and_the_facts_its_digits_encode():
    forms = id_forms("001185000123", TODAY)  # Hà Nội, woman born 1985
    assert (forms.value, forms.kind, forms.repaired) == ("001185000123", "cccd", False)
    assert (forms.encoded_year, forms.encoded_sex) == (1985, "F")
    assert id_forms("079203000001", TODAY).encoded_year == 2003  # digit 2: man, 2000s
    assert id_forms("079203000001", TODAY).encoded_sex == "M"


@pytest.mark.parametrize(
    ("typed", "value", "kind"),
    [
        ("79185000123", "079185000123", "cccd"),  # a spreadsheet dropped the leading zero
        ("1185000123", "001185000123", "cccd"),  # ... both zeros of provinces 001-009
        ("079 185 000 123", "079185000123", "cccd"),  # non-digits
        ("079185000123.0", "079185000123", "cccd"),  # float suffix
        ("12345678", "012345678", "cmnd"),  # old 9-digit number without its zero
    ],
)
def test_repaired_ids(typed, value, kind):
    forms = id_forms(typed, TODAY)
    assert (forms.value, forms.kind, forms.repaired) == (value, kind, True)


def test_old_nine_digit_number_is_usable_but_encodes_nothing():
    forms = id_forms("123456789", TODAY)
    assert (forms.kind, forms.encoded_year, forms.encoded_sex) == ("cmnd", None, None)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", "missing"),
        ("   ", "missing"),
        ("000000000000", "placeholder"),
        ("999185000123", "unknown_province"),
        ("079199000123x", "not_digits"),
        ("0912345678", "looks_like_phone"),
        ("079230000123", "birth_year_in_future"),  # digit 4 = 2: born 2030
        ("1234567", "wrong_length"),
    ],
)
def test_unusable_ids_say_why(typed, problem):
    forms = id_forms(typed, TODAY)
    assert forms.value is None and forms.problem == problem


# --- birth dates, phones, sex ----------------------------------------------------------


def test_birth_dates_full_year_only_and_day_first():
    assert date_forms("1957-03-04", TODAY).iso == "1957-03-04"
    assert date_forms("04/03/1957", TODAY).iso == "1957-03-04"  # day first, Vietnamese
    year_only = date_forms("1957", TODAY)
    assert (year_only.iso, year_only.year, year_only.month, year_only.day) == (
        "1957",
        1957,
        None,
        None,
    )
    # impossible day-first, valid month-first: swapped back
    assert date_forms("03/25/1957", TODAY).iso == "1957-03-25"


def test_unusable_birth_dates():
    assert date_forms("", TODAY).problem == "required"
    assert date_forms("31/02/1990", TODAY).problem == "invalid_date"
    assert date_forms("2030-01-01", TODAY).problem == "in_future"
    assert date_forms("khong ro", TODAY).iso is None


def test_phones_old_eleven_digit_numbers_and_country_code():
    assert phone_form("01623456789") == "0323456789"  # Viettel 0162 -> 032 (2018)
    assert phone_form("+84 912 345 678") == "0912345678"
    assert phone_form("912345678") == "0912345678"
    assert phone_form("") is None
    assert phone_form("0912; 0987") is None  # two numbers: none is a guess


def test_sex_forms():
    assert [sex_form(s) for s in ("Nam", "Nữ", "nu", "F", "M", "", "x?")] == [
        "M",
        "F",
        "F",
        "F",
        "M",
        "",
        "",
    ]

import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaxpass.core.identity import (
    OLD_MOBILE_PREFIXES,
    PROVINCE_CODES,
    BirthDate,
    IdentityError,
    IdKind,
    cccd_contradicts,
    cccd_facts,
    make_cccd,
    name_key,
    normalize_citizen_id,
    normalize_name,
    normalize_phone,
    normalize_sex,
    parse_birth_date,
)

TODAY = date(2022, 6, 30)


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


# --- names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("NGUYỄN văn  an", "Nguyễn Văn An"),
        ("  trần   thị\tlan ", "Trần Thị Lan"),
        (nfd("Nguyễn Thị Hòa"), "Nguyễn Thị Hòa"),
        ("\u00d0ặng Văn Hùng", "Đặng Văn Hùng"),  # look-alike Ð (U+00D0)
        ("\u00f0ỗ minh", "Đỗ Minh"),
        # one tone style (old): oa, oe, uy in open syllables carry the mark on the first vowel
        ("Nguyễn Thị Hoà", "Nguyễn Thị Hòa"),
        ("Trần Thuỷ", "Trần Thủy"),
        ("lê văn khoẻ", "Lê Văn Khỏe"),
        ("Thanh Hoá", "Thanh Hóa"),
        ("Đào Duy Tuỵ", "Đào Duy Tụy"),
        # closed syllables and triphthongs: the second / middle vowel, in both styles
        ("hòang", "Hoàng"),
        ("Huỳnh", "Huỳnh"),
        ("ngòai", "Ngoài"),
        ("khủyu", "Khuỷu"),
        ("họach", "Hoạch"),
        # modified vowels carry the mark: ươ -> ơ, uyê -> ê
        ("NGƯỜI", "Người"),
        ("nguyển", "Nguyển"),
        ("Ngùyên", "Nguyền"),
        # qu / gi belong to the consonant
        ("lê qúy đôn", "Lê Quý Đôn"),
        ("gìa", "Già"),
        ("gì", "Gì"),
        # names of other peoples keep their marks and shape
        ("h'hen niê", "H'Hen Niê"),
        ("ksor h\u2019bloan", "Ksor H'Bloan"),
        ("y-moan", "Y-Moan"),
        ("José Muñoz", "José Muñoz"),
        ("", ""),
    ],
)
def test_normalize_name(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected
    assert unicodedata.is_normalized("NFC", normalize_name(raw))


def test_tone_style_is_the_same_whatever_the_input_style() -> None:
    for old, new in [("hòa", "hoà"), ("thủy", "thuỷ"), ("khỏe", "khoẻ"), ("họa", "hoạ")]:
        assert normalize_name(old) == normalize_name(new) == normalize_name(nfd(new))


TONES = "\u0300\u0301\u0303\u0309\u0323"


def tone_anywhere(word: str) -> set[str]:
    """The word with its tone mark moved onto each of its vowels in turn."""
    decomposed = nfd(word)
    tone = next(c for c in decomposed if c in TONES)
    bare = unicodedata.normalize("NFC", decomposed.replace(tone, ""))
    return {
        unicodedata.normalize("NFC", bare[: i + 1] + tone + bare[i + 1 :])
        for i, c in enumerate(bare)
        if nfd(c)[0] in "aeiouy"
    }


@pytest.mark.parametrize(
    "word",
    [
        "Hòa",
        "Thủy",
        "Khỏe",
        "Hoàng",
        "Người",
        "Nguyễn",
        "Quý",
        "Già",
        "Ngoài",
        "Khuỷu",
        "Huỳnh",
        "Tuyết",
        "Mùa",
        "Cháu",
        "Quốc",
        "Giữa",
        "Thuở",
        "Xoáy",
        "Ngoẹo",
    ],
)
def test_tone_mark_typed_on_any_vowel_lands_in_one_place(word: str) -> None:
    variants = tone_anywhere(word.lower())
    assert len(variants) > 1
    assert {normalize_name(v) for v in variants} == {word}


@pytest.mark.parametrize(
    "raw",
    [
        "Nguyễn Thị Hoà",
        "NGUYEN THI HOA",
        "nguyễn thị hòa",
        nfd("nguyễn thị hòa"),
        " nguyen  thi hoa",
    ],
)
def test_name_key_ignores_marks_case_form_and_spacing(raw: str) -> None:
    assert name_key(raw) == "nguyen thi hoa"


def test_name_key_d_forms() -> None:
    assert name_key("Đặng") == name_key("\u00d0ặng") == name_key("DANG") == "dang"


@given(st.text())
def test_name_key_and_normalize_name_are_idempotent(raw: str) -> None:
    assert name_key(name_key(raw)) == name_key(raw)
    assert normalize_name(normalize_name(raw)) == normalize_name(raw)


vietnamese_words = st.text(
    alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệ"
    "ìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ ",
    max_size=30,
)


@given(vietnamese_words)
def test_name_key_equal_for_nfc_nfd_and_upper(raw: str) -> None:
    assert name_key(raw) == name_key(nfd(raw)) == name_key(raw.upper())
    assert name_key(raw).isascii()


# --- citizen IDs -----------------------------------------------------------------------


def test_citizen_id_plain_and_with_separators() -> None:
    nid = normalize_citizen_id("079 190.001-234", today=TODAY)
    assert nid is not None
    assert (nid.value, nid.kind, nid.repairs) == (
        "079190001234",
        IdKind.CCCD,
        ("non_digits_removed",),
    )
    clean = normalize_citizen_id("079190001234", today=TODAY)
    assert clean is not None and clean.repairs == ()


def test_citizen_id_dropped_leading_zero() -> None:
    nid = normalize_citizen_id("79190001234", today=TODAY)
    assert nid is not None
    assert (nid.value, nid.kind, nid.repairs) == (
        "079190001234",
        IdKind.CCCD,
        ("leading_zero_restored",),
    )


def test_citizen_id_float_from_spreadsheet() -> None:
    nid = normalize_citizen_id("79190001234.0", today=TODAY)
    assert nid is not None and nid.value == "079190001234"
    assert nid.repairs == ("float_suffix_removed", "leading_zero_restored")


def test_cmnd_nine_and_eight_digits() -> None:
    nid = normalize_citizen_id("025123456")
    assert nid is not None and (nid.value, nid.kind, nid.repairs) == ("025123456", IdKind.CMND, ())
    nid = normalize_citizen_id("25123456")
    assert nid is not None and (nid.value, nid.kind) == ("025123456", IdKind.CMND)
    assert nid.repairs == ("leading_zero_restored",)


@pytest.mark.parametrize("raw", ["", "   "])
def test_citizen_id_empty(raw: str) -> None:
    assert normalize_citizen_id(raw) is None


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("07919000123X", "not_digits"),
        ("CCCD 079190001234", "not_digits"),
        ("000000000000", "placeholder"),
        ("111111111", "placeholder"),
        ("099190001234", "unknown_province"),
        ("99190001234", "unknown_province"),  # 11 digits, but no province 099
        ("079299001234", "birth_year_in_future"),  # digit 2 + 99 = 2099
        ("0912345678", "looks_like_phone"),
        ("1234567", "wrong_length"),
        ("0791900012345", "wrong_length"),
        ("7.9190001234E+10", "scientific_notation"),
    ],
)
def test_citizen_id_unusable(raw: str, code: str) -> None:
    with pytest.raises(IdentityError) as exc:
        normalize_citizen_id(raw, today=TODAY)
    assert (exc.value.field, exc.value.code) == ("citizen_id", code)
    assert exc.value.message == exc.value.template % exc.value.params


@pytest.mark.parametrize(
    ("digit", "century", "sex"),
    [
        (0, 1900, "M"),
        (1, 1900, "F"),
        (2, 2000, "M"),
        (3, 2000, "F"),
        (4, 2100, "M"),
        (5, 2100, "F"),
        (6, 2200, "M"),
        (7, 2200, "F"),
        (8, 1800, "M"),
        (9, 1800, "F"),
    ],
)
def test_cccd_century_and_sex_digit(digit: int, century: int, sex: str) -> None:
    cccd = f"001{digit}57123456"
    facts = cccd_facts(cccd)
    assert (facts.province_code, facts.sex, facts.century) == ("001", sex, century)
    assert facts.birth_year == century + 57
    assert facts.serial == "123456"
    assert make_cccd("001", sex, century + 57, 123456) == cccd


def test_cccd_facts_rejects_non_cccd() -> None:
    with pytest.raises(IdentityError):
        cccd_facts("025123456")


@given(
    province=st.sampled_from(sorted(PROVINCE_CODES)),
    sex=st.sampled_from(["M", "F"]),
    year=st.integers(1800, 2299),
    serial=st.integers(0, 999_999),
)
def test_make_cccd_round_trip(province: str, sex: str, year: int, serial: int) -> None:
    facts = cccd_facts(make_cccd(province, sex, year, serial))
    assert (facts.province_code, facts.sex, facts.birth_year, int(facts.serial)) == (
        province,
        sex,
        year,
        serial,
    )


@pytest.mark.parametrize(
    "args",
    [
        ("79", "M", 1990, 1),
        ("079", "X", 1990, 1),
        ("079", "M", 2300, 1),
        ("079", "M", 1990, 1_000_000),
    ],
)
def test_make_cccd_rejects_bad_arguments(args: tuple[str, str, int, int]) -> None:
    with pytest.raises(ValueError):
        make_cccd(*args)


def test_cccd_contradicts_catches_a_relatives_id() -> None:
    mother = make_cccd("001", "F", 1962, 4711)
    son = make_cccd("001", "M", 1990, 815)
    # A dose for the son typed with the mother's ID: both facts disagree.
    assert cccd_contradicts(mother, 1990, "Nam") == ["birth_year", "sex"]
    # The father: same generation, other sex.
    assert cccd_contradicts(mother, 1962, "M") == ["sex"]
    # A sister's ID on a dose for a woman born 1990: same sex, other year.
    sister = make_cccd("001", "F", 1993, 2)
    assert cccd_contradicts(sister, 1990, "F") == ["birth_year"]
    assert cccd_contradicts(son, 1990, "nam") == []
    assert cccd_contradicts(son, None, None) == []
    assert cccd_contradicts(son, None, "") == []


# --- birth dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "iso", "repairs"),
    [
        ("1957-03-04", "1957-03-04", ()),
        ("04/03/1957", "1957-03-04", ()),
        ("4/3/1957", "1957-03-04", ()),
        ("04-03-1957", "1957-03-04", ()),
        ("04.03.1957", "1957-03-04", ()),
        ("1957", "1957", ()),
        ("4/3/57", "1957-03-04", ("two_digit_year_expanded",)),
        ("4/3/05", "2005-03-04", ("two_digit_year_expanded",)),
        ("29/6/22", "2022-06-29", ("two_digit_year_expanded",)),
        ("1/7/22", "1922-07-01", ("two_digit_year_expanded",)),  # 2022-07-01 is after today
        ("03/25/1990", "1990-03-25", ("day_month_swapped",)),  # month-first typed
        ("1990-25-03", "1990-03-25", ("day_month_swapped",)),
        ("21930", "1960-01-15", ("excel_serial_converted",)),
        ("21930.0", "1960-01-15", ("excel_serial_converted",)),
        ("1957-03-04 00:00:00", "1957-03-04", ("time_removed",)),
        (" ０４/０３/１９５７ ", "1957-03-04", ()),  # full-width digits
    ],
)
def test_parse_birth_date(raw: str, iso: str, repairs: tuple[str, ...]) -> None:
    bd, got = parse_birth_date(raw, today=TODAY)
    assert (bd.iso, got) == (iso, repairs)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("31/02/1990", "invalid_date"),
        ("13/13/1990", "invalid_date"),
        ("01/07/2022", "in_future"),
        ("2023", "in_future"),
        ("1889", "too_old"),
        ("01/01/1885", "too_old"),
        ("", "required"),
        ("tháng 3", "unrecognised"),
        ("123456", "unrecognised"),
    ],
)
def test_parse_birth_date_rejects(raw: str, code: str) -> None:
    with pytest.raises(IdentityError) as exc:
        parse_birth_date(raw, today=TODAY)
    assert (exc.value.field, exc.value.code) == ("birth_date", code)


def test_birth_date_object() -> None:
    bd = BirthDate.from_iso("1957-03-04")
    assert (bd.year, bd.month, bd.day, bd.is_year_only, str(bd)) == (
        1957,
        3,
        4,
        False,
        "1957-03-04",
    )
    assert bd.swapped() == BirthDate(1957, 4, 3)
    assert bd.as_date() == date(1957, 3, 4)
    assert BirthDate(1990, 3, 25).swapped() is None  # 25 is no month
    assert BirthDate(1990, 5, 5).swapped() is None  # same date
    year_only = BirthDate.from_iso("1957")
    assert (year_only.iso, year_only.is_year_only, year_only.swapped()) == ("1957", True, None)
    assert year_only.as_date() is None
    for bad in ["1957-3-4", "57", "1957-02-30"]:
        with pytest.raises(ValueError):
            BirthDate.from_iso(bad)
    with pytest.raises(ValueError):
        BirthDate(1957, 3, None)


# --- phones ----------------------------------------------------------------------------

ALL_OLD_PREFIXES = {
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036", "0167": "037",
    "0168": "038", "0169": "039",
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0186": "056", "0188": "058",
    "0199": "059",
}  # fmt: skip


@pytest.mark.parametrize(("old", "new"), sorted(ALL_OLD_PREFIXES.items()))
def test_old_eleven_digit_mobiles_convert(old: str, new: str) -> None:
    assert normalize_phone(old + "1234567") == (new + "1234567", ("old_11_digit_converted",))
    assert normalize_phone("+84 " + old[1:] + " 123 4567")[0] == new + "1234567"


def test_mapping_table_is_complete() -> None:
    assert OLD_MOBILE_PREFIXES == ALL_OLD_PREFIXES


@pytest.mark.parametrize(
    ("raw", "expected", "repairs"),
    [
        ("0912345678", "0912345678", ()),
        ("0912 345 678", "0912345678", ()),
        ("0912.345.678", "0912345678", ()),
        ("+84 912 345 678", "0912345678", ("country_code_removed",)),
        ("84912345678", "0912345678", ("country_code_removed",)),
        ("0084912345678", "0912345678", ("country_code_removed",)),
        ("+840912345678", "0912345678", ("country_code_removed",)),
        ("912345678", "0912345678", ("leading_zero_restored",)),
        ("845678901", "0845678901", ("leading_zero_restored",)),  # 084 Vinaphone, not +84
        ("1681234567", "0381234567", ("leading_zero_restored", "old_11_digit_converted")),
        ("912345678.0", "0912345678", ("float_suffix_removed", "leading_zero_restored")),
        ("024 3825 1234", "02438251234", ()),  # Hà Nội landline
        ("(028) 3822 1234", "02838221234", ()),
        ("", "", ()),
    ],
)
def test_normalize_phone(raw: str, expected: str, repairs: tuple[str, ...]) -> None:
    assert normalize_phone(raw) == (expected, repairs)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("0912345678 / 0987654321", "several_numbers"),
        ("+1 202 555 0100", "foreign_number"),
        ("0912-abc-678", "not_digits"),
        ("01301234567", "unknown_prefix"),
        ("0612345678", "invalid_number"),
        ("091234567890", "invalid_number"),
        ("12345", "invalid_number"),
    ],
)
def test_normalize_phone_rejects(raw: str, code: str) -> None:
    with pytest.raises(IdentityError) as exc:
        normalize_phone(raw)
    assert (exc.value.field, exc.value.code) == ("phone", code)


# --- sex -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nam", "M"),
        ("NAM", "M"),
        ("Nữ", "F"),
        (nfd("nữ"), "F"),
        ("nu", "F"),
        ("male", "M"),
        ("Female", "F"),
        ("M", "M"),
        ("f", "F"),
        ("1", "M"),
        ("2", "F"),
        ("0", ""),
        ("", ""),
        (None, ""),
        ("Khác", ""),
    ],
)
def test_normalize_sex(raw: str | None, expected: str) -> None:
    assert normalize_sex(raw) == expected


def test_normalize_sex_rejects_other_values() -> None:
    with pytest.raises(IdentityError) as exc:
        normalize_sex("x")
    assert (exc.value.field, exc.value.code) == ("sex", "invalid")


def test_an_id_of_provinces_001_to_009_that_lost_both_zeros_is_restored() -> None:
    normalized = normalize_citizen_id("1190012345")
    assert normalized is not None
    assert normalized.value == "001190012345" and "leading_zero_restored" in normalized.repairs
    with pytest.raises(IdentityError):
        normalize_citizen_id("3190012345")  # 003 is no province code: not guessed

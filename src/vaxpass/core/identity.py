"""Normalisation of Vietnamese identity data: names, citizen IDs, birth dates, phones, sex.

Dose records are matched to the population registry by citizen ID, name and birth date,
and most mismatches in 2021-2022 were spelling, not identity. Each function either returns
a clean value, with the codes of any repairs it made (so they can be shown and audited),
or raises ``IdentityError`` with a stable code and a translatable message.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from vaxpass.core.i18n import gettext_noop as _


class IdentityError(ValueError):
    """Unusable identity input.

    ``field`` names the input, ``code`` is stable for programs, ``template`` is the English
    message (gettext_noop-marked, %(name)s placeholders) and ``message`` is it filled in.
    """

    def __init__(
        self, field: str, code: str, message: str, params: Mapping[str, str | int] | None = None
    ) -> None:
        self.field = field
        self.code = code
        self.template = message
        self.params: dict[str, str | int] = dict(params or {})
        self.message = message % self.params
        super().__init__(f"{field}: {self.message}")


# --- Names ---------------------------------------------------------------------------
#
# Tone-mark style: the OLD style ("kiểu cũ": hòa, thủy, khỏe), i.e. in an open syllable
# with the diphthongs oa, oe, uy the mark sits on the first vowel. Both styles are correct
# Vietnamese; we pick the old one because it is what official documents and the
# administrative-unit names use (Thanh Hóa, Khánh Hòa, Hòa Bình: ~95 % of such words in the
# vietnamadminunits data set) and what common input methods produce by default, so
# registry values change least. Matching never depends on it: name_key drops all marks.

_LOOKALIKES = str.maketrans(
    {
        "\u00d0": "\u0110",  # Ð (Icelandic eth, capital) -> Đ
        "\u00f0": "\u0111",  # ð -> đ
        "\u0189": "\u0110",  # Ɖ (African D) -> Đ
        "\u0256": "\u0111",  # ɖ -> đ
        "\u2019": "'",  # typographic apostrophes, as in Ê Đê names (H'Hen)
        "\u02bc": "'",
    }
)
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền sắc ngã hỏi nặng
_VOWELS = "aăâeêioôơuưy"
_MODIFIED_VOWELS = frozenset("ăâêôơư")
_TONE_BEARERS = frozenset("aeiouy")  # NFD base letters of all Vietnamese vowels
# onset consonants, one vowel cluster, an optional Vietnamese final consonant
_SYLLABLE = re.compile(rf"([^{_VOWELS}]*)([{_VOWELS}]+)(c|ch|m|n|ng|nh|p|t)?")


def _tone_position(bare: str) -> int | None:
    """Index of the vowel that carries the tone in a toneless lower-case syllable, or
    None when the syllable is not Vietnamese-shaped (foreign names stay as typed)."""
    m = _SYLLABLE.fullmatch(bare)
    if m is None:
        return None
    start, end = m.span(2)
    onset = m.group(1)
    # In "qu" and "gi" + vowel, the u / i belong to the consonant (quả, già, but gì).
    if end - start > 1 and (onset, bare[start]) in {("q", "u"), ("g", "i")}:
        start += 1
    nucleus = bare[start:end]
    modified = [i for i, c in enumerate(nucleus) if c in _MODIFIED_VOWELS]
    if modified:  # ươ, iê, uô, uyê...: the mark goes on the (last) modified vowel
        return start + modified[-1]
    if len(nucleus) == 1:
        return start
    if len(nucleus) >= 3 or m.group(3):  # ngoài, khuỷu; closed: hoàn, huỳnh, hoạch
        return start + 1
    return start  # open two-vowel syllables: mùa, tài, and (old style) hòa, khỏe, thủy


def _place_tone(syllable: str) -> str:
    """Move the tone mark of a lower-case syllable to its canonical vowel."""
    tones: list[str] = []
    kept: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFD", syllable):
        if not unicodedata.combining(ch):
            base = ch
        if ch in _TONE_MARKS and base in _TONE_BEARERS:  # not the tilde of ñ, say
            tones.append(ch)
        else:
            kept.append(ch)
    if not tones:
        return syllable
    bare = unicodedata.normalize("NFC", "".join(kept))
    pos = _tone_position(bare)
    if pos is None:
        return syllable
    # Keep the last mark typed, as input methods do when a second tone key is pressed.
    return unicodedata.normalize("NFC", bare[: pos + 1] + tones[-1] + bare[pos + 1 :])


@functools.lru_cache(maxsize=100_000)
def _normalize_word(word: str) -> str:
    # Cached: a country's names are made of a few thousand distinct words.
    parts = re.split(r"([-'])", word)  # capitalise each part: Y-Moan, H'Hen
    return "".join(_place_tone(p.lower()).capitalize() for p in parts)


def normalize_name(raw: str) -> str:
    """Display form of a person's name: "NGUYỄN văn  an" -> "Nguyễn Văn An".

    NFC, look-alike Ð/ð replaced by Đ/đ, whitespace collapsed, each word capitalised,
    tone marks in one style (old style, see above).
    """
    text = unicodedata.normalize("NFC", raw).translate(_LOOKALIKES)
    return unicodedata.normalize("NFC", " ".join(_normalize_word(w) for w in text.split()))


def name_key(raw: str) -> str:
    """Comparison key: no diacritics (đ -> d), lower case, single spaces.

    "Nguyễn Thị Hoà", "NGUYEN THI HOA" and "nguyễn thị hòa" all give "nguyen thi hoa".
    """
    # casefold, not lower: a caseless key must also fold "ß" / "ss" and the like.
    text = unicodedata.normalize("NFD", normalize_name(raw).casefold())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return " ".join(text.replace("đ", "d").split())


# --- Citizen IDs -----------------------------------------------------------------------

# Province codes of the 63 provinces (Circular 07/2016/TT-BCA; the GSO province codes with
# a leading zero). They are the province of birth registration; the 2025 merger of
# provinces renumbered no ID, so these stay valid.
PROVINCE_CODES = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033"
    " 034 035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066"
    " 067 068 070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096".split()
)
# Digit 4 of a CCCD: century = _CENTURIES[d // 2], even = male, odd = female.
_CENTURIES = (1900, 2000, 2100, 2200, 1800)


class IdKind(StrEnum):
    CCCD = "cccd"  # 12-digit citizen identity / personal identification number
    CMND = "cmnd"  # 9-digit old identity card number


@dataclass(frozen=True)
class NormalizedId:
    value: str
    kind: IdKind
    repairs: tuple[str, ...] = ()


def _id_error(code: str, message: str, **params: str | int) -> IdentityError:
    return IdentityError("citizen_id", code, message, params)


def normalize_citizen_id(raw: str, *, today: date | None = None) -> NormalizedId | None:
    """A 12-digit CCCD or 9-digit CMND from what was typed or imported; None if empty.

    Repairs: "non_digits_removed" (spaces, dots, dashes), "float_suffix_removed"
    ("79123456789.0" from a spreadsheet), "leading_zero_restored" (11-digit CCCD or
    8-digit CMND whose leading zero a spreadsheet dropped).
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return None
    repairs: list[str] = []
    if text.isascii() and text.isdigit():
        digits = text  # the usual case: none of the patterns below can match
    else:
        if re.fullmatch(r"\d{8,12}\.0+", text):
            text = text.partition(".")[0]
            repairs.append("float_suffix_removed")
        if re.search(r"\d[eE][+-]?\d", text):
            raise _id_error(
                "scientific_notation",
                _(
                    "The ID number %(value)s was turned into a rounded number by a "
                    "spreadsheet; type it again as text."
                ),
                value=raw,
            )
        digits = re.sub(r"[\s.\-]+", "", text)
        if digits != text:
            repairs.append("non_digits_removed")
        if not (digits.isascii() and digits.isdigit()):
            raise _id_error(
                "not_digits", _("The ID number %(value)s must contain only digits."), value=raw
            )
    if len(digits) in (8, 11):
        digits = "0" + digits
        repairs.append("leading_zero_restored")
    elif len(digits) == 10 and digits[0] != "0" and "00" + digits[:1] in PROVINCE_CODES:
        # IDs of provinces 001-009 (Hà Nội, Hà Giang, ...) lose two zeros as a number.
        digits = "00" + digits
        repairs.append("leading_zero_restored")
    if len(set(digits)) == 1:
        raise _id_error(
            "placeholder", _("%(value)s is a placeholder, not an ID number."), value=raw
        )
    if len(digits) == 9:
        return NormalizedId(digits, IdKind.CMND, tuple(repairs))
    if len(digits) == 12:
        if digits[:3] not in PROVINCE_CODES:
            raise _id_error(
                "unknown_province",
                _("The ID number %(value)s starts with %(province)s, which is no province code."),
                value=raw,
                province=digits[:3],
            )
        year = cccd_facts(digits).birth_year
        if year > (today or date.today()).year:
            raise _id_error(
                "birth_year_in_future",
                _("The ID number %(value)s encodes the birth year %(year)s."),
                value=raw,
                year=year,
            )
        return NormalizedId(digits, IdKind.CCCD, tuple(repairs))
    if len(digits) == 10 and digits.startswith("0"):
        raise _id_error(
            "looks_like_phone",
            _("%(value)s looks like a phone number, not an ID number."),
            value=raw,
        )
    raise _id_error(
        "wrong_length",
        _("The ID number %(value)s has %(length)s digits; a citizen ID has 12, an old ID card 9."),
        value=raw,
        length=len(digits),
    )


@dataclass(frozen=True)
class CccdFacts:
    """What the digits of a 12-digit citizen ID say about its holder."""

    province_code: str  # where the birth was registered, not where the person lives
    sex: str  # "M" / "F"
    century: int  # 1800, 1900, ..., 2200
    birth_year: int
    serial: str  # last six digits: random, no check digit


def cccd_facts(cccd: str) -> CccdFacts:
    if not (len(cccd) == 12 and cccd.isascii() and cccd.isdigit()):
        raise _id_error("not_cccd", _("%(value)s is not a 12-digit citizen ID."), value=cccd)
    digit = int(cccd[3])
    century = _CENTURIES[digit // 2]
    return CccdFacts(
        province_code=cccd[:3],
        sex="F" if digit % 2 else "M",
        century=century,
        birth_year=century + int(cccd[4:6]),
        serial=cccd[6:],
    )


def make_cccd(province_code: str, sex: str, birth_year: int, serial: int) -> str:
    """The 12-digit citizen ID with these facts (inverse of ``cccd_facts``)."""
    if not (len(province_code) == 3 and province_code.isascii() and province_code.isdigit()):
        raise ValueError(f"province code must be 3 digits, not {province_code!r}")
    if sex not in ("M", "F"):
        raise ValueError(f"sex must be 'M' or 'F', not {sex!r}")
    if birth_year // 100 * 100 not in _CENTURIES:
        raise ValueError(f"birth year {birth_year} outside 1800-2299")
    if not 0 <= serial <= 999_999:
        raise ValueError(f"serial {serial} outside 0-999999")
    digit = _CENTURIES.index(birth_year // 100 * 100) * 2 + (sex == "F")
    return f"{province_code}{digit}{birth_year % 100:02d}{serial:06d}"


def cccd_contradicts(cccd: str, birth_year: int | None, sex: str | None) -> list[str]:
    """Which typed values ("birth_year", "sex") disagree with those the ID encodes.

    The commonest wrong link is a dose typed with a relative's ID; the relative's birth
    year or sex almost always differ, so this catches it without a registry look-up.
    Missing values (None, "") are not contradictions.
    """
    facts = cccd_facts(cccd)
    reasons = []
    if birth_year is not None and birth_year != facts.birth_year:
        reasons.append("birth_year")
    typed_sex = normalize_sex(sex)
    if typed_sex and typed_sex != facts.sex:
        reasons.append("sex")
    return reasons


# --- Birth dates -----------------------------------------------------------------------

EARLIEST_BIRTH_YEAR = 1890
_EXCEL_EPOCH = date(1899, 12, 30)  # right for every serial after 1900-02-28


@dataclass(frozen=True)
class BirthDate:
    """A birth date, or only a year: many older people's records hold just the year."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.month is None or self.day is None:
            if self.month is not None or self.day is not None:
                raise ValueError("a birth date has both month and day, or neither")
        else:
            date(self.year, self.month, self.day)  # raises ValueError if impossible

    @property
    def iso(self) -> str:
        """ "1957" or "1957-03-04", the registry's form."""
        if self.month is None or self.day is None:
            return f"{self.year:04d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @property
    def is_year_only(self) -> bool:
        return self.month is None

    def as_date(self) -> date | None:
        if self.month is None or self.day is None:
            return None
        return date(self.year, self.month, self.day)

    def swapped(self) -> BirthDate | None:
        """The same date with day and month exchanged, if that is a different valid date
        (for matching a record typed month-first)."""
        if self.month is None or self.day is None or self.month == self.day:
            return None
        try:
            return BirthDate(self.year, self.day, self.month)
        except ValueError:
            return None

    @classmethod
    def from_iso(cls, s: str) -> BirthDate:
        m = re.fullmatch(r"(\d{4})(?:-(\d{2})-(\d{2}))?", s)
        if m is None:
            raise ValueError(f"not an ISO birth date: {s!r}")
        if m.group(2) is None:
            return cls(int(m.group(1)))
        return cls(int(m.group(1)), int(m.group(2)), int(m.group(3)))

    def __str__(self) -> str:
        return self.iso


def _date_error(code: str, message: str, **params: str | int) -> IdentityError:
    return IdentityError("birth_date", code, message, params)


def _full_date(raw: str, year: int, month: int, day: int, repairs: list[str]) -> BirthDate:
    """Day-first as typed; if impossible but valid month-first, swap and say so."""
    try:
        return BirthDate(year, month, day)
    except ValueError:
        pass
    try:
        result = BirthDate(year, day, month)
    except ValueError:
        raise _date_error("invalid_date", _("%(value)s is not a valid date."), value=raw) from None
    repairs.append("day_month_swapped")
    return result


def _two_digit_year(
    raw: str, yy: int, month: int, day: int, today: date, repairs: list[str]
) -> BirthDate:
    """The 2000s unless that puts the date after today, else the 1900s."""
    repairs.append("two_digit_year_expanded")
    for century in (2000, 1900):
        attempt: list[str] = []
        result = _full_date(raw, century + yy, month, day, attempt)
        full = result.as_date()
        if century == 1900 or (full is not None and full <= today):
            break
    repairs.extend(attempt)
    return result


def parse_birth_date(raw: str, *, today: date | None = None) -> tuple[BirthDate, tuple[str, ...]]:
    """Parse a birth date as typed or imported; return it with its repair codes.

    Accepts yyyy-mm-dd, dd/mm/yyyy, d/m/yyyy, d/m/yy, dd-mm-yyyy, dd.mm.yyyy, a year alone
    and a 5-digit Excel serial. Repairs: "excel_serial_converted", "time_removed",
    "two_digit_year_expanded" (the latest century that puts the date in the past),
    "day_month_swapped" (only when day-first is impossible; ambiguous dates stay
    day-first, the Vietnamese order, and ``BirthDate.swapped`` gives the alternative).
    """
    today = today or date.today()
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        raise _date_error("required", _("The birth date is missing."))
    repairs: list[str] = []
    m = re.fullmatch(r"(.+?)[ T]0?0:00(?::00(?:\.0+)?)?", text)
    if m:
        text = m.group(1)
        repairs.append("time_removed")
    if m := re.fullmatch(r"\d{4}", text):
        result = BirthDate(int(text))
    elif m := re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", text):
        result = _full_date(raw, int(m[1]), int(m[2]), int(m[3]), repairs)
    elif m := re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})", text):
        if len(m[3]) == 4:
            result = _full_date(raw, int(m[3]), int(m[2]), int(m[1]), repairs)
        else:
            result = _two_digit_year(raw, int(m[3]), int(m[2]), int(m[1]), today, repairs)
    elif m := re.fullmatch(r"(\d{5})(?:\.0+)?", text):
        d = _EXCEL_EPOCH + timedelta(days=int(m[1]))
        result = BirthDate(d.year, d.month, d.day)
        repairs.append("excel_serial_converted")
    else:
        raise _date_error("unrecognised", _("%(value)s is not a date."), value=raw)
    full = result.as_date()
    if result.year > today.year or (full is not None and full > today):
        raise _date_error("in_future", _("The birth date %(value)s is in the future."), value=raw)
    if result.year < EARLIEST_BIRTH_YEAR:
        raise _date_error(
            "too_old",
            _("The birth year %(year)s is before %(earliest)s."),
            year=result.year,
            earliest=EARLIEST_BIRTH_YEAR,
        )
    return result, tuple(repairs)


# --- Phones ----------------------------------------------------------------------------

# The 2018 conversion of 11-digit mobile numbers to 10 digits (Ministry of Information and
# Communications, carried out from 15 September to 15 November 2018): old 4-digit prefix ->
# new 3-digit prefix, the other seven digits unchanged.
OLD_MOBILE_PREFIXES: Mapping[str, str] = {
    # Viettel
    "0162": "032", "0163": "033", "0164": "034", "0165": "035",
    "0166": "036", "0167": "037", "0168": "038", "0169": "039",
    # Mobifone
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    # Vinaphone
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    # Vietnamobile
    "0186": "056", "0188": "058",
    # Gmobile
    "0199": "059",
}  # fmt: skip


def _phone_error(code: str, message: str, **params: str | int) -> IdentityError:
    return IdentityError("phone", code, message, params)


def normalize_phone(raw: str) -> tuple[str, tuple[str, ...]]:
    """A Vietnamese phone number in national form ("0xxxxxxxxx"), with repair codes.

    Mobiles become 10 digits; landlines (starting 02, 10-11 digits) are kept. Empty input
    gives "" (the phone is optional). Repairs: "country_code_removed" (+84, 0084, 84),
    "leading_zero_restored", "old_11_digit_converted", "float_suffix_removed".
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return "", ()
    if len(text) == 10 and text.isascii() and text.isdigit() and text[0] == "0":
        if text[1] in "35789":  # the usual case, a mobile number as it should be
            return text, ()
    repairs: list[str] = []
    if re.search(r"[,;/|]", text):
        raise _phone_error(
            "several_numbers", _("%(value)s holds more than one phone number."), value=raw
        )
    if re.fullmatch(r"\d{8,12}\.0+", text):
        text = text.partition(".")[0]
        repairs.append("float_suffix_removed")
    digits = re.sub(r"[\s.\-()]+", "", text)
    national = re.fullmatch(r"(?:\+84|0084|84(?=\d{9,10}$))(\d+)", digits)
    if national:
        digits = national[1] if national[1].startswith("0") else "0" + national[1]
        repairs.append("country_code_removed")
    elif digits.startswith("+"):
        raise _phone_error("foreign_number", _("%(value)s is not a Vietnamese number."), value=raw)
    if not (digits.isascii() and digits.isdigit()):
        raise _phone_error(
            "not_digits", _("The phone number %(value)s must contain only digits."), value=raw
        )
    if not digits.startswith("0") and len(digits) in (9, 10):
        digits = "0" + digits
        repairs.append("leading_zero_restored")
    if len(digits) == 11 and digits.startswith("01"):
        prefix = OLD_MOBILE_PREFIXES.get(digits[:4])
        if prefix is None:
            raise _phone_error(
                "unknown_prefix",
                _("%(value)s has an unknown old prefix %(prefix)s."),
                value=raw,
                prefix=digits[:4],
            )
        digits = prefix + digits[4:]
        repairs.append("old_11_digit_converted")
    if digits.startswith("02") and len(digits) in (10, 11):
        return digits, tuple(repairs)
    if len(digits) == 10 and digits[1] in "35789":
        return digits, tuple(repairs)
    raise _phone_error(
        "invalid_number", _("%(value)s is not a Vietnamese mobile or landline number."), value=raw
    )


# --- Sex -------------------------------------------------------------------------------

# Vietnamese and English words, letters, and ISO/IEC 5218 digits (1 male, 2 female,
# 0 unknown, 9 not applicable). "0" is NOT read as female although some Vietnamese forms
# code 0 = nữ / 1 = nam: a guess there would mislabel, an unknown only leaves a gap.
_SEX_VALUES = {
    "m": "M", "nam": "M", "male": "M", "man": "M", "1": "M",
    "f": "F", "nu": "F", "female": "F", "woman": "F", "2": "F",
    "0": "", "9": "", "khac": "", "other": "", "unknown": "", "khong ro": "",
}  # fmt: skip


@functools.lru_cache(maxsize=1024)
def normalize_sex(raw: str | None) -> str:
    """ "M", "F" or "" (unknown/empty) from "Nam", "Nữ", "nu", "male", "F", "1", "2", ...

    Anything else raises IdentityError(field="sex", code="invalid").
    """
    key = name_key(raw or "")
    if key in _SEX_VALUES:
        return _SEX_VALUES[key]
    if not key:
        return ""
    raise IdentityError(
        "sex", "invalid", _("%(value)s is not a sex (Nam / Nữ)."), {"value": raw or ""}
    )


# --- Matching keys (added for cleaning; the functions above are unchanged) -------------


def has_diacritics(raw: str) -> bool:
    """Whether a name carries any Vietnamese mark (tone, breve, circumflex, horn, đ).

    A name typed without any ("NGUYEN THI HOA") is a keyboard habit, not a misspelling.
    """
    text = unicodedata.normalize("NFD", raw.translate(_LOOKALIKES))
    return any(unicodedata.category(c) == "Mn" or c in "đĐ" for c in text)


_SOUND_VOWELS = re.compile(r"[aeiouy]+")
_REPEATS = re.compile(r"(.)\1+")


def name_sound_key(raw: str) -> str:
    """A soundex-like blocking key: ``name_key`` with doubled letters collapsed and the
    vowels dropped after each word's first letter ("Nguyễn Thị Hường" -> "ngn th hng").

    Typos that drop, double or change a vowel or a tone (the commonest) keep the key.
    """
    words = []
    for word in name_key(raw).split():
        word = _REPEATS.sub(r"\1", word)
        words.append(word[0] + _SOUND_VOWELS.sub("", word[1:]))
    return " ".join(words)


def clean_name_text(raw: str) -> str:
    """A name as typed, only re-encoded: NFC, look-alike letters (Ð, ð, ’) replaced,
    whitespace collapsed; case and tone style kept, so it still shows what was typed."""
    return " ".join(unicodedata.normalize("NFC", raw).translate(_LOOKALIKES).split())

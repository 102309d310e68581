"""The comparable forms of each identity field, computed once per distinct value.

Both the per-dose rules (stage1.py) and the vectorised batch rules (vaxpass.linkage) read
these forms, so a name, ID or date means the same thing in both: the batch computes them
for each distinct raw value with these very functions and joins them back.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

from vaxpass.core import identity
from vaxpass.core.identity import IdentityError, IdKind


@dataclass(frozen=True)
class NameForms:
    """Forms of one name. All are "" for an empty name."""

    nfc: str  # as typed, NFC, look-alikes replaced, spaces collapsed
    encoding_clean: bool  # the raw text already was its nfc form
    folded: str  # nfc, case-folded
    canonical: str  # identity.normalize_name: case and tone style made uniform
    key: str  # identity.name_key: no diacritics
    family: str  # first word of key
    given: str  # last word of key
    sound: str  # identity.name_sound_key
    has_marks: bool


@dataclass(frozen=True)
class _WordForms:
    canonical: str
    key: str
    sound: str
    has_marks: bool


@functools.lru_cache(maxsize=100_000)
def _word_forms(word: str) -> _WordForms:
    # The identity functions work word by word, so a name's forms are its words' forms
    # joined; a country's names use a few thousand words, hence the cache.
    return _WordForms(
        canonical=identity.normalize_name(word),
        key=identity.name_key(word),
        sound=identity.name_sound_key(word),
        has_marks=identity.has_diacritics(word),
    )


@functools.lru_cache(maxsize=200_000)
def name_forms(raw: str | None) -> NameForms:
    raw = raw or ""
    nfc = identity.clean_name_text(raw)
    words = [_word_forms(w) for w in nfc.split()]
    keys = [w.key for w in words if w.key]
    return NameForms(
        nfc=nfc,
        encoding_clean=raw == nfc,
        folded=nfc.casefold(),
        canonical=" ".join(w.canonical for w in words if w.canonical),
        key=" ".join(keys),
        family=keys[0] if keys else "",
        given=keys[-1] if keys else "",
        sound=" ".join(w.sound for w in words if w.sound),
        has_marks=any(w.has_marks for w in words),
    )


@dataclass(frozen=True)
class DateForms:
    """A birth date as typed: ``iso`` is "1957-03-04" or "1957", None if unusable."""

    iso: str | None
    year: int | None
    month: int | None
    day: int | None
    problem: str | None  # IdentityError code when not usable ("required", "invalid_date")


@functools.lru_cache(maxsize=100_000)
def date_forms(raw: str | None, today: date) -> DateForms:
    try:
        parsed, _repairs = identity.parse_birth_date(raw or "", today=today)
    except IdentityError as error:
        return DateForms(None, None, None, None, error.code)
    return DateForms(parsed.iso, parsed.year, parsed.month, parsed.day, None)


@dataclass(frozen=True)
class IdForms:
    """An ID as typed: ``value`` is 12 digits (CCCD) or 9 (CMND), None if unusable."""

    value: str | None
    kind: str | None  # "cccd" / "cmnd"
    repaired: bool
    problem: str | None  # "missing", or the IdentityError code of normalize_citizen_id
    encoded_year: int | None  # birth year and sex the digits of a CCCD encode
    encoded_sex: str | None


def id_forms(raw: str | None, today: date) -> IdForms:
    try:
        normalized = identity.normalize_citizen_id(raw or "", today=today)
    except IdentityError as error:
        return IdForms(None, None, False, error.code, None, None)
    if normalized is None:
        return IdForms(None, None, False, "missing", None, None)
    year = sex = None
    if normalized.kind is IdKind.CCCD:
        facts = identity.cccd_facts(normalized.value)
        year, sex = facts.birth_year, facts.sex
    return IdForms(
        normalized.value, normalized.kind.value, bool(normalized.repairs), None, year, sex
    )


@functools.lru_cache(maxsize=1024)
def sex_form(raw: str | None) -> str:
    """ "M", "F", or "" when empty or unreadable (never a guess)."""
    try:
        return identity.normalize_sex(raw)
    except IdentityError:
        return ""


def phone_form(raw: str | None) -> str | None:
    """The national 10-digit form, None when empty or not a Vietnamese number."""
    try:
        phone, _repairs = identity.normalize_phone(raw or "")
    except IdentityError:
        return None
    return phone or None


def at_most_one_edit(a: str, b: str) -> bool:
    """Whether a and b differ by at most one insertion, deletion, substitution or swap of
    two adjacent characters (Damerau-Levenshtein distance <= 1, as DuckDB's
    damerau_levenshtein and Splink's levels compute it)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diffs = [i for i in range(la) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        i = diffs[0]
        return len(diffs) == 2 and diffs[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    short, long_ = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]

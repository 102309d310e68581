"""Stage 1: match a dose to the registry person its ID names, and say how they differ.

The ID is normalised (dropped leading zero, old 9-digit number, spaces), the registry
person holding it is looked up by the caller (``get_many`` of the registry adapter, or a
join in the batch), and name, birth date and sex are compared, together with the birth
year and sex the ID's digits encode. The outcome says what is certain:

- ``verified``: everything agrees;
- ``correctable``: the ID is right and the differences are benign (encoding, case, tone
  style, no diacritics, year-only or day/month-swapped birth date, at most one typo);
- ``wrong_person``: the ID belongs to someone else, most often a relative (the name, the
  birth date or the sex is another person's, or more than one field has a typo);
- ``not_found``: a well-formed ID nobody in the registry holds;
- ``no_id``: no usable ID.

The last three go on to stage 2. The same rules run vectorised in DuckDB SQL
(vaxpass.linkage.stage1_sql); a test keeps both identical.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from vaxpass.core.matching.forms import (
    DateForms,
    at_most_one_edit,
    date_forms,
    id_forms,
    name_forms,
    sex_form,
)
from vaxpass.core.matching.reasons import INFORMATIVE_REASONS, TYPO_REASONS, Reason


@dataclass(frozen=True)
class CapturedIdentity:
    """A dose's identity exactly as typed at the site (any field may be empty)."""

    citizen_id: str = ""
    full_name: str = ""
    birth_date: str = ""
    sex: str = ""
    phone: str = ""
    province_code: str = ""
    ward_code: str = ""


@dataclass(frozen=True)
class RegisteredIdentity:
    """A registry person as the registry holds them (the clean-files registry columns)."""

    citizen_id: str
    old_id: str = ""
    full_name: str = ""
    birth_date: str = ""  # "YYYY-MM-DD" or "YYYY"
    sex: str = ""
    phone: str = ""
    province_code: str = ""
    ward_code: str = ""
    household_id: str = ""


class Outcome(StrEnum):
    VERIFIED = "verified"
    CORRECTABLE = "correctable"
    WRONG_PERSON = "wrong_person"
    NOT_FOUND = "not_found"
    NO_ID = "no_id"


STAGE2_OUTCOMES = frozenset({Outcome.WRONG_PERSON, Outcome.NOT_FOUND, Outcome.NO_ID})


@dataclass(frozen=True)
class Stage1Result:
    outcome: Outcome
    reasons: tuple[Reason, ...]
    lookup_id: str | None  # the normalised ID looked up (12 or 9 digits)
    person: RegisteredIdentity | None  # the ID's holder, when there is one

    @property
    def excludes_holder(self) -> bool:
        """Whether stage 1 showed the ID's holder is not the dose's person (their name is
        another's: the relative's-ID case), so stage 2 must not propose them again."""
        return self.outcome is Outcome.WRONG_PERSON and Reason.NAME_DIFFERS in self.reasons


def lookup_id(captured: CapturedIdentity, today: date) -> tuple[str | None, str | None]:
    """The normalised ID to look up and its kind ("cccd" / "cmnd"), or (None, None)."""
    forms = id_forms(captured.citizen_id, today)
    return forms.value, forms.kind


def _name_reasons(typed: str, registered: str) -> list[Reason]:
    t, r = name_forms(typed), name_forms(registered)
    if not t.key:
        return [Reason.NAME_MISSING]
    reasons = [] if t.encoding_clean else [Reason.NAME_ENCODING]
    if t.nfc == r.nfc:
        return reasons
    if t.canonical == r.canonical:
        return [*reasons, Reason.NAME_CASE if t.folded == r.folded else Reason.NAME_TONE_STYLE]
    if t.key == r.key:
        return [*reasons, Reason.NAME_MARKS_DIFFER if t.has_marks else Reason.NAME_UNACCENTED]
    if at_most_one_edit(t.key, r.key):
        return [*reasons, Reason.NAME_TYPO]
    return [*reasons, Reason.NAME_DIFFERS]


def _date_reasons(typed: DateForms, registered: DateForms) -> list[Reason]:
    t, r = typed, registered
    if t.iso is None:
        return [Reason.BIRTH_DATE_MISSING]
    if r.iso is None or t.iso == r.iso:  # a registry without a date contradicts nothing
        return []
    if t.year == r.year and r.month is None:
        return [Reason.REGISTRY_BIRTH_YEAR_ONLY]
    if t.year == r.year and t.month is None:
        return [Reason.BIRTH_YEAR_ONLY]
    if r.month is None or t.month is None:
        return [Reason.BIRTH_DATE_DIFFERS]
    if t.year == r.year and t.month == r.day and t.day == r.month:
        return [Reason.BIRTH_DAY_MONTH_SWAPPED]
    agree = (t.year == r.year) + (t.month == r.month) + (t.day == r.day)
    typo = agree == 2 and (t.year == r.year or _year_slip(t.year, r.year))
    return [Reason.BIRTH_DATE_TYPO if typo else Reason.BIRTH_DATE_DIFFERS]


def _year_slip(a: int | None, b: int | None) -> bool:
    """A year typed one off, with one digit wrong or two neighbours swapped (1979/1980,
    1985/1995, 1985/1958); a father's year for his son's (1991/2020) is no typo."""
    if a is None or b is None:
        return False
    return abs(a - b) == 1 or at_most_one_edit(f"{a:04d}", f"{b:04d}")


def _sex_reasons(typed: str, registered: str) -> list[Reason]:
    t, r = sex_form(typed), sex_form(registered)
    if not t:
        return [Reason.SEX_MISSING]
    return [Reason.SEX_DIFFERS] if r and t != r else []


_SEVERE = frozenset({Reason.NAME_DIFFERS, Reason.BIRTH_DATE_DIFFERS, Reason.SEX_DIFFERS})


def decide_by_id(
    captured: CapturedIdentity, person: RegisteredIdentity | None, *, today: date
) -> Stage1Result:
    """The stage-1 outcome of a dose, given the registry person its ID names (None when
    nobody holds it). ``today`` bounds plausible birth years."""
    ids = id_forms(captured.citizen_id, today)
    if ids.value is None:
        reason = Reason.ID_MISSING if ids.problem == "missing" else Reason.ID_MALFORMED
        return Stage1Result(Outcome.NO_ID, (reason,), None, None)
    reasons: list[Reason] = []
    if ids.repaired:
        reasons.append(Reason.ID_REPAIRED)
    if ids.kind == "cmnd":
        reasons.append(Reason.ID_OLD_NUMBER)
    typed_date = date_forms(captured.birth_date, today)
    typed_sex = sex_form(captured.sex)
    if ids.encoded_year is not None and typed_date.year not in (None, ids.encoded_year):
        reasons.append(Reason.ID_BIRTH_YEAR_CONTRADICTS)
    if ids.encoded_sex is not None and typed_sex not in ("", ids.encoded_sex):
        reasons.append(Reason.ID_SEX_CONTRADICTS)
    if person is None:
        reasons.append(Reason.ID_NOT_IN_REGISTRY)
        return Stage1Result(Outcome.NOT_FOUND, tuple(reasons), ids.value, None)
    reasons += _name_reasons(captured.full_name, person.full_name)
    reasons += _date_reasons(typed_date, date_forms(person.birth_date, today))
    reasons += _sex_reasons(captured.sex, person.sex)
    typos = sum(r in TYPO_REASONS for r in reasons) + (Reason.NAME_MISSING in reasons)
    if _SEVERE.intersection(reasons) or typos > 1:
        if typos > 1 and not _SEVERE.intersection(reasons):
            reasons.append(Reason.SEVERAL_DIFFERENCES)
        reasons.append(Reason.ID_OF_OTHER_PERSON)
        return Stage1Result(Outcome.WRONG_PERSON, tuple(reasons), ids.value, person)
    if all(r in INFORMATIVE_REASONS for r in reasons):
        return Stage1Result(Outcome.VERIFIED, tuple(reasons), ids.value, person)
    return Stage1Result(Outcome.CORRECTABLE, tuple(reasons), ids.value, person)

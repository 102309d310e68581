"""Stable reason codes: why a dose got its decision.

Codes are for programs (stored with every decision, counted in summaries, filtered on in
review queues); they never change meaning. Each has an English description for people.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    # --- the ID as typed
    ID_MISSING = "id_missing"
    ID_MALFORMED = "id_malformed"  # not a CCCD or CMND even after repairs
    ID_REPAIRED = "id_repaired"  # leading zero restored, spaces or ".0" removed
    ID_OLD_NUMBER = "id_old_number"  # the 9-digit CMND was typed: use the 12-digit ID
    ID_NOT_IN_REGISTRY = "id_not_in_registry"
    ID_BIRTH_YEAR_CONTRADICTS = "id_birth_year_contradicts"  # digits 4-6 vs typed year
    ID_SEX_CONTRADICTS = "id_sex_contradicts"  # digit 4 vs typed sex
    ID_OF_OTHER_PERSON = "id_of_other_person"  # the ID's holder is not the dose's person
    # --- the name, typed vs registry
    NAME_ENCODING = "name_encoding"  # NFD, look-alike Ð, extra spaces
    NAME_CASE = "name_case"
    NAME_TONE_STYLE = "name_tone_style"  # hoà / hòa
    NAME_UNACCENTED = "name_unaccented"  # typed without any diacritics
    NAME_MARKS_DIFFER = "name_marks_differ"  # a diacritic wrong (Hương / Hường): a typo
    NAME_TYPO = "name_typo"  # one letter inserted, dropped, changed or two swapped
    NAME_DIFFERS = "name_differs"
    NAME_MISSING = "name_missing"
    # --- the birth date
    BIRTH_YEAR_ONLY = "birth_year_only"  # only the year typed; the registry knows the day
    REGISTRY_BIRTH_YEAR_ONLY = "registry_birth_year_only"  # the registry knows only the year
    BIRTH_DAY_MONTH_SWAPPED = "birth_day_month_swapped"
    BIRTH_DATE_TYPO = "birth_date_typo"  # two of year, month and day agree
    BIRTH_DATE_DIFFERS = "birth_date_differs"
    BIRTH_DATE_MISSING = "birth_date_missing"  # empty or not a date
    # --- sex
    SEX_MISSING = "sex_missing"
    SEX_DIFFERS = "sex_differs"
    # --- stage 1 as a whole
    SEVERAL_DIFFERENCES = "several_differences"  # more than one typo: not certain by ID
    # --- stage 2 and policy
    PROBABLE_MATCH = "probable_match"  # one candidate above the automatic threshold
    BELOW_AUTO_THRESHOLD = "below_auto_threshold"
    AMBIGUOUS_CANDIDATES = "ambiguous_candidates"  # second candidate too close
    CANDIDATE_BIRTH_DATE_DIFFERS = "candidate_birth_date_differs"  # a namesake relative?
    CANDIDATE_NAME_DIFFERS = "candidate_name_differs"  # a relative born the same day?
    NO_CANDIDATE = "no_candidate"
    NOT_AUTO_CORRECTED = "not_auto_corrected"  # the policy keeps this correction for review
    DUPLICATE_DOSE = "duplicate_dose"  # same person and day at another site: merge proposed


DESCRIPTIONS: dict[Reason, str] = {
    Reason.ID_MISSING: "No ID number was typed.",
    Reason.ID_MALFORMED: "The ID number is not a 12-digit citizen ID nor a 9-digit ID card.",
    Reason.ID_REPAIRED: "The ID number was repaired (leading zero, spaces, spreadsheet suffix).",
    Reason.ID_OLD_NUMBER: "The old 9-digit ID card number was typed.",
    Reason.ID_NOT_IN_REGISTRY: "The registry has nobody with this ID number.",
    Reason.ID_BIRTH_YEAR_CONTRADICTS: "The birth year encoded in the ID differs from the typed.",
    Reason.ID_SEX_CONTRADICTS: "The sex encoded in the ID differs from the typed one.",
    Reason.ID_OF_OTHER_PERSON: "The ID belongs to someone else (often a relative).",
    Reason.NAME_ENCODING: "The name was stored decomposed, with a look-alike letter or spaces.",
    Reason.NAME_CASE: "The name differs only in capitals.",
    Reason.NAME_TONE_STYLE: "The name differs only in tone-mark placement (hoà / hòa).",
    Reason.NAME_UNACCENTED: "The name was typed without diacritics.",
    Reason.NAME_MARKS_DIFFER: "A diacritic of the name differs.",
    Reason.NAME_TYPO: "The name differs by one letter.",
    Reason.NAME_DIFFERS: "The name is another person's.",
    Reason.NAME_MISSING: "No name was typed.",
    Reason.BIRTH_YEAR_ONLY: "Only the birth year was typed.",
    Reason.REGISTRY_BIRTH_YEAR_ONLY: "The registry knows only the birth year, which agrees.",
    Reason.BIRTH_DAY_MONTH_SWAPPED: "Day and month of the birth date are swapped.",
    Reason.BIRTH_DATE_TYPO: "One part of the birth date differs.",
    Reason.BIRTH_DATE_DIFFERS: "The birth date is another person's.",
    Reason.BIRTH_DATE_MISSING: "No valid birth date was typed.",
    Reason.SEX_MISSING: "No sex was typed.",
    Reason.SEX_DIFFERS: "The sex differs.",
    Reason.SEVERAL_DIFFERENCES: "More than one field has a typo.",
    Reason.PROBABLE_MATCH: "One registry person matches with high probability.",
    Reason.BELOW_AUTO_THRESHOLD: "The best candidate is below the automatic threshold.",
    Reason.AMBIGUOUS_CANDIDATES: "Two candidates match almost equally well.",
    Reason.CANDIDATE_BIRTH_DATE_DIFFERS: "The best candidate's birth date is another's.",
    Reason.CANDIDATE_NAME_DIFFERS: "The best candidate's name is another's.",
    Reason.NO_CANDIDATE: "No registry person matches well enough.",
    Reason.NOT_AUTO_CORRECTED: "The policy sends this correction to review.",
    Reason.DUPLICATE_DOSE: "The same person's dose on the same day is recorded at another site.",
}

# Differences that stage 1 repairs by taking the registry's values (one typo at most).
TYPO_REASONS = frozenset({Reason.NAME_MARKS_DIFFER, Reason.NAME_TYPO, Reason.BIRTH_DATE_TYPO})
# Differences that change nothing on the dose: the registry simply knows less.
INFORMATIVE_REASONS = frozenset({Reason.REGISTRY_BIRTH_YEAR_ONLY})

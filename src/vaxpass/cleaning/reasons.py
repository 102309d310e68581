"""Words for people: the engine's reason codes (vaxpass.core.matching.Reason), and the
few this app adds for what people and runs decide, in the user's language.

The codes stay what the engine stores; only their labels live here, so the Vietnamese
catalogue of this app carries every one of them.
"""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from vaxpass.core.matching import Reason


class AppReason(StrEnum):
    NO_MODEL = "no_model"  # no saved stage-2 model: stage 1 only, the rest to review
    CONFIRMED = "confirmed_by_reviewer"
    CHOSEN = "chosen_by_reviewer"
    CORRECTED = "corrected_by_reviewer"
    NOT_FOUND = "not_found_by_reviewer"
    UNDONE = "correction_undone"


LABELS = {
    Reason.ID_MISSING: _("No ID number was typed."),
    Reason.ID_MALFORMED: _("The ID number is not a 12-digit citizen ID nor a 9-digit ID card."),
    Reason.ID_REPAIRED: _("The ID number was repaired (leading zero, spaces, spreadsheet suffix)."),
    Reason.ID_OLD_NUMBER: _("The old 9-digit ID card number was typed."),
    Reason.ID_NOT_IN_REGISTRY: _("The registry has nobody with this ID number."),
    Reason.ID_BIRTH_YEAR_CONTRADICTS: _(
        "The birth year encoded in the ID differs from the typed one."
    ),
    Reason.ID_SEX_CONTRADICTS: _("The sex encoded in the ID differs from the typed one."),
    Reason.ID_OF_OTHER_PERSON: _("The ID belongs to someone else (often a relative)."),
    Reason.NAME_ENCODING: _("The name was stored decomposed, with a look-alike letter or spaces."),
    Reason.NAME_CASE: _("The name differs only in capitals."),
    Reason.NAME_TONE_STYLE: _("The name differs only in tone-mark placement (hoà / hòa)."),
    Reason.NAME_UNACCENTED: _("The name was typed without diacritics."),
    Reason.NAME_MARKS_DIFFER: _("A diacritic of the name differs."),
    Reason.NAME_TYPO: _("The name differs by one letter."),
    Reason.NAME_DIFFERS: _("The name is another person's."),
    Reason.NAME_MISSING: _("No name was typed."),
    Reason.BIRTH_YEAR_ONLY: _("Only the birth year was typed."),
    Reason.REGISTRY_BIRTH_YEAR_ONLY: _("The registry knows only the birth year, which agrees."),
    Reason.BIRTH_DAY_MONTH_SWAPPED: _("Day and month of the birth date are swapped."),
    Reason.BIRTH_DATE_TYPO: _("One part of the birth date differs."),
    Reason.BIRTH_DATE_DIFFERS: _("The birth date is another person's."),
    Reason.BIRTH_DATE_MISSING: _("No valid birth date was typed."),
    Reason.SEX_MISSING: _("No sex was typed."),
    Reason.SEX_DIFFERS: _("The sex differs."),
    Reason.SEVERAL_DIFFERENCES: _("More than one field has a typo."),
    Reason.PROBABLE_MATCH: _("One registry person matches with high probability."),
    Reason.BELOW_AUTO_THRESHOLD: _("The best candidate is below the automatic threshold."),
    Reason.AMBIGUOUS_CANDIDATES: _("Two candidates match almost equally well."),
    Reason.CANDIDATE_BIRTH_DATE_DIFFERS: _(
        "The best candidate's birth date is another's (a relative of the same name?)."
    ),
    Reason.NO_CANDIDATE: _("No registry person matches well enough."),
    Reason.NOT_AUTO_CORRECTED: _("The policy sends this correction to review."),
    Reason.DUPLICATE_DOSE: _("The same person's dose on the same day is recorded at another site."),
    AppReason.NO_MODEL: _(
        "No matching model is trained yet: only the ID was checked, a person decides."
    ),
    AppReason.CONFIRMED: _("A reviewer confirmed the registry person."),
    AppReason.CHOSEN: _("A reviewer chose the registry person by citizen ID."),
    AppReason.CORRECTED: _("A reviewer corrected a field."),
    AppReason.NOT_FOUND: _("A reviewer found nobody in the registry."),
    AppReason.UNDONE: _("A correction was undone; a person decides again."),
}


def reason_label(code: str) -> str:
    label = LABELS.get(code)
    return str(label) if label is not None else code


def reason_labels(codes) -> list[str]:
    return [reason_label(code) for code in codes]


# The birth-date levels of stage 2 (core.matching.comparisons.BIRTH_DATE), for candidates.
BIRTH_DATE_LEVELS = {
    "exact": _("same birth date"),
    "year only": _("same birth year (one side knows only the year)"),
    "day and month swapped": _("day and month swapped"),
    "two of three parts": _("two of day, month and year agree"),
    "same year": _("same birth year only"),
    "else": _("different birth date"),
    "null": _("no birth date to compare"),
}

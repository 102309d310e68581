"""The error patterns of the 2021-2022 records, each at a configurable rate, and the
functions that inject them into a captured identity.

Rates are probabilities per dose record (per household for `shared_phone`, per person for
`not_in_registry`). Some patterns only apply to some records: a day and month can only be
swapped when the day is 12 or less and differs from the month, a tone mark can only sit in
two places in syllables such as "hoà"/"hòa". For those the rate is conditional on the
record being eligible; `eligible()` says which are, so a test can measure each rate.

Defaults are of the order the articles report: 28 million of 221 million doses (13%) had
a wrong name or birth date; the rest of the split is our estimate.
"""

import random
import unicodedata
from dataclasses import asdict, dataclass, fields

from vaxpass.core.identity import normalize_name


@dataclass(frozen=True)
class ErrorRates:
    # Birth date (at most one per record)
    birth_date_typo: float = 0.03  # one digit wrong, still a valid date
    birth_date_swapped: float = 0.04  # day and month swapped (when day <= 12, day != month)
    birth_date_year_only: float = 0.02  # only the year typed
    # Name (at most one per record)
    name_misspelled: float = 0.02  # one letter or tone mark wrong, dropped or doubled
    name_unaccented: float = 0.03  # typed without diacritics, often in capitals
    name_tone_style: float = 0.30  # the other tone-mark placement ("Hoà" for "Hòa"), if any
    # Citizen ID (at most one per record)
    id_mistyped: float = 0.02  # one digit changed or two adjacent digits swapped
    id_of_relative: float = 0.01  # another household member's ID
    id_missing: float = 0.03  # no ID typed
    id_old_number: float = 0.05  # the old 9-digit CMND typed instead of the 12-digit ID
    id_leading_zero_dropped: float = 0.01  # a spreadsheet turned the ID into a number
    # People, registrations and doses
    not_in_registry: float = 0.005  # per person: nobody with this identity in the registry
    shared_phone: float = 0.05  # per household: registered under another household's phone
    dose_recorded_twice: float = 0.01  # a second record of the same dose at another site
    dose_not_uploaded: float = 0.02  # given, but the record never reached the system
    unlisted_site: float = 0.005  # given at a site missing from the facility list

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


BIRTH_DATE_ERRORS = ("birth_date_typo", "birth_date_swapped", "birth_date_year_only")
NAME_ERRORS = ("name_misspelled", "name_unaccented", "name_tone_style")
ID_ERRORS = (
    "id_mistyped",
    "id_of_relative",
    "id_missing",
    "id_old_number",
    "id_leading_zero_dropped",
)


# --- Eligibility -----------------------------------------------------------------------


def swappable(iso_date: str) -> bool:
    if len(iso_date) != 10:
        return False
    month, day = int(iso_date[5:7]), int(iso_date[8:10])
    return day <= 12 and day != month


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def _retone(syllable: str) -> str | None:
    """The syllable with its tone mark on the other vowel of an oa/oe/uy rhyme without a
    final consonant (hòa <-> hoà, thủy <-> thuỷ); None if there is no other placement."""
    nfc = unicodedata.normalize("NFC", syllable)
    tone = next((c for c in unicodedata.normalize("NFD", nfc) if c in _TONES), None)
    if tone is None:
        return None
    bare = unicodedata.normalize("NFC", unicodedata.normalize("NFD", nfc).replace(tone, ""))
    lower = bare.lower()
    if len(bare) != len(nfc) or not lower.endswith(("oa", "oe", "uy")) or lower.endswith("quy"):
        return None
    i = len(bare) - 2
    on_first = tone in unicodedata.normalize("NFD", nfc[i])
    target = i + 1 if on_first else i
    return unicodedata.normalize("NFC", bare[: target + 1] + tone + bare[target + 1 :])


def tone_variant(name: str) -> str | None:
    words = name.split()
    for index, word in enumerate(words):
        other = _retone(word)
        if other is not None and other != word:
            return " ".join(words[:index] + [other] + words[index + 1 :])
    return None


def eligible(
    error: str, *, birth_date: str, name: str, has_old_id: bool, has_relative: bool
) -> bool:
    if error == "birth_date_swapped":
        return swappable(birth_date)
    if error in ("birth_date_typo", "birth_date_year_only"):
        return len(birth_date) == 10
    if error == "name_tone_style":
        return tone_variant(name) is not None
    if error == "id_old_number":
        return has_old_id
    if error == "id_of_relative":
        return has_relative
    return True


# --- Mutations -------------------------------------------------------------------------


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def misspell(name: str, rng: random.Random) -> str:
    """One slip of the keyboard that still leaves a different, plausible name."""
    for _attempt in range(10):
        words = name.split()
        w = rng.randrange(len(words))
        word = words[w]
        if len(word) < 2:  # "Y", a family name of the Central Highlands
            continue
        kind = rng.random()
        if kind < 0.4:  # another tone mark on the same vowel (Hương -> Hường)
            decomposed = unicodedata.normalize("NFD", word)
            tone = next((c for c in decomposed if c in _TONES), "")
            new_tone = rng.choice([t for t in _TONES + " " if t != tone]).strip()
            base = decomposed.replace(tone, "") if tone else decomposed
            vowel = next((i for i, c in enumerate(base) if c.lower() in "aeiouy"), None)
            if vowel is None:
                continue
            # the tone goes after the vowel's own marks (circumflex, breve, horn)
            end = vowel + 1
            while end < len(base) and unicodedata.category(base[end]) == "Mn":
                end += 1
            word = unicodedata.normalize("NFC", base[:end] + new_tone + base[end:])
        elif kind < 0.7 and len(word) > 2:  # a letter dropped
            i = rng.randrange(1, len(word))
            word = word[:i] + word[i + 1 :]
        else:  # a letter doubled
            i = rng.randrange(1, len(word))
            word = word[:i] + word[i - 1] + word[i:]
        words[w] = word
        typo = " ".join(words)
        if normalize_name(typo) != normalize_name(name):
            return typo
    return name + name[-1]


def unaccent(name: str, rng: random.Random) -> str:
    bare = strip_accents(name)
    return bare.upper() if rng.random() < 0.5 else bare


def birth_date_typo(iso: str, rng: random.Random) -> str:
    """One digit of the day, month or year changed; the result is still a real date."""
    import datetime as dt

    original = dt.date.fromisoformat(iso)
    while True:
        part = rng.choice(("day", "month", "year"))
        change = {
            "year": lambda: {"year": original.year + rng.choice((-10, -1, 1, 10))},
            "month": lambda: {
                "month": rng.choice([m for m in range(1, 13) if m != original.month])
            },
            "day": lambda: {"day": rng.choice([d for d in range(1, 29) if d != original.day])},
        }[part]()
        try:
            candidate = original.replace(**change)
        except ValueError:  # 29 February or 31st in a shorter month
            continue
        if candidate.year <= 2021:
            return candidate.isoformat()


def swap_day_month(iso: str) -> str:
    return f"{iso[:4]}-{iso[8:10]}-{iso[5:7]}"


def mistype_id(citizen_id: str, rng: random.Random) -> str:
    digits = list(citizen_id)
    while True:
        if rng.random() < 0.5:
            i = rng.randrange(3, len(digits))
            digits[i] = rng.choice([d for d in "0123456789" if d != digits[i]])
        else:
            i = rng.randrange(3, len(digits) - 1)
            digits[i], digits[i + 1] = digits[i + 1], digits[i]
        typo = "".join(digits)
        if typo != citizen_id:
            return typo
        digits = list(citizen_id)

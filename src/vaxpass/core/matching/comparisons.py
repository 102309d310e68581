"""Stage 2's Fellegi-Sunter comparisons, declared once for Splink and for pure Python.

Each level has its SQL condition (DuckDB dialect; Splink transpiles it for Spark) and a
Python predicate with the same meaning, so the batch (Splink) and the incremental path
(``scoring.py``) put a pair in the same level. In SQL ``l`` is always the dose and ``r``
the registry person; in Python they are ``d`` and ``p``. Records carry the prepared columns of ``RECORD_COLUMNS``; None stands
for SQL NULL, and a predicate is False wherever SQL would give NULL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from vaxpass.core.matching.forms import at_most_one_edit

Record = Mapping[str, Any]

# The columns both sides of stage 2 carry. Doses have no old_id or household_phone (None).
RECORD_COLUMNS = (
    "unique_id",
    "citizen_id",  # dose: the normalised typed ID (12 or 9 digits); registry: the CCCD
    "old_id",  # registry: the 9-digit CMND
    "name_key",
    "family_key",
    "given_key",
    "name_sound",
    "birth_date",  # ISO "YYYY-MM-DD" or "YYYY"
    "birth_year",
    "sex",
    "phone",
    "household_phone",  # registry: the lowest phone of the person's household
    "household_phone2",  # registry: the highest (children have no phone of their own)
    "ward_code",
    "province_code",
)


@dataclass(frozen=True)
class Level:
    label: str
    sql: str
    test: Callable[[Record, Record], bool]
    is_null: bool = False
    tf_column: str | None = None
    # Fixed parameters, not trained (see ID below): training pairs say little about them.
    m: float | None = None
    u: float | None = None


@dataclass(frozen=True)
class Comparison:
    name: str
    description: str
    levels: tuple[Level, ...]


def _eq(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a == b


def _len(value: Any, n: int) -> bool:
    return value is not None and len(value) == n


def _edit1(a: Any, b: Any) -> bool:
    return a is not None and b is not None and at_most_one_edit(a, b)


def _else() -> Level:
    return Level("else", "ELSE", lambda d, p: True)


def _both_full(d: Record, p: Record) -> bool:
    return _len(d["birth_date"], 10) and _len(p["birth_date"], 10)


def _parts_agreeing(d: Record, p: Record) -> int:
    a: str = d["birth_date"]
    b: str = p["birth_date"]
    return (a[:4] == b[:4]) + (a[5:7] == b[5:7]) + (a[8:10] == b[8:10])


_FULL = "length(l.birth_date) = 10 AND length(r.birth_date) = 10"
_SUPPORTED = "(l.name_key = r.name_key OR l.birth_year = r.birth_year)"


def _supported(d: Record, p: Record) -> bool:
    return _eq(d["name_key"], p["name_key"]) or _eq(d["birth_year"], p["birth_year"])


NAME = Comparison(
    "name",
    "Full name without diacritics; term frequencies make a match on a common name "
    "(Nguyễn Thị Hương) weigh less than on a rare one.",
    (
        Level(
            "null",
            "l.name_key IS NULL OR r.name_key IS NULL",
            lambda d, p: d["name_key"] is None or p["name_key"] is None,
            is_null=True,
        ),
        Level(
            "exact",
            "l.name_key = r.name_key",
            lambda d, p: _eq(d["name_key"], p["name_key"]),
            tf_column="name_key",
        ),
        Level(
            "one edit",
            "damerau_levenshtein(l.name_key, r.name_key) <= 1",
            lambda d, p: _edit1(d["name_key"], p["name_key"]),
        ),
        Level(
            "same sound",
            "l.name_sound = r.name_sound",
            lambda d, p: _eq(d["name_sound"], p["name_sound"]),
        ),
        Level(
            "family and given",
            "l.family_key = r.family_key AND l.given_key = r.given_key",
            lambda d, p: (
                _eq(d["family_key"], p["family_key"]) and _eq(d["given_key"], p["given_key"])
            ),
        ),
        Level(
            "given",
            "l.given_key = r.given_key",
            lambda d, p: _eq(d["given_key"], p["given_key"]),
        ),
        _else(),
    ),
)

BIRTH_DATE = Comparison(
    "birth_date",
    "Birth date, with levels for a year-only date on either side, day and month swapped, "
    "and one part of three wrong.",
    (
        Level(
            "null",
            "l.birth_date IS NULL OR r.birth_date IS NULL",
            lambda d, p: d["birth_date"] is None or p["birth_date"] is None,
            is_null=True,
        ),
        Level(  # full dates only: two equal years say far less
            "exact",
            "l.birth_date = r.birth_date AND length(l.birth_date) = 10",
            lambda d, p: _eq(d["birth_date"], p["birth_date"]) and _len(d["birth_date"], 10),
        ),
        Level(
            "year only",
            "(length(l.birth_date) = 4 OR length(r.birth_date) = 4)"
            " AND l.birth_year = r.birth_year",
            lambda d, p: (
                (_len(d["birth_date"], 4) or _len(p["birth_date"], 4))
                and _eq(d["birth_year"], p["birth_year"])
            ),
        ),
        Level(
            "day and month swapped",
            f"{_FULL} AND l.birth_year = r.birth_year"
            " AND substr(l.birth_date, 6, 2) = substr(r.birth_date, 9, 2)"
            " AND substr(l.birth_date, 9, 2) = substr(r.birth_date, 6, 2)",
            lambda d, p: (
                _both_full(d, p)
                and _eq(d["birth_year"], p["birth_year"])
                and d["birth_date"][5:7] == p["birth_date"][8:10]
                and d["birth_date"][8:10] == p["birth_date"][5:7]
            ),
        ),
        Level(
            "two of three parts",
            f"{_FULL} AND (CASE WHEN l.birth_year = r.birth_year THEN 1 ELSE 0 END"
            " + CASE WHEN substr(l.birth_date, 6, 2) = substr(r.birth_date, 6, 2)"
            " THEN 1 ELSE 0 END"
            " + CASE WHEN substr(l.birth_date, 9, 2) = substr(r.birth_date, 9, 2)"
            " THEN 1 ELSE 0 END) >= 2",
            lambda d, p: _both_full(d, p) and _parts_agreeing(d, p) >= 2,
        ),
        Level(
            "same year",
            "l.birth_year = r.birth_year",
            lambda d, p: _eq(d["birth_year"], p["birth_year"]),
        ),
        _else(),
    ),
)

SEX = Comparison(
    "sex",
    "Sex as typed.",
    (
        Level(
            "null",
            "l.sex IS NULL OR r.sex IS NULL",
            lambda d, p: d["sex"] is None or p["sex"] is None,
            is_null=True,
        ),
        Level("exact", "l.sex = r.sex", lambda d, p: _eq(d["sex"], p["sex"])),
        _else(),
    ),
)

PHONE = Comparison(
    "phone",
    "The dose's phone against the person's own and the household's; term frequencies "
    "weaken a phone that many people share (a family's or a group leader's).",
    (
        Level(
            "null",
            "l.phone IS NULL OR (r.phone IS NULL AND r.household_phone IS NULL)",
            lambda d, p: (
                d["phone"] is None or (p["phone"] is None and p["household_phone"] is None)
            ),
            is_null=True,
        ),
        Level(
            "own phone",
            "l.phone = r.phone",
            lambda d, p: _eq(d["phone"], p["phone"]),
            tf_column="phone",
        ),
        Level(
            "household phone",
            "l.phone = r.household_phone OR l.phone = r.household_phone2",
            lambda d, p: (
                _eq(d["phone"], p["household_phone"]) or _eq(d["phone"], p["household_phone2"])
            ),
        ),
        _else(),
    ),
)

WARD = Comparison(
    "ward",
    "Ward, then province, of residence (current structure on both sides).",
    (
        Level(
            "null",
            "l.ward_code IS NULL OR r.ward_code IS NULL",
            lambda d, p: d["ward_code"] is None or p["ward_code"] is None,
            is_null=True,
        ),
        Level(
            "exact", "l.ward_code = r.ward_code", lambda d, p: _eq(d["ward_code"], p["ward_code"])
        ),
        Level(
            "same province",
            "l.province_code = r.province_code",
            lambda d, p: _eq(d["province_code"], p["province_code"]),
        ),
        _else(),
    ),
)

# The ID counts only when the name or the birth year also agrees: stage 2 sees doses
# whose ID failed, and an ID agreeing alone is the relative's-ID case. Its parameters
# are fixed, not trained: in training pairs (ordinary doses) the ID almost always agrees,
# which would teach a weight that the doses reaching stage 2 contradict.
CITIZEN_ID = Comparison(
    "citizen_id",
    "The typed ID (12-digit or old 9-digit), only with a name or birth year to back it.",
    (
        Level(
            "null",
            "l.citizen_id IS NULL",
            lambda d, p: d["citizen_id"] is None,
            is_null=True,
        ),
        Level(
            "exact, backed",
            f"(l.citizen_id = r.citizen_id OR l.citizen_id = r.old_id) AND {_SUPPORTED}",
            lambda d, p: (
                (_eq(d["citizen_id"], p["citizen_id"]) or _eq(d["citizen_id"], p["old_id"]))
                and _supported(d, p)
            ),
            m=0.05,
            u=1e-7,
        ),
        Level(
            "one edit, backed",
            "length(l.citizen_id) = 12"
            f" AND damerau_levenshtein(l.citizen_id, r.citizen_id) <= 1 AND {_SUPPORTED}",
            lambda d, p: (
                _len(d["citizen_id"], 12)
                and _edit1(d["citizen_id"], p["citizen_id"])
                and _supported(d, p)
            ),
            m=0.3,
            u=1e-6,
        ),
        Level("else", "ELSE", lambda d, p: True, m=0.65, u=0.999999),
    ),
)

COMPARISONS = (NAME, BIRTH_DATE, SEX, PHONE, WARD, CITIZEN_ID)

# Equi-join blocking rules: each is cheap at 100 million people because no block is
# nationwide on a common value (name + birth year alone would put every Nguyễn Văn Hùng
# born in 1980 in one block). Each catches errors the others miss.
BLOCKING_RULES = (
    ("phone",),  # the person's own phone (relatives too: the model tells them apart)
    ("phone=household_phone",),  # children and others registered under a parent's phone
    ("phone=household_phone2",),
    ("name_key", "birth_date"),  # wrong or missing ID, right name and date
    ("ward_code", "birth_year", "given_key"),  # family-name typos, day/month errors
    ("name_key", "ward_code"),  # wrong birth date
    ("name_sound", "birth_date"),  # vowel and tone typos, anywhere in the country
)


def level_of(comparison: Comparison, dose: Record, person: Record) -> int:
    """Index of the first level whose predicate holds (the last is ELSE)."""
    for index, level in enumerate(comparison.levels):
        if level.test(dose, person):
            return index
    raise AssertionError("a comparison ends with an ELSE level")

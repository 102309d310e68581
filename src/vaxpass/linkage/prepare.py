"""Prepared registry and dose tables: every field in its comparable forms.

The forms come from vaxpass.core.matching.forms, computed in Python once per distinct
raw value (a country's names, dates and phones repeat a lot) and joined back, so the
batch and the per-dose rules read identical forms. IDs and phones in their common clean
shape take a vectorised fast path whose equivalence with the Python functions is tested.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pyarrow as pa

from vaxpass.core.identity import PROVINCE_CODES
from vaxpass.core.matching import forms

_BATCH = 200_000


def _python_forms(
    con,
    table: str,
    distinct_sql: str,
    schema: pa.Schema,
    compute: Callable[[str], tuple[Any, ...]],
) -> int:
    """CREATE TABLE ``table`` (raw, <schema...>) from ``compute`` over distinct values."""
    full = pa.schema([pa.field("raw", pa.string()), *schema])
    con.execute(
        f"CREATE OR REPLACE TABLE {table} ("
        + ", ".join(f"{f.name} {_duck_type(f.type)}" for f in full)
        + ")"
    )
    # A cursor of its own: the inserts below would end a pending result on ``con``.
    result = con.cursor().execute(distinct_sql)
    count = 0
    while rows := result.fetchmany(_BATCH):
        values = [r[0] for r in rows]
        computed = [compute(v) for v in values]
        columns = [values, *zip(*computed, strict=True)] if computed else [[]] * len(full)
        arrow = pa.table(
            [pa.array(list(c), type=f.type) for c, f in zip(columns, full, strict=True)],
            schema=full,
        )
        con.register("_forms_batch", arrow)
        con.execute(f"INSERT INTO {table} SELECT * FROM _forms_batch")
        con.unregister("_forms_batch")
        count += len(values)
    return count


def _duck_type(t: pa.DataType) -> str:
    return {pa.string(): "VARCHAR", pa.bool_(): "BOOLEAN", pa.int32(): "INTEGER"}[t]


_NAME_SCHEMA = pa.schema(
    [
        ("nfc", pa.string()),
        ("encoding_clean", pa.bool_()),
        ("folded", pa.string()),
        ("canonical", pa.string()),
        ("key", pa.string()),
        ("family", pa.string()),
        ("given", pa.string()),
        ("sound", pa.string()),
        ("has_marks", pa.bool_()),
    ]
)
_DATE_SCHEMA = pa.schema(
    [
        ("iso", pa.string()),
        ("year", pa.int32()),
        ("month", pa.int32()),
        ("day", pa.int32()),
        ("problem", pa.string()),
    ]
)
_ID_SCHEMA = pa.schema(
    [
        ("value", pa.string()),
        ("kind", pa.string()),
        ("repaired", pa.bool_()),
        ("problem", pa.string()),
        ("encoded_year", pa.int32()),
        ("encoded_sex", pa.string()),
    ]
)


def _name(raw: str) -> tuple[Any, ...]:
    f = forms.name_forms(raw)
    return (
        f.nfc,
        f.encoding_clean,
        f.folded,
        f.canonical,
        f.key,
        f.family,
        f.given,
        f.sound,
        f.has_marks,
    )


def _province_list() -> str:
    return ", ".join(f"'{code}'" for code in sorted(PROVINCE_CODES))


def clean_id_sql(column: str, today: date) -> str:
    """SQL true where ``column`` holds an ID in its clean shape (12-digit CCCD with a
    province code, a birth year not after today, not one digit repeated; or 9 digits not
    one repeated), which ``normalize_citizen_id`` accepts unchanged."""
    c = column
    century = f"[1900, 2000, 2100, 2200, 1800][TRY_CAST(substr({c}, 4, 1) AS INTEGER) // 2 + 1]"
    return (
        f"((regexp_full_match({c}, '[0-9]{{12}}')"
        f" AND substr({c}, 1, 3) IN ({_province_list()})"
        f" AND {century} + TRY_CAST(substr({c}, 5, 2) AS INTEGER) <= {today.year}"
        f" AND replace({c}, substr({c}, 1, 1), '') <> '')"
        f" OR (regexp_full_match({c}, '[0-9]{{9}}')"
        f" AND replace({c}, substr({c}, 1, 1), '') <> ''))"
    )


def _id_forms_table(con, source: str, today: date) -> None:
    """id_forms(raw, ...): the fast path in SQL, the rest through forms.id_forms."""
    con.execute(
        "CREATE OR REPLACE TABLE typed_ids AS"
        f" SELECT raw, {clean_id_sql('raw', today)} AS clean"
        f" FROM (SELECT DISTINCT citizen_id AS raw FROM {source})"
    )

    def compute(raw: str) -> tuple[Any, ...]:
        f = forms.id_forms(raw, today)
        return (f.value, f.kind, f.repaired, f.problem, f.encoded_year, f.encoded_sex)

    _python_forms(con, "id_forms", "SELECT raw FROM typed_ids WHERE NOT clean", _ID_SCHEMA, compute)
    digit = "TRY_CAST(substr(raw, 4, 1) AS INTEGER)"
    con.execute(
        f"""
        INSERT INTO id_forms
        SELECT raw, raw, CASE WHEN length(raw) = 12 THEN 'cccd' ELSE 'cmnd' END, false, NULL,
               CASE WHEN length(raw) = 12 THEN
                   [1900, 2000, 2100, 2200, 1800][{digit} // 2 + 1]
                   + CAST(substr(raw, 5, 2) AS INTEGER) END,
               CASE WHEN length(raw) = 12 THEN
                   CASE WHEN {digit} % 2 = 1 THEN 'F' ELSE 'M' END END
        FROM typed_ids WHERE clean
        """
    )
    con.execute("DROP TABLE typed_ids")


def _phone_forms_table(con, distinct_sql: str) -> None:
    clean = "regexp_full_match(raw, '0[35789][0-9]{8}')"
    _python_forms(
        con,
        "phone_forms",
        f"SELECT raw FROM ({distinct_sql}) WHERE NOT {clean}",
        pa.schema([("phone", pa.string())]),
        lambda raw: (forms.phone_form(raw),),
    )
    con.execute(f"INSERT INTO phone_forms SELECT raw, raw FROM ({distinct_sql}) WHERE {clean}")


def prepare(con, *, today: date, registry: str = "registry_raw", doses: str = "doses_raw") -> None:
    """Create ``reg`` and ``dose`` (prepared) from the contract tables."""
    _python_forms(
        con,
        "name_forms",
        f"SELECT full_name FROM {registry} UNION SELECT full_name FROM {doses}",
        _NAME_SCHEMA,
        _name,
    )

    def date_row(raw: str) -> tuple[Any, ...]:
        f = forms.date_forms(raw, today)
        return (f.iso, f.year, f.month, f.day, f.problem)

    _python_forms(
        con,
        "date_forms",
        f"SELECT birth_date FROM {registry} UNION SELECT birth_date FROM {doses}",
        _DATE_SCHEMA,
        date_row,
    )
    _python_forms(
        con,
        "sex_forms",
        f"SELECT sex FROM {registry} UNION SELECT sex FROM {doses}",
        pa.schema([("sex", pa.string())]),
        lambda raw: (forms.sex_form(raw),),
    )
    _phone_forms_table(con, f"SELECT phone AS raw FROM {registry} UNION SELECT phone FROM {doses}")
    _id_forms_table(con, doses, today)

    con.execute(
        f"""
        CREATE OR REPLACE TABLE reg AS
        SELECT r.citizen_id, nullif(r.old_id, '') AS old_id, r.full_name, r.birth_date AS birth_raw,
               n.nfc AS name_nfc, n.folded AS name_folded, n.canonical AS name_canonical,
               n.key AS name_key_raw,
               nullif(n.key, '') AS name_key, nullif(n.family, '') AS family_key,
               nullif(n.given, '') AS given_key, nullif(n.sound, '') AS name_sound,
               d.iso AS birth_date, d.year AS birth_year, d.month AS birth_month,
               d.day AS birth_day,
               s.sex AS sex_raw_form, nullif(s.sex, '') AS sex,
               p.phone AS phone,
               nullif(r.ward_code, '') AS ward_code, nullif(r.province_code, '') AS province_code,
               nullif(r.household_id, '') AS household_id,
               -- a household's lowest and highest phone: children and others without a
               -- phone of their own are registered under a parent's
               CASE WHEN r.household_id <> '' THEN
                   min(p.phone) OVER (PARTITION BY r.household_id) END AS household_phone,
               CASE WHEN r.household_id <> '' THEN
                   max(p.phone) OVER (PARTITION BY r.household_id) END AS household_phone2
        FROM {registry} r
        LEFT JOIN name_forms n ON n.raw = r.full_name
        LEFT JOIN date_forms d ON d.raw = r.birth_date
        LEFT JOIN sex_forms s ON s.raw = r.sex
        LEFT JOIN phone_forms p ON p.raw = r.phone
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE reg_lookup AS
        SELECT lookup, citizen_id FROM (
            SELECT citizen_id AS lookup, citizen_id FROM reg
            UNION ALL SELECT old_id, citizen_id FROM reg WHERE old_id IS NOT NULL
        ) QUALIFY row_number() OVER (PARTITION BY lookup ORDER BY citizen_id) = 1
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE dose AS
        SELECT t.dose_id, t.citizen_id AS citizen_id_raw, t.full_name, t.birth_date AS birth_raw,
               t.sex AS sex_typed, t.phone AS phone_raw,
               i.value AS citizen_id, i.kind AS id_kind, i.repaired AS id_repaired,
               i.problem AS id_problem, i.encoded_year, i.encoded_sex,
               n.nfc AS name_nfc, n.encoding_clean AS name_encoding_clean,
               n.folded AS name_folded, n.canonical AS name_canonical, n.key AS name_key_raw,
               n.has_marks AS name_has_marks,
               nullif(n.key, '') AS name_key, nullif(n.family, '') AS family_key,
               nullif(n.given, '') AS given_key, nullif(n.sound, '') AS name_sound,
               d.iso AS birth_date, d.year AS birth_year, d.month AS birth_month,
               d.day AS birth_day,
               s.sex AS sex_raw_form, nullif(s.sex, '') AS sex,
               p.phone AS phone,
               nullif(t.ward_code, '') AS ward_code, nullif(t.province_code, '') AS province_code,
               t.facility_code, t.product, t.dose_date, t.dose_number
        FROM {doses} t
        LEFT JOIN id_forms i ON i.raw = t.citizen_id
        LEFT JOIN name_forms n ON n.raw = t.full_name
        LEFT JOIN date_forms d ON d.raw = t.birth_date
        LEFT JOIN sex_forms s ON s.raw = t.sex
        LEFT JOIN phone_forms p ON p.raw = t.phone
        """
    )

"""Stage 1 vectorised: the rules of vaxpass.core.matching.stage1 as one DuckDB query.

Reads the prepared ``dose``, ``reg`` and ``reg_lookup`` tables and creates ``stage1``:
per dose its outcome, its reasons (in the order the Python rules give them) and the ID
holder's citizen ID. tests/linkage/test_stage1_equivalence.py checks that every dose of
a generated set gets the same outcome and reasons from both.
"""

from __future__ import annotations

from vaxpass.core.matching.reasons import INFORMATIVE_REASONS, TYPO_REASONS, Reason


def _codes(reasons) -> str:
    return ", ".join(f"'{r.value}'" for r in sorted(reasons))


_NAME = f"""
    CASE WHEN d.name_key_raw = '' THEN ['{Reason.NAME_MISSING}']
    ELSE list_filter([
        CASE WHEN NOT d.name_encoding_clean THEN '{Reason.NAME_ENCODING}' END,
        CASE WHEN d.name_nfc = r.name_nfc THEN NULL
             WHEN d.name_canonical = r.name_canonical THEN
                 CASE WHEN d.name_folded = r.name_folded THEN '{Reason.NAME_CASE}'
                      ELSE '{Reason.NAME_TONE_STYLE}' END
             WHEN d.name_key_raw = r.name_key_raw THEN
                 CASE WHEN d.name_has_marks THEN '{Reason.NAME_MARKS_DIFFER}'
                      ELSE '{Reason.NAME_UNACCENTED}' END
             WHEN damerau_levenshtein(d.name_key_raw, r.name_key_raw) <= 1
                 THEN '{Reason.NAME_TYPO}'
             ELSE '{Reason.NAME_DIFFERS}' END
    ], lambda x: x IS NOT NULL) END"""

_DATE = f"""
    CASE WHEN d.birth_date IS NULL THEN '{Reason.BIRTH_DATE_MISSING}'
         WHEN r.birth_date IS NULL OR d.birth_date = r.birth_date THEN NULL
         WHEN d.birth_year = r.birth_year AND r.birth_month IS NULL
             THEN '{Reason.REGISTRY_BIRTH_YEAR_ONLY}'
         WHEN d.birth_year = r.birth_year AND d.birth_month IS NULL
             THEN '{Reason.BIRTH_YEAR_ONLY}'
         WHEN r.birth_month IS NULL OR d.birth_month IS NULL THEN '{Reason.BIRTH_DATE_DIFFERS}'
         WHEN d.birth_year = r.birth_year AND d.birth_month = r.birth_day
              AND d.birth_day = r.birth_month THEN '{Reason.BIRTH_DAY_MONTH_SWAPPED}'
         WHEN CAST(d.birth_year = r.birth_year AS INTEGER)
              + CAST(d.birth_month = r.birth_month AS INTEGER)
              + CAST(d.birth_day = r.birth_day AS INTEGER) = 2
              AND (d.birth_year = r.birth_year OR abs(d.birth_year - r.birth_year) = 1
                   OR damerau_levenshtein(lpad(CAST(d.birth_year AS VARCHAR), 4, '0'),
                                          lpad(CAST(r.birth_year AS VARCHAR), 4, '0')) <= 1)
              THEN '{Reason.BIRTH_DATE_TYPO}'
         ELSE '{Reason.BIRTH_DATE_DIFFERS}' END"""

_SEX = f"""
    CASE WHEN d.sex_raw_form = '' THEN '{Reason.SEX_MISSING}'
         WHEN r.sex_raw_form <> '' AND d.sex_raw_form <> r.sex_raw_form
             THEN '{Reason.SEX_DIFFERS}' END"""

_ID = f"""
    list_filter([
        CASE WHEN d.id_repaired THEN '{Reason.ID_REPAIRED}' END,
        CASE WHEN d.id_kind = 'cmnd' THEN '{Reason.ID_OLD_NUMBER}' END,
        CASE WHEN d.encoded_year IS NOT NULL AND d.birth_year IS NOT NULL
                  AND d.birth_year <> d.encoded_year THEN '{Reason.ID_BIRTH_YEAR_CONTRADICTS}' END,
        CASE WHEN d.encoded_sex IS NOT NULL AND d.sex_raw_form <> ''
                  AND d.sex_raw_form <> d.encoded_sex THEN '{Reason.ID_SEX_CONTRADICTS}' END
    ], lambda x: x IS NOT NULL)"""

_SEVERE = _codes({Reason.NAME_DIFFERS, Reason.BIRTH_DATE_DIFFERS, Reason.SEX_DIFFERS})
_TYPOS = _codes(TYPO_REASONS | {Reason.NAME_MISSING})
_INFORMATIVE = _codes(INFORMATIVE_REASONS)


def stage1_sql() -> str:
    return f"""
    CREATE OR REPLACE TABLE stage1 AS
    WITH joined AS (
        SELECT d.dose_id, d.id_problem, r.citizen_id AS holder_id,
               {_ID} AS id_reasons,
               CASE WHEN r.citizen_id IS NULL THEN []
                    ELSE list_filter({_NAME} || [{_DATE}, {_SEX}], lambda x: x IS NOT NULL)
               END AS person_reasons
        FROM dose d
        LEFT JOIN reg_lookup k ON d.citizen_id IS NOT NULL AND k.lookup = d.citizen_id
        LEFT JOIN reg r ON r.citizen_id = k.citizen_id
    ), counted AS (
        SELECT *,
               len(list_filter(person_reasons, lambda x: x IN ({_SEVERE}))) > 0 AS severe,
               len(list_filter(person_reasons, lambda x: x IN ({_TYPOS}))) AS typos
        FROM joined
    )
    SELECT dose_id, holder_id,
        CASE WHEN id_problem IS NOT NULL THEN 'no_id'
             WHEN holder_id IS NULL THEN 'not_found'
             WHEN severe OR typos > 1 THEN 'wrong_person'
             WHEN len(list_filter(person_reasons || id_reasons,
                                  lambda x: x NOT IN ({_INFORMATIVE}))) = 0 THEN 'verified'
             ELSE 'correctable' END AS outcome,
        CASE WHEN id_problem = 'missing' THEN ['{Reason.ID_MISSING}']
             WHEN id_problem IS NOT NULL THEN ['{Reason.ID_MALFORMED}']
             WHEN holder_id IS NULL THEN id_reasons || ['{Reason.ID_NOT_IN_REGISTRY}']
             WHEN severe THEN id_reasons || person_reasons || ['{Reason.ID_OF_OTHER_PERSON}']
             WHEN typos > 1 THEN id_reasons || person_reasons
                 || ['{Reason.SEVERAL_DIFFERENCES}', '{Reason.ID_OF_OTHER_PERSON}']
             ELSE id_reasons || person_reasons END AS reasons
    FROM counted
    """

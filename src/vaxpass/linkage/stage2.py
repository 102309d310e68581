"""Stage 2 in DuckDB with Splink: training a model, and scoring the doses stage 1 left.

Tables read: ``reg`` and ``dose`` (prepare.py), ``stage1`` (stage1_sql.py).
Tables made: ``s2_doses`` and ``s2_registry`` (the columns of
vaxpass.core.matching.comparisons.RECORD_COLUMNS), ``tf_name_key`` and ``tf_phone``
(term frequencies in the registry), and ``s2_candidates``: per dose its best candidates,
best first.
"""

from __future__ import annotations

import logging
import math
from datetime import date
from typing import Any

from vaxpass.core.matching.comparisons import BIRTH_DATE, NAME, RECORD_COLUMNS, Comparison
from vaxpass.core.matching.reasons import Reason
from vaxpass.linkage.model import Model, fill_unseen_levels, untrained_settings

log = logging.getLogger(__name__)

STAGE2_OUTCOMES = ("no_id", "not_found", "wrong_person")
# Pairs scoring below this probability are dropped at once (they could never be linked
# nor reviewed; a second candidate below it does not narrow the margin).
CANDIDATE_FLOOR_PROBABILITY = 0.001
# Term frequencies kept with a model for pure-Python scoring (the commonest values).
TF_KEPT = {"name_key": 50_000, "phone": 20_000}

_DOSE_SELECT = ", ".join(
    {
        "unique_id": "dose_id AS unique_id",
        "old_id": "CAST(NULL AS VARCHAR) AS old_id",
        "household_phone": "CAST(NULL AS VARCHAR) AS household_phone",
        "household_phone2": "CAST(NULL AS VARCHAR) AS household_phone2",
    }.get(c, c)
    for c in RECORD_COLUMNS
)
_REGISTRY_SELECT = ", ".join(
    "citizen_id AS unique_id" if c == "unique_id" else c for c in RECORD_COLUMNS
)


def make_inputs(con, *, only_stage2: bool = True) -> int:
    """Create s2_doses (the doses stage 1 could not settle, or all) and s2_registry."""
    where = (
        f"WHERE dose_id IN (SELECT dose_id FROM stage1 WHERE outcome IN {STAGE2_OUTCOMES})"
        if only_stage2
        else ""
    )
    con.execute(f"CREATE OR REPLACE TABLE s2_doses AS SELECT {_DOSE_SELECT} FROM dose {where}")
    con.execute(f"CREATE OR REPLACE VIEW s2_registry AS SELECT {_REGISTRY_SELECT} FROM reg")
    _make_tf_tables(con)
    return con.execute("SELECT count(*) FROM s2_doses").fetchall()[0][0]


def _make_tf_tables(con) -> None:
    """Term frequencies of names and phones in the registry (the population, not the
    doses: how common a name is among people is what weakens a match on it)."""
    for column in ("name_key", "phone"):
        con.execute(
            f"""CREATE OR REPLACE TABLE tf_{column} AS
            SELECT {column}, count(*) / (SELECT count(*) FROM reg) AS tf_{column}
            FROM reg WHERE {column} IS NOT NULL GROUP BY {column}"""
        )


def _linker(con, settings: dict[str, Any]):
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(connection=con)
    # Splink puts the input whose name sorts first on the left: the doses (``l``).
    doses = db_api.register("s2_doses", table_name="a_doses", dataset_display_name="doses")
    registry = db_api.register(
        "s2_registry", table_name="b_registry", dataset_display_name="registry"
    )
    linker = Linker([doses, registry], settings, log_level=logging.WARNING)
    for column in ("name_key", "phone"):
        table = db_api.register(f"tf_{column}", table_name=f"tf_lookup_{column}")
        linker.table_management.register_term_frequency_lookup(table, column)
    return linker


def registry_size(con) -> int:
    return con.execute("SELECT count(*) FROM reg").fetchall()[0][0]


def train(
    con,
    *,
    sample_doses: int = 100_000,
    u_pairs: float = 5e6,
    seed: int = 2021,
    matches_per_dose: float = 1.0,
    today: date | None = None,
) -> Model:
    """Train m and u on a sample of doses against the whole registry (EM + u-sampling).

    The prepared tables must exist; s2_doses is replaced by the training sample.
    """
    con.execute(
        f"CREATE OR REPLACE TABLE s2_doses AS SELECT {_DOSE_SELECT} FROM dose"
        f" USING SAMPLE reservoir({int(sample_doses)} ROWS) REPEATABLE ({int(seed)})"
    )
    con.execute(f"CREATE OR REPLACE VIEW s2_registry AS SELECT {_REGISTRY_SELECT} FROM reg")
    _make_tf_tables(con)
    size = registry_size(con)
    doses = con.execute("SELECT count(*) FROM s2_doses").fetchall()[0][0]
    settings = untrained_settings(prior=min(0.5, matches_per_dose / size))
    linker = _linker(con, settings)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    # Each EM session blocks on fields it cannot then estimate; together they cover all.
    # Not on the phone: a family shares one, and parent-child pairs would teach EM that
    # matches often differ in name and sex. Pairs agreeing on the typed ID are mostly the
    # same person; the ID's own levels are fixed (comparisons.CITIZEN_ID).
    linker.training.estimate_parameters_using_expectation_maximisation(
        "l.citizen_id = r.citizen_id"
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        "l.name_key = r.name_key AND l.birth_date = r.birth_date"
    )
    trained = linker.misc.save_model_to_json()
    filled = fill_unseen_levels(trained)
    if filled:
        log.warning("levels without estimates, set explicitly: %s", ", ".join(filled))
    return Model(
        settings=trained,
        matches_per_dose=matches_per_dose,
        trained_on={
            "registry_people": size,
            "sample_doses": doses,
            "u_pairs": u_pairs,
            "seed": seed,
            "date": (today or date.today()).isoformat(),
            "levels_set_explicitly": filled,
        },
        term_frequencies=term_frequencies(con),
    )


def term_frequencies(con) -> dict[str, dict[str, float]]:
    """The commonest values' term frequencies, kept with a model for incremental scoring."""
    out = {}
    for column, kept in TF_KEPT.items():
        rows = con.execute(
            f"SELECT {column}, tf_{column} FROM tf_{column}"
            f" ORDER BY tf_{column} DESC, {column} LIMIT {kept}"
        ).fetchall()
        out[column] = {value: tf for value, tf in rows}
    return out


def _label_sql(comparison: Comparison) -> str:
    """The label of a pair's level from Splink's gamma value (-1 for the null level, then
    n-1 down to 0 for the others in order)."""
    levels = [level for level in comparison.levels if not level.is_null]
    whens = " ".join(
        f"WHEN {len(levels) - 1 - i} THEN '{level.label}'" for i, level in enumerate(levels)
    )
    return f"CASE gamma_{comparison.name} {whens} ELSE NULL END"


# The floor as a match weight (pairs below it are not kept).
FLOOR_WEIGHT = math.log2(CANDIDATE_FLOOR_PROBABILITY / (1 - CANDIDATE_FLOOR_PROBABILITY))


def prediction_settings(model: Model, size: int) -> dict[str, Any]:
    """The model's settings as used to predict, on DuckDB or Spark alike."""
    settings = model.settings_for(size)
    settings["retain_matching_columns"] = True  # Splink keeps the gamma_ columns only then
    return settings


def predict(con, model: Model, *, keep: int = 3) -> int:
    """Score s2_doses against the registry; create s2_candidates. Returns pairs kept."""
    linker = _linker(con, prediction_settings(model, registry_size(con)))
    pairs = linker.inference.predict(threshold_match_weight=FLOOR_WEIGHT, warning_mode="never")
    count = rank_candidates(con, pairs.physical_name, keep=keep)
    pairs.drop_table_from_database_and_remove_from_cache()
    return count


CANDIDATE_TYPE = (
    "STRUCT(citizen_id VARCHAR, probability DOUBLE, match_weight DOUBLE,"
    " birth_date_level VARCHAR, name_level VARCHAR)[]"
)


def no_candidates(con) -> None:
    """An empty s2_candidates, for a run that skips stage 2 (no model yet): the policy
    then finds no candidate for any dose stage 1 left."""
    con.execute(
        "CREATE OR REPLACE TABLE s2_candidates AS SELECT CAST(NULL AS VARCHAR) AS dose_id,"
        f" CAST(NULL AS {CANDIDATE_TYPE}) AS candidates WHERE false"
    )


def rank_candidates(con, pairs: str, *, keep: int = 3) -> int:
    """s2_candidates from a table or view of scored pairs (Splink's predictions, here or
    from Spark: unique_id_l, unique_id_r, match_weight, match_probability,
    gamma_birth_date, gamma_name). Returns the pairs at or above the floor."""
    con.execute(
        f"""
        CREATE OR REPLACE TABLE s2_candidates AS
        SELECT unique_id_l AS dose_id,
               list(struct_pack(citizen_id := unique_id_r, probability := match_probability,
                                match_weight := match_weight,
                                birth_date_level := {_label_sql(BIRTH_DATE)},
                                name_level := {_label_sql(NAME)})
                    ORDER BY match_weight DESC, unique_id_r) AS candidates
        FROM (
            SELECT unique_id_l, unique_id_r, match_weight, match_probability,
                   gamma_{BIRTH_DATE.name}, gamma_{NAME.name}
            FROM {pairs} p
            WHERE match_weight >= {FLOOR_WEIGHT}
            -- the holder of the typed ID, when stage 1 showed they are someone else
            -- (Stage1Result.excludes_holder)
            AND NOT EXISTS (
                SELECT 1 FROM stage1 s
                WHERE s.dose_id = p.unique_id_l AND s.holder_id = p.unique_id_r
                  AND s.outcome = 'wrong_person' AND list_contains(s.reasons, '{Reason.NAME_DIFFERS}')
            )
            QUALIFY row_number() OVER (
                PARTITION BY unique_id_l ORDER BY match_weight DESC, unique_id_r) <= {int(keep)}
        )
        GROUP BY unique_id_l
        """
    )
    return con.execute(
        f"SELECT count(*) FROM {pairs} WHERE match_weight >= {FLOOR_WEIGHT}"
    ).fetchall()[0][0]

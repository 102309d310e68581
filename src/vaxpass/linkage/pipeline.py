"""The batch pipeline: registry and doses in, one decision per dose out.

    run = BatchRun(policy=NATIONAL, today=date(2026, 12, 1))
    run.load_files("registry.parquet", "doses.csv")      # or run.load_relations(...)
    summary = run.clean(model)                           # stage 1, stage 2, policy
    for chunk in run.decisions(chunk_size=10_000):        # list[DoseDecision]
        ...
    run.write("decisions.csv")

Everything happens in one DuckDB connection (``run.con``): ``prepare`` builds the
comparable forms, ``stage1_sql`` decides by ID, ``stage2`` scores the rest with Splink,
and the policy's thresholds turn outcomes and candidates into decisions in SQL with the
same rules as ``Policy.settle``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from vaxpass.core.matching.decisions import Candidate, Decision, DoseDecision, corrections_for
from vaxpass.core.matching.policy import NATIONAL, Policy
from vaxpass.core.matching.reasons import INFORMATIVE_REASONS, Reason
from vaxpass.core.matching.stage1 import CapturedIdentity, RegisteredIdentity
from vaxpass.linkage import stage2, tables
from vaxpass.linkage.model import Model
from vaxpass.linkage.prepare import prepare
from vaxpass.linkage.stage1_sql import stage1_sql

Progress = Callable[[str], None]


@dataclass
class Summary:
    doses: int = 0
    registry_people: int = 0
    stage2_doses: int = 0
    pairs_scored: int = 0
    decisions: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    policy_version: str = ""
    model_version: str = ""

    def lines(self) -> list[str]:
        out = [f"{self.doses:,} doses against {self.registry_people:,} registry people"]
        for name, count in sorted(self.decisions.items(), key=lambda kv: -kv[1]):
            out.append(f"  {name:<10} {count:>12,}  {count / max(self.doses, 1):7.2%}")
        out.append("reasons:")
        for name, count in sorted(self.reasons.items(), key=lambda kv: -kv[1]):
            out.append(f"  {name:<28} {count:>12,}")
        out.append("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in self.seconds.items()))
        return out


def _codes(reasons) -> str:
    return ", ".join(f"'{r}'" for r in sorted(reasons))


def decisions_sql(policy: Policy, model_version: str) -> str:
    """The policy as SQL over stage1 and s2_candidates (the rules of Policy.settle)."""
    auto = _codes(policy.auto_correct_reasons)
    informative = _codes(INFORMATIVE_REASONS)
    birth_levels = _codes(policy.auto_link_birth_date_levels)
    name_levels = _codes(policy.auto_link_name_levels)
    best_p, best_w = "c.candidates[1].probability", "c.candidates[1].match_weight"
    second_w = "c.candidates[2].match_weight"
    return f"""
    CREATE OR REPLACE TABLE decisions AS
    WITH settled AS (
        SELECT s.dose_id, s.outcome, s.holder_id, s.reasons, c.candidates,
            CASE
                WHEN s.outcome = 'verified' THEN 'verified'
                WHEN s.outcome = 'correctable' AND len(list_filter(s.reasons,
                     lambda x: x NOT IN ({informative}) AND x NOT IN ({auto}))) = 0
                    THEN 'corrected'
                WHEN s.outcome = 'correctable' THEN 'review'
                WHEN c.candidates IS NULL OR {best_p} < {policy.review_probability}
                    THEN 'not_found'
                WHEN {best_p} < {policy.auto_link_probability} THEN 'review'
                WHEN c.candidates[1].birth_date_level IS NULL
                     OR c.candidates[1].birth_date_level NOT IN ({birth_levels}) THEN 'review'
                WHEN c.candidates[1].name_level IS NULL
                     OR c.candidates[1].name_level NOT IN ({name_levels}) THEN 'review'
                WHEN len(c.candidates) > 1
                     AND {best_w} - {second_w} < {policy.auto_link_margin_bits} THEN 'review'
                ELSE 'linked' END AS decision
        FROM stage1 s LEFT JOIN s2_candidates c USING (dose_id)
    )
    SELECT dose_id, decision,
        CASE WHEN decision IN ('verified', 'corrected') THEN holder_id
             WHEN decision = 'linked' THEN candidates[1].citizen_id END AS citizen_id,
        CASE WHEN outcome IN ('verified', 'correctable') THEN NULL
             ELSE candidates[1].probability END AS probability,
        CASE WHEN outcome IN ('verified', 'correctable') AND decision = 'review'
                 THEN reasons || ['{Reason.NOT_AUTO_CORRECTED}']
             WHEN outcome IN ('verified', 'correctable') THEN reasons
             WHEN decision = 'not_found' THEN reasons || ['{Reason.NO_CANDIDATE}']
             WHEN decision = 'linked' THEN reasons || ['{Reason.PROBABLE_MATCH}']
             WHEN candidates[1].probability < {policy.auto_link_probability}
                 THEN reasons || ['{Reason.BELOW_AUTO_THRESHOLD}']
             WHEN candidates[1].birth_date_level IS NULL
                  OR candidates[1].birth_date_level NOT IN ({birth_levels})
                 THEN reasons || ['{Reason.CANDIDATE_BIRTH_DATE_DIFFERS}']
             WHEN candidates[1].name_level IS NULL
                  OR candidates[1].name_level NOT IN ({name_levels})
                 THEN reasons || ['{Reason.CANDIDATE_NAME_DIFFERS}']
             ELSE reasons || ['{Reason.AMBIGUOUS_CANDIDATES}'] END AS reasons,
        CASE WHEN outcome IN ('verified', 'correctable') THEN 1 ELSE 2 END AS stage,
        CASE WHEN decision = 'review' AND outcome = 'correctable' THEN holder_id
             WHEN decision = 'review' THEN candidates[1].citizen_id END AS candidate_id,
        CASE WHEN outcome IN ('verified', 'correctable') THEN NULL
             ELSE candidates[1:{policy.candidates_kept}] END AS candidates,
        CAST([] AS VARCHAR[]) AS merge_with,
        '{policy.label}' AS policy_version,
        CASE WHEN outcome IN ('verified', 'correctable') THEN '' ELSE '{model_version}' END
            AS model_version
    FROM settled
    """


_MERGES_SQL = f"""
    CREATE OR REPLACE TABLE merges AS
    WITH linked AS (
        SELECT d.dose_id, d.citizen_id, x.dose_date, x.facility_code
        FROM decisions d JOIN dose x USING (dose_id)
        WHERE d.citizen_id IS NOT NULL AND x.dose_date <> ''
    )
    SELECT a.dose_id, list(b.dose_id ORDER BY b.dose_id) AS merge_with
    FROM linked a JOIN linked b
      ON a.citizen_id = b.citizen_id AND a.dose_date = b.dose_date
     AND a.dose_id <> b.dose_id AND a.facility_code <> b.facility_code
    GROUP BY a.dose_id;
    UPDATE decisions SET merge_with = m.merge_with,
           reasons = list_append(decisions.reasons, '{Reason.DUPLICATE_DOSE}')
    FROM merges m WHERE decisions.dose_id = m.dose_id;
"""


class BatchRun:
    """One batch cleaning run in its own DuckDB connection."""

    def __init__(
        self,
        *,
        policy: Policy = NATIONAL,
        today: date | None = None,
        threads: int | None = None,
        memory_limit: str | None = None,
        progress: Progress | None = None,
        con=None,
    ):
        self.policy = policy
        self.today = today or date.today()
        self.con = con or tables.connect(threads=threads, memory_limit=memory_limit)
        self.summary = Summary(policy_version=policy.label)
        self._progress = progress or (lambda message: None)
        self._prepared = False

    # --- inputs --------------------------------------------------------------------------

    def load_files(self, registry: str | Path, doses: str | Path) -> None:
        self._timed(
            "read",
            lambda: self._load(
                lambda: tables.load_table(
                    self.con, registry, "registry_raw", tables.REGISTRY_COLUMNS
                ),
                lambda: tables.load_table(self.con, doses, "doses_raw", tables.DOSE_COLUMNS),
            ),
        )

    def load_relations(self, registry, doses) -> None:
        """Registry and doses as DuckDB relations of ``self.con`` (files, a database
        export attached to it, a query), with the contract's columns."""
        self._load(
            lambda: tables.register_relation(
                self.con, registry, "registry_raw", tables.REGISTRY_COLUMNS
            ),
            lambda: tables.register_relation(self.con, doses, "doses_raw", tables.DOSE_COLUMNS),
        )

    def _load(self, registry: Callable[[], int], doses: Callable[[], int]) -> None:
        self.summary.registry_people = registry()
        self.summary.doses = doses()
        for table, key in (("registry_raw", "citizen_id"), ("doses_raw", "dose_id")):
            repeated = self.con.execute(
                f"SELECT {key} FROM {table} GROUP BY {key} HAVING count(*) > 1 LIMIT 3"
            ).fetchall()
            if repeated:
                examples = ", ".join(repr(r[0]) for r in repeated)
                raise tables.ContractError(f"{table}: {key} not unique ({examples})")
        self._prepared = False

    def prepare(self) -> None:
        if not self._prepared:
            self._progress("preparing names, IDs, dates and phones")
            self._timed("prepare", lambda: prepare(self.con, today=self.today))
            self._prepared = True

    # --- the run -------------------------------------------------------------------------

    def stage1(self) -> None:
        self.prepare()
        self._progress("stage 1: by ID")
        self._timed("stage1", lambda: self.con.execute(stage1_sql()))

    def train(self, **options) -> Model:
        """Train a stage-2 model on this run's data (see stage2.train)."""
        self.prepare()
        self._progress("training the stage-2 model")
        return self._timed("train", lambda: stage2.train(self.con, today=self.today, **options))

    def export_stage2(self, directory: str | Path) -> dict[str, Path]:
        """Write stage 2's inputs as Parquet (doses, registry, term frequencies), for
        scoring elsewhere (vaxpass.linkage.spark). Runs stage 1 first if needed."""
        if not self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'stage1'"
        ).fetchall()[0][0]:
            self.stage1()
        stage2.make_inputs(self.con)
        directory = Path(directory)
        paths = {}
        for table in ("s2_doses", "s2_registry", "tf_name_key", "tf_phone"):
            paths[table] = directory / f"{table}.parquet"
            tables.write_query(self.con, f"SELECT * FROM {table}", paths[table])
        return paths

    def clean(self, model: Model) -> Summary:
        """Stage 1, stage 2 with Splink on DuckDB, the policy: the ``decisions`` table."""
        self.stage1()
        self.summary.model_version = model.version
        self.summary.stage2_doses = stage2.make_inputs(self.con)
        self._progress(f"stage 2: {self.summary.stage2_doses:,} doses with Splink")
        self.summary.pairs_scored = self._timed(
            "stage2", lambda: stage2.predict(self.con, model, keep=self.policy.candidates_kept)
        )
        self._progress("applying the policy")
        self._timed("decide", self._decide)
        return self.summary

    def clean_with_pairs(self, pairs: str | Path, model_version: str) -> Summary:
        """Like ``clean``, with stage 2 scored elsewhere (Spark, vaxpass.linkage.spark):
        ``pairs`` is a Parquet file or directory of Splink predictions for the doses
        ``export_stage2`` wrote, made with ``stage2.prediction_settings``."""
        self.stage1()
        self.summary.model_version = model_version
        self.summary.stage2_doses = stage2.make_inputs(self.con)
        source = Path(pairs)
        glob = source / "*.parquet" if source.is_dir() else source
        self.con.execute(f"CREATE OR REPLACE VIEW s2_pairs AS SELECT * FROM read_parquet('{glob}')")
        self.summary.pairs_scored = self._timed(
            "stage2",
            lambda: stage2.rank_candidates(self.con, "s2_pairs", keep=self.policy.candidates_kept),
        )
        self._timed("decide", self._decide)
        return self.summary

    def _decide(self) -> None:
        self.con.execute(decisions_sql(self.policy, self.summary.model_version))
        if self.policy.propose_merges:
            self.con.execute(_MERGES_SQL)
        self.summary.decisions = dict(
            self.con.execute("SELECT decision, count(*) FROM decisions GROUP BY 1").fetchall()
        )
        self.summary.reasons = dict(
            self.con.execute(
                "SELECT r, count(*) FROM (SELECT unnest(reasons) AS r FROM decisions) GROUP BY 1"
            ).fetchall()
        )

    # --- outputs -------------------------------------------------------------------------

    OUTPUT_SQL = """
        SELECT dose_id, decision, coalesce(citizen_id, '') AS citizen_id,
               CASE WHEN probability IS NULL THEN '' ELSE printf('%.6f', probability) END
                   AS probability,
               array_to_string(reasons, ';') AS reasons,
               coalesce(candidate_id, '') AS candidate_id,
               array_to_string(merge_with, ';') AS merge_with
        FROM decisions ORDER BY dose_id
    """

    def write(self, path: str | Path) -> None:
        self._timed("write", lambda: tables.write_query(self.con, self.OUTPUT_SQL, path))

    def decisions(
        self, chunk_size: int = 10_000, *, with_corrections: bool = True, where: str = "",
        params: Sequence = (),
    ) -> Iterator[list[DoseDecision]]:  # fmt: skip
        """All decisions (or those ``where`` names, a condition on ``d`` the decisions
        and ``x`` the doses, with its ``params``), in chunks, as the core's DoseDecision.
        With corrections, each linked dose carries the fields to align, captured value
        next to registry value."""
        identity = ", ".join(f"x.{c}" for c in CapturedIdentity.__dataclass_fields__)
        person = ", ".join(f"r.{c}" for c in RegisteredIdentity.__dataclass_fields__)
        result = self.con.cursor().execute(
            f"""SELECT d.dose_id, decision, d.citizen_id, probability, reasons, stage,
                       candidate_id, candidates, merge_with, policy_version, model_version,
                       {identity}, {person}
                FROM decisions d JOIN doses_raw x USING (dose_id)
                LEFT JOIN registry_raw r ON r.citizen_id = d.citizen_id
                {f"WHERE {where}" if where else ""}
                ORDER BY d.dose_id""",
            list(params),
        )
        captured_n = len(CapturedIdentity.__dataclass_fields__)
        while rows := result.fetchmany(chunk_size):
            chunk = []
            for row in rows:
                corrections: tuple = ()
                if with_corrections and row[2]:  # a citizen ID: linked to someone
                    captured = CapturedIdentity(*row[11 : 11 + captured_n])
                    registered = RegisteredIdentity(*row[11 + captured_n :])
                    corrections = corrections_for(captured, registered)
                # Built once with its corrections: dataclasses.replace on a million
                # decisions cost more than building them.
                chunk.append(_decision(row[:11], corrections))
            yield chunk

    def _timed(self, phase: str, action: Callable):
        start = time.perf_counter()
        result = action()
        self.summary.seconds[phase] = self.summary.seconds.get(phase, 0) + round(
            time.perf_counter() - start, 2
        )
        return result


def _decision(row, corrections: tuple = ()) -> DoseDecision:
    (dose_id, decision, citizen_id, probability, reasons, stage, candidate_id, candidates,
     merge_with, policy_version, model_version) = row  # fmt: skip
    return DoseDecision(
        dose_id=dose_id,
        decision=Decision(decision),
        citizen_id=citizen_id,
        probability=probability,
        reasons=tuple(reasons),
        stage=stage,
        candidate_id=candidate_id,
        candidates=tuple(
            Candidate(
                c["citizen_id"],
                c["probability"],
                c["match_weight"],
                c["birth_date_level"],
                c["name_level"],
            )
            for c in candidates or ()
        ),
        merge_with=tuple(merge_with or ()),
        policy_version=policy_version,
        model_version=model_version,
        corrections=corrections,
    )

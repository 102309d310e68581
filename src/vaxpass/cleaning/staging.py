"""A batch run's set-based rows staged by DuckDB, for ``setwrite``.

``setwrite.prepare`` builds a DoseDecision per dose in Python and a tuple per staged row
that psycopg formats value by value: at a million doses on two cores that was 40 CPU
seconds of the write-back's 80, taken from the database's backends on the same cores.
Here the engine's own tables give every decision its chunk and writer's part once; each
part's rows are then written by DuckDB as the CSV that ``COPY`` reads, and only the
decisions the model path takes (reviews, links handed back) become DoseDecision objects.
The rules stay where they are: the corrections and the Person's search name come from
the core's ``corrections_for`` and ``name_key``, called by DuckDB for the rows that need
them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb

from vaxpass.cleaning.setwrite import STAGED_COLUMNS, Prepared, corrections_json
from vaxpass.core.identity import name_key
from vaxpass.core.matching import Decision, DoseDecision
from vaxpass.core.matching.decisions import corrections_for
from vaxpass.core.matching.stage1 import CapturedIdentity, RegisteredIdentity
from vaxpass.linkage.pipeline import BatchRun
from vaxpass.linkage.tables import quote_path

_LINKS = ", ".join(f"'{d.value}'" for d in Decision if d.links)
# A staged row: a set-based decision, and for a link its registry person still there.
_STAGED_ROW = f"set_based AND (decision NOT IN ({_LINKS}) OR r_known)"


def _corrections(x_id, x_name, x_birth, x_sex, r_id, r_name, r_birth, r_sex) -> str:
    captured = CapturedIdentity(citizen_id=x_id, full_name=x_name, birth_date=x_birth, sex=x_sex)
    person = RegisteredIdentity(citizen_id=r_id, full_name=r_name, birth_date=r_birth, sex=r_sex)
    return corrections_json(corrections_for(captured, person))


def _register_functions(con) -> None:
    for name, function, arity in (
        ("vp_name_key", name_key, 1),
        ("vp_corrections", _corrections, 8),
    ):
        try:
            con.remove_function(name)
        except duckdb.InvalidInputException:  # not registered yet
            pass
        con.create_function(name, function, ["VARCHAR"] * arity, "VARCHAR")


class StagedRun:
    """The write-back of ``engine``'s decisions in chunks of ``chunk`` (in the order of
    ``BatchRun.decisions``), each split in ``parts`` by registry person as
    ``batch._partition`` splits them: every decision about one registry person in the same
    part, so two writers never make or align a Person for the same one."""

    def __init__(self, engine: BatchRun, *, chunk: int, parts: int):
        self.engine, self.parts = engine, parts
        con = engine.con
        _register_functions(con)
        # One table with everything a staged row needs, in chunk and part order: each
        # part's query then reads a few row groups, not the run's three big tables.
        con.execute(
            f"""CREATE OR REPLACE TABLE write_plan AS
            WITH numbered AS (
                SELECT d.*, CAST((row_number() OVER (ORDER BY d.dose_id) - 1) // {int(chunk)}
                           AS INTEGER) AS chunk
                FROM decisions d
            )
            SELECT n.chunk,
                   CAST(hash(CASE WHEN coalesce(n.citizen_id, '') <> '' THEN n.citizen_id
                                  ELSE n.dose_id END) % {int(parts)} AS INTEGER) AS part,
                   n.decision <> '{Decision.REVIEW.value}' AS set_based, n.merge_with,
                   n.dose_id, n.decision, n.stage, coalesce(n.citizen_id, '') AS citizen_id,
                   n.probability, n.reasons, n.policy_version, n.model_version,
                   r.citizen_id IS NOT NULL AS r_known,
                   x.citizen_id AS x_citizen_id, x.full_name AS x_full_name,
                   x.birth_date AS x_birth_date, x.sex AS x_sex,
                   coalesce(r.citizen_id, '') AS r_citizen_id, coalesce(r.old_id, '') AS r_old_id,
                   coalesce(r.full_name, '') AS r_full_name,
                   coalesce(r.birth_date, '') AS r_birth_date, coalesce(r.sex, '') AS r_sex,
                   coalesce(r.phone, '') AS r_phone, coalesce(r.ward_code, '') AS r_ward_code
            FROM numbered n JOIN doses_raw x USING (dose_id)
            LEFT JOIN registry_raw r ON r.citizen_id = n.citizen_id
            ORDER BY n.chunk, part, n.dose_id"""
        )
        self.counts = {
            (k, p): (size, staged, unknown)
            for k, p, size, staged, unknown in con.execute(
                f"""SELECT chunk, part, count(*), count(*) FILTER (WHERE {_STAGED_ROW}),
                           count(*) FILTER (WHERE set_based AND NOT ({_STAGED_ROW}))
                    FROM write_plan GROUP BY ALL"""
            ).fetchall()
        }
        self.chunks = 1 + max((k for k, _p in self.counts), default=-1)

    def __iter__(self) -> Iterator[list[Prepared]]:
        con = self.engine.con.cursor()  # the caller's thread's own
        # The model path's decisions of the whole run, read by one query in dose order
        # (the chunks' order) and handed out chunk by chunk. A query per part joined the
        # run's three big tables each time: 18 s of the staging thread's CPU at a
        # million doses, on the cores the database's writers need.
        rest = (
            d
            for chunk in self.engine.decisions(
                where="d.dose_id IN (SELECT dose_id FROM write_plan WHERE NOT set_based)"
            )
            for d in chunk
        )
        with tempfile.TemporaryDirectory(prefix="vaxpass-staged-") as directory:
            for k in range(self.chunks):
                rest_of = self._rest_of_chunk(con, k, rest)
                yield [
                    self._part(con, Path(directory), k, p, rest_of.get(p, []))
                    for p in range(self.parts)
                ]

    @staticmethod
    def _rest_of_chunk(con, k: int, rest: Iterator[DoseDecision]) -> dict[int, list]:
        """Chunk ``k``'s model-path decisions by part, the next ones of ``rest``."""
        part_of = dict(
            con.execute(
                "SELECT dose_id, part FROM write_plan WHERE chunk = ? AND NOT set_based", [k]
            ).fetchall()
        )
        by_part: dict[int, list] = {}
        for _ in range(len(part_of)):
            decision = next(rest)
            by_part.setdefault(part_of[decision.dose_id], []).append(decision)
        return by_part

    def _part(self, con, directory: Path, k: int, p: int, rest: list) -> Prepared:
        size, staged, unknown = self.counts.get((k, p), (0, 0, 0))
        rows = b""
        if staged:
            path = directory / f"{k}-{p}.csv"
            con.execute(f"COPY ({self._staged_sql(k, p)}) TO '{quote_path(path)}' (HEADER false)")
            rows = path.read_bytes()
            path.unlink()
        in_part = f"SELECT dose_id FROM write_plan WHERE chunk = {k} AND part = {p}"

        def links_of(citizen_ids: set[str]) -> list[DoseDecision]:
            return self._decisions(
                f"d.dose_id IN ({in_part} AND {_STAGED_ROW})"
                f" AND d.decision IN ({_LINKS}) AND d.citizen_id IN (SELECT unnest(?))",
                [sorted(citizen_ids)],
            )

        return Prepared(size, rows=rows, staged=staged, rest=rest, unknown=unknown,
                        links_of=links_of)  # fmt: skip

    def _decisions(self, where: str, params=()) -> list[DoseDecision]:
        return [d for chunk in self.engine.decisions(where=where, params=params) for d in chunk]

    @staticmethod
    def _staged_sql(k: int, p: int) -> str:
        """The part's rows in ``setwrite.STAGED_COLUMNS``'s columns and order."""
        same = (
            "x_citizen_id = r_citizen_id AND x_full_name = r_full_name"
            " AND x_birth_date = r_birth_date AND x_sex = r_sex AND r_sex IN ('', 'M', 'F')"
        )
        columns = {
            "seq": "row_number() OVER (ORDER BY dose_id) - 1",
            "dose_id": "dose_id",
            "decision": "decision",
            "stage": "stage",
            "citizen_id": "citizen_id",
            "probability": "probability",
            "reasons": "to_json(reasons)",
            # What corrections_for gives when nothing differs, without asking it.
            "corrections": f"""CASE WHEN NOT r_known OR ({same}) THEN '[]'
                ELSE vp_corrections(x_citizen_id, x_full_name, x_birth_date, x_sex,
                                    r_citizen_id, r_full_name, r_birth_date, r_sex) END""",
            "merge_with": "to_json(CAST(merge_with AS BIGINT[]))",
            "policy_version": "policy_version",
            "model_version": "model_version",
            "why": "array_to_string(reasons, ' ')",
            "r_old_id": "r_old_id",
            "r_full_name": "r_full_name",
            "r_birth_date": "r_birth_date",
            "r_sex": "r_sex",
            "r_phone": "r_phone",
            "r_ward_code": "r_ward_code",
            "r_name_key": "CASE WHEN r_known THEN n.name_key ELSE '' END",
        }
        assert tuple(columns) == tuple(name for name, _kind in STAGED_COLUMNS)
        return f"""WITH part AS (
                SELECT * FROM write_plan WHERE chunk = {k} AND part = {p} AND {_STAGED_ROW}
            ),
            named AS (  -- each name's key once
                SELECT r_full_name, vp_name_key(r_full_name) AS name_key
                FROM (SELECT DISTINCT r_full_name FROM part WHERE r_known)
            )
            SELECT {", ".join(f"{sql} AS {name}" for name, sql in columns.items())}
            FROM part LEFT JOIN named n USING (r_full_name)
            ORDER BY dose_id"""

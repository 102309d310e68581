"""DuckDB stages a batch run's write-back (``staging``) exactly as Python stages it from
the DoseDecision objects (``setwrite.staged_in_python``): the same parts, the same rows
value for value (empty strings and NULLs told apart, as COPY reads them), the same
decisions for the model path and the same links found again."""

import json
from datetime import date

import pytest
from django.core.management import call_command

from vaxpass.cleaning.batch import RegistryFromRun
from vaxpass.cleaning.export import export_inputs
from vaxpass.cleaning.setwrite import STAGED_COLUMNS, staged_in_python
from vaxpass.cleaning.staging import StagedRun
from vaxpass.core.matching import Decision
from vaxpass.linkage.pipeline import BatchRun

pytestmark = pytest.mark.django_db
JSON_COLUMNS = {i for i, (_name, kind) in enumerate(STAGED_COLUMNS) if kind == "jsonb"}


def _csv_fields(line: str) -> list[str | None]:
    """One line of CSV as PostgreSQL's COPY reads it: an unquoted empty field is NULL."""
    fields: list[str | None] = []
    k = 0
    while True:
        if line.startswith('"', k):
            value, k = [], k + 1
            while True:
                end = line.index('"', k)
                value.append(line[k:end])
                if line.startswith('""', end):
                    value.append('"')
                    k = end + 2
                else:
                    k = end + 1
                    break
            fields.append("".join(value))
        else:
            end = line.find(",", k)
            raw = line[k:] if end < 0 else line[k:end]
            fields.append(raw or None)
            k = k + len(raw)
        if k >= len(line):
            return fields
        assert line[k] == ","
        k += 1


def _comparable(row) -> list:
    out = []
    for i, value in enumerate(row):
        if value is None:
            out.append(None)
        elif i in JSON_COLUMNS:
            out.append(json.loads(value))
        else:
            out.append(str(value))
    return out


@pytest.fixture
def engine(tmp_path):
    call_command("generate", people=400, seed=11, provinces="01,79", out=str(tmp_path / "g"),
                 load=True, verbosity=0)  # fmt: skip
    export_inputs(tmp_path / "registry.parquet", tmp_path / "doses.parquet")
    run = BatchRun(today=date(2026, 12, 1))
    run.load_files(tmp_path / "registry.parquet", tmp_path / "doses.parquet")
    run.clean(run.train())
    yield run
    run.con.close()


def test_duckdb_stages_every_part_as_python_does(engine):
    chunk, parts = 170, 2
    lookup = RegistryFromRun(engine.con)
    by_python = list(engine.decisions(chunk_size=chunk))
    staged = list(StagedRun(engine, chunk=chunk, parts=parts))
    assert len(staged) == len(by_python) > 1
    kinds, corrected, nulls, merging = set(), 0, 0, 0
    for decisions, duck_parts in zip(by_python, staged, strict=True):
        where = dict(
            engine.con.execute(
                "SELECT dose_id, part FROM write_plan WHERE dose_id IN (SELECT unnest(?))",
                [[d.dose_id for d in decisions]],
            ).fetchall()
        )
        for p, duck in enumerate(duck_parts):
            mine = [d for d in decisions if where[d.dose_id] == p]
            python = staged_in_python(mine, lookup=lookup)
            assert (duck.size, duck.staged, duck.unknown) == (
                python.size, python.staged, python.unknown)  # fmt: skip
            assert duck.rest == python.rest
            lines = duck.rows.decode().splitlines()
            assert [_comparable(_csv_fields(line)) for line in lines] == [
                _comparable(row) for row in python.rows
            ]
            cids = {d.citizen_id for d in mine if d.decision.links}
            assert duck.links_of(cids) == python.links_of(cids)
            kinds.update(d.decision for d in mine)
            corrected += sum(1 for row in python.rows if row[7] != "[]")
            nulls += sum(1 for row in python.rows if row[5] is None)
            merging += sum(1 for row in python.rows if row[8] != "[]")
    assert {Decision.VERIFIED, Decision.CORRECTED, Decision.LINKED} <= kinds
    # Corrections written, NULL probabilities kept NULL, doses to merge staged.
    assert corrected and nulls and merging


def test_every_registry_person_stays_in_one_part(engine):
    StagedRun(engine, chunk=100, parts=2)
    split = engine.con.execute(
        """SELECT citizen_id FROM write_plan WHERE citizen_id <> ''
           GROUP BY citizen_id HAVING count(DISTINCT part) > 1"""
    ).fetchall()
    assert split == []
    assert engine.con.execute("SELECT count(DISTINCT part) FROM write_plan").fetchone()[0] == 2

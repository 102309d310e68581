"""The clean-files contract end to end: CSV and Parquet in and out, one row per dose,
the decision vocabulary, contract errors, and the command running without Django."""

import json
import os
import subprocess
import sys

import duckdb
import pytest
from linkage_helpers import read_csv

from vaxpass.linkage.cleanfiles import main
from vaxpass.linkage.tables import OUTPUT_COLUMNS

DECISIONS = {"verified", "corrected", "linked", "review", "not_found"}


def _read(path):
    con = duckdb.connect()
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
    options = "" if path.suffix == ".parquet" else ", all_varchar = true"
    relation = con.sql(f"SELECT * FROM {reader}('{path}'{options})")
    rows = [tuple("" if v is None else v for v in row) for row in relation.fetchall()]
    return relation.columns, rows


@pytest.fixture(scope="module")
def parquet_inputs(generated, tmp_path_factory):
    out = tmp_path_factory.mktemp("parquet")
    con = duckdb.connect()
    for name in ("registry", "doses"):
        con.execute(
            f"COPY (SELECT * FROM read_csv('{generated}/contract/{name}.csv', all_varchar = true))"
            f" TO '{out}/{name}.parquet' (FORMAT parquet)"
        )
    return out / "registry.parquet", out / "doses.parquet"


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_contract_end_to_end(
    kind, generated, trained, model_file, parquet_inputs, tmp_path, capsys
):
    if kind == "csv":
        registry, doses = generated / "contract/registry.csv", generated / "contract/doses.csv"
    else:
        registry, doses = parquet_inputs
    out = tmp_path / f"decisions.{kind}"
    summary = tmp_path / "summary.json"
    code = main(["--registry", str(registry), "--doses", str(doses), "--out", str(out),
                 "--model", str(model_file), "--today", "2026-12-01", "--quiet",
                 "--summary-json", str(summary)])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "verified" in printed and trained.version in printed
    columns, rows = _read(out)
    assert tuple(columns) == OUTPUT_COLUMNS
    dose_ids = [row["dose_id"] for row in read_csv(generated / "contract/doses.csv")]
    assert sorted(r[0] for r in rows) == sorted(dose_ids)  # one row per dose
    for _dose_id, decision, citizen_id, probability, reasons, candidate, merge in rows:
        assert decision in DECISIONS
        assert bool(citizen_id) == (decision in ("verified", "corrected", "linked"))
        assert (decision == "linked") <= bool(probability)
        assert bool(candidate) <= (decision == "review")
        assert reasons or decision == "verified"
        assert bool(merge) == ("duplicate_dose" in reasons)
    counts = json.loads(summary.read_text())["decisions"]
    assert sum(counts.values()) == len(dose_ids)
    assert counts["verified"] > counts["corrected"] > counts["linked"] > 0


def test_missing_column_is_a_contract_error(generated, tmp_path, capsys):
    bad = tmp_path / "doses.csv"
    bad.write_text("dose_id,citizen_id,full_name\nD1,001185000123,Lê Văn An\n", "utf-8")
    code = main(["--registry", str(generated / "contract/registry.csv"), "--doses", str(bad),
                 "--out", str(tmp_path / "o.csv"), "--models-dir", str(tmp_path), "--quiet"])  # fmt: skip
    assert code == 2
    assert "missing columns birth_date, sex" in capsys.readouterr().err


def test_wrong_file_ending_is_refused(generated, tmp_path, capsys):
    code = main(["--registry", str(generated / "contract/registry.csv"),
                 "--doses", str(generated / "contract/doses.csv"),
                 "--out", str(tmp_path / "o.xlsx"), "--quiet"])  # fmt: skip
    assert code == 2
    assert "must end in .csv or .parquet" in capsys.readouterr().err


def test_vaxpass_clean_files_runs_without_django(generated, model_file, tmp_path):
    script = (
        "import sys\n"
        "from vaxpass import cli\n"
        "try:\n"
        "    cli.main(sys.argv[1:])\n"
        "except SystemExit as stop:\n"
        "    assert 'django' not in sys.modules, 'clean-files imported Django'\n"
        "    raise\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", script, "clean-files",
         "--registry", str(generated / "contract/registry.csv"),
         "--doses", str(generated / "contract/doses.csv"), "--out", str(tmp_path / "o.csv"),
         "--model", str(model_file), "--quiet"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o.csv").exists()

"""The batch API the cleaning app calls: relations in, decisions out in chunks with the
corrections to apply (captured and registry values side by side)."""

import duckdb
import pytest
from linkage_helpers import TODAY

from vaxpass.core.matching import Decision
from vaxpass.linkage.pipeline import BatchRun
from vaxpass.linkage.tables import ContractError


def test_relations_from_a_database_export_give_the_files_decisions(generated, trained, cleaned):
    run = BatchRun(today=TODAY, threads=2)
    # e.g. an attached PostgreSQL export; here the same CSV files through a query
    registry = run.con.sql(
        f"SELECT * FROM read_csv('{generated}/contract/registry.csv', all_varchar = true)"
    )
    doses = run.con.sql(
        f"SELECT * FROM read_csv('{generated}/contract/doses.csv', all_varchar = true)"
    )
    run.load_relations(registry, doses)
    run.clean(trained)
    ours = [d for chunk in run.decisions(chunk_size=500) for d in chunk]
    theirs = [d for chunk in cleaned.decisions(chunk_size=2000) for d in chunk]
    assert ours == theirs
    assert len(ours) == cleaned.summary.doses


def test_chunks_carry_the_corrections_to_apply(cleaned):
    chunks = list(cleaned.decisions(chunk_size=1000))
    assert all(len(chunk) <= 1000 for chunk in chunks) and len(chunks) > 1
    decisions = [d for chunk in chunks for d in chunk]
    corrected = [d for d in decisions if d.decision is Decision.CORRECTED]
    assert corrected and all(d.corrections for d in corrected)
    for d in corrected:
        for correction in d.corrections:
            assert correction.captured != correction.registry
    verified = [d for d in decisions if d.decision is Decision.VERIFIED]
    assert all(not d.corrections for d in verified)
    # stage 2 linked them because the typed ID was missing, another's, or its holder's
    # details differed: something always needs aligning
    linked = [d for d in decisions if d.decision is Decision.LINKED]
    assert linked and all(d.corrections for d in linked)
    assert sum(any(c.field == "citizen_id" for c in d.corrections) for d in linked) > 0.9 * len(
        linked
    )


def test_duplicate_dose_ids_are_a_contract_error(tmp_path, generated):
    con = duckdb.connect()
    doses = tmp_path / "doses.csv"
    con.execute(
        f"COPY (SELECT * FROM read_csv('{generated}/contract/doses.csv', all_varchar = true)"
        f" UNION ALL SELECT * FROM read_csv('{generated}/contract/doses.csv', all_varchar = true)"
        " LIMIT 5000) TO '" + str(doses) + "' (FORMAT csv, HEADER)"
    )
    run = BatchRun(today=TODAY)
    with pytest.raises(ContractError, match="dose_id not unique"):
        run.load_files(generated / "contract/registry.csv", doses)


def test_a_run_without_stage2_finds_no_candidates(generated):
    from vaxpass.linkage import stage2
    from vaxpass.linkage.pipeline import decisions_sql

    run = BatchRun(today=TODAY, threads=2)
    run.load_files(generated / "contract/registry.csv", generated / "contract/doses.csv")
    run.stage1()
    stage2.no_candidates(run.con)
    run.con.execute(decisions_sql(run.policy, ""))
    counts = dict(run.con.execute("SELECT decision, count(*) FROM decisions GROUP BY 1").fetchall())
    assert counts["verified"] > 0 and counts["not_found"] > 0 and "linked" not in counts

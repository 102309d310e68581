"""Incremental cleaning over the registry adapter: the batch's stage-1 decisions, and
stage-2 links that are right, for a handful of doses within seconds."""

import time

import pytest
from linkage_helpers import TODAY, read_csv

from vaxpass.adapters.registry import SqlRegistry
from vaxpass.core.matching import CapturedIdentity, Decision
from vaxpass.linkage.incremental import IncrementalCleaner


@pytest.fixture(scope="module")
def registry(generated, tmp_path_factory):
    sql = SqlRegistry.sqlite_file(tmp_path_factory.mktemp("registry") / "registry.sqlite3")
    sql.load_csv(generated / "registry.csv")
    return sql


def _captured(row):
    return CapturedIdentity(**{k: row[k] for k in CapturedIdentity.__dataclass_fields__})


def test_incremental_decisions_agree_with_the_batch(generated, registry, trained, cleaned):
    batch = {d.dose_id: d for chunk in cleaned.decisions() for d in chunk}
    truth = {row["record_id"]: row for row in read_csv(generated / "truth.csv")}
    rows = read_csv(generated / "contract/doses.csv")
    stage2 = [r for r in rows if batch[r["dose_id"]].stage == 2][:150]
    sample = list({r["dose_id"]: r for r in rows[:150] + stage2}.values())
    cleaner = IncrementalCleaner(registry, trained, registry_size=registry.count(), today=TODAY)
    decisions = cleaner.decide({r["dose_id"]: _captured(r) for r in sample})
    assert [d.dose_id for d in decisions] == [r["dose_id"] for r in sample]
    linked = 0
    for decision in decisions:
        expected = batch[decision.dose_id]
        if expected.stage == 1:
            assert (decision.decision, decision.citizen_id, decision.reasons) == (
                expected.decision, expected.citizen_id, expected.reasons[: len(decision.reasons)]
            ), (decision, expected)  # fmt: skip
        if decision.decision.links:
            assert decision.citizen_id == truth[decision.dose_id]["citizen_id"]
        if decision.decision is Decision.LINKED:
            linked += 1
            assert decision.model_version == trained.version
            assert decision.probability >= 0.999
    assert linked >= 0.5 * len(stage2)  # the adapter's search finds most people


def test_corrected_decision_carries_the_corrections(generated, registry, trained, cleaned):
    corrected = {
        d.dose_id
        for chunk in cleaned.decisions()
        for d in chunk
        if d.decision is Decision.CORRECTED and d.reasons == ("name_unaccented",)
    }
    row = next(r for r in read_csv(generated / "contract/doses.csv") if r["dose_id"] in corrected)
    cleaner = IncrementalCleaner(registry, trained, registry_size=registry.count(), today=TODAY)
    [decision] = cleaner.decide({row["dose_id"]: _captured(row)})
    assert decision.decision is Decision.CORRECTED
    [correction] = decision.corrections
    assert correction.field == "full_name"
    assert correction.captured == row["full_name"]
    assert correction.registry != row["full_name"]


def test_a_few_new_doses_are_decided_within_seconds(generated, registry, trained):
    rows = read_csv(generated / "contract/doses.csv")[-20:]
    cleaner = IncrementalCleaner(registry, trained, registry_size=registry.count(), today=TODAY)
    start = time.perf_counter()
    decisions = cleaner.decide({r["dose_id"]: _captured(r) for r in rows})
    assert time.perf_counter() - start < 2
    assert len(decisions) == 20


def test_a_dose_recorded_twice_is_proposed_for_merging(generated, registry, trained, cleaned):
    batch = {d.dose_id: d for chunk in cleaned.decisions() for d in chunk}
    rows = {r["dose_id"]: r for r in read_csv(generated / "contract/doses.csv")}
    dose_id, merged = next((d, b.merge_with) for d, b in batch.items() if b.merge_with)
    pair = [dose_id, *merged]
    cleaner = IncrementalCleaner(registry, trained, registry_size=registry.count(), today=TODAY)
    visits = {d: (rows[d]["dose_date"], rows[d]["facility_code"]) for d in pair}
    decisions = cleaner.decide({d: _captured(rows[d]) for d in pair}, visits=visits)
    assert decisions[0].merge_with == batch[dose_id].merge_with
    assert decisions[0].reasons[-1] == "duplicate_dose"

"""A full batch run over generated data: every automatic link is the generator's true
person, linked doses move to verified on a Person of their own registry person, and the
rest waits in the review queues. Runs on SQLite and PostgreSQL alike (the registry is
exported from the adapter's database, the doses from the app's)."""

import csv
import threading
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from vaxpass.cleaning import batch, export
from vaxpass.cleaning.export import export_registry, ward_code_map
from vaxpass.cleaning.incremental import clean_pending
from vaxpass.cleaning.models import (
    CleaningDecision,
    CleaningRun,
    Correction,
    ItemStatus,
    MergeProposal,
    ReviewItem,
)
from vaxpass.records.models import Dose, DoseStatus, Person
from vaxpass.records.registry import registry_admin

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 1)


@pytest.fixture
def generated(tmp_path, settings):
    settings.CLEANING_MODELS_DIR = tmp_path / "models"
    out = tmp_path / "generated"
    call_command("generate", people=400, seed=7, provinces="01,79", out=str(out), load=True,
                 verbosity=0)  # fmt: skip
    with open(out / "truth.csv", newline="", encoding="utf-8") as handle:
        truth = {row["record_id"]: row for row in csv.DictReader(handle)}
    return out, truth


def _truth_of(dose: Dose, truth) -> dict:
    return truth[dose.idempotency_key.removeprefix("synth:")]


def _check_run(truth, recorded: int) -> None:
    """What a finished batch run must have left."""
    run = CleaningRun.objects.get(kind="batch")
    assert run.status == "done" and run.doses_total == recorded == run.doses_done
    assert run.model_version.startswith("stage2-")
    assert sum(run.decisions.values()) == recorded
    assert CleaningDecision.objects.filter(current=True).count() == recorded

    linked = list(Dose.objects.exclude(registry_id="").select_related("person"))
    wrong = [d for d in linked if _truth_of(d, truth)["citizen_id"] != d.registry_id]
    assert len(linked) >= 0.85 * recorded
    assert len(wrong) <= max(1, len(linked) // 500), wrong  # precision 99.8 % or better
    assert all(d.status == DoseStatus.VERIFIED for d in linked)
    assert all(d.person.registry_id == d.registry_id for d in linked)
    # One Person per registry person.
    assert not Person.objects.exclude(registry_id="").values("registry_id").annotate(
        n=Count("id")).filter(n__gt=1).exists()  # fmt: skip
    # Each link written down; corrections keep the captured value next to the registry's.
    assert Correction.objects.count() == len(linked)
    corrected = Correction.objects.exclude(changes=[]).first()
    change = corrected.changes[0]
    assert change["after"] == change["registry"] and "captured" in change

    waiting = Dose.objects.filter(status=DoseStatus.RECORDED)
    assert ReviewItem.objects.filter(status=ItemStatus.OPEN).count() == waiting.filter(
        cleaning_decisions__current=True, cleaning_decisions__decision="review").count()  # fmt: skip
    assert all(item.ward_id for item in ReviewItem.objects.all())
    duplicates = [r for r in truth.values() if r["duplicate_of"]]
    if duplicates:
        assert MergeProposal.objects.exists()


def test_batch_run_links_rightly_verifies_and_queues_the_rest(generated):
    _out, truth = generated
    recorded = Dose.objects.count()
    out = StringIO()
    call_command("clean", train=True, today=TODAY, stdout=out, verbosity=0)
    summary = out.getvalue()
    assert "decisions written:" in summary and "write-back:" in summary
    _check_run(truth, recorded)

    # Cleaned once: a second run finds nothing to do; a new dose is cleaned incrementally.
    again = StringIO()
    call_command("clean", today=TODAY, stdout=again, verbosity=0)
    assert "run #" in again.getvalue() and ": 0 doses" in again.getvalue()
    assert clean_pending(today=TODAY)[0] == 0


def test_without_a_model_stage_one_settles_and_the_rest_goes_to_review(generated):
    _out, truth = generated
    out = StringIO()
    call_command("clean", today=TODAY, stdout=out, verbosity=0)
    assert "No stage-2 model saved yet" in out.getvalue()
    decisions = CleaningDecision.objects.filter(current=True)
    assert decisions.filter(stage=2).exclude(decision="review").count() == 0
    assert all("no_model" in d.reasons for d in decisions.filter(stage=2))
    for dose in Dose.objects.exclude(registry_id=""):
        assert _truth_of(dose, truth)["citizen_id"] == dose.registry_id  # by ID: all right
    assert ReviewItem.objects.filter(status="open").count() == decisions.filter(stage=2).count()


def test_registry_export_pages_through_everyone(generated, tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    monkeypatch.setattr(export, "EXPORT_PAGE", 97)  # several pages
    path = tmp_path / "registry.parquet"
    assert export_registry(path) == registry_admin().count()
    table = pq.read_table(path)
    assert len(set(table.column("citizen_id").to_pylist())) == table.num_rows
    provinces = set(table.column("province_code").to_pylist())
    assert provinces and "" not in provinces
    assert len(ward_code_map()) > 10_000  # both eras' wards


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_the_database_written_export_is_the_paged_one(generated, tmp_path):
    """On PostgreSQL the inputs are written by COPY and finished by DuckDB; the files
    hold exactly what the ORM's pages give, legacy wards mapped, limit kept."""
    import pyarrow.parquet as pq

    dose = Dose.objects.order_by("pk").first()
    dose.captured_ward = None  # a dose typed without a ward
    dose.captured_phone = ""
    dose.save()

    def rows(path):
        table = pq.read_table(path)
        return sorted(table.to_pylist(), key=lambda row: tuple(row.values()))

    for limit in (None, 50):
        copied, paged = tmp_path / f"copy-{limit}", tmp_path / f"paged-{limit}"
        copied.mkdir(), paged.mkdir()
        count = export.export_inputs(
            copied / "registry.parquet", copied / "doses.parquet", limit=limit
        )
        assert count == export.export_doses(paged / "doses.parquet", limit=limit)
        export.export_registry(paged / "registry.parquet")
        for name in ("registry.parquet", "doses.parquet"):
            assert pq.read_schema(copied / name).names == pq.read_schema(paged / name).names
            assert rows(copied / name) == rows(paged / name)
    assert count == 50 and len(rows(copied / "registry.parquet")) == registry_admin().count()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two writers are PostgreSQL's")
def test_two_writers_leave_what_one_leaves(committed_places, generated, monkeypatch):
    """Outside a transaction a PostgreSQL run writes each chunk in two parts at once, on
    two connections; the run ends as a run with one writer does."""
    _out, truth = generated
    recorded = Dose.objects.count()
    threads = set()
    write = batch.write_prepared

    def spy(chunk, **kwargs):
        threads.add(threading.get_ident())
        return write(chunk, **kwargs)

    monkeypatch.setattr(batch, "write_prepared", spy)
    call_command("clean", train=True, today=TODAY, chunk=300, stdout=StringIO(), verbosity=0)
    assert len(threads) == 2
    _check_run(truth, recorded)


def test_run_registry_answers_by_either_id_with_or_without_its_indexes():
    import duckdb

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE registry_raw AS SELECT * FROM (VALUES"
        " ('001090000001', '012345678', 'Lê Văn A', '1990-01-01', 'M', '00001', 'h1', ''),"
        " ('001090000002', '', 'Lê Thị B', '1991', 'F', '00001', 'h1', '0912345678'))"
        " t(citizen_id, old_id, full_name, birth_date, sex, ward_code, household_id, phone)"
    )
    for indexed in (False, True):
        if indexed:
            batch.index_registry(con)
        found = batch.RegistryFromRun(con)(["012345678", "001090000002", "0'1", ""])
        assert sorted(found) == ["001090000002", "012345678"]
        assert found["012345678"].citizen_id == "001090000001"
        assert found["001090000002"].phone == "0912345678"
    assert batch.RegistryFromRun(con)([]) == {}

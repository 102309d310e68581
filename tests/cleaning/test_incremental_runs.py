"""Incremental runs: a newly recorded dose is cleaned in the background within seconds,
whatever wrote it; with a saved model, stage 2 links what the ID could not."""

import csv
from datetime import date

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from vaxpass.cleaning import hooks
from vaxpass.cleaning.incremental import clean_pending, pending_doses
from vaxpass.cleaning.models import CleaningDecision, CleaningRun, Outcome
from vaxpass.cleaning.tasks import clean_new_doses
from vaxpass.records.models import Dose, DoseStatus

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 1)


def _jobs() -> int:
    return DBTaskResult.objects.filter(
        status="READY", task_path=clean_new_doses.module_path
    ).count()


def test_recording_a_dose_enqueues_one_cleaning_job(town, record,
                                                    django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        record(name=town.far.full_name, birth="08/07/1980", citizen_id=town.far.citizen_id)
    with django_capture_on_commit_callbacks(execute=True):
        record(name=town.son.full_name, birth="20/11/1990", citizen_id=town.son.citizen_id)
    assert _jobs() == 1  # the waiting job will see both
    assert clean_new_doses.call() == 2
    assert not pending_doses().exists()
    assert Dose.objects.filter(status=DoseStatus.VERIFIED).count() == 2


def test_doses_written_without_signals_are_found_by_the_sweep(client, personas, town, record,
                                                             django_capture_on_commit_callbacks):  # fmt: skip
    # Recorded outside captured commits: its own trigger never runs, as for a bulk insert
    # (the batch API, an import), which sends no signal at all.
    dose = record(name=town.far.full_name, birth="08/07/1980", citizen_id=town.far.citizen_id)
    assert _jobs() == 0
    hooks._last_sweep[0] = 0.0
    client.force_login(personas.staff_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/")
    assert _jobs() == 1
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/")  # within SWEEP_SECONDS: no second look, no second job
    assert _jobs() == 1
    clean_new_doses.call()
    dose.refresh_from_db()
    assert dose.status == DoseStatus.VERIFIED


def test_a_failing_dose_does_not_hold_up_the_others(town, record, monkeypatch):
    from vaxpass.cleaning import incremental

    good = record(name=town.far.full_name, birth="08/07/1980", citizen_id=town.far.citizen_id)
    bad = record(name=town.son.full_name, birth="20/11/1990", citizen_id=town.son.citizen_id)
    real = incremental.decide

    def decide(doses, **kwargs):
        if any(d.pk == bad.pk for d in doses):
            raise RuntimeError("registry timeout")
        return real(doses, **kwargs)

    monkeypatch.setattr(incremental, "decide", decide)
    assert clean_new_doses.call() == 1  # and the job ends instead of retrying forever
    assert CleaningDecision.objects.filter(dose=good, current=True).exists()
    assert list(pending_doses()) == [bad]


@pytest.fixture
def trained_model(tmp_path, settings):
    """Generated data loaded in the app, and a stage-2 model trained on the same files."""
    from vaxpass.linkage.model import ModelStore
    from vaxpass.linkage.pipeline import BatchRun
    from vaxpass.linkage.synthetic import convert
    from vaxpass.synth.generator import national_wards

    settings.CLEANING_MODELS_DIR = tmp_path / "models"
    out = tmp_path / "generated"
    call_command("generate", people=400, seed=7, provinces="01,79", out=str(out), load=True,
                 verbosity=0)  # fmt: skip
    wards = national_wards(["01", "79"])
    registry, doses = convert(out, out / "contract", {w.code: (w.current_code, w.province_code)
                                                      for w in wards})  # fmt: skip
    run = BatchRun(today=TODAY, threads=2)
    run.load_files(registry, doses)
    model = ModelStore(settings.CLEANING_MODELS_DIR).save(run.train(sample_doses=3000, u_pairs=2e5))
    with open(out / "truth.csv", newline="", encoding="utf-8") as handle:
        truth = {row["record_id"]: row for row in csv.DictReader(handle)}
    return model, truth


def test_incremental_run_with_a_saved_model_links_by_stage_two(trained_model):
    model, truth = trained_model
    claimed = 0
    while True:
        n, _written = clean_pending(limit=500, today=TODAY)
        if n == 0:
            break
        claimed += n
    assert claimed == Dose.objects.count()
    assert {r.model_version for r in CleaningRun.objects.all()} == {model.version}
    linked = CleaningDecision.objects.filter(current=True, decision=Outcome.LINKED)
    assert linked.exists()
    assert all(d.stage == 2 and d.probability >= 0.999 for d in linked)
    for dose in Dose.objects.exclude(registry_id=""):
        assert truth[dose.idempotency_key.removeprefix("synth:")]["citizen_id"] == dose.registry_id

"""Incremental runs: newly recorded or imported doses, cleaned in the background within
seconds of being stored.

A run claims the recorded doses without a current decision, in id order, a chunk at a
time: whatever wrote them (a page, the API, a bulk import that sends no signals), they
are found. The engine's ``IncrementalCleaner`` decides them with the newest saved model
(``vaxpass clean --train`` saves one); with no model yet, stage 1 only: what the ID
settles is applied, the rest goes to review with the registry people of the same name
and birth date as unscored candidates (reason ``no_model``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from vaxpass.adapters.registry import PopulationRegistry, RegistryPerson
from vaxpass.cleaning.captured import captured_identities
from vaxpass.cleaning.models import (
    CleaningDecision,
    CleaningRun,
    Method,
    RunKind,
    RunStatus,
)
from vaxpass.cleaning.reasons import AppReason
from vaxpass.cleaning.routing import CurrentWards
from vaxpass.cleaning.services import WriteResult
from vaxpass.cleaning.setwrite import write_engine_decisions
from vaxpass.core.matching import (
    NATIONAL,
    CapturedIdentity,
    Decision,
    DoseDecision,
    Policy,
    Reason,
    corrections_for,
    decide_by_id,
)
from vaxpass.core.matching.forms import date_forms
from vaxpass.core.matching.merges import LinkedDose, merge_proposals
from vaxpass.core.matching.stage1 import lookup_id
from vaxpass.linkage.incremental import IncrementalCleaner, registered
from vaxpass.linkage.model import Model, ModelStore
from vaxpass.records.models import Dose, DoseStatus
from vaxpass.records.registry import get_registry

log = logging.getLogger(__name__)
CHUNK = 200


def models_dir() -> Path:
    return Path(getattr(settings, "CLEANING_MODELS_DIR", None) or settings.DATA_DIR / "models")


@lru_cache(maxsize=4)
def _model_at(path: str, mtime_ns: int) -> Model | None:
    return ModelStore(path).latest()


def latest_model() -> Model | None:
    """The newest saved stage-2 model, read again only when the models directory changes."""
    directory = models_dir()
    if not directory.exists():
        return None
    return _model_at(str(directory), directory.stat().st_mtime_ns)


def pending_doses() -> QuerySet[Dose]:
    """Recorded doses without a current decision."""
    decided = CleaningDecision.objects.filter(dose=OuterRef("pk"), current=True)
    return Dose.objects.filter(status=DoseStatus.RECORDED).exclude(Exists(decided))


def _registry_size(registry: PopulationRegistry, model: Model) -> int:
    count = getattr(registry, "count", None)
    if count is not None:
        return int(count())
    return int(model.trained_on.get("registry_people", 1_000_000))


def stage1_only(
    registry: PopulationRegistry,
    doses: Mapping[str, CapturedIdentity],
    *,
    policy: Policy = NATIONAL,
    today: date,
) -> tuple[list[DoseDecision], dict[str, list[RegistryPerson]]]:
    """Decisions by ID alone, and for the doses sent to review the registry people of the
    same name and birth date (or birth year) the adapter finds."""
    keys = {dose_id: lookup_id(c, today)[0] for dose_id, c in doses.items()}
    asked = sorted({k for k in keys.values() if k})
    holders: dict[str, RegistryPerson] = {}
    for person in registry.get_many(asked).values():
        for key in (person.citizen_id, person.old_id_number):
            if key in asked:
                holders[key] = person
    decisions, searched = [], {}
    for dose_id, captured in doses.items():
        holder = holders.get(keys[dose_id] or "")
        person = registered(holder) if holder else None
        stage1 = decide_by_id(captured, person, today=today)
        if policy.after_stage1(stage1) is not None:
            decision = policy.settle(dose_id, stage1)
            if decision.citizen_id and person is not None:
                decision = replace(decision, corrections=corrections_for(captured, person))
            decisions.append(decision)
            continue
        decisions.append(
            DoseDecision(
                dose_id,
                Decision.REVIEW,
                None,
                None,
                (*stage1.reasons, AppReason.NO_MODEL),
                2,
                policy_version=policy.label,
            )
        )
        searched[dose_id] = _search(registry, captured, today, policy.candidates_kept)
    return decisions, searched


def _search(registry, captured: CapturedIdentity, today: date, limit: int) -> list[RegistryPerson]:
    birth = date_forms(captured.birth_date, today)
    if not captured.full_name.strip() or birth.year is None:
        return []
    found = registry.search(name=captured.full_name, birth_date=birth.iso, limit=limit)
    if not found:
        found = registry.search(name=captured.full_name, birth_date=str(birth.year), limit=limit)
    return found


def _with_merges(decisions: list[DoseDecision], doses: Sequence[Dose]) -> list[DoseDecision]:
    """Doses of the same person and day at two sites, among these and the doses already
    linked to the same people (the engine's rule, core.matching.merges)."""
    visits = {str(d.pk): (d.given_on.isoformat(), d.facility.code) for d in doses}
    linked = [
        LinkedDose(d.dose_id, d.citizen_id, *visits[d.dose_id]) for d in decisions if d.citizen_id
    ]
    if not linked:
        return decisions
    known = [
        LinkedDose(str(pk), cid, given_on.isoformat(), code)
        for pk, cid, given_on, code in Dose.objects.filter(
            registry_id__in={d.citizen_id for d in linked}
        )
        .exclude(pk__in=[int(d.dose_id) for d in linked])
        .values_list("pk", "registry_id", "given_on", "facility__code")
    ]
    proposals = merge_proposals([*linked, *known])
    return [
        replace(d, merge_with=proposals[d.dose_id], reasons=(*d.reasons, Reason.DUPLICATE_DOSE))
        if d.dose_id in proposals
        else d
        for d in decisions
    ]


def decide(
    doses: Sequence[Dose],
    *,
    registry: PopulationRegistry,
    model: Model | None,
    policy: Policy = NATIONAL,
    today: date,
) -> tuple[list[DoseDecision], dict[str, list[RegistryPerson]]]:
    captured = captured_identities(doses, CurrentWards())
    if model is None:
        decisions, searched = stage1_only(registry, captured, policy=policy, today=today)
    else:
        size = _registry_size(registry, model)
        cleaner = IncrementalCleaner(
            registry, model, registry_size=size, policy=policy, today=today
        )
        decisions, searched = cleaner.decide(captured), {}
    return _with_merges(decisions, doses), searched


def clean_pending(
    *, limit: int = CHUNK, policy: Policy = NATIONAL, today: date | None = None
) -> tuple[int, WriteResult]:
    """Clean the first ``limit`` pending doses; returns (doses claimed, what was written).
    A dose the engine fails on is logged and left pending; the others go on."""
    today = today or timezone.localdate()
    ids = list(pending_doses().order_by("pk").values_list("pk", flat=True)[:limit])
    if not ids:
        return 0, WriteResult()
    doses = list(Dose.objects.filter(pk__in=ids).select_related("facility").order_by("pk"))
    registry = get_registry()
    model = latest_model()
    run = CleaningRun.objects.create(
        kind=RunKind.INCREMENTAL,
        policy_version=policy.label,
        model_version=model.version if model else "",
        doses_total=len(doses),
    )
    result = WriteResult()

    def attempt(batch: list[Dose]) -> None:
        decisions, searched = decide(
            batch, registry=registry, model=model, policy=policy, today=today
        )
        result.add(
            write_engine_decisions(
                decisions,
                run=run,
                method=Method.INCREMENTAL,
                lookup=registry.get_many,
                searched=searched,
                today=today,
            )
        )

    try:
        attempt(doses)
    except Exception:
        log.exception("cleaning %s doses failed; trying them one by one", len(doses))
        for dose in doses:
            try:
                attempt([dose])
            except Exception:
                log.exception("cleaning dose %s failed; it stays pending", dose.pk)
    run.status = RunStatus.DONE
    run.finished_at = timezone.now()
    run.doses_done = result.applied
    run.doses_skipped = result.skipped
    run.decisions = dict(result.decisions)
    run.reasons = dict(result.reasons)
    run.save()
    return len(ids), result

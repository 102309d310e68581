"""Incremental cleaning: decide a handful of newly recorded doses within seconds.

    cleaner = IncrementalCleaner(registry, load_model(path), registry_size=registry.count())
    decisions = cleaner.decide({"D123": CapturedIdentity(citizen_id=..., ...)})

Pure Python over the ``PopulationRegistry`` adapter: ``get_many`` fetches the holders of
the typed IDs (stage 1, the same rules as the batch), ``search`` finds stage-2
candidates (same name, with the birth date, its swapped form or the ward), and the saved
model's parameters score them (vaxpass.core.matching.scoring). Nothing is trained.

What the adapter cannot give, the scoring does without, which only makes it more careful
than the batch: ``search`` finds names equal up to diacritics and case (not typos), and
households are not looked up, so the "household phone" level never fires.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date

from vaxpass.adapters.registry import PopulationRegistry, RegistryPerson
from vaxpass.core.matching import forms
from vaxpass.core.matching.comparisons import BIRTH_DATE, COMPARISONS, NAME
from vaxpass.core.matching.decisions import Candidate, DoseDecision, corrections_for
from vaxpass.core.matching.merges import LinkedDose, merge_proposals
from vaxpass.core.matching.policy import NATIONAL, Policy
from vaxpass.core.matching.reasons import Reason
from vaxpass.core.matching.records import dose_record, person_record
from vaxpass.core.matching.scoring import score
from vaxpass.core.matching.stage1 import (
    STAGE2_OUTCOMES,
    CapturedIdentity,
    RegisteredIdentity,
    decide_by_id,
    lookup_id,
)
from vaxpass.linkage.model import Model

_BIRTH, _NAME = COMPARISONS.index(BIRTH_DATE), COMPARISONS.index(NAME)


def registered(person: RegistryPerson) -> RegisteredIdentity:
    return RegisteredIdentity(
        citizen_id=person.citizen_id,
        old_id=person.old_id_number,
        full_name=person.full_name,
        birth_date=person.birth_date,
        sex=person.sex,
        phone=person.phone,
        ward_code=person.ward_code,
        household_id=person.household_id,
    )


class IncrementalCleaner:
    def __init__(
        self,
        registry: PopulationRegistry,
        model: Model,
        *,
        registry_size: int,
        policy: Policy = NATIONAL,
        today: date | None = None,
        search_limit: int = 20,
    ):
        self.registry = registry
        self.model = model
        self.parameters = model.parameters(registry_size)
        self.policy = policy
        self.today = today or date.today()
        self.search_limit = search_limit

    def decide(
        self,
        doses: Mapping[str, CapturedIdentity],
        *,
        visits: Mapping[str, tuple[str, str]] | None = None,
        known: Iterable[LinkedDose] = (),
    ) -> list[DoseDecision]:
        """One decision per dose (dose_id -> identity as captured), in the given order.

        With ``visits`` (dose_id -> (dose_date, facility_code)) doses of the same person
        and day at another site, among these and the ``known`` linked doses the caller
        holds, are proposed for merging (``merge_with``, reason ``duplicate_dose``).
        """
        decisions = self._decide(doses)
        return _with_merges(decisions, visits, known) if visits else decisions

    def _decide(self, doses: Mapping[str, CapturedIdentity]) -> list[DoseDecision]:
        wanted = {dose_id: lookup_id(c, self.today)[0] for dose_id, c in doses.items()}
        asked = {v for v in wanted.values() if v}
        holders: dict[str, RegistryPerson] = {}
        # Index each person by both their IDs: SqlRegistry.get_many keys a person once
        # even when their 12-digit and 9-digit IDs were both asked for.
        for person in self.registry.get_many(sorted(asked)).values():
            for key in (person.citizen_id, person.old_id_number):
                if key in asked:
                    holders[key] = person
        out = []
        for dose_id, captured in doses.items():
            holder = holders.get(wanted[dose_id] or "")
            person = registered(holder) if holder else None
            stage1 = decide_by_id(captured, person, today=self.today)
            candidates: list[Candidate] = []
            found: dict[str, RegisteredIdentity] = {}
            if stage1.outcome in STAGE2_OUTCOMES:
                found = self._candidates(captured, person)
                candidates = self._score(dose_id, captured, found)
            decision = self.policy.settle(
                dose_id, stage1, candidates, model_version=self.model.version
            )
            linked = person if decision.stage == 1 else found.get(decision.citizen_id or "")
            if decision.citizen_id and linked is not None:
                decision = _with_corrections(decision, captured, linked)
            out.append(decision)
        return out

    def _candidates(
        self, captured: CapturedIdentity, holder: RegisteredIdentity | None
    ) -> dict[str, RegisteredIdentity]:
        name = captured.full_name
        found: dict[str, RegisteredIdentity] = {}
        if holder is not None:
            found[holder.citizen_id] = holder
        if not forms.name_forms(name).key:
            return found
        birth = forms.date_forms(captured.birth_date, self.today)
        searches: list[dict[str, str | None]] = []
        if birth.iso:
            searches.append({"birth_date": birth.iso})
            if birth.month is not None and birth.day is not None and birth.month != birth.day:
                if birth.day <= 12:
                    searches.append(
                        {"birth_date": f"{birth.year:04d}-{birth.day:02d}-{birth.month:02d}"}
                    )
            searches.append({"birth_date": f"{birth.year:04d}"})
        if captured.ward_code:
            searches.append({"ward_code": captured.ward_code})
        for criteria in searches:
            for person in self.registry.search(name=name, limit=self.search_limit, **criteria):
                found.setdefault(person.citizen_id, registered(person))
        return found

    def _score(
        self, dose_id: str, captured: CapturedIdentity, found: Mapping[str, RegisteredIdentity]
    ) -> list[Candidate]:
        record = dose_record(dose_id, captured, today=self.today)
        out = []
        for person in found.values():
            s = score(
                self.parameters,
                record,
                person_record(person, today=self.today),
                self.model.term_frequencies,
            )
            out.append(
                Candidate(
                    person.citizen_id,
                    s.probability,
                    s.match_weight,
                    s.levels[_BIRTH],
                    s.levels[_NAME],
                )
            )
        return out


def _with_corrections(
    decision: DoseDecision, captured: CapturedIdentity, person: RegisteredIdentity
) -> DoseDecision:
    return replace(decision, corrections=corrections_for(captured, person))


def _with_merges(
    decisions: list[DoseDecision],
    visits: Mapping[str, tuple[str, str]],
    known: Iterable[LinkedDose],
) -> list[DoseDecision]:
    linked = [
        LinkedDose(d.dose_id, d.citizen_id, *visits[d.dose_id])
        for d in decisions
        if d.citizen_id and d.dose_id in visits
    ]
    proposals = merge_proposals([*linked, *known])
    return [
        replace(d, merge_with=proposals[d.dose_id], reasons=(*d.reasons, Reason.DUPLICATE_DOSE))
        if d.dose_id in proposals
        else d
        for d in decisions
    ]

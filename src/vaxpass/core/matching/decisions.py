"""What cleaning decides about one dose, the same type for batch and incremental runs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from vaxpass.core.matching.forms import sex_form
from vaxpass.core.matching.stage1 import CapturedIdentity, RegisteredIdentity


class Decision(StrEnum):
    VERIFIED = "verified"  # the captured identity agrees with the registry person's
    CORRECTED = "corrected"  # linked by ID; the captured identity is aligned to the registry
    LINKED = "linked"  # linked by probabilistic matching (stage 2)
    REVIEW = "review"  # a person must decide (ward health station or ward police)
    NOT_FOUND = "not_found"  # nobody in the registry fits

    @property
    def links(self) -> bool:
        return self in (Decision.VERIFIED, Decision.CORRECTED, Decision.LINKED)


@dataclass(frozen=True)
class Correction:
    """One field to align: the captured value is kept next to the registry's, so the
    correction can be shown, audited and undone."""

    field: str  # "citizen_id", "full_name", "birth_date", "sex"
    captured: str
    registry: str


@dataclass(frozen=True)
class Candidate:
    """A registry person stage 2 proposes, with the model's score."""

    citizen_id: str
    probability: float
    match_weight: float
    birth_date_level: str | None = None  # the pair's levels (labels of comparisons.py)
    name_level: str | None = None


@dataclass(frozen=True)
class DoseDecision:
    dose_id: str
    decision: Decision
    citizen_id: str | None  # the linked person (verified, corrected, linked)
    probability: float | None  # stage 2's probability of the best candidate
    reasons: tuple[str, ...]  # Reason codes, stage 1 first
    stage: int  # 1: decided by ID; 2: by probabilistic matching
    candidate_id: str | None = None  # for review: the person proposed (ID holder or best)
    candidates: tuple[Candidate, ...] = ()  # stage 2's, best first, for the review pages
    corrections: tuple[Correction, ...] = ()
    merge_with: tuple[str, ...] = ()  # dose_ids of the same person and day elsewhere
    policy_version: str = ""
    model_version: str = ""

    @property
    def automatic(self) -> bool:
        return self.decision is not Decision.REVIEW


def corrections_for(
    captured: CapturedIdentity, person: RegisteredIdentity
) -> tuple[Correction, ...]:
    """The fields whose captured value differs from the registry's, as a correction would
    align them. A registry birth date that holds only the year, or an empty registry
    field, leaves the captured value alone."""
    out: list[Correction] = []
    if captured.citizen_id != person.citizen_id:
        out.append(Correction("citizen_id", captured.citizen_id, person.citizen_id))
    if person.full_name and captured.full_name != person.full_name:
        out.append(Correction("full_name", captured.full_name, person.full_name))
    registry_date = person.birth_date
    if registry_date and captured.birth_date != registry_date and len(registry_date) == 10:
        out.append(Correction("birth_date", captured.birth_date, registry_date))
    if person.sex and sex_form(captured.sex) != person.sex:
        out.append(Correction("sex", captured.sex, person.sex))
    return tuple(out)

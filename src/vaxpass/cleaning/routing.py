"""Which queue and which ward a review item belongs to.

Queue:
- ``police``, the ward police, when the question is which of several people the dose is
  about: the typed ID belongs to someone else (most often a relative), or probabilistic
  matching found candidates too alike to choose between (two close candidates, or the
  best one's birth date is another's: a relative of the same name). The police hold the
  residence and household records of the ward.
- ``station``, the ward health station, otherwise: the ID was right but the policy keeps
  the correction for a person (stage 1), or the record has no usable ID (missing,
  malformed, nobody holds it) and the best candidate is not certain enough. The station
  has the vaccinee's phone number and its own register, so it can ask for the real ID.
Either queue can send an item to the other (the ward stays).

Ward (current structure, the one people and staff use today): the registered ward of
the best candidate in the registry; else the dose's captured ward (a 2021 ward is taken
to the current ward most of it went to); else the ward of the dose's person; else the
ward of the facility that gave the dose.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from vaxpass.cleaning.models import Queue
from vaxpass.core.matching import Reason
from vaxpass.places.models import Division, Era, Level, WardSuccession


class CurrentWards:
    """Current-structure wards by code, and any ward (either era) to its current ward.
    Loaded on demand, for the divisions asked about."""

    def __init__(self) -> None:
        self._by_code: dict[str, int | None] = {}
        self._current_of: dict[int, int | None] = {}
        self._codes: dict[int, tuple[str, str]] = {}

    def by_codes(self, codes: Iterable[str]) -> dict[str, int | None]:
        wanted = {c for c in codes if c and c not in self._by_code}
        if wanted:
            found = dict(
                Division.objects.filter(
                    era=Era.CURRENT, level=Level.WARD, code__in=wanted
                ).values_list("code", "id")
            )
            for code in wanted:
                self._by_code[code] = found.get(code)
        return self._by_code

    def current_of(self, division_ids: Iterable[int | None]) -> dict[int, int | None]:
        wanted = {d for d in division_ids if d and d not in self._current_of}
        if wanted:
            eras = dict(Division.objects.filter(pk__in=wanted).values_list("id", "era"))
            legacy = [d for d in wanted if eras.get(d) == Era.LEGACY]
            successors: dict[int, int] = {}
            for legacy_id, current_id in (
                WardSuccession.objects.filter(legacy_ward_id__in=legacy)
                .order_by("legacy_ward_id", "-is_default", "current_ward_id")
                .values_list("legacy_ward_id", "current_ward_id")
            ):
                successors.setdefault(legacy_id, current_id)
            for division in wanted:
                era = eras.get(division)
                self._current_of[division] = (
                    division if era == Era.CURRENT else successors.get(division)
                )
        return self._current_of

    def codes(self, current_ids: Iterable[int | None]) -> dict[int, tuple[str, str]]:
        """Current ward id -> (its code, its province's code)."""
        wanted = {d for d in current_ids if d and d not in self._codes}
        if wanted:
            for pk, code, province in Division.objects.filter(pk__in=wanted).values_list(
                "id", "code", "province__code"
            ):
                self._codes[pk] = (code, province or "")
        return self._codes


# Reasons that make an item a question about who, among people of a household or
# namesakes, the dose is about: the ward police's.
POLICE_REASONS = frozenset(
    {Reason.ID_OF_OTHER_PERSON, Reason.AMBIGUOUS_CANDIDATES, Reason.CANDIDATE_BIRTH_DATE_DIFFERS}
)


def queue_for(stage: int, reasons: Iterable[str], candidates: Sequence[Mapping]) -> str:
    if stage != 1 and candidates and POLICE_REASONS.intersection(reasons):
        return Queue.POLICE
    return Queue.STATION


def ward_for(
    candidates: Sequence[Mapping],
    *,
    captured_ward_id: int | None,
    person_ward_id: int | None,
    facility_ward_id: int | None,
    wards: CurrentWards,
) -> int | None:
    """The ward an item belongs to (see the module's docstring)."""
    if candidates:
        code = (candidates[0].get("registry") or {}).get("ward_code", "")
        ward = wards.by_codes([code]).get(code) if code else None
        if ward:
            return ward
    current = wards.current_of([captured_ward_id, person_ward_id, facility_ward_id])
    for division in (captured_ward_id, person_ward_id, facility_ward_id):
        if division and current.get(division):
            return current[division]
    return None

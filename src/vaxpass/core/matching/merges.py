"""Doses of the same person on the same day at two sites: proposed for merging.

The batch finds them in SQL (vaxpass.linkage.pipeline); this is the same rule for the
incremental path, where the app passes the new doses' links together with the person's
doses it already holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class LinkedDose:
    dose_id: str
    citizen_id: str  # the person it is linked to
    dose_date: str  # ISO day
    facility_code: str


def merge_proposals(doses: Iterable[LinkedDose]) -> dict[str, tuple[str, ...]]:
    """For each dose that has one, the other doses (sorted) of the same person and day
    recorded at another facility."""
    by_day: dict[tuple[str, str], list[LinkedDose]] = defaultdict(list)
    for dose in doses:
        if dose.citizen_id and dose.dose_date:
            by_day[(dose.citizen_id, dose.dose_date)].append(dose)
    out: dict[str, tuple[str, ...]] = {}
    for group in by_day.values():
        for dose in group:
            others = sorted(
                o.dose_id
                for o in group
                if o.dose_id != dose.dose_id and o.facility_code != dose.facility_code
            )
            if others:
                out[dose.dose_id] = tuple(others)
    return out

"""A dose's identity as captured, in the engine's form (vaxpass.core.matching).

The registry holds wards of the current structure; a dose captured in a 2021 ward is
compared through the current ward most of that ward went to.
"""

from __future__ import annotations

from collections.abc import Iterable

from vaxpass.cleaning.routing import CurrentWards
from vaxpass.core.matching import CapturedIdentity
from vaxpass.records.models import Dose

# Fields of a Dose the engine reads (for .only() and .values()).
DOSE_FIELDS = (
    "id",
    "captured_citizen_id",
    "captured_name",
    "captured_birth_date",
    "captured_sex",
    "captured_phone",
    "captured_ward_id",
)


def ward_codes(ward_ids: Iterable[int | None], wards: CurrentWards) -> dict[int, tuple[str, str]]:
    """Captured ward id (either era) -> (current ward code, province code)."""
    ids = [w for w in ward_ids if w]
    current = wards.current_of(ids)
    codes = wards.codes(current.values())
    return {w: codes[current[w]] for w in ids if current.get(w) in codes}


def captured_identity(dose: Dose, codes: dict[int, tuple[str, str]]) -> CapturedIdentity:
    ward, province = codes.get(dose.captured_ward_id or 0, ("", ""))
    return CapturedIdentity(
        citizen_id=dose.captured_citizen_id,
        full_name=dose.captured_name,
        birth_date=dose.captured_birth_date,
        sex=dose.captured_sex,
        phone=dose.captured_phone,
        province_code=province,
        ward_code=ward,
    )


def captured_identities(doses: Iterable[Dose], wards: CurrentWards) -> dict[str, CapturedIdentity]:
    doses = list(doses)
    codes = ward_codes({d.captured_ward_id for d in doses}, wards)
    return {str(d.pk): captured_identity(d, codes) for d in doses}

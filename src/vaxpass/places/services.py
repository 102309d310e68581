"""Places services: location paths, facility registry changes."""

from django.db import transaction
from django.db.models import Q, QuerySet

from vaxpass.places.models import (
    FIELD_KINDS,
    Division,
    Era,
    Facility,
    FacilityKind,
    Level,
    WardSuccession,
)


class PlaceError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def location_path(ward: Division | None) -> dict[str, Division | None]:
    path: dict[str, Division | None] = dict.fromkeys(
        ["legacy_ward", "legacy_district", "legacy_province", "current_ward", "current_province"]
    )
    if ward is None:
        return path
    if ward.level != Level.WARD:
        raise PlaceError("ward", f"{ward} is a {ward.level}, not a ward")
    if ward.era == Era.LEGACY:
        successor = (
            WardSuccession.objects.filter(legacy_ward=ward)
            .order_by("-is_default", "current_ward_id")
            .select_related("current_ward")
            .first()
        )
        path.update(
            legacy_ward=ward,
            legacy_district=ward.parent,
            legacy_province=ward.province,
            current_ward=successor.current_ward if successor else None,
            current_province=ward.current_province,
        )
    else:
        path.update(current_ward=ward, current_province=ward.province)
    return path


def legacy_ward_paths() -> dict[str, dict[str, int | None]]:
    """For bulk loads: every legacy ward code -> the ids of its path in both eras, as
    the `*_id` attributes of a Located row (what `location_path` gives, for all wards in
    three queries instead of two per ward)."""
    successor = dict(
        WardSuccession.objects.filter(is_default=True).values_list(
            "legacy_ward_id", "current_ward_id"
        )
    )
    return {
        code: {
            "ward_id": pk,
            "legacy_ward_id": pk,
            "legacy_district_id": district,
            "legacy_province_id": province,
            "current_ward_id": successor.get(pk),
            "current_province_id": current_province,
        }
        for code, pk, district, province, current_province in Division.objects.filter(
            era=Era.LEGACY, level=Level.WARD
        ).values_list("code", "pk", "parent_id", "province_id", "current_province_id")
    }


def find_ward(code: str, era: str | None = None) -> Division | None:
    """A ward by official code. Codes repeat across the two structures with different
    meanings (legacy 00004 is Trúc Bạch, current 00004 is Ba Đình), so without an era the
    current structure, the one people and staff use today, is meant."""
    return Division.objects.filter(level=Level.WARD, code=code, era=era or Era.CURRENT).first()


def search_facilities(
    query: str, within_qs: QuerySet[Facility] | None = None
) -> QuerySet[Facility]:
    """Every facility, open or closed, official or added in the field, stays findable."""
    qs = within_qs if within_qs is not None else Facility.objects.all()
    query = query.strip()
    if query:
        qs = qs.filter(Q(code__iexact=query) | Q(name__icontains=query))
    return qs.select_related("ward", "parent").order_by("-active", "name")


@transaction.atomic
def add_field_site(
    *,
    actor,
    name: str,
    kind: str,
    ward: Division,
    parent: Facility | None = None,
    code: str | None = None,
) -> Facility:
    """A mobile team or temporary site added by staff in the field."""
    if kind not in FIELD_KINDS:
        raise PlaceError("kind", "only a mobile team or a temporary site can be added in the field")
    if kind == FacilityKind.MOBILE_TEAM and parent is None:
        raise PlaceError("parent", "a mobile team needs its parent facility")
    if not name.strip():
        raise PlaceError("name", "a name is required")
    site = Facility(name=name.strip(), kind=kind, parent=parent, official=False, created_by=actor)
    site.place_in(ward)
    site.code = code or _next_field_code(parent, ward)
    if Facility.objects.filter(code=site.code).exists():
        raise PlaceError("code", f"the code {site.code} is already used")
    site.save()
    return site


def _next_field_code(parent: Facility | None, ward: Division) -> str:
    stem = f"{parent.code if parent else 'W' + ward.code}-F"
    taken = Facility.objects.filter(code__startswith=stem).count()
    return f"{stem}{taken + 1:03d}"

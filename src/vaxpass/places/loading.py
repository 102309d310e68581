"""Load Vietnam's administrative divisions, both structures and the mapping between them,
from the maintained `vietnamadminunits` package (official GSO codes and names).

The package holds the three-level structure as it stood just before 1 July 2025 (63
provinces, 696 districts, 10,040 wards after the 2023-2024 ward mergers, so slightly fewer
wards than in 2021), the two-level structure since then (34 provinces, 3,321 wards), and
its converter's table of which legacy wards went to which current ward. Loading is
idempotent: divisions are matched on (era, level, code), names are updated in place, new
units are added, and nothing that facilities or people point to is deleted.
"""

from dataclasses import dataclass

from django.db import transaction

from vaxpass.adapters.adminunits import Source, read_source
from vaxpass.places.models import Division, Era, Level, WardSuccession


@dataclass
class LoadSummary:
    created: int = 0
    updated: int = 0
    successions: int = 0
    unmapped_legacy_wards: int = 0

    def __str__(self) -> str:
        return (
            f"{self.created} divisions created, {self.updated} updated, "
            f"{self.successions} ward successions, "
            f"{self.unmapped_legacy_wards} legacy wards without a successor in the source"
        )


@transaction.atomic
def load_places(progress=None) -> LoadSummary:
    """Load or refresh both structures and the successions between them."""
    source = read_source()
    units, successions = source.units, source.successions
    summary = LoadSummary()
    existing = {(d.era, d.level, d.code): d for d in Division.objects.all()}
    by_key: dict[tuple[str, str, str], Division] = dict(existing)

    for level in (Level.PROVINCE, Level.DISTRICT, Level.WARD):
        new, changed = [], []
        for unit in units:
            if unit.level != level:
                continue
            key = (unit.era, unit.level, unit.code)
            parent = by_key[unit.parent] if unit.parent else None
            division = existing.get(key)
            if division is None:
                division = Division(era=unit.era, level=unit.level, code=unit.code)
                new.append(division)
            elif (division.name, division.kind, division.parent_id) == (
                unit.name,
                unit.kind,
                parent and parent.pk,
            ):
                continue
            else:
                changed.append(division)
            division.name, division.kind, division.parent = unit.name, unit.kind, parent
            by_key[key] = division
        Division.objects.bulk_create(new, batch_size=2000)
        Division.objects.bulk_update(changed, ["name", "kind", "parent"], batch_size=2000)
        summary.created += len(new)
        summary.updated += len(changed)
        if progress:
            progress(f"{level}: {len(new)} created, {len(changed)} updated")

    # Successions are derived data nothing points to: replace them wholesale.
    WardSuccession.objects.all().delete()
    WardSuccession.objects.bulk_create(
        [
            WardSuccession(
                legacy_ward=by_key[(Era.LEGACY, Level.WARD, legacy)],
                current_ward=by_key[(Era.CURRENT, Level.WARD, current)],
                is_default=default,
            )
            for legacy, current, default in successions
        ],
        batch_size=2000,
    )
    summary.successions = len(successions)
    _ensure_one_default(successions)
    _fill_roll_ups(by_key, source)
    mapped = {legacy for legacy, _, _ in successions}
    summary.unmapped_legacy_wards = sum(
        1
        for (era, level, code) in by_key
        if era == Era.LEGACY and level == Level.WARD and code not in mapped
    )
    return summary


def _ensure_one_default(successions: list[tuple[str, str, bool]]) -> None:
    """Every legacy ward gets exactly one default successor: the source marks one for
    divided wards; a ward that went whole to one current ward has only that one."""
    defaults = {legacy for legacy, _, default in successions if default}
    missing = {legacy for legacy, _, _ in successions} - defaults
    if missing:
        first = (
            WardSuccession.objects.filter(
                legacy_ward__code__in=missing, legacy_ward__era=Era.LEGACY
            )
            .order_by("legacy_ward_id", "current_ward_id")
            .values_list("legacy_ward_id", "pk")
        )
        chosen: dict[int, int] = {}
        for legacy_id, pk in first:
            chosen.setdefault(legacy_id, pk)
        WardSuccession.objects.filter(pk__in=chosen.values()).update(is_default=True)


def _fill_roll_ups(by_key: dict[tuple[str, str, str], Division], source: Source) -> None:
    """Denormalise `province` (own era) and `current_province` (today's) on every unit."""
    current_of_legacy_province = {
        legacy: by_key[(Era.CURRENT, Level.PROVINCE, current)]
        for legacy, current in source.province_merges.items()
    }
    default_successor: dict[str, str] = {}
    for legacy, current, default in source.successions:
        if default or legacy not in default_successor:
            default_successor[legacy] = current
    changed = []
    for (era, level, code), division in by_key.items():
        if level == Level.PROVINCE:
            province = division
        elif level == Level.DISTRICT:
            province = division.parent
        else:
            province = division.parent if era == Era.CURRENT else division.parent.parent
        if era == Era.CURRENT:
            today = province
        elif level == Level.WARD and code in default_successor:
            today = by_key[(Era.CURRENT, Level.WARD, default_successor[code])].parent
        else:
            today = current_of_legacy_province.get(province.code)
        if division.province_id != province.pk or division.current_province_id != (
            today and today.pk
        ):
            division.province, division.current_province = province, today
            changed.append(division)
    Division.objects.bulk_update(changed, ["province", "current_province"], batch_size=2000)

"""Loading a facility list (the ~18,000 official sites and their mobile teams) from the
facility template: all or nothing per file, matched on the facility code, so loading the
same list again changes nothing and a corrected list updates names, kinds, wards and
parents in place. National administrators load any facility, province managers those of
their province."""

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from vaxpass.accounts.models import NATION_ROLES, Role, User
from vaxpass.core.dose_rows import CellIssue, match_header
from vaxpass.core.facility_rows import FACILITY_COLUMNS, FacilityRow, parse_facility_row
from vaxpass.core.i18n import gettext_noop
from vaxpass.imports.spreadsheets import read_table
from vaxpass.places.models import LOCATION_COLUMNS, Division, Era, Facility, Level
from vaxpass.places.services import location_path
from vaxpass.records.audit import acting_as, record_bulk
from vaxpass.records.bulk import insert_rows


@dataclass
class FacilityImport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[tuple[int, CellIssue]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def may_load_facilities(user: User) -> bool:
    return user.is_active and (
        user.role in NATION_ROLES - {Role.CENTRAL_SIGNER}
        or (user.role == Role.PROVINCE_MANAGER and user.division_id is not None)
    )


def _issue(column: str, code: str, template: str, **params) -> CellIssue:
    return CellIssue(column, code, template, params)


def import_facilities(user: User, path: str | Path) -> FacilityImport:
    result = FacilityImport()
    if not may_load_facilities(user):
        result.problems.append(
            (
                1,
                _issue(
                    "",
                    "not_allowed",
                    gettext_noop(
                        "Only national administrators and province managers load facility lists."
                    ),
                ),
            )
        )
        return result
    header, lines = read_table(path)
    match = match_header(header, FACILITY_COLUMNS)
    if any(i.severity == "error" for i in match.issues):
        result.problems += [(1, i) for i in match.issues]
        return result
    rows: list[FacilityRow] = []
    seen: dict[str, int] = {}
    for line, cells in lines:
        result.rows += 1
        values = {key: cells[i] if i < len(cells) else None for key, i in match.positions.items()}
        row, issues = parse_facility_row(line, values)
        result.problems += [(line, i) for i in issues]
        if row is None:
            continue
        if row.code in seen:
            result.problems.append(
                (
                    line,
                    _issue(
                        "code",
                        "duplicate_code",
                        gettext_noop("The code %(value)s is already on row %(line)s."),
                        value=row.code,
                        line=seen[row.code],
                    ),
                )
            )
            continue
        seen[row.code] = line
        rows.append(row)

    wards = {
        d.code: d
        for d in Division.objects.filter(
            era=Era.CURRENT, level=Level.WARD, code__in={r.ward_code for r in rows}
        )
    }
    existing = {
        f.code: f
        for f in Facility.objects.filter(code__in=set(seen) | {r.parent_code for r in rows})
    }
    area = None
    if user.role == Role.PROVINCE_MANAGER:
        area = (LOCATION_COLUMNS[(user.division.era, user.division.level)], user.division.pk)
    paths = {}
    for row in rows:
        ward = wards.get(row.ward_code)
        if ward is None:
            result.problems.append(
                (
                    row.line,
                    _issue(
                        "ward_code",
                        "unknown_ward",
                        gettext_noop("%(value)s is not the code of a current ward."),
                        value=row.ward_code,
                    ),
                )
            )
            continue
        paths[row.code] = {"ward": ward, **location_path(ward)}
        if row.parent_code and row.parent_code not in seen and row.parent_code not in existing:
            result.problems.append(
                (
                    row.line,
                    _issue(
                        "parent_code",
                        "unknown_parent",
                        gettext_noop("No facility has the code %(value)s."),
                        value=row.parent_code,
                    ),
                )
            )
        if area:
            column, pk = area
            outside = [
                f
                for f in (
                    paths[row.code].get(column),
                    getattr(existing.get(row.code), column, None),
                )
                if f is not None and f.pk != pk
            ]
            if paths[row.code].get(column) is None or outside:
                result.problems.append(
                    (
                        row.line,
                        _issue(
                            "ward_code",
                            "outside_area",
                            gettext_noop("%(value)s is outside your province."),
                            value=row.ward_code,
                        ),
                    )
                )
    if result.problems:
        return result
    _store(user, rows, paths, existing, result)
    return result


@transaction.atomic
def _store(
    user: User,
    rows: list[FacilityRow],
    paths,
    existing: dict[str, Facility],
    result: FacilityImport,
) -> None:
    """New facilities first (a row may name a new parent further down), then changes."""
    new = [row for row in rows if row.code not in existing]
    created = []
    for row in new:
        facility = Facility(
            code=row.code, name=row.name, kind=row.kind, official=True, created_by=user
        )
        for column, value in paths[row.code].items():
            setattr(facility, column, value)
        created.append(facility)
        existing[row.code] = facility
    insert_rows(created)
    for facility, row in zip(created, new, strict=True):
        facility.parent = existing[row.parent_code] if row.parent_code else None
    Facility.objects.bulk_update(
        [f for f in created if f.parent is not None], ["parent"], batch_size=2000
    )
    record_bulk(created, actor=user)
    result.created = len(created)
    new_codes = {row.code for row in new}
    with acting_as(user):
        for row in rows:
            if row.code in new_codes:
                continue
            facility = existing[row.code]
            parent = existing[row.parent_code] if row.parent_code else None
            wanted = (row.name, row.kind, paths[row.code]["ward"].pk, parent.pk if parent else None)
            if (facility.name, facility.kind, facility.ward_id, facility.parent_id) == wanted:
                result.unchanged += 1
                continue
            facility.name, facility.kind, facility.parent = row.name, row.kind, parent
            for column, value in paths[row.code].items():
                setattr(facility, column, value)
            facility.save()  # audited by the model signals
            result.updated += 1

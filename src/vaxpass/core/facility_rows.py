"""Rows of a facility-list import: the columns of the template and the checks of one row.
Whether codes, wards and parents exist is checked in the service layer."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from vaxpass.core.dose_rows import CellIssue, Column, cell_text
from vaxpass.core.i18n import gettext_noop as _
from vaxpass.core.identity import name_key

FACILITY_COLUMNS: tuple[Column, ...] = (
    Column("code", "Mã cơ sở", "Code", True, "mã duy nhất, chữ và số", "unique code, letters and digits"),
    Column("name", "Tên cơ sở", "Name", True, "", ""),
    Column("kind", "Loại hình", "Kind", True, "chọn trong danh sách", "pick from the list"),
    Column("ward_code", "Mã phường/xã", "Ward code", True, "mã 5 số (danh mục hiện hành)",
           "5-digit code (current list)"),
    Column("parent_code", "Mã cơ sở chủ quản", "Parent facility code", False,
           "bắt buộc với đội tiêm lưu động", "required for mobile teams"),
)  # fmt: skip

# Kind codes (as places.models.FacilityKind) with the names people type for them.
KINDS: dict[str, tuple[str, ...]] = {
    "hospital": ("Bệnh viện", "hospital", "bệnh viện", "trung tâm y tế", "bv", "ttyt"),
    "station": ("Trạm Y tế", "ward health station", "trạm y tế", "tyt", "station"),
    "clinic": ("Phòng khám", "private clinic", "phòng khám", "clinic", "pk"),
    "mobile": ("Đội tiêm lưu động", "mobile team", "đội tiêm lưu động", "lưu động", "mobile"),
    "temporary": ("Điểm tiêm tạm thời", "temporary site", "điểm tiêm", "tạm thời", "temporary"),
}
_KIND_KEYS = {
    name_key(alias): code for code, aliases in KINDS.items() for alias in (code, *aliases)
}


@dataclass(frozen=True)
class FacilityRow:
    line: int
    code: str
    name: str
    kind: str
    ward_code: str
    parent_code: str


def parse_facility_row(
    line: int, cells: Mapping[str, object]
) -> tuple[FacilityRow | None, list[CellIssue]]:
    value = {c.key: cell_text(cells.get(c.key)) for c in FACILITY_COLUMNS}
    issues: list[CellIssue] = []
    for column in FACILITY_COLUMNS:
        if column.required and not value[column.key]:
            issues.append(
                CellIssue(
                    column.key, "required", _("%(column)s is required."), {"column": column.vi}
                )
            )
    code = value["code"].upper()
    if code and not re.fullmatch(r"[A-Z0-9][A-Z0-9._-]{0,19}", code):
        issues.append(
            CellIssue(
                "code",
                "invalid_code",
                _("%(value)s is not a facility code (letters, digits, - . _; 20 at most)."),
                {"value": value["code"]},
            )
        )
    kind = _KIND_KEYS.get(name_key(value["kind"]), "") if value["kind"] else ""
    if value["kind"] and not kind:
        issues.append(
            CellIssue(
                "kind",
                "unknown_kind",
                _("%(value)s is not a kind of facility on the list."),
                {"value": value["kind"]},
            )
        )
    ward = value["ward_code"].zfill(5) if value["ward_code"].isdigit() else value["ward_code"]
    if ward and not (ward.isdigit() and len(ward) == 5):
        issues.append(
            CellIssue(
                "ward_code",
                "invalid_ward_code",
                _("%(value)s is not a 5-digit ward code."),
                {"value": value["ward_code"]},
            )
        )
    parent = value["parent_code"].upper()
    if kind == "mobile" and not parent:
        issues.append(
            CellIssue(
                "parent_code",
                "parent_required",
                _("A mobile team needs the code of the facility it belongs to."),
            )
        )
    if parent and parent == code:
        issues.append(
            CellIssue("parent_code", "own_parent", _("A facility cannot belong to itself."))
        )
    if issues:
        return None, issues
    return FacilityRow(line, code, " ".join(value["name"].split()), kind, ward, parent), []

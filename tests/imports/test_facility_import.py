"""Loading the facility list from its template: all or nothing, by code, idempotent."""

import io

import pytest
from openpyxl import load_workbook

from vaxpass.core.facility_rows import FACILITY_COLUMNS
from vaxpass.imports.facilities import import_facilities
from vaxpass.imports.spreadsheets import write_facility_template
from vaxpass.places.models import Division, Era, Facility, Level
from vaxpass.records.models import AuditEntry

pytestmark = pytest.mark.django_db
KEYS = [c.key for c in FACILITY_COLUMNS]


def ward(province):
    return (
        Division.objects.filter(era=Era.CURRENT, level=Level.WARD, parent__code=province)
        .order_by("code")
        .first()
    )


def workbook(tmp_path, rows, name="facilities.xlsx"):
    out = io.BytesIO()
    write_facility_template(
        out, kinds=["Trạm Y tế", "Bệnh viện", "Phòng khám", "Đội tiêm lưu động"]
    )
    book = load_workbook(io.BytesIO(out.getvalue()))
    sheet = book.worksheets[0]
    for offset, values in enumerate(rows):
        for key, value in values.items():
            sheet.cell(row=2 + offset, column=KEYS.index(key) + 1, value=value)
    path = tmp_path / name
    book.save(path)
    return path


def hanoi_list():
    code = ward("01").code
    return [
        {
            "code": "TEAM-1",
            "name": "Đội tiêm lưu động 1",
            "kind": "Đội tiêm lưu động",
            "ward_code": code,
            "parent_code": "TYT-X",
        },  # its parent comes further down
        {"code": "TYT-X", "name": "Trạm Y tế  Phường X", "kind": "Trạm Y tế", "ward_code": code},
        {"code": "BV-1", "name": "Bệnh viện Đa khoa", "kind": "hospital", "ward_code": int(code)},
    ]


def test_a_list_loads_and_loading_it_again_changes_nothing(tmp_path, personas):
    path = workbook(tmp_path, hanoi_list())
    result = import_facilities(personas.admin, path)
    assert result.ok, result.problems
    assert (result.created, result.updated) == (3, 0)
    team = Facility.objects.get(code="TEAM-1")
    assert team.parent.code == "TYT-X" and team.kind == "mobile" and team.official
    assert Facility.objects.get(code="TYT-X").name == "Trạm Y tế Phường X"
    assert team.current_province.code == "01"
    assert AuditEntry.objects.filter(model="places.Facility", object_id=str(team.pk)).exists()
    again = import_facilities(personas.admin, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    rows = hanoi_list()
    rows[2]["name"] = "Bệnh viện Đa khoa Hà Nội"
    changed = import_facilities(personas.admin, workbook(tmp_path, rows, "v2.xlsx"))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)


def test_any_bad_row_loads_nothing(tmp_path, personas):
    rows = hanoi_list() + [
        {"code": "TYT-X", "name": "Trùng", "kind": "Trạm Y tế", "ward_code": ward("01").code},
        {"code": "T2", "name": "Đội 2", "kind": "Đội tiêm lưu động", "ward_code": ward("01").code},
        {"code": "T3", "name": "Nơi khác", "kind": "Sân vận động", "ward_code": "99999"},
        {
            "code": "T4",
            "name": "Đội 4",
            "kind": "mobile",
            "ward_code": ward("01").code,
            "parent_code": "NOPE",
        },
    ]
    result = import_facilities(personas.admin, workbook(tmp_path, rows))
    found = {(line, issue.column, issue.code) for line, issue in result.problems}
    assert found == {
        (5, "code", "duplicate_code"),
        (6, "parent_code", "parent_required"),
        (7, "kind", "unknown_kind"),
        (8, "parent_code", "unknown_parent"),
    }
    assert not Facility.objects.filter(code__in=["TEAM-1", "TYT-X", "BV-1"]).exists()


def test_province_managers_load_only_their_province(tmp_path, personas):
    assert import_facilities(personas.province_a, workbook(tmp_path, hanoi_list())).ok
    elsewhere = [
        {"code": "HCM-1", "name": "Trạm", "kind": "Trạm Y tế", "ward_code": ward("79").code}
    ]
    result = import_facilities(personas.province_a, workbook(tmp_path, elsewhere, "hcm.xlsx"))
    assert [(issue.column, issue.code) for _line, issue in result.problems] == [
        ("ward_code", "outside_area")
    ]
    refused = import_facilities(personas.staff_a, workbook(tmp_path, hanoi_list(), "x.xlsx"))
    assert [issue.code for _line, issue in refused.problems] == ["not_allowed"]

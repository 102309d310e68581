"""The streaming .xlsx reader gives the values python-calamine gives, in bounded memory."""

import re
import zipfile
from datetime import date, datetime, time

import pytest
from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from python_calamine import CalamineWorkbook

from vaxpass.imports.xlsx import XlsxError, number_format_kind, read_rows


@pytest.fixture(autouse=True)
def _registry_per_test():
    """No database here: overrides the suite's registry fixture."""
    yield


ROWS = [
    ["Số CCCD/CMND", "Họ và tên", "Ngày sinh", "Mũi thứ", "Ghi chú"],
    ["001190012345", "Nguyễn Thị Hoà", date(1990, 3, 4), 2, "a & b < c > \"d\" 'e'"],
    ["0012", "  khoảng trắng  ", datetime(2021, 9, 1, 10, 30), 2.5, True],
    [None, None, None, None, None],
    [79085000001, "Lê Bình", "04/03/1985", None, False],
    [None, "Trần\nDòng hai", time(10, 0), -3, "=1+1"],
]


def calamine(path) -> list[list]:
    return [
        list(r) for r in CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows()
    ]


def streamed(path) -> list[list]:
    """Our rows as calamine lays them out: every row from the first to the last."""
    rows = dict(read_rows(path))
    width = max(len(r) for r in rows.values())
    return [rows.get(n, [""] * width) for n in range(min(rows), max(rows) + 1)]


def workbook(path, rows=ROWS, *, write_only=False, epoch=None) -> None:
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("Mũi tiêm") if write_only else book.active
    if epoch:
        book.epoch = epoch
    for row in rows:
        sheet.append(row)
    if not write_only:
        sheet["B9"] = CellRichText(["Phạm ", TextBlock(InlineFont(b=True), "Văn"), " Chi"])
        sheet["C9"] = date(2022, 1, 31)
        sheet["C9"].number_format = "dd/mm/yyyy"
        sheet["D9"] = 1.5
        sheet["D9"].number_format = "[h]:mm"
        book.create_sheet("Hướng dẫn").append(["not read"])
    book.save(path)


@pytest.mark.parametrize("write_only", [False, True], ids=["shared strings", "inline strings"])
def test_values_as_calamine_gives_them(tmp_path, write_only):
    path = tmp_path / "doses.xlsx"
    workbook(path, write_only=write_only)
    assert streamed(path) == calamine(path)
    assert dict(read_rows(path))[2][2] == date(1990, 3, 4)


def test_the_1904_date_system(tmp_path):
    path = tmp_path / "mac.xlsx"
    workbook(path, epoch=CALENDAR_MAC_1904)
    assert streamed(path) == calamine(path)


def test_elements_with_a_namespace_prefix(tmp_path):
    plain, prefixed = tmp_path / "plain.xlsx", tmp_path / "prefixed.xlsx"
    workbook(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(prefixed, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                text = re.sub(r"<(/?)(?![?!])([A-Za-z]+)", r"<\1x:\2", data.decode())
                text = text.replace('xmlns="', 'xmlns:x="', 1)
                data = text.encode()
            target.writestr(item, data)
    assert "<x:row" in zipfile.ZipFile(prefixed).read("xl/worksheets/sheet1.xml").decode()
    assert list(read_rows(prefixed)) == list(read_rows(plain))


def test_rows_are_numbered_as_in_the_sheet_and_padded(tmp_path):
    path = tmp_path / "gaps.xlsx"
    book = Workbook()
    book.active["A1"], book.active["C1"] = "a", "c"
    book.active["B4"] = "b"
    book.save(path)
    assert list(read_rows(path)) == [(1, ["a", "", "c"]), (4, ["", "b", ""])]


def test_not_an_xlsx(tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"PK not really")
    with pytest.raises(XlsxError):
        list(read_rows(path))


@pytest.mark.parametrize(
    "code, kind",
    [
        ("DD/MM/YY", "date"),
        ("H:MM:SS;@", "date"),
        ('m"M"d"D";@', "date"),
        ('[$-404]e"\\xfc"m', "date"),
        ("[$-409]d/m/yyyy", "date"),
        ("[h]:mm:ss", "duration"),
        ("[ss]", "duration"),
        ("[Blue]\\+[h]:mm;[Red]\\-[h]:mm", "duration"),
        ("#,##0\\ [$\\u20bd-46D]", ""),
        ('"$"#,##0_);[Red]("$"#,##0)', ""),
        ("0_ ;[Red]\\-0\\ ", ""),
        ("\\Y000000", ""),
        ('#,##0.0####" YMD"', ""),
        ("[>=100][Magenta].00", ""),
        ("General", ""),
        ("@", ""),
    ],
)
def test_which_number_formats_are_dates(code, kind):
    assert number_format_kind(code) == kind

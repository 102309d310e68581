"""Reading and writing import files, without a database."""

import io

import pytest

from vaxpass.core.dose_rows import DOSE_COLUMNS, match_header
from vaxpass.imports.spreadsheets import SpreadsheetError, read_table, write_error_report


@pytest.fixture(autouse=True)
def _registry_per_test():
    """No database here: overrides the suite's registry fixture."""
    yield


def test_csv_with_semicolons_and_a_bom(tmp_path):
    path = tmp_path / "doses.csv"
    header = ";".join(c.en for c in DOSE_COLUMNS)
    path.write_bytes(("\ufeff" + header + "\n001190012345;Nguyễn An\n;;;\n0123;Lê B\n").encode())
    columns, rows = read_table(path)
    assert match_header(columns).positions["full_name"] == 1
    assert list(rows) == [
        (2, ["001190012345", "Nguyễn An"]),
        (4, ["0123", "Lê B"]),
    ]  # blank row 3 skipped


def test_unreadable_files_say_why(tmp_path):
    bad = tmp_path / "doses.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(SpreadsheetError):
        read_table(bad)
    with pytest.raises(SpreadsheetError, match="xlsx or .csv"):
        read_table(tmp_path / "doses.pdf")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(SpreadsheetError, match="empty"):
        read_table(empty)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Họ và tên\n".encode("cp1258", errors="replace") + b"\xff\xfe")
    with pytest.raises(SpreadsheetError, match="UTF-8"):
        read_table(latin)


def test_csv_error_report_keeps_rows_and_adds_the_column(tmp_path):
    path = tmp_path / "doses.csv"
    path.write_text("a,b\n1,x\n2,y\n3,z\n", encoding="utf-8")
    out = io.BytesIO()
    write_error_report(path, out, {3: ["b: wrong", "a: also"]}, only_lines={3, 4})
    lines = out.getvalue().decode("utf-8-sig").splitlines()
    assert lines == ["a,b,Lỗi / Errors", "2,y,b: wrong; a: also", "3,z,"]


def test_large_xlsx_files_stream_with_the_same_values(tmp_path, monkeypatch):
    from datetime import date

    from openpyxl import Workbook

    from vaxpass.imports import spreadsheets

    path = tmp_path / "doses.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.append(["Số CCCD/CMND", "Họ và tên", "Ngày sinh", "Mũi thứ"])
    sheet.append(["001190012345", "Nguyễn An", date(1990, 3, 4), 2])
    sheet.append([None, None, None, None])
    sheet.append(["079085000001", "Lê Bình", "04/03/1985", None])
    book.save(path)
    small = spreadsheets.read_table(path)
    monkeypatch.setattr(spreadsheets, "CALAMINE_MAX_BYTES", 0)
    large = spreadsheets.read_table(path)
    assert small[0] == large[0] == ["Số CCCD/CMND", "Họ và tên", "Ngày sinh", "Mũi thứ"]
    calamine_rows, streamed_rows = list(small[1]), list(large[1])
    assert [line for line, _ in calamine_rows] == [line for line, _ in streamed_rows] == [2, 4]
    from vaxpass.core.dose_rows import cell_text  # how rows are read: 2.0 and 2 are the same cell

    for (_, a), (_, b) in zip(calamine_rows, streamed_rows, strict=True):
        assert [cell_text(x)[:10] for x in a] == [cell_text(x)[:10] for x in b]

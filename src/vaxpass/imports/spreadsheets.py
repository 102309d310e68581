"""Spreadsheet files of imports: the templates, a streaming reader for .xlsx and .csv,
and the error report (the uploaded file with an added column of problems).

No Django here. Reading .xlsx goes through python-calamine (Rust), several times faster
than openpyxl's read-only mode (bench/xlsx_readers.py), or for large files our streaming
reader (imports/xlsx.py); writing uses openpyxl, whose write-only mode streams.
"""

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from vaxpass.core.dose_rows import DOSE_COLUMNS, Column
from vaxpass.core.facility_rows import FACILITY_COLUMNS

TEXT_ROWS = 5000  # rows pre-formatted as text in the template
ERRORS_HEADER = "Lỗi / Errors"


class SpreadsheetError(ValueError):
    pass


def _headers(columns: Sequence[Column], language: str) -> list[str]:
    first, second = ("vi", "en") if language == "vi" else ("en", "vi")
    return [f"{getattr(c, first)}\n{getattr(c, second)}" for c in columns]


# --- templates -------------------------------------------------------------------------


def _template(
    out: BinaryIO | str | Path,
    columns: Sequence[Column],
    *,
    language: str,
    sheet: str,
    lists: dict[str, list[str]],
    first_row: dict[str, str],
    notes: list[tuple[str, str]],
) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    vi = language == "vi"
    book = Workbook()
    data = book.active
    data.title = sheet
    for index, header in enumerate(_headers(columns, language), start=1):
        cell = data.cell(row=1, column=index, value=header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        letter = get_column_letter(index)
        data.column_dimensions[letter].width = max(14, min(34, len(header) + 2))
        if columns[index - 1].text:
            data.column_dimensions[letter].number_format = "@"
            for row in range(2, TEXT_ROWS + 2):
                data.cell(row=row, column=index).number_format = "@"
    data.row_dimensions[1].height = 32
    data.freeze_panes = "A2"
    for key, value in first_row.items():
        position = [c.key for c in columns].index(key) + 1
        data.cell(row=2, column=position, value=value).number_format = "@"

    choices = book.create_sheet("Lists")
    choices.sheet_state = "hidden"
    for list_index, (key, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(list_index)
        for row, value in enumerate(values, start=1):
            choices.cell(row=row, column=list_index, value=value)
        validation = DataValidation(
            type="list",
            formula1=f"=Lists!${letter}$1:${letter}${len(values)}",
            allow_blank=True,
            showErrorMessage=True,
        )
        validation.error = "Chọn trong danh sách / Pick from the list"
        target = get_column_letter([c.key for c in columns].index(key) + 1)
        validation.add(f"{target}2:{target}{TEXT_ROWS + 1}")
        data.add_data_validation(validation)

    guide = book.create_sheet("Hướng dẫn" if vi else "Instructions")
    guide.append(["Cột / Column", "Bắt buộc / Required", "Hướng dẫn", "Instructions"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for column in columns:
        guide.append(
            [
                f"{column.vi} / {column.en}",
                "có / yes" if column.required else "không / no",
                column.hint_vi,
                column.hint_en,
            ]
        )
    guide.append([])
    for note_vi, note_en in notes:
        guide.append([note_vi, "", "", note_en])
    for letter, width in zip("ABCD", (34, 18, 50, 50), strict=True):
        guide.column_dimensions[letter].width = width
    book.save(out)


def write_dose_template(
    out: BinaryIO | str | Path,
    *,
    language: str = "vi",
    products: list[str],
    facility_code: str = "",
) -> None:
    _template(
        out,
        DOSE_COLUMNS,
        language=language,
        sheet="Mũi tiêm" if language == "vi" else "Doses",
        lists={"product": products, "dose_number": [str(n) for n in range(1, 11)]},
        first_row={"facility_code": facility_code} if facility_code else {},
        notes=[
            (
                "Mỗi dòng là một mũi tiêm. Ngày viết dd/mm/yyyy.",
                "One row per dose. Dates as dd/mm/yyyy.",
            ),
            (
                "Các dòng được kiểm tra như khi nhập trực tiếp; mọi lỗi được báo cùng lúc, theo dòng và cột.",
                "Rows are checked as in live entry; every problem comes back at once, by row and column.",
            ),
            (
                "Tải tệp lên kèm bản chụp cam kết có chữ ký.",
                "Upload the file with the scanned signed commitment.",
            ),
        ],
    )


def write_facility_template(
    out: BinaryIO | str | Path, *, language: str = "vi", kinds: list[str]
) -> None:
    _template(
        out,
        FACILITY_COLUMNS,
        language=language,
        sheet="Cơ sở" if language == "vi" else "Facilities",
        lists={"kind": kinds},
        first_row={},
        notes=[("Mỗi dòng là một cơ sở tiêm chủng.", "One row per vaccination facility.")],
    )


def write_dose_csv_template(out: TextIO, *, language: str = "vi") -> None:
    """The header row only; the caller writes a UTF-8 BOM first when making a file, so
    Excel opens the Vietnamese headers correctly."""
    csv.writer(out).writerow(
        [getattr(c, language if language in ("vi", "en") else "vi") for c in DOSE_COLUMNS]
    )


# --- reading ---------------------------------------------------------------------------


@dataclass
class _Csv:
    path: Path

    def read(self) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
        handle = self.path.open(newline="", encoding="utf-8-sig")
        try:
            sample = handle.read(64 * 1024)
            handle.seek(0)
            delimiter = ";" if sample.count(";") > sample.count(",") else ","
            reader = csv.reader(handle, delimiter=delimiter)
            header = next(reader, None)
        except UnicodeDecodeError:
            handle.close()
            raise SpreadsheetError("The file is not UTF-8 text: save it as CSV UTF-8.") from None
        if header is None:
            handle.close()
            raise SpreadsheetError("The file is empty.")

        def rows() -> Iterator[tuple[int, list[Any]]]:
            with handle:
                for line, row in enumerate(reader, start=2):
                    if "".join(row).strip():  # not blank (faster than testing each cell)
                        yield line, row

        return header, rows()


# python-calamine reads .xlsx 13 times faster than openpyxl (bench/xlsx_readers.py) but
# holds the whole sheet in memory: about 1.2 KB per row. Above this size our own streaming
# reader (imports/xlsx.py, as fast, in bounded memory) takes over, so a million-row file
# stays well under 1 GB.
CALAMINE_MAX_BYTES = 16 * 1024 * 1024


def _xlsx_calamine(path: Path) -> Iterator[tuple[int, list[Any]]]:
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    for number, row in enumerate(sheet.iter_rows(), start=1):  # from the first used row
        yield number, list(row)


def _xlsx_streaming(path: Path) -> Iterator[tuple[int, list[Any]]]:
    from vaxpass.imports.xlsx import read_rows

    rows = read_rows(path)
    for number, row in rows:  # like calamine, from the first row with a value
        if any(cell not in ("", None) for cell in row):
            yield number, row
            break
    yield from rows


def _xlsx(path: Path) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    reader = _xlsx_calamine if path.stat().st_size <= CALAMINE_MAX_BYTES else _xlsx_streaming
    try:
        rows = reader(path)
        _number, header = next(rows, (0, None))
    except Exception as error:  # both readers raise their own types for a broken file
        raise SpreadsheetError(f"The file cannot be read as .xlsx: {error}") from None
    if header is None:
        raise SpreadsheetError("The file is empty.")

    def data() -> Iterator[tuple[int, list[Any]]]:
        for line, row in rows:
            if any(cell not in ("", None) for cell in row):
                yield line, row

    return ["" if h is None else str(h) for h in header], data()


def read_table(path: str | Path) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """The header row and (line number as the user sees it, cells) of each non-blank row."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _Csv(path).read()
    if suffix == ".xlsx":
        return _xlsx(path)
    raise SpreadsheetError("Upload an .xlsx or .csv file.")


# --- error report ----------------------------------------------------------------------


def _as_text(value: Any) -> Any:
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def write_error_report(
    source: str | Path,
    out: BinaryIO,
    problems: dict[int, list[str]],
    *,
    only_lines: set[int] | None = None,
    language: str = "vi",
) -> None:
    """The source file's rows as they were, plus a last column with each row's problems."""
    header, rows = read_table(source)
    selected = ((line, cells) for line, cells in rows if only_lines is None or line in only_lines)
    if Path(source).suffix.lower() == ".csv":
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow([*header, ERRORS_HEADER])
        for line, cells in selected:
            writer.writerow([*cells, "; ".join(problems.get(line, []))])
        text.flush()
        text.detach()
        return
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Lỗi" if language == "vi" else "Errors")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    head = []
    for value in [*header, ERRORS_HEADER]:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    for line, cells in selected:
        row = []
        for value in cells:
            cell = WriteOnlyCell(sheet, value=_as_text(value))
            if isinstance(cell.value, str):
                cell.number_format = "@"  # keeps leading zeros of IDs when fixed and re-saved
            row.append(cell)
        row.append(WriteOnlyCell(sheet, value="; ".join(problems.get(line, []))))
        sheet.append(row)
    book.save(out)

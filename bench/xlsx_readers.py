"""Reading .xlsx: openpyxl's read-only mode against python-calamine, on the same file of
dose rows (the import's reader must stream a million rows quickly).

    .venv/bin/python bench/xlsx_readers.py [--size 200000]
Prints one JSON line last.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

from vaxpass.core.dose_rows import DOSE_COLUMNS


def write(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Doses")
    sheet.append([c.vi for c in DOSE_COLUMNS])
    for n in range(rows):
        sheet.append(
            [
                f"001{n:09d}",
                f"Nguyễn Văn An {n % 1000}",
                "04/03/1990",
                "Nam",
                "0912345678",
                "Số 1",
                "00004",
                "Vero Cell (Sinopharm BBIBP-CorV)",
                "LOT1",
                "02/10/2021",
                1,
                "TYT00004",
            ]
        )
    book.save(path)


def read_openpyxl(path: Path) -> int:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return count


def read_calamine(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    return sum(1 for _ in CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doses.xlsx"
        write(path, args.size)
        figures = {"rows": args.size}
        for name, reader in (("openpyxl", read_openpyxl), ("calamine", read_calamine)):
            start = time.perf_counter()
            assert reader(path) == args.size + 1
            figures[f"{name}_rows_per_s"] = round(args.size / (time.perf_counter() - start))
    figures["chosen"] = "calamine"
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

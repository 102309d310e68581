"""Retrospective import at scale: a CSV and an .xlsx of generated dose rows, each checked
and loaded by `vaxpass import` in its own process, on SQLite and on PostgreSQL.

    .venv/bin/python bench/import_doses.py [--size 1000000] [--no-sqlite] [--no-postgresql]

Rows come from the synthetic generator (with its error patterns, so some rows are refused
and the valid rows are loaded). Prints rows/s (check and load together) and the peak RSS
of the importing process; one JSON line last.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import _server

from vaxpass.core.dose_rows import DOSE_COLUMNS
from vaxpass.core.vaccines import get_product
from vaxpass.synth.generator import Generator, national_wards


def make_files(out: Path, rows: int) -> tuple[Path, Path, Path, int]:
    """The generator's records as the import template's columns, in .csv and .xlsx."""
    people = max(500, int(rows / 2.3))
    Generator(national_wards(["01", "79", "48"]), seed=7).write(out / "synth", people)
    csv_path, xlsx_path = out / "doses.csv", out / "doses.xlsx"
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Mũi tiêm")
    header = [c.vi for c in DOSE_COLUMNS]
    sheet.append(header)
    count = 0
    with (
        (out / "synth" / "doses.csv").open(encoding="utf-8") as source,
        csv_path.open("w", newline="", encoding="utf-8-sig") as target,
    ):
        writer = csv.writer(target)
        writer.writerow(header)
        for record in csv.DictReader(source):
            if count == rows:
                break
            given = record["given_on"]
            birth = record["birth_date"]
            values = {
                "citizen_id": record["citizen_id"], "full_name": record["full_name"],
                "birth_date": f"{birth[8:10]}/{birth[5:7]}/{birth[:4]}" if len(birth) == 10 else birth,
                "sex": {"M": "Nam", "F": "Nữ"}[record["sex"]], "phone": record["phone"],
                "address": record["address"], "product": get_product(record["product"]).vn_name,
                "lot": record["lot"], "given_on": f"{given[8:10]}/{given[5:7]}/{given[:4]}",
                "dose_number": record["dose_number"], "facility_code": record["facility_code"],
            }  # fmt: skip
            row = [values.get(c.key, "") for c in DOSE_COLUMNS]
            writer.writerow(row)
            sheet.append(row)
            count += 1
    book.save(xlsx_path)
    return csv_path, xlsx_path, out / "synth" / "facilities.csv", count


# Runs one command and reports the peak RSS of that command alone (its own children).
_PEAK = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=sys.stderr); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def run_import(env: dict, path: Path) -> dict:
    command = [
        sys.executable,
        "-m",
        "vaxpass.cli",
        "import",
        str(path),
        "--user",
        "bench",
        "--mode",
        "valid",
    ]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, *command], env=env, check=True, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    peak_kb = int(done.stdout.strip().splitlines()[-1])
    return {
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "output": done.stderr.strip().splitlines()[-1:],
    }


def prepare(env: dict, facilities: Path) -> None:
    _server.manage(env, "migrate", "-v", "0")
    _server.manage(env, "load_places", "-v", "0")
    _server.django_script(
        env,
        f"""
from pathlib import Path
from vaxpass.accounts.models import Role, User
from vaxpass.records.loading import load_facility_list
load_facility_list(Path({str(facilities)!r}))
User.objects.create(username="bench", role=Role.NATIONAL_ADMIN)
""",
    )


def measure(make_env, files: tuple[Path, Path, Path, int]) -> dict:
    """Each format into a database of its own, so both store every row."""
    csv_path, xlsx_path, facilities, rows = files
    figures = {}
    for name, path in (("csv", csv_path), ("xlsx", xlsx_path)):
        with make_env(name) as env:
            prepare(env, facilities)
            result = run_import(env, path)
        figures[f"{name}_rows_per_s"] = round(rows / result["seconds"])
        figures[f"{name}_peak_rss_mb"] = result["peak_rss_mb"]
        print(f"{name}: {result}", file=sys.stderr)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="dose rows")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgresql", action="store_true")
    parser.add_argument("--database-url", default=_server.DEFAULT_PG)
    args = parser.parse_args()
    figures: dict = {"rows": args.size}
    with tempfile.TemporaryDirectory() as tmp:
        files = make_files(Path(tmp), args.size)
        figures["rows"] = files[3]

        @contextmanager
        def sqlite(name):
            env = dict(os.environ, VAXPASS_DATA_DIR=str(Path(tmp) / f"sqlite-{name}"))
            env.pop("VAXPASS_DATABASE_URL", None)
            yield env

        @contextmanager
        def postgresql(name):
            with _server.fresh_database(args.database_url) as url:
                yield _server.bench_env(url, Path(tmp) / f"pg-{name}")

        if not args.no_sqlite:
            figures["sqlite"] = measure(sqlite, files)
        if not args.no_postgresql:
            figures["postgresql"] = measure(postgresql, files)
    main_db = figures.get("postgresql") or figures.get("sqlite")
    figures["csv_rows_per_s"] = main_db["csv_rows_per_s"]
    figures["xlsx_rows_per_s"] = main_db["xlsx_rows_per_s"]
    figures["peak_rss_mb"] = max(
        v
        for db in ("sqlite", "postgresql")
        if db in figures
        for k, v in figures[db].items()
        if k.endswith("peak_rss_mb")
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

"""The clean-files contract: input and output columns, reading and writing CSV or Parquet
(chosen by the file's ending) through DuckDB."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb

REGISTRY_COLUMNS = (
    "citizen_id",
    "old_id",
    "full_name",
    "birth_date",
    "sex",
    "phone",
    "province_code",
    "ward_code",
    "household_id",
)
DOSE_COLUMNS = (
    "dose_id",
    "citizen_id",
    "full_name",
    "birth_date",
    "sex",
    "phone",
    "province_code",
    "ward_code",
    "facility_code",
    "product",
    "dose_date",
    "dose_number",
)
OUTPUT_COLUMNS = (
    "dose_id",
    "decision",
    "citizen_id",
    "probability",
    "reasons",
    "candidate_id",
    "merge_with",
)


class ContractError(ValueError):
    """An input file does not follow the clean-files contract."""


def file_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in (".csv", ".parquet"):
        return suffix[1:]
    raise ContractError(f"{path}: the file must end in .csv or .parquet")


def connect(
    *,
    threads: int | None = None,
    memory_limit: str | None = None,
    temp_directory: str | Path | None = None,
):
    """An in-memory DuckDB connection set up for cleaning. Past ``memory_limit`` (default:
    DuckDB's, 80 % of RAM) it spills to ``temp_directory`` (default: the system's)."""
    con = duckdb.connect()
    spill = Path(temp_directory or tempfile.gettempdir()) / "vaxpass-duckdb"
    con.execute(f"SET temp_directory = '{quote_path(spill)}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    return con


def load_table(con, path: str | Path, table: str, columns: tuple[str, ...]) -> int:
    """Read a contract file into ``table``: every column text, empty strings for missing
    values, extra columns ignored. Returns the row count."""
    path = Path(path)
    if not path.exists():
        raise ContractError(f"{path}: no such file")
    if file_format(path) == "csv":
        source = f"read_csv('{quote_path(path)}', all_varchar = true, header = true)"
    else:
        source = f"read_parquet('{quote_path(path)}')"
    present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    missing = [c for c in columns if c not in present]
    if missing:
        raise ContractError(f"{path}: missing columns {', '.join(missing)}")
    select = ", ".join(f"coalesce(CAST({_ident(c)} AS VARCHAR), '') AS {c}" for c in columns)
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT {select} FROM {source}")
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def register_relation(con, relation: duckdb.DuckDBPyRelation, table: str, columns) -> int:
    """Use a DuckDB relation (a database export, a query) as a contract table."""
    present = set(relation.columns)
    missing = [c for c in columns if c not in present]
    if missing:
        raise ContractError(f"{table}: missing columns {', '.join(missing)}")
    view = f"_{table}_source"
    relation.create_view(view, replace=True)
    select = ", ".join(f"coalesce(CAST({_ident(c)} AS VARCHAR), '') AS {c}" for c in columns)
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT {select} FROM {view}")
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def write_query(con, query: str, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    options = "FORMAT csv, HEADER true" if file_format(path) == "csv" else "FORMAT parquet"
    con.execute(f"COPY ({query}) TO '{quote_path(path)}' ({options})")


def quote_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _ident(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'

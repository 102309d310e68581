"""The default registry adapter: its own database, SQLite or PostgreSQL, over DB-API."""

import csv
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

from vaxpass.adapters.registry.base import RegistryPerson
from vaxpass.core.identity import name_key

REGISTRY_COLUMNS = (
    "citizen_id",
    "old_id_number",
    "full_name",
    "birth_date",
    "sex",
    "ward_code",
    "household_id",
    "phone",
)
_SELECT = ", ".join(REGISTRY_COLUMNS)


class SqlRegistry:
    """`connect` returns a DB-API connection; `dialect` is "sqlite" or "postgresql".
    With `shared=True` the connection belongs to someone else (Django's), so this class
    neither commits nor closes it and joins the caller's transaction."""

    def __init__(
        self,
        connect: Callable[[], Any],
        *,
        dialect: str,
        schema: str | None = None,
        shared: bool = False,
    ):
        self._connect = connect
        self.dialect = dialect
        self.table = f"{schema}.person" if schema else "person"
        self.schema = schema
        self.shared = shared

    @classmethod
    def sqlite_file(cls, path: str | Path) -> "SqlRegistry":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return cls(lambda: sqlite3.connect(path), dialect="sqlite")

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        conn = self._connect()
        try:
            cur = conn.cursor()
            yield cur
            if not self.shared:
                conn.commit()
        except BaseException:
            if not self.shared:
                conn.rollback()
            raise
        finally:
            if not self.shared:
                conn.close()

    def _sql(self, sql: str) -> str:
        sql = sql.replace("{table}", self.table)
        return sql.replace("%s", "?") if self.dialect == "sqlite" and not self.shared else sql

    def create(self) -> None:
        with self._cursor() as cur:
            if self.schema:
                cur.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            cur.execute(
                self._sql(
                    "CREATE TABLE IF NOT EXISTS {table} (citizen_id VARCHAR(12) PRIMARY KEY,"
                    " old_id_number VARCHAR(9) NOT NULL, full_name VARCHAR(120) NOT NULL,"
                    " name_key VARCHAR(120) NOT NULL, birth_date VARCHAR(10) NOT NULL,"
                    " sex CHAR(1) NOT NULL, ward_code VARCHAR(8) NOT NULL,"
                    " household_id VARCHAR(20) NOT NULL, phone VARCHAR(15) NOT NULL)"
                )
            )
            prefix = f"{self.schema}." if self.schema and self.dialect == "sqlite" else ""
            for column in (
                "old_id_number",
                "name_key, birth_date",
                "ward_code",
                "phone",
                "household_id",
            ):
                index = "registry_person_" + column.replace(", ", "_")
                cur.execute(
                    self._sql(f"CREATE INDEX IF NOT EXISTS {prefix}{index} ON {{table}} ({column})")
                )

    def load_csv(self, path: str | Path, *, replace: bool = True, progress=None) -> int:
        """Load a registry export (CSV with REGISTRY_COLUMNS as header), streaming."""
        self.create()
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = set(REGISTRY_COLUMNS) - set(reader.fieldnames or ())
            if missing:
                raise ValueError(f"{path}: missing columns {', '.join(sorted(missing))}")
            rows = (self._row(record) for record in reader)
            return self.load_rows(rows, replace=replace, progress=progress)

    @staticmethod
    def _row(record: dict[str, str]) -> tuple[str, ...]:
        values = [record[c] or "" for c in REGISTRY_COLUMNS]
        return (*values[:3], name_key(values[2]), *values[3:])

    def load_rows(
        self, rows: Iterable[tuple[str, ...]], *, replace: bool = True, progress=None
    ) -> int:
        count = 0
        columns = "citizen_id, old_id_number, full_name, name_key, birth_date, sex, ward_code, household_id, phone"
        with self._cursor() as cur:
            if replace:
                cur.execute(self._sql("DELETE FROM {table}"))
            if self.dialect == "postgresql" and hasattr(cur, "copy"):
                with cur.copy(f"COPY {self.table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
                        if progress and count % 10000 == 0:
                            progress(10000)
            else:
                insert = self._sql(
                    f"INSERT INTO {{table}} ({columns}) VALUES ({', '.join(['%s'] * 9)})"
                )
                iterator = iter(rows)
                while chunk := list(islice(iterator, 10000)):
                    cur.executemany(insert, chunk)
                    count += len(chunk)
                    if progress:
                        progress(len(chunk))
        return count

    def _people(self, cur: Any) -> list[RegistryPerson]:
        return [RegistryPerson(*row) for row in cur.fetchall()]

    def get(self, citizen_id: str) -> RegistryPerson | None:
        column = "old_id_number" if len(citizen_id) == 9 else "citizen_id"
        with self._cursor() as cur:
            cur.execute(
                self._sql(f"SELECT {_SELECT} FROM {{table}} WHERE {column} = %s"), [citizen_id]
            )
            people = self._people(cur)
        return people[0] if people else None

    def get_many(self, citizen_ids: Iterable[str]) -> dict[str, RegistryPerson]:
        wanted = list(dict.fromkeys(citizen_ids))
        found: dict[str, RegistryPerson] = {}
        with self._cursor() as cur:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ", ".join(["%s"] * len(chunk))
                cur.execute(
                    self._sql(
                        f"SELECT {_SELECT} FROM {{table}} WHERE citizen_id IN ({marks}) OR old_id_number IN ({marks})"
                    ),
                    chunk + chunk,
                )
                asked = set(chunk)
                for person in self._people(cur):
                    # Keyed by every ID asked for: one person may be asked for by both
                    # their 12-digit and their old 9-digit number.
                    for key in (person.citizen_id, person.old_id_number):
                        if key and key in asked:
                            found[key] = person
        return found

    def search(
        self,
        *,
        name: str,
        birth_date: str | None = None,
        ward_code: str | None = None,
        limit: int = 20,
    ) -> list[RegistryPerson]:
        sql = f"SELECT {_SELECT} FROM {{table}} WHERE name_key = %s"
        params: list[Any] = [name_key(name)]
        if birth_date and len(birth_date) == 4:  # year only: any date in that year
            sql += " AND birth_date LIKE %s"
            params.append(birth_date + "%")
        elif birth_date:  # a full date also matches a registry entry holding only its year
            sql += " AND birth_date IN (%s, %s)"
            params += [birth_date, birth_date[:4]]
        if ward_code:
            sql += " AND ward_code = %s"
            params.append(ward_code)
        sql += " ORDER BY citizen_id LIMIT %s"
        params.append(limit)
        with self._cursor() as cur:
            cur.execute(self._sql(sql), params)
            return self._people(cur)

    def iter_people(self, batch_size: int = 50_000) -> Iterator[list[RegistryPerson]]:
        """Everyone, in pages of ``batch_size`` ordered by citizen ID (keyset pagination:
        bounded memory on any size, for exports such as the batch cleaner's)."""
        after = ""
        while True:
            with self._cursor() as cur:
                cur.execute(
                    self._sql(
                        f"SELECT {_SELECT} FROM {{table}} WHERE citizen_id > %s"
                        " ORDER BY citizen_id LIMIT %s"
                    ),
                    [after, batch_size],
                )
                people = self._people(cur)
            if not people:
                return
            yield people
            after = people[-1].citizen_id

    def copy_csv(self, out: Path) -> None:
        """Everyone as CSV, no header, columns in REGISTRY_COLUMNS' order, written by
        PostgreSQL itself (a million people in seconds; ``iter_people`` takes a minute)."""
        if self.dialect != "postgresql":
            raise ValueError("copy_csv needs the PostgreSQL registry")
        with self._cursor() as cur, open(out, "wb") as handle:
            statement = f"COPY (SELECT {_SELECT} FROM {self.table}) TO STDOUT (FORMAT csv)"
            with cur.copy(statement) as copy:
                for data in copy:
                    handle.write(data)

    def count(self) -> int:
        with self._cursor() as cur:
            cur.execute(self._sql("SELECT COUNT(*) FROM {table}"))
            return int(cur.fetchone()[0])

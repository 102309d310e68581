"""A batch run's inputs as clean-files contract files: the registry (the adapter's
database) and the doses still to clean (the app's), with wards in the current structure.

DuckDB cannot read the app's SQLite or PostgreSQL database offline (its extensions for
that download at run time), so both are written to Parquet first. On PostgreSQL the
database itself writes them out (``COPY ... TO STDOUT``, both tables at once on two
connections when no transaction holds the caller) and DuckDB adds the province and ward
codes; elsewhere they are read in keyset pages through the ORM.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from django.db import connection, connections
from django.db.models import Exists, OuterRef, QuerySet

from vaxpass.cleaning.models import MACHINE_METHODS, CleaningDecision, Outcome
from vaxpass.linkage import tables
from vaxpass.places.models import Division, Era, Level, WardSuccession
from vaxpass.records.models import Dose, DoseStatus
from vaxpass.records.registry import registry_admin

EXPORT_PAGE = 50_000


class BatchError(Exception):
    pass


def ward_code_map() -> dict[int, tuple[str, str]]:
    """Every ward (either era) -> (current ward code, current province code)."""
    current = {
        pk: (code, province or "")
        for pk, code, province in Division.objects.filter(
            era=Era.CURRENT, level=Level.WARD
        ).values_list("id", "code", "province__code")
    }
    out = dict(current)
    for legacy, successor in WardSuccession.objects.order_by(
        "legacy_ward_id", "-is_default", "current_ward_id"
    ).values_list("legacy_ward_id", "current_ward_id"):
        if legacy not in out and successor in current:
            out[legacy] = current[successor]
    return out


def doses_to_clean(*, redecide: bool = False) -> QuerySet[Dose]:
    """Recorded doses without a current decision; with ``redecide``, also those a run
    sent to review or found nobody for (a person's decision is never redone)."""
    decided = CleaningDecision.objects.filter(dose=OuterRef("pk"), current=True)
    if redecide:
        decided = decided.exclude(
            method__in=MACHINE_METHODS, decision__in=(Outcome.REVIEW, Outcome.NOT_FOUND)
        )
    return Dose.objects.filter(status=DoseStatus.RECORDED).exclude(Exists(decided))


# The doses file's columns as the ORM reads them (the ward as its key, mapped after).
_DOSE_FIELDS = (
    "pk", "captured_citizen_id", "captured_name", "captured_birth_date", "captured_sex",
    "captured_phone", "captured_ward_id", "facility__code", "product", "given_on",
    "dose_number",
)  # fmt: skip
_DOSE_RAW = (
    "dose_id", "citizen_id", "full_name", "birth_date", "sex", "phone", "ward_id",
    "facility_code", "product", "dose_date", "dose_number",
)  # fmt: skip
# What the adapter's copy_csv writes: its REGISTRY_COLUMNS, old_id_number as old_id.
_REGISTRY_RAW = (
    "citizen_id", "old_id", "full_name", "birth_date", "sex", "ward_code", "household_id",
    "phone",
)  # fmt: skip


def _doses_queryset(*, redecide: bool, limit: int | None):
    queryset = doses_to_clean(redecide=redecide).order_by("pk").values_list(*_DOSE_FIELDS)
    return queryset[:limit] if limit is not None else queryset


def export_inputs(
    registry_path: Path | None, doses_path: Path, *, redecide: bool = False,
    limit: int | None = None,
) -> int:  # fmt: skip
    """Write the registry (unless ``registry_path`` is None: the caller has a file) and
    the doses to clean; returns the number of doses."""
    registry = registry_admin()
    if registry_path is not None and not hasattr(registry, "iter_people"):
        raise BatchError("this registry adapter cannot be exported: pass --registry-file")
    if connection.vendor == "postgresql" and getattr(registry, "dialect", "") == "postgresql":
        return _copy_inputs(registry_path, doses_path, redecide=redecide, limit=limit)
    if registry_path is not None:
        export_registry(registry_path)
    return export_doses(doses_path, redecide=redecide, limit=limit)


# -- through the ORM, in pages ------------------------------------------------------------


def _write_parquet(path: Path, columns: tuple[str, ...], pages: Iterator[list[tuple]]) -> int:
    schema = pa.schema([(c, pa.string()) for c in columns])
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        for page in pages:
            if not page:
                continue
            arrays = [pa.array(col, pa.string()) for col in zip(*page, strict=True)]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            count += len(page)
    return count


def _current_provinces() -> dict[str, str]:
    return {
        code: province or ""
        for code, province in Division.objects.filter(
            era=Era.CURRENT, level=Level.WARD
        ).values_list("code", "province__code")
    }


def export_registry(path: Path) -> int:
    """The registry adapter's database as a clean-files registry file, page by page."""
    registry = registry_admin()
    if not hasattr(registry, "iter_people"):
        raise BatchError("this registry adapter cannot be exported: pass --registry-file")
    provinces = _current_provinces()

    def pages() -> Iterator[list[tuple]]:
        for people in registry.iter_people(EXPORT_PAGE):
            yield [
                (
                    person.citizen_id,
                    person.old_id_number or "",
                    person.full_name,
                    person.birth_date,
                    person.sex,
                    person.phone or "",
                    provinces.get(person.ward_code, ""),
                    person.ward_code,
                    person.household_id,
                )
                for person in people
            ]

    return _write_parquet(path, tables.REGISTRY_COLUMNS, pages())


def export_doses(path: Path, *, redecide: bool = False, limit: int | None = None) -> int:
    """The doses to clean as a clean-files doses file, page by page."""
    wards = ward_code_map()
    queryset = _doses_queryset(redecide=redecide, limit=None)

    def pages() -> Iterator[list[tuple]]:
        after, left = 0, limit
        while left is None or left > 0:
            size = EXPORT_PAGE if left is None else min(EXPORT_PAGE, left)
            rows = list(queryset.filter(pk__gt=after)[:size])
            if not rows:
                return
            page = []
            for pk, cid, name, birth, sex, phone, ward, facility, product, on, number in rows:
                ward_code, province = wards.get(ward or 0, ("", ""))
                page.append(
                    (
                        str(pk), cid, name, birth, sex, phone, province, ward_code, facility,
                        product, on.isoformat(), str(number),
                    )
                )  # fmt: skip
            yield page
            after = rows[-1][0]
            if left is not None:
                left -= len(rows)

    return _write_parquet(path, tables.DOSE_COLUMNS, pages())


# -- PostgreSQL: the database writes CSV, DuckDB makes the contract files ----------------


def _copy_out(sql: str, params, out: Path) -> None:
    """``COPY (sql) TO STDOUT`` as CSV into ``out``, on this thread's connection."""
    with connection.cursor() as cur, open(out, "wb") as handle:
        with cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
            for data in copy:
                handle.write(data)


def _copy_doses(out: Path, *, redecide: bool, limit: int | None) -> None:
    sql, params = _doses_queryset(redecide=redecide, limit=limit).query.sql_with_params()
    _copy_out(sql, params, out)


def _in_thread(work: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        try:
            work()
        finally:
            connections.close_all()  # this thread's own connection

    return run


def _copy_inputs(
    registry_path: Path | None, doses_path: Path, *, redecide: bool, limit: int | None
) -> int:
    with tempfile.TemporaryDirectory(dir=doses_path.parent) as scratch:
        registry_csv, doses_csv = Path(scratch) / "registry.csv", Path(scratch) / "doses.csv"
        jobs: list[Callable[[], None]] = [
            lambda: _copy_doses(doses_csv, redecide=redecide, limit=limit)
        ]
        if registry_path is not None:
            jobs.append(lambda: registry_admin().copy_csv(registry_csv))
        if connection.in_atomic_block or len(jobs) == 1:
            # A second connection would not see the caller's uncommitted rows.
            for job in jobs:
                job()
        else:
            with ThreadPoolExecutor(max_workers=1) as other:
                elsewhere = other.submit(_in_thread(jobs[1]))
                jobs[0]()
                elsewhere.result()
        con = duckdb.connect()
        try:
            _register_wards(con)
            if registry_path is not None:
                _registry_contract(con, registry_csv, registry_path)
            return _doses_contract(con, doses_csv, doses_path)
        finally:
            con.close()


def _register_wards(con) -> None:
    """The two small maps the contract files need, as DuckDB tables: every ward's key
    (either era) to its current ward and province codes; a current ward's code to its
    province's."""
    wards = ward_code_map()
    con.register("ward_map", _text_table(
        ward_id=[str(k) for k in wards], ward_code=[v[0] for v in wards.values()],
        province_code=[v[1] for v in wards.values()],
    ))  # fmt: skip
    provinces = _current_provinces()
    con.register(
        "province_of",
        _text_table(ward_code=list(provinces), province_code=list(provinces.values())),
    )


def _text_table(**columns: list[str]) -> pa.Table:
    return pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})


def _read_csv(path: Path, names: tuple[str, ...]) -> str:
    """PostgreSQL's CSV as it is (nothing to sniff: an empty export is no rows)."""
    columns = ", ".join(f"'{n}': 'VARCHAR'" for n in names)
    return (
        f"read_csv('{tables.quote_path(path)}', auto_detect = false, header = false,"
        f" delim = ',', quote = '\"', escape = '\"', columns = {{{columns}}})"
    )


def _registry_contract(con, raw: Path, out: Path) -> None:
    con.execute(
        f"""COPY (SELECT r.citizen_id, coalesce(r.old_id, '') AS old_id, r.full_name,
                  r.birth_date, r.sex, coalesce(r.phone, '') AS phone,
                  coalesce(p.province_code, '') AS province_code, r.ward_code, r.household_id
            FROM {_read_csv(raw, _REGISTRY_RAW)} r LEFT JOIN province_of p USING (ward_code))
        TO '{tables.quote_path(out)}' (FORMAT parquet)"""
    )


def _doses_contract(con, raw: Path, out: Path) -> int:
    con.execute(
        f"""COPY (SELECT d.dose_id, coalesce(d.citizen_id, '') AS citizen_id,
                  coalesce(d.full_name, '') AS full_name,
                  coalesce(d.birth_date, '') AS birth_date, coalesce(d.sex, '') AS sex,
                  coalesce(d.phone, '') AS phone,
                  coalesce(w.province_code, '') AS province_code,
                  coalesce(w.ward_code, '') AS ward_code, d.facility_code, d.product,
                  d.dose_date, d.dose_number
            FROM {_read_csv(raw, _DOSE_RAW)} d LEFT JOIN ward_map w USING (ward_id))
        TO '{tables.quote_path(out)}' (FORMAT parquet)"""
    )
    (count,) = con.execute(
        f"SELECT count(*) FROM read_parquet('{tables.quote_path(out)}')"
    ).fetchone()
    return count

"""Batch runs: the whole backlog through the engine's ``BatchRun`` (DuckDB and Splink),
and every decision written back.

The registry (the adapter's database) and the doses to clean are first exported to
Parquet (``export``). The decisions come back
chunk by chunk, each chunk in its own transaction, or on PostgreSQL in two parts written
at once by two connections (``setwrite.write_prepared``: set-based SQL on PostgreSQL,
model objects elsewhere; only doses still waiting are touched, so a concurrent
incremental run or a reviewer is never overwritten and a stopped run loses at most one
chunk).
"""

from __future__ import annotations

import shutil
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import OperationalError, connection, connections
from django.utils import timezone

from vaxpass.adapters.registry import RegistryPerson
from vaxpass.cleaning.export import export_inputs
from vaxpass.cleaning.incremental import latest_model, models_dir
from vaxpass.cleaning.models import (
    CleaningRun,
    Method,
    RunKind,
    RunStatus,
)
from vaxpass.cleaning.reasons import AppReason
from vaxpass.cleaning.services import WriteResult
from vaxpass.cleaning.setwrite import Prepared, prepare, write_prepared
from vaxpass.cleaning.setwrite import available as setwrite_available
from vaxpass.cleaning.staging import StagedRun
from vaxpass.core.matching import NATIONAL, DoseDecision, Policy, Reason
from vaxpass.core.matching.comparisons import COMPARISONS
from vaxpass.linkage import stage2
from vaxpass.linkage.model import Model, ModelStore
from vaxpass.linkage.pipeline import BatchRun, Summary, decisions_sql

Progress = Callable[[str], None]
# Doses per chunk (each part of it one transaction). Every chunk pays a few dozen
# statements and the model path's queries whatever its size: at a million doses on
# PostgreSQL the write-back took 176 s in chunks of 5,000, 115 s in chunks of 25,000,
# 117 s in 50,000 and 123 s in 100,000.
BATCH_CHUNK = 25_000


_REGISTRY_COLUMNS = "citizen_id, old_id, full_name, birth_date, sex, ward_code, household_id, phone"


class RegistryFromRun:
    """Registry people by 12-digit or 9-digit ID, read from the run's own registry table
    (what the decisions were made against), for the write-back. ``index_registry`` gives
    the table the indexes that make a look-up a few milliseconds instead of a scan."""

    def __init__(self, con):
        self.con = con.cursor()

    def __call__(self, ids) -> dict[str, RegistryPerson]:
        wanted = {key for key in ids if key}  # nobody's ID is empty
        if not wanted:
            return {}
        # A list of literals, not a parameter: DuckDB uses an index for ``IN (...)``
        # only; with an unnested list it scans the table (40 ms at a million people).
        listed = ", ".join("'" + key.replace("'", "''") + "'" for key in sorted(wanted))
        rows = self.con.execute(
            f"""SELECT {_REGISTRY_COLUMNS} FROM registry_raw WHERE citizen_id IN ({listed})
            UNION ALL
            SELECT {_REGISTRY_COLUMNS} FROM registry_raw
            WHERE old_id IN ({listed}) AND old_id <> ''"""
        ).fetchall()
        out = {}
        for row in rows:
            person = RegistryPerson(*row)
            for key in (person.citizen_id, person.old_id_number):
                if key in wanted:
                    out[key] = person
        return out


def index_registry(con) -> None:
    for column in ("citizen_id", "old_id"):
        con.execute(f"CREATE INDEX IF NOT EXISTS registry_raw_{column} ON registry_raw ({column})")


def order_registry_by_dose(con) -> None:
    """The registry people of the run's decisions, in the decisions' own order (the
    order ``BatchRun.decisions`` gives them out), for ``chunk_registry``."""
    con.execute(
        f"""CREATE OR REPLACE TABLE registry_by_dose AS
        SELECT d.dose_id, {", ".join(f"r.{c}" for c in _REGISTRY_COLUMNS.split(", "))}
        FROM decisions d JOIN registry_raw r ON r.citizen_id = d.citizen_id
        ORDER BY d.dose_id"""
    )


def chunk_registry(con, decisions: Sequence[DoseDecision]) -> dict[str, RegistryPerson]:
    """The registry people a chunk's decisions name, by their IDs. A look-up by ID scans
    the whole registry table (50 ms a time at a million people, several times a chunk,
    so the run grew with the square of its size); the chunk's range of the table that
    ``order_registry_by_dose`` ordered is a few row groups."""
    rows = con.execute(
        f"SELECT {_REGISTRY_COLUMNS} FROM registry_by_dose WHERE dose_id BETWEEN ? AND ?",
        [decisions[0].dose_id, decisions[-1].dose_id],
    ).fetchall()
    known: dict[str, RegistryPerson] = {}
    for row in rows:
        person = RegistryPerson(*row)
        known[person.citizen_id] = person
    return known


class ChunkLookup:
    """A registry look-up answered from the chunk's own people, the run's table asked
    only for an ID not among them (a candidate of a review, say)."""

    def __init__(self, known: dict[str, RegistryPerson], fallback: RegistryFromRun):
        self.known, self.fallback = known, fallback

    def __call__(self, ids) -> dict[str, RegistryPerson]:
        out, missing = {}, []
        for key in ids:
            person = self.known.get(key)
            if person is None:
                missing.append(key)
            else:
                out[key] = person
        if missing:
            out.update(self.fallback(missing))
        return out


def _no_candidates(run: BatchRun) -> None:
    """An empty s2_candidates table, made by the engine itself from an empty set of
    scored pairs (so its columns are whatever the engine's are)."""
    gammas = ", ".join(f"CAST(NULL AS INTEGER) AS gamma_{c.name}" for c in COMPARISONS)
    run.con.execute(
        "CREATE OR REPLACE TEMP VIEW _no_pairs AS SELECT CAST(NULL AS VARCHAR) AS unique_id_l,"
        " CAST(NULL AS VARCHAR) AS unique_id_r, CAST(NULL AS DOUBLE) AS match_weight,"
        f" CAST(NULL AS DOUBLE) AS match_probability, {gammas} WHERE false"
    )
    stage2.rank_candidates(run.con, "_no_pairs", keep=run.policy.candidates_kept)


def clean_stage1_only(run: BatchRun) -> Summary:
    """Without a saved model: stage 1 and the policy; what stage 1 leaves goes to review
    (reason ``no_model``) instead of being called not found."""
    run.stage1()
    started = time.perf_counter()
    _no_candidates(run)
    run.con.execute(decisions_sql(run.policy, ""))
    run.con.execute(
        f"""UPDATE decisions SET decision = 'review',
               reasons = list_append(list_filter(reasons, lambda x: x <> '{Reason.NO_CANDIDATE}'),
                                     '{AppReason.NO_MODEL}')
            WHERE stage = 2"""
    )
    summary = run.summary
    summary.decisions = dict(
        run.con.execute("SELECT decision, count(*) FROM decisions GROUP BY 1").fetchall()
    )
    summary.reasons = dict(
        run.con.execute(
            "SELECT r, count(*) FROM (SELECT unnest(reasons) AS r FROM decisions) GROUP BY 1"
        ).fetchall()
    )
    summary.seconds["decide"] = round(time.perf_counter() - started, 2)
    return summary


# Connections writing a batch run's decisions back at once, on PostgreSQL. One writing
# backend was the limit (the Python side used a quarter of the time); two use both cores.
WRITERS = 2
_RETRIED = ("40P01", "40001")  # deadlock detected, serialization failure


def _partition(decisions: Sequence[DoseDecision], parts: int) -> list[list[DoseDecision]]:
    """A chunk split so that every decision about one registry person lands in the same
    part: two writers then never make or align a Person for the same registry person at
    once (decisions without one are spread by dose)."""
    out: list[list[DoseDecision]] = [[] for _ in range(parts)]
    for d in decisions:
        out[zlib.crc32((d.citizen_id or d.dose_id).encode()) % parts].append(d)
    return out


def _writers() -> int:
    """Two connections where the database takes them and the caller's transaction does
    not hold the run (inside one, a second connection would not see its rows)."""
    return WRITERS if setwrite_available() and not connection.in_atomic_block else 1


def _write_retrying(chunk: Prepared, **kwargs) -> WriteResult:
    """write_prepared, again when the database chose this transaction to break a deadlock
    with the other writer (nothing of it was kept)."""
    for _attempt in range(2):
        try:
            return write_prepared(chunk, **kwargs)
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) not in _RETRIED:
                raise
    return write_prepared(chunk, **kwargs)


NextChunk = Callable[[], "tuple[list[Prepared], dict] | None"]


def _staged(engine: BatchRun, chunk: int, writers: int) -> NextChunk:
    """The next chunk's parts as DuckDB stages them (``staging``), for PostgreSQL."""
    parts = iter(StagedRun(engine, chunk=chunk, parts=writers))

    def next_chunk() -> tuple[list[Prepared], dict] | None:
        ready = next(parts, None)
        return None if ready is None else (ready, {})

    return next_chunk


def _preparing(engine: BatchRun, chunk: int, writers: int, lookup: RegistryFromRun,
               redecide: bool) -> NextChunk:  # fmt: skip
    """The next chunk's parts as ``setwrite.prepare`` makes them from DoseDecision
    objects (SQLite, and runs that decide doses again), with the registry people they
    name."""
    chunks = engine.decisions(chunk_size=chunk)
    order_registry_by_dose(engine.con)

    def next_chunk() -> tuple[list[Prepared], dict] | None:
        decisions = next(chunks, None)
        if decisions is None:
            return None
        known = chunk_registry(lookup.con, decisions)
        people = ChunkLookup(known, lookup)
        parts = _partition(decisions, writers) if writers > 1 else [decisions]
        return [prepare(part, lookup=people, redecide=redecide) for part in parts], known

    return next_chunk


def _write_back(
    engine: BatchRun, record: CleaningRun, *, chunk: int, redecide: bool, today, into
) -> Iterator[int]:
    """Write the engine's decisions back chunk by chunk, yielding each chunk's size. A
    thread of its own reads the next chunk from DuckDB and prepares it (``staging`` on
    PostgreSQL, else ``setwrite.prepare``) while the database writes the one before; on
    PostgreSQL each chunk is written in parts by ``_writers()`` connections at once, each
    part in its own transaction."""
    writers = _writers()
    ahead_lookup = RegistryFromRun(engine.con)  # a DuckDB cursor per thread
    index_registry(engine.con)
    if setwrite_available() and not redecide:
        next_chunk = _staged(engine, chunk, writers)
    else:
        next_chunk = _preparing(engine, chunk, writers, ahead_lookup, redecide)

    def writer(fallback: RegistryFromRun):
        def write(part: Prepared, known: dict) -> WriteResult:
            return _write_retrying(
                part, run=record, method=Method.BATCH, lookup=ChunkLookup(known, fallback),
                redecide=redecide, today=today,
            )  # fmt: skip

        return write

    write_here = writer(RegistryFromRun(engine.con))
    others = [writer(RegistryFromRun(engine.con)) for _ in range(writers - 1)]
    with (
        ThreadPoolExecutor(max_workers=1) as ahead,
        ThreadPoolExecutor(max_workers=max(1, writers - 1)) as pool,
    ):
        try:
            upcoming = ahead.submit(next_chunk)
            while (ready := upcoming.result()) is not None:
                upcoming = ahead.submit(next_chunk)
                parts, known = ready
                elsewhere = [
                    pool.submit(w, part, known) for w, part in zip(others, parts[1:], strict=True)
                ]
                results = [write_here(parts[0], known), *(f.result() for f in elsewhere)]
                for result in results:
                    into.add(result)
                yield sum(part.size for part in parts)
        finally:
            # The pool's thread has a connection of its own: closed with the thread.
            pool.submit(connections.close_all).result()


@dataclass
class BatchReport:
    run: CleaningRun
    summary: Summary
    written: WriteResult
    model: Model | None
    trained: bool
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def write_rate(self) -> float:
        seconds = self.seconds.get("write back", 0)
        return self.written.applied / seconds if seconds else 0.0


def clean_backlog(
    *,
    train: bool = False,
    redecide: bool = False,
    policy: Policy = NATIONAL,
    today: date | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    chunk: int = BATCH_CHUNK,
    limit: int | None = None,
    registry_file: str | Path | None = None,
    work_dir: str | Path | None = None,
    keep_files: bool = False,
    actor=None,
    progress: Progress | None = None,
    advance: Callable[[int, int], None] | None = None,
) -> BatchReport:
    """Export, clean with the newest saved model (``train``: train one on this data and
    save it first; none saved: stage 1 only), and write every decision back.
    ``progress`` hears of each phase, ``advance(doses, total)`` of each chunk written."""
    say = progress or (lambda message: None)
    today = today or timezone.localdate()
    seconds: dict[str, float] = {}
    record = CleaningRun.objects.create(
        kind=RunKind.BATCH, policy_version=policy.label, started_by=actor
    )
    directory = Path(work_dir or tempfile.mkdtemp(prefix=f"vaxpass-clean-{record.pk}-"))
    directory.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        registry_path = Path(registry_file) if registry_file else directory / "registry.parquet"
        doses_path = directory / "doses.parquet"
        say("exporting the doses to clean" + ("" if registry_file else " and the registry"))
        record.doses_total = export_inputs(
            None if registry_file else registry_path, doses_path, redecide=redecide, limit=limit
        )
        record.save(update_fields=["doses_total"])
        seconds["export"] = round(time.perf_counter() - started, 2)

        engine = BatchRun(
            policy=policy, today=today, threads=threads, memory_limit=memory_limit, progress=say
        )
        engine.load_files(registry_path, doses_path)
        model = None if train else latest_model()
        if train:
            model = ModelStore(models_dir()).save(engine.train())
            say(f"trained and saved model {model.version} in {models_dir()}")
        if record.doses_total == 0:
            summary = engine.summary
        elif model is not None:
            summary = engine.clean(model)
        else:
            say("no saved model: stage 1 only, the rest goes to review")
            summary = clean_stage1_only(engine)
        record.model_version = model.version if model else ""
        seconds.update({f"engine {k}": v for k, v in summary.seconds.items()})

        say("writing the decisions back")
        started, cpu = time.perf_counter(), time.process_time()
        written = WriteResult()
        if record.doses_total:
            for count in _write_back(
                engine, record, chunk=chunk, redecide=redecide, today=today, into=written
            ):
                record.doses_done += count
                record.save(update_fields=["doses_done"])
                if advance:
                    advance(count, record.doses_total)
        seconds["write back"] = round(time.perf_counter() - started, 2)
        # This process's CPU alone (the database server's is not in it): on a shared
        # machine the wall clock says more about the neighbours than about the code.
        seconds["write back cpu"] = round(time.process_time() - cpu, 2)
        engine.con.close()
    except BaseException as error:
        record.status, record.failure = RunStatus.FAILED, f"{type(error).__name__}: {error}"
        record.finished_at = timezone.now()
        record.save()
        raise
    finally:
        if not keep_files and work_dir is None:
            shutil.rmtree(directory, ignore_errors=True)
    record.status, record.finished_at = RunStatus.DONE, timezone.now()
    record.doses_skipped = written.skipped
    record.decisions = dict(written.decisions)
    record.reasons = dict(written.reasons)
    record.seconds = seconds
    record.save()
    return BatchReport(record, summary, written, model, train, seconds)

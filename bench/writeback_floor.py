"""The floor of cleaning's write-back: the rows a batch run must write for a million
automatic links, written by the database alone, with no engine, no staging and no
Python per dose.

    .venv/bin/python bench/writeback_floor.py --size 1000000 --doses 1000000

On a fresh copy of bench/clean_platform.py's template (the same generated people and
doses, the same tables with every index and foreign key, the same PostgreSQL), each of
the first N doses still waiting is linked to its own Person as `vaxpass clean` links a
verified dose, in SQL generated from the tables themselves:

- its decision (``cleaning_cleaningdecision``) and its correction row, which makes the
  link undoable (``cleaning_correction``, issue 4's "a correction keeps ... and can be
  undone");
- the dose's status and registry ID, and the Person's registry ID, each with its audit
  entry (issue 2: "every create, change and delete of a person, dose or facility is
  written to an append-only audit log ... before and after"), built by the platform's
  own ``bulk_change_audit_sql`` (the fields changed, before and after).

Less is written than a real run writes: no identity is aligned (only the registry ID
changes), no new Person is made, no review. Two connections write disjoint halves (by
Person) in transactions of ``--chunk`` doses, as the platform's two writers do. Whatever
writes these decisions back into this schema cannot be faster than this; the figures
also show what the foreign keys and the audit entries cost. Prints one JSON line last.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import clean_platform  # noqa: E402

NOW = "2026-12-01 00:00:00+00"
NOW_JSON = "2026-12-01T00:00:00Z"


def statements(run_id: int, audit: bool) -> list[str]:
    """The write-back of one writer's share of a range of doses (parameters: lo, hi, part,
    parts, now, now_json, actor), in the order the platform writes them."""
    from vaxpass.cleaning.models import CleaningDecision, Correction
    from vaxpass.records.audit import bulk_change_audit_sql
    from vaxpass.records.models import Dose, Person

    share = (
        "d.id BETWEEN %(lo)s AND %(hi)s AND d.person_id %% %(parts)s = %(part)s"
        " AND d.status = 'recorded'"
    )
    person_audit = bulk_change_audit_sql(Person, "changed n", ("registry_id",)) if audit else ""
    dose_audit = (
        bulk_change_audit_sql(Dose, "moved n", ("registry_id", "status", "updated_at"))
        if audit
        else ""
    )
    return [
        f"""INSERT INTO {CleaningDecision._meta.db_table} (dose_id, run_id, current, decision,
            stage, citizen_id, candidate_id, probability, reasons, candidates, corrections,
            merge_with, policy_version, model_version, method, decided_by_id, decided_at, note)
        SELECT d.id, {run_id}, true, 'verified', 1, lpad(d.person_id::text, 12, '9'), '', 1.0,
               '["id_match"]', '[]', '[]', '[]', 'national-1', 'floor', 'batch', NULL,
               %(now)s, ''
        FROM records_dose d WHERE {share}""",
        f"""INSERT INTO {Correction._meta.db_table} (dose_id, decision_id, citizen_id,
            person_before_id, person_id, person_created, registry_id_before, status_before,
            person_registry_id_before, changes, method, applied_by_id, applied_at, why,
            undone_at, undone_by_id, undo_note)
        SELECT d.id, c.id, c.citizen_id, d.person_id, d.person_id, false, d.registry_id,
               'recorded', '', '[]', 'batch', NULL, %(now)s, 'id_match', NULL, NULL, ''
        FROM records_dose d JOIN {CleaningDecision._meta.db_table} c
            ON c.dose_id = d.id AND c.run_id = {run_id}
        WHERE {share}""",
        f"""WITH changed AS (
            UPDATE records_person p SET registry_id = lpad(p.id::text, 12, '9')
            WHERE p.id IN (SELECT d.person_id FROM records_dose d WHERE {share})
              AND p.registry_id = ''
            RETURNING p.id, p.registry_id, CAST('' AS text) AS b_registry_id
        ) {person_audit or "SELECT 1"}""",
        f"""WITH moved AS (
            UPDATE records_dose d SET status = 'verified',
                registry_id = lpad(d.person_id::text, 12, '9'), updated_at = %(now)s
            FROM records_dose was  -- the values before, for the audit entries
            WHERE was.id = d.id AND {share}
            RETURNING d.id, d.registry_id, was.registry_id AS b_registry_id, d.status,
                      was.status AS b_status, d.updated_at, was.updated_at AS b_updated_at
        ) {dose_audit or "SELECT 1"}""",
    ]


def write_share(url: str, sqls: list[str], ranges: list[tuple[int, int]], part: int,
                parts: int) -> dict[str, float]:  # fmt: skip
    """One writer: each range in its own transaction; seconds per statement."""
    spent = [0.0] * (len(sqls) + 1)
    with psycopg.connect(url) as con:
        for lo, hi in ranges:
            params = {"lo": lo, "hi": hi, "part": part, "parts": parts, "now": NOW,
                      "now_json": NOW_JSON, "actor": None}  # fmt: skip
            with con.transaction():
                for k, sql in enumerate(sqls):
                    began = time.perf_counter()
                    con.execute(sql, params)
                    spent[k] += time.perf_counter() - began
                began = time.perf_counter()
            spent[-1] += time.perf_counter() - began  # the commit: deferred key checks
    names = ("decisions", "corrections", "people", "doses", "commit")
    return dict(zip(names, spent, strict=True))


def measure(url: str, *, doses: int, chunk: int, writers: int, audit: bool,
            keys: bool) -> dict:  # fmt: skip
    os.environ["VAXPASS_DATABASE_URL"] = url
    from django.db import connection

    from vaxpass.cleaning.models import CleaningRun, RunKind

    run = CleaningRun.objects.create(kind=RunKind.BATCH, policy_version="floor")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM records_dose WHERE status = 'recorded' ORDER BY id LIMIT %s", [doses]
        )
        ids = [row[0] for row in cursor.fetchall()]
        if not keys:  # every foreign key of the four tables written, dropped
            cursor.execute(
                """SELECT conrelid::regclass, conname FROM pg_constraint WHERE contype = 'f'
                   AND conrelid::regclass::text IN ('records_dose', 'records_person',
                       'cleaning_cleaningdecision', 'cleaning_correction', 'records_auditentry')"""
            )
            for table, name in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        cursor.execute("CHECKPOINT")
    sqls = statements(run.pk, audit)
    connection.close()
    ranges = [(ids[k], ids[min(k + chunk, len(ids)) - 1]) for k in range(0, len(ids), chunk)]
    began = time.perf_counter()
    with ThreadPoolExecutor(writers) as pool:
        shares = list(
            pool.map(lambda p: write_share(url, sqls, ranges, p, writers), range(writers))
        )
    seconds = time.perf_counter() - began
    spent = {k: round(sum(s[k] for s in shares) / writers, 1) for k in shares[0]}
    return {"doses": len(ids), "seconds": round(seconds, 1),
            "doses_per_s": round(len(ids) / seconds), "statement_seconds": spent}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="people (default 1,000,000)")
    parser.add_argument("--doses", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--chunk", type=int, default=50_000, help="doses per transaction")
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--data", type=Path, default=Path("/work/bench-data"))
    parser.add_argument("--variants", default="platform,no_audit,no_keys",
                        help="comma-separated: platform, no_audit, no_keys")  # fmt: skip
    args = parser.parse_args()
    template, data_dir = clean_platform.ensure_template(args.size, args.seed, args.data)
    os.environ["VAXPASS_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxpass.settings")
    figures: dict = {"people": args.size, "writers": args.writers, "chunk": args.chunk}
    run_db = f"{template}_floor"
    variants = {"platform": (True, True), "no_audit": (False, True), "no_keys": (True, False)}
    for name in args.variants.split(","):
        audit, keys = variants[name]
        clean_platform.sql(f"DROP DATABASE IF EXISTS {run_db} WITH (FORCE)")
        clean_platform.copy_template(template, run_db)
        url = f"{clean_platform.SERVER}/{run_db}"
        try:
            # A template loaded by older code gets this code's migrations (untimed).
            subprocess.run([*clean_platform.VAXPASS, "migrate", "-v", "0"],
                           env=clean_platform.environment(run_db, data_dir), check=True)  # fmt: skip
            os.environ["VAXPASS_DATABASE_URL"] = url
            import django

            django.setup()
            from django.conf import settings
            from django.db import connections

            settings.DATABASES["default"]["NAME"] = run_db
            connections.close_all()
            figures[name] = measure(url, doses=args.doses, chunk=args.chunk,
                                    writers=args.writers, audit=audit, keys=keys)  # fmt: skip
            connections.close_all()
            print(name, figures[name], file=sys.stderr)
        finally:
            clean_platform.sql(f"DROP DATABASE IF EXISTS {run_db} WITH (FORCE)")
    figures["load_average_1min"] = round(os.getloadavg()[0], 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

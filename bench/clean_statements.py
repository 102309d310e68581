"""Where `vaxpass clean`'s time goes in the database: every SQL statement and commit of a
platform run timed, summed over the run (both writers together).

    .venv/bin/python bench/clean_statements.py --size 1000000 --doses 1000000

The same set-up as bench/clean_platform.py (its template database, a fresh file copy of
it, its saved model), the run made in this process with Django's cursor and commit
wrapped in timers. Timing costs a little: the run is slower than clean_platform's.
Statements are grouped by their first 90 characters; the COPY that stages a chunk goes
past Django's cursor and is not counted. Prints the top statements, then one JSON line.
"""

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import clean_platform  # noqa: E402


def wrap_timers(spent: dict[str, list]) -> None:
    """Django's cursor execute and the connection's commit, timed into ``spent``."""
    from django.db.backends import utils
    from django.db.backends.base.base import BaseDatabaseWrapper

    lock = threading.Lock()

    def timed(method, label):
        def run(self, *args):
            began = time.perf_counter()
            try:
                return method(self, *args)
            finally:
                key = label or re.sub(r"\s+", " ", str(args[0])).strip()[:90]
                with lock:
                    entry = spent[key]
                    entry[0] += 1
                    entry[1] += time.perf_counter() - began

        return run

    utils.CursorWrapper.execute = timed(utils.CursorWrapper.execute, None)
    utils.CursorWrapper.executemany = timed(utils.CursorWrapper.executemany, None)
    BaseDatabaseWrapper.commit = timed(BaseDatabaseWrapper.commit, "COMMIT")


def wrap_parts(parts: list) -> None:
    """Each part's write timed (start, end, doses), to tell how long a writer waited for
    the other at the end of a chunk."""
    from vaxpass.cleaning import batch

    write = batch._write_retrying

    def timed(chunk, **kwargs):
        began = time.perf_counter()
        try:
            return write(chunk, **kwargs)
        finally:
            parts.append((began, time.perf_counter(), chunk.size))

    batch._write_retrying = timed


def waiting(parts: list, writers: int) -> dict:
    """Seconds the writers sat idle at chunk ends (the slower part's time minus each
    other's), and the gaps between chunks (staging not ready, bookkeeping)."""
    ordered = sorted(parts)
    chunks = [ordered[i : i + writers] for i in range(0, len(ordered), writers)]
    idle = sum(max(e for _b, e, _n in c) - e for c in chunks for _b, e, _n in c)
    gaps = sum(
        max(0.0, min(b for b, _e, _n in later) - max(e for _b, e, _n in earlier))
        for earlier, later in zip(chunks, chunks[1:], strict=False)
    )
    return {"writer_idle_seconds": round(idle, 1), "between_chunks_seconds": round(gaps, 1)}


def main() -> None:
    parser = clean_platform.arguments(__doc__)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    template, data_dir = clean_platform.ensure_template(args.size, args.seed, args.data)
    run_db = f"{template}_statements"
    clean_platform.sql(f"DROP DATABASE IF EXISTS {run_db} WITH (FORCE)")
    clean_platform.copy_template(template, run_db)
    env = clean_platform.environment(run_db, data_dir)
    try:
        subprocess.run([*clean_platform.VAXPASS, "migrate", "-v", "0"], env=env,
                       check=True)  # fmt: skip
        clean_platform.ensure_model(args.size, args.seed, args.data, data_dir)
        clean_platform.checkpoint(run_db)
        os.environ.update(env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxpass.settings")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        spent: dict[str, list] = defaultdict(lambda: [0, 0.0])
        wrap_timers(spent)
        parts: list = []
        wrap_parts(parts)
        options = ["--today", "2026-12-01", "--chunk", str(args.chunk)]
        if args.doses:
            options += ["--limit", str(args.doses)]
        began = time.perf_counter()
        call_command("clean", *options)
        seconds = time.perf_counter() - began
        connections.close_all()
        from vaxpass.cleaning.batch import _writers

        idle = waiting(parts, _writers())
    finally:
        clean_platform.sql(f"DROP DATABASE IF EXISTS {run_db} WITH (FORCE)")
    ranked = sorted(spent.items(), key=lambda item: -item[1][1])
    for statement, (count, total) in ranked[: args.top]:
        print(f"{total:8.2f} s {count:7d}  {statement}", file=sys.stderr)
    print(
        json.dumps(
            {
                "people": args.size,
                "doses": args.doses,
                "chunk": args.chunk,
                "seconds": round(seconds, 1),
                "statement_seconds": round(sum(total for _n, total in spent.values()), 1),
                **idle,
                "top": [
                    {"statement": s, "count": n, "seconds": round(t, 2)}
                    for s, (n, t) in ranked[: args.top]
                ],
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()

"""Cleaning inside the platform: `vaxpass clean` on a PostgreSQL database holding a
generated population, from the export of the doses to the last decision written back
(decisions, corrections, People aligned or made, doses verified, audit entries).

    .venv/bin/python bench/clean_platform.py --size 1000000 [--doses 1000000]

The database is loaded once per size and seed (`vaxpass generate --load`: about half an
hour at a million people) into `vaxpass_clean_<size>_<seed>` and kept as a template; each
run works on a fresh copy of it, dropped afterwards. The stage-2 model comes from
bench/clean.py's cache when it has one for the same data, else it is trained once. Needs
a PostgreSQL server (scripts/start-postgresql) with the vaxpass superuser role.
`--doses` cleans only the first N doses (the acceptance's million doses against a
million registry people). Prints one JSON line last.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg

SERVER = "postgresql://vaxpass:vaxpass@127.0.0.1:5432"
VAXPASS = [sys.executable, "-m", "vaxpass.cli"]
PROF = ["/work/main/.venv/bin/py-spy", "record", "-r", "40", "-f", "raw", "-o", "/tmp/prof.raw", "--"]
_PEAK = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
    "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr)"
)


def sql(statement: str) -> None:
    with psycopg.connect(f"{SERVER}/vaxpass", autocommit=True) as con:
        con.execute(statement)


def exists(database: str) -> bool:
    with psycopg.connect(f"{SERVER}/vaxpass", autocommit=True) as con:
        return bool(
            con.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        )


def environment(database: str, data_dir: Path) -> dict:
    return {**os.environ, "VAXPASS_DATABASE_URL": f"{SERVER}/{database}",
            "VAXPASS_DATA_DIR": str(data_dir)}  # fmt: skip


def ensure_template(size: int, seed: int, data: Path) -> tuple[str, Path]:
    template = f"vaxpass_clean_{size}_{seed}"
    data_dir = data / f"platform-{size}-seed-{seed}"
    if exists(template) and (data_dir / "loaded").exists():
        return template, data_dir
    if exists(template):
        sql(f"DROP DATABASE {template} WITH (FORCE)")
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    sql(f"CREATE DATABASE {template}")
    env = environment(template, data_dir)
    print(f"loading {size:,} people into {template} (once)", file=sys.stderr)
    for command in (["migrate", "-v", "0"], ["load_places", "-v", "0"],
                    ["generate", "--people", str(size), "--seed", str(seed), "--load",
                     "--out", str(data_dir / "synth")]):  # fmt: skip
        subprocess.run([*VAXPASS, *command], env=env, check=True)
    (data_dir / "loaded").touch()
    return template, data_dir


def copy_template(template: str, run_db: str) -> None:
    """A fresh copy of the template, copied as files: PostgreSQL 15's default copy writes
    the whole database (gigabytes) to the WAL, which then forced checkpoints in the timed
    run that followed (114-128 s for the same write-back over successive runs)."""
    sql(f"CREATE DATABASE {run_db} TEMPLATE {template} STRATEGY FILE_COPY")


def checkpoint(database: str) -> None:
    """Dirty pages of the untimed set-up (the copy, the migrations) written out first."""
    with psycopg.connect(f"{SERVER}/{database}", autocommit=True) as con:
        con.execute("CHECKPOINT")


def ensure_model(size: int, seed: int, data: Path, data_dir: Path) -> None:
    """bench/clean.py's stage-2 model of the same generated data (it trains one and caches
    it when it has none)."""
    models = data_dir / "models"
    if any(models.glob("stage2-*.json")):
        return
    cache = data / f"people-{size}-seed-{seed}" / "models"
    if not any(cache.glob("stage2-*.json")):
        print("training the stage-2 model through bench/clean.py (once)", file=sys.stderr)
        subprocess.run([sys.executable, str(Path(__file__).with_name("clean.py")), "--size",
                        str(size), "--seed", str(seed), "--data", str(data)], check=True)  # fmt: skip
    newest = sorted(cache.glob("stage2-*.json"))[-1]
    models.mkdir(exist_ok=True)
    shutil.copy(newest, models / newest.name)


def arguments(doc: str) -> argparse.ArgumentParser:
    """The options of a platform cleaning bench (this one's and bench/clean_statements.py's)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="people (default 1,000,000)")
    parser.add_argument("--doses", type=int, help="clean only the first N doses")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--chunk", type=int, default=25_000, help="doses per transaction")
    parser.add_argument("--data", type=Path, default=Path("/work/bench-data"))
    return parser


def main() -> None:
    args = arguments(__doc__).parse_args()
    template, data_dir = ensure_template(args.size, args.seed, args.data)
    run_db = f"{template}_run"
    sql(f"DROP DATABASE IF EXISTS {run_db} WITH (FORCE)")
    copy_template(template, run_db)
    try:
        # A template loaded by older code gets this code's migrations (untimed).
        subprocess.run([*VAXPASS, "migrate", "-v", "0"], env=environment(run_db, data_dir),
                       check=True)  # fmt: skip
        ensure_model(args.size, args.seed, args.data, data_dir)
        checkpoint(run_db)
        if os.environ.get("BENCH_RESET_STATS"): subprocess.run(["/tmp/pgstats.sh", "reset"])
        command = [*VAXPASS, "clean", "--today", "2026-12-01", "--chunk", str(args.chunk),
                   *(["--limit", str(args.doses)] if args.doses else [])]  # fmt: skip
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", _PEAK, *command], env=environment(run_db, data_dir),
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        sys.stderr.write(result.stdout[-3000:])
        peak_kb, cpu = result.stderr.strip().splitlines()[-1].split()
        with psycopg.connect(f"{SERVER}/{run_db}") as con:
            run = con.execute(
                "SELECT doses_total, doses_done, doses_skipped, decisions, seconds"
                " FROM cleaning_cleaningrun ORDER BY id DESC LIMIT 1"
            ).fetchone()
            verified = con.execute(
                "SELECT count(*) FROM records_dose WHERE status = 'verified'"
            ).fetchone()[0]
    finally:
        sql(f"DROP DATABASE IF EXISTS {run_db} WITH (FORCE)")
    total, done, skipped, decisions, phases = run
    write_back = phases.get("write back") or 0
    rate = re.search(r"([\d,]+) doses/s", result.stdout)
    print(
        json.dumps(
            {
                "people": args.size,
                "doses": total,
                "doses_written": done,
                "doses_skipped": skipped,
                "doses_verified": verified,
                "decisions": decisions,
                "seconds": round(seconds, 1),
                "doses_per_s": round(total / seconds) if seconds else None,
                "write_back_seconds": write_back,
                "write_back_doses_per_s": round(done / write_back) if write_back else None,
                "write_back_cpu_seconds": phases.get("write back cpu"),
                "reported_rate": rate.group(1) if rate else None,
                "phase_seconds": phases,
                "cpu_seconds": round(float(cpu), 1),
                "peak_rss_mb": round(int(peak_kb) / 1024, 1),
                "load_average_1min": round(os.getloadavg()[0], 1),
                "chunk": args.chunk,
            }
        )
    )


if __name__ == "__main__":
    main()

"""Cleaning at scale: generated registry and doses through `vaxpass clean-files`, every
decision compared with the generator's ground truth.

    .venv/bin/python bench/clean.py --size 1000000 [--seed 2021] [--data /work/bench-data]

Generates N people (or reuses them from --data), converts the generator's files to the
clean-files contract, trains a stage-2 model once (cached next to the data), then times
one `vaxpass clean-files` run in its own process with the saved model: stage 1, stage 2,
policy, decisions written. Reports precision and recall of the automatic links
(verified, corrected, linked), the share of doses decided without a person
(`auto_share`), the share sent to review, automatic links to a relative
(`relative_false_links`), doses/s, seconds and the peak RSS of the cleaning process and
its children, and its CPU seconds (the wall-clock figure depends on what else runs on
the machine). Prints one JSON line last.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

VAXPASS = [sys.executable, "-m", "vaxpass.cli"]

# Runs one command; prints the peak RSS (kB) and the CPU seconds of it and its children.
_PEAK = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
    "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr)"
)


def ensure_data(data: Path, people: int, seed: int) -> Path:
    source = data / f"people-{people}-seed-{seed}"
    if not (source / "manifest.json").exists():
        print(f"generating {people:,} people in {source}", file=sys.stderr)
        subprocess.run(
            [*VAXPASS, "generate", "--people", str(people), "--seed", str(seed), "--out",
             str(source)],
            check=True,
        )  # fmt: skip
    contract = source / "contract"
    if not (contract / "doses.csv").exists():
        from vaxpass.linkage.synthetic import convert
        from vaxpass.synth.generator import national_wards

        ward_map = {w.code: (w.current_code, w.province_code) for w in national_wards()}
        convert(source, contract, ward_map)
    return source


def timed_run(command: list[str]) -> tuple[float, float, float]:
    """Seconds, peak RSS (MB) and CPU seconds of a command run in a fresh process."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _PEAK, *command], check=True, stderr=subprocess.PIPE, text=True
    )
    seconds = time.perf_counter() - start
    sys.stderr.write(result.stderr)
    peak_kb, cpu = result.stderr.strip().splitlines()[-1].split()
    return seconds, int(peak_kb) / 1024, float(cpu)


def evaluate(source: Path, decisions: Path) -> dict:
    """Every decision against truth.csv (the bench's business: the cleaner never reads it)."""
    con = duckdb.connect()
    read = "all_varchar = true, header = true"
    con.execute(f"CREATE TABLE truth AS SELECT * FROM read_csv('{source}/truth.csv', {read})")
    con.execute(
        f"CREATE TABLE reg AS SELECT citizen_id, household_id"
        f" FROM read_csv('{source}/registry.csv', {read})"
    )
    con.execute(f"CREATE TABLE d AS SELECT * FROM read_csv('{decisions}', {read})")
    con.execute(
        """
        CREATE TABLE j AS
        SELECT d.dose_id, d.decision, nullif(d.citizen_id, '') AS linked,
               t.citizen_id AS true_id, t.in_registry = '1' AS in_registry,
               t.household_id AS true_household, r.household_id AS linked_household,
               t.errors, nullif(d.candidate_id, '') AS candidate
        FROM d JOIN truth t ON t.record_id = d.dose_id
        LEFT JOIN reg r ON r.citizen_id = nullif(d.citizen_id, '')
        """
    )
    (
        doses, auto_links, right_links, in_registry, review, not_found, relatives,
        not_found_wrongly, review_candidate_right,
    ) = con.execute(
        """
        SELECT count(*),
               count(*) FILTER (WHERE linked IS NOT NULL),
               count(*) FILTER (WHERE linked = true_id AND in_registry),
               count(*) FILTER (WHERE in_registry),
               count(*) FILTER (WHERE decision = 'review'),
               count(*) FILTER (WHERE decision = 'not_found'),
               count(*) FILTER (WHERE linked IS NOT NULL AND linked <> true_id
                                AND linked_household = true_household),
               count(*) FILTER (WHERE decision = 'not_found' AND in_registry),
               count(*) FILTER (WHERE decision = 'review' AND candidate = true_id)
        FROM j
        """
    ).fetchall()[0]  # fmt: skip
    # "right": linked to the true person; not found although nobody fits; or sent to
    # review with the true person as the proposed candidate.
    by_decision = {
        decision: {"doses": n, "right": right}
        for decision, n, right in con.execute(
            """SELECT decision, count(*),
                      count(*) FILTER (WHERE (linked = true_id AND in_registry)
                                       OR (decision = 'not_found' AND NOT in_registry)
                                       OR (decision = 'review' AND candidate = true_id))
               FROM j GROUP BY 1 ORDER BY 1"""
        ).fetchall()
    }
    wrong = con.execute(
        """SELECT decision, errors, count(*) FROM j
           WHERE linked IS NOT NULL AND (linked <> true_id OR NOT in_registry)
           GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 8"""
    ).fetchall()
    if wrong:
        print("false automatic links (decision, injected errors, count):", file=sys.stderr)
        for row in wrong:
            print(f"  {row}", file=sys.stderr)
    return {
        "doses": doses,
        "precision": round(right_links / max(auto_links, 1), 6),
        "recall": round(right_links / max(in_registry, 1), 6),
        "auto_share": round(1 - review / doses, 6),
        "review_share": round(review / doses, 6),
        "not_found_share": round(not_found / doses, 6),
        "not_found_in_registry": not_found_wrongly,
        "false_links": auto_links - right_links,
        "relative_false_links": relatives,
        "review_with_right_candidate": round(review_candidate_right / max(review, 1), 4),
        "by_decision": by_decision,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="people (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--data", type=Path, default=Path("/work/bench-data"))
    parser.add_argument("--out", type=Path, help="decisions file (default: next to the data)")
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    args = parser.parse_args()
    source = ensure_data(args.data, args.size, args.seed)
    contract = source / "contract"
    inputs = ["--registry", str(contract / "registry.csv"), "--doses", str(contract / "doses.csv")]
    common = ["--today", "2026-12-01", *(["--threads", str(args.threads)] if args.threads else [])]
    models = source / "models"
    train_seconds = None
    if not any(models.glob("stage2-*.json")):
        print("training the stage-2 model (once; cached)", file=sys.stderr)
        train_seconds, _, _ = timed_run(
            [*VAXPASS, "clean-files", *inputs, *common, "--models-dir", str(models),
             "--train-only", "--quiet"]
        )  # fmt: skip
    out = args.out or source / "decisions.csv"
    summary = source / "summary.json"
    seconds, peak_mb, cpu_seconds = timed_run(
        [*VAXPASS, "clean-files", *inputs, *common, "--model", str(models), "--out", str(out),
         "--summary-json", str(summary)]
    )  # fmt: skip
    figures = evaluate(source, out)
    run = json.loads(summary.read_text())
    print(json.dumps(figures["by_decision"]), file=sys.stderr)
    print(
        json.dumps(
            {
                "people": args.size,
                "registry_people": run["registry_people"],
                "doses": figures["doses"],
                "stage2_doses": run["stage2_doses"],
                "precision": figures["precision"],
                "recall": figures["recall"],
                "auto_share": figures["auto_share"],
                "review_share": figures["review_share"],
                "not_found_share": figures["not_found_share"],
                "not_found_in_registry": figures["not_found_in_registry"],
                "relative_false_links": figures["relative_false_links"],
                "false_links": figures["false_links"],
                "review_with_right_candidate": figures["review_with_right_candidate"],
                "doses_per_s": round(figures["doses"] / seconds),
                "seconds": round(seconds, 1),
                # CPU time of the cleaning process: on a shared machine wall-clock seconds
                # depend on others' load, this does not
                "cpu_seconds": round(cpu_seconds, 1),
                "load_average_1min": round(os.getloadavg()[0], 1),
                "phase_seconds": run["seconds"],
                "peak_rss_mb": round(peak_mb, 1),
                "train_seconds": round(train_seconds, 1) if train_seconds else None,
                "model": run["model_version"],
            }
        )
    )


if __name__ == "__main__":
    main()

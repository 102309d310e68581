"""Generator throughput and memory: people/s and peak RSS, at the given size and at a
tenth of it, each in a fresh process, to show that memory does not grow with size.

    .venv/bin/python bench/generate.py --size 1000000
Prints one JSON line last.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time


def run_one(people: int, out: str) -> dict:
    from vaxpass.synth.generator import Generator, national_wards

    wards = national_wards()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    summary = Generator(wards, seed=2021).write(out, people)
    seconds = time.perf_counter() - start
    return {
        "people": people,
        "seconds": round(seconds, 1),
        "people_per_s": round(people / seconds),
        "dose_records": summary.dose_records,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_mb": round(baseline, 1),
    }


def measure(people: int) -> dict:
    with tempfile.TemporaryDirectory() as out:
        result = subprocess.run(
            [sys.executable, __file__, "--child", str(people), out],
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="people (default 1,000,000)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(int(args.child[0]), args.child[1])))
        return
    small = measure(max(1000, args.size // 10))
    print(f"at {small['people']:,} people: {small}", file=sys.stderr)
    big = measure(args.size)
    print(
        json.dumps(
            {
                "people": big["people"],
                "people_per_s": big["people_per_s"],
                "dose_records": big["dose_records"],
                "peak_rss_mb": big["peak_rss_mb"],
                "peak_rss_mb_at_tenth_size": small["peak_rss_mb"],
                "seconds": big["seconds"],
            }
        )
    )


if __name__ == "__main__":
    main()

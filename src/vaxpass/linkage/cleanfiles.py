"""``vaxpass clean-files``: clean exported files without the app database.

    vaxpass clean-files --registry R --doses D --out O [--model M] [--policy P]
                        [--models-dir DIR] [--train | --train-only] [--today YYYY-MM-DD]

Inputs and output are CSV or Parquet, chosen by the file ending (contract in
``tables.py``). The stage-2 model is ``--model`` (a model file, or a directory whose
newest model is taken), else the newest under ``--models-dir`` (default var/models);
when there is none, one is trained on these files and saved there, and later runs reuse
it. ``--train`` trains anew first; ``--train-only`` trains and saves, cleaning nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

from tqdm import tqdm

from vaxpass.core.matching.policy import NATIONAL, Policy
from vaxpass.linkage.model import Model, ModelStore, load_model
from vaxpass.linkage.pipeline import BatchRun, Summary
from vaxpass.linkage.tables import ContractError

DEFAULT_MODELS_DIR = Path("var/models")
_PHASES = ("read", "prepare", "train", "stage 1", "stage 2", "policy", "write")


def resolve_model(model: str | Path | None, models_dir: str | Path) -> Model | None:
    if model is not None:
        path = Path(model)
        if path.is_dir():
            found = ModelStore(path).latest()
            if found is None:
                raise ContractError(f"{path}: no saved model in this directory")
            return found
        return load_model(path)
    return ModelStore(models_dir).latest()


def clean_files(
    registry: str | Path,
    doses: str | Path,
    out: str | Path | None,
    *,
    model: str | Path | None = None,
    policy: Policy = NATIONAL,
    models_dir: str | Path = DEFAULT_MODELS_DIR,
    train: bool = False,
    today: date | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    progress: bool = True,
) -> tuple[Summary, Model]:
    """Clean ``doses`` against ``registry`` and write one decision per dose to ``out``
    (None: train only). Returns the run's summary and the model used."""
    bar = tqdm(total=len(_PHASES), unit="step", disable=not progress, file=sys.stderr)

    def step(message: str) -> None:
        bar.set_description(message)
        bar.update(1)

    run = BatchRun(
        policy=policy, today=today, threads=threads, memory_limit=memory_limit, progress=step
    )
    step("reading files")
    run.load_files(registry, doses)
    chosen = None if train else resolve_model(model, models_dir)
    if chosen is None:
        chosen = ModelStore(models_dir).save(run.train())
        tqdm.write(f"trained and saved model {chosen.version} in {models_dir}", file=sys.stderr)
    else:
        bar.update(1)
    if out is None:
        bar.close()
        return run.summary, chosen
    summary = run.clean(chosen)
    step("writing decisions")
    run.write(out)
    bar.update(max(0, bar.total - bar.n))
    bar.close()
    return summary, chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="vaxpass clean-files",
        description="Clean exported registry and dose files (CSV or Parquet) without the"
        " app database: one decision per dose.",
    )
    parser.add_argument("--registry", required=True, help="registry file (.csv / .parquet)")
    parser.add_argument("--doses", required=True, help="dose records file (.csv / .parquet)")
    parser.add_argument("--out", help="decisions file to write (.csv / .parquet)")
    parser.add_argument("--model", help="a saved model file, or a directory of models")
    parser.add_argument("--policy", help="a policy JSON file (default: the national policy)")
    parser.add_argument(
        "--models-dir",
        default=str(DEFAULT_MODELS_DIR),
        help="where models are looked up and saved (default var/models)",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--train", action="store_true", help="train a new model first")
    group.add_argument("--train-only", action="store_true", help="train and save, no cleaning")
    parser.add_argument("--today", type=date.fromisoformat, help="date of the run (tests)")
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    parser.add_argument("--memory-limit", help="DuckDB memory limit, e.g. 6GB")
    parser.add_argument("--summary-json", help="also write the summary as JSON here")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if not args.out and not args.train_only:
        parser.error("--out is required unless --train-only")
    try:
        policy = Policy.from_json_file(args.policy) if args.policy else NATIONAL
        start = time.perf_counter()
        summary, model = clean_files(
            args.registry,
            args.doses,
            None if args.train_only else args.out,
            model=args.model,
            policy=policy,
            models_dir=args.models_dir,
            train=args.train or args.train_only,
            today=args.today,
            threads=args.threads,
            memory_limit=args.memory_limit,
            progress=not args.quiet,
        )
    except (ContractError, ValueError, OSError) as error:
        print(f"vaxpass clean-files: {error}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    if args.train_only:
        print(f"model {model.version} saved in {args.models_dir}")
        return 0
    print("\n".join(summary.lines()))
    print(f"model {model.version}, policy {policy.label}, {seconds:.1f} s")
    if args.summary_json:
        Path(args.summary_json).write_text(
            json.dumps({**summary.__dict__, "total_seconds": round(seconds, 2)}, indent=2),
            "utf-8",
        )
    return 0

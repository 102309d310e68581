import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from vaxpass.cleaning.batch import BATCH_CHUNK, clean_backlog
from vaxpass.cleaning.export import BatchError
from vaxpass.cleaning.incremental import latest_model, models_dir
from vaxpass.core.matching import NATIONAL, Policy
from vaxpass.linkage.tables import ContractError


class Command(BaseCommand):
    help = (
        "Clean the backlog: every recorded dose without a decision, against the population "
        "registry (stage 1 by ID, stage 2 with the newest saved model), decisions written "
        "back: links verify doses, the rest goes to the review queues."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--train",
            action="store_true",
            help="train a stage-2 model on this data and save it (under DATA_DIR/models) first",
        )
        parser.add_argument(
            "--train-if-missing",
            action="store_true",
            help="train and save a model only when none is saved yet (the demo)",
        )
        parser.add_argument(
            "--redecide",
            action="store_true",
            help="also clean again the doses a run sent to review or found nobody for",
        )
        parser.add_argument("--policy", help="a policy JSON file (default: the national policy)")
        parser.add_argument("--registry-file", help="a registry export (.csv / .parquet) to use")
        parser.add_argument("--limit", type=int, help="clean at most this many doses")
        parser.add_argument("--chunk", type=int, default=BATCH_CHUNK, help="doses per transaction")
        parser.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
        parser.add_argument("--memory-limit", help="DuckDB memory limit, e.g. 6GB")
        parser.add_argument("--work-dir", help="where the export files go (default: a temp dir)")
        parser.add_argument("--today", type=date.fromisoformat, help="date of the run (tests)")

    def handle(self, *args, **options):
        quiet = options["verbosity"] == 0
        try:
            policy = Policy.from_json_file(options["policy"]) if options["policy"] else NATIONAL
        except (OSError, ValueError) as error:
            raise CommandError(f"--policy: {error}") from None
        bars: list[tqdm] = []  # made when the write-back starts and its total is known

        def say(message: str) -> None:
            if not quiet:
                tqdm.write(message, file=sys.stderr)

        def advance(n: int, total: int) -> None:
            if not bars:
                bars.append(tqdm(total=total, unit=" doses", disable=quiet, file=sys.stderr))
            bars[0].update(n)

        try:
            report = clean_backlog(
                train=options["train"] or (options["train_if_missing"] and latest_model() is None),
                redecide=options["redecide"],
                policy=policy,
                today=options["today"],
                threads=options["threads"],
                memory_limit=options["memory_limit"],
                chunk=options["chunk"],
                limit=options["limit"],
                registry_file=options["registry_file"],
                work_dir=options["work_dir"],
                progress=say,
                advance=advance,
            )
        except (BatchError, ContractError) as error:
            raise CommandError(str(error)) from None
        finally:
            for bar in bars:
                bar.close()
        run, written = report.run, report.written
        out = self.stdout
        if report.model is None:
            out.write(
                self.style.WARNING(
                    "No stage-2 model saved yet: stage 1 only; the doses it could not settle"
                    f" went to review. Train one with `vaxpass clean --train` ({models_dir()})."
                )
            )
        total = max(run.doses_total, 1)
        out.write(
            f"run #{run.pk}: {run.doses_total:,} doses, policy {run.policy_version},"
            f" model {run.model_version or '(none)'}"
        )
        out.write("decisions written:")
        for name, count in written.decisions.most_common():
            out.write(f"  {name:<10} {count:>10,}  {count / total:7.2%}")
        if written.skipped:
            out.write(f"  {'skipped':<10} {written.skipped:>10,}  (decided meanwhile)")
        out.write(
            f"doses verified {written.verified:,}; review items opened {written.review_items:,};"
            f" merge proposals {written.merges:,}"
        )
        out.write("reasons:")
        for name, count in written.reasons.most_common():
            out.write(f"  {name:<30} {count:>10,}")
        seconds = ", ".join(f"{k} {v:.1f}" for k, v in report.seconds.items())
        out.write(f"seconds: {seconds}")
        if written.applied:
            cpu = report.seconds.get("write back cpu") or 0
            per_cpu = f", {written.applied / cpu:,.0f} per CPU second" if cpu else ""
            out.write(f"write-back: {report.write_rate:,.0f} doses/s{per_cpu}")

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from vaxpass.accounts.models import User
from vaxpass.imports.models import ImportBatch, ImportMode, ImportStatus
from vaxpass.imports.services import (
    NotLoadable,
    UploadRefused,
    check_batch,
    create_batch,
    load_batch,
)


class Command(BaseCommand):
    help = (
        "Import retrospective doses from an .xlsx or .csv file made from the template: check "
        "every row, then load (all or nothing, or the valid rows). --resume continues an "
        "interrupted load."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help=".xlsx or .csv file")
        parser.add_argument("--user", help="the account the import is made as (its scope applies)")
        parser.add_argument(
            "--mode", choices=[m.value for m in ImportMode], default=ImportMode.ALL_OR_NOTHING
        )
        parser.add_argument("--commitment", help="scanned signed commitment (PDF or image)")
        parser.add_argument("--check-only", action="store_true")
        parser.add_argument(
            "--resume", type=int, metavar="BATCH", help="continue loading this batch"
        )
        parser.add_argument("--report", help="write the error report to this file")

    def handle(self, *args, file, user, mode, commitment, check_only, resume, report, **options):
        quiet = options["verbosity"] == 0
        if resume:
            batch = ImportBatch.objects.filter(pk=resume).first()
            if batch is None:
                raise CommandError(f"no batch {resume}")
        else:
            if not file or not user:
                raise CommandError("give a file and --user (or --resume BATCH)")
            account = User.objects.filter(username=user).first()
            if account is None:
                raise CommandError(f"--user: no account {user!r}")
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"{file}: no such file")
            try:
                with path.open("rb") as upload:
                    proof = Path(commitment).open("rb") if commitment else None
                    try:
                        batch = create_batch(
                            account, upload, name=path.name, mode=mode, commitment=proof
                        )
                    finally:
                        if proof:
                            proof.close()
            except UploadRefused as error:
                raise CommandError(str(error)) from None
            with tqdm(unit=" rows", desc="check", disable=quiet) as bar:
                check_batch(batch, progress=bar.update)
            self.stdout.write(
                f"batch {batch.pk}: {batch.total_rows} rows, {batch.error_rows} with errors, "
                f"{batch.warning_rows} with warnings"
            )
        if batch.status == ImportStatus.FAILED:
            raise CommandError(f"batch {batch.pk}: {batch.failure}")
        if report:
            from vaxpass.imports.services import error_report

            with open(report, "wb") as out:
                error_report(batch, out)
        if check_only:
            return
        try:
            with tqdm(
                total=batch.total_rows - batch.error_rows, unit=" rows", desc="load", disable=quiet
            ) as bar:
                load_batch(batch, progress=bar.update)
        except NotLoadable as error:
            raise CommandError(f"batch {batch.pk}: {error}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"batch {batch.pk} {batch.get_status_display()}: {batch.loaded_rows} doses stored, "
                f"{batch.existing_rows} already there"
            )
        )

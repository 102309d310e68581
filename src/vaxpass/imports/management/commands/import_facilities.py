from django.core.management.base import BaseCommand, CommandError

from vaxpass.accounts.models import User
from vaxpass.imports.facilities import import_facilities


class Command(BaseCommand):
    help = "Load a facility list (.xlsx or .csv from the facility template): all or nothing, matched on the code."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--user", required=True, help="a national administrator or province manager"
        )

    def handle(self, *args, file, user, **options):
        account = User.objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"--user: no account {user!r}")
        result = import_facilities(account, file)
        if not result.ok:
            for line, issue in result.problems[:200]:
                column = f" {issue.column}" if issue.column else ""
                self.stderr.write(f"row {line}{column}: {issue.message}")
            raise CommandError(f"{len(result.problems)} problems; nothing was loaded")
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.rows} rows: {result.created} facilities added, {result.updated} updated, "
                f"{result.unchanged} unchanged"
            )
        )

from django.core.management.base import BaseCommand, CommandError

from vaxpass.passports import keys
from vaxpass.passports.models import SignerKey


class Command(BaseCommand):
    help = (
        "The national signing keys: `init` makes the CA, a document signer and a list "
        "signer (what is missing of them); `rotate-dsc` introduces a new document signer; "
        "`list` shows the keys."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["init", "rotate-dsc", "list"])

    def handle(self, *args, action, **options):
        try:
            if action == "init":
                for row in keys.init_national_pki():
                    self.stdout.write(
                        f"made {row.get_purpose_display()}: {row.label} kid {row.kid}"
                    )
                self._publish()
            elif action == "rotate-dsc":
                row = keys.rotate_document_signer()
                self.stdout.write(f"new document signer {row.label} kid {row.kid}")
                self._publish()
        except keys.PkiNotReady as error:
            raise CommandError(str(error)) from None
        for row in SignerKey.objects.order_by("purpose", "not_before"):
            self.stdout.write(
                f"{row.purpose:9} {row.label:30} kid {row.kid} "
                f"{row.not_before:%Y-%m-%d} - {row.not_after:%Y-%m-%d}"
                + ("" if row.active else " (retired)")
            )

    def _publish(self) -> None:
        from vaxpass.passports.publishing import publish_all

        for name, path in publish_all().items():
            self.stdout.write(f"published {name}: {path}")

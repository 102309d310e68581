from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.core.management.base import BaseCommand, CommandError

from vaxpass.core import trustlist
from vaxpass.passports import keys, publishing


class Command(BaseCommand):
    help = (
        "Write the signer certificates (PEM and DER, one file each) and the signed trust "
        "list, revocation list and CA certificate to a folder: what a verifier needs offline."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export"])
        parser.add_argument("--out", required=True, help="folder to write to")

    def handle(self, *args, action, out, **options):
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            signer = keys.list_signer()
            ca = keys.ca_certificate()
        except keys.PkiNotReady:
            raise CommandError("no national keys yet: run `vaxpass pki init`") from None
        listed = publishing.current_trust_list()
        for entry in listed.entries:
            name = f"dsc-{entry.kid.hex()}"
            (folder / f"{name}.der").write_bytes(entry.der)
            pem = entry.certificate.public_bytes(serialization.Encoding.PEM)
            (folder / f"{name}.pem").write_bytes(pem)
        (folder / "trustlist.json").write_bytes(trustlist.sign_trust_list(listed, signer))
        revocations = publishing.current_revocation_list()
        (folder / "revocations.json").write_bytes(
            trustlist.sign_revocation_list(revocations, signer)
        )
        (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        self.stdout.write(
            f"{len(listed)} signer certificates, {len(revocations)} revocation entries -> {folder}"
        )
